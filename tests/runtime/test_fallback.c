/* test_fallback.c - when a service cannot be reached, a method's fallback
 * (the application's, else the IDL's) answers with FERRY_FALLBACK, so the
 * caller can tell a degraded answer from a real one. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

static const ferry_method *method(int index)
{
    return &ferrytest_v1_probe_desc.methods[index];
}

/* A channel to an address where nothing listens. */
static ferry_channel *dead_channel(char **url)
{
    *url = probe_ipc_url();
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.connect_timeout_ms = 100, .retry = {.max_attempts = 1}};
    assert_int_equal(ferry_client_open(&ch, *url, &co), FERRY_OK);
    return ch;
}

static ferry_status cached(void *arg, const ferry_method *m, const ProtobufCMessage *req,
                           ferry_status cause, ProtobufCMessage *resp)
{
    static char text[128];
    int *calls = arg;
    (*calls)++;
    assert_true(cause == FERRY_UNAVAILABLE || cause == FERRY_DEADLINE_EXCEEDED);
    assert_ptr_equal(resp->descriptor, m->output);
    const Ferrytest__V1__EchoRequest *r = (const Ferrytest__V1__EchoRequest *)req;
    snprintf(text, sizeof text, "cached:%s", r != NULL ? r->text : "?");
    ((Ferrytest__V1__EchoReply *)resp)->text = text; /* static: the runtime copies it */
    return FERRY_OK;
}

/* Calls Lookup under a deadline no loaded machine comes near: a call that
 * fails here does so as the test makes it (no server, a refusal, an open
 * breaker), never by running out of time on its way. */
static ferry_status lookup(ferry_channel *ch, const char *text, Ferrytest__V1__EchoReply **resp,
                           ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    return ferrytest_v1_probe_lookup(ch, &req, resp, &opts);
}

static void test_idl_empty_fallback(void **state)
{
    (void)state;
    char *url;
    ferry_channel *ch = dead_channel(&url);
    ferry_call_info info;
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(lookup(ch, "x", &resp, &info), FERRY_FALLBACK);
    assert_int_equal(info.status, FERRY_FALLBACK);
    assert_non_null(resp);
    assert_string_equal(resp->text, ""); /* the empty response */
    assert_non_null(strstr(info.message, "fallback after unavailable: no connection"));
    ferry_message_free(&resp->base);

    /* A method without a fallback gets the error. */
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_UNAVAILABLE);
    assert_null(resp);
    ferry_channel_close(ch);
    probe_url_free(url);
}

static ferry_status guess(ferry_channel *ch, const char *text, Ferrytest__V1__EchoReply **resp,
                          ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    return ferrytest_v1_probe_guess(ch, &req, resp, &opts);
}

/* Exactly what probe.proto's fallback_default text declares for Guess. */
static void assert_declared_default(const Ferrytest__V1__EchoReply *r)
{
    assert_string_equal(r->text, "guessed");
    assert_int_equal(r->payload.len, 2);
    assert_memory_equal(r->payload.data, "\x00\xff", 2);
    assert_int_equal(r->remaining_ms, 42);
    assert_string_equal(r->client_name, "offline");
    assert_string_equal(r->client_version, ""); /* not in the text: its default */
    assert_int_equal(r->api_version, 3);
    assert_int_equal(r->n_md_values, 3);
    assert_string_equal(r->md_values[0], "a");
    assert_string_equal(r->md_values[1], "b");
    assert_string_equal(r->md_values[2], "c");
    assert_true(r->seq == UINT64_MAX);
}

/* A server that goes away: Guess answers with the IDL's text default,
 * field for field, marked as a fallback; before, the server's real answer. */
static void test_idl_default_fallback(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 2, bound, sizeof bound);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.retry = {.max_attempts = 1}};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);
    ferry_call_info info;
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(guess(ch, "live", &resp, &info), FERRY_OK);
    assert_string_equal(resp->text, "live");
    assert_true(resp->seq != UINT64_MAX);
    ferry_message_free(&resp->base);

    ferry_server_free(srv); /* the outage */
    for (int i = 0; i < 2; i++) {
        resp = NULL;
        assert_int_equal(guess(ch, "x", &resp, &info), FERRY_FALLBACK);
        assert_int_equal(info.status, FERRY_FALLBACK);
        assert_non_null(strstr(info.message, "fallback after "));
        assert_non_null(resp);
        assert_declared_default(resp);
        ferry_message_free(&resp->base); /* caller-owned, like a real answer */
    }

    /* The application's function overrides the IDL's default... */
    int calls = 0;
    assert_int_equal(
        ferry_client_set_fallback(ch, method(FERRYTEST_V1_PROBE_GUESS), cached, &calls), FERRY_OK);
    assert_int_equal(guess(ch, "k", &resp, &info), FERRY_FALLBACK);
    assert_string_equal(resp->text, "cached:k");
    assert_int_equal(calls, 1);
    ferry_message_free(&resp->base);
    /* ... until it is removed. */
    assert_int_equal(ferry_client_set_fallback(ch, method(FERRYTEST_V1_PROBE_GUESS), NULL, NULL),
                     FERRY_OK);
    assert_int_equal(guess(ch, "k", &resp, &info), FERRY_FALLBACK);
    assert_declared_default(resp);
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
    probe_url_free(url);
}

