/* server.c - a ferry_server made, configured and listening: its options,
 * services, interceptors, metrics, identity and counters. How it serves
 * its calls is engine.c's; how it stops, shutdown.c's. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "server/hosted.h"
#include "ops/metrics.h"
#include "base/log.h"
#include "identity/tls.h"
#include "server/server_impl.h"

#define DEFAULT_WORKERS         4u
#define DEFAULT_SEND_TIMEOUT_MS 10000u
/* Requests of one connection that may wait for its turn (server.h). */
#define WAITING_MAX       4096u
#define WAITING_BYTES_MIN ((size_t)16 << 20)

/* ------------------------------------------------------------------------
 * Life cycle
 * ---------------------------------------------------------------------- */

static unsigned env_workers(void)
{
    const char *s = getenv("FERRY_WORKERS");
    if (s == NULL || *s == '\0')
        return DEFAULT_WORKERS;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > 1024) {
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "FERRY_WORKERS=%s is not a number from 1 to 1024; using %u", s, DEFAULT_WORKERS);
        return DEFAULT_WORKERS;
    }
    return (unsigned)v;
}

/* Whether the environment variable `name` is "1". */
static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && strcmp(v, "1") == 0;
}

/* Counts the server's calls into a registry of its own and serves it at
 * `url`. */
static ferry_status start_metrics(ferry_server *srv, const char *url)
{
    char bound[512];
    ferry_interceptor ic;
    ferry_status st = ferry_metrics_new(&srv->metrics);
    if (st == FERRY_OK) {
        ic = ferry_metrics_interceptor(srv->metrics);
        st = ferryi_hooks_add(&srv->hooks, &ic);
    }
    if (st == FERRY_OK)
        st = ferry_metrics_watch_server(srv->metrics, srv);
    if (st == FERRY_OK)
        st = ferry_metrics_serve(srv->metrics, url, bound, sizeof bound);
    if (st != FERRY_OK)
        ferryi_log(FERRYI_LOG_ERROR, "server", "cannot serve metrics at %s: %s", url,
                   ferry_status_str(st));
    else
        ferryi_log(FERRYI_LOG_INFO, "server", "metrics at %s", bound);
    return st;
}

