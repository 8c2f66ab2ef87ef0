/* cli_run.c - the scratch directories, runs of the ferry tool and file
 * reading the tests of the `ferry` tool share (cli_run.h). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

void cli_tmpdir(char *dir, size_t len, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/%s.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp", name);
    assert_non_null(mkdtemp(dir));
}

void cli_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

void cli_slurp(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, len - 1, fp);
    buf[n] = '\0';
    fclose(fp);
}

static const char *stdout_path; /* cli_set_stdout() */

void cli_set_stdout(const char *path)
{
    stdout_path = path;
}

int cli_runv(const char *dir, char *out, size_t out_len, char *err, size_t err_len, const char *cmd,
             va_list args)
{
    return cli_runv_in(dir, NULL, out, out_len, err, err_len, cmd, args);
}

int cli_runv_in(const char *dir, const char *in_path, char *out, size_t out_len, char *err,
                size_t err_len, const char *cmd, va_list args)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)FERRY_CLI_PATH;
    if (cmd != NULL)
        argv[argc++] = (char *)cmd;
    char *a;
    while ((a = va_arg(args, char *)) != NULL && argc < 15)
        argv[argc++] = a;
    argv[argc] = NULL;

    char out_path[600], err_path[600];
    snprintf(out_path, sizeof out_path, "%s/run.out", dir);
    snprintf(err_path, sizeof err_path, "%s/run.err", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o =
            open(stdout_path != NULL ? stdout_path : out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        int i = in_path != NULL ? open(in_path, O_RDONLY) : 0;
        if (i < 0 || (in_path != NULL && dup2(i, 0) < 0))
            _exit(127);
        unsetenv("FERRY_KEY");
        unsetenv("FERRY_SERVER_KEY");
        unsetenv("FERRY_PROOF");
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (stdout_path != NULL)
        out[0] = '\0';
    else
        cli_slurp(out_path, out, out_len);
    cli_slurp(err_path, err, err_len);
    unlink(out_path);
    unlink(err_path);
    return WEXITSTATUS(status);
}

void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in: %s", needle, haystack);
}
