/* retry.h - a remote channel's retry policy: which failures are retried, the
 * backoff before each retry, and the budget that bounds retries to a share of
 * recent calls. Thread-safe: the budget has its own mutex. */
#ifndef FERRYI_RETRY_H
#define FERRYI_RETRY_H

#include <pthread.h>
#include <stdint.h>

#include "ferry/ferry.h"

typedef struct ferryi_retry {
    ferry_retry_policy policy; /* with the defaults filled in */
    pthread_mutex_t mu;
    double tokens; /* retries that may be spent now, at most budget_burst */
    uint64_t rng;  /* jitter state */
} ferryi_retry;

/* The shapes every back-off of the client shares (a retry's, an ejected
 * endpoint's), kept in one place so that they cannot drift apart. */

/* Fills a bound left 0 with its default, then raises `*max` to `*min` when
 * it is below: a policy's pair of bounds (first and longest back-off,
 * shortest and longest interval) as the rest of the code relies on. */
void ferryi_bounds_default(uint32_t *min, uint32_t *max, uint32_t min_default,
                           uint32_t max_default);

/* `first` doubled `n` times, capped at `max`: exponential back-off. */
uint64_t ferryi_backoff_ms(uint64_t first, unsigned n, uint64_t max);

/* The next number of the xorshift64 sequence in `*state` (never 0): jitter
 * and picks need spread, not secrecy. Callers hold the lock that guards
 * `*state`. */
uint64_t ferryi_xorshift(uint64_t *state);

void ferryi_retry_init(ferryi_retry *r, const ferry_retry_policy *p);
void ferryi_retry_fini(ferryi_retry *r);

/* Counts a new call (a first attempt) toward the budget. */
void ferryi_retry_on_call(ferryi_retry *r);

/* Whether a call of `m` whose attempt number `attempt` (1 = the first) ended
 * with `st` is tried again, given its deadline (monotonic ms). When it is, the
 * retry is charged to the budget and *backoff_ms holds the wait before it. */
int ferryi_retry_next(ferryi_retry *r, const ferry_method *m, ferry_status st, unsigned attempt,
                      uint64_t deadline_at, uint32_t *backoff_ms);

#endif
