/* metrics.c - call metrics (ferry/metrics.h): the registry an interceptor
 * counts into, its Prometheus text, and the HTTP endpoint that serves it. */
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "ops/metrics.h"
#include "base/error.h"
#include "ferry/ferry.h"
#include "base/log.h"

#define MAX_SERIES  1024 /* (side, method) pairs */
#define MAX_CLIENTS 64   /* (client name, version) pairs per server method set */
#define MAX_SERVERS 8
#define N_CODES     23 /* ferry_status values 0..FERRY_FALLBACK */
#define N_STRIPES   4  /* copies of each counter, see `counts` */
#define LINE        64 /* bytes in a cache line */

/* Latency buckets, seconds, and size buckets, bytes (upper bounds). */
static const double time_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_TIME (sizeof time_bounds / sizeof time_bounds[0])
static const double size_bounds[] = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304};
#define N_SIZE (sizeof size_bounds / sizeof size_bounds[0])
/* The same bounds in the whole units counted (us, bytes): a call is
 * counted with integer compares, not a multiplication per bucket. */
static const uint64_t time_bounds_us[N_TIME] = {500,     1000,    2500,    5000,    10000,
                                                25000,   50000,   100000,  250000,  500000,
                                                1000000, 2500000, 5000000, 10000000};
static const uint64_t size_bounds_bytes[N_SIZE] = {64,    256,    1024,    4096,   16384,
                                                   65536, 262144, 1048576, 4194304};

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

/* The stripe the calling thread counts into, handed out in turn as threads
 * first count (0 in `stripe_mine`: none yet). */
static atomic_uint stripe_next;
static __thread unsigned stripe_mine;

static unsigned my_stripe(void)
{
    if (stripe_mine == 0)
        stripe_mine =
            atomic_fetch_add_explicit(&stripe_next, 1, memory_order_relaxed) % N_STRIPES + 1;
    return stripe_mine - 1;
}

/* `size` zeroed bytes starting on a cache line (counts and line_counter
 * ask for it); *raw is what to free. calloc() leaves untouched pages of a
 * large block unmapped, so series never used take no memory. */
static void *calloc_lines(size_t size, void **raw)
{
    char *p = calloc(1, size + LINE - 1);
    *raw = p;
    return p == NULL ? NULL : (void *)(((uintptr_t)p + LINE - 1) & ~(uintptr_t)(LINE - 1));
}

static atomic_uint_fast64_t registry_ids; /* the last registry's id */

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
    nng_http_server *http;
    nng_http_handler *handler;
    char url[300]; /* the URL served, port resolved */
};

ferry_status ferry_metrics_new(ferry_metrics **out)
{
    ferryi_error_clear();
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_metrics_new: no out pointer");
    void *raw = NULL;
    ferry_metrics *m = calloc_lines(sizeof *m, &raw);
    if (m == NULL ||
        (m->series = calloc_lines(MAX_SERIES * sizeof *m->series, &m->series_raw)) == NULL) {
        free(raw);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_metrics_new: out of memory");
    }
    m->raw = raw;
    m->id = atomic_fetch_add_explicit(&registry_ids, 1, memory_order_relaxed) + 1;
    pthread_mutex_init(&m->mu, NULL);
    snprintf(m->clients[MAX_CLIENTS].name, sizeof m->clients[0].name, "other");
    snprintf(m->clients[MAX_CLIENTS].version, sizeof m->clients[0].version, "other");
    *out = m;
    return FERRY_OK;
}

void ferry_metrics_free(ferry_metrics *m)
{
    if (m == NULL)
        return;
    if (m->http != NULL) {
        nng_http_server_stop(m->http);
        nng_http_server_release(m->http);
    }
    pthread_mutex_destroy(&m->mu);
    free(m->series_raw);
    free(m->raw);
}

/* ---- counting ----------------------------------------------------------- */

