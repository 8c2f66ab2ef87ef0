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

#include "base/error.h"
#include "server/hosted.h"
#include "ops/metrics.h"
#include "base/log.h"
#include "identity/tls.h"
#include "server/options.h"
#include "server/server_impl.h"

/* Requests of one connection that may wait for its turn (server.h). */
#define WAITING_MAX       4096u
#define WAITING_BYTES_MIN ((size_t)16 << 20)

/* ------------------------------------------------------------------------
 * Life cycle
 * ---------------------------------------------------------------------- */

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
        ferryi_log(FERRYI_LOG_ERROR, "server", "metrics at %s: %s", url, ferry_last_error());
    else
        ferryi_log(FERRYI_LOG_INFO, "server", "metrics at %s", bound);
    return st;
}

ferry_status ferry_server_new(ferry_server **out, const ferry_server_opts *opts)
{
    ferryi_error_clear();
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_new: no out pointer");
    *out = NULL;
    ferry_server_opts o = opts != NULL ? *opts : (ferry_server_opts){0};
    ferry_status st = ferryi_server_opts_resolve(&o);
    if (st != FERRY_OK)
        return st;
    nng_tls_config *tls = NULL;
    if (ferry_tls_is_set(&o.tls) &&
        (st = ferryi_tls_config(&tls, &o.tls, FERRY_TLS_SERVER, NULL)) != FERRY_OK)
        return ferryi_error_log(FERRYI_LOG_ERROR, "server", st, "TLS options refused: %s",
                                ferry_last_error());

    ferry_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        if (tls != NULL)
            nng_tls_config_free(tls);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_server_new: out of memory");
    }
    srv->tls = tls;
    pthread_mutex_init(&srv->io_mu, NULL);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->done, NULL);
    ferryi_registry_init(&srv->reg);
    ferryi_versions_init(&srv->ver);
    srv->health = ferryi_health_new();
    srv->max_message = o.max_message;
    srv->roles_without_identity = o.serve_roles_without_identity;
    srv->max_call_memory = o.max_call_memory;
    srv->drain_notice_ms = o.drain_notice_ms;

    st = FERRY_RESOURCE_EXHAUSTED;
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
        ferryi_error_clear(); /* logged; the server goes on without metrics */
        ferry_metrics_free(srv->metrics);
        srv->metrics = NULL;
        srv->hooks.n = 0; /* the metrics' interceptor was the only one yet */
    }
    st = FERRY_RESOURCE_EXHAUSTED;
    srv->inline_handlers = o.inline_handlers;
    if (!srv->inline_handlers) {
        if (ferryi_workq_start(&srv->wq, o.workers) != 0)
            goto fail;
        srv->wq_started = 1;
    }
    *out = srv;
    return FERRY_OK;
fail:
    ferry_server_free(srv);
    return ferryi_error_ensure(st, "ferry_server_new: setting up the socket");
}

/* Empties the caller's last error, then refuses with a reason for `fn` a
 * NULL server, or one already serving: its configuration is fixed then. */
