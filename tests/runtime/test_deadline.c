/* test_deadline.c - a handler that calls another service passes its
 * remaining deadline on (opts.parent), over the network and in process, and
 * a call whose parent's time is up is not sent at all. ferry's clock is the
 * test clock throughout: the relay's work moves it, so what is left of a
 * deadline is known to the millisecond. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/balance.h"
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

typedef struct done_box {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
} done_box;

static void box_done(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                     const ferry_call_info *info)
{
    (void)info;
    done_box *b = arg;
    if (resp != NULL)
        ferry_message_free(&resp->base);
    pthread_mutex_lock(&b->mu);
    b->st = st;
    b->done = 1;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void box_start(ferry_channel *ch, done_box *b, uint32_t sleep_ms, uint32_t deadline_ms)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "in turn";
    req.sleep_ms = sleep_ms;
    ferry_call_opts opts = {.deadline_ms = deadline_ms};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, box_done, b), FERRY_OK);
}

static ferry_status box_wait(done_box *b)
{
    pthread_mutex_lock(&b->mu);
    while (!b->done)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    return b->st;
}

/* A request that waits for its connection's turn spends the wait out of
 * its deadline: the server counts it from the request's arrival, so one
 * whose deadline passed while a slow call of its connection ran is refused
 * unrun when its turn comes (it ran once: its time was counted from its
 * turn). On the test clock: the slow call is held at the probe's gate while
 * the clock moves past the waiting call's deadline. A third call behind it
 * shows when its turn has come and gone. */
