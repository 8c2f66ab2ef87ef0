/* metrics_reg.h - a metrics registry's state, private to the two files
 * that use it: metrics.c counts calls into it and serves it, metrics_text.c
 * writes it as Prometheus text. Nothing else includes it. */
#ifndef FERRYI_METRICS_REG_H
#define FERRYI_METRICS_REG_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "ops/metrics.h"

#define MAX_SERIES   1024 /* (side, method) pairs */
#define MAX_CLIENTS  64   /* (client name, version) pairs per server method set */
#define MAX_SERVERS  8
#define MAX_CHANNELS 16 /* balancing channels a registry watches */
#define N_CODES      23 /* ferry_status values 0..FERRY_FALLBACK */
#define N_STRIPES    4  /* copies of each counter, see `counts` */
#define LINE         64 /* bytes in a cache line */

/* Histogram buckets: N_TIME latency bounds and N_SIZE size bounds (upper
 * bounds), the last bucket counting what is above them all. metrics.c
 * holds them in the units it counts (us, bytes), metrics_text.c in those
 * it writes (seconds, bytes). */
#define N_TIME 14
#define N_SIZE 9

/* Counters are atomics, so that counting a call takes no lock: calls on
 * many threads would queue on one. Sums are kept in whole units (us,
 * bytes) for the same reason. There is no count: it is the buckets' sum,
 * and the text writes that anyway, so a call costs one atomic add less
 * per histogram. */
typedef struct histogram {
    atomic_uint_fast64_t bucket[N_TIME + 1]; /* the last is +Inf; sized for the larger set */
    atomic_uint_fast64_t sum;
} histogram;

/* A series' counters. Calls end on many threads at once (a server's
 * callbacks, a client's completions), and one copy of the counters would
 * have every call's atomic adds pull the same cache lines from the core
 * that counted the call before: each thread counts into one of N_STRIPES
 * copies, each on cache lines of its own, and the text adds them up. */
typedef struct counts {
    alignas(LINE) atomic_uint_fast64_t calls[N_CODES];
    atomic_int_fast64_t in_flight; /* a stripe's own may be negative: calls end elsewhere */
    atomic_uint_fast64_t retries, fallbacks;
    histogram total, queued, handler, request_bytes, reply_bytes;
} counts;

/* A (side, method) pair's figures. Series are only ever added (under
 * mu), and found without the lock: `key` (the method's descriptor, NULL
 * for "unknown") is written before n_series makes the series visible. */
typedef struct series {
    ferry_call_side side;
    const ferry_method *key;
    char method[160];
    counts stripe[N_STRIPES];
} series;

/* A counter alone on its cache line. */
typedef struct line_counter {
    alignas(LINE) atomic_uint_fast64_t n;
} line_counter;

/* Rows are added under mu and found without it, like series; their count
 * is striped like a series' counters. */
typedef struct client_row {
    char name[33], version[33];
    line_counter calls[N_STRIPES];
} client_row;

struct ferry_metrics {
    uint64_t id;            /* unique in the process, never 0 (find_series) */
    void *raw, *series_raw; /* what calloc_lines() allocated for the registry and `series` */
    pthread_mutex_t mu;     /* adding series and clients; writing the text */
    series *series;
    atomic_size_t n_series;
    client_row clients[MAX_CLIENTS + 1]; /* the last counts "other" */
    atomic_size_t n_clients;
    struct {
        ferryi_metrics_reader read;
        void *arg;
    } servers[MAX_SERVERS];
    size_t n_servers;
    struct {
        ferryi_metrics_endpoints read;
        void *arg;
        char target[201];
    } channels[MAX_CHANNELS];
    size_t n_channels;
    nng_http_server *http;
    nng_http_handler *handler;
    char url[300]; /* the URL served, port resolved */
};

#endif
