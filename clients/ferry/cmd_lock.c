/* cmd_lock.c - `ferry lock`: writes the lock file of a schema, the snapshot
 * that `ferry check --lock` later compares a changed schema against. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: ferry lock [OPTIONS] SCHEMA [-o FILE]\n"
                 "\n"
                 "Writes the lock file of SCHEMA (a directory of .proto files, one .proto file,\n"
                 "or a lock file): every message, field, enum, service and method with ferry's\n"
                 "options and the line it is declared on, one element per line, in a fixed\n"
                 "order. Commit it with each release and run `ferry check --lock FILE SCHEMA`\n"
                 "in CI.\n"
                 "\n"
                 "options:\n"
                 "  -I, --proto_path DIR  also look for imported files in DIR (repeatable)\n"
                 "  -o, --output FILE     write FILE (replaced whole, or left as it was on error)\n"
                 "                        instead of standard output; a device or FIFO is\n"
                 "                        written into, a symbolic link's target is written\n"
                 "  -h, --help            print this help\n"
                 "\n"
                 "exit status: 0 written, 2 a usage, input, protoc or write error.\n");
}

static const struct option options[] = {
    {"proto_path", required_argument, NULL, 'I'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Writes `text` to `path` through a temporary file in the same directory
 * and a rename, so that readers never see half a lock file. */
static int write_replacing(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, "ferry lock: out of memory\n");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = fwrite(text, 1, len, f) == len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* Writes `text` into the existing file `path` itself (a device, a FIFO):
 * renaming over it would replace the device with a regular file. */
static int write_in_place(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "ferry lock: %s: cannot write: %s\n", path,
                    w < 0 ? strerror(errno) : "nothing written");
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "ferry lock: %s: cannot write: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Follows `path` through symbolic links (at most 40) to the file they name,
 * which may be missing. Returns a malloc'd path, or NULL after a message. */
static char *resolve_links(const char *path)
{
    char *cur = strdup(path);
    for (int hops = 0; cur != NULL; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur; /* missing (created by the rename) or not a link */
        if (hops == 40) {
            fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(ELOOP));
            free(cur);
            return NULL;
        }
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) {
            fprintf(stderr, "ferry lock: %s: %s\n", cur, strerror(errno));
            free(cur);
            return NULL;
        }
        target[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (target[0] == '/' || slash == NULL) {
            next = strdup(target);
        } else { /* relative to the link's directory */
            size_t dir_len = (size_t)(slash - cur) + 1;
            next = malloc(dir_len + (size_t)n + 1);
            if (next != NULL) {
                memcpy(next, cur, dir_len);
                memcpy(next + dir_len, target, (size_t)n + 1);
            }
        }
        free(cur);
        cur = next;
    }
    fprintf(stderr, "ferry lock: out of memory\n");
    return NULL;
}

/* Writes the lock file `path`: a regular file (or a missing one) is
 * replaced whole through a rename; anything else that exists (a device, a
 * FIFO) is written into. A symbolic link is followed first, so that the
 * file it names is written and the link stays. */
static int write_file(const char *path, const char *text, size_t len)
{
    char *real = resolve_links(path);
    if (real == NULL)
        return -1;
    struct stat st;
    int rc;
    if (stat(real, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(EISDIR));
            rc = -1;
        } else {
            rc = write_in_place(real, text, len);
        }
    } else {
        rc = write_replacing(real, text, len);
    }
    free(real);
    return rc;
}

int cmd_lock(int argc, char **argv)
{
    cli_imports imp = {0};
    const char *output = NULL;
    int opt, rc = CLI_EXIT_ERROR;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "I:o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'I':
            if (cli_imports_add(&imp, optarg) != 0) {
                fprintf(stderr, "ferry lock: out of memory\n");
                goto done;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default:
            fprintf(stderr, "run ferry lock --help for the options\n");
            goto done;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "ferry lock: expected one SCHEMA, got %d arguments\n", argc - optind);
        usage(stderr);
        goto done;
    }
    ferry_schema *schema = NULL;
    if (cli_load_schema("lock", argv[optind], &imp, &schema) != 0)
        goto done;
    size_t len = 0;
    char *text = ferry_schema_write_lock(schema, &len);
    ferry_schema_free(schema);
    if (text == NULL) {
        fprintf(stderr, "ferry lock: out of memory\n");
        goto done;
    }
    if (output == NULL || strcmp(output, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
            fprintf(stderr, "ferry lock: cannot write to standard output\n");
        else
            rc = CLI_EXIT_OK;
    } else if (write_file(output, text, len) == 0) {
        rc = CLI_EXIT_OK;
    }
    free(text);
done:
    cli_imports_free(&imp);
    return rc;
}
