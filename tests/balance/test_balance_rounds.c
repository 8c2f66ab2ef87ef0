/* test_balance_rounds.c - a balancing channel's retries of one call, in
 * rounds (runtime/src/client/balance_call.c): a round tries endpoints the
 * call has not tried yet, then the call waits out the retry policy's
 * back-off, and a call whose deadline passes during that wait ends there.
 * One in-process probe server listens on many ipc:// URLs, so a list of
 * them is a set of endpoints that all fail the same way; time is the test
 * clock, so each back-off is seen waiting and ended by the test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ferry/balance.h>
#include <ferry/testclock.h>

#include "probe.h"

#define MAX_URLS 20

typedef struct fleet {
    char *urls[MAX_URLS];
    size_t n;
    ferry_server *srv;
    ferry_channel *ch;
} fleet;

/* One probe server on `n` URLs, and a balancing channel over all of them
 * whose calls retry `max_attempts` times with back-offs of 1 s (ferry's
 * clock) under the balancing policy `bo` (NULL: eject no endpoint). Waits
 * until every endpoint is connected. */
static void fleet_open_with(fleet *f, size_t n, unsigned max_attempts, const ferry_balance_opts *bo)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    char bound[256];
    size_t cap = n * 260 + 1, len = 0;
    char *target = malloc(cap);
    assert_non_null(target);
    for (size_t i = 0; i < n; i++) {
        f->urls[i] = probe_ipc_url();
        if (i == 0)
            f->srv = probe_serve(f->urls[0], 2, bound, sizeof bound);
        else
            assert_int_equal(ferry_server_listen(f->srv, f->urls[i], bound, sizeof bound),
                             FERRY_OK);
        len += (size_t)snprintf(target + len, cap - len, "%s%s", i > 0 ? "," : "", bound);
    }
    ferry_client_opts co = {.connect_timeout_ms = 20000,
                            .retry = {.max_attempts = max_attempts,
                                      .initial_backoff_ms = 1000,
                                      .max_backoff_ms = 1000,
                                      .budget_ratio = 1,
                                      .budget_burst = 1000}};
    ferry_balance_opts never = {.eject_failures = 100000};
    assert_int_equal(ferry_balance_open(&f->ch, target, &co, bo != NULL ? bo : &never), FERRY_OK);
    free(target);
    assert_true(probe_wait_endpoints_ready(f->ch, n));
}

static void fleet_open(fleet *f, size_t n, unsigned max_attempts)
{
    fleet_open_with(f, n, max_attempts, NULL);
}

static void fleet_close(fleet *f)
{
    ferry_channel_close(f->ch);
    ferry_server_free(f->srv);
    for (size_t i = 0; i < f->n; i++)
        probe_url_free(f->urls[i]);
}

/* An asynchronous call's outcome. */
typedef struct outcome {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    ferry_call_info info;
} outcome;

static void outcome_init(outcome *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
}

static void on_done(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    outcome *o = arg;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    pthread_mutex_lock(&o->mu);
    o->st = st;
    o->info = *info;
    o->done = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
}

/* Waits (up to 20 s) for the call to end; returns whether it has. */
static int outcome_wait(outcome *o)
{
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&o->mu);
        int done = o->done;
        pthread_mutex_unlock(&o->mu);
        if (done)
            return 1;
        probe_nap_ms(1);
    }
    return 0;
}

static int outcome_done(outcome *o)
{
    pthread_mutex_lock(&o->mu);
    int done = o->done;
    pthread_mutex_unlock(&o->mu);
    return done;
}

/* A synchronous call on a thread of its own. */
typedef struct sync_call {
    pthread_t thread;
    ferry_channel *ch;
    uint32_t deadline_ms;
    outcome out;
} sync_call;

static void *sync_run(void *arg)
{
    sync_call *c = arg;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_UNAVAILABLE;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts o = {.deadline_ms = c->deadline_ms, .info = &info};
    ferry_status st = ferrytest_v1_probe_echo(c->ch, &req, &resp, &o);
    on_done(&c->out, st, resp, &info);
    return NULL;
}

/* With more endpoints than a round takes (16), a call still waits out the
 * back-off after a round rather than going on from endpoint to endpoint:
 * 16 attempts, then a wait; when it ends, the next round. */
