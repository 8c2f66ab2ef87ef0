/* bench.h - the pieces of ferry-bench: servers, load generators, statistics.
 *
 * Each figure is measured against a server in its own process, the way
 * users deploy. The raw side is the floor: nng req0/rep0 with contexts and
 * aio callbacks, no ferry at all. */
#ifndef FERRY_BENCH_H
#define FERRY_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* One caller, sequential round trips for `seconds`; latencies in µs. */
typedef struct bench_latency {
    double p50_us, p99_us, calls_per_s;
} bench_latency;

/* ---- servers: serve `url` until killed, after printing "ready URL\n" ---- */
int bench_raw_serve(const char *url);
/* The ferry server runs default options, or inline handlers when asked. */
int bench_ferry_serve(const char *url, int inline_handlers);

/* ---- clients ---- */
int bench_raw_latency(const char *url, size_t payload, double seconds, bench_latency *out);
int bench_raw_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                         double *calls_per_s);
int bench_ferry_latency(const char *url, size_t payload, double seconds, bench_latency *out);
int bench_ferry_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                           double *calls_per_s);

/* ---- statistics ---- */
double bench_now_s(void);
void bench_sleep_s(double seconds);
/* The q-quantile (0..1) of n samples; sorts `v` in place. */
double bench_quantile(double *v, size_t n, double q);
/* The median of n values; sorts `v` in place. */
double bench_median(double *v, size_t n);

/* Latency samples grow as needed; bench_samples_free() releases them. */
typedef struct bench_samples {
    double *v;
    size_t n, cap;
} bench_samples;
int bench_samples_add(bench_samples *s, double x);
void bench_samples_free(bench_samples *s);

#endif
