/* twin.h - the twin service's handlers and the harness the dispatcher tests
 * share: one copy of the service in process, one behind a server on a fresh
 * ipc:// address, and a dispatcher over both. */
#ifndef FERRY_TEST_TWIN_H
#define FERRY_TEST_TWIN_H

#include <stdatomic.h>

#include <ferry/ferry.h>

#include "ferrytest/dispatch/v1/twin.ferry.h"

/* How a side answers Get and Peek; the local side normally stays SAME. */
typedef enum twin_variant {
    TWIN_SAME = 0,  /* the reference record */
    TWIN_SCALAR,    /* amount + 1 */
    TWIN_REPEATED,  /* the last tag dropped, parts[1].count changed */
    TWIN_MAP,       /* scores["b"] changed, scores["c"] missing, slots[2] renamed */
    TWIN_MAP_ORDER, /* the same map entries in the reverse order: equal */
    TWIN_UNKNOWN,   /* an extra field 99 the IDL does not know */
    TWIN_NOT_FOUND, /* fails with FERRY_NOT_FOUND */
    TWIN_ONEOF,     /* pick is `number` instead of `word` */
} twin_variant;

/* One copy of the service: what it counts and how it answers. */
typedef struct twin_side {
    atomic_uint_fast64_t gets, counts, touches, peeks;
    atomic_int variant; /* a twin_variant */
    atomic_int hold;    /* while nonzero, Get waits before it answers */
    /* What the last Get saw of its call: the time it had left, and whether
     * its metadata "who" was "alice" (atomics: Gets may run at once). */
    atomic_uint last_remaining_ms;
    atomic_int last_who_alice;
} twin_side;

extern const ferrytest_dispatch_v1_twin_handlers twin_handlers;

/* Both sides, the server and the dispatcher. */
typedef struct twin {
    twin_side local, remote;
    char *url;
    ferry_server *srv;
    ferry_channel *ch; /* the dispatcher */
} twin;

/* Starts the remote side's server and opens a dispatcher with `spec` (and
 * seed 42 for the canary). */
void twin_open(twin *t, const char *spec);
/* The same with options of the caller's (spec, seed and bounds). */
void twin_open_with(twin *t, const ferry_dispatch_opts *opts);
/* Closes the dispatcher and stops the server. */
void twin_close(twin *t);
/* Stops the server (the remote becomes unavailable) and starts it again on
 * the same address. */
void twin_stop_server(twin *t);
void twin_start_server(twin *t);

/* One call of each method through `ch`; asserts the status. */
Ferrytest__Dispatch__V1__Record *twin_get(ferry_channel *ch, const char *id, ferry_status want);
void twin_count(ferry_channel *ch, uint64_t token, ferry_status want);

/* Sleeps for `ms` milliseconds (a pause between polls, never a measure). */
void twin_nap_ms(unsigned ms);

/* The method descriptor of index i. */
const ferry_method *twin_method(int i);

/* The counters of a method at a stage. */
ferry_dispatch_stats twin_stats(ferry_channel *ch, int method, ferry_stage stage);

#endif