static void test_round_of_many_endpoints_backs_off(void **state)
{
    (void)state;
    fleet f;
    fleet_open(&f, MAX_URLS, 40);
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    uint64_t calls0 = atomic_load(&probe_calls);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_UNAVAILABLE;
    outcome o;
    outcome_init(&o);
    ferry_call_opts co = {.deadline_ms = 600000};
    assert_int_equal(ferrytest_v1_probe_echo_async(f.ch, &req, &co, on_done, &o), FERRY_OK);
    assert_true(probe_wait_backoffs(1));
    assert_false(outcome_done(&o));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 16);

    ferry_test_clock_advance(ferry_test_clock_next_ms());
    assert_true(probe_wait_calls(calls0 + 32));
    assert_true(probe_wait_backoffs(1));
    assert_false(outcome_done(&o));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 32);

    /* The third round ends with the policy's 40 attempts. */
    ferry_test_clock_advance(ferry_test_clock_next_ms());
    assert_true(outcome_wait(&o));
    assert_int_equal(o.st, FERRY_UNAVAILABLE);
    assert_int_equal(o.info.attempts, 40);
    assert_int_equal(atomic_load(&probe_calls) - calls0, 40);
    ferry_test_clock_stop();
    fleet_close(&f);
}

/* A call whose deadline passes while it waits out a back-off ends when the
 * wait does, as the deadline says, without sending another attempt that no
 * server would have time for. */
static void test_async_deadline_passes_in_backoff(void **state)
{
    (void)state;
    fleet f;
    fleet_open(&f, 2, 10);
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    uint64_t calls0 = atomic_load(&probe_calls);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_UNAVAILABLE;
    req.fail_message = "probe says no";
    outcome o;
    outcome_init(&o);
    /* Room for one back-off (at most 1 s) after the first round. */
    ferry_call_opts co = {.deadline_ms = 60000};
    assert_int_equal(ferrytest_v1_probe_echo_async(f.ch, &req, &co, on_done, &o), FERRY_OK);
    assert_true(probe_wait_backoffs(1));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 2);
    ferry_test_clock_advance(60000);
    assert_true(outcome_wait(&o));
    assert_int_equal(o.st, FERRY_DEADLINE_EXCEEDED);
    assert_int_equal(o.info.attempts, 2);
    assert_non_null(strstr(o.info.message, "deadline passed after 2 attempts"));
    assert_non_null(strstr(o.info.message, "probe says no"));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 2);
    ferry_test_clock_stop();
    fleet_close(&f);
}

/* The same for a synchronous call. */
static void test_sync_deadline_passes_in_backoff(void **state)
{
    (void)state;
    fleet f;
    fleet_open(&f, 2, 10);
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    uint64_t calls0 = atomic_load(&probe_calls);
    sync_call c = {.ch = f.ch, .deadline_ms = 60000};
    outcome_init(&c.out);
    assert_int_equal(pthread_create(&c.thread, NULL, sync_run, &c), 0);
    assert_true(probe_wait_backoffs(1));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 2);
    ferry_test_clock_advance(60000);
    assert_true(outcome_wait(&c.out));
    pthread_join(c.thread, NULL);
    assert_int_equal(c.out.st, FERRY_DEADLINE_EXCEEDED);
    assert_int_equal(c.out.info.attempts, 2);
    assert_non_null(strstr(c.out.info.message, "deadline passed after 2 attempts"));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 2);
    ferry_test_clock_stop();
    fleet_close(&f);
}

/* A round can end before every endpoint is tried, when those left are
 * ejected: the call then waits out the back-off it was granted and starts
 * a new round, rather than end on a retry it was granted and never made.
 * Every failure ejects its endpoint here: a first call (Write, never
 * retried) ejects one of three, the second call's first two attempts the
 * other two; once the back-off and the ejections are over, a trial call
 * answers it. */
static void test_round_ends_early_when_rest_ejected(void **state)
{
    (void)state;
    fleet f;
    ferry_balance_opts bo = {.eject_failures = 1, .eject_ms = 2000, .eject_max_ms = 2000};
    fleet_open_with(&f, 3, 10, &bo);
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    uint64_t calls0 = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 3);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts co = {.deadline_ms = 600000};
    assert_int_equal(ferrytest_v1_probe_write(f.ch, &req, &resp, &co), FERRY_UNAVAILABLE);

    outcome o;
    outcome_init(&o);
    assert_int_equal(ferrytest_v1_probe_echo_async(f.ch, &req, &co, on_done, &o), FERRY_OK);
    assert_true(probe_wait_backoffs(1));
    assert_int_equal(atomic_load(&probe_calls) - calls0, 3);
    assert_false(outcome_done(&o));
    ferry_test_clock_advance(5000); /* the back-off and the ejections */
    assert_true(outcome_wait(&o));
    assert_int_equal(o.st, FERRY_OK);
    assert_int_equal(o.info.attempts, 3);
    assert_int_equal(atomic_load(&probe_calls) - calls0, 4);
    ferry_test_clock_stop();
    fleet_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_of_many_endpoints_backs_off),
        cmocka_unit_test(test_async_deadline_passes_in_backoff),
        cmocka_unit_test(test_sync_deadline_passes_in_backoff),
        cmocka_unit_test(test_round_ends_early_when_rest_ejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
