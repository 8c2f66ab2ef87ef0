/* test_policy_rules.c - the rules of a channel's circuit breakers and of
 * its retries, driven through their internal API (breaker.h, retry.h) on
 * the test clock: the defaults and limits a policy gets, which outcomes
 * count, how the window slides, what a trial that ends late may change,
 * which failures are retried, how long the back-off is, and how the retry
 * budget fills and empties. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/breaker.h"
#include "base/clock.h"
#include "ferry/testclock.h"
#include "client/retry.h"

static const ferry_method get = {
    .name = "Get", .full_name = "test.v1.Store/Get", .opts = {.idempotent = 1}};
static const ferry_method put = {.name = "Put", .full_name = "test.v1.Store/Put"};

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

/* ------------------------------------------------------------------------
 * Breakers
 * ---------------------------------------------------------------------- */

/* Admits one call of `m` and records `st` for it; returns whether it was
 * admitted. */
static int call(ferryi_breakers *b, const ferry_method *m, ferry_status st)
{
    int trial;
    char why[256];
    if (!ferryi_breaker_admit(b, m, &trial, why, sizeof why))
        return 0;
    ferryi_breaker_record(b, m, trial, st);
    return 1;
}

static ferry_breaker_stats stats(ferryi_breakers *b, const ferry_method *m)
{
    ferry_breaker_stats s;
    ferryi_breaker_stats(b, m, &s);
    return s;
}

/* A zero policy gets the documented defaults, and values out of range are
 * brought back into it: a window of at most 1024 calls, min_calls no more
 * than the window, a failure ratio in (0, 1]. */
static void test_breaker_policy_defaults_and_limits(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, NULL);
    assert_int_equal(b.policy.window, 20);
    assert_int_equal(b.policy.min_calls, 10);
    assert_true(b.policy.failure_ratio == 0.5);
    assert_int_equal(b.policy.open_ms, 5000);
    assert_int_equal(b.policy.half_open_calls, 1);
    ferryi_breakers_fini(&b);

    ferryi_breakers_init(
        &b, &(ferry_breaker_policy){.window = 5000, .min_calls = 3000, .failure_ratio = 1.5});
    assert_int_equal(b.policy.window, 1024);
    assert_int_equal(b.policy.min_calls, 1024);
    assert_true(b.policy.failure_ratio == 0.5);
    ferryi_breakers_fini(&b);

    ferryi_breakers_init(
        &b, &(ferry_breaker_policy){.window = 4, .min_calls = 9, .failure_ratio = NAN});
    assert_int_equal(b.policy.min_calls, 4);
    assert_true(b.policy.failure_ratio == 0.5);
    ferryi_breakers_fini(&b);

    ferryi_breakers_init(&b, &(ferry_breaker_policy){.failure_ratio = 1.0});
    assert_true(b.policy.failure_ratio == 1.0); /* every call failed: still in range */
    ferryi_breakers_fini(&b);
}

/* A disabled breaker admits every call, never as a trial, and counts
 * nothing, however many calls fail. */
static void test_disabled_breaker_admits_everything(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.disabled = 1, .window = 2, .min_calls = 1});
    for (int i = 0; i < 10; i++) {
        int trial = 1;
        char why[64];
        assert_true(ferryi_breaker_admit(&b, &get, &trial, why, sizeof why));
        assert_int_equal(trial, 0);
        ferryi_breaker_record(&b, &get, trial, FERRY_UNAVAILABLE);
    }
    ferry_breaker_stats s = stats(&b, &get);
    assert_int_equal(s.state, FERRY_BREAKER_CLOSED);
    assert_int_equal(s.window_calls, 0);
    ferryi_breakers_fini(&b);
}

/* Outages count as failures, deadlines included; every other answer,
 * application errors included, counts as a success. */
