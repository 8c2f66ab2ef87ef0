/* test_deadline.c - a handler that calls another service passes its
 * remaining deadline on (opts.parent), over the network and in process, and
 * a call whose parent's time is up is not sent at all. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "probe.h"

/* Ghost.Haunt relays to Probe.Echo on the channel in `user`, after sleeping
 * the request's sleep_ms; it answers with what Echo saw of the deadline, or
 * fails with Echo's status. */
static ferry_status haunt(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                          Ferrytest__V1__EchoReply *resp)
{
    ferry_channel *next = user;
    if (req->sleep_ms > 0) {
        struct timespec ts = {.tv_sec = req->sleep_ms / 1000,
                              .tv_nsec = (long)(req->sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
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
    assert_int_equal(ferry_client_open(&c->to_probe, bound, NULL), FERRY_OK);
    ferry_server_opts so = {.workers = 2};
    assert_int_equal(ferry_server_new(&c->relay, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_ghost_register(c->relay, &ghost, c->to_probe), FERRY_OK);
    assert_int_equal(ferry_server_listen(c->relay, c->url_ghost, NULL, 0), FERRY_OK);
    assert_int_equal(ferry_client_open(&c->to_ghost, c->url_ghost, NULL), FERRY_OK);
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

static void test_deadline_travels_through_a_relay(void **state)
{
    (void)state;
    chain c;
    chain_start(&c);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "relay";
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 4000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(c.to_ghost, &req, &resp, &opts), FERRY_OK);
    /* The probe saw the caller's 4 s, not the channel's 5 s default. */
    assert_true(resp->remaining_ms > 0 && resp->remaining_ms <= 4000);
    ferry_message_free(&resp->base);
    chain_stop(&c);
}

static void test_spent_deadline_is_not_passed_on(void **state)
{
    (void)state;
    chain c;
    chain_start(&c);
    uint64_t before = atomic_load(&probe_calls);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "late";
    req.sleep_ms = 600; /* the relay outlives the caller's deadline */
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 300, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(c.to_ghost, &req, &resp, &opts),
                     FERRY_DEADLINE_EXCEEDED);
    /* Stop the relay (it waits for its handler), then check: the relay's own
     * call to the probe was never sent. */
    ferry_server_shutdown(c.relay, 5000);
    assert_int_equal(atomic_load(&probe_calls), before);
    chain_stop(&c);
}

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
    assert_true(resp->remaining_ms > 0 && resp->remaining_ms <= 2500);
    ferry_message_free(&resp->base);

    uint64_t before = atomic_load(&probe_calls);
    req.sleep_ms = 300;
    opts.deadline_ms = 100;
    ferry_call_info info;
    opts.info = &info;
    assert_int_equal(ferrytest_v1_ghost_haunt(relay, &req, &resp, &opts), FERRY_DEADLINE_EXCEEDED);
    assert_non_null(strstr(info.message, "deadline"));
    assert_int_equal(atomic_load(&probe_calls), before);
    ferry_channel_close(relay);
    ferry_channel_close(probe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_travels_through_a_relay),
        cmocka_unit_test(test_spent_deadline_is_not_passed_on),
        cmocka_unit_test(test_parent_deadline_on_local_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
