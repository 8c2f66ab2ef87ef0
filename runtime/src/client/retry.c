/* retry.c - when to try a call again, how long to wait, and the budget. */
#include "client/retry.h"
#include "base/clock.h"

#define DEFAULT_ATTEMPTS   3u
#define DEFAULT_INITIAL_MS 25u
#define DEFAULT_MAX_MS     1000u
#define DEFAULT_RATIO      0.1
#define DEFAULT_BURST      10u

void ferryi_retry_init(ferryi_retry *r, const ferry_retry_policy *p)
{
    ferry_retry_policy d = p != NULL ? *p : (ferry_retry_policy){0};
    if (d.max_attempts == 0)
        d.max_attempts = DEFAULT_ATTEMPTS;
    if (d.initial_backoff_ms == 0)
        d.initial_backoff_ms = DEFAULT_INITIAL_MS;
    if (d.max_backoff_ms == 0)
        d.max_backoff_ms = DEFAULT_MAX_MS;
    if (d.max_backoff_ms < d.initial_backoff_ms)
        d.max_backoff_ms = d.initial_backoff_ms;
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

/* xorshift64: jitter needs spread, not secrecy. Call with mu held. */
static uint64_t next_random(ferryi_retry *r)
{
    uint64_t x = r->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return r->rng = x;
}

int ferryi_retry_next(ferryi_retry *r, const ferry_method *m, ferry_status st, unsigned attempt,
                      uint64_t deadline_at, uint32_t *backoff_ms)
{
    if (st != FERRY_UNAVAILABLE || !m->opts.idempotent || attempt >= r->policy.max_attempts)
        return 0;
    /* Exponential: initial x 2^(attempt-1), capped; then "equal jitter":
     * half of it fixed, half random, so retries of many callers spread. */
    uint64_t base = r->policy.initial_backoff_ms;
    for (unsigned i = 1; i < attempt && base < r->policy.max_backoff_ms; i++)
        base *= 2;
    if (base > r->policy.max_backoff_ms)
        base = r->policy.max_backoff_ms;
    pthread_mutex_lock(&r->mu);
    uint64_t wait = base / 2 + next_random(r) % (base - base / 2 + 1);
    int ok = ferryi_now_ms() + wait < deadline_at && r->tokens >= 1.0;
    if (ok)
        r->tokens -= 1.0;
    pthread_mutex_unlock(&r->mu);
    if (ok)
        *backoff_ms = (uint32_t)wait;
    return ok;
}
