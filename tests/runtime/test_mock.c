/* test_mock.c - the generated mock of the probe service when the test's
 * expectations are met: each kind of answer, checks that accept, counts,
 * order, async calls, several services on one mock, calls from other
 * threads. Failing expectations are test_mock_failures.c's. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferrytest/v1/probe.ferry-mock.h"

#define ECHO_METHOD (&ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO])

static int setup(void **state)
{
    ferry_channel *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_mock_open(&ch), FERRY_OK);
    *state = ch;
    return 0;
}

static int teardown(void **state)
{
    ferry_channel_close(*state); /* verifies */
    return 0;
}

static Ferrytest__V1__EchoRequest request(const char *text)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    return req;
}

/* Calls Echo with `text`; returns the status, the reply in *out, and the
 * call's info in *info. */
static ferry_status echo(ferry_channel *ch, const char *text, Ferrytest__V1__EchoReply **out,
                         ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = request(text);
    ferry_call_opts opts = {.info = info};
    return ferrytest_v1_probe_echo(ch, &req, out, &opts);
}

static void test_will_return_copies_the_response(void **state)
{
    ferry_channel *ch = *state;
    char text[] = "canned";
    Ferrytest__V1__EchoReply canned = FERRYTEST__V1__ECHO_REPLY__INIT;
    canned.text = text;
    canned.seq = 42;
    ferrytest_v1_probe_mock_will_return_echo(ch, &canned);
    /* The mock copied it: changing the test's message changes nothing. */
    text[0] = 'X';
    canned.seq = 0;

    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    assert_int_equal(echo(ch, "hi", &resp, &info), FERRY_OK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "canned");
    assert_int_equal(resp->seq, 42);
    assert_int_equal(info.status, FERRY_OK);
    assert_string_equal(info.message, "");
    assert_int_equal(info.attempts, 1);
    ferry_message_free(&resp->base); /* the caller's, as from any channel */
    assert_int_equal(ferry_mock_calls(ch, ECHO_METHOD), 1);
}

static void test_will_return_null_is_an_empty_response(void **state)
{
    ferry_channel *ch = *state;
    ferrytest_v1_probe_mock_will_return_echo(ch, NULL);
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(echo(ch, "hi", &resp, NULL), FERRY_OK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "");
    assert_int_equal(resp->seq, 0);
    ferry_message_free(&resp->base);
}

static void test_will_fail_gives_status_and_message(void **state)
{
    ferry_channel *ch = *state;
    ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_NOT_FOUND, "no such thing");
    ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_UNAVAILABLE, NULL);
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    assert_int_equal(echo(ch, "a", &resp, &info), FERRY_NOT_FOUND);
    assert_null(resp);
    assert_int_equal(info.status, FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no such thing");
    assert_int_equal(echo(ch, "b", &resp, &info), FERRY_UNAVAILABLE);
    assert_null(resp);
    /* No message given: one naming the method and status, as a channel's. */
    assert_non_null(strstr(info.message, "ferrytest.v1.Probe/Echo"));
    assert_non_null(strstr(info.message, "unavailable"));
}

static void test_will_fall_back_gives_a_degraded_answer(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoReply fallback = FERRYTEST__V1__ECHO_REPLY__INIT;
    fallback.text = "stale";
    ferrytest_v1_probe_mock_will_fall_back_lookup(ch, &fallback, "fallback after unavailable");
    Ferrytest__V1__EchoRequest req = request("x");
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_lookup(ch, &req, &resp, &opts), FERRY_FALLBACK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "stale");
    assert_int_equal(info.status, FERRY_FALLBACK);
    assert_string_equal(info.message, "fallback after unavailable");
    ferry_message_free(&resp->base);
}

/* An answer function: echoes the request in upper case, from the call's
 * arena; fails when told to. */
