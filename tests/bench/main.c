/* main.c - ferry-bench: ferry against raw nng in one run; the plan, the
 * options and the figures.
 *
 *   ferry-bench [--runs N] [--seconds S] [--only ipc|tcp] [--in-flight N]
 *               [--identity-only] [--rules-only] [--ops-only] [--crypto-only]
 *               [--no-pin]
 *
 * For each transport (ipc in a temp directory, tcp on 127.0.0.1 with an
 * ephemeral port) it starts four echo servers, each a process of its own:
 * raw nng, a ferry_server with default options, one with inline handlers,
 * and one with default options and identity on. For payloads of 64 B and
 * 4 KiB it then measures, `runs` times, raw and ferry alternately so that
 * drift on a shared machine hits both alike: one caller's p50 and p99
 * latency and calls/s, and calls/s with `in_flight` calls in flight; then
 * the same ferry figures with signed and with mac proofs, next to the
 * anonymous ones. Each figure printed is the median over the runs; ratios
 * are ferry / raw, and signed / none and mac / none for identity. Last,
 * the cost of the IDL's validation rules (rules.c): calls with / without;
 * what a local channel adds to a direct function call (local.c); what
 * metrics and tracing cost (ops.c); and what the proofs' primitives cost
 * alone, the floor under the identity figures (crypto.c).
 *
 * On a machine of two or more CPUs the bench holds itself to one half of
 * them and its servers to the other (procs.c says why; --no-pin leaves
 * placement to the kernel).
 *
 * stdout carries only `name: value` lines, numbers all, for scripts;
 * progress and errors go to stderr. Exit status: 0, 1 when a measurement
 * failed, 2 for bad arguments. The same binary is the servers, in the modes
 * procs.c names (--serve-raw URL, ...).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 50

/* How ferry's throughput figure keeps its calls in flight; the other mode is
 * printed too (docs/benchmarks.md says why this one). */
#define FERRY_TPUT_MODE BENCH_FERRY_ASYNC

typedef struct options {
    int runs;
    double seconds;
    const char *only; /* "ipc", "tcp" or NULL for both */
    unsigned in_flight;
    int identity_only; /* only ferry's figures with none, signed and mac */
    int rules_only;    /* only the cost of validation rules (rules.c) and local.c */
    int ops_only;      /* only the cost of metrics and tracing (ops.c) */
    int crypto_only;   /* only the proofs' primitives (crypto.c) */
    int no_pin;        /* leave the placement of threads to the kernel */
    size_t payload;    /* 64 or 4096: that payload only; 0: both */
    unsigned modes;    /* identity modes measured, bits of 1u << SIDE_*: all by default */
} options;

/* SIDE_FERRY is also identity "none": the same server, anonymous calls. */
enum { SIDE_RAW, SIDE_FERRY, SIDE_SIGNED, SIDE_MAC, SIDES };
enum { LAT_P50, LAT_P99, LAT_RATE, LAT_FIGURES };
enum {
    TP_RAW,
    TP_RAW_SYNC,
    TP_FERRY_ASYNC,
    TP_FERRY_SYNC,
    TP_FERRY_INLINE,
    TP_SIGNED,
    TP_MAC,
    TP_KINDS
};

/* One value per run of every figure of one (transport, payload). */
typedef struct by_run {
    double lat[SIDES][LAT_FIGURES][MAX_RUNS];
    double tput[TP_KINDS][MAX_RUNS];
} by_run;

static void keep_latency(by_run *b, int side, int r, const bench_latency *l)
{
    b->lat[side][LAT_P50][r] = l->p50_us;
    b->lat[side][LAT_P99][r] = l->p99_us;
    b->lat[side][LAT_RATE][r] = l->calls_per_s;
}

/* Whether identity mode `side` (SIDE_FERRY for none) is measured. */
static int measures(const options *o, int side)
{
    return (o->modes & (1u << side)) != 0;
}

