/* test_retry.c - idempotent methods are retried after unavailable, with
 * backoff, within the deadline and the retry budget; other methods never are.
 * The back-offs run on the test clock where their length is asserted. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/testclock.h"
#include "probe.h"

typedef struct fixture {
    char *url;
    char bound[256];
    ferry_server *srv;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->url = probe_ipc_url();
    f->srv = probe_serve(f->url, 2, f->bound, sizeof f->bound);
    atomic_store(&probe_fail_unavailable, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    atomic_store(&probe_fail_unavailable, 0);
    ferry_server_free(f->srv);
    probe_url_free(f->url);
    free(f);
    return 0;
}

/* setup() and teardown() with the test clock frozen in between. */
static int setup_clocked(void **state)
{
    if (ferry_test_clock_start() != FERRY_OK)
        return -1;
    return setup(state);
}

static int teardown_clocked(void **state)
{
    int rv = teardown(state);
    ferry_test_clock_stop();
    return rv;
}

static ferry_channel *open_with(fixture *f, const ferry_retry_policy *p)
{
    ferry_channel *ch = NULL;
    /* No circuit breaker: these tests count attempts against a failing server. */
    ferry_client_opts co = {.retry = *p, .breaker = {.disabled = 1}};
    assert_int_equal(ferry_client_open(&ch, f->bound, &co), FERRY_OK);
    return ch;
}

static ferry_status call(ferry_channel *ch, int idempotent, uint32_t deadline,
                         ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "again";
    ferry_call_opts opts = {.deadline_ms = deadline, .info = info};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = idempotent ? ferrytest_v1_probe_echo(ch, &req, &resp, &opts)
                                 : ferrytest_v1_probe_write(ch, &req, &resp, &opts);
    if (resp != NULL)
        ferry_message_free(&resp->base);
    return st;
}

static void test_idempotent_is_retried(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(f, &(ferry_retry_policy){.max_attempts = 4});
    uint64_t before = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 2);
    ferry_call_info info;
    assert_int_equal(call(ch, 1, 20000, &info), FERRY_OK);
    assert_int_equal(info.attempts, 3);
    assert_int_equal(atomic_load(&probe_calls), before + 3);
    ferry_channel_close(ch);
}

/* A synchronous Echo on a thread of its own, so that the test can move the
 * clock while the call waits out its back-offs. */
typedef struct bg_echo {
    pthread_t thread;
    ferry_channel *ch;
    uint32_t deadline_ms;
    ferry_status st;
    ferry_call_info info;
    uint32_t remaining_ms; /* what the handler that answered saw */
} bg_echo;

static void *bg_echo_main(void *arg)
{
    bg_echo *b = arg;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "later";
    ferry_call_opts opts = {.deadline_ms = b->deadline_ms, .info = &b->info};
    Ferrytest__V1__EchoReply *resp = NULL;
    b->st = ferrytest_v1_probe_echo(b->ch, &req, &resp, &opts);
    if (resp != NULL) {
        b->remaining_ms = resp->remaining_ms;
        ferry_message_free(&resp->base);
    }
    return NULL;
}

static void bg_echo_start(bg_echo *b, ferry_channel *ch, uint32_t deadline_ms)
{
    memset(b, 0, sizeof *b);
    b->ch = ch;
    b->deadline_ms = deadline_ms;
    assert_int_equal(pthread_create(&b->thread, NULL, bg_echo_main, b), 0);
}

static void bg_echo_join(bg_echo *b)
{
    assert_int_equal(pthread_join(b->thread, NULL), 0);
}

/* A retry waits its whole back-off: one millisecond short of it, the retry
 * has not gone out; at its end, it does. */
static void test_backoff_ends_at_its_time(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 2, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    uint64_t before = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 1);
    bg_echo b;
    bg_echo_start(&b, ch, 20000);
    assert_true(probe_wait_backoffs(1));
    uint64_t wait = ferry_test_clock_next_ms();
    assert_true(wait >= 200 && wait <= 400); /* half fixed, half jitter */
    ferry_test_clock_advance(wait - 1);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    assert_int_equal(atomic_load(&probe_calls), before + 1);
    ferry_test_clock_advance(1);
    assert_int_equal(ferry_test_clock_waiting(), 0);
    bg_echo_join(&b);
    assert_int_equal(b.st, FERRY_OK);
    assert_int_equal(b.info.attempts, 2);
    assert_int_equal(atomic_load(&probe_calls), before + 2);
    ferry_channel_close(ch);
}