/* Counts `v` against `bounds`, both in the histogram's whole units. */
static void observe(histogram *h, const uint64_t *bounds, size_t n, uint64_t v)
{
    size_t i = 0;
    while (i < n && v > bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

static series *scan(ferry_metrics *m, size_t n, ferry_call_side side, const ferry_method *key)
{
    for (size_t i = 0; i < n; i++)
        if (m->series[i].key == key && m->series[i].side == side)
            return &m->series[i];
    return NULL;
}

/* The series a thread counted into last on each side, and whose: a
 * thread's calls are mostly of one method, and finding it again would scan
 * the registry twice per call (a thread may count both sides: an nng
 * thread completes client calls and serves requests). Registries are told apart by `id`, not by
 * address, since a freed registry's address may be the next one's. */
typedef struct found_series {
    uint64_t id;
    ferry_call_side side;
    const ferry_method *key;
    series *s;
} found_series;
static __thread found_series last_series[2];

/* The series of (`side`, `key`), added when new. Past MAX_SERIES - 1
 * everything shares the last one, "other" (it is never found by key). */
static series *find_series(ferry_metrics *m, ferry_call_side side, const ferry_method *key)
{
    found_series *last = &last_series[side == FERRY_SIDE_SERVER];
    if (last->id == m->id && last->key == key && last->side == side)
        return last->s;
    series *s = scan(m, atomic_load_explicit(&m->n_series, memory_order_acquire), side, key);
    if (s == NULL) {
        pthread_mutex_lock(&m->mu);
        size_t n = atomic_load_explicit(&m->n_series, memory_order_relaxed);
        if ((s = scan(m, n, side, key)) == NULL) {
            if (n == MAX_SERIES - 1) {
                s = &m->series[MAX_SERIES - 1];
                if (s->method[0] == '\0') {
                    s->side = side;
                    snprintf(s->method, sizeof s->method, "other");
                }
            } else {
                s = &m->series[n];
                s->side = side;
                s->key = key;
                snprintf(s->method, sizeof s->method, "%s",
                         key != NULL ? key->full_name : "unknown");
                atomic_store_explicit(&m->n_series, n + 1, memory_order_release);
            }
        }
        pthread_mutex_unlock(&m->mu);
    }
    last->id = m->id;
    last->side = side;
    last->key = key;
    last->s = s;
    return s;
}

/* `in` cut to 32 printable ASCII characters (others become '?'). */
static void label_copy(char out[33], const char *in)
{
    size_t n = 0;
    for (; in != NULL && in[n] != '\0' && n < 32; n++)
        out[n] = in[n] >= 0x20 && in[n] < 0x7f ? in[n] : '?';
    out[n] = '\0';
}

/* Whether `label` is what label_copy() makes of `in`: rows are found
 * without copying the call's labels first, which every server call did. */
static int label_is(const char *label, const char *in)
{
    if (in == NULL)
        return label[0] == '\0';
    /* Rows hold printable characters only, so when the row's bytes are the
     * call's (most calls: a client names itself in plain ASCII) the call's
     * are printable too and label_copy() would keep them as they are. */
    size_t n = strnlen(in, 32);
    if (memcmp(label, in, n) == 0)
        return label[n] == '\0';
    for (n = 0; in[n] != '\0' && n < 32; n++)
        if (label[n] != (in[n] >= 0x20 && in[n] < 0x7f ? in[n] : '?'))
            return 0;
    return label[n] == '\0';
}

static client_row *scan_clients(ferry_metrics *m, size_t n, const char *name, const char *version)
{
    for (size_t i = 0; i < n; i++)
        if (label_is(m->clients[i].name, name) && label_is(m->clients[i].version, version))
            return &m->clients[i];
    return NULL;
}

static void count_client(ferry_metrics *m, const char *name, const char *version)
{
    client_row *r =
        scan_clients(m, atomic_load_explicit(&m->n_clients, memory_order_acquire), name, version);
    if (r == NULL) {
        char n[33], v[33];
        label_copy(n, name);
        label_copy(v, version);
        pthread_mutex_lock(&m->mu);
        size_t k = atomic_load_explicit(&m->n_clients, memory_order_relaxed);
        if ((r = scan_clients(m, k, name, version)) == NULL) {
            if (k < MAX_CLIENTS) {
                r = &m->clients[k];
                memcpy(r->name, n, sizeof n);
                memcpy(r->version, v, sizeof v);
                atomic_store_explicit(&m->n_clients, k + 1, memory_order_release);
            } else {
                r = &m->clients[MAX_CLIENTS];
            }
        }
        pthread_mutex_unlock(&m->mu);
    }
    atomic_fetch_add_explicit(&r->calls[my_stripe()].n, 1, memory_order_relaxed);
}

/* Series are keyed by the method's descriptor: a hosted or called
 * method's, else NULL, "unknown" (a name a client invents must not grow
 * the registry). */
static ferry_status count_before(void *arg, const ferry_call_event *ev, char *why, size_t len)
{
    (void)why;
    (void)len;
    ferry_metrics *m = arg;
    series *s = find_series(m, ev->side, ev->method);
    atomic_fetch_add_explicit(&s->stripe[my_stripe()].in_flight, 1, memory_order_relaxed);
    return FERRY_OK;
}

static void count_after(void *arg, const ferry_call_event *ev)
{
    ferry_metrics *m = arg;
    counts *s = &find_series(m, ev->side, ev->method)->stripe[my_stripe()];
    if (ev->admitted)
        atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_relaxed);
    unsigned code = (unsigned)ev->status < N_CODES ? (unsigned)ev->status : FERRY_UNKNOWN;
    atomic_fetch_add_explicit(&s->calls[code], 1, memory_order_relaxed);
    if (ev->attempts > 1)
        atomic_fetch_add_explicit(&s->retries, ev->attempts - 1, memory_order_relaxed);
    if (ev->status == FERRY_FALLBACK)
        atomic_fetch_add_explicit(&s->fallbacks, 1, memory_order_relaxed);
    observe(&s->total, time_bounds_us, N_TIME, ev->total_us);
    if (ev->side == FERRY_SIDE_SERVER && ev->handler_ran) {
        observe(&s->queued, time_bounds_us, N_TIME, ev->queued_us);
        observe(&s->handler, time_bounds_us, N_TIME, ev->handler_us);
    }
    observe(&s->request_bytes, size_bounds_bytes, N_SIZE, ev->request_bytes);
    observe(&s->reply_bytes, size_bounds_bytes, N_SIZE, ev->reply_bytes);
    if (ev->side == FERRY_SIDE_SERVER)
        count_client(m, ev->client_name, ev->client_version);
}

const char *ferry_metrics_url(const ferry_metrics *m)
{
    return m != NULL && m->http != NULL ? m->url : NULL;
}

ferry_interceptor ferry_metrics_interceptor(ferry_metrics *m)
{
    return (ferry_interceptor){.before = count_before, .after = count_after, .arg = m};
}

ferry_status ferryi_metrics_watch(ferry_metrics *m, ferryi_metrics_reader read, void *arg)
{
    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&m->mu);
    if (m->n_servers == MAX_SERVERS) {
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "a metrics registry watches at most %d servers",
                          MAX_SERVERS);
    } else {
        m->servers[m->n_servers].read = read;
        m->servers[m->n_servers++].arg = arg;
    }
    pthread_mutex_unlock(&m->mu);
    return st;
}