static ferry_status shout(void *arg, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                          Ferrytest__V1__EchoReply *resp)
{
    int *runs = arg;
    (*runs)++;
    assert_ptr_equal(ferry_call_method(call), ECHO_METHOD);
    if (req->fail_status != 0)
        return ferry_call_fail(call, (ferry_status)req->fail_status, "refused: %s", req->text);
    char *s = ferry_call_strdup(call, req->text);
    for (char *p = s; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    resp->text = s;
    resp->seq = (uint64_t)*runs;
    return FERRY_OK;
}

static void test_will_call_computes_the_response(void **state)
{
    ferry_channel *ch = *state;
    int runs = 0;
    ferrytest_v1_probe_mock_will_call_echo(ch, shout, &runs);
    ferry_mock_times(ch, 2);

    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(echo(ch, "quiet", &resp, NULL), FERRY_OK);
    assert_string_equal(resp->text, "QUIET");
    assert_int_equal(resp->seq, 1);
    ferry_message_free(&resp->base);

    Ferrytest__V1__EchoRequest req = request("no");
    req.fail_status = FERRY_PERMISSION_DENIED;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_PERMISSION_DENIED);
    assert_null(resp);
    assert_string_equal(info.message, "refused: no");
    assert_int_equal(runs, 2);
}

/* Setting a mock up returns no status, so it leaves ferry_last_error() as
 * the test's own last failure left it (ferry/status.h): will_call opens a
 * local channel inside, which once emptied it. */
static void test_setup_leaves_last_error_alone(void **state)
{
    ferry_channel *ch = *state;
    ferry_channel *none = NULL;
    assert_int_equal(ferry_client_open(&none, "nowhere://at-all", NULL), FERRY_INVALID_ARGUMENT);
    char before[FERRY_ERROR_MAX];
    snprintf(before, sizeof before, "%s", ferry_last_error());
    assert_true(before[0] != '\0');
    int runs = 0;
    ferrytest_v1_probe_mock_will_call_echo(ch, shout, &runs);
    assert_string_equal(ferry_last_error(), before);
    ferrytest_v1_probe_mock_will_return_echo(ch, NULL);
    ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_UNAVAILABLE, "down");
    ferry_mock_times(ch, 1);
    assert_string_equal(ferry_last_error(), before);
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(echo(ch, "quiet", &resp, NULL), FERRY_OK);
    ferry_message_free(&resp->base);
    assert_int_equal(echo(ch, "quiet", &resp, NULL), FERRY_OK);
    ferry_message_free(&resp->base);
    assert_int_equal(echo(ch, "quiet", &resp, NULL), FERRY_UNAVAILABLE);
    (void)runs;
}

/* A check that wants the text in `arg`. */
static bool text_is(void *arg, const Ferrytest__V1__EchoRequest *req, char *why, size_t why_len)
{
    if (strcmp(req->text, arg) == 0)
        return true;
    snprintf(why, why_len, "text is \"%s\", wanted \"%s\"", req->text, (const char *)arg);
    return false;
}

static void test_expect_alone_answers_empty(void **state)
{
    ferry_channel *ch = *state;
    ferrytest_v1_probe_mock_expect_echo(ch, text_is, "first");
    ferrytest_v1_probe_mock_expect_echo(ch, NULL, NULL);
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(echo(ch, "first", &resp, NULL), FERRY_OK);
    assert_string_equal(resp->text, "");
    ferry_message_free(&resp->base);
    assert_int_equal(echo(ch, "anything", &resp, NULL), FERRY_OK);
    ferry_message_free(&resp->base);
    ferry_mock_verify(ch);
}

static void test_checks_and_answers_pair_up_in_order(void **state)
{
    ferry_channel *ch = *state;
    const char *texts[] = {"one", "two", "three"};
    for (size_t i = 0; i < 3; i++) {
        ferrytest_v1_probe_mock_expect_echo(ch, text_is, (void *)texts[i]);
        Ferrytest__V1__EchoReply r = FERRYTEST__V1__ECHO_REPLY__INIT;
        r.seq = i + 1;
        ferrytest_v1_probe_mock_will_return_echo(ch, &r);
    }
    for (size_t i = 0; i < 3; i++) {
        Ferrytest__V1__EchoReply *resp = NULL;
        assert_int_equal(echo(ch, texts[i], &resp, NULL), FERRY_OK);
        assert_int_equal(resp->seq, i + 1);
        ferry_message_free(&resp->base);
    }
    ferry_mock_verify(ch);
    assert_int_equal(ferry_mock_calls(ch, ECHO_METHOD), 3);
}