static ferry_status configurable(ferry_server *srv, const char *fn)
{
    ferryi_error_clear();
    if (srv == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: no server given", fn);
    if (srv->serving)
        return ferryi_error(FERRY_FAILED_PRECONDITION,
                            "%s: the server is serving already; call it before "
                            "ferry_server_listen()",
                            fn);
    return FERRY_OK;
}

ferry_status ferry_server_add(ferry_server *srv, const ferry_service_impl *impl)
{
    ferry_status st = configurable(srv, "ferry_server_add");
    if (st == FERRY_OK && impl == NULL)
        st = ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_add: no service given");
    if (st == FERRY_OK)
        st = ferryi_registry_add(&srv->reg, impl);
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
    ferryi_error_clear();
    if (m == NULL || srv == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_metrics_watch_server: no %s given",
                            m == NULL ? "registry" : "server");
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
    ferry_status st = configurable(srv, "ferry_server_set_api_range");
    if (st == FERRY_OK && service == NULL)
        st = ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_set_api_range: no service given");
    return st != FERRY_OK ? st : ferryi_versions_set_range(&srv->ver, service, min, max);
}

ferry_status ferry_server_get_api_range(ferry_server *srv, const char *service, uint32_t *min,
                                        uint32_t *max)
{
    ferryi_error_clear();
    if (srv == NULL || service == NULL || min == NULL || max == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_get_api_range: a server, a service and both outs are "
                            "needed");
    return ferryi_versions_get_range(&srv->ver, service, min, max);
}

ferry_status ferry_server_set_stats_limit(ferry_server *srv, size_t rows)
{
    ferry_status st = configurable(srv, "ferry_server_set_stats_limit");
    if (st != FERRY_OK)
        return st;
    if (rows > 1048576)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_set_stats_limit: %zu rows; at most 1048576", rows);
    ferryi_versions_set_limit(&srv->ver, rows);
    return FERRY_OK;
}

ferry_status ferry_server_add_interceptor(ferry_server *srv, const ferry_interceptor *ic)
{
    ferry_status st = configurable(srv, "ferry_server_add_interceptor");
    return st != FERRY_OK ? st : ferryi_hooks_add(&srv->hooks, ic);
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
    ferryi_error_clear();
    if (srv == NULL || url == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_listen: no %s given",
                            srv == NULL ? "server" : "URL");
    if (atomic_load(&srv->draining))
        return ferryi_error(FERRY_FAILED_PRECONDITION,
                            "cannot listen on %s: the server is shutting down", url);
    if (ferryi_tls_url(url) && srv->tls == NULL)
        return ferryi_error_log(FERRYI_LOG_ERROR, "server", FERRY_FAILED_PRECONDITION,
                                "cannot listen on %s: no TLS certificate; set "
                                "ferry_server_opts.tls",
                                url);
    /* Checked before binding, so that a refused server holds no address. */
    const char *restricted = NULL;
    if (!srv->serving && srv->auth == NULL)
        restricted = ferryi_registry_first_with_roles(&srv->reg);
    if (restricted != NULL && !srv->roles_without_identity)
        return ferryi_error_log(
            FERRYI_LOG_ERROR, "server", FERRY_FAILED_PRECONDITION,
            "cannot serve %s: it requires roles, and roles are checked only on callers whose "
            "identity was verified; set the server's identity (ferry_server_set_identity()), or "
            "set ferry_server_opts.serve_roles_without_identity "
            "(FERRY_SERVE_ROLES_WITHOUT_IDENTITY=1) to serve every caller",
            restricted);
    nng_listener l;
    int rv = ferryi_listeners_open(srv->listeners, url, &l);
    if (rv != 0)
        return ferryi_error_log(FERRYI_LOG_ERROR, "server",
                                rv == NNG_EADDRINUSE ? FERRY_ALREADY_EXISTS
                                : rv == NNG_ENOMEM   ? FERRY_RESOURCE_EXHAUSTED
                                : rv == NNG_EPERM    ? FERRY_PERMISSION_DENIED
                                                     : FERRY_INVALID_ARGUMENT,
                                "cannot listen on %s: %s", url, nng_strerror(rv));
    if (bound != NULL && bound_len > 0)
        bound_url(l, url, bound, bound_len);
    if (restricted != NULL)
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "identity is off: methods that require roles (%s among them) are served to "
                   "every caller, as serve_roles_without_identity asks",
                   restricted);
    if (!srv->serving) {
        srv->serving = 1;
        for (unsigned i = 0; i < srv->n_ctx; i++)
            ferryi_server_start_recv(&srv->ctxs[i]);
    }
    ferryi_log(FERRYI_LOG_INFO, "server", "listening on %s", url);
    return FERRY_OK;
}

ferry_status ferry_server_set_identity(ferry_server *srv, const ferry_server_identity *id)
{
    ferryi_error_clear();
    if (srv == NULL || id == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_set_identity: no %s given",
                            srv == NULL ? "server" : "identity");
    if (srv->serving || srv->auth != NULL)
        return ferryi_error(FERRY_FAILED_PRECONDITION,
                            "ferry_server_set_identity: identity is set once, before the server "
                            "listens");
    ferryi_auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_server_set_identity: out of memory");
    ferry_status st = ferryi_auth_init(a, id);
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

ferry_status ferry_server_reload_keyring(ferry_server *srv)
{
    ferryi_error_clear();
    if (srv == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_reload_keyring: no server given");
    if (srv->auth == NULL)
        return ferryi_error(FERRY_FAILED_PRECONDITION,
                            "ferry_server_reload_keyring: the server has no identity set");
    return ferryi_auth_reload(srv->auth);
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
