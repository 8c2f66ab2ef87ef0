/* test_deadline.c - a handler that calls another service passes its
 * remaining deadline on (opts.parent), over the network and in process, and
 * a call whose parent's time is up is not sent at all. ferry's clock is the
 * test clock throughout: the relay's work moves it, so what is left of a
 * deadline is known to the millisecond. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/testclock.h"
#include "probe.h"

/* Ghost.Haunt relays to Probe.Echo on the channel in `user`, after work of
 * its own that takes the request's sleep_ms (it moves the test clock by
 * that); it answers with what Echo saw of the deadline, or fails with
 * Echo's status. */
static ferry_status haunt(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                          Ferrytest__V1__EchoReply *resp)
{
    ferry_channel *next = user;
    ferry_test_clock_advance(req->sleep_ms);
    Ferrytest__V1__EchoRequest fwd = FERRYTEST__V1__ECHO_REQUEST__INIT;
    fwd.text = req->text;
    ferry_call_info info;
    ferry_call_opts opts = {.parent = call, .info = &info};
    Ferrytest__V1__EchoReply *r = NULL;
    ferry_status st = ferrytest_v1_probe_echo(next, &fwd, &r, &opts);
    if (st != FERRY_OK)
        return ferry_call_fail(call, st, "relay: %s", info.message);
    resp->remaining_ms = r->remaining_ms;
    ferry_message_free(&r->base);
    return FERRY_OK;
}

static const ferrytest_v1_ghost_handlers ghost = {.haunt = haunt};

typedef struct chain {
    char *url_probe, *url_ghost;
    ferry_server *probe, *relay;
    ferry_channel *to_probe, *to_ghost;
} chain;

/* client → relay server (Ghost) → probe server (Probe) */
static void chain_start(chain *c)
{
    char bound[256];
    c->url_probe = probe_ipc_url();
    c->url_ghost = probe_ipc_url();
    c->probe = probe_serve(c->url_probe, 2, bound, sizeof bound);
    /* The relay's channel default (a relayed call's deadline is at most
     * that, and at most what its parent has left) is above every deadline
     * here: what the probe sees is what the parent had left. Both channels
     * wait up to 20 s for their first connection (the default is 1 s),
     * which a loaded machine may bring up late. */
    ferry_client_opts co = {.default_deadline_ms = 120000, .connect_timeout_ms = 20000};
    assert_int_equal(ferry_client_open(&c->to_probe, bound, &co), FERRY_OK);
    ferry_server_opts so = {.workers = 2};
    assert_int_equal(ferry_server_new(&c->relay, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_ghost_register(c->relay, &ghost, c->to_probe), FERRY_OK);
    assert_int_equal(ferry_server_listen(c->relay, c->url_ghost, NULL, 0), FERRY_OK);
    ferry_client_opts patient = {.connect_timeout_ms = 20000};
    assert_int_equal(ferry_client_open(&c->to_ghost, c->url_ghost, &patient), FERRY_OK);
}

static void chain_stop(chain *c)
{
    ferry_channel_close(c->to_ghost);
    ferry_server_free(c->relay);
    ferry_channel_close(c->to_probe);
    ferry_server_free(c->probe);
    probe_url_free(c->url_ghost);
    probe_url_free(c->url_probe);
}

/* The probe at the end of a chain of servers sees the caller's deadline
 * (not the relay channel's default) less what the relay spent, to the
 * millisecond. The deadlines are long: nng times the calls on the wire in
 * real time, and a loaded machine must not run them out. */
static void test_deadline_travels_through_a_relay(void **state)
{
    (void)state;
    chain c;
    chain_start(&c);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "relay";
    req.sleep_ms = 1500;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 60000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(c.to_ghost, &req, &resp, &opts), FERRY_OK);
    assert_int_equal(resp->remaining_ms, 58500);
    ferry_message_free(&resp->base);
    chain_stop(&c);
}

/* A relay that has spent its caller's whole deadline does not send its own
 * call: the caller gets deadline exceeded, and the probe never runs. */
static void test_spent_deadline_is_not_passed_on(void **state)
{
    (void)state;
    chain c;
    chain_start(&c);
    uint64_t before = atomic_load(&probe_calls);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "late";
    req.sleep_ms = 60000; /* on the test clock: no real wait */
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 60000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(c.to_ghost, &req, &resp, &opts),
                     FERRY_DEADLINE_EXCEEDED);
    assert_non_null(strstr(info.message, "relay"));
    assert_int_equal(atomic_load(&probe_calls), before);
    chain_stop(&c);
}

/* In process, with no network in between: the relayed call gets exactly
 * what is left, down to the last millisecond. */
static void test_parent_deadline_on_local_channel(void **state)
{
    (void)state;
    ferry_channel *probe = NULL, *relay = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&probe, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferrytest_v1_ghost_local_open(&relay, &ghost, probe), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "local";
    ferry_call_opts opts = {.deadline_ms = 2500};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(relay, &req, &resp, &opts), FERRY_OK);
    assert_int_equal(resp->remaining_ms, 2500);
    ferry_message_free(&resp->base);

    req.sleep_ms = 299;
    opts.deadline_ms = 300;
    assert_int_equal(ferrytest_v1_ghost_haunt(relay, &req, &resp, &opts), FERRY_OK);
    assert_int_equal(resp->remaining_ms, 1);
    ferry_message_free(&resp->base);
    ferry_channel_close(relay);
    ferry_channel_close(probe);
}

/* In process, a relay that has spent the whole deadline does not call on. */
static void test_spent_parent_deadline_on_local_channel(void **state)
{
    (void)state;
    ferry_channel *probe = NULL, *relay = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&probe, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferrytest_v1_ghost_local_open(&relay, &ghost, probe), FERRY_OK);
    uint64_t before = atomic_load(&probe_calls);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "local";
    req.sleep_ms = 300;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 300, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(relay, &req, &resp, &opts), FERRY_DEADLINE_EXCEEDED);
    assert_non_null(strstr(info.message, "deadline"));
    assert_int_equal(atomic_load(&probe_calls), before);
    ferry_channel_close(relay);
    ferry_channel_close(probe);
}

static int start_clock(void **state)
{
    (void)state;
    return ferry_test_clock_start() == FERRY_OK ? 0 : -1;
}

static int stop_clock(void **state)
{
    (void)state;
    ferry_test_clock_stop();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_travels_through_a_relay),
        cmocka_unit_test(test_spent_deadline_is_not_passed_on),
        cmocka_unit_test(test_parent_deadline_on_local_channel),
        cmocka_unit_test(test_spent_parent_deadline_on_local_channel),
    };
    return cmocka_run_group_tests(tests, start_clock, stop_clock);
}