static void test_wait_for_turn_counts_against_deadline(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve_opts(url,
                                         &(ferry_server_opts){.workers = 2,
                                                              .max_in_flight_per_connection = 1,
                                                              .serve_roles_without_identity = 1},
                                         bound, sizeof bound);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);
    uint64_t before = atomic_load(&probe_calls);

    done_box slow = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    done_box late = slow, after = slow;
    probe_gate_shut();
    box_start(ch, &slow, PROBE_HELD, 60000);
    assert_true(probe_wait_calls(before + 1)); /* the slow call runs, held */
    box_start(ch, &late, 0, 500);
    ferry_server_counters n = {0};
    for (int i = 0; i < 2000 && n.waited == 0; i++) {
        probe_nap_ms(10);
        ferry_server_get_counters(srv, &n);
    }
    assert_true(n.waited >= 1); /* the late call waits its turn */
    ferry_test_clock_advance(600);
    probe_gate_open();
    assert_int_equal(box_wait(&slow), FERRY_OK);
    assert_int_equal(box_wait(&late), FERRY_DEADLINE_EXCEEDED);
    box_start(ch, &after, 0, 60000);
    assert_int_equal(box_wait(&after), FERRY_OK);
    assert_int_equal(atomic_load(&probe_calls), before + 2);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* What the server's after hook saw of the last call whose request said
 * "waits" (atomics: the hook runs on the server's threads). */
static _Atomic uint64_t waited_total_us, waited_queued_us;

static void note_wait(void *arg, const ferry_call_event *ev)
{
    (void)arg;
    /* The echo request's text is not in the event: the call id tells the
     * second call of the connection (the one that waits) apart. */
    if (ev->call_id >= 2) {
        atomic_store(&waited_total_us, ev->total_us);
        atomic_store(&waited_queued_us, ev->queued_us);
    }
}

/* A request that waits for its connection's turn has its wait in its
 * figures, as in its deadline: the interceptors (so the metrics' call and
 * queue times, and the trace) see the time from its arrival, not from its
 * turn. On the test clock: the first call is held while the clock moves
 * 600 ms. */
static void test_wait_for_turn_counts_in_figures(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = NULL;
    ferry_server_opts so = {
        .workers = 2, .max_in_flight_per_connection = 1, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    ferry_interceptor ic = {.after = note_wait};
    assert_int_equal(ferry_server_add_interceptor(srv, &ic), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, bound, sizeof bound), FERRY_OK);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);
    atomic_store(&waited_total_us, 0);
    uint64_t before = atomic_load(&probe_calls);

    done_box slow = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    done_box waits = slow;
    probe_gate_shut();
    box_start(ch, &slow, PROBE_HELD, 60000);
    assert_true(probe_wait_calls(before + 1)); /* the first call runs, held */
    box_start(ch, &waits, 0, 60000);
    ferry_server_counters n = {0};
    for (int i = 0; i < 2000 && n.waited == 0; i++) {
        probe_nap_ms(10);
        ferry_server_get_counters(srv, &n);
    }
    assert_true(n.waited >= 1); /* the second waits its turn */
    ferry_test_clock_advance(600);
    probe_gate_open();
    assert_int_equal(box_wait(&slow), FERRY_OK);
    assert_int_equal(box_wait(&waits), FERRY_OK);
    ferry_server_shutdown(srv, 20000); /* the after hooks have run */
    assert_true(atomic_load(&waited_total_us) >= 600000);
    assert_true(atomic_load(&waited_queued_us) >= 600000);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* What haunt_lookup() saw of its calls. */
static struct {
    ferry_status sync_st, async_st;
    int sync_resp;   /* the synchronous call returned a response */
    done_box *async; /* the asynchronous call's completion */
} looked;

/* Ghost.Haunt that spends the request's sleep_ms, then calls Probe.Lookup
 * (which has an IDL fallback) on the channel in `user` as its child, once
 * synchronously and once asynchronously, and notes how each went. */
static ferry_status haunt_lookup(void *user, ferry_call *call,
                                 const Ferrytest__V1__EchoRequest *req,
                                 Ferrytest__V1__EchoReply *resp)
{
    (void)resp;
    ferry_channel *next = user;
    ferry_test_clock_advance(req->sleep_ms);
    Ferrytest__V1__EchoRequest fwd = FERRYTEST__V1__ECHO_REQUEST__INIT;
    fwd.text = req->text;
    ferry_call_opts opts = {.parent = call};
    Ferrytest__V1__EchoReply *r = NULL;
    looked.sync_st = ferrytest_v1_probe_lookup(next, &fwd, &r, &opts);
    looked.sync_resp = r != NULL;
    ferry_message_free(r != NULL ? &r->base : NULL);
    looked.async_st = ferrytest_v1_probe_lookup_async(next, &fwd, &opts, box_done, looked.async);
    return FERRY_OK;
}

static const ferrytest_v1_ghost_handlers ghost_lookup = {.haunt = haunt_lookup};

/* A relay that has spent its whole deadline does not call on through a
 * balancing channel either: the call fails with deadline exceeded, unsent,
 * and the method's IDL fallback does not answer in its place (as on one
 * server's channel, where a call whose parent's time is up is no outage). */
static void test_spent_parent_deadline_on_balancing_channel(void **state)
{
    (void)state;
    ferry_channel *bal = NULL, *relay = NULL;
    assert_int_equal(ferry_balance_open(
                         &bal, "ipc:///nonexistent/ferry-a,ipc:///nonexistent/ferry-b", NULL, NULL),
                     FERRY_OK);
    assert_int_equal(ferrytest_v1_ghost_local_open(&relay, &ghost_lookup, bal), FERRY_OK);
    done_box box = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    looked.async = &box;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "late";
    req.sleep_ms = 300;
    ferry_call_opts opts = {.deadline_ms = 300};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_ghost_haunt(relay, &req, &resp, &opts), FERRY_OK);
    ferry_message_free(&resp->base);
    assert_int_equal(looked.sync_st, FERRY_DEADLINE_EXCEEDED);
    assert_false(looked.sync_resp);
    assert_int_equal(looked.async_st, FERRY_DEADLINE_EXCEEDED);
    assert_int_equal(box.done, 0); /* not started: no completion */
    ferry_channel_close(relay);
    ferry_channel_close(bal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_for_turn_counts_against_deadline),
        cmocka_unit_test(test_wait_for_turn_counts_in_figures),
        cmocka_unit_test(test_deadline_travels_through_a_relay),
        cmocka_unit_test(test_spent_deadline_is_not_passed_on),
        cmocka_unit_test(test_parent_deadline_on_local_channel),
        cmocka_unit_test(test_spent_parent_deadline_on_local_channel),
        cmocka_unit_test(test_spent_parent_deadline_on_balancing_channel),
    };
    return cmocka_run_group_tests(tests, start_clock, stop_clock);
}
