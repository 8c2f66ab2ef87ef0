/* test_clock.c - the test clock (ferry/testclock.h): ferry's time stands
 * still until the test moves it, moves by exactly what the test says, and a
 * back-off, in a thread or on an aio, ends exactly when the test has moved
 * the clock past it; stopping the clock ends every back-off and never turns
 * ferry's monotonic time back. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <nng/nng.h>

#include "base/clock.h"
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

/* A thread in a back-off of `ms`. */
typedef struct napper {
    pthread_t thread;
    uint32_t ms;
    atomic_int done;
} napper;

static void *nap_main(void *arg)
{
    napper *n = arg;
    ferryi_sleep_ms(n->ms);
    atomic_store(&n->done, 1);
    return NULL;
}

static void nap_start(napper *n, uint32_t ms)
{
    n->ms = ms;
    atomic_init(&n->done, 0);
    assert_int_equal(pthread_create(&n->thread, NULL, nap_main, n), 0);
}

/* An aio whose callback records its result. */
typedef struct waker {
    nng_aio *aio;
    atomic_int calls;
    int result;
} waker;

static void wake_cb(void *arg)
{
    waker *w = arg;
    w->result = nng_aio_result(w->aio);
    atomic_fetch_add(&w->calls, 1); /* last: publishes the result */
}

static void waker_open(waker *w)
{
    atomic_init(&w->calls, 0);
    w->result = -1;
    assert_int_equal(nng_aio_alloc(&w->aio, wake_cb, w), 0);
}

/* Waits (up to 20 s) for the callback. */
static void waker_wait(waker *w)
{
    for (int i = 0; i < 20000 && atomic_load(&w->calls) == 0; i++)
        probe_nap_ms(1);
    assert_int_equal(atomic_load(&w->calls), 1);
}

/* Time moves by exactly what the test says, to the microsecond, on the
 * monotonic and the wall clock alike: nothing of the real time leaks in. */
static void test_time_moves_only_when_advanced(void **state)
{
    (void)state;
    uint64_t us = ferryi_now_us(), wall = ferryi_wall_ms();
    assert_int_equal(ferryi_now_ms(), us / 1000);
    ferry_test_clock_advance(250);
    assert_int_equal(ferryi_now_us(), us + 250000);
    assert_int_equal(ferryi_wall_ms(), wall + 250);
    ferry_test_clock_advance(0);
    assert_int_equal(ferryi_now_us(), us + 250000);
}

/* A moment of ferry's monotonic time maps to the wall clock's reading at
 * that moment: now to the wall's now, a moment 1.5 s back to 1.5 s before
 * it, also after the clock has moved (spans stamp their start this way). */
static void test_wall_time_of_a_moment(void **state)
{
    (void)state;
    uint64_t us = ferryi_now_us(), at = ferryi_wall_us_at(us);
    assert_int_equal(at / 1000, ferryi_wall_ms());
    ferry_test_clock_advance(2000);
    assert_int_equal(ferryi_wall_us_at(us + 500000), at + 500000);
    assert_int_equal(ferryi_wall_us_at(ferryi_now_us()), at + 2000000);
    assert_int_equal(ferryi_wall_us_at(ferryi_now_us()) / 1000, ferryi_wall_ms());
}

/* Off the test clock, the wall time of now is the wall clock's, give or
 * take the second the offset between the clocks may be old. */
static void test_wall_time_of_now_follows_the_real_clock(void **state)
{
    (void)state;
    uint64_t at = ferryi_wall_us_at(ferryi_now_us()), wall_us = ferryi_wall_ms() * 1000u;
    assert_true(at + 2000000 > wall_us && at < wall_us + 2000000);
}

/* A second start is refused: one test owns the clock. */
static void test_second_start_refused(void **state)
{
    (void)state;
    assert_int_equal(ferry_test_clock_start(), FERRY_FAILED_PRECONDITION);
}

/* A thread's back-off waits one millisecond short of its end, and ends when
 * the clock reaches it. */
static void test_thread_backoff_ends_at_its_time(void **state)
{
    (void)state;
    assert_int_equal(ferry_test_clock_next_ms(), UINT64_MAX);
    napper n;
    nap_start(&n, 100);
    assert_true(probe_wait_backoffs(1));
    assert_int_equal(ferry_test_clock_next_ms(), 100);
    ferry_test_clock_advance(99);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    assert_int_equal(ferry_test_clock_next_ms(), 1);
    assert_int_equal(atomic_load(&n.done), 0);
    ferry_test_clock_advance(1);
    assert_int_equal(ferry_test_clock_waiting(), 0);
    assert_int_equal(pthread_join(n.thread, NULL), 0);
    assert_int_equal(atomic_load(&n.done), 1);
}

/* An aio's back-off completes with 0 when the clock reaches its end, not
 * a millisecond before; its timeout, on nng's clock, does not end it. */
