/* dispatch_chan.h - the dispatcher channel's state, shared by dispatch.c
 * (opening, routes, the public API), dispatch_call.c (routing each call,
 * shadow calls) and dispatch_stats.c (counters, comparison, reports).
 * Counters are relaxed atomics: calls on many threads add to them without
 * a lock. */
#ifndef FERRYI_DISPATCH_CHAN_H
#define FERRYI_DISPATCH_CHAN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "call/channel_sync.h"
#include "dispatch/dispatch.h"

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

/* Statuses that mean the service gave no answer of its own: the call never
 * reached a handler, or failed around it. Other statuses are answers. */
static inline int ferryi_dispatch_no_answer(ferry_status st)
{
    switch (st) {
    case FERRY_OK:
    case FERRY_INVALID_ARGUMENT:
    case FERRY_NOT_FOUND:
    case FERRY_ALREADY_EXISTS:
    case FERRY_FAILED_PRECONDITION:
    case FERRY_ABORTED:
    case FERRY_OUT_OF_RANGE:
        return 0;
    default:
        return 1;
    }
}

/* What dispatch.c keeps for dispatch_api.c, which answers the public
 * functions that read and change a dispatcher outside its calls. */

/* The dispatcher behind `ch`, or NULL when it is another kind of channel. */
ferryi_dispatcher *ferryi_dispatcher_of(ferry_channel *ch);

/* What dispatch_call.c keeps for dispatch.c: the channel's calls and the
 * lookup of a method, which never call back into dispatch.c. */

/* The index of `m` in the dispatcher's service (also when `m` is the same
 * method from another copy of the descriptor), or -1. */
long ferryi_dispatch_method_index(const ferryi_dispatcher *d, const ferry_method *m);

/* The dispatcher's calls (its channel ops). */
ferryi_call_op ferryi_dispatch_call;
ferryi_call_async_op ferryi_dispatch_call_async;

/* What dispatch_stats.c keeps for dispatch.c, which routes the calls and
 * answers the public stats functions through these (the stats never call
 * back into the dispatcher). */

/* Adds one duration to a histogram. */
void ferryi_hist_add(ferryi_hist *h, uint64_t us);

/* Compares the two sides of a finished shadow call and counts the result. */
void ferryi_shadow_compare(ferryi_dispatcher *d, ferryi_shadow *s);

/* The counters of method `idx` at `stage` (both valid). */
void ferryi_dispatch_stats_read(ferryi_dispatcher *d, long idx, ferry_stage stage,
                                ferry_dispatch_stats *out);

/* ferry_dispatcher_last_mismatch() of method `idx` (valid). */
size_t ferryi_dispatch_last_mismatch(ferryi_dispatcher *d, long idx, char *buf, size_t len);

/* Writes the routes (`spec`, as ferry_dispatcher_spec() writes them) and the
 * counters; the caller checks `f` for errors. */
void ferryi_dispatch_write_stats(ferryi_dispatcher *d, FILE *f, ferry_stats_format format,
                                 const char *spec);

#endif
