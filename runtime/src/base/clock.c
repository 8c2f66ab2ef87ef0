/* clock.c - ferry's one clock (clock.h), its back-off waits, and the test
 * clock that replaces it while a test has started one (ferry/testclock.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <nng/nng.h>

#include "base/clock.h"
#include "base/error.h"
#include "ferry/testclock.h"

/* A back-off waiting on the test clock: a thread in ferryi_sleep_ms(), which
 * waits on `done`, or an aio in ferryi_sleep_aio(). */
typedef struct sleeper {
    uint64_t due_us; /* the test clock's time at which it ends */
    nng_aio *aio;    /* NULL for a thread */
    int done;
    struct sleeper *next;
} sleeper;

/* The test clock. Readers of the time take no lock: `on` and the times are
 * atomic, and a reader that sees `on` sees the times it was started with. */
static struct {
    pthread_mutex_t mu; /* guards the sleepers, and orders start, advance and stop */
    pthread_cond_t cv;  /* a sleeping thread's back-off has ended */
    atomic_int on;
    _Atomic uint64_t mono_us, wall_us;
    /* Added to the real monotonic time: what the test clock was ahead of it
     * when it stopped, so that ferry's time never goes back. */
    _Atomic uint64_t mono_ahead_us;
    sleeper *sleepers; /* in no order */
    size_t n_sleepers;
} tc = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static uint64_t real_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int test_clock_on(void)
{
    return atomic_load_explicit(&tc.on, memory_order_acquire);
}

/* ------------------------------------------------------------------------
 * ferry's time
 * ---------------------------------------------------------------------- */

uint64_t ferryi_now_us(void)
{
    if (test_clock_on())
        return atomic_load_explicit(&tc.mono_us, memory_order_acquire);
    return real_us(CLOCK_MONOTONIC) + atomic_load_explicit(&tc.mono_ahead_us, memory_order_relaxed);
}

uint64_t ferryi_now_ms(void)
{
    return ferryi_now_us() / 1000u;
}

uint64_t ferryi_wall_ms(void)
{
    if (test_clock_on())
        return atomic_load_explicit(&tc.wall_us, memory_order_acquire) / 1000u;
    return real_us(CLOCK_REALTIME) / 1000u;
}

/* Wall minus ferry's monotonic time, us, and when (ferry's time) it was
 * read; 0: never. A reader may see one new and the other old: both change
 * by little from one reading to the next. */
static _Atomic uint64_t wall_offset_us, wall_offset_read_us;

uint64_t ferryi_wall_us_at(uint64_t now_us)
{
    if (test_clock_on()) {
        uint64_t mono = atomic_load_explicit(&tc.mono_us, memory_order_acquire);
        uint64_t wall = atomic_load_explicit(&tc.wall_us, memory_order_acquire);
        return now_us <= mono && mono - now_us <= wall ? wall - (mono - now_us) : wall;
    }
    uint64_t read = atomic_load_explicit(&wall_offset_read_us, memory_order_relaxed);
    if (read == 0 || now_us < read || now_us - read > 1000000u) {
        uint64_t mono = ferryi_now_us();
        atomic_store_explicit(&wall_offset_us, real_us(CLOCK_REALTIME) - mono,
                              memory_order_relaxed);
        atomic_store_explicit(&wall_offset_read_us, mono, memory_order_relaxed);
    }
    return now_us + atomic_load_explicit(&wall_offset_us, memory_order_relaxed);
}

void ferryi_sleep_ms(uint32_t ms)
{
    if (ms == 0)
        return;
    if (test_clock_on()) {
        pthread_mutex_lock(&tc.mu);
        if (test_clock_on()) {
            sleeper s = {.due_us = atomic_load(&tc.mono_us) + (uint64_t)ms * 1000u};
            s.next = tc.sleepers;
            tc.sleepers = &s;
            tc.n_sleepers++;
            while (!s.done)
                pthread_cond_wait(&tc.cv, &tc.mu);
            pthread_mutex_unlock(&tc.mu);
            return;
        }
        pthread_mutex_unlock(&tc.mu); /* stopped meanwhile: real time again */
    }
    ferryi_real_sleep_ms(ms);
}

/* Takes the sleeper of `aio` off the list; NULL when it is not there. mu is
 * held. */
static sleeper *unlink_aio(nng_aio *aio)
{
    for (sleeper **pp = &tc.sleepers; *pp != NULL; pp = &(*pp)->next) {
        sleeper *s = *pp;
        if (s->aio == aio) {
            *pp = s->next;
            tc.n_sleepers--;
            return s;
        }
    }
    return NULL;
}

/* nng cancels a back-off (the aio is stopped or cancelled): it ends with
 * `rv`, unless advance or stop ended it first. The sleeper is found by its
 * aio, never through `arg`: one that has ended is freed. */
static void cancel_sleep(nng_aio *aio, void *arg, int rv)
{
    (void)arg;
    pthread_mutex_lock(&tc.mu);
    sleeper *s = unlink_aio(aio);
    if (s != NULL)
        nng_aio_finish(aio, rv);
    pthread_mutex_unlock(&tc.mu);
    free(s);
}

