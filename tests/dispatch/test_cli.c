/* test_cli.c - `ferry dispatch` on the JSON a real dispatcher writes: the
 * table, the --check gate, and stats files that are not what they should
 * be, each refused with what is wrong. */
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

#include "twin.h"

static char dir[256];
static char out[8192], err[4096];

static void path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void slurp(const char *p, char *buf, size_t len)
{
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(p);
}

static void write_text(const char *name, const char *text)
{
    char p[320];
    path(name, p, sizeof p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Runs `ferry dispatch ARGS...` and returns its exit status; output in out
 * and err. */
static int run(const char *a1, const char *a2)
{
    char op[320], ep[320];
    path("run.out", op, sizeof op);
    path("run.err", ep, sizeof ep);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        char *argv[] = {(char *)FERRY_CLI_PATH, "dispatch", (char *)a1, (char *)a2, NULL};
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    slurp(op, out, sizeof out);
    slurp(ep, err, sizeof err);
    return WEXITSTATUS(status);
}

static void contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in: %s", needle, hay);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ferry-dispatch-cli-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[320];
    static const char *const names[] = {"clean.json", "dirty.json", "bad.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        path(names[i], p, sizeof p);
        unlink(p);
    }
    return rmdir(dir);
}

/* Stats of a shadow run whose remote answers as `v`, written to `name`. */
static void stats_file(const char *name, twin_variant v)
{
    twin t;
    twin_open(&t, "shadow,Count=local");
    atomic_store(&t.remote.variant, v);
    for (int i = 0; i < 4; i++)
        ferry_message_free((ProtobufCMessage *)twin_get(t.ch, "r", FERRY_OK));
    twin_count(t.ch, 1, FERRY_OK);
    ferry_dispatcher_wait_shadows(t.ch);
    char p[320];
    path(name, p, sizeof p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(ferry_dispatcher_write_stats(t.ch, f, FERRY_STATS_JSON), FERRY_OK);
    fclose(f);
    twin_close(&t);
}

static void test_table_and_check(void **state)
{
    (void)state;
    char p[320];
    stats_file("clean.json", TWIN_SAME);
    path("clean.json", p, sizeof p);
    assert_int_equal(run(p, NULL), 0);
    contains(out, "dispatcher ferrytest.dispatch.v1.Twin, routes: shadow,Count=local");
    contains(out, "  Get                shadow        4       4       0       4       4       0");
    contains(out, "  Count              local         1       1       0       0       0       0");
    assert_int_equal(run("--check", p), 0);
    contains(out, "ferry dispatch: no mismatches and no remote errors");

    stats_file("dirty.json", TWIN_SCALAR);
    path("dirty.json", p, sizeof p);
    assert_int_equal(run("--check", p), 1);
    contains(out, "last mismatch of Get: amount: local 5, remote 6");
    contains(err, "ferry dispatch: Get at shadow: 4 mismatches, 0 remote errors");
}

static void refused(const char *text, const char *want)
{
    write_text("bad.json", text);
    char p[320];
    path("bad.json", p, sizeof p);
    assert_int_equal(run(p, NULL), 2);
    contains(err, want);
}

static void test_bad_files(void **state)
{
    (void)state;
    refused("", "bad.json: line 1:");
    refused("[1, 2]", "bad.json: not a JSON object");
    refused("{\"service\": \"s\"}", "the top level: \"spec\" is missing or not a string");
    refused("{\"service\": \"s\", \"spec\": \"local\", \"methods\": 3}",
            "\"methods\" is missing or not an array");
    refused("{\"service\": \"s\", \"spec\": \"local\", \"methods\": [7]}",
            "bad.json: methods[0] is not an object");
    refused("{\"service\": \"s\", \"spec\": \"local\", \"methods\": [{\"method\": \"Get\", "
            "\"stages\": [{\"stage\": \"local\", \"calls\": -1}]}]}",
            "methods[0].stages[0]: \"calls\" is missing or not a whole number");
    refused("{\"service\": \"s\", \"service\": \"t\"}", "duplicate object key");
    char p[320];
    path("missing.json", p, sizeof p);
    assert_int_equal(run(p, NULL), 2);
    contains(err, "cannot open ");
    contains(err, "missing.json: No such file or directory");
    assert_int_equal(run(NULL, NULL), 2);
    contains(err, "name the stats file");
    assert_int_equal(run("--bogus", "x"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_and_check),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
