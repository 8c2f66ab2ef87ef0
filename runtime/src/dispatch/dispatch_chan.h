/* dispatch_chan.h - the dispatcher channel's state, shared by dispatch.c
 * (routing, shadow calls) and dispatch_stats.c (counters, comparison,
 * reports). Counters are relaxed atomics: calls on many threads add to
 * them without a lock. */
#ifndef FERRYI_DISPATCH_CHAN_H
#define FERRYI_DISPATCH_CHAN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "dispatch.h"

/* Latency buckets: bucket i holds durations below 2^i microseconds (the
 * last one everything longer). */
#define FERRYI_HIST_BUCKETS 32

typedef struct ferryi_hist {
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t total_us;
    atomic_uint_fast64_t max_us;
    atomic_uint_fast64_t bucket[FERRYI_HIST_BUCKETS];
} ferryi_hist;

/* The counters of one method at one stage (ferry_dispatch_stats). */
typedef struct ferryi_cell {
    atomic_uint_fast64_t calls, to_local, to_remote, shadowed, shadow_skipped;
    atomic_uint_fast64_t matches, mismatches, remote_errors, local_errors, fallbacks;
    ferryi_hist local, remote;
} ferryi_cell;

typedef struct ferryi_method_state {
    _Atomic uint32_t route; /* ferryi_route_pack() */
    ferryi_cell cells[FERRY_STAGE_COUNT];
    unsigned logged;    /* mismatches seen by the log limit; guarded by mu */
    pthread_mutex_t mu; /* guards last_diff and logged */
    char last_diff[512];
} ferryi_method_state;

typedef struct ferryi_dispatcher {
    ferry_channel base;
    const ferry_service_desc *svc;
    ferry_channel *local, *remote;
    _Atomic uint32_t default_route;
    ferryi_method_state *ms; /* svc->n_methods entries */
    uint32_t shadow_deadline_ms;
    unsigned max_inflight;
    unsigned log_limit;
    atomic_uint_fast64_t rng;

    pthread_mutex_t mu; /* guards inflight and closing */
    pthread_cond_t cv;  /* signalled when inflight drops to 0 */
    unsigned inflight;  /* shadow calls not yet compared */
    int closing;
} ferryi_dispatcher;

/* A shadow call: the local result (packed) and the remote result meet here;
 * `left` counts the sides still to come. */
typedef struct ferryi_shadow {
    ferryi_dispatcher *d;
    ferryi_cell *cell;
    long method;
    const ferry_method *m;
    atomic_int left;
    uint64_t t0;
    ferry_status local_st;
    uint8_t *local_bytes;
    size_t local_len;
    int oom; /* the local answer could not be kept */
    ferry_status remote_st;
    ProtobufCMessage *remote_resp;
    char remote_msg[FERRY_MESSAGE_MAX];
} ferryi_shadow;

/* The dispatcher behind `ch`, or NULL when it is another kind of channel. */
ferryi_dispatcher *ferryi_dispatcher_of(ferry_channel *ch);

/* The index of `m` in the dispatcher's service, or -1. */
long ferryi_dispatch_method_index(const ferryi_dispatcher *d, const ferry_method *m);

/* Nonzero for statuses that are not an answer of the service's own. */
int ferryi_dispatch_no_answer(ferry_status st);

/* Adds one duration to a histogram. */
void ferryi_hist_add(ferryi_hist *h, uint64_t us);

/* Compares the two sides of a finished shadow call and counts the result. */
void ferryi_shadow_compare(ferryi_dispatcher *d, ferryi_shadow *s);

#endif
