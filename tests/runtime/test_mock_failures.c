/* test_mock_failures.c - the mock fails a test that breaks its expectations,
 * with a message naming the method (and the field).
 *
 * A failing test cannot be observed from inside its own cmocka run, so
 * each case runs in a child: this program started again (by the path it
 * was started with) as
 *   test_mock_failures --case NAME
 * runs the one case as a cmocka test and exits with the number of failed
 * tests. The parent (the ordinary cmocka tests below) reads the child's
 * output and exit status and asserts on the message, and on where cmocka
 * says the test failed: a line of the test, never one of ferry's. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferrytest/v1/probe.ferry-mock.h"

extern char **environ;

/* This program's path, to start it again for a case (argv[0]: under
 * valgrind /proc/self/exe would be valgrind itself). */
static const char *self;

/* ---- the cases, run in the child ---- */

static ferry_channel *open_mock(void)
{
    ferry_channel *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_mock_open(&ch), FERRY_OK);
    return ch;
}

static ferry_status call_echo(ferry_channel *ch, const char *text, ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.info = info};
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    if (resp != NULL)
        ferry_message_free(&resp->base);
    return st;
}

static void case_met(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_expect_echo(ch, NULL, NULL);
    assert_int_equal(call_echo(ch, "x", NULL), FERRY_OK);
    ferry_mock_verify(ch);
    ferry_channel_close(ch);
}

static void case_unmet_at_verify(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_will_return_echo(ch, NULL);
    ferry_mock_verify(ch);
    ferry_channel_close(ch); /* not reached */
}

static void case_unmet_at_close(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_expect_echo(ch, NULL, NULL);
    ferry_mock_times(ch, 2);
    ferrytest_v1_probe_mock_will_fail_write(ch, FERRY_ABORTED, NULL);
    assert_int_equal(call_echo(ch, "x", NULL), FERRY_OK);
    ferry_channel_close(ch);
}

static void case_unmet_always(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_will_return_lookup(ch, NULL);
    ferry_mock_times(ch, FERRY_MOCK_ALWAYS);
    ferry_channel_close(ch);
}

static void case_unexpected(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_will_return_echo(ch, NULL);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    (void)ferrytest_v1_probe_write(ch, &req, &resp, NULL);
    fail_msg("the unexpected call returned");
}

static void case_one_call_too_many(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_will_return_echo(ch, NULL);
    assert_int_equal(call_echo(ch, "first", NULL), FERRY_OK);
    (void)call_echo(ch, "second", NULL);
    fail_msg("the unexpected call returned");
}

static void case_request_mismatch(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    Ferrytest__V1__EchoRequest want = FERRYTEST__V1__ECHO_REQUEST__INIT;
    want.text = "hello";
    ferrytest_v1_probe_mock_expect_echo_request(ch, &want);
    (void)call_echo(ch, "goodbye", NULL);
    fail_msg("the mismatching call returned");
}

static bool short_text(void *arg, const Ferrytest__V1__EchoRequest *req, char *why, size_t len)
{
    (void)arg;
    if (strlen(req->text) <= 3)
        return true;
    snprintf(why, len, "text has %zu characters, at most 3 allowed", strlen(req->text));
    return false;
}

static bool refuse_silently(void *arg, const Ferrytest__V1__EchoRequest *req, char *why, size_t len)
{
    (void)arg;
    (void)req;
    (void)why;
    (void)len;
    return false;
}

static void case_check_refuses(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_expect_echo(ch, short_text, NULL);
    ferrytest_v1_probe_mock_expect_echo(ch, short_text, NULL);
    assert_int_equal(call_echo(ch, "ok", NULL), FERRY_OK);
    (void)call_echo(ch, "far too long", NULL);
    fail_msg("the refused call returned");
}

static void case_check_refuses_silently(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_expect_write(ch, refuse_silently, NULL);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    (void)ferrytest_v1_probe_write(ch, &req, &resp, NULL);
    fail_msg("the refused call returned");
}

static void case_wrong_response_type(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    Ferrytest__V1__EchoRequest not_a_reply = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_mock_will_return(ch, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO],
                           &not_a_reply.base);
    fail_msg("the wrong type was accepted");
}

