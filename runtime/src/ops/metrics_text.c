/* metrics_text.c - a metrics registry (metrics_reg.h) written in the
 * Prometheus text format: ferry_metrics_write(), which the HTTP endpoint
 * (metrics.c) serves at every scrape. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utf8.h"
#include "ferry/ferry.h"
#include "ops/metrics_reg.h"

/* Latency bounds in seconds and size bounds in bytes, as written; metrics.c
 * counts against the same bounds in whole units. */
static const double time_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
_Static_assert(sizeof time_bounds / sizeof time_bounds[0] == N_TIME, "N_TIME bounds");
static const double size_bounds[] = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304};
_Static_assert(sizeof size_bounds / sizeof size_bounds[0] == N_SIZE, "N_SIZE bounds");

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

/* `v` as a label value: valid UTF-8 (a byte that starts no well-formed
 * character becomes '?': Prometheus refuses a whole scrape over one), with
 * backslashes, quotes and newlines escaped. */
static void add_label(text *t, const char *v)
{
    char small[256];
    size_t len = strlen(v);
    char *valid = len < sizeof small ? small : malloc(len + 1);
    if (valid == NULL) {
        t->oom = 1;
        return;
    }
    ferryi_utf8_copy(valid, len + 1, v);
    for (const char *p = valid; *p; p++) {
        if (*p == '\\' || *p == '"')
            add(t, "\\%c", *p);
        else if (*p == '\n')
            add(t, "\\n");
        else
            add(t, "%c", *p);
    }
    if (valid != small)
        free(valid);
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
    const struct {
        const char *name, *help;
        uint64_t value;
    } counters[] = {
        {"connections", "Connections accepted.", sum.connections},
        {"refused", "Requests answered with an error before a handler.", sum.rejected},
        {"busy", "Requests refused: too many waiting on their connection.", sum.busy},
        {"dropped", "Requests and replies dropped for connections not reading.", sum.dropped},
        {"muted", "Times a connection was muted for not reading.", sum.muted},
    };
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++)
        add(t,
            "# HELP ferry_server_%s_total %s\n# TYPE ferry_server_%s_total counter\n"
            "ferry_server_%s_total %llu\n",
            counters[k].name, counters[k].help, counters[k].name, counters[k].name,
            (unsigned long long)counters[k].value);
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

/* Endpoints read of one balancing channel for one scrape. */
typedef struct ep_rows {
    const char *target;
    ferry_endpoint_stats *v;
    size_t n;
} ep_rows;

/* Endpoints read of a channel at the most: a channel keeps 1024 at the
 * most, and those leaving finish their calls and go. */
#define EP_MAX 4096

static void add_ep_labels(text *t, const ep_rows *r, size_t i)
{
    add(t, "{target=\"");
    add_label(t, r->target);
    add(t, "\",endpoint=\"");
    add_label(t, r->v[i].url);
    add(t, "\"");
}

/* One family of endpoint figures: `field` picks the value. */
static void add_ep_family(text *t, const ep_rows *rows, size_t n_rows, const char *name,
                          const char *type, const char *help,
                          uint64_t (*field)(const ferry_endpoint_stats *))
{
    add(t, "# HELP ferry_endpoint_%s %s\n# TYPE ferry_endpoint_%s %s\n", name, help, name, type);
    for (size_t c = 0; c < n_rows; c++)
        for (size_t i = 0; i < rows[c].n; i++) {
            add(t, "ferry_endpoint_%s", name);
            add_ep_labels(t, &rows[c], i);
            add(t, "} %llu\n", (unsigned long long)field(&rows[c].v[i]));
        }
}

static uint64_t ep_calls(const ferry_endpoint_stats *e)
{
    return e->calls;
}

static uint64_t ep_errors(const ferry_endpoint_stats *e)
{
    return e->errors;
}

static uint64_t ep_in_flight(const ferry_endpoint_stats *e)
{
    return e->in_flight;
}

static uint64_t ep_ejections(const ferry_endpoint_stats *e)
{
    return e->ejections;
}

/* The endpoints of the balancing channels the registry watches, as
 * ferry_balance_endpoints() gives them. */
static void add_endpoints(text *t, ferry_metrics *m)
{
    if (m->n_channels == 0)
        return;
    ep_rows rows[MAX_CHANNELS];
    size_t n_rows = 0;
    for (size_t c = 0; c < m->n_channels; c++) {
        ep_rows *r = &rows[n_rows];
        r->target = m->channels[c].target;
        /* Room for a few that join between the count and the read. */
        size_t want = m->channels[c].read(m->channels[c].arg, NULL, 0) + 8;
        if (want > EP_MAX)
            want = EP_MAX;
        if ((r->v = malloc(want * sizeof *r->v)) == NULL) {
            t->oom = 1;
            break;
        }
        size_t n = m->channels[c].read(m->channels[c].arg, r->v, want);
        r->n = n < want ? n : want;
        n_rows++;
    }
    add_ep_family(t, rows, n_rows, "calls_total", "counter",
                  "Attempts a balancing channel sent to the endpoint.", ep_calls);
    add_ep_family(t, rows, n_rows, "errors_total", "counter",
                  "Attempts on the endpoint that failed unavailable or past their deadline.",
                  ep_errors);
    add_ep_family(t, rows, n_rows, "in_flight", "gauge", "Attempts on the endpoint now.",
                  ep_in_flight);
    add_ep_family(t, rows, n_rows, "ejections_total", "counter",
                  "Times the endpoint was taken out of the picks for failing.", ep_ejections);
    add(t, "# HELP ferry_endpoint_answer_seconds Time from an attempt's start to the endpoint's "
           "answer.\n# TYPE ferry_endpoint_answer_seconds summary\n");
    for (size_t c = 0; c < n_rows; c++)
        for (size_t i = 0; i < rows[c].n; i++) {
            add(t, "ferry_endpoint_answer_seconds_sum");
            add_ep_labels(t, &rows[c], i);
            add(t, "} %.6f\n", (double)rows[c].v[i].latency_sum_us / 1e6);
            add(t, "ferry_endpoint_answer_seconds_count");
            add_ep_labels(t, &rows[c], i);
            add(t, "} %llu\n", (unsigned long long)rows[c].v[i].answered);
        }
    add(t, "# HELP ferry_endpoint_state The endpoint's state: 1 for the one it is in.\n"
           "# TYPE ferry_endpoint_state gauge\n");
    for (size_t c = 0; c < n_rows; c++)
        for (size_t i = 0; i < rows[c].n; i++)
            for (int s = FERRY_ENDPOINT_CONNECTING; s <= FERRY_ENDPOINT_LEAVING; s++) {
                add(t, "ferry_endpoint_state");
                add_ep_labels(t, &rows[c], i);
                add(t, ",state=\"%s\"} %d\n", ferry_endpoint_state_str((ferry_endpoint_state)s),
                    rows[c].v[i].state == (ferry_endpoint_state)s);
            }
    for (size_t c = 0; c < n_rows; c++)
        free(rows[c].v);
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
    add_endpoints(&t, m);
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
