/* support.h - running the `ferry` tool from the checker's tests and reading
 * what it printed. */
#ifndef CHECK_SUPPORT_H
#define CHECK_SUPPORT_H

#include <stddef.h>

/* What one run of a program gave. */
typedef struct run_result {
    int status; /* the exit status; -1 when it did not exit normally */
    char *out;  /* everything it wrote to stdout, NUL-terminated */
    char *err;  /* and to stderr */
} run_result;

/* A fresh temporary directory (malloc'd path), removed by tmpdir_remove()
 * with everything in it. Fails the test when it cannot be made. */
char *tmpdir_make(void);
void tmpdir_remove(char *dir);

/* Runs FERRY_BIN with the NULL-terminated `args` (after the program name);
 * fails the test when it cannot be run. */
void run_ferry(const char *const *args, run_result *r);
void run_result_free(run_result *r);

/* The contents of a file (malloc'd, NUL-terminated), or NULL; *len gets
 * its length when `len` is not NULL. */
char *file_read(const char *path, size_t *len);
/* Writes `len` bytes to `path`; fails the test on error. */
void file_write(const char *path, const void *data, size_t len);

/* A malloc'd "a/b" path. */
char *path_join(const char *a, const char *b);

#endif /* CHECK_SUPPORT_H */
