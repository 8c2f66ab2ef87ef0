/* breaker.h - the per-method circuit breakers of a remote channel.
 * Thread-safe: one mutex guards all of a channel's breakers. */
#ifndef FERRYI_BREAKER_H
#define FERRYI_BREAKER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/ferry.h"

typedef struct ferryi_breaker ferryi_breaker;

typedef struct ferryi_breakers {
    ferry_breaker_policy policy; /* with the defaults filled in */
    pthread_mutex_t mu;
    ferryi_breaker *v; /* one per method called so far */
    size_t n, cap;
} ferryi_breakers;

void ferryi_breakers_init(ferryi_breakers *b, const ferry_breaker_policy *p);
void ferryi_breakers_fini(ferryi_breakers *b);

/* Whether a call of `m` may go out now. On no, `why` says for how long the
 * circuit stays open. On yes, *trial tells whether it is a half-open trial
 * (pass it back to ferryi_breaker_record). */
int ferryi_breaker_admit(ferryi_breakers *b, const ferry_method *m, int *trial, char *why,
                         size_t why_len);

/* Records the outcome of an admitted call. */
void ferryi_breaker_record(ferryi_breakers *b, const ferry_method *m, int trial, ferry_status st);

/* Gives back the admission of a call that was never sent. */
void ferryi_breaker_release(ferryi_breakers *b, const ferry_method *m, int trial);

void ferryi_breaker_stats(ferryi_breakers *b, const ferry_method *m, ferry_breaker_stats *out);

#endif