static void case_will_fail_with_ok(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_OK, "fine");
    fail_msg("FERRY_OK was accepted as a failure");
}

static void case_times_with_nothing_queued(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferry_mock_times(ch, 2);
    fail_msg("ferry_mock_times() with nothing queued was accepted");
}

static void case_not_a_mock(void **state)
{
    (void)state;
    ferry_channel *local = NULL;
    static const ferrytest_v1_probe_handlers none = {0};
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &none, NULL), FERRY_OK);
    ferrytest_v1_probe_mock_will_return_echo(local, NULL);
    fail_msg("a local channel was taken for a mock");
}

typedef struct thread_call {
    ferry_channel *ch;
    ferry_status st;
    ferry_call_info info;
} thread_call;

static void *call_from_thread(void *arg)
{
    thread_call *tc = arg;
    tc->st = call_echo(tc->ch, "from a thread", &tc->info);
    return NULL;
}

static void case_unexpected_on_another_thread(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    thread_call tc = {.ch = ch};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, call_from_thread, &tc), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* The thread's call could not fail the test there: it got an error... */
    assert_int_equal(tc.st, FERRY_INTERNAL);
    assert_string_equal(tc.info.message, "mock: unexpected call to ferrytest.v1.Probe/Echo (no "
                                         "call of it was expected)");
    /* ...and the test fails here. */
    ferry_mock_verify(ch);
}

/* ---- where a failure is reported: the test's line that queued, misused or
 * opened; each case prints that line ("at line N") before it fails ---- */

static void say_line(int line)
{
    printf("at line %d\n", line);
    fflush(stdout);
}

static void case_where_mismatch(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    Ferrytest__V1__EchoRequest want = FERRYTEST__V1__ECHO_REQUEST__INIT;
    want.text = "hello";
    say_line((ferrytest_v1_probe_mock_expect_echo_request(ch, &want), __LINE__));
    (void)call_echo(ch, "goodbye", NULL);
}

static void case_where_unmet(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_expect_echo(ch, NULL, NULL);
    say_line((ferrytest_v1_probe_mock_will_return_write(ch, NULL), __LINE__));
    assert_int_equal(call_echo(ch, "x", NULL), FERRY_OK);
    ferry_channel_close(ch);
}

static void case_where_unexpected(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    say_line(((void)ferrytest_v1_probe_mock_open(&ch), __LINE__));
    (void)call_echo(ch, "x", NULL);
}

static void case_where_one_too_many(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    ferrytest_v1_probe_mock_will_return_echo(ch, NULL);
    say_line((ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_ABORTED, NULL), __LINE__));
    (void)call_echo(ch, "1", NULL);
    (void)call_echo(ch, "2", NULL);
    (void)call_echo(ch, "3", NULL);
}

static void case_where_misuse(void **state)
{
    (void)state;
    ferry_channel *ch = open_mock();
    /* The call fails at once: its line is said first. */
    say_line(__LINE__ + 1);
    ferry_mock_times(ch, 0);
}

typedef struct named_case {
    const char *name;
    CMUnitTestFunction fn;
} named_case;

static const named_case cases[] = {
    {"met", case_met},
    {"unmet_at_verify", case_unmet_at_verify},
    {"unmet_at_close", case_unmet_at_close},
    {"unmet_always", case_unmet_always},
    {"unexpected", case_unexpected},
    {"one_call_too_many", case_one_call_too_many},
    {"request_mismatch", case_request_mismatch},
    {"check_refuses", case_check_refuses},
    {"check_refuses_silently", case_check_refuses_silently},
    {"wrong_response_type", case_wrong_response_type},
    {"will_fail_with_ok", case_will_fail_with_ok},
    {"times_with_nothing_queued", case_times_with_nothing_queued},
    {"not_a_mock", case_not_a_mock},
    {"unexpected_on_another_thread", case_unexpected_on_another_thread},
    {"where_mismatch", case_where_mismatch},
    {"where_unmet", case_where_unmet},
    {"where_unexpected", case_where_unexpected},
    {"where_one_too_many", case_where_one_too_many},
    {"where_misuse", case_where_misuse},
};