/* One run of every figure; `urls` are indexed by bench_server_kind. */
static int run_once(char urls[][512], size_t payload, const options *o, int r, by_run *b)
{
    const unsigned n = o->in_flight;
    const double sec = o->seconds;
    const char *raw = urls[BENCH_SERVER_RAW], *ferry = urls[BENCH_SERVER_FERRY];
    const char *id = urls[BENCH_SERVER_FERRY_ID];
    bench_latency l;
    if (!o->identity_only) {
        if (bench_raw_latency(raw, payload, sec, &l) != 0)
            return -1;
        keep_latency(b, SIDE_RAW, r, &l);
    }
    if (measures(o, SIDE_FERRY)) {
        if (bench_ferry_latency(ferry, BENCH_ID_NONE, payload, sec, &l) != 0)
            return -1;
        keep_latency(b, SIDE_FERRY, r, &l);
    }
    if (measures(o, SIDE_SIGNED)) {
        if (bench_ferry_latency(id, BENCH_ID_SIGNED, payload, sec, &l) != 0)
            return -1;
        keep_latency(b, SIDE_SIGNED, r, &l);
    }
    if (measures(o, SIDE_MAC)) {
        if (bench_ferry_latency(id, BENCH_ID_MAC, payload, sec, &l) != 0)
            return -1;
        keep_latency(b, SIDE_MAC, r, &l);
    }

    if (!o->identity_only && bench_raw_throughput(raw, payload, n, sec, &b->tput[TP_RAW][r]) != 0)
        return -1;
    if (measures(o, SIDE_FERRY) &&
        bench_ferry_throughput(ferry, BENCH_ID_NONE, payload, n, BENCH_FERRY_ASYNC, sec,
                               &b->tput[TP_FERRY_ASYNC][r]) != 0)
        return -1;
    if (measures(o, SIDE_SIGNED) &&
        bench_ferry_throughput(id, BENCH_ID_SIGNED, payload, n, FERRY_TPUT_MODE, sec,
                               &b->tput[TP_SIGNED][r]) != 0)
        return -1;
    if (measures(o, SIDE_MAC) &&
        bench_ferry_throughput(id, BENCH_ID_MAC, payload, n, FERRY_TPUT_MODE, sec,
                               &b->tput[TP_MAC][r]) != 0)
        return -1;
    if (o->identity_only)
        return 0;
    if (bench_raw_sync_throughput(raw, payload, n, sec, &b->tput[TP_RAW_SYNC][r]) != 0 ||
        bench_ferry_throughput(ferry, BENCH_ID_NONE, payload, n, BENCH_FERRY_SYNC, sec,
                               &b->tput[TP_FERRY_SYNC][r]) != 0)
        return -1;
    if (bench_ferry_throughput(urls[BENCH_SERVER_FERRY_INLINE], BENCH_ID_NONE, payload, n,
                               FERRY_TPUT_MODE, sec, &b->tput[TP_FERRY_INLINE][r]) != 0)
        return -1;
    return 0;
}

static double ratio(double ferry, double raw)
{
    return raw > 0 ? ferry / raw : 0.0;
}

/* Prints `prefix.name: value`. */
static void figure(const char *prefix, const char *name, double value, int decimals)
{
    printf("%s.%s: %.*f\n", prefix, name, decimals, value);
}

static const char *const lat_names[LAT_FIGURES] = {"p50_us", "p99_us", "tput1"};
static const char *const ratio_names[LAT_FIGURES] = {"p50_ratio", "p99_ratio", "tput1_ratio"};

/* Prints the identity figures of `b`: none, signed and mac side by side,
 * and the ratios of signed and mac to none. */
static void print_identity(const char *prefix, by_run *b, const options *o)
{
    const int runs = o->runs;
    const unsigned in_flight = o->in_flight;
    const size_t n = (size_t)runs;
    static const char *const ids[] = {"none", "signed", "mac"};
    char name[64];
    for (int f = 0; f < LAT_FIGURES; f++) {
        const int sides[] = {SIDE_FERRY, SIDE_SIGNED, SIDE_MAC};
        double m[3];
        for (int i = 0; i < 3; i++) {
            if (!measures(o, sides[i]))
                continue;
            m[i] = bench_median(b->lat[sides[i]][f], n);
            snprintf(name, sizeof name, "identity.%s.%s", lat_names[f], ids[i]);
            figure(prefix, name, m[i], f == LAT_RATE ? 0 : 1);
        }
        for (int i = 1; i < 3; i++) {
            if (!measures(o, SIDE_FERRY) || !measures(o, sides[i]))
                continue;
            snprintf(name, sizeof name, "identity.%s.%s", ratio_names[f], ids[i]);
            figure(prefix, name, ratio(m[i], m[0]), 2);
        }
    }
    const int kinds[] = {TP_FERRY_ASYNC, TP_SIGNED, TP_MAC};
    const int sides[] = {SIDE_FERRY, SIDE_SIGNED, SIDE_MAC};
    double m[3];
    for (int i = 0; i < 3; i++) {
        if (!measures(o, sides[i]))
            continue;
        m[i] = bench_median(b->tput[kinds[i]], n);
        snprintf(name, sizeof name, "identity.tput%u.%s", in_flight, ids[i]);
        figure(prefix, name, m[i], 0);
    }
    for (int i = 1; i < 3; i++) {
        if (!measures(o, SIDE_FERRY) || !measures(o, sides[i]))
            continue;
        snprintf(name, sizeof name, "identity.tput%u_ratio.%s", in_flight, ids[i]);
        figure(prefix, name, ratio(m[i], m[0]), 2);
    }
    fflush(stdout);
}