/* Each back-off is drawn from [b/2, b], b starting at initial_backoff_ms
 * and doubling after each attempt up to max_backoff_ms. */
static void test_backoff_doubles_up_to_its_cap(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 5, .initial_backoff_ms = 100, .max_backoff_ms = 300});
    atomic_store(&probe_fail_unavailable, 4);
    bg_echo b;
    bg_echo_start(&b, ch, 20000);
    const uint64_t bases[] = {100, 200, 300, 300};
    for (int i = 0; i < 4; i++) {
        assert_true(probe_wait_backoffs(1));
        uint64_t wait = ferry_test_clock_next_ms();
        if (wait < bases[i] / 2 || wait > bases[i])
            fail_msg("back-off %d is %llu ms, not within [%llu, %llu]", i + 1,
                     (unsigned long long)wait, (unsigned long long)(bases[i] / 2),
                     (unsigned long long)bases[i]);
        ferry_test_clock_advance(wait);
    }
    bg_echo_join(&b);
    assert_int_equal(b.st, FERRY_OK);
    assert_int_equal(b.info.attempts, 5);
    ferry_channel_close(ch);
}

/* A retry tells the server the time left now, not the time the call had:
 * the deadline less the back-off, to the millisecond. */
static void test_retry_carries_remaining_deadline(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 2, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    atomic_store(&probe_fail_unavailable, 1);
    bg_echo b;
    bg_echo_start(&b, ch, 3000);
    assert_true(probe_wait_backoffs(1));
    uint64_t wait = ferry_test_clock_next_ms();
    ferry_test_clock_advance(wait);
    bg_echo_join(&b);
    assert_int_equal(b.st, FERRY_OK);
    assert_int_equal(b.info.attempts, 2);
    assert_int_equal(b.remaining_ms, 3000 - wait);
    ferry_channel_close(ch);
}

/* A retry whose back-off would not end before the deadline is not tried:
 * the call fails at once with the attempt's status. */
static void test_backoff_past_the_deadline_not_tried(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 5, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    uint64_t before = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 1);
    ferry_call_info info;
    assert_int_equal(call(ch, 1, 200, &info), FERRY_UNAVAILABLE);
    assert_int_equal(info.attempts, 1);
    assert_int_equal(ferry_test_clock_waiting(), 0);
    assert_int_equal(atomic_load(&probe_calls), before + 1);
    ferry_channel_close(ch);
}

static void test_attempts_are_bounded(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(f, &(ferry_retry_policy){.max_attempts = 3});
    uint64_t before = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 100);
    ferry_call_info info;
    assert_int_equal(call(ch, 1, 20000, &info), FERRY_UNAVAILABLE);
    assert_int_equal(info.attempts, 3);
    assert_string_equal(info.message, "probe: unavailable on purpose");
    assert_int_equal(atomic_load(&probe_calls), before + 3);
    ferry_channel_close(ch);
}

static void test_not_idempotent_is_not_retried(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(f, &(ferry_retry_policy){.max_attempts = 5});
    uint64_t before = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 1);
    ferry_call_info info;
    assert_int_equal(call(ch, 0, 20000, &info), FERRY_UNAVAILABLE);
    assert_int_equal(info.attempts, 1);
    assert_int_equal(atomic_load(&probe_calls), before + 1);
    /* Other statuses are answers, not outages: never retried either. */
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_NOT_FOUND;
    ferry_call_opts opts = {.info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_NOT_FOUND);
    assert_int_equal(info.attempts, 1);
    ferry_channel_close(ch);
}