ferry_status ferry_server_new(ferry_server **out, const ferry_server_opts *opts)
{
    if (out == NULL)
        return FERRY_INVALID_ARGUMENT;
    *out = NULL;
    ferry_server_opts o = opts != NULL ? *opts : (ferry_server_opts){0};
    if (o.workers == 0)
        o.workers = env_workers();
    if (o.max_in_flight == 0)
        o.max_in_flight = o.workers * 4 < 16 ? 16 : o.workers * 4;
    if (o.max_message == 0)
        o.max_message = FERRY_DEFAULT_MAX_MESSAGE;
    if (o.send_timeout_ms == 0)
        o.send_timeout_ms = DEFAULT_SEND_TIMEOUT_MS;
    if (o.max_call_memory == 0)
        o.max_call_memory = 8 * o.max_message;
    if (o.max_in_flight_per_connection == 0)
        o.max_in_flight_per_connection = o.max_in_flight / 2 < 1 ? 1 : o.max_in_flight / 2;
    if (o.workers > 1024 || o.max_in_flight > 65536 || o.max_message > UINT32_MAX ||
        o.max_message < 256 || o.send_timeout_ms > INT32_MAX || o.max_call_memory < o.max_message)
        return FERRY_INVALID_ARGUMENT;
    nng_tls_config *tls = NULL;
    if (ferry_tls_is_set(&o.tls)) {
        char err[FERRY_MESSAGE_MAX];
        ferry_status st = ferryi_tls_config(&tls, &o.tls, FERRY_TLS_SERVER, NULL, err, sizeof err);
        if (st != FERRY_OK) {
            ferryi_log(FERRYI_LOG_ERROR, "server", "TLS options refused: %s", err);
            return st;
        }
    }

    ferry_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        if (tls != NULL)
            nng_tls_config_free(tls);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    srv->tls = tls;
    pthread_mutex_init(&srv->io_mu, NULL);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->done, NULL);
    ferryi_registry_init(&srv->reg);
    ferryi_versions_init(&srv->ver);
    srv->health = ferryi_health_new();
    srv->max_message = o.max_message;
    srv->roles_without_identity =
        o.serve_roles_without_identity || env_flag("FERRY_SERVE_ROLES_WITHOUT_IDENTITY");
    srv->max_call_memory = o.max_call_memory;
    srv->drain_notice_ms = o.drain_notice_ms;
    if (srv->drain_notice_ms == 0 && getenv("FERRY_DRAIN_NOTICE_MS") != NULL)
        srv->drain_notice_ms = (uint32_t)strtoul(getenv("FERRY_DRAIN_NOTICE_MS"), NULL, 10);

    ferry_status st = FERRY_RESOURCE_EXHAUSTED;
    if (srv->health == NULL || nng_rep0_open(&srv->sock) != 0)
        goto fail;
    srv->sock_open = 1;
    srv->listeners = ferryi_listeners_new(srv->sock, srv->tls);
    ferryi_conns_opts co = {
        .max_running = o.max_in_flight_per_connection,
        /* Requests past the share wait in memory, not in a context; their
         * bytes are what is bounded. */
        .max_waiting = WAITING_MAX,
        .max_waiting_bytes =
            4 * o.max_message < WAITING_BYTES_MIN ? WAITING_BYTES_MIN : 4 * o.max_message,
        /* Replies pile up only when their client reads slower than it asks. */
        .max_replies = WAITING_MAX + o.max_in_flight_per_connection,
        .max_reply_bytes = ((size_t)o.max_in_flight_per_connection + 1) * o.max_message,
        .send_timeout = (nng_duration)o.send_timeout_ms,
    };
    srv->conns = ferryi_conns_new(srv->sock, &co);
    if (srv->listeners == NULL || srv->conns == NULL ||
        nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, o.max_message + FERRYI_NNG_HEADER_ROOM) !=
            0 ||
        nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_POST, ferryi_server_pipe_cb, srv) != 0)
        goto fail;
    srv->min_receiving = o.max_in_flight / 4 < 1 ? 1 : o.max_in_flight / 4;
    srv->ctxs = calloc(o.max_in_flight, sizeof *srv->ctxs);
    if (srv->ctxs == NULL)
        goto fail;
    for (unsigned i = 0; i < o.max_in_flight; i++) {
        srv_ctx *c = &srv->ctxs[i];
        c->srv = srv;
        c->ph = PH_IDLE;
        ferryi_arena_init(&c->call.arena);
        if (nng_aio_alloc(&c->aio, ferryi_server_ctx_cb, c) != 0)
            goto fail;
        srv->n_ctx++;
        if (nng_ctx_open(&c->ctx, srv->sock) != 0)
            goto fail;
    }
    /* Metrics asked for in the options must be served; from the environment,
     * which every server of the process sees, only the first server can
     * have the address: the others log why and go without. */
    const char *env_metrics = getenv("FERRY_METRICS_URL");
    if (o.metrics_url != NULL && (st = start_metrics(srv, o.metrics_url)) != FERRY_OK)
        goto fail;
    if (o.metrics_url == NULL && env_metrics != NULL && env_metrics[0] != '\0' &&
        start_metrics(srv, env_metrics) != FERRY_OK) {
        ferry_metrics_free(srv->metrics);
        srv->metrics = NULL;
        srv->hooks.n = 0; /* the metrics' interceptor was the only one yet */
    }
    st = FERRY_RESOURCE_EXHAUSTED;
    srv->inline_handlers = o.inline_handlers || env_flag("FERRY_INLINE_HANDLERS");
    if (!srv->inline_handlers) {
        if (ferryi_workq_start(&srv->wq, o.workers) != 0)
            goto fail;
        srv->wq_started = 1;
    }
    *out = srv;
    return FERRY_OK;
fail:
    ferry_server_free(srv);
    return st;
}

ferry_status ferry_server_add(ferry_server *srv, const ferry_service_impl *impl)
{
    if (srv == NULL || impl == NULL)
        return FERRY_INVALID_ARGUMENT;
    if (srv->serving)
        return FERRY_FAILED_PRECONDITION;
    ferry_status st = ferryi_registry_add(&srv->reg, impl);
    return st == FERRY_OK ? ferryi_versions_add(&srv->ver, impl->desc) : st;
}

ferryi_versions *ferryi_server_versions(ferry_server *srv, int *serving)
{
    *serving = srv->serving;
    return &srv->ver;
}

/* The server's figures, for the metrics registries that watch it. */
static void read_counters(void *arg, ferry_server_counters *c, ferry_auth_counters *a)
{
    ferry_server_get_counters(arg, c);
    ferry_server_get_auth_counters(arg, a);
}

ferry_status ferry_metrics_watch_server(ferry_metrics *m, ferry_server *srv)
{
    if (m == NULL || srv == NULL)
        return FERRY_INVALID_ARGUMENT;
    return ferryi_metrics_watch(m, read_counters, srv);
}

