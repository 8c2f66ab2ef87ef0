/* clock.h - the monotonic millisecond clock deadlines are measured on, and
 * the wall clock of identity's timestamps. */
#ifndef FERRYI_CLOCK_H
#define FERRYI_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on a clock that never goes back; only differences mean anything. */
static inline uint64_t ferryi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds since the Unix epoch on the wall clock, the time identity
 * proofs carry. */
static inline uint64_t ferryi_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Microseconds on the same clock. */
static inline uint64_t ferryi_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The wall-clock time `ms` milliseconds from now, the form of a time limit
 * pthread_cond_timedwait() takes. */
static inline struct timespec ferryi_realtime_in(uint64_t ms)
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

#endif
