/* test_concurrency.c - many threads share one channel with many calls in
 * flight, and every caller gets its own answer. */
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

enum { THREADS = 16, CALLS = 250 };

/* The first calls wait up to 20 s for the channel's first connection (the
 * default is 1 s): sixteen threads start calling at once on a fresh channel,
 * and a loaded machine may bring the connection up late. */
static const ferry_client_opts patient = {.connect_timeout_ms = 20000};

typedef struct worker {
    pthread_t thread;
    ferry_channel *ch;
    int id;
    int ok;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < CALLS; i++) {
        char text[64];
        snprintf(text, sizeof text, "thread %d call %d", w->id, i);
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = text;
        req.payload.data = (uint8_t *)text;
        req.payload.len = strlen(text);
        ferry_call_opts opts = {.deadline_ms = 60000};
        Ferrytest__V1__EchoReply *resp = NULL;
        if (ferrytest_v1_probe_echo(w->ch, &req, &resp, &opts) == FERRY_OK &&
            strcmp(resp->text, text) == 0 && resp->payload.len == strlen(text) &&
            memcmp(resp->payload.data, text, resp->payload.len) == 0)
            w->ok++;
        if (resp != NULL)
            ferry_message_free(&resp->base);
    }
    return NULL;
}

static void many_callers_on(const char *listen_url, int inline_handlers)
{
    char bound[256];
    ferry_server_opts so = {.workers = 4, .inline_handlers = inline_handlers};
    ferry_server *srv = probe_serve_opts(listen_url, &so, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, &patient), FERRY_OK);
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.ch = ch, .id = i};
        assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(w[i].thread, NULL);
        assert_int_equal(w[i].ok, CALLS);
    }
    ferry_server_counters c;
    ferry_server_get_counters(srv, &c);
    assert_int_equal(c.handled, THREADS * CALLS);
    assert_int_equal(c.rejected, 0);
    ferry_channel_close(ch);
    ferry_server_free(srv);
}

static void many_callers(const char *listen_url)
{
    many_callers_on(listen_url, 0);
}

/* Handlers run on nng's threads: the same answers, no pool. */
static void test_many_callers_inline(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    many_callers_on(url, 1);
    probe_url_free(url);
}

static void test_many_callers_ipc(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    many_callers(url);
    probe_url_free(url);
}

static void test_many_callers_tcp(void **state)
{
    (void)state;
    many_callers("tcp://127.0.0.1:0");
}

/* Handlers that block on a server with a large pool take at most some of
 * nng's threads (server.c lends no more than one per CPU): another server
 * of the same process keeps answering while every one of them is asleep.
 * Were all of nng's threads lent, its call could not be read until the
 * sleepers woke, after its deadline. */
static void test_sleeping_handlers_leave_threads_for_io(void **state)
{
    (void)state;
    enum { SLEEPERS = 40 };
    char *url_a = probe_ipc_url(), *url_b = probe_ipc_url();
    char bound_a[256], bound_b[256];
    ferry_server_opts so = {.workers = SLEEPERS, .max_in_flight = 2 * SLEEPERS};
    ferry_server *a = probe_serve_opts(url_a, &so, bound_a, sizeof bound_a);
    ferry_server *b = probe_serve(url_b, 2, bound_b, sizeof bound_b);
    ferry_channel *ch_a = NULL, *ch_b = NULL;
    assert_int_equal(ferry_client_open(&ch_a, bound_a, &patient), FERRY_OK);
    assert_int_equal(ferry_client_open(&ch_b, bound_b, &patient), FERRY_OK);

    probe_bg_call bg[SLEEPERS];
    for (int i = 0; i < SLEEPERS; i++)
        probe_bg_start(&bg[i], ch_a, 12000, 60000);
    assert_true(probe_wait_calls(SLEEPERS)); /* every sleeper is in its handler */
    assert_int_equal(probe_echo(ch_b, 0, 8000, NULL), FERRY_OK);
    for (int i = 0; i < SLEEPERS; i++)
        assert_int_equal(probe_bg_join(&bg[i]), FERRY_OK);

    ferry_channel_close(ch_a);
    ferry_channel_close(ch_b);
    ferry_server_free(a);
    ferry_server_free(b);
    probe_url_free(url_a);
    probe_url_free(url_b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleeping_handlers_leave_threads_for_io),
        cmocka_unit_test(test_many_callers_ipc),
        cmocka_unit_test(test_many_callers_tcp),
        cmocka_unit_test(test_many_callers_inline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