void ferry_metrics_unwatch_server(ferry_metrics *m, ferry_server *srv)
{
    if (m != NULL)
        ferryi_metrics_unwatch(m, srv);
}

ferry_status ferry_server_set_api_range(ferry_server *srv, const char *service, uint32_t min,
                                        uint32_t max)
{
    if (srv == NULL || service == NULL)
        return FERRY_INVALID_ARGUMENT;
    if (srv->serving)
        return FERRY_FAILED_PRECONDITION;
    return ferryi_versions_set_range(&srv->ver, service, min, max);
}

ferry_status ferry_server_get_api_range(ferry_server *srv, const char *service, uint32_t *min,
                                        uint32_t *max)
{
    if (srv == NULL || service == NULL || min == NULL || max == NULL)
        return FERRY_INVALID_ARGUMENT;
    return ferryi_versions_get_range(&srv->ver, service, min, max);
}

ferry_status ferry_server_set_stats_limit(ferry_server *srv, size_t rows)
{
    if (srv == NULL || rows > 1048576)
        return FERRY_INVALID_ARGUMENT;
    if (srv->serving)
        return FERRY_FAILED_PRECONDITION;
    ferryi_versions_set_limit(&srv->ver, rows);
    return FERRY_OK;
}

ferry_status ferry_server_add_interceptor(ferry_server *srv, const ferry_interceptor *ic)
{
    if (srv == NULL)
        return FERRY_INVALID_ARGUMENT;
    if (srv->serving)
        return FERRY_FAILED_PRECONDITION;
    return ferryi_hooks_add(&srv->hooks, ic);
}

ferry_metrics *ferry_server_metrics(ferry_server *srv)
{
    return srv != NULL ? srv->metrics : NULL;
}

ferryi_health *ferryi_server_health(ferry_server *srv)
{
    return srv->health;
}

int ferryi_server_draining(const ferry_server *srv)
{
    return atomic_load(&srv->draining);
}

/* Writes the URL a listener is bound to, with the port nng chose for :0. */
static void bound_url(nng_listener l, const char *url, char *bound, size_t bound_len)
{
    nng_sockaddr sa;
    snprintf(bound, bound_len, "%s", url);
    if ((strncmp(url, "tcp", 3) != 0 && strncmp(url, "tls+tcp", 7) != 0) ||
        nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) != 0)
        return;
    unsigned port = 0;
    if (sa.s_family == NNG_AF_INET)
        port = ((const uint8_t *)&sa.s_in.sa_port)[0] << 8 | ((const uint8_t *)&sa.s_in.sa_port)[1];
    else if (sa.s_family == NNG_AF_INET6)
        port =
            ((const uint8_t *)&sa.s_in6.sa_port)[0] << 8 | ((const uint8_t *)&sa.s_in6.sa_port)[1];
    const char *colon = strrchr(url, ':');
    if (port == 0 || colon == NULL)
        return;
    snprintf(bound, bound_len, "%.*s:%u", (int)(colon - url), url, port);
}

ferry_status ferry_server_listen(ferry_server *srv, const char *url, char *bound, size_t bound_len)
{
    if (srv == NULL || url == NULL || atomic_load(&srv->draining))
        return FERRY_INVALID_ARGUMENT;
    if (ferryi_tls_url(url) && srv->tls == NULL) {
        ferryi_log(FERRYI_LOG_ERROR, "server",
                   "cannot listen on %s: no TLS certificate; set ferry_server_opts.tls", url);
        return FERRY_FAILED_PRECONDITION;
    }
    nng_listener l;
    int rv = ferryi_listeners_open(srv->listeners, url, &l);
    if (rv != 0) {
        ferryi_log(FERRYI_LOG_ERROR, "server", "cannot listen on %s: %s", url, nng_strerror(rv));
        return rv == NNG_EADDRINUSE ? FERRY_ALREADY_EXISTS
               : rv == NNG_ENOMEM   ? FERRY_RESOURCE_EXHAUSTED
               : rv == NNG_EPERM    ? FERRY_PERMISSION_DENIED
                                    : FERRY_INVALID_ARGUMENT;
    }
    if (bound != NULL && bound_len > 0)
        bound_url(l, url, bound, bound_len);
    if (!srv->serving && srv->auth == NULL) {
        const char *restricted = ferryi_registry_first_with_roles(&srv->reg);
        if (restricted != NULL && !srv->roles_without_identity) {
            ferryi_log(FERRYI_LOG_ERROR, "server",
                       "cannot serve %s: it requires roles, and roles are checked only on "
                       "callers whose identity was verified; set the server's identity "
                       "(ferry_server_set_identity()), or set "
                       "ferry_server_opts.serve_roles_without_identity "
                       "(FERRY_SERVE_ROLES_WITHOUT_IDENTITY=1) to serve every caller",
                       restricted);
            return FERRY_FAILED_PRECONDITION;
        }
        if (restricted != NULL)
            ferryi_log(FERRYI_LOG_WARN, "server",
                       "identity is off: methods that require roles (%s among them) are served "
                       "to every caller, as serve_roles_without_identity asks",
                       restricted);
    }
    if (!srv->serving) {
        srv->serving = 1;
        for (unsigned i = 0; i < srv->n_ctx; i++)
            ferryi_server_start_recv(&srv->ctxs[i]);
    }
    ferryi_log(FERRYI_LOG_INFO, "server", "listening on %s", url);
    return FERRY_OK;
}