static void test_expect_request_matches_set_fields(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoRequest want = request("hi");
    char *keys[] = {"a", "b"};
    want.md_keys = keys;
    want.n_md_keys = 2;
    ferrytest_v1_probe_mock_expect_echo_request(ch, &want);
    want.text = "changed after queueing"; /* the mock keeps its own copy */

    Ferrytest__V1__EchoRequest req = request("hi");
    req.sleep_ms = 7; /* not set in `want`: any value is fine */
    req.md_keys = keys;
    req.n_md_keys = 2;
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, NULL), FERRY_OK);
    ferry_message_free(&resp->base);
}

static void test_times_always_and_maybe(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoReply r = FERRYTEST__V1__ECHO_REPLY__INIT;
    r.text = "thrice";
    ferrytest_v1_probe_mock_will_return_echo(ch, &r);
    ferry_mock_times(ch, 3);
    r.text = "ever after";
    ferrytest_v1_probe_mock_will_return_echo(ch, &r);
    ferry_mock_times(ch, FERRY_MOCK_ALWAYS);
    ferrytest_v1_probe_mock_will_fail_write(ch, FERRY_ABORTED, "maybe");
    ferry_mock_times(ch, FERRY_MOCK_MAYBE); /* never called: still fine */

    for (int i = 0; i < 10; i++) {
        Ferrytest__V1__EchoReply *resp = NULL;
        assert_int_equal(echo(ch, "x", &resp, NULL), FERRY_OK);
        assert_string_equal(resp->text, i < 3 ? "thrice" : "ever after");
        ferry_message_free(&resp->base);
    }
    ferry_mock_verify(ch);
    assert_int_equal(ferry_mock_calls(ch, ECHO_METHOD), 10);
}

typedef struct done {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int runs;
    ferry_status st;
    char text[32];
    char message[64];
} done;

static void on_echo(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    done *d = arg;
    pthread_mutex_lock(&d->mu);
    d->runs++;
    d->st = st;
    snprintf(d->text, sizeof d->text, "%s", resp != NULL ? resp->text : "(none)");
    snprintf(d->message, sizeof d->message, "%s", info->message);
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    if (resp != NULL)
        ferry_message_free(&resp->base); /* the callback owns it */
}

static void test_async_calls_complete(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoReply r = FERRYTEST__V1__ECHO_REPLY__INIT;
    r.text = "later";
    ferrytest_v1_probe_mock_will_return_echo(ch, &r);
    ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_DEADLINE_EXCEEDED, "too slow");

    done d = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Ferrytest__V1__EchoRequest req = request("a");
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, NULL, on_echo, &d), FERRY_OK);
    pthread_mutex_lock(&d.mu);
    while (d.runs < 1)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    assert_int_equal(d.st, FERRY_OK);
    assert_string_equal(d.text, "later");

    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_echo, &d), FERRY_OK);
    pthread_mutex_lock(&d.mu);
    while (d.runs < 2)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    assert_int_equal(d.st, FERRY_DEADLINE_EXCEEDED);
    assert_string_equal(d.text, "(none)");
    assert_string_equal(d.message, "too slow");
    assert_string_equal(info.message, "too slow");
}

static void test_one_mock_serves_several_services(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoReply r = FERRYTEST__V1__ECHO_REPLY__INIT;
    r.text = "boo";
    ferrytest_v1_ghost_mock_will_return_haunt(ch, &r);
    ferrytest_v1_probe_mock_will_fail_echo(ch, FERRY_INTERNAL, "probe down");

    Ferrytest__V1__EchoRequest req = request("x");
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(ch, &req, &resp, NULL), FERRY_OK);
    assert_string_equal(resp->text, "boo");
    ferry_message_free(&resp->base);
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, NULL), FERRY_INTERNAL);
}

