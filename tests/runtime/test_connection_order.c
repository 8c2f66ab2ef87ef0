/* test_connection_order.c - a connection's requests run in the order they
 * arrived (ferry/server.h, max_in_flight_per_connection: further requests
 * wait their turn), also when the server is short of contexts to take a
 * waiting request over as a call ends: a newer request of the connection
 * does not run ahead of its older ones. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

enum { GATES = 8, MAX_STARTS = 16 };

/* Calls whose request names gate n (sleep_ms = n, 1..GATES-1) wait until
 * the test opens it; the order in which handlers started, by text. */
static atomic_int gate_open[GATES];
static pthread_mutex_t starts_mu = PTHREAD_MUTEX_INITIALIZER;
static char starts[MAX_STARTS][8];
static int n_starts;

static ferry_status ordered_echo(void *user, ferry_call *call,
                                 const Ferrytest__V1__EchoRequest *req,
                                 Ferrytest__V1__EchoReply *resp)
{
    (void)user;
    pthread_mutex_lock(&starts_mu);
    if (n_starts < MAX_STARTS)
        snprintf(starts[n_starts++], sizeof starts[0], "%s", req->text);
    pthread_mutex_unlock(&starts_mu);
    uint32_t g = req->sleep_ms < GATES ? req->sleep_ms : 0;
    for (int i = 0; g != 0 && i < 60000 && atomic_load(&gate_open[g]) == 0; i++)
        probe_nap_ms(1);
    resp->text = ferry_call_strdup(call, req->text);
    return FERRY_OK;
}

static int started(void)
{
    pthread_mutex_lock(&starts_mu);
    int n = n_starts;
    pthread_mutex_unlock(&starts_mu);
    return n;
}

/* The place of `text` in the order handlers started; -1 if it never did. */
static int start_of(const char *text)
{
    pthread_mutex_lock(&starts_mu);
    int at = -1;
    for (int i = 0; i < n_starts && at < 0; i++)
        if (strcmp(starts[i], text) == 0)
            at = i;
    pthread_mutex_unlock(&starts_mu);
    return at;
}

static void wait_started(int n)
{
    for (int i = 0; i < 4000 && started() < n; i++)
        probe_nap_ms(5);
    assert_int_equal(started(), n);
}

static void wait_waited(ferry_server *srv, uint64_t n)
{
    ferry_server_counters c = {0};
    for (int i = 0; i < 4000 && c.waited < n; i++) {
        probe_nap_ms(5);
        ferry_server_get_counters(srv, &c);
    }
    assert_true(c.waited >= n);
}

/* One asynchronous call's end. */
typedef struct ended {
    atomic_int done;
    ferry_status st;
} ended;

static void on_end(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                   const ferry_call_info *info)
{
    (void)info;
    ended *e = arg;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    e->st = st;
    atomic_store(&e->done, 1);
}

static void call(ferry_channel *ch, const char *text, uint32_t gate, ended *e)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    req.sleep_ms = gate;
    ferry_call_opts opts = {.deadline_ms = 60000};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_end, e), FERRY_OK);
}

static void wait_ended(ended *e)
{
    for (int i = 0; i < 12000 && atomic_load(&e->done) == 0; i++)
        probe_nap_ms(5);
    assert_int_equal(atomic_load(&e->done), 1);
    assert_int_equal(e->st, FERRY_OK);
}

/* Four contexts, two calls at once per connection. Connection A runs a1
 * and a2 (held), then a3 and a4 wait their turn; connection B's b1 and b2
 * (held) take the last two contexts. When a1 ends no context is left
 * receiving but its own, so no waiting request is taken over then. A's
 * next request, a5, must not run ahead of a3 and a4. */
static void test_newer_request_waits_behind_older(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferrytest_v1_probe_handlers h = probe_handlers;
    h.echo = ordered_echo;
    ferry_server *srv = NULL;
    ferry_server_opts so = {.workers = 4,
                            .max_in_flight = 4,
                            .max_in_flight_per_connection = 2,
                            .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &h, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, bound, sizeof bound), FERRY_OK);
    ferry_channel *a = NULL, *b = NULL;
    ferry_client_opts co = {.wait_for_ready = 1, .retry = {.max_attempts = 1}};
    assert_int_equal(ferry_client_open(&a, bound, &co), FERRY_OK);
    assert_int_equal(ferry_client_open(&b, bound, &co), FERRY_OK);

    ended a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, b1 = {0}, b2 = {0};
    call(a, "a1", 1, &a1);
    call(a, "a2", 2, &a2);
    wait_started(2);
    call(a, "a3", 0, &a3);
    call(a, "a4", 0, &a4);
    wait_waited(srv, 2);
    call(b, "b1", 3, &b1);
    call(b, "b2", 3, &b2);
    wait_started(4);

    atomic_store(&gate_open[1], 1);
    wait_ended(&a1);
    call(a, "a5", 0, &a5);
    wait_started(5); /* one of A's runs in a1's place */
    atomic_store(&gate_open[2], 1);
    atomic_store(&gate_open[3], 1);
    wait_ended(&a2);
    wait_ended(&a3);
    wait_ended(&a4);
    wait_ended(&a5);
    wait_ended(&b1);
    wait_ended(&b2);
    assert_true(start_of("a3") < start_of("a4"));
    assert_true(start_of("a4") < start_of("a5"));

    ferry_channel_close(a);
    ferry_channel_close(b);
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_request_waits_behind_older),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
