/* bench.h - the pieces of ferry-bench and how they fit.
 *
 * main.c runs the plan and prints the figures; procs.c starts the servers
 * as processes of their own and makes sure they die with the bench; raw.c is
 * the floor (plain nng req0/rep0); ferry_side.c is the same echo through
 * ferry's generated client and server, also with request identity (signed
 * and mac proofs, keys made for the run); stats.c holds clocks and quantiles.
 *
 * Every client function opens its own connection, measures, closes it and
 * returns 0, or -1 after saying on stderr what failed. Nothing here is
 * thread-safe unless it says so: the bench drives one measurement at a time.
 */
#ifndef FERRY_BENCH_H
#define FERRY_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "bench.ferry.h"

/* One caller, sequential round trips: latency quantiles in µs and the rate. */
typedef struct bench_latency {
    double p50_us;
    double p99_us;
    double calls_per_s;
} bench_latency;

/* Warm-up before every measurement: round trips for latency, time for
 * throughput (connections up, caches and allocators warm). */
#define BENCH_WARMUP_CALLS   200
#define BENCH_WARMUP_SECONDS 0.2
/* No single round trip of the bench may take longer than this. */
#define BENCH_CALL_TIMEOUT_MS 10000

/* ---- servers (procs.c starts them; each runs until its parent is gone) ---- */

/* Serves the raw echo on `url`, prints "ready URL" (the URL actually bound)
 * on stdout, then returns when bench_wait_for_parent() does. Returns the
 * process exit status. */
int bench_raw_serve(const char *url);

/* Serves bench.v1.Echo on `url` with a ferry_server: default options, or
 * inline handlers when `inline_handlers` is nonzero; with `identity`
 * nonzero, identity is on, with the server key and keyring that
 * bench_identity_init() wrote into directory `dir`. As bench_raw_serve(). */
int bench_ferry_serve(const char *url, int inline_handlers, int identity, int ops, const char *dir);

/* Clients opened from now on count their calls into a metrics registry
 * and trace them to a sink that drops the spans (on), or do neither. */
void bench_ferry_set_ops(int on);

/* Blocks until the bench process that started this server is gone (its end
 * of our stdin closes), however it ended. */
void bench_wait_for_parent(void);

/* Prints "ready URL" on stdout and flushes it. */
void bench_say_ready(const char *url);

/* ---- server processes (procs.c) ---- */

typedef enum bench_server_kind {
    BENCH_SERVER_RAW,
    BENCH_SERVER_FERRY,        /* ferry_server, default options */
    BENCH_SERVER_FERRY_INLINE, /* ferry_server, inline handlers */
    BENCH_SERVER_FERRY_ID,     /* ferry_server, default options, identity on */
    BENCH_SERVER_FERRY_OPS,    /* ferry_server with metrics and tracing on (ops.c) */
    BENCH_SERVER_KINDS
} bench_server_kind;

/* The command-line mode that makes this program serve `kind`. */
const char *bench_server_mode(bench_server_kind kind);

/* Holds this thread, and so every thread it starts later, to the first half
 * of the CPUs the process may use, and the servers started from now on to
 * the other half (procs.c says why). Call it before any thread is started.
 * Returns 1 when pinned, 0 when the machine has a single CPU or the kernel
 * refused (placement is then left to the kernel). */
int bench_pin(void);

/* Makes the temp directory for ipc paths and key files and arranges that
 * servers are killed and reaped, and ipc paths and key files removed, on
 * every exit of the bench: return from main, exit(), SIGINT, SIGTERM,
 * SIGHUP. Returns 0 or -1. */
int bench_procs_init(void);

/* The temp directory bench_procs_init() made; servers get it too. */
const char *bench_tmpdir(void);

/* The files bench_identity_init() writes into the temp directory. */
#define BENCH_SERVER_KEY "server.key"
#define BENCH_SERVER_PUB "server.pub"
#define BENCH_CLIENT_KEY "client.key"
#define BENCH_CLIENT_PUB "client.pub"
#define BENCH_KEYRING    "keyring"

/* Starts a server of `kind` for `transport` ("ipc" or "tcp") in a process
 * of its own and waits until it is ready; `url` receives the address to dial.
 * Returns 0 or -1. */
int bench_server_start(bench_server_kind kind, const char *transport, char *url, size_t url_len);