static void test_retries_stay_within_the_deadline(void **state)
{
    fixture *f = *state;
    /* Backoffs of at least 200 ms each cannot fit many times into 500 ms. */
    ferry_channel *ch =
        open_with(f, &(ferry_retry_policy){
                         .max_attempts = 50, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    atomic_store(&probe_fail_unavailable, 1000);
    ferry_call_info info;
    ferry_status st = call(ch, 1, 500, &info);
    assert_true(st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED);
    assert_true(info.attempts >= 1 && info.attempts <= 3);
    ferry_channel_close(ch);
}

static void test_budget_stops_a_retry_storm(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(f, &(ferry_retry_policy){.max_attempts = 10,
                                                           .initial_backoff_ms = 1,
                                                           .max_backoff_ms = 1,
                                                           .budget_ratio = 0.01,
                                                           .budget_burst = 3});
    atomic_store(&probe_fail_unavailable, 1000000);
    uint64_t before = atomic_load(&probe_calls);
    ferry_call_info info;
    for (int i = 0; i < 20; i++)
        assert_int_equal(call(ch, 1, 20000, &info), FERRY_UNAVAILABLE);
    /* 20 calls, and only the burst of 3 retries (plus what 20 x 0.01 earns). */
    uint64_t runs = atomic_load(&probe_calls) - before;
    assert_true(runs >= 20 && runs <= 20 + 3);
    ferry_channel_close(ch);
}

/* ---- the asynchronous path retries the same way ---- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    unsigned attempts;
    char message[FERRY_MESSAGE_MAX];
} waiter;

static void on_done(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    waiter *w = arg;
    if (resp != NULL)
        ferry_message_free(&resp->base);
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->attempts = info->attempts;
    snprintf(w->message, sizeof w->message, "%s", info->message);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void async_start_within(ferry_channel *ch, waiter *w, uint32_t deadline_ms)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async again";
    ferry_call_opts opts = {.deadline_ms = deadline_ms};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_done, w), FERRY_OK);
}

static void async_start(ferry_channel *ch, waiter *w)
{
    async_start_within(ch, w, 20000);
}

static void async_wait(waiter *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* An asynchronous call's back-off waits on the test clock too: the retry
 * does not go out one millisecond before the back-off ends, and does at
 * its end. */
static void test_async_backoff_ends_at_its_time(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 2, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    uint64_t before = atomic_load(&probe_calls);
    atomic_store(&probe_fail_unavailable, 1);
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    async_start(ch, &w);
    assert_true(probe_wait_backoffs(1));
    uint64_t wait = ferry_test_clock_next_ms();
    assert_true(wait >= 200 && wait <= 400);
    ferry_test_clock_advance(wait - 1);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    assert_int_equal(atomic_load(&probe_calls), before + 1);
    ferry_test_clock_advance(1);
    async_wait(&w);
    assert_int_equal(w.st, FERRY_OK);
    assert_int_equal(w.attempts, 2);
    assert_int_equal(atomic_load(&probe_calls), before + 2);
    ferry_channel_close(ch);
}

/* Closing a channel while an asynchronous call waits out a back-off on the
 * test clock ends the call, once, with unavailable. */
static void test_close_during_async_backoff(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 2, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    atomic_store(&probe_fail_unavailable, 1);
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    async_start(ch, &w);
    assert_true(probe_wait_backoffs(1));
    ferry_channel_close(ch);
    async_wait(&w);
    assert_int_equal(w.st, FERRY_UNAVAILABLE);
    assert_int_equal(ferry_test_clock_waiting(), 0);
}

static void test_async_is_retried(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(f, &(ferry_retry_policy){.max_attempts = 4});
    atomic_store(&probe_fail_unavailable, 2);
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async again";
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_done, &w), FERRY_OK);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.st, FERRY_OK);
    assert_int_equal(w.attempts, 3);
    ferry_channel_close(ch);
}

/* A back-off lasts its time whatever the call's slot waited for before: a
 * call that fails fast (its server gone) on a slot whose last call had a
 * short deadline once had its back-off cut short by that deadline's timeout,
 * and ended after one attempt saying the channel was closed. Real clock. */
static void test_async_backoff_outlasts_an_earlier_deadline(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 3, .initial_backoff_ms = 300, .max_backoff_ms = 300});
    /* One call at a time: each takes the slot the one before gave back. */
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) {
        waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
        async_start_within(ch, &w, 100);
        async_wait(&w);
        ok = w.st == FERRY_OK;
    }
    assert_true(ok);
    ferry_server_free(f->srv);
    f->srv = NULL;
    /* Until the channel knows its connection is gone, and fails fast. */
    int down = 0;
    for (int i = 0; i < 100 && !down; i++) {
        ferry_call_info info;
        down = call(ch, 1, 2000, &info) == FERRY_UNAVAILABLE && strstr(info.message, "is down");
    }
    assert_true(down);
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    async_start(ch, &w);
    async_wait(&w);
    assert_int_equal(w.st, FERRY_UNAVAILABLE);
    if (strstr(w.message, "closed") != NULL)
        fail_msg("the back-off ended early: %s", w.message);
    assert_int_equal(w.attempts, 3);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idempotent_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_ends_at_its_time, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_backoff_doubles_up_to_its_cap, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_retry_carries_remaining_deadline, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_backoff_past_the_deadline_not_tried, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_attempts_are_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_idempotent_is_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_stay_within_the_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_stops_a_retry_storm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_backoff_outlasts_an_earlier_deadline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_backoff_ends_at_its_time, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_close_during_async_backoff, setup_clocked,
                                        teardown_clocked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
