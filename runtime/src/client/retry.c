/* retry.c - when to try a call again, how long to wait, and the budget;
 * the back-off shapes endpoints.c's ejections share. */
#include "client/retry.h"
#include "base/clock.h"

#define DEFAULT_ATTEMPTS   3u
#define DEFAULT_INITIAL_MS 25u
#define DEFAULT_MAX_MS     1000u
#define DEFAULT_RATIO      0.1
#define DEFAULT_BURST      10u

void ferryi_bounds_default(uint32_t *min, uint32_t *max, uint32_t min_default, uint32_t max_default)
{
    if (*min == 0)
        *min = min_default;
    if (*max == 0)
        *max = max_default;
    if (*max < *min)
        *max = *min;
}

uint64_t ferryi_backoff_ms(uint64_t first, unsigned n, uint64_t max)
{
    uint64_t wait = first;
    for (unsigned i = 0; i < n && wait < max; i++)
        wait *= 2;
    return wait < max ? wait : max;
}

uint64_t ferryi_xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

void ferryi_retry_init(ferryi_retry *r, const ferry_retry_policy *p)
{
    ferry_retry_policy d = p != NULL ? *p : (ferry_retry_policy){0};
    if (d.max_attempts == 0)
        d.max_attempts = DEFAULT_ATTEMPTS;
    ferryi_bounds_default(&d.initial_backoff_ms, &d.max_backoff_ms, DEFAULT_INITIAL_MS,
                          DEFAULT_MAX_MS);
    if (!(d.budget_ratio > 0.0))
        d.budget_ratio = DEFAULT_RATIO;
    if (d.budget_burst == 0)
        d.budget_burst = DEFAULT_BURST;
    r->policy = d;
    r->tokens = (double)d.budget_burst;
    r->rng = ferryi_clock_noise() | 1u;
    pthread_mutex_init(&r->mu, NULL);
}

void ferryi_retry_fini(ferryi_retry *r)
{
    pthread_mutex_destroy(&r->mu);
}

void ferryi_retry_on_call(ferryi_retry *r)
{
    pthread_mutex_lock(&r->mu);
    r->tokens += r->policy.budget_ratio;
    if (r->tokens > (double)r->policy.budget_burst)
        r->tokens = (double)r->policy.budget_burst;
    pthread_mutex_unlock(&r->mu);
}

int ferryi_retry_next(ferryi_retry *r, const ferry_method *m, ferry_status st, unsigned attempt,
                      uint64_t deadline_at, uint32_t *backoff_ms)
{
    if (st != FERRY_UNAVAILABLE || !m->opts.idempotent || attempt >= r->policy.max_attempts)
        return 0;
    /* Exponential: initial x 2^(attempt-1), capped; then "equal jitter":
     * half of it fixed, half random, so retries of many callers spread. */
    uint64_t base = ferryi_backoff_ms(r->policy.initial_backoff_ms, attempt > 1 ? attempt - 1 : 0,
                                      r->policy.max_backoff_ms);
    pthread_mutex_lock(&r->mu);
    uint64_t wait = base / 2 + ferryi_xorshift(&r->rng) % (base - base / 2 + 1);
    int ok = ferryi_now_ms() + wait < deadline_at && r->tokens >= 1.0;
    if (ok)
        r->tokens -= 1.0;
    pthread_mutex_unlock(&r->mu);
    if (ok)
        *backoff_ms = (uint32_t)wait;
    return ok;
}
