/* support.c - running the `ferry` tool from the checker's tests. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"

extern char **environ;

char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *tmpdir_make(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = path_join(base != NULL && base[0] ? base : "/tmp", "ferry-check-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

void tmpdir_remove(char *dir)
{
    if (dir == NULL)
        return;
    char *const argv[] = {"rm", "-rf", dir, NULL};
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) == 0)
        waitpid(pid, &status, 0);
    free(dir);
}

char *file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL)
            *len = n;
    }
    return buf;
}

void file_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void run_ferry(const char *const *args, run_result *r)
{
    char *dir = tmpdir_make();
    char *out_path = path_join(dir, "stdout"), *err_path = path_join(dir, "stderr");
    const char *argv[64] = {FERRY_BIN};
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n < 63);
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(
        posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
    assert_int_equal(
        posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
    pid_t pid;
    int rc = posix_spawn(&pid, FERRY_BIN, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->out = file_read(out_path, NULL);
    r->err = file_read(err_path, NULL);
    assert_non_null(r->out);
    assert_non_null(r->err);
    free(out_path);
    free(err_path);
    tmpdir_remove(dir);
}

void run_result_free(run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