/* Kills and reaps every server started and removes their ipc paths. Safe to
 * call more than once. */
void bench_servers_stop(void);

/* ---- the floor: raw nng (raw.c) ---- */

int bench_raw_latency(const char *url, size_t payload, double seconds, bench_latency *out);
/* `in_flight` req0 contexts, each an aio-callback loop of round trips. */
int bench_raw_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                         double *calls_per_s);

/* Round trips per second of `in_flight` threads each waiting for its own
 * calls on a context of its own (the floor of ferry's synchronous client);
 * measured as bench_raw_throughput(). */
int bench_raw_sync_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                              double *calls_per_s);

/* ---- ferry (ferry_side.c) ---- */

/* How ferry's calls prove who sent them (docs/security.md). */
typedef enum bench_identity {
    BENCH_ID_NONE,   /* anonymous, to a server without identity */
    BENCH_ID_SIGNED, /* Ed25519 signatures, the server's key pinned */
    BENCH_ID_MAC,    /* keyed BLAKE2b MACs, the server's key pinned */
    BENCH_IDS
} bench_identity;

/* Makes a server and a client key pair and a keyring trusting the client,
 * as files in directory `dir`, and keeps the client's key and the server's
 * public key for channels with identity. Returns 0 or -1. */
int bench_identity_init(const char *dir);
void bench_identity_fini(void);

/* One caller making sequential synchronous calls. */
int bench_ferry_latency(const char *url, bench_identity id, size_t payload, double seconds,
                        bench_latency *out);

/* How the ferry client keeps calls in flight. */
typedef enum bench_ferry_mode {
    BENCH_FERRY_ASYNC, /* `_async` calls, each re-issued from its completion */
    BENCH_FERRY_SYNC,  /* one thread per call in flight, each making sync calls */
} bench_ferry_mode;

/* The echo handler every ferry server of the bench runs: the reply's
 * payload is the request's. */
extern const bench_v1_echo_handlers bench_echo_handlers;

int bench_ferry_throughput(const char *url, bench_identity id, size_t payload, unsigned in_flight,
                           bench_ferry_mode mode, double seconds, double *calls_per_s);

/* ---- clocks and statistics (stats.c) ---- */

/* Monotonic time in seconds. */
double bench_now_s(void);
void bench_sleep_s(double seconds);

/* Latency samples; grow as needed. Zero-initialise, free with
 * bench_samples_free(). */
typedef struct bench_samples {
    double *v;
    size_t n, cap;
} bench_samples;

/* Adds one sample; -1 when out of memory. */
int bench_samples_add(bench_samples *s, double x);
void bench_samples_free(bench_samples *s);

/* The q-quantile (0 <= q <= 1) of `n` values by the nearest rank; sorts `v`
 * in place; 0 when n is 0. */
double bench_quantile(double *v, size_t n, double q);

/* The median of `n` values (the mean of the middle two when n is even);
 * sorts `v` in place; 0 when n is 0. */
double bench_median(double *v, size_t n);

/* rules.c: the cost of the IDL's validation rules, with and without them
 * (medians of `runs` runs of `seconds` each, at most BENCH_RULES_MAX_RUNS);
 * prints rules.* figures. 0, or -1 when a measurement failed. */
#define BENCH_RULES_MAX_RUNS 50
int bench_rules(int runs, double seconds);

/* ops.c: throughput with metrics, interceptors and tracing on and off,
 * `in_flight` asynchronous calls over ipc; prints the medians and ratio. */
int bench_ops(int runs, double seconds, unsigned in_flight);

/* local.c: one caller's synchronous Echo calls (64 B) through a local
 * channel against direct calls of the same handler function (medians of
 * `runs` alternating runs of `seconds` each); prints local.* figures. 0, or
 * -1 when a call failed. */
int bench_local(int runs, double seconds);

/* crypto.c: what the proofs' primitives cost alone (Ed25519, HChaCha20,
 * Poly1305, and AES-GCM's tag for comparison): medians of `runs` runs;
 * prints crypto.* figures. 0, or -1 when libsodium cannot start. */
int bench_crypto(int runs, double seconds);

/* Fills `out` from the latencies of one caller's run: samples in µs, the
 * run lasting `elapsed_s`. Sorts the samples. */
void bench_latency_from(bench_samples *s, double elapsed_s, bench_latency *out);

#endif /* FERRY_BENCH_H */