static void test_which_outcomes_are_failures(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(
        &b, &(ferry_breaker_policy){.window = 8, .min_calls = 8, .failure_ratio = 1.0});
    const ferry_status st[] = {FERRY_UNAVAILABLE, FERRY_DEADLINE_EXCEEDED, FERRY_NOT_FOUND,
                               FERRY_INTERNAL,    FERRY_INVALID_ARGUMENT,  FERRY_UNAUTHENTICATED,
                               FERRY_OK,          FERRY_RESOURCE_EXHAUSTED};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        assert_true(call(&b, &get, st[i]));
    ferry_breaker_stats s = stats(&b, &get);
    assert_int_equal(s.window_calls, 8);
    assert_int_equal(s.window_failures, 2);
    assert_int_equal(s.state, FERRY_BREAKER_CLOSED);
    ferryi_breakers_fini(&b);
}

/* The window holds the last `window` outcomes: an old failure leaves it as
 * new calls come, so failures spread thinly over time never open the
 * circuit, while the same failures close together do. */
static void test_window_forgets_old_failures(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(
        &b, &(ferry_breaker_policy){.window = 4, .min_calls = 4, .failure_ratio = 0.75});
    /* Two failures in every eight calls: never three of the last four. */
    for (int round = 0; round < 4; round++) {
        assert_true(call(&b, &get, FERRY_UNAVAILABLE));
        assert_true(call(&b, &get, FERRY_UNAVAILABLE));
        for (int i = 0; i < 6; i++)
            assert_true(call(&b, &get, FERRY_OK));
        assert_int_equal(stats(&b, &get).state, FERRY_BREAKER_CLOSED);
        assert_int_equal(stats(&b, &get).window_failures, 0);
    }
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_int_equal(stats(&b, &get).state, FERRY_BREAKER_CLOSED); /* 2 of 4 */
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));                /* 3 of 4 */
    ferry_breaker_stats s = stats(&b, &get);
    assert_int_equal(s.state, FERRY_BREAKER_OPEN);
    assert_int_equal(s.window_calls, 4);
    assert_int_equal(s.window_failures, 3);
    ferryi_breakers_fini(&b);
}

/* However many calls fail, the circuit stays closed until min_calls
 * outcomes are in the window. */
static void test_min_calls_before_opening(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.window = 10, .min_calls = 5});
    for (int i = 0; i < 4; i++)
        assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_int_equal(stats(&b, &get).state, FERRY_BREAKER_CLOSED);
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_int_equal(stats(&b, &get).state, FERRY_BREAKER_OPEN);
    ferryi_breakers_fini(&b);
}

/* Each method has its own breaker: one method's outage leaves the others'
 * calls going out, with as many methods as a service has. */
static void test_breakers_are_per_method(void **state)
{
    (void)state;
    ferry_method many[9];
    for (size_t i = 0; i < 9; i++)
        many[i] = (ferry_method){.name = "M", .full_name = "test.v1.Many/M"};
    ferryi_breakers b;
    ferryi_breakers_init(
        &b, &(ferry_breaker_policy){.window = 2, .min_calls = 2, .failure_ratio = 1.0});
    for (size_t i = 0; i < 9; i++)
        assert_true(call(&b, &many[i], FERRY_OK));
    assert_true(call(&b, &many[4], FERRY_UNAVAILABLE));
    assert_true(call(&b, &many[4], FERRY_UNAVAILABLE));
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(stats(&b, &many[i]).state,
                         i == 4 ? FERRY_BREAKER_OPEN : FERRY_BREAKER_CLOSED);
        assert_int_equal(call(&b, &many[i], FERRY_OK), i != 4);
    }
    assert_int_equal(stats(&b, &many[4]).rejected, 1);
    /* A method never called has no breaker yet: closed and empty. */
    ferry_breaker_stats s = stats(&b, &put);
    assert_int_equal(s.state, FERRY_BREAKER_CLOSED);
    assert_int_equal(s.window_calls + s.times_opened + s.rejected, 0);
    ferryi_breakers_fini(&b);
}

/* Calls admitted while the circuit was closed that end after it opened do
 * not count: they are answers to the past, and the circuit's window stays
 * as it was when it opened. */
