/* clock.h - ferry's one clock: the time everything ferry times on its own is
 * measured on, and the back-off waits that end on it. Tests replace it with
 * the test clock (ferry/testclock.h), which moves only when they say so.
 *
 * Two kinds of time, and each caller picks one on purpose:
 *  - ferry's time (ferryi_now_ms/us, ferryi_wall_ms, ferryi_sleep_ms,
 *    ferryi_sleep_aio): deadlines as ferry counts them, breaker windows,
 *    retry back-off, identity timestamps and skew, the replay and reply
 *    caches, memory trimming, latencies. The test clock drives it.
 *  - real time (ferryi_real_ms, ferryi_real_sleep_ms, ferryi_realtime_in,
 *    ferryi_clock_noise):
 *    bounds on waits for other threads, the system and nng, whose own timers
 *    (aio timeouts, reconnects) no test clock can move. Never the test clock.
 *
 * Thread-safe: every function may be called from any thread. */
#ifndef FERRYI_CLOCK_H
#define FERRYI_CLOCK_H

#include <stdint.h>
#include <time.h>

struct nng_aio;

/* Milliseconds on ferry's monotonic clock; only differences mean anything.
 * It never goes back, not even when a test clock stops. */
uint64_t ferryi_now_ms(void);

/* Microseconds on the same clock. */
uint64_t ferryi_now_us(void);

/* Milliseconds since the Unix epoch on ferry's wall clock: the time identity
 * proofs carry and statistics show. */
uint64_t ferryi_wall_ms(void);

/* Microseconds since the Unix epoch at the moment ferryi_now_us() read
 * `now_us`, for timestamps taken often (a span's start): the offset
 * between the two clocks is read again at most once a second, so a step
 * of the wall clock shows up to a second late, and each call reads no
 * clock at all in between. */
uint64_t ferryi_wall_us_at(uint64_t now_us);

/* Waits `ms` milliseconds of ferry's time in the calling thread: a retry's
 * back-off. Under the test clock it returns once the test has advanced the
 * clock by `ms`, or has stopped it. */
void ferryi_sleep_ms(uint32_t ms);

/* nng_sleep_aio() on ferry's time: completes `aio` with result 0 after `ms`
 * milliseconds, or with an error when the aio is cancelled or stopped.
 * Under the test clock it completes once the test has advanced the clock by
 * `ms`, or has stopped it. Either way the aio's timeout is set to infinite
 * first: nng would end the sleep early at a shorter one (callers set a
 * timeout before each operation anyway). */
void ferryi_sleep_aio(uint32_t ms, struct nng_aio *aio);

/* Lets go of `aio`, stopped with nng_aio_stop() and about to be freed, if
 * the test clock still holds a back-off of it: a stop that comes between
 * the start of such a back-off and its registration with nng leaves it
 * there (nng then never calls the cancellation). No-op otherwise. */
void ferryi_sleep_aio_forget(struct nng_aio *aio);

/* Milliseconds on the real monotonic clock, for bounds on waits for other
 * threads, the system or nng's own timers. */
uint64_t ferryi_real_ms(void);

/* Sleeps `ms` milliseconds of real time: a pause for nng's own threads, which
 * no test clock can hurry. */
void ferryi_real_sleep_ms(uint32_t ms);

/* The real wall-clock time `ms` milliseconds from now, the form of a time
 * limit pthread_cond_timedwait() takes. */
struct timespec ferryi_realtime_in(uint64_t ms);

/* Nanoseconds of the real clocks, mixed: something that differs from run to
 * run, to seed pseudo-random numbers. Never the test clock, whose time two
 * runs may share. */
uint64_t ferryi_clock_noise(void);

#endif
