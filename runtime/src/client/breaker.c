/* breaker.c - closed / open / half-open circuit breakers, one per method. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/breaker.h"
#include "base/clock.h"
#include "base/grow.h"

#define MAX_WINDOW 1024u

struct ferryi_breaker {
    const ferry_method *m;
    ferry_breaker_state state;
    uint8_t ring[MAX_WINDOW]; /* 1 = failure, newest at head - 1 */
    unsigned head, n, failures;
    uint64_t opened_at; /* monotonic ms */
    unsigned trials;    /* half-open trials in flight */
    uint64_t times_opened, rejected;
};

void ferryi_breakers_init(ferryi_breakers *b, const ferry_breaker_policy *p)
{
    ferry_breaker_policy d = p != NULL ? *p : (ferry_breaker_policy){0};
    if (d.window == 0)
        d.window = 20;
    if (d.window > MAX_WINDOW)
        d.window = MAX_WINDOW;
    if (d.min_calls == 0)
        d.min_calls = 10;
    if (d.min_calls > d.window)
        d.min_calls = d.window;
    if (!(d.failure_ratio > 0.0) || d.failure_ratio > 1.0)
        d.failure_ratio = 0.5;
    if (d.open_ms == 0)
        d.open_ms = 5000;
    if (d.half_open_calls == 0)
        d.half_open_calls = 1;
    b->policy = d;
    b->v = NULL;
    b->n = b->cap = 0;
    pthread_mutex_init(&b->mu, NULL);
}

void ferryi_breakers_fini(ferryi_breakers *b)
{
    free(b->v);
    pthread_mutex_destroy(&b->mu);
}

/* The breaker of `m`, created closed when missing; NULL when out of memory.
 * Call with mu held. */
static ferryi_breaker *find(ferryi_breakers *b, const ferry_method *m, int create)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].m == m)
            return &b->v[i];
    if (!create)
        return NULL;
    ferryi_breaker *k = ferryi_push(&b->v, &b->n, &b->cap, sizeof *k, 4);
    if (k != NULL)
        k->m = m;
    return k;
}

static void reset_window(ferryi_breaker *k)
{
    k->head = k->n = k->failures = 0;
}

static void open_circuit(ferryi_breakers *b, ferryi_breaker *k)
{
    (void)b;
    k->state = FERRY_BREAKER_OPEN;
    k->opened_at = ferryi_now_ms();
    k->times_opened++;
}

int ferryi_breaker_admit(ferryi_breakers *b, const ferry_method *m, int *trial, char *why,
                         size_t why_len)
{
    *trial = 0;
    if (b->policy.disabled)
        return 1;
    pthread_mutex_lock(&b->mu);
    ferryi_breaker *k = find(b, m, 1);
    int ok = 1;
    if (k != NULL && k->state == FERRY_BREAKER_OPEN) {
        uint64_t now = ferryi_now_ms();
        if (now - k->opened_at >= b->policy.open_ms) {
            k->state = FERRY_BREAKER_HALF_OPEN;
            k->trials = 0;
        } else {
            ok = 0;
            snprintf(why, why_len,
                     "circuit breaker open for %s: %u of the last %u calls failed; next trial in "
                     "%llu ms",
                     m->full_name, k->failures, k->n,
                     (unsigned long long)(b->policy.open_ms - (now - k->opened_at)));
        }
    }
    if (ok && k != NULL && k->state == FERRY_BREAKER_HALF_OPEN) {
        if (k->trials < b->policy.half_open_calls) {
            k->trials++;
            *trial = 1;
        } else {
            ok = 0;
            snprintf(why, why_len, "circuit breaker half-open for %s: a trial call is in flight",
                     m->full_name);
        }
    }
    if (!ok && k != NULL)
        k->rejected++;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

void ferryi_breaker_record(ferryi_breakers *b, const ferry_method *m, int trial, ferry_status st)
{
    if (b->policy.disabled)
        return;
    int failed = st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED;
    pthread_mutex_lock(&b->mu);
    ferryi_breaker *k = find(b, m, 1);
    if (k == NULL) {
        pthread_mutex_unlock(&b->mu);
        return;
    }
    if (trial) {
        if (k->trials > 0)
            k->trials--;
        if (k->state == FERRY_BREAKER_HALF_OPEN) {
            reset_window(k);
            if (failed) {
                k->ring[0] = 1; /* the failed trial is the window's only entry */
                k->n = k->failures = 1;
                k->head = 1 % b->policy.window;
                open_circuit(b, k);
            } else {
                k->state = FERRY_BREAKER_CLOSED;
            }
        }
    } else if (k->state == FERRY_BREAKER_CLOSED) {
        unsigned w = b->policy.window;
        if (k->n == w)
            k->failures -= k->ring[k->head]; /* the oldest outcome leaves */
        else
            k->n++;
        k->ring[k->head] = (uint8_t)failed;
        k->failures += (unsigned)failed;
        k->head = (k->head + 1) % w;
        if (k->n >= b->policy.min_calls &&
            (double)k->failures >= b->policy.failure_ratio * (double)k->n)
            open_circuit(b, k);
    }
    pthread_mutex_unlock(&b->mu);
}

void ferryi_breaker_release(ferryi_breakers *b, const ferry_method *m, int trial)
{
    if (!trial)
        return;
    pthread_mutex_lock(&b->mu);
    ferryi_breaker *k = find(b, m, 0);
    if (k != NULL && k->trials > 0)
        k->trials--;
    pthread_mutex_unlock(&b->mu);
}

void ferryi_breaker_stats(ferryi_breakers *b, const ferry_method *m, ferry_breaker_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&b->mu);
    ferryi_breaker *k = find(b, m, 0);
    if (k != NULL) {
        out->state = k->state;
        if (k->state == FERRY_BREAKER_OPEN && ferryi_now_ms() - k->opened_at >= b->policy.open_ms)
            out->state = FERRY_BREAKER_HALF_OPEN; /* the next call will be a trial */
        out->window_calls = k->n;
        out->window_failures = k->failures;
        out->times_opened = k->times_opened;
        out->rejected = k->rejected;
    }
    pthread_mutex_unlock(&b->mu);
}
