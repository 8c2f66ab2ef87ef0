/* test_breaker.c - a method's circuit breaker opens after failures, fails
 * calls fast without the network while open, lets only half_open_calls
 * trials through at once when half-open, and closes again when a trial
 * succeeds. The open period runs on the test clock, so its edges are exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/breaker.h"
#include "ferry/testclock.h"
#include "probe.h"

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

/* An Echo call that the breaker counts, with time to spare. */
static ferry_status echo(ferry_channel *ch, ferry_call_info *info)
{
    return probe_echo(ch, 0, 20000, info);
}

static ferry_breaker_stats stats(ferry_channel *ch)
{
    ferry_breaker_stats b;
    assert_int_equal(
        ferry_client_breaker(ch, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO], &b),
        FERRY_OK);
    return b;
}

/* The breaker opens once enough of the window failed, fails calls fast
 * while open, is still open one millisecond before open_ms has passed and
 * half-open at open_ms; a failing trial opens it again for a whole open_ms,
 * and a succeeding trial closes it. */
static void test_open_half_open_closed(void **state)
{
    (void)state;
    ferry_client_opts co = {
        .retry = {.max_attempts = 1},
        .breaker = {.window = 10, .min_calls = 4, .failure_ratio = 0.5, .open_ms = 300},
    };
    probe_link l;
    probe_link_open(&l, 2, &co);
    ferry_call_info info;

    /* Closed: successes and failures fill the window. */
    assert_int_equal(echo(l.ch, &info), FERRY_OK);
    assert_int_equal(echo(l.ch, &info), FERRY_OK);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_CLOSED);
    atomic_store(&probe_fail_unavailable, 1000);
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_CLOSED); /* 1 of 3 */
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);    /* 2 of 4: opens */
    ferry_breaker_stats b = stats(l.ch);
    assert_int_equal(b.state, FERRY_BREAKER_OPEN);
    assert_int_equal(b.window_calls, 4);
    assert_int_equal(b.window_failures, 2);
    assert_int_equal(b.times_opened, 1);

    /* Open: calls fail fast and never reach the server. */
    uint64_t before = atomic_load(&probe_calls);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
        assert_non_null(strstr(info.message, "circuit breaker open"));
        assert_non_null(strstr(info.message, "next trial in 300 ms"));
    }
    assert_int_equal(atomic_load(&probe_calls), before);
    assert_int_equal(stats(l.ch).rejected, 5);

    /* One millisecond short of open_ms: still open. */
    ferry_test_clock_advance(299);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_OPEN);
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "next trial in 1 ms"));
    assert_int_equal(atomic_load(&probe_calls), before);

    /* At open_ms: half-open; a failing trial opens it again. */
    ferry_test_clock_advance(1);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_HALF_OPEN);
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
    assert_int_equal(atomic_load(&probe_calls), before + 1); /* the trial went out */
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_OPEN);
    assert_int_equal(stats(l.ch).times_opened, 2);

    /* Opened again for a whole open_ms from the failed trial. */
    ferry_test_clock_advance(299);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_OPEN);
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
    assert_int_equal(atomic_load(&probe_calls), before + 1);

    /* The service recovers: the next trial succeeds and closes it. */
    atomic_store(&probe_fail_unavailable, 0);
    ferry_test_clock_advance(1);
    assert_int_equal(echo(l.ch, &info), FERRY_OK);
    b = stats(l.ch);
    assert_int_equal(b.state, FERRY_BREAKER_CLOSED);
    assert_int_equal(b.window_calls, 0);
    assert_int_equal(echo(l.ch, &info), FERRY_OK);

    probe_link_close(&l);
}

/* Answers that are not outages (not found, ...) never open the breaker. */
static void test_application_errors_do_not_open(void **state)
{
    (void)state;
    ferry_client_opts co = {.breaker = {.window = 4, .min_calls = 2}};
    probe_link l;
    probe_link_open(&l, 2, &co);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_NOT_FOUND;
    Ferrytest__V1__EchoReply *resp = NULL;
    for (int i = 0; i < 6; i++)
        assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, NULL), FERRY_NOT_FOUND);
    ferry_breaker_stats b = stats(l.ch);
    assert_int_equal(b.state, FERRY_BREAKER_CLOSED);
    assert_int_equal(b.window_failures, 0);
    /* Not a remote channel: no breaker to report. */
    ferry_channel *local = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    ferry_breaker_stats x;
    assert_int_equal(ferry_client_breaker(local, &ferrytest_v1_probe_desc.methods[0], &x),
                     FERRY_INVALID_ARGUMENT);
    ferry_channel_close(local);
    probe_link_close(&l);
}

/* Opens the breaker of `m` (a window of two calls) with two failures and
 * moves the test clock to the end of its open period. */
