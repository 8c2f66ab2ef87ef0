/* test_retry.c - idempotent methods are retried after unavailable, with
 * backoff, within the deadline and the retry budget; other methods never are. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

/* A retry tells the server the time left now, not the time the call had. */
static void test_retry_carries_remaining_deadline(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_with(
        f,
        &(ferry_retry_policy){.max_attempts = 2, .initial_backoff_ms = 400, .max_backoff_ms = 400});
    atomic_store(&probe_fail_unavailable, 1);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 3000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_OK);
    assert_int_equal(info.attempts, 2);
    /* The backoff alone took at least 200 ms of the 3000. */
    assert_true(resp->remaining_ms > 0 && resp->remaining_ms <= 2800);
    ferry_message_free(&resp->base);
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
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idempotent_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_carries_remaining_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attempts_are_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_idempotent_is_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_stay_within_the_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_stops_a_retry_storm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_is_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