static void test_application_fallback_overrides(void **state)
{
    (void)state;
    char *url;
    ferry_channel *ch = dead_channel(&url);
    int calls = 0;
    assert_int_equal(
        ferry_client_set_fallback(ch, method(FERRYTEST_V1_PROBE_LOOKUP), cached, &calls), FERRY_OK);
    ferry_call_info info;
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(lookup(ch, "HAM-16", &resp, &info), FERRY_FALLBACK);
    assert_string_equal(resp->text, "cached:HAM-16");
    assert_int_equal(calls, 1);
    ferry_message_free(&resp->base);

    /* Removed: the IDL's empty fallback applies again. */
    assert_int_equal(ferry_client_set_fallback(ch, method(FERRYTEST_V1_PROBE_LOOKUP), NULL, NULL),
                     FERRY_OK);
    assert_int_equal(lookup(ch, "HAM-16", &resp, &info), FERRY_FALLBACK);
    assert_string_equal(resp->text, "");
    ferry_message_free(&resp->base);

    /* A method the IDL gives no fallback can get one at run time. */
    assert_int_equal(ferry_client_set_fallback(ch, method(FERRYTEST_V1_PROBE_ECHO), cached, &calls),
                     FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "e";
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_FALLBACK);
    assert_string_equal(resp->text, "cached:e");
    ferry_message_free(&resp->base);

    /* Not a remote channel. */
    ferry_channel *local = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_client_set_fallback(local, method(0), cached, &calls),
                     FERRY_INVALID_ARGUMENT);
    ferry_channel_close(local);
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* An answer is an answer: application errors are never replaced. */
static void test_no_fallback_for_answers(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_NOT_FOUND;
    req.fail_message = "no such thing";
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_lookup(l.ch, &req, &resp, &opts), FERRY_NOT_FOUND);
    assert_null(resp);
    assert_string_equal(info.message, "no such thing");
    /* And a real answer is FERRY_OK, not a fallback. */
    req.fail_status = 0;
    req.text = "real";
    assert_int_equal(ferrytest_v1_probe_lookup(l.ch, &req, &resp, &opts), FERRY_OK);
    assert_string_equal(resp->text, "real");
    ferry_message_free(&resp->base);
    probe_link_close(&l);
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    char text[64];
} waiter;

static void on_lookup(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                      const ferry_call_info *info)
{
    waiter *w = arg;
    assert_int_equal(info->status, st);
    pthread_mutex_lock(&w->mu);
    w->st = st;
    snprintf(w->text, sizeof w->text, "%s", resp != NULL ? resp->text : "(none)");
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (resp != NULL)
        ferry_message_free(&resp->base);
}

static void test_async_fallback_gets_the_request(void **state)
{
    (void)state;
    char *url;
    ferry_channel *ch = dead_channel(&url);
    int calls = 0;
    assert_int_equal(
        ferry_client_set_fallback(ch, method(FERRYTEST_V1_PROBE_LOOKUP), cached, &calls), FERRY_OK);
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async-key";
    assert_int_equal(ferrytest_v1_probe_lookup_async(ch, &req, NULL, on_lookup, &w), FERRY_OK);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.st, FERRY_FALLBACK);
    assert_string_equal(w.text, "cached:async-key");
    ferry_channel_close(ch);
    probe_url_free(url);
}

typedef struct guess_waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    Ferrytest__V1__EchoReply *resp;
} guess_waiter;

static void on_guess(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                     const ferry_call_info *info)
{
    (void)info;
    guess_waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->resp = resp; /* checked and freed by the test's thread */
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* The async path returns the same default. */
static void test_idl_default_fallback_async(void **state)
{
    (void)state;
    char *url;
    ferry_channel *ch = dead_channel(&url);
    guess_waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    assert_int_equal(ferrytest_v1_probe_guess_async(ch, &req, NULL, on_guess, &w), FERRY_OK);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.st, FERRY_FALLBACK);
    assert_non_null(w.resp);
    assert_declared_default(w.resp);
    ferry_message_free(&w.resp->base);
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* An open circuit answers with the fallback without touching the network. */
static void test_open_breaker_falls_back(void **state)
{
    (void)state;
    ferry_client_opts co = {.retry = {.max_attempts = 1},
                            .breaker = {.window = 4, .min_calls = 2, .open_ms = 60000}};
    probe_link l;
    probe_link_open(&l, 2, &co);
    atomic_store(&probe_fail_unavailable, 2);
    ferry_call_info info;
    Ferrytest__V1__EchoReply *resp = NULL;
    for (int i = 0; i < 2; i++) { /* the server says unavailable: fallbacks, and it opens */
        assert_int_equal(lookup(l.ch, "k", &resp, &info), FERRY_FALLBACK);
        ferry_message_free(&resp->base);
    }
    ferry_breaker_stats b;
    assert_int_equal(ferry_client_breaker(l.ch, method(FERRYTEST_V1_PROBE_LOOKUP), &b), FERRY_OK);
    assert_int_equal(b.state, FERRY_BREAKER_OPEN);
    uint64_t before = atomic_load(&probe_calls);
    assert_int_equal(lookup(l.ch, "k", &resp, &info), FERRY_FALLBACK);
    assert_non_null(strstr(info.message, "circuit breaker open"));
    ferry_message_free(&resp->base);
    assert_int_equal(atomic_load(&probe_calls), before);
    probe_link_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idl_empty_fallback),
        cmocka_unit_test(test_idl_default_fallback),
        cmocka_unit_test(test_idl_default_fallback_async),
        cmocka_unit_test(test_application_fallback_overrides),
        cmocka_unit_test(test_no_fallback_for_answers),
        cmocka_unit_test(test_async_fallback_gets_the_request),
        cmocka_unit_test(test_open_breaker_falls_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