void ferryi_metrics_unwatch(ferry_metrics *m, void *arg)
{
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_servers; i++)
        if (m->servers[i].arg == arg) {
            m->servers[i] = m->servers[--m->n_servers];
            break;
        }
    pthread_mutex_unlock(&m->mu);
}

/* ---- the text format ---------------------------------------------------- */

typedef struct text {
    char *buf;
    size_t len, cap;
    int oom;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(text *t, const char *fmt, ...)
{
    if (t->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->buf, cap);
        if (grown == NULL) {
            t->oom = 1;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

/* `v` as a label value: backslashes, quotes and newlines escaped. */
static void add_label(text *t, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            add(t, "\\%c", *p);
        else if (*p == '\n')
            add(t, "\\n");
        else
            add(t, "%c", *p);
    }
}

static const char *side_name(ferry_call_side side)
{
    return side == FERRY_SIDE_SERVER ? "server" : "client";
}

/* "deadline exceeded" -> "deadline_exceeded" */
static void code_label(char *out, size_t len, ferry_status st)
{
    snprintf(out, len, "%s", ferry_status_str(st));
    for (char *p = out; *p; p++)
        if (*p == ' ')
            *p = '_';
}

/* The series to write: those added, and "other" once it is in use. */
static size_t series_count(ferry_metrics *m)
{
    size_t n = atomic_load_explicit(&m->n_series, memory_order_acquire);
    return n == MAX_SERIES - 1 && m->series[MAX_SERIES - 1].method[0] != '\0' ? MAX_SERIES : n;
}

static void add_histogram(text *t, ferry_metrics *m, ferry_call_side side, const char *name,
                          const char *help, const char *unit, size_t which, const double *bounds,
                          size_t n, double scale)
{
    add(t, "# HELP ferry_%s_%s_%s %s\n# TYPE ferry_%s_%s_%s histogram\n", side_name(side), name,
        unit, help, side_name(side), name, unit);
    for (size_t i = 0; i < series_count(m); i++) {
        series *s = &m->series[i];
        if (s->side != side)
            continue;
        /* The buckets are read once, so that the cumulative counts written
         * agree with each other and with the count while calls go on. */
        uint64_t got[N_TIME + 1] = {0}, total = 0, sum = 0;
        for (size_t k = 0; k < N_STRIPES; k++) {
            counts *c = &s->stripe[k];
            histogram *h = (histogram *[]){&c->total, &c->queued, &c->handler, &c->request_bytes,
                                           &c->reply_bytes}[which];
            for (size_t b = 0; b <= n; b++)
                got[b] += atomic_load(&h->bucket[b]);
            sum += atomic_load(&h->sum);
        }
        for (size_t b = 0; b <= n; b++)
            total += got[b];
        if (total == 0)
            continue;
        uint64_t cum = 0;
        for (size_t b = 0; b <= n; b++) {
            cum += got[b];
            add(t, "ferry_%s_%s_%s_bucket{method=\"", side_name(side), name, unit);
            add_label(t, s->method);
            if (b < n)
                add(t, "\",le=\"%g\"} %llu\n", bounds[b], (unsigned long long)cum);
            else
                add(t, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        add(t, "ferry_%s_%s_%s_sum{method=\"", side_name(side), name, unit);
        add_label(t, s->method);
        add(t, "\"} %.9g\n", (double)sum / scale);
        add(t, "ferry_%s_%s_%s_count{method=\"", side_name(side), name, unit);
        add_label(t, s->method);
        add(t, "\"} %llu\n", (unsigned long long)cum);
    }
}

/* One metric per (side, method) with a value from `get`; `type` counter or
 * gauge. Series whose value is 0 are left out of counters that are
 * rarely anything else (retries, fallbacks). */
static void add_simple(text *t, ferry_metrics *m, ferry_call_side side, const char *name,
                       const char *type, const char *help, int64_t (*get)(series *), int skip_zero)
{
    add(t, "# HELP ferry_%s_%s %s\n# TYPE ferry_%s_%s %s\n", side_name(side), name, help,
        side_name(side), name, type);
    for (size_t i = 0; i < series_count(m); i++) {
        series *s = &m->series[i];
        int64_t v = get(s);
        if (s->side != side || (skip_zero && v == 0))
            continue;
        add(t, "ferry_%s_%s{method=\"", side_name(side), name);
        add_label(t, s->method);
        add(t, "\"} %lld\n", (long long)v);
    }
}

static int64_t get_in_flight(series *s)
{
    int64_t v = 0;
    for (size_t k = 0; k < N_STRIPES; k++)
        v += (int64_t)atomic_load(&s->stripe[k].in_flight);
    return v;
}

static int64_t get_retries(series *s)
{
    uint64_t v = 0;
    for (size_t k = 0; k < N_STRIPES; k++)
        v += atomic_load(&s->stripe[k].retries);
    return (int64_t)v;
}

static int64_t get_fallbacks(series *s)
{
    uint64_t v = 0;
    for (size_t k = 0; k < N_STRIPES; k++)
        v += atomic_load(&s->stripe[k].fallbacks);
    return (int64_t)v;
}

static void add_sides(text *t, ferry_metrics *m, ferry_call_side side)
{
    add(t, "# HELP ferry_%s_calls_total Calls that ended, by method and status code.\n",
        side_name(side));
    add(t, "# TYPE ferry_%s_calls_total counter\n", side_name(side));
    for (size_t i = 0; i < series_count(m); i++) {
        series *s = &m->series[i];
        if (s->side != side)
            continue;
        for (unsigned c = 0; c < N_CODES; c++) {
            uint64_t calls = 0;
            for (size_t k = 0; k < N_STRIPES; k++)
                calls += atomic_load(&s->stripe[k].calls[c]);
            if (calls == 0)
                continue;
            char code[32];
            code_label(code, sizeof code, (ferry_status)c);
            add(t, "ferry_%s_calls_total{method=\"", side_name(side));
            add_label(t, s->method);
            add(t, "\",code=\"%s\"} %llu\n", code, (unsigned long long)calls);
        }
    }
    add_simple(t, m, side, "in_flight", "gauge", "Calls started and not yet ended.", get_in_flight,
               0);
    add_histogram(t, m, side, "call", "Time from a call's start to its end.", "seconds", 0,
                  time_bounds, N_TIME, 1e6);
    if (side == FERRY_SIDE_SERVER) {
        add_histogram(t, m, side, "queue", "Time a request waited for a handler.", "seconds", 1,
                      time_bounds, N_TIME, 1e6);
        add_histogram(t, m, side, "handler", "Time handlers ran.", "seconds", 2, time_bounds,
                      N_TIME, 1e6);
    } else {
        add_simple(t, m, side, "retries_total", "counter", "Attempts after a call's first.",
                   get_retries, 1);
        add_simple(t, m, side, "fallbacks_total", "counter",
                   "Calls answered by their method's fallback.", get_fallbacks, 1);
    }
    add_histogram(t, m, side, "request", "Size of request bodies.", "bytes", 3, size_bounds, N_SIZE,
                  1);
    add_histogram(t, m, side, "reply", "Size of reply bodies.", "bytes", 4, size_bounds, N_SIZE, 1);
}

static void add_servers(text *t, ferry_metrics *m)
{
    if (m->n_servers == 0)
        return;
    ferry_server_counters sum = {0};
    ferry_auth_counters auth = {0};
    for (size_t i = 0; i < m->n_servers; i++) {
        ferry_server_counters c;
        ferry_auth_counters a;
        m->servers[i].read(m->servers[i].arg, &c, &a);
        sum.connections += c.connections;
        sum.rejected += c.rejected;
        sum.busy += c.busy;
        sum.dropped += c.dropped;
        sum.muted += c.muted;
        uint64_t *d = (uint64_t *)&auth;
        const uint64_t *s = (const uint64_t *)&a;
        for (size_t k = 0; k < sizeof auth / sizeof(uint64_t); k++)
            d[k] += s[k];
    }
    add(t,
        "# HELP ferry_server_connections_total Connections accepted.\n"
        "# TYPE ferry_server_connections_total counter\n"
        "ferry_server_connections_total %llu\n",
        (unsigned long long)sum.connections);
    add(t,
        "# HELP ferry_server_refused_total Requests answered with an error before a handler.\n"
        "# TYPE ferry_server_refused_total counter\n"
        "ferry_server_refused_total %llu\n",
        (unsigned long long)sum.rejected);
    add(t,
        "# HELP ferry_server_busy_total Requests refused: too many waiting on their connection.\n"
        "# TYPE ferry_server_busy_total counter\n"
        "ferry_server_busy_total %llu\n",
        (unsigned long long)sum.busy);
    add(t,
        "# HELP ferry_server_dropped_total Requests and replies dropped for connections not "
        "reading.\n"
        "# TYPE ferry_server_dropped_total counter\n"
        "ferry_server_dropped_total %llu\n",
        (unsigned long long)sum.dropped);
    add(t,
        "# HELP ferry_server_muted_total Times a connection was muted for not reading.\n"
        "# TYPE ferry_server_muted_total counter\n"
        "ferry_server_muted_total %llu\n",
        (unsigned long long)sum.muted);
    static const char *const outcomes[] = {
        "verified",      "anonymous", "missing_proof", "malformed",  "unknown_key",
        "bad_timestamp", "bad_proof", "replayed",      "retransmit", "permission_denied",
    };
    const uint64_t *v = (const uint64_t *)&auth;
    add(t, "# HELP ferry_server_identity_checks_total Request identity checks, by outcome.\n"
           "# TYPE ferry_server_identity_checks_total counter\n");
    for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++)
        add(t, "ferry_server_identity_checks_total{outcome=\"%s\"} %llu\n", outcomes[k],
            (unsigned long long)v[k]);
}

static void add_clients(text *t, ferry_metrics *m)
{
    add(t, "# HELP ferry_server_client_calls_total Calls a server answered, by the client "
           "software that made them.\n"
           "# TYPE ferry_server_client_calls_total counter\n");
    size_t n = atomic_load_explicit(&m->n_clients, memory_order_acquire);
    for (size_t i = 0; i <= MAX_CLIENTS; i++) {
        client_row *r = &m->clients[i];
        uint64_t calls = 0;
        for (size_t k = 0; k < N_STRIPES; k++)
            calls += atomic_load(&r->calls[k].n);
        if ((i >= n && i != MAX_CLIENTS) || calls == 0)
            continue;
        add(t, "ferry_server_client_calls_total{client_name=\"");
        add_label(t, r->name);
        add(t, "\",client_version=\"");
        add_label(t, r->version);
        add(t, "\"} %llu\n", (unsigned long long)calls);
    }
}

ferry_status ferry_metrics_write(ferry_metrics *m, char **out, size_t *len)
{
    ferryi_error_clear();
    if (m == NULL || out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_metrics_write: no %s given",
                            m == NULL ? "registry" : "out pointer");
    text t = {.cap = 4096};
    if ((t.buf = malloc(t.cap)) == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_metrics_write: out of memory");
    t.buf[0] = '\0';
    pthread_mutex_lock(&m->mu);
    add_sides(&t, m, FERRY_SIDE_SERVER);
    add_clients(&t, m);
    add_sides(&t, m, FERRY_SIDE_CLIENT);
    add_servers(&t, m);
    pthread_mutex_unlock(&m->mu);
    if (t.oom) {
        free(t.buf);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_metrics_write: out of memory");
    }
    *out = t.buf;
    if (len != NULL)
        *len = t.len;
    return FERRY_OK;
}

/* ---- the HTTP endpoint -------------------------------------------------- */

static void serve_cb(nng_aio *aio)
{
    nng_http_handler *h = nng_aio_get_input(aio, 1);
    ferry_metrics *m = nng_http_handler_get_data(h);
    nng_http_res *res = NULL;
    char *body = NULL;
    size_t len = 0;
    int rv = 0;
    if (ferry_metrics_write(m, &body, &len) != FERRY_OK) {
        rv = nng_http_res_alloc_error(&res, NNG_HTTP_STATUS_INTERNAL_SERVER_ERROR);
    } else if ((rv = nng_http_res_alloc(&res)) == 0 &&
               ((rv = nng_http_res_copy_data(res, body, len)) != 0 ||
                (rv = nng_http_res_set_header(res, "Content-Type",
                                              "text/plain; version=0.0.4; charset=utf-8")) != 0)) {
        nng_http_res_free(res);
        res = NULL;
    }
    free(body);
    if (rv != 0) {
        nng_aio_finish(aio, rv);
        return;
    }
    nng_aio_set_output(aio, 0, res);
    nng_aio_finish(aio, 0);
}

/* Whether `url` is http://HOST:PORT[/PATH] with a host and a port: a
 * metrics endpoint never lands on a default port or on every address by
 * accident. */
static int endpoint_url(const char *url)
{
    if (url == NULL || strncmp(url, "http://", 7) != 0)
        return 0;
    const char *host = url + 7, *end = host + strcspn(host, "/");
    const char *colon = NULL;
    for (const char *p = host; p < end; p++)
        if (*p == ':')
            colon = p;
    if (colon == NULL || colon == host || colon + 1 == end)
        return 0;
    for (const char *p = colon + 1; p < end; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

ferry_status ferry_metrics_serve(ferry_metrics *m, const char *url, char *bound, size_t bound_len)
{
    ferryi_error_clear();
    if (m == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_metrics_serve: no registry given");
    if (!endpoint_url(url))
        return ferryi_error(FERRY_INVALID_ARGUMENT, "metrics url %s: not http://HOST:PORT[/PATH]",
                            url != NULL ? url : "(none)");
    if (m->http != NULL)
        return ferryi_error(FERRY_ALREADY_EXISTS,
                            "metrics url %s: the registry is served at %s already", url, m->url);
    nng_url *u = NULL;
    if (nng_url_parse(&u, url) != 0)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "metrics url %s: not a URL", url);
    const char *path = u->u_path[0] != '\0' ? u->u_path : "/";
    nng_http_server *srv = NULL;
    nng_http_handler *h = NULL;
    int rv = nng_http_server_hold(&srv, u);
    if (rv == 0)
        rv = nng_http_handler_alloc(&h, path, serve_cb);
    if (rv == 0 && ((rv = nng_http_handler_set_method(h, "GET")) != 0 ||
                    (rv = nng_http_handler_set_data(h, m, NULL)) != 0 ||
                    (rv = nng_http_server_add_handler(srv, h)) != 0)) {
        nng_http_handler_free(h);
    }
    if (rv == 0 && (rv = nng_http_server_start(srv)) != 0)
        ferryi_log(FERRYI_LOG_ERROR, "metrics", "cannot serve metrics at %s: %s", url,
                   nng_strerror(rv));
    if (rv != 0) {
        if (srv != NULL)
            nng_http_server_release(srv);
        nng_url_free(u);
        return ferryi_error(rv == NNG_EINVAL ? FERRY_INVALID_ARGUMENT : FERRY_UNAVAILABLE,
                            "cannot serve metrics at %s: %s", url, nng_strerror(rv));
    }
    nng_sockaddr sa;
    unsigned port = 0;
    if (nng_http_server_get_addr(srv, &sa) == 0 && sa.s_family == NNG_AF_INET)
        port = ((sa.s_in.sa_port & 0xff) << 8) | (sa.s_in.sa_port >> 8);
    else if (nng_http_server_get_addr(srv, &sa) == 0 && sa.s_family == NNG_AF_INET6)
        port = ((sa.s_in6.sa_port & 0xff) << 8) | (sa.s_in6.sa_port >> 8);
    snprintf(m->url, sizeof m->url, "http://%s:%u%s", u->u_hostname, port, path);
    if (bound != NULL && bound_len > 0)
        snprintf(bound, bound_len, "%s", m->url);
    nng_url_free(u);
    m->http = srv;
    m->handler = h;
    ferryi_log(FERRYI_LOG_INFO, "metrics", "serving metrics at %s", url);
    return FERRY_OK;
}