static void test_late_outcomes_do_not_count_while_open(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.window = 4, .min_calls = 2, .open_ms = 100});
    int t1, t2;
    char why[256];
    assert_true(ferryi_breaker_admit(&b, &get, &t1, why, sizeof why));
    assert_true(ferryi_breaker_admit(&b, &get, &t2, why, sizeof why));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE)); /* opens */
    ferryi_breaker_record(&b, &get, t1, FERRY_OK);
    ferryi_breaker_record(&b, &get, t2, FERRY_UNAVAILABLE);
    ferry_breaker_stats s = stats(&b, &get);
    assert_int_equal(s.state, FERRY_BREAKER_OPEN);
    assert_int_equal(s.window_calls, 2);
    assert_int_equal(s.window_failures, 2);
    assert_int_equal(s.times_opened, 1);
    ferryi_breakers_fini(&b);
}

/* The stats of an open breaker whose open period has passed say half-open:
 * the next call will be a trial, even before any call has asked. */
static void test_stats_show_half_open_when_period_passed(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.window = 2, .min_calls = 2, .open_ms = 100});
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    ferry_test_clock_advance(99);
    assert_int_equal(stats(&b, &get).state, FERRY_BREAKER_OPEN);
    ferry_test_clock_advance(1);
    assert_int_equal(stats(&b, &get).state, FERRY_BREAKER_HALF_OPEN);
    ferryi_breakers_fini(&b);
}

/* With two trials out, a failed trial opens the circuit again, and the
 * other trial succeeding afterwards does not close it: one success cannot
 * undo the failure that came before it. The failed trial alone fills the
 * new window. */
static void test_late_trial_success_does_not_close_reopened_circuit(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(
        &b,
        &(ferry_breaker_policy){.window = 4, .min_calls = 2, .open_ms = 100, .half_open_calls = 2});
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    ferry_test_clock_advance(100);
    int t1, t2;
    char why[256];
    assert_true(ferryi_breaker_admit(&b, &get, &t1, why, sizeof why));
    assert_true(ferryi_breaker_admit(&b, &get, &t2, why, sizeof why));
    assert_true(t1 && t2);
    ferryi_breaker_record(&b, &get, t1, FERRY_DEADLINE_EXCEEDED);
    ferryi_breaker_record(&b, &get, t2, FERRY_OK);
    ferry_breaker_stats s = stats(&b, &get);
    assert_int_equal(s.state, FERRY_BREAKER_OPEN);
    assert_int_equal(s.times_opened, 2);
    assert_int_equal(s.window_calls, 1);
    assert_int_equal(s.window_failures, 1);
    /* Opened again for a whole period from the failed trial. */
    assert_false(call(&b, &get, FERRY_OK));
    ferryi_breakers_fini(&b);
}

/* A trial that succeeds closes the circuit with an empty window: the
 * failures that opened it are forgotten, so one more failure does not
 * open it again. */
static void test_successful_trial_starts_a_fresh_window(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.window = 4, .min_calls = 2, .open_ms = 100});
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    ferry_test_clock_advance(100);
    assert_true(call(&b, &get, FERRY_OK)); /* the trial */
    ferry_breaker_stats s = stats(&b, &get);
    assert_int_equal(s.state, FERRY_BREAKER_CLOSED);
    assert_int_equal(s.window_calls, 0);
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    s = stats(&b, &get);
    assert_int_equal(s.state, FERRY_BREAKER_CLOSED); /* 1 call: under min_calls */
    assert_int_equal(s.window_calls, 1);
    assert_int_equal(s.window_failures, 1);
    ferryi_breakers_fini(&b);
}

/* Releasing a call that was not a trial changes nothing: the half-open
 * circuit's one trial place stays taken by the trial in flight. */
