/* metrics.c - call metrics (ferry/metrics.h): the registry an interceptor
 * counts into and the HTTP endpoint that serves it; metrics_text.c writes
 * it as Prometheus text. */
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "base/error.h"
#include "ops/metrics_reg.h"
#include "ferry/ferry.h"
#include "base/log.h"
#include "base/utf8.h"

/* The bounds of metrics_text.c's histograms in the whole units counted
 * (us, bytes): a call is counted with integer compares, not a
 * multiplication per bucket. */
static const uint64_t time_bounds_us[N_TIME] = {500,     1000,    2500,    5000,    10000,
                                                25000,   50000,   100000,  250000,  500000,
                                                1000000, 2500000, 5000000, 10000000};
static const uint64_t size_bounds_bytes[N_SIZE] = {64,    256,    1024,    4096,   16384,
                                                   65536, 262144, 1048576, 4194304};

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
    /* The queue's time counts for every call a worker took, those refused
     * then (deadline passed while queued) too; 0 means none took it (or
     * took it at once, which the first bucket holds either way). */
    if (ev->side == FERRY_SIDE_SERVER && (ev->handler_ran || ev->queued_us != 0))
        observe(&s->queued, time_bounds_us, N_TIME, ev->queued_us);
    if (ev->side == FERRY_SIDE_SERVER && ev->handler_ran)
        observe(&s->handler, time_bounds_us, N_TIME, ev->handler_us);
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
    for (size_t i = 0; i < m->n_servers;)
        if (m->servers[i].arg == arg)
            m->servers[i] = m->servers[--m->n_servers];
        else
            i++;
    for (size_t i = 0; i < m->n_channels;)
        if (m->channels[i].arg == arg)
            m->channels[i] = m->channels[--m->n_channels];
        else
            i++;
    pthread_mutex_unlock(&m->mu);
}

ferry_status ferryi_metrics_watch_endpoints(ferry_metrics *m, ferryi_metrics_endpoints read,
                                            void *arg, const char *target)
{
    ferry_status st = FERRY_OK;
    /* Label values are UTF-8: cut on a character, and no stray bytes (a
     * target is whatever the program was given). */
    char label[sizeof m->channels[0].target];
    size_t len = ferryi_utf8_copy(label, sizeof label, target);
    target = label;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_channels && st == FERRY_OK; i++)
        if (m->channels[i].arg == arg || (strlen(m->channels[i].target) == len &&
                                          strncmp(m->channels[i].target, target, len) == 0))
            /* Two rows of one series would make the scrape invalid. */
            st = ferryi_error(FERRY_ALREADY_EXISTS, "the registry watches %s already",
                              m->channels[i].arg == arg ? "this channel"
                                                        : "a channel to this target");
    if (st == FERRY_OK && m->n_channels == MAX_CHANNELS) {
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED,
                          "a metrics registry watches at most %d balancing channels", MAX_CHANNELS);
    } else if (st == FERRY_OK) {
        m->channels[m->n_channels].read = read;
        m->channels[m->n_channels].arg = arg;
        memcpy(m->channels[m->n_channels].target, target, len);
        m->channels[m->n_channels].target[len] = '\0';
        m->n_channels++;
    }
    pthread_mutex_unlock(&m->mu);
    return st;
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