static void half_open(ferryi_breakers *b, const ferry_method *m)
{
    assert_int_equal(b->policy.min_calls, 2);
    int trial = 0;
    char why[256];
    for (int i = 0; i < 2; i++) {
        assert_true(ferryi_breaker_admit(b, m, &trial, why, sizeof why));
        ferryi_breaker_record(b, m, trial, FERRY_UNAVAILABLE);
    }
    ferry_test_clock_advance(b->policy.open_ms);
    ferry_breaker_stats s;
    ferryi_breaker_stats(b, m, &s);
    assert_int_equal(s.state, FERRY_BREAKER_HALF_OPEN);
}

/* Half-open, the breaker lets exactly half_open_calls trial calls go out
 * at once; every other call fails fast until a trial finishes. */
static void test_half_open_admits_only_its_trials(void **state)
{
    (void)state;
    const ferry_method *m = &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO];
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){
                                 .window = 2, .min_calls = 2, .open_ms = 1, .half_open_calls = 2});
    half_open(&b, m);
    int trial = 0;
    char why[256];

    /* Five calls arrive while none has finished: two are trials. */
    int admitted = 0, trials = 0;
    for (int i = 0; i < 5; i++) {
        why[0] = '\0';
        if (ferryi_breaker_admit(&b, m, &trial, why, sizeof why)) {
            admitted++;
            trials += trial;
        } else {
            assert_non_null(strstr(why, "half-open"));
        }
    }
    assert_int_equal(admitted, 2);
    assert_int_equal(trials, 2);
    ferry_breaker_stats s;
    ferryi_breaker_stats(&b, m, &s);
    assert_int_equal(s.rejected, 3);
    ferryi_breakers_fini(&b);
}

/* A half-open trial that was never sent gives its place back: the next
 * call is a trial, and the one after it still fails fast. */
static void test_unsent_trial_gives_its_place_back(void **state)
{
    (void)state;
    const ferry_method *m = &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO];
    ferryi_breakers b;
    ferryi_breakers_init(&b, &(ferry_breaker_policy){.window = 2, .min_calls = 2, .open_ms = 1});
    half_open(&b, m);
    int trial = 0;
    char why[256];
    assert_true(ferryi_breaker_admit(&b, m, &trial, why, sizeof why));
    assert_true(trial);
    ferryi_breaker_release(&b, m, trial);
    assert_true(ferryi_breaker_admit(&b, m, &trial, why, sizeof why));
    assert_true(trial);
    assert_false(ferryi_breaker_admit(&b, m, &trial, why, sizeof why));
    ferryi_breakers_fini(&b);
}

/* On a channel, while half_open_calls trials are in flight at the server,
 * further calls fail fast without reaching it; the trials succeed and
 * close the circuit. */
static void test_channel_half_open_trials_in_flight(void **state)
{
    (void)state;
    ferry_client_opts co = {
        .retry = {.max_attempts = 1},
        .breaker = {.window = 2, .min_calls = 2, .open_ms = 50, .half_open_calls = 2},
    };
    probe_link l;
    probe_link_open(&l, 4, &co);
    ferry_call_info info;
    atomic_store(&probe_fail_unavailable, 2);
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
    assert_int_equal(echo(l.ch, &info), FERRY_UNAVAILABLE);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_OPEN);
    ferry_test_clock_advance(50);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_HALF_OPEN);

    /* Two trials held at the server long enough for the calls below. */
    uint64_t base = atomic_load(&probe_calls);
    probe_bg_call t1, t2;
    probe_bg_start(&t1, l.ch, 2000, 30000);
    probe_bg_start(&t2, l.ch, 2000, 30000);
    assert_true(probe_wait_calls(base + 2));
    for (int i = 0; i < 3; i++) {
        ferry_status st = echo(l.ch, &info);
        if (st != FERRY_UNAVAILABLE || strstr(info.message, "half-open") == NULL)
            fail_msg("call %d beside the trials: %s (%s)", i, ferry_status_str(st), info.message);
    }
    assert_int_equal(atomic_load(&probe_calls), base + 2);
    assert_int_equal(probe_bg_join(&t1), FERRY_OK);
    assert_int_equal(probe_bg_join(&t2), FERRY_OK);
    assert_int_equal(stats(l.ch).state, FERRY_BREAKER_CLOSED);
    probe_link_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_half_open_closed, start_clock, stop_clock),
        cmocka_unit_test(test_application_errors_do_not_open),
        cmocka_unit_test_setup_teardown(test_half_open_admits_only_its_trials, start_clock,
                                        stop_clock),
        cmocka_unit_test_setup_teardown(test_unsent_trial_gives_its_place_back, start_clock,
                                        stop_clock),
        cmocka_unit_test_setup_teardown(test_channel_half_open_trials_in_flight, start_clock,
                                        stop_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
