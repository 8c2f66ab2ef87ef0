/* fallback.h - a remote channel's fallbacks: the application's, per method,
 * over the IDL's. Thread-safe: one mutex guards the table. */
#ifndef FERRYI_FALLBACK_H
#define FERRYI_FALLBACK_H

#include <pthread.h>
#include <stddef.h>

#include "ferry/ferry.h"

typedef struct ferryi_fallback_entry {
    const ferry_method *m;
    ferry_fallback_fn fn;
    void *arg;
} ferryi_fallback_entry;

typedef struct ferryi_fallbacks {
    pthread_mutex_t mu;
    ferryi_fallback_entry *v;
    size_t n, cap;
} ferryi_fallbacks;

void ferryi_fallbacks_init(ferryi_fallbacks *f);
void ferryi_fallbacks_fini(ferryi_fallbacks *f);

/* Sets (fn != NULL) or removes the application's fallback of `m`. */
ferry_status ferryi_fallback_set(ferryi_fallbacks *f, const ferry_method *m, ferry_fallback_fn fn,
                                 void *arg);

/* Whether a failure of `m` would run an application function, which needs
 * the request kept until the call ends. */
int ferryi_fallback_wants_request(ferryi_fallbacks *f, const ferry_method *m);

/* When `cause` is a transport-level failure and `m` has a fallback, sets
 * *resp to the fallback response (caller-owned, as from unpack), prefixes
 * info->message with "fallback after: " and returns FERRY_FALLBACK. Else
 * returns `cause` and leaves *resp alone. `req` may be NULL when unknown. */
ferry_status ferryi_fallback_apply(ferryi_fallbacks *f, const ferry_method *m,
                                   const ProtobufCMessage *req, ferry_status cause,
                                   ProtobufCMessage **resp, ferry_call_info *info);

#endif
