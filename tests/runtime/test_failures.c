/* test_failures.c - when the server is slow, gone, or shutting down, every
 * call ends within its deadline with a clear status, and none hangs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "probe.h"

static void nap_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static ferry_status echo(ferry_channel *ch, uint32_t sleep_ms, uint32_t deadline_ms,
                         ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "x";
    req.sleep_ms = sleep_ms;
    ferry_call_opts opts = {.deadline_ms = deadline_ms, .info = info};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    if (resp != NULL)
        ferry_message_free(&resp->base);
    return st;
}

/* ---- a call running in another thread ---- */

typedef struct bg_call {
    pthread_t thread;
    ferry_channel *ch;
    uint32_t sleep_ms, deadline_ms;
    ferry_status st;
    ferry_call_info info;
} bg_call;

static void *bg_main(void *arg)
{
    bg_call *b = arg;
    b->st = echo(b->ch, b->sleep_ms, b->deadline_ms, &b->info);
    return NULL;
}

static void bg_start(bg_call *b, ferry_channel *ch, uint32_t sleep_ms, uint32_t deadline_ms)
{
    b->ch = ch;
    b->sleep_ms = sleep_ms;
    b->deadline_ms = deadline_ms;
    assert_int_equal(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

/* Waits until the probe's handler has been entered `n` more times than `base`. */
static void wait_handler_entered(uint64_t base, uint64_t n)
{
    for (int i = 0; i < 2000 && atomic_load(&probe_calls) < base + n; i++)
        nap_ms(10);
    assert_true(atomic_load(&probe_calls) >= base + n);
}

static void test_slow_handler_deadline(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 2, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(echo(ch, 3000, 200, &info), FERRY_DEADLINE_EXCEEDED);
    assert_non_null(strstr(info.message, "within 200 ms"));
    /* The channel still works after the timed-out call. */
    assert_int_equal(echo(ch, 0, 20000, &info), FERRY_OK);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* A request whose deadline passes while it waits for a worker is refused
 * without running its handler. */
static void test_expired_work_not_run(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 1, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    uint64_t base = atomic_load(&probe_calls);

    bg_call busy = {0};
    bg_start(&busy, ch, 1500, 30000); /* holds the only worker */
    wait_handler_entered(base, 1);
    ferry_call_info info;
    assert_int_equal(echo(ch, 0, 300, &info), FERRY_DEADLINE_EXCEEDED);
    pthread_join(busy.thread, NULL);
    assert_int_equal(busy.st, FERRY_OK);
    ferry_server_shutdown(srv, 5000); /* lets the queued expired request drain */
    assert_int_equal(atomic_load(&probe_calls), base + 1);

    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

static void test_unreachable_server(void **state)
{
    (void)state;
    char *url = probe_ipc_url(); /* nobody listens here */
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.connect_timeout_ms = 300};
    assert_int_equal(ferry_client_open(&ch, url, &co), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(echo(ch, 0, 30000, &info), FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "no connection"));
    /* A deadline shorter than the connect timeout bounds the wait too. */
    ferry_client_opts co2 = {.connect_timeout_ms = 30000};
    ferry_channel *ch2 = NULL;
    assert_int_equal(ferry_client_open(&ch2, url, &co2), FERRY_OK);
    assert_int_equal(echo(ch2, 0, 200, &info), FERRY_UNAVAILABLE);
    ferry_channel_close(ch2);
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* The server process dies with calls in flight: they fail at once with
 * unavailable, later calls fail fast, and the same channel recovers when a
 * server comes back on the address. */
static void test_server_killed_and_restarted(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    pid_t pid = probe_spawn(url, bound, sizeof bound);
    ferry_channel *ch = NULL;
    /* The breaker would hold calls back for a while after the outage; this
     * test is about the connection coming back. */
    ferry_client_opts co = {.breaker = {.disabled = 1}};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(echo(ch, 0, 20000, &info), FERRY_OK);

    bg_call inflight[4];
    memset(inflight, 0, sizeof inflight);
    for (int i = 0; i < 4; i++)
        bg_start(&inflight[i], ch, 10000, 60000);
    nap_ms(300); /* let them reach the server */
    probe_kill(pid);
    for (int i = 0; i < 4; i++) {
        pthread_join(inflight[i].thread, NULL);
        /* Not a deadline: the lost connection ended them. */
        assert_int_equal(inflight[i].st, FERRY_UNAVAILABLE);
    }
    assert_int_equal(echo(ch, 0, 60000, &info), FERRY_UNAVAILABLE);

    pid = probe_spawn(url, bound, sizeof bound);
    ferry_status st = FERRY_UNAVAILABLE;
    for (int i = 0; i < 400 && st != FERRY_OK; i++) {
        st = echo(ch, 0, 5000, &info);
        if (st != FERRY_OK)
            nap_ms(25);
    }
    assert_int_equal(st, FERRY_OK);

    ferry_channel_close(ch);
    probe_kill(pid);
    probe_url_free(url);
}

/* Graceful shutdown: calls in flight finish and get their replies; calls
 * that arrive while it drains get unavailable "shutting down". */
static void *shutdown_main(void *arg)
{
    ferry_server_shutdown(arg, 30000);
    return NULL;
}

static void test_shutdown_drains_in_flight(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 4, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    uint64_t base = atomic_load(&probe_calls);

    bg_call calls[3];
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < 3; i++)
        bg_start(&calls[i], ch, 1500, 60000);
    wait_handler_entered(base, 3);

    pthread_t shut;
    assert_int_equal(pthread_create(&shut, NULL, shutdown_main, srv), 0);
    /* While it drains, a new call is turned away (and never runs). */
    ferry_call_info info;
    ferry_status st = FERRY_OK;
    for (int i = 0; i < 2000 && st == FERRY_OK; i++) {
        st = echo(ch, 0, 20000, &info);
        if (st == FERRY_OK)
            nap_ms(5); /* the shutdown thread may not have started yet */
    }
    assert_int_equal(st, FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "shutting down"));

    for (int i = 0; i < 3; i++) {
        pthread_join(calls[i].thread, NULL);
        assert_int_equal(calls[i].st, FERRY_OK);
    }
    pthread_join(shut, NULL);

    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* Shutdown without grace: a handler still running has its reply dropped, its
 * caller sees the connection close, and shutdown waits for the handler. */
static void test_shutdown_without_grace(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 2, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    uint64_t base = atomic_load(&probe_calls);

    bg_call call = {0};
    bg_start(&call, ch, 800, 60000);
    wait_handler_entered(base, 1);
    ferry_server_shutdown(srv, 0);
    pthread_join(call.thread, NULL);
    assert_int_equal(call.st, FERRY_UNAVAILABLE);

    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_handler_deadline),
        cmocka_unit_test(test_expired_work_not_run),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_server_killed_and_restarted),
        cmocka_unit_test(test_shutdown_drains_in_flight),
        cmocka_unit_test(test_shutdown_without_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