static void test_aio_backoff_ends_at_its_time(void **state)
{
    (void)state;
    waker w;
    waker_open(&w);
    nng_aio_set_timeout(w.aio, 1);
    ferryi_sleep_aio(50, w.aio);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    ferry_test_clock_advance(49);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    assert_int_equal(atomic_load(&w.calls), 0);
    ferry_test_clock_advance(1);
    assert_int_equal(ferry_test_clock_waiting(), 0);
    waker_wait(&w);
    assert_int_equal(w.result, 0);
    nng_aio_free(w.aio);
}

/* One advance past several back-offs ends all of them; one not yet due
 * keeps waiting. */
static void test_one_advance_ends_every_backoff_due(void **state)
{
    (void)state;
    waker a, b, c;
    waker_open(&a);
    waker_open(&b);
    waker_open(&c);
    ferryi_sleep_aio(10, a.aio);
    ferryi_sleep_aio(30, b.aio);
    ferryi_sleep_aio(31, c.aio);
    assert_int_equal(ferry_test_clock_next_ms(), 10);
    ferry_test_clock_advance(30);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    assert_int_equal(ferry_test_clock_next_ms(), 1);
    waker_wait(&a);
    waker_wait(&b);
    assert_int_equal(a.result, 0);
    assert_int_equal(b.result, 0);
    assert_int_equal(atomic_load(&c.calls), 0);
    ferry_test_clock_advance(1);
    waker_wait(&c);
    nng_aio_free(a.aio);
    nng_aio_free(b.aio);
    nng_aio_free(c.aio);
}

/* A cancelled back-off ends with nng's cancellation, and leaves the clock. */
static void test_cancelled_aio_backoff(void **state)
{
    (void)state;
    waker w;
    waker_open(&w);
    ferryi_sleep_aio(1000, w.aio);
    assert_int_equal(ferry_test_clock_waiting(), 1);
    nng_aio_cancel(w.aio);
    waker_wait(&w);
    assert_int_equal(w.result, NNG_ECANCELED);
    assert_int_equal(ferry_test_clock_waiting(), 0);
    nng_aio_free(w.aio);
}

/* Freeing an aio whose back-off waits stops it first (nng_aio_free stops
 * the aio): the callback runs once, with an error, and the clock holds
 * nothing of it afterwards. */
static void test_freed_aio_leaves_the_clock(void **state)
{
    (void)state;
    waker w;
    waker_open(&w);
    ferryi_sleep_aio(1000, w.aio);
    nng_aio_stop(w.aio);
    ferryi_sleep_aio_forget(w.aio);
    assert_int_equal(atomic_load(&w.calls), 1);
    assert_int_not_equal(w.result, 0);
    assert_int_equal(ferry_test_clock_waiting(), 0);
    nng_aio_free(w.aio);
    ferry_test_clock_advance(2000); /* touches no freed aio (seen under ASan) */
}

/* Stopping the clock ends every back-off still waiting, and ferry's
 * monotonic time goes on from the test clock's, never back, although the
 * test moved it an hour ahead of the real one; the wall time is real again. */
static void test_stop_ends_backoffs_and_time_never_goes_back(void **state)
{
    (void)state;
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    napper n;
    nap_start(&n, 60000);
    waker w;
    waker_open(&w);
    ferryi_sleep_aio(60000, w.aio);
    assert_true(probe_wait_backoffs(2));
    uint64_t wall_real = ferryi_wall_ms();
    ferry_test_clock_advance(3600000);
    uint64_t frozen = ferryi_now_ms();
    ferry_test_clock_stop();
    assert_int_equal(ferry_test_clock_waiting(), 0);
    assert_int_equal(pthread_join(n.thread, NULL), 0);
    waker_wait(&w);
    assert_int_equal(w.result, 0);
    nng_aio_free(w.aio);
    assert_true(ferryi_now_ms() >= frozen);
    assert_true(ferryi_wall_ms() < wall_real + 3600000);
    ferry_test_clock_stop(); /* a second stop does nothing */
    assert_true(ferryi_now_ms() >= frozen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_time_moves_only_when_advanced, start_clock,
                                        stop_clock),
        cmocka_unit_test_setup_teardown(test_wall_time_of_a_moment, start_clock, stop_clock),
        cmocka_unit_test(test_wall_time_of_now_follows_the_real_clock),
        cmocka_unit_test_setup_teardown(test_second_start_refused, start_clock, stop_clock),
        cmocka_unit_test_setup_teardown(test_thread_backoff_ends_at_its_time, start_clock,
                                        stop_clock),
        cmocka_unit_test_setup_teardown(test_aio_backoff_ends_at_its_time, start_clock, stop_clock),
        cmocka_unit_test_setup_teardown(test_one_advance_ends_every_backoff_due, start_clock,
                                        stop_clock),
        cmocka_unit_test_setup_teardown(test_cancelled_aio_backoff, start_clock, stop_clock),
        cmocka_unit_test_setup_teardown(test_freed_aio_leaves_the_clock, start_clock, stop_clock),
        cmocka_unit_test(test_stop_ends_backoffs_and_time_never_goes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