static void test_release_of_non_trial_keeps_trial_place(void **state)
{
    (void)state;
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.window = 2, .min_calls = 2, .open_ms = 100});
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    assert_true(call(&b, &get, FERRY_UNAVAILABLE));
    ferry_test_clock_advance(100);
    int trial;
    char why[256];
    assert_true(ferryi_breaker_admit(&b, &get, &trial, why, sizeof why));
    assert_true(trial);
    ferryi_breaker_release(&b, &get, 0);
    int other;
    assert_false(ferryi_breaker_admit(&b, &get, &other, why, sizeof why));
    assert_non_null(strstr(why, "a trial call is in flight"));
    ferryi_breaker_release(&b, &get, trial);
    assert_true(ferryi_breaker_admit(&b, &get, &other, why, sizeof why));
    assert_true(other);
    ferryi_breakers_fini(&b);
}

/* ------------------------------------------------------------------------
 * Retries
 * ---------------------------------------------------------------------- */

static int retry(ferryi_retry *r, const ferry_method *m, ferry_status st, unsigned attempt,
                 uint32_t *backoff)
{
    return ferryi_retry_next(r, m, st, attempt, ferryi_now_ms() + 3600000, backoff);
}

/* A zero policy gets the documented defaults; a maximum back-off below the
 * initial one is raised to it, and a budget ratio that is not above zero
 * gets the default. */
static void test_retry_policy_defaults_and_limits(void **state)
{
    (void)state;
    ferryi_retry r;
    ferryi_retry_init(&r, NULL);
    assert_int_equal(r.policy.max_attempts, 3);
    assert_int_equal(r.policy.initial_backoff_ms, 25);
    assert_int_equal(r.policy.max_backoff_ms, 1000);
    assert_true(r.policy.budget_ratio == 0.1);
    assert_int_equal(r.policy.budget_burst, 10);
    ferryi_retry_fini(&r);

    ferryi_retry_init(&r, &(ferry_retry_policy){.initial_backoff_ms = 200,
                                                .max_backoff_ms = 50,
                                                .budget_ratio = -1.0});
    assert_int_equal(r.policy.max_backoff_ms, 200);
    assert_true(r.policy.budget_ratio == 0.1);
    ferryi_retry_fini(&r);
}

/* Only an idempotent method's UNAVAILABLE is retried: other failures,
 * deadlines among them, and any failure of a method that is not
 * idempotent, are not; nor is the last attempt. */
static void test_what_is_retried(void **state)
{
    (void)state;
    ferryi_retry r;
    ferryi_retry_init(&r, &(ferry_retry_policy){.max_attempts = 3, .budget_burst = 100});
    uint32_t backoff;
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 2, &backoff));
    assert_false(retry(&r, &get, FERRY_UNAVAILABLE, 3, &backoff));
    assert_false(retry(&r, &get, FERRY_DEADLINE_EXCEEDED, 1, &backoff));
    assert_false(retry(&r, &get, FERRY_INTERNAL, 1, &backoff));
    assert_false(retry(&r, &get, FERRY_RESOURCE_EXHAUSTED, 1, &backoff));
    assert_false(retry(&r, &put, FERRY_UNAVAILABLE, 1, &backoff));
    ferryi_retry_fini(&r);
}

/* The back-off doubles with each attempt from the initial one up to the
 * maximum, and is jittered within its upper half: between half of it and
 * all of it. */
static void test_backoff_doubles_up_to_the_maximum(void **state)
{
    (void)state;
    ferryi_retry r;
    ferryi_retry_init(&r, &(ferry_retry_policy){.max_attempts = 20,
                                                .initial_backoff_ms = 40,
                                                .max_backoff_ms = 300,
                                                .budget_burst = 1000});
    const uint32_t base[] = {40, 80, 160, 300, 300, 300};
    for (unsigned attempt = 1; attempt <= 6; attempt++) {
        uint32_t lo = UINT32_MAX, hi = 0;
        for (int i = 0; i < 100; i++) {
            uint32_t b = 0;
            assert_true(retry(&r, &get, FERRY_UNAVAILABLE, attempt, &b));
            lo = b < lo ? b : lo;
            hi = b > hi ? b : hi;
        }
        assert_true(lo >= base[attempt - 1] / 2);
        assert_true(hi <= base[attempt - 1]);
        assert_true(hi > lo); /* jittered */
    }
    ferryi_retry_fini(&r);
}

