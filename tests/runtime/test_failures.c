/* test_failures.c - when the server is slow, gone, or shutting down, every
 * call ends within its deadline with a clear status, and none hangs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

static void test_slow_handler_deadline(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    ferry_call_info info;
    /* Connected first: a first call under 200 ms would otherwise end as
     * "no connection" when the connection comes up late. */
    assert_int_equal(probe_echo(l.ch, 0, 20000, &info), FERRY_OK);
    assert_int_equal(probe_echo(l.ch, 3000, 200, &info), FERRY_DEADLINE_EXCEEDED);
    assert_non_null(strstr(info.message, "within 200 ms"));
    /* The channel still works after the timed-out call. */
    assert_int_equal(probe_echo(l.ch, 0, 20000, &info), FERRY_OK);
    probe_link_close(&l);
}

static uint64_t frames_received(ferry_server *srv)
{
    ferry_server_counters c;
    ferry_server_get_counters(srv, &c);
    return c.received;
}

/* A request whose deadline passes while it waits for a worker is refused
 * without running its handler. The only worker is held until the request
 * has reached the server and its 300 ms are long over there, so the
 * worker is never free in time, however slow the machine. */
static void test_expired_work_not_run(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 1, NULL);
    uint64_t base = atomic_load(&probe_calls);

    probe_gate_shut();
    probe_bg_call busy;
    probe_bg_start(&busy, l.ch, PROBE_HELD, 60000); /* holds the only worker */
    assert_true(probe_wait_calls(base + 1));
    uint64_t received = frames_received(l.srv);
    ferry_call_info info;
    assert_int_equal(probe_echo(l.ch, 0, 300, &info), FERRY_DEADLINE_EXCEEDED);
    /* The server took its deadline when it read it (just after counting
     * it): 2 s later it is over by far. */
    for (int i = 0; i < 2000 && frames_received(l.srv) <= received; i++)
        probe_nap_ms(10);
    assert_true(frames_received(l.srv) > received);
    probe_nap_ms(2000);
    probe_gate_open();
    assert_int_equal(probe_bg_join(&busy), FERRY_OK);
    ferry_server_shutdown(l.srv, 5000); /* lets the queued expired request drain */
    assert_int_equal(atomic_load(&probe_calls), base + 1);

    probe_link_close(&l);
}

static void test_unreachable_server(void **state)
{
    (void)state;
    char *url = probe_ipc_url(); /* nobody listens here */
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.connect_timeout_ms = 300};
    assert_int_equal(ferry_client_open(&ch, url, &co), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo(ch, 0, 30000, &info), FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "no connection"));
    assert_true(info.not_run);
    assert_false(info.answered); /* no server said anything */
    /* A deadline shorter than the connect timeout bounds the wait too. */
    ferry_client_opts co2 = {.connect_timeout_ms = 30000};
    ferry_channel *ch2 = NULL;
    assert_int_equal(ferry_client_open(&ch2, url, &co2), FERRY_OK);
    assert_int_equal(probe_echo(ch2, 0, 200, &info), FERRY_UNAVAILABLE);
    ferry_channel_close(ch2);
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* A failure a server answers with is marked answered, unlike one no
 * server could be reached for (test_unreachable_server). */
static void test_failure_answered(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_UNAVAILABLE;
    req.fail_message = "not today";
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts o = {.deadline_ms = 20000, .info = &info};
    assert_int_equal(ferrytest_v1_probe_write(l.ch, &req, &resp, &o), FERRY_UNAVAILABLE);
    assert_true(info.answered);
    assert_false(info.not_run); /* its handler ran */
    assert_string_equal(info.message, "not today");
    probe_link_close(&l);
}

/* How many Echo handlers the server behind `ch` has started, this call's
 * included: Echo answers with that count (seq), kept in the server's
 * process. */
