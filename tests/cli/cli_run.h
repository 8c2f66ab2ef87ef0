/* cli_run.h - what the tests of the `ferry` tool share: a scratch directory,
 * the tool run as a program with its output captured, small files read
 * whole, and an assertion on text. */
#ifndef FERRY_TEST_CLI_RUN_H
#define FERRY_TEST_CLI_RUN_H

#include <stdarg.h>
#include <stddef.h>

/* Makes a fresh directory $TMPDIR/NAME.XXXXXX (/tmp without TMPDIR) and
 * writes its path into `dir`. Asserts success. */
void cli_tmpdir(char *dir, size_t len, const char *name);

/* Removes `dir` and the files in it; it must hold no subdirectories. */
void cli_rmdir(const char *dir);

/* Reads the whole file `path` into `buf`: at most len - 1 bytes, then a
 * NUL. Asserts that the file opens. */
void cli_slurp(const char *path, char *buf, size_t len);

/* Runs the ferry tool (FERRY_CLI_PATH) as a child process with the
 * arguments `cmd` (unless NULL) and then those of `args`, up to a NULL;
 * FERRY_KEY, FERRY_SERVER_KEY and FERRY_PROOF are unset in the child, so
 * the caller's environment does not leak into the test. Its stdout and
 * stderr go through files in `dir` into `out` and `err` (NUL-terminated,
 * cut to fit). Asserts that it exited and returns its exit status. */
int cli_runv(const char *dir, char *out, size_t out_len, char *err, size_t err_len, const char *cmd,
             va_list args);

/* cli_runv() with the file `in_path` as the tool's stdin (NULL: the
 * test's own). */
int cli_runv_in(const char *dir, const char *in_path, char *out, size_t out_len, char *err,
                size_t err_len, const char *cmd, va_list args);

/* Sends the tool's stdout in later runs to the file `path` (e.g.
 * /dev/full) instead of capturing it; NULL captures it again. While set,
 * the `out` of a run is empty. */
void cli_set_stdout(const char *path);

/* Fails the test, showing `haystack`, unless it contains `needle`. */
void assert_contains(const char *haystack, const char *needle);

#endif
