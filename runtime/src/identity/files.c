/* files.c - opening configuration files, one policy for secrets (files.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "identity/files.h"

ferry_status ferryi_file_open(const char *path, const char *what, int secret, int *fd, size_t *size)
{
    int d = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (d < 0)
        return ferryi_error(errno == ENOENT ? FERRY_NOT_FOUND : FERRY_PERMISSION_DENIED,
                            "%s: cannot open %s: %s", path, what, strerror(errno));
    struct stat sb;
    ferry_status st = FERRY_OK;
    if (fstat(d, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s: %s is not a regular file", path, what);
    else if (secret && (sb.st_mode & 077) != 0)
        st = ferryi_error(FERRY_PERMISSION_DENIED,
                          "%s: %s is accessible by others than its owner (mode %03o); run chmod "
                          "600 %s",
                          path, what, (unsigned)(sb.st_mode & 0777), path);
    if (st != FERRY_OK || fd == NULL) {
        close(d);
        return st;
    }
    *fd = d;
    if (size != NULL)
        *size = (size_t)sb.st_size;
    return FERRY_OK;
}