static int run_case(const char *name)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(cases[i].name, name) == 0) {
            const struct CMUnitTest one[] = {{cases[i].name, cases[i].fn, NULL, NULL, NULL}};
            return _cmocka_run_group_tests(name, one, 1, NULL, NULL);
        }
    }
    fprintf(stderr, "test_mock_failures: no case named %s\n", name);
    return 100;
}

/* ---- the parent: run a case, read what it said ---- */

typedef struct outcome {
    int exit_code; /* the child's: the number of failed tests */
    char out[16384];
} outcome;

/* Runs case `name` in a child with stdout and stderr into one pipe. */
static void run_child(const char *name, outcome *o)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {"test_mock_failures", "--case", (char *)name, NULL};
    /* A failed case leaves the test without closing its mock: under
     * AddressSanitizer, the leak report would change the exit status. */
    const char *asan = getenv("ASAN_OPTIONS");
    if (asan == NULL || strstr(asan, "detect_leaks=0") == NULL) {
        char opts[512];
        snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan != NULL ? asan : "",
                 asan != NULL && *asan ? ":" : "");
        assert_int_equal(setenv("ASAN_OPTIONS", opts, 1), 0);
    }
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, self, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);

    /* Read until the child closes its end; 60 s is far more than a case
     * needs and only stops a hung child from hanging the test. */
    size_t used = 0;
    time_t give_up = time(NULL) + 60;
    for (;;) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int r = poll(&p, 1, 1000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            if (time(NULL) < give_up)
                continue;
            kill(pid, SIGKILL);
            break;
        }
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        size_t room = sizeof o->out - 1 - used;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(o->out + used, buf, take);
        used += take;
    }
    o->out[used] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("case %s did not exit normally; its output:\n%s", name, o->out);
    o->exit_code = WEXITSTATUS(status);
}

/* Runs case `name`, which must fail with `want` in its output. */
static void expect_failure(const char *name, const char *want)
{
    outcome o;
    run_child(name, &o);
    if (o.exit_code != 1)
        fail_msg("case %s exited with %d, expected 1 (one failed test); its output:\n%s", name,
                 o.exit_code, o.out);
    if (strstr(o.out, want) == NULL)
        fail_msg("case %s's output lacks \"%s\"; it was:\n%s", name, want, o.out);
}

/* Runs case `name`, which must fail with cmocka's failure line naming this
 * file at the line the case printed, and no line of ferry's (mock.c, or
 * the generated probe.ferry-mock.c). */
static void expect_failure_where(const char *name)
{
    outcome o;
    run_child(name, &o);
    if (o.exit_code != 1)
        fail_msg("case %s exited with %d, expected 1; its output:\n%s", name, o.exit_code, o.out);
    const char *said = strstr(o.out, "at line ");
    int line = 0;
    if (said == NULL || sscanf(said, "at line %d", &line) != 1)
        fail_msg("case %s did not say its line; its output:\n%s", name, o.out);
    char want[64];
    snprintf(want, sizeof want, "test_mock_failures.c:%d: error: Failure!", line);
    if (strstr(o.out, want) == NULL)
        fail_msg("case %s's failure is not at \"%s\"; its output:\n%s", name, want, o.out);
    if (strstr(o.out, "mock.c:") != NULL)
        fail_msg("case %s's output names a line of ferry's; it was:\n%s", name, o.out);
}

static void test_mismatch_is_reported_where_the_check_was_queued(void **state)
{
    (void)state;
    expect_failure_where("where_mismatch");
}

static void test_unmet_is_reported_where_it_was_queued(void **state)
{
    (void)state;
    expect_failure_where("where_unmet");
}

static void test_unexpected_call_is_reported_where_the_mock_was_opened(void **state)
{
    (void)state;
    expect_failure_where("where_unexpected");
}

static void test_call_too_many_is_reported_where_the_last_answer_was_queued(void **state)
{
    (void)state;
    expect_failure_where("where_one_too_many");
}

static void test_misuse_is_reported_at_the_misused_call(void **state)
{
    (void)state;
    expect_failure_where("where_misuse");
}

static void test_harness_sees_a_passing_case(void **state)
{
    (void)state;
    outcome o;
    run_child("met", &o);
    if (o.exit_code != 0)
        fail_msg("case met failed:\n%s", o.out);
    assert_non_null(strstr(o.out, "[  PASSED  ] 1 test(s)."));
}

