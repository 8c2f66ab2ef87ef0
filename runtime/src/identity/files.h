/* files.h - opening the files ferry is configured with (key files,
 * keyrings, TLS certificates and keys), with one policy for secrets.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef FERRYI_FILES_H
#define FERRYI_FILES_H

#include <stddef.h>

#include "ferry/status.h"

/* Opens `path`, which holds `what` ("the secret key file"), for reading; the
 * descriptor goes to *fd and the file's size to *size (either may be NULL:
 * then the file is closed, or the size not reported). The file must be a
 * regular file; a `secret` one must also be out of reach of everyone but its
 * owner: no permission at all for group or others (chmod 600), since any of
 * them could read the secret or put their own in its place. Errors name the
 * path and say how to fix it (ferryi_error()): FERRY_NOT_FOUND,
 * FERRY_PERMISSION_DENIED or FERRY_INVALID_ARGUMENT. */
ferry_status ferryi_file_open(const char *path, const char *what, int secret, int *fd,
                              size_t *size);

#endif
