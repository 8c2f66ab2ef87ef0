/* test_exit_codes.c - one exit status table for every `ferry` command
 * (clients/ferry/cli.h, docs/operations.md "Exit status"): 2 for bad usage
 * or input, 3 for a server that cannot be reached, whichever command met
 * it; and `ferry --help` shows the table. The answers 0 and 1 are each
 * command's own tests' (test_health.c, test_stats.c, tests/check, ...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli_run.h"

typedef struct fixture {
    char dir[128];
    char out[16384];
    char err[8192];
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    cli_tmpdir(f.dir, sizeof f.dir, "ferry-exit");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cli_rmdir(f->dir);
    return 0;
}

/* Runs `ferry ARGS...` (NULL-terminated); its exit status. */
static int run(fixture *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int status = cli_runv(f->dir, f->out, sizeof f->out, f->err, sizeof f->err, NULL, ap);
    va_end(ap);
    return status;
}

/* `ferry --help` lists the table every command follows. */
static void test_help_shows_the_table(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, "--help", NULL), 0);
    assert_contains(f->out, "exit status, every command:\n");
    assert_contains(f->out, "  2  bad usage or input");
    assert_contains(f->out, "  3  the server cannot be reached");
}

/* Bad usage is 2, for each command and for the tool itself. */
static void test_bad_usage_is_2(void **state)
{
    fixture *f = *state;
    static const char *const commands[] = {"check",  "lock", "keygen",   "stats", "dispatch",
                                           "health", "list", "describe", "call",  "new"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        assert_int_equal(run(f, commands[i], "--no-such-option", NULL), 2);
        assert_string_equal(f->out, "");
        assert_int_equal(run(f, commands[i], "--help", NULL), 0);
    }
    assert_int_equal(run(f, "no-such-command", NULL), 2);
    assert_contains(f->err, "ferry: no command 'no-such-command'");
    assert_int_equal(run(f, NULL), 2);
}

/* Input a command cannot use is 2 as well: a file that is not there. */
static void test_bad_input_is_2(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, "check", "/nonexistent/old.lock", "/nonexistent/new.lock", NULL), 2);
    assert_int_equal(run(f, "lock", "/nonexistent/schema.proto", NULL), 2);
    assert_int_equal(run(f, "dispatch", "/nonexistent/stats.json", NULL), 2);
    assert_int_equal(run(f, "keygen", "name", "-o", "/nonexistent/dir", NULL), 2);
    assert_int_equal(run(f, "new", "service", "not a name", NULL), 2);
}

/* A host name that does not resolve is 3 ("cannot be reached"), said as
 * such, once, at once: not "no connection", as for a refused one. */
static void test_unresolvable_host_is_3(void **state)
{
    fixture *f = *state;
    const char *url = "tcp://no-such-host.invalid:5555";
    static const char *const commands[] = {"health", "list", "stats"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        assert_int_equal(run(f, commands[i], url, NULL), 3);
        assert_contains(f->err, "cannot resolve the host name 'no-such-host.invalid'");
        assert_null(strstr(f->err, "no connection"));
        assert_null(strchr(strchr(f->err, '\n') + 1, '\n')); /* one line */
    }
    assert_int_equal(run(f, "describe", url, "a.v1.S", NULL), 3);
    assert_contains(f->err, "cannot resolve the host name");
    assert_int_equal(run(f, "call", url, "a.v1.S/M", "{}", NULL), 3);
    assert_contains(f->err, "cannot resolve the host name");
    assert_int_equal(run(f, "stats", "http://no-such-host.invalid:9464/metrics", NULL), 3);
    assert_contains(f->err, "cannot resolve the host name");
}

/* No server at a reachable address is 3 too, for each command that calls
 * one; a literal address is not looked up. */
static void test_no_server_is_3(void **state)
{
    fixture *f = *state;
    char url[256];
    snprintf(url, sizeof url, "ipc://%s/nobody.sock", f->dir);
    assert_int_equal(run(f, "health", "-t", "200", url, NULL), 3);
    assert_int_equal(run(f, "list", "-t", "200", url, NULL), 3);
    assert_int_equal(run(f, "stats", "-t", "200", url, NULL), 3);
    assert_int_equal(run(f, "describe", "-t", "200", url, "a.v1.S", NULL), 3);
    assert_int_equal(run(f, "call", "-t", "200", url, "a.v1.S/M", "{}", NULL), 3);
    assert_contains(f->err, "is the server running at that address?");
    /* The address once, in the runtime's reason, not again before it. */
    const char *first = strstr(f->err, url);
    assert_non_null(first);
    assert_null(strstr(first + 1, url));
    assert_int_equal(run(f, "health", "-t", "200", "tcp://127.0.0.1:1", NULL), 3);
    assert_null(strstr(f->err, "cannot resolve"));
    /* Over many addresses, none answering: 3 as for one. */
    char list[600];
    snprintf(list, sizeof list, "ipc://%s/a.sock,ipc://%s/b.sock", f->dir, f->dir);
    assert_int_equal(run(f, "stats", "-t", "200", list, NULL), 3);
    /* A balancing channel with no endpoint sent nothing either. */
    assert_int_equal(run(f, "health", "-t", "300", "dns://no-such-host.invalid:5555", NULL), 3);
    assert_int_equal(
        run(f, "call", "-t", "300", "dns://no-such-host.invalid:5555", "a.v1.S/M", "{}", NULL), 3);
}

/* --proto files that lack the service or method asked for are bad input,
 * 2; a server's schema lacking them is its "no", 1 (test_call_errors.c). */
static void test_proto_files_lacking_target_are_2(void **state)
{
    fixture *f = *state;
    const char *proto = FERRY_SOURCE_DIR "/idl/ferrytest/v1/probe.proto";
    const char *idl = FERRY_SOURCE_DIR "/idl";
    assert_int_equal(
        run(f, "describe", "x", "ferrytest.v1.Nope", "--proto", proto, "-I", idl, NULL), 2);
    assert_contains(f->err, "the schema has no service 'ferrytest.v1.Nope'");
    assert_int_equal(
        run(f, "describe", "x", "ferrytest.v1.Probe/Nope", "--proto", proto, "-I", idl, NULL), 2);
    assert_int_equal(
        run(f, "describe", "x", "ferrytest.v1.Probe", "--proto", proto, "-I", idl, NULL), 0);
}

/* An address that cannot work is bad input: 2, said once, before dialing. */
static void test_bad_address_is_2(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, "list", "nope://where", NULL), 2);
    assert_string_equal(f->err, "ferry list: cannot dial nope://where: Not supported\n");
    assert_int_equal(run(f, "health", "tcp://127.0.0.1:70000", NULL), 2);
    assert_string_equal(f->err, "ferry health: tcp://127.0.0.1:70000: not an address to connect "
                                "to: port 70000 is out of range 1-65535\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help_shows_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_usage_is_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_is_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unresolvable_host_is_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_server_is_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proto_files_lacking_target_are_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_address_is_2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