/* A retry whose back-off would end at or past the call's deadline is not
 * made, and costs the budget nothing. */
static void test_no_retry_past_the_deadline(void **state)
{
    (void)state;
    ferryi_retry r;
    ferryi_retry_init(&r, &(ferry_retry_policy){.initial_backoff_ms = 100, .budget_burst = 1});
    uint32_t backoff;
    uint64_t now = ferryi_now_ms();
    assert_false(ferryi_retry_next(&r, &get, FERRY_UNAVAILABLE, 1, now + 50, &backoff));
    assert_true(ferryi_retry_next(&r, &get, FERRY_UNAVAILABLE, 1, now + 101, &backoff));
    assert_true(backoff >= 50 && backoff <= 100);
    ferryi_retry_fini(&r);
}

/* A back-off must end before the deadline, not at it: with the deadline
 * exactly the longest back-off (100 ms) away, every retry made waits less
 * than 100 ms, and over many draws some are refused (those that drew 100). */
static void test_backoff_ending_at_deadline_refused(void **state)
{
    (void)state;
    ferryi_retry r;
    ferryi_retry_init(&r, &(ferry_retry_policy){.initial_backoff_ms = 100,
                                                .max_backoff_ms = 100,
                                                .budget_burst = 100000});
    int made = 0, refused = 0;
    for (int i = 0; i < 2000; i++) {
        uint32_t backoff = 0;
        if (ferryi_retry_next(&r, &get, FERRY_UNAVAILABLE, 1, ferryi_now_ms() + 100, &backoff)) {
            assert_true(backoff >= 50 && backoff < 100);
            made++;
        } else {
            refused++;
        }
    }
    assert_true(made > 0);
    assert_true(refused > 0); /* 100 is drawn about once in 51 */
    ferryi_retry_fini(&r);
}

/* The budget starts full at budget_burst retries; each retry spends one,
 * and each new call adds budget_ratio of one, never above the burst. */
static void test_retry_budget(void **state)
{
    (void)state;
    ferryi_retry r;
    ferryi_retry_init(&r, &(ferry_retry_policy){.budget_ratio = 0.5, .budget_burst = 2});
    uint32_t backoff;
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    assert_false(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff)); /* spent */
    ferryi_retry_on_call(&r);
    assert_false(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff)); /* half a retry */
    ferryi_retry_on_call(&r);
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    assert_false(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    for (int i = 0; i < 100; i++)
        ferryi_retry_on_call(&r);
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    assert_true(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff));
    assert_false(retry(&r, &get, FERRY_UNAVAILABLE, 1, &backoff)); /* capped at the burst */
    ferryi_retry_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_policy_defaults_and_limits),
        cmocka_unit_test(test_disabled_breaker_admits_everything),
        cmocka_unit_test(test_which_outcomes_are_failures),
        cmocka_unit_test(test_window_forgets_old_failures),
        cmocka_unit_test(test_min_calls_before_opening),
        cmocka_unit_test(test_breakers_are_per_method),
        cmocka_unit_test(test_late_outcomes_do_not_count_while_open),
        cmocka_unit_test(test_stats_show_half_open_when_period_passed),
        cmocka_unit_test(test_late_trial_success_does_not_close_reopened_circuit),
        cmocka_unit_test(test_successful_trial_starts_a_fresh_window),
        cmocka_unit_test(test_release_of_non_trial_keeps_trial_place),
        cmocka_unit_test(test_retry_policy_defaults_and_limits),
        cmocka_unit_test(test_what_is_retried),
        cmocka_unit_test(test_backoff_doubles_up_to_the_maximum),
        cmocka_unit_test(test_no_retry_past_the_deadline),
        cmocka_unit_test(test_backoff_ending_at_deadline_refused),
        cmocka_unit_test(test_retry_budget),
    };
    return cmocka_run_group_tests(tests, start_clock, stop_clock);
}