void ferryi_sleep_aio(uint32_t ms, nng_aio *aio)
{
    /* nng ends a sleep early, with NNG_ETIMEDOUT, when the aio's timeout is
     * shorter; the aio keeps the timeout of whatever it did last (a short
     * deadline's receive, say), and a back-off must last its time. */
    nng_aio_set_timeout(aio, NNG_DURATION_INFINITE);
    if (ms == 0 || !test_clock_on()) {
        nng_sleep_aio((nng_duration)ms, aio);
        return;
    }
    sleeper *s = calloc(1, sizeof *s);
    if (s == NULL) { /* out of memory: wait on the real clock */
        nng_sleep_aio((nng_duration)ms, aio);
        return;
    }
    if (!nng_aio_begin(aio)) { /* stopped: nng calls nothing back */
        free(s);
        return;
    }
    pthread_mutex_lock(&tc.mu);
    if (!test_clock_on()) { /* stopped meanwhile: its back-offs are over */
        pthread_mutex_unlock(&tc.mu);
        free(s);
        nng_aio_finish(aio, 0);
        return;
    }
    s->due_us = atomic_load(&tc.mono_us) + (uint64_t)ms * 1000u;
    s->aio = aio;
    s->next = tc.sleepers;
    tc.sleepers = s;
    tc.n_sleepers++;
    nng_aio_defer(aio, cancel_sleep, NULL);
    pthread_mutex_unlock(&tc.mu);
}

void ferryi_sleep_aio_forget(nng_aio *aio)
{
    pthread_mutex_lock(&tc.mu);
    sleeper *s = unlink_aio(aio);
    pthread_mutex_unlock(&tc.mu);
    free(s);
}

/* Ends the back-offs due by `now_us`, or all of them: an aio completes with
 * 0 (nng runs its callback on one of its threads), a thread wakes. mu is
 * held. */
static void end_sleepers(uint64_t now_us, int all)
{
    sleeper **pp = &tc.sleepers;
    while (*pp != NULL) {
        sleeper *s = *pp;
        if (!all && s->due_us > now_us) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        tc.n_sleepers--;
        if (s->aio != NULL) {
            nng_aio_finish(s->aio, 0);
            free(s);
        } else {
            s->done = 1;
        }
    }
    pthread_cond_broadcast(&tc.cv);
}

/* ------------------------------------------------------------------------
 * Real time
 * ---------------------------------------------------------------------- */

uint64_t ferryi_real_ms(void)
{
    return real_us(CLOCK_MONOTONIC) / 1000u;
}

void ferryi_real_sleep_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

struct timespec ferryi_realtime_in(uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

uint64_t ferryi_clock_noise(void)
{
    struct timespec m, w;
    clock_gettime(CLOCK_MONOTONIC, &m);
    clock_gettime(CLOCK_REALTIME, &w);
    return ((uint64_t)w.tv_sec * 1000000007u) ^ (uint64_t)w.tv_nsec ^ ((uint64_t)m.tv_nsec << 32) ^
           (uint64_t)m.tv_sec;
}

/* ------------------------------------------------------------------------
 * The test clock (ferry/testclock.h)
 * ---------------------------------------------------------------------- */

ferry_status ferry_test_clock_start(void)
{
    ferryi_error_clear();
    pthread_mutex_lock(&tc.mu);
    if (test_clock_on()) {
        pthread_mutex_unlock(&tc.mu);
        return ferryi_error(FERRY_FAILED_PRECONDITION,
                            "ferry_test_clock_start: the test clock is running already; stop it "
                            "first");
    }
    atomic_store(&tc.mono_us, ferryi_now_us());
    atomic_store(&tc.wall_us, real_us(CLOCK_REALTIME));
    atomic_store_explicit(&tc.on, 1, memory_order_release);
    pthread_mutex_unlock(&tc.mu);
    return FERRY_OK;
}

void ferry_test_clock_advance(uint64_t ms)
{
    pthread_mutex_lock(&tc.mu);
    if (test_clock_on()) {
        uint64_t us = ms * 1000u;
        uint64_t now = atomic_load(&tc.mono_us) + us;
        atomic_store(&tc.wall_us, atomic_load(&tc.wall_us) + us);
        atomic_store(&tc.mono_us, now);
        end_sleepers(now, 0);
    }
    pthread_mutex_unlock(&tc.mu);
}

size_t ferry_test_clock_waiting(void)
{
    pthread_mutex_lock(&tc.mu);
    size_t n = tc.n_sleepers;
    pthread_mutex_unlock(&tc.mu);
    return n;
}

uint64_t ferry_test_clock_next_ms(void)
{
    pthread_mutex_lock(&tc.mu);
    uint64_t first = UINT64_MAX;
    for (const sleeper *s = tc.sleepers; s != NULL; s = s->next)
        if (s->due_us < first)
            first = s->due_us;
    uint64_t now = atomic_load(&tc.mono_us);
    pthread_mutex_unlock(&tc.mu);
    if (first == UINT64_MAX)
        return UINT64_MAX;
    return first <= now ? 0 : (first - now + 999u) / 1000u;
}

void ferry_test_clock_stop(void)
{
    pthread_mutex_lock(&tc.mu);
    if (test_clock_on()) {
        uint64_t now = atomic_load(&tc.mono_us);
        uint64_t real = real_us(CLOCK_MONOTONIC);
        if (now > real + atomic_load(&tc.mono_ahead_us))
            atomic_store(&tc.mono_ahead_us, now - real);
        atomic_store_explicit(&tc.on, 0, memory_order_release);
        end_sleepers(now, 1);
    }
    pthread_mutex_unlock(&tc.mu);
}
