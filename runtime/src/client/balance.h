/* balance.h - the balancing channel's state, private to its two files:
 * balance.c opens and closes it and follows its DNS name, balance_call.c
 * runs its calls. balance.c calls balance_call.c, never the other way. */
#ifndef FERRYI_BALANCE_H
#define FERRYI_BALANCE_H

#include <pthread.h>
#include <stdint.h>

#include "ferry/ferry.h"

#include "call/channel_sync.h"
#include "client/endpoints.h"
#include "client/fallback.h"
#include "client/resolve.h"
#include "client/retry.h"

typedef struct balancer {
    ferry_channel base;
    ferryi_epset set;
    ferryi_target target;
    char target_text[201]; /* as given, cut: the metrics' label */
    /* Every endpoint's options, deep-copied: endpoints open long after
     * ferry_balance_open() returned. */
    ferry_client_opts copts;
    char *strs[7];
    ferry_key *key, *server_key;
    ferryi_retry retry;
    ferryi_fallbacks fallbacks;
    uint32_t default_deadline_ms;
    ferryi_resolver *resolver;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* wakes the thread; signals a resolution */
    int stop;
    int resolve_soon;     /* an endpoint failed: ask again */
    uint64_t resolutions; /* answered or not */
    char resolve_error[FERRY_MESSAGE_MAX];
    /* Asynchronous calls made before the first lookup answered: started
     * by the balancer's thread once it has. */
    struct bcall *pending;
} balancer;

/* The balancer's synchronous and asynchronous calls (its channel ops). */
ferryi_call_op ferryi_balance_call;
ferryi_call_async_op ferryi_balance_call_async;

/* Starts the asynchronous calls that waited for the name's first lookup
 * (or, `closing`, ends them): on the balancer's thread, never under its
 * lock. */
void ferryi_balance_run_pending(balancer *b, int closing);

#endif