/* Prints the medians of `b` over `runs` runs, named after `prefix`. */
static void print_medians(const char *prefix, by_run *b, int runs, unsigned in_flight)
{
    const size_t n = (size_t)runs;
    char name[64];
    for (int f = 0; f < LAT_FIGURES; f++) {
        int decimals = f == LAT_RATE ? 0 : 1;
        double raw = bench_median(b->lat[SIDE_RAW][f], n);
        double ferry = bench_median(b->lat[SIDE_FERRY][f], n);
        snprintf(name, sizeof name, "%s.raw", lat_names[f]);
        figure(prefix, name, raw, decimals);
        snprintf(name, sizeof name, "%s.ferry", lat_names[f]);
        figure(prefix, name, ferry, decimals);
        figure(prefix, ratio_names[f], ratio(ferry, raw), 2);
    }

    double m[TP_KINDS];
    for (int k = 0; k < TP_KINDS; k++)
        m[k] = bench_median(b->tput[k], n);
    double ferry = m[FERRY_TPUT_MODE == BENCH_FERRY_ASYNC ? TP_FERRY_ASYNC : TP_FERRY_SYNC];
    const struct {
        const char *suffix;
        double value;
        int decimals;
    } rows[] = {
        {".raw", m[TP_RAW], 0},
        {".ferry", ferry, 0},
        {"_ratio", ratio(ferry, m[TP_RAW]), 2},
        {".ferry_async", m[TP_FERRY_ASYNC], 0},
        {".ferry_sync", m[TP_FERRY_SYNC], 0},
        {"_sync_ratio", ratio(m[TP_FERRY_SYNC], m[TP_FERRY_ASYNC]), 2},
        {".raw_sync", m[TP_RAW_SYNC], 0},
        {"_raw_sync_ratio", ratio(m[TP_RAW_SYNC], m[TP_RAW]), 2},
        {"_sync_vs_raw_sync", ratio(m[TP_FERRY_SYNC], m[TP_RAW_SYNC]), 2},
        {".ferry_inline", m[TP_FERRY_INLINE], 0},
        {"_inline_ratio", ratio(m[TP_FERRY_INLINE], m[TP_RAW]), 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(name, sizeof name, "tput%u%s", in_flight, rows[i].suffix);
        figure(prefix, name, rows[i].value, rows[i].decimals);
    }
    fflush(stdout);
}

/* Every figure of one transport, both payloads. */
static int measure_transport(const char *transport, const options *o)
{
    static const size_t payloads[] = {64, 4096};
    static const char *const payload_names[] = {"64B", "4KiB"};
    char urls[BENCH_SERVER_KINDS][512] = {{0}};
    for (int k = 0; k < BENCH_SERVER_KINDS; k++) {
        if (o->identity_only && (k == BENCH_SERVER_RAW || k == BENCH_SERVER_FERRY_INLINE))
            continue;
        if (bench_server_start((bench_server_kind)k, transport, urls[k], sizeof urls[k]) != 0)
            return -1;
    }

    by_run *b = malloc(sizeof *b);
    if (b == NULL)
        return -1;
    int rc = 0;
    for (size_t p = 0; p < 2 && rc == 0; p++) {
        if (o->payload != 0 && o->payload != payloads[p])
            continue;
        fprintf(stderr, "ferry-bench: %s, %s: %d runs\n", transport, payload_names[p], o->runs);
        for (int r = 0; r < o->runs && rc == 0; r++)
            rc = run_once(urls, payloads[p], o, r, b);
        if (rc != 0) {
            fprintf(stderr, "ferry-bench: measuring %s with %s payloads failed\n", transport,
                    payload_names[p]);
            break;
        }
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%s.%s", transport, payload_names[p]);
        if (!o->identity_only)
            print_medians(prefix, b, o->runs, o->in_flight);
        print_identity(prefix, b, o);
    }
    free(b);
    bench_servers_stop();
    return rc;
}

/* The worker count of a ferry server with default options, as
 * ferry_server_opts documents it: FERRY_WORKERS (1 to 1024), else 4. */
static unsigned default_workers(void)
{
    const char *s = getenv("FERRY_WORKERS");
    if (s == NULL || *s == '\0')
        return 4;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    return errno != 0 || *end != '\0' || v < 1 || v > 1024 ? 4 : (unsigned)v;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry-bench [--runs N] [--seconds S] [--only ipc|tcp] [--in-flight N]\n"
            "                   [--identity-only [--mode none|signed|mac]...] [--payload 64|4096]\n"
            "                   [--rules-only] [--ops-only] [--crypto-only] [--no-pin]\n"
            "Measures ferry against raw nng, and ferry's calls with and without request\n"
            "identity (docs/benchmarks.md); prints `name: value` lines.\n"
            "  -r, --runs N        runs of every figure; medians are printed (1-%d, default 5)\n"
            "  -s, --seconds S     length of each measurement (0.1-60, default 1)\n"
            "  -o, --only T        measure transport T only: ipc or tcp\n"
            "  -n, --in-flight N   calls in flight for throughput (1-256, default 16)\n"
            "  -i, --identity-only measure only ferry without identity, signed and mac\n"
            "  -M, --mode M        with --identity-only: measure identity mode M (none,\n"
            "                      signed or mac); repeat for more (default: all three)\n"
            "  -p, --payload B     measure payloads of B bytes only: 64 or 4096\n"
            "  -v, --rules-only    measure only calls with and without validation rules,\n"
            "                      and local channel calls against direct ones\n"
            "  -m, --ops-only      measure only calls with metrics and tracing on and off\n"
            "  -c, --crypto-only   measure only what the proofs' primitives cost alone\n"
            "  -P, --no-pin        do not hold the bench and its servers to CPUs of their\n"
            "                      own (by default each gets half of the CPUs)\n"
            "  -h, --help          print this and exit\n",
            MAX_RUNS);
}