ferry_status ferry_server_set_identity(ferry_server *srv, const ferry_server_identity *id,
                                       char *err, size_t err_len)
{
    char scratch[FERRY_MESSAGE_MAX];
    if (err == NULL || err_len == 0) {
        err = scratch;
        err_len = sizeof scratch;
    }
    err[0] = '\0';
    if (srv == NULL || id == NULL) {
        snprintf(err, err_len, "no server or no identity given");
        return FERRY_INVALID_ARGUMENT;
    }
    if (srv->serving || srv->auth != NULL) {
        snprintf(err, err_len, "identity is set once, before the server listens");
        return FERRY_FAILED_PRECONDITION;
    }
    ferryi_auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    ferry_status st = ferryi_auth_init(a, id, err, err_len);
    if (st != FERRY_OK) {
        ferryi_auth_fini(a);
        free(a);
        return st;
    }
    srv->auth = a;
    ferryi_log(FERRYI_LOG_INFO, "server", "identity on: key %s, keyring %s (%zu keys)%s",
               ferry_key_name(id->key), id->keyring_path, ferry_keyring_size(a->trust->kr),
               a->allow_anonymous ? ", anonymous callers allowed" : "");
    return FERRY_OK;
}

ferry_status ferry_server_reload_keyring(ferry_server *srv, char *err, size_t err_len)
{
    char scratch[FERRY_MESSAGE_MAX];
    if (err == NULL || err_len == 0) {
        err = scratch;
        err_len = sizeof scratch;
    }
    if (srv == NULL || srv->auth == NULL) {
        snprintf(err, err_len, "the server has no identity set");
        return FERRY_FAILED_PRECONDITION;
    }
    return ferryi_auth_reload(srv->auth, err, err_len);
}

void ferry_server_get_auth_counters(ferry_server *srv, ferry_auth_counters *out)
{
    if (out == NULL)
        return;
    *out = (ferry_auth_counters){0};
    if (srv == NULL || srv->auth == NULL)
        return;
    uint64_t *f[FERRYI_AUTH_N_COUNTERS] = {
        [FERRYI_AUTH_VERIFIED] = &out->verified,
        [FERRYI_AUTH_ANONYMOUS] = &out->anonymous,
        [FERRYI_AUTH_MISSING] = &out->missing_proof,
        [FERRYI_AUTH_MALFORMED] = &out->malformed,
        [FERRYI_AUTH_UNKNOWN_KEY] = &out->unknown_key,
        [FERRYI_AUTH_BAD_TIMESTAMP] = &out->bad_timestamp,
        [FERRYI_AUTH_BAD_PROOF] = &out->bad_proof,
        [FERRYI_AUTH_REPLAYED] = &out->replayed,
        [FERRYI_AUTH_RETRANSMITS] = &out->retransmits,
        [FERRYI_AUTH_PERMISSION_DENIED] = &out->permission_denied,
    };
    for (int i = 0; i < FERRYI_AUTH_N_COUNTERS; i++)
        *f[i] = atomic_load(&srv->auth->n[i]);
}

void ferry_server_get_counters(ferry_server *srv, ferry_server_counters *out)
{
    if (out == NULL)
        return;
    if (srv == NULL) {
        *out = (ferry_server_counters){0};
        return;
    }
    out->received = atomic_load(&srv->received);
    out->handled = atomic_load(&srv->handled);
    out->rejected = atomic_load(&srv->rejected);
    out->connections = atomic_load(&srv->connections);
    ferryi_conns_counters n = {0};
    if (srv->conns != NULL)
        ferryi_conns_get_counters(srv->conns, &n);
    out->replies_sent = n.sent;
    out->waited = n.waited;
    out->busy = n.busy;
    out->dropped = n.dropped;
    out->muted = n.mutes;
}