static uint64_t echo_runs(ferry_channel *ch)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "count";
    ferry_call_opts opts = {.deadline_ms = 20000};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_OK);
    uint64_t seq = resp->seq;
    ferry_message_free(&resp->base);
    return seq;
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
    assert_int_equal(probe_echo(ch, 0, 20000, &info), FERRY_OK);

    /* Three calls held at the server (of its four workers: the fourth
     * answers the counting calls), and the kill only once all three
     * handlers have started there. */
    probe_bg_call inflight[3];
    for (int i = 0; i < 3; i++)
        probe_bg_start(&inflight[i], ch, 10000, 60000);
    uint64_t started = 0;
    for (uint64_t counted = 1; counted <= 20000; counted++) {
        started = echo_runs(ch) - 1 - counted; /* less the first call and the counting ones */
        if (started >= 3)
            break;
        probe_nap_ms(1);
    }
    assert_int_equal(started, 3);
    probe_kill(pid);
    for (int i = 0; i < 3; i++) {
        /* Not a deadline: the lost connection ended them. */
        assert_int_equal(probe_bg_join(&inflight[i]), FERRY_UNAVAILABLE);
    }
    assert_int_equal(probe_echo(ch, 0, 60000, &info), FERRY_UNAVAILABLE);

    pid = probe_spawn(url, bound, sizeof bound);
    ferry_status st = FERRY_UNAVAILABLE;
    for (int i = 0; i < 400 && st != FERRY_OK; i++) {
        st = probe_echo(ch, 0, 5000, &info);
        if (st != FERRY_OK)
            probe_nap_ms(25);
    }
    assert_int_equal(st, FERRY_OK);

    ferry_channel_close(ch);
    probe_kill(pid);
    probe_url_free(url);
}

/* Graceful shutdown: calls in flight finish and get their replies; calls
 * that arrive while it drains get unavailable "shutting down". */
static void test_shutdown_drains_in_flight(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 4, NULL);
    uint64_t base = atomic_load(&probe_calls);

    /* Held until the test has seen a call turned away: the drain cannot
     * end before, however slow the machine. */
    probe_gate_shut();
    probe_bg_call calls[3];
    for (int i = 0; i < 3; i++)
        probe_bg_start(&calls[i], l.ch, PROBE_HELD, 60000);
    assert_true(probe_wait_calls(base + 3));

    probe_bg_shutdown shut;
    probe_bg_shutdown_start(&shut, l.srv, 30000);
    /* While it drains, a new call is turned away (and never runs). */
    ferry_call_info info;
    ferry_status st = FERRY_OK;
    for (int i = 0; i < 2000 && st == FERRY_OK; i++) {
        st = probe_echo(l.ch, 0, 20000, &info);
        if (st == FERRY_OK)
            probe_nap_ms(5); /* the shutdown thread may not have started yet */
    }
    probe_gate_open();
    assert_int_equal(st, FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "shutting down"));

    for (int i = 0; i < 3; i++)
        assert_int_equal(probe_bg_join(&calls[i]), FERRY_OK);
    probe_bg_shutdown_join(&shut);

    probe_link_close(&l);
}

/* Shutdown without grace: a handler still running has its reply dropped, its
 * caller sees the connection close, and shutdown waits for the handler. */
static void test_shutdown_without_grace(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    uint64_t base = atomic_load(&probe_calls);

    /* Long enough that the shutdown surely starts while it runs. */
    probe_bg_call call;
    probe_bg_start(&call, l.ch, 5000, 60000);
    assert_true(probe_wait_calls(base + 1));
    ferry_server_shutdown(l.srv, 0);
    assert_int_equal(probe_bg_join(&call), FERRY_UNAVAILABLE);

    probe_link_close(&l);
}

/* A client that hangs up while its call runs is no connection that does
 * not read: its reply has nobody to go to, and the server counts nothing
 * as dropped (that counter, and its metric, are for connections muted for
 * not reading their replies). */
static void test_client_gone_is_not_dropped(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 2, bound, sizeof bound);
    uint64_t before = atomic_load(&probe_calls);
    probe_gate_shut();
    int fd = probe_raw_connect(bound);
    assert_true(fd >= 0);
    assert_int_equal(probe_raw_send_echo(fd, 1, PROBE_HELD, 0), 0);
    assert_true(probe_wait_calls(before + 1));
    close(fd);
    probe_nap_ms(100); /* a pause for the server to see it gone, not a measure */
    probe_gate_open();
    ferry_server_shutdown(srv, 20000);
    ferry_server_counters n;
    ferry_server_get_counters(srv, &n);
    assert_int_equal(n.handled, 1);
    assert_int_equal(n.dropped, 0);
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_handler_deadline),
        cmocka_unit_test(test_expired_work_not_run),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_failure_answered),
        cmocka_unit_test(test_server_killed_and_restarted),
        cmocka_unit_test(test_shutdown_drains_in_flight),
        cmocka_unit_test(test_shutdown_without_grace),
        cmocka_unit_test(test_client_gone_is_not_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