/* Calls Echo `n` times from its own thread. */
typedef struct caller {
    ferry_channel *ch;
    int n, ok;
} caller;

static void *call_many(void *arg)
{
    caller *c = arg;
    for (int i = 0; i < c->n; i++) {
        Ferrytest__V1__EchoReply *resp = NULL;
        if (echo(c->ch, "t", &resp, NULL) == FERRY_OK && resp != NULL &&
            strcmp(resp->text, "shared") == 0)
            c->ok++;
        if (resp != NULL)
            ferry_message_free(&resp->base);
    }
    return NULL;
}

static void test_calls_from_many_threads(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoReply r = FERRYTEST__V1__ECHO_REPLY__INIT;
    r.text = "shared";
    ferrytest_v1_probe_mock_will_return_echo(ch, &r);
    ferry_mock_times(ch, 4 * 50);
    pthread_t t[4];
    caller c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (caller){.ch = ch, .n = 50};
        assert_int_equal(pthread_create(&t[i], NULL, call_many, &c[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(c[i].ok, 50);
    }
    ferry_mock_verify(ch);
    assert_int_equal(ferry_mock_calls(ch, ECHO_METHOD), 200);
}

static void test_bad_arguments_are_refused_before_the_mock(void **state)
{
    ferry_channel *ch = *state;
    /* The channel seam checks arguments first: nothing reaches the mock. */
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, NULL, &resp, NULL), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_mock_calls(ch, ECHO_METHOD), 0);
    assert_int_equal(ferry_mock_open(NULL), FERRY_INVALID_ARGUMENT);
}

/* A call a real channel refuses before sending it (here a metadata entry
 * without its value) is refused the same way by the mock, and is no call
 * of the test's: it takes no queued answer and counts for nothing. */
static void test_unsendable_metadata_is_refused_before_the_mock(void **state)
{
    ferry_channel *ch = *state;
    Ferrytest__V1__EchoRequest req = request("x");
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_metadata md = {.key = "k", .value = NULL, .len = 3};
    ferry_call_info info;
    ferry_call_opts opts = {.metadata = &md, .n_metadata = 1, .info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_INVALID_ARGUMENT);
    assert_null(resp);
    assert_non_null(strstr(info.message, "metadata"));
    assert_int_equal(ferry_mock_calls(ch, ECHO_METHOD), 0);
}

/* How many client spans the trace sink was given. */
static atomic_int client_spans;

static void count_client_spans(void *arg, const ferry_span *span)
{
    (void)arg;
    if (span->side == FERRY_SIDE_CLIENT)
        atomic_fetch_add(&client_spans, 1);
}

/* With tracing on, a call the mock answers by running a handler is one
 * client span, as a call it answers from its queue is: not a second one,
 * the child of the first, for the handler's run. */
static void test_will_call_is_one_client_span(void **state)
{
    ferry_channel *ch = *state;
    int runs = 0;
    ferrytest_v1_probe_mock_will_call_echo(ch, shout, &runs);
    atomic_store(&client_spans, 0);
    ferry_trace_set_sink(count_client_spans, NULL);
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = echo(ch, "quiet", &resp, NULL);
    ferry_trace_set_sink(NULL, NULL);
    assert_int_equal(st, FERRY_OK);
    ferry_message_free(&resp->base);
    assert_int_equal(runs, 1);
    assert_int_equal(atomic_load(&client_spans), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_will_return_copies_the_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_will_return_null_is_an_empty_response, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_will_fail_gives_status_and_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_will_fall_back_gives_a_degraded_answer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_will_call_computes_the_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setup_leaves_last_error_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expect_alone_answers_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checks_and_answers_pair_up_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expect_request_matches_set_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_times_always_and_maybe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_calls_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_mock_serves_several_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_from_many_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsendable_metadata_is_refused_before_the_mock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_will_call_is_one_client_span, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments_are_refused_before_the_mock, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