/* Parses the command line into `o`; returns -1 (after saying why) on bad
 * arguments, 1 when --help was given, else 0. */
static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"runs", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'},
        {"only", required_argument, NULL, 'o'},
        {"in-flight", required_argument, NULL, 'n'},
        {"identity-only", no_argument, NULL, 'i'},
        {"rules-only", no_argument, NULL, 'v'},
        {"ops-only", no_argument, NULL, 'm'},
        {"crypto-only", no_argument, NULL, 'c'},
        {"no-pin", no_argument, NULL, 'P'},
        {"mode", required_argument, NULL, 'M'},
        {"payload", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (options){.runs = 5, .seconds = 1.0, .only = NULL, .in_flight = 16};
    int c;
    while ((c = getopt_long(argc, argv, "r:s:o:n:ivmcPM:p:h", longopts, NULL)) != -1) {
        char *end = NULL;
        long v;
        switch (c) {
        case 'r':
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v < 1 || v > MAX_RUNS) {
                fprintf(stderr, "ferry-bench: --runs takes a whole number from 1 to %d, not '%s'\n",
                        MAX_RUNS, optarg);
                return -1;
            }
            o->runs = (int)v;
            break;
        case 's':
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' ||
                !(o->seconds >= 0.1 && o->seconds <= 60)) {
                fprintf(stderr, "ferry-bench: --seconds takes a number from 0.1 to 60, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case 'o':
            if (strcmp(optarg, "ipc") != 0 && strcmp(optarg, "tcp") != 0) {
                fprintf(stderr, "ferry-bench: --only takes ipc or tcp, not '%s'\n", optarg);
                return -1;
            }
            o->only = optarg;
            break;
        case 'n':
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v < 1 || v > 256) {
                fprintf(stderr,
                        "ferry-bench: --in-flight takes a whole number from 1 to 256, not '%s'\n",
                        optarg);
                return -1;
            }
            o->in_flight = (unsigned)v;
            break;
        case 'i':
            o->identity_only = 1;
            break;
        case 'v':
            o->rules_only = 1;
            break;
        case 'm':
            o->ops_only = 1;
            break;
        case 'c':
            o->crypto_only = 1;
            break;
        case 'P':
            o->no_pin = 1;
            break;
        case 'M':
            if (strcmp(optarg, "none") == 0)
                o->modes |= 1u << SIDE_FERRY;
            else if (strcmp(optarg, "signed") == 0)
                o->modes |= 1u << SIDE_SIGNED;
            else if (strcmp(optarg, "mac") == 0)
                o->modes |= 1u << SIDE_MAC;
            else {
                fprintf(stderr, "ferry-bench: --mode takes none, signed or mac, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case 'p':
            if (strcmp(optarg, "64") != 0 && strcmp(optarg, "4096") != 0) {
                fprintf(stderr, "ferry-bench: --payload takes 64 or 4096, not '%s'\n", optarg);
                return -1;
            }
            o->payload = (size_t)atoi(optarg);
            break;
        case 'h':
            return 1;
        default: /* getopt_long said what was wrong */
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ferry-bench: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->modes != 0 && !o->identity_only) {
        fprintf(stderr, "ferry-bench: --mode needs --identity-only\n");
        return -1;
    }
    if (o->modes == 0)
        o->modes = (1u << SIDE_FERRY) | (1u << SIDE_SIGNED) | (1u << SIDE_MAC);
    return 0;
}

/* Serving mode: `argv[2]` is the URL, `argv[3]` the bench's temp directory.
 * The ipc path goes when the server does. */
static int serve(bench_server_kind kind, const char *url, const char *dir)
{
    int rc = kind == BENCH_SERVER_RAW ? bench_raw_serve(url)
                                      : bench_ferry_serve(url, kind == BENCH_SERVER_FERRY_INLINE,
                                                          kind == BENCH_SERVER_FERRY_ID,
                                                          kind == BENCH_SERVER_FERRY_OPS, dir);
    if (strncmp(url, "ipc://", 6) == 0)
        unlink(url + 6);
    return rc;
}

int main(int argc, char **argv)
{
    for (int k = 0; k < BENCH_SERVER_KINDS; k++)
        if (argc == 4 && strcmp(argv[1], bench_server_mode((bench_server_kind)k)) == 0)
            return serve((bench_server_kind)k, argv[2], argv[3]);

    options o;
    int rv = parse_args(argc, argv, &o);
    if (rv > 0) {
        usage(stdout);
        return 0;
    }
    if (rv < 0) {
        fprintf(stderr, "ferry-bench: see ferry-bench --help\n");
        return 2;
    }
    /* First, while this is the only thread: every later one inherits it. */
    int pinned = o.no_pin ? 0 : bench_pin();
    if (bench_procs_init() != 0 || bench_identity_init(bench_tmpdir()) != 0)
        return 1;

    int transports = o.only != NULL ? 1 : 2;
    /* Per run: latency figures, and throughput figures with their warm-up. */
    double modes = __builtin_popcount(o.modes);
    double lats = o.identity_only ? modes : 4, tputs = o.identity_only ? modes : 6;
    double payloads = o.payload != 0 ? 1 : 2;
    double estimate = transports * payloads * o.runs *
                      (lats * o.seconds + tputs * (o.seconds + BENCH_WARMUP_SECONDS));
    if (o.rules_only || o.ops_only || o.crypto_only)
        estimate = 0;
    if (!o.identity_only && !o.rules_only && !o.ops_only) /* crypto.c: seven quarters */
        estimate += o.runs * 1.75 * o.seconds;
    if (!o.identity_only && !o.rules_only && !o.crypto_only) /* ops.c: on and off */
        estimate += o.runs * 2 * (o.seconds + BENCH_WARMUP_SECONDS);
    if (!o.identity_only && !o.ops_only && !o.crypto_only) /* rules.c: two channels, two
                                                              methods, the validator;
                                             local.c: two halves */
        estimate += o.runs * 5.25 * o.seconds;
    fprintf(stderr, "ferry-bench: about %.0f s; figures are medians of %d runs\n", estimate,
            o.runs);
    printf("runs: %d\nseconds: %.1f\nin_flight: %u\nferry.workers: %u\npinned: %d\n", o.runs,
           o.seconds, o.in_flight, default_workers(), pinned);
    fflush(stdout);

    static const char *const names[] = {"ipc", "tcp"};
    for (int t = 0; t < 2 && !o.rules_only && !o.ops_only && !o.crypto_only; t++) {
        if (o.only != NULL && strcmp(o.only, names[t]) != 0)
            continue;
        if (measure_transport(names[t], &o) != 0) {
            bench_identity_fini();
            return 1; /* the exit handler stops the servers */
        }
    }
    if (!o.identity_only && !o.ops_only && !o.crypto_only &&
        (bench_rules(o.runs, o.seconds) != 0 || bench_local(o.runs, o.seconds) != 0)) {
        bench_identity_fini();
        return 1;
    }
    if (!o.identity_only && !o.rules_only && !o.crypto_only &&
        bench_ops(o.runs, o.seconds, o.in_flight) != 0) {
        bench_identity_fini();
        return 1;
    }
    if (!o.identity_only && !o.rules_only && !o.ops_only && bench_crypto(o.runs, o.seconds) != 0) {
        bench_identity_fini();
        return 1;
    }
    bench_identity_fini();
    return 0;
}