static void test_unmet_expectation_at_verify(void **state)
{
    (void)state;
    expect_failure("unmet_at_verify", "ERROR: ferrytest.v1.Probe/Echo: expected 1 call, got 0 ("
                                      "queued at ");
}

static void test_unmet_expectations_at_close_name_each_method(void **state)
{
    (void)state;
    expect_failure("unmet_at_close",
                   "ferrytest.v1.Probe/Echo: expected 2 calls, got 1 (queued at ");
    expect_failure("unmet_at_close",
                   "ferrytest.v1.Probe/Write: expected 1 call, got 0 (queued at ");
}

static void test_unmet_always(void **state)
{
    (void)state;
    expect_failure("unmet_always", "ferrytest.v1.Probe/Lookup: expected at least 1 call, got 0");
}

static void test_unexpected_call(void **state)
{
    (void)state;
    expect_failure("unexpected",
                   "ERROR: unexpected call to ferrytest.v1.Probe/Write (no call of it was "
                   "expected)");
}

static void test_one_call_too_many(void **state)
{
    (void)state;
    expect_failure("one_call_too_many",
                   "unexpected call to ferrytest.v1.Probe/Echo (only 1 call was expected)");
}

static void test_request_mismatch_names_method_and_field(void **state)
{
    (void)state;
    expect_failure("request_mismatch", "ferrytest.v1.Probe/Echo: call 1: the request does not "
                                       "match: text is \"goodbye\", expected \"hello\"");
}

static void test_check_explains_the_refusal(void **state)
{
    (void)state;
    expect_failure("check_refuses", "ferrytest.v1.Probe/Echo: call 2: the request does not "
                                    "match: text has 12 characters, at most 3 allowed");
}

static void test_check_refusing_without_a_reason(void **state)
{
    (void)state;
    expect_failure("check_refuses_silently",
                   "ferrytest.v1.Probe/Write: call 1: the request does not match: the check "
                   "refused it");
}

static void test_misuse_is_reported(void **state)
{
    (void)state;
    expect_failure("wrong_response_type",
                   "ferry_mock_will_return: ferrytest.v1.Probe/Echo returns a "
                   "ferrytest.v1.EchoReply, not a ferrytest.v1.EchoRequest");
    expect_failure("will_fail_with_ok", "ferry_mock_will_fail: ferrytest.v1.Probe/Echo: the "
                                        "status is ok; use ferry_mock_will_return()");
    expect_failure("times_with_nothing_queued",
                   "ferry_mock_times: nothing is queued on this mock yet");
    expect_failure("not_a_mock", "ferry_mock_will_return: the channel is another kind, not a mock");
}

static void test_unexpected_call_on_another_thread(void **state)
{
    (void)state;
    expect_failure("unexpected_on_another_thread",
                   "ERROR: unexpected call to ferrytest.v1.Probe/Echo (no call of it was "
                   "expected)");
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc == 3 && strcmp(argv[1], "--case") == 0)
        return run_case(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_sees_a_passing_case),
        cmocka_unit_test(test_unmet_expectation_at_verify),
        cmocka_unit_test(test_unmet_expectations_at_close_name_each_method),
        cmocka_unit_test(test_unmet_always),
        cmocka_unit_test(test_unexpected_call),
        cmocka_unit_test(test_one_call_too_many),
        cmocka_unit_test(test_request_mismatch_names_method_and_field),
        cmocka_unit_test(test_check_explains_the_refusal),
        cmocka_unit_test(test_check_refusing_without_a_reason),
        cmocka_unit_test(test_misuse_is_reported),
        cmocka_unit_test(test_unexpected_call_on_another_thread),
        cmocka_unit_test(test_mismatch_is_reported_where_the_check_was_queued),
        cmocka_unit_test(test_unmet_is_reported_where_it_was_queued),
        cmocka_unit_test(test_unexpected_call_is_reported_where_the_mock_was_opened),
        cmocka_unit_test(test_call_too_many_is_reported_where_the_last_answer_was_queued),
        cmocka_unit_test(test_misuse_is_reported_at_the_misused_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
