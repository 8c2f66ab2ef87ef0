/* server.c - serving handler tables over nng rep0.
 *
 * One rep0 socket with `max_in_flight` contexts. Each context is a small state
 * machine driven by its aio callback (on nng's threads):
 *
 *   RECV --frame--> checks (frame, header, method, draining) --bad--> SEND error reply
 *                     |ok
 *                     v
 *                   WORK: queued to the worker pool; a worker decodes the body,
 *                         runs the handler and packs the reply
 *                     |
 *                     v
 *                   SEND --sent or failed--> RECV again
 *
 * Cheap rejections never reach a worker; handlers never run on nng's threads,
 * so a slow handler cannot stall the transport, unless the server was asked
 * for inline handlers (ferry_server_opts.inline_handlers), which skips the
 * pool for handlers that never block.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <sodium.h>
#include <nng/protocol/reqrep0/rep.h>

#include "auth.h"
#include "call.h"
#include "clock.h"
#include "envelope.h"
#include "listeners.h"
#include "log.h"
#include "registry.h"
#include "tls.h"
#include "versions.h"
#include "workq.h"

#define DEFAULT_WORKERS         4u
#define DEFAULT_SEND_TIMEOUT_MS 10000u
#define SHUTDOWN_SETTLE_MS      100L /* see ferry_server_shutdown */

typedef enum { PH_IDLE, PH_RECV, PH_WORK, PH_SEND } phase;

typedef struct srv_ctx {
    ferryi_job job; /* queued to the worker pool in PH_WORK */
    ferry_server *srv;
    nng_ctx ctx;
    nng_aio *aio;
    phase ph;
    int working;   /* counted in srv->working until its reply is sent */
    nng_msg *req;  /* the request being handled; the frame points into it */
    nng_pipe pipe; /* the connection it came on */
    ferryi_frame frame;
    uint64_t call_id;
    size_t max_reply; /* the client's reply limit, or the server's */
    ferryi_auth_call auth;
    ferry_call call;
    /* The API versions the called service serves, when known. */
    uint32_t api_min, api_max;
} srv_ctx;

struct ferry_server {
    nng_socket sock;
    int sock_open;
    size_t max_message;
    unsigned n_ctx;
    srv_ctx *ctxs;
    ferryi_workq wq;
    int wq_started;
    int inline_handlers; /* run handlers on nng's threads, no pool */
    nng_duration send_timeout;
    size_t max_call_memory;
    ferryi_registry reg;
    /* API version ranges and call statistics. */
    ferryi_versions ver;
    int serving;         /* contexts are receiving */
    ferryi_auth *auth;   /* identity checks, or NULL when off */
    nng_tls_config *tls; /* for tls+tcp:// listeners, or NULL */
    ferryi_listeners *listeners;

    /* io_mu orders every nng_ctx_send/recv and nng_pipe_close against the
     * shutdown: once `closed` is set under it, no context touches nng again,
     * so closing the socket cannot race a send (nng 1.5.2 does not survive
     * that race). */
    pthread_mutex_t io_mu;
    int closed;

    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when working drops to 0 */
    pthread_cond_t done; /* signalled when a shutdown completes */
    unsigned working;
    atomic_int draining; /* new calls are refused with "shutting down" */
    enum { RUNNING, SHUTTING_DOWN, SHUT_DOWN } state;

    atomic_uint_fast64_t received, handled, rejected, replies_sent, connections;
};

/* ------------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------- */

static void finish_call(srv_ctx *c);

/* The server whose handler this thread is running, so that a handler
 * calling ferry_server_shutdown() on its own server is recognised. */
static _Thread_local ferry_server *running_server;

static void start_recv(srv_ctx *c)
{
    ferry_server *srv = c->srv;
    pthread_mutex_lock(&srv->io_mu);
    if (!srv->closed) {
        c->ph = PH_RECV;
        nng_aio_set_timeout(c->aio, NNG_DURATION_INFINITE);
        nng_ctx_recv(c->ctx, c->aio);
    } else {
        c->ph = PH_IDLE;
    }
    pthread_mutex_unlock(&srv->io_mu);
}

/* Sends `m` on context `c`, or drops it (and ends the call) once the server
 * has closed. */
static void start_send(srv_ctx *c, nng_msg *m)
{
    ferry_server *srv = c->srv;
    pthread_mutex_lock(&srv->io_mu);
    if (!srv->closed) {
        nng_aio_set_msg(c->aio, m);
        nng_aio_set_timeout(c->aio, srv->send_timeout);
        c->ph = PH_SEND;
        nng_ctx_send(c->ctx, c->aio);
        m = NULL;
    } else {
        c->ph = PH_IDLE;
    }
    pthread_mutex_unlock(&srv->io_mu);
    if (m != NULL) {
        nng_msg_free(m);
        finish_call(c);
    }
}

/* A ProtobufCBuffer that hashes what is packed into it. */
typedef struct hash_buffer {
    ProtobufCBuffer base;
    crypto_generichash_state st;
} hash_buffer;

static void hash_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    crypto_generichash_update(&((hash_buffer *)b)->st, data, len);
}

/* The BLAKE2b-256 of `body`'s encoding (of no bytes for NULL), without
 * packing it twice into memory. */
static void body_digest(const ProtobufCMessage *body, uint8_t out[FERRYI_HASH_BYTES])
{
    hash_buffer hb = {.base = {.append = hash_append}};
    crypto_generichash_init(&hb.st, NULL, 0, FERRYI_HASH_BYTES);
    if (body != NULL)
        protobuf_c_message_pack_to_buffer(body, &hb.base);
    crypto_generichash_final(&hb.st, out, FERRYI_HASH_BYTES);
}

/* Sends a reply with `st`, `msg` and (on FERRY_OK) `body` on context `c`. */
static void send_reply(srv_ctx *c, ferry_status st, const char *msg, const ProtobufCMessage *body)
{
    ferry_server *srv = c->srv;
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    char why[FERRY_MESSAGE_MAX];
    h.call_id = c->call_id;
    h.status = (uint32_t)st;
    h.message = (char *)(msg != NULL ? msg : "");
    h.max_request = (uint32_t)srv->max_message;
    h.api_min = c->api_min;
    h.api_max = c->api_max;

    if (st != FERRY_OK)
        body = NULL;
    size_t size = ferryi_frame_size(&h.base, body);
    if (body != NULL && (size == 0 || size > c->max_reply)) {
        /* The client would drop an oversized reply and its connection with it. */
        snprintf(why, sizeof why, "reply of %zu bytes exceeds the %s limit of %zu bytes", size,
                 c->max_reply < srv->max_message ? "client's" : "server's", c->max_reply);
        h.status = FERRY_RESOURCE_EXHAUSTED;
        h.message = why;
        body = NULL;
        size = ferryi_frame_size(&h.base, NULL);
    }
    Ferry__Wire__Identity idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    if (srv->auth != NULL) {
        uint8_t body_hash[FERRYI_HASH_BYTES];
        body_digest(body, body_hash);
        ferryi_auth_prove_reply(srv->auth, &c->auth, &h, &idb, body_hash, proof);
        size = ferryi_frame_size(&h.base, body);
    }
    nng_msg *m = NULL;
    if (nng_msg_alloc(&m, size) != 0) {
        ferryi_log(FERRYI_LOG_ERROR, "server", "out of memory for a %zu-byte reply", size);
        /* No reply can be sent; the client's deadline ends the call. */
        finish_call(c);
        start_recv(c);
        return;
    }
    ferryi_frame_write(nng_msg_body(m), size, FERRYI_KIND_REPLY, &h.base, body);
    if (srv->auth != NULL)
        ferryi_auth_store_reply(srv->auth, &c->auth, m);
    start_send(c, m);
}

static void reject(srv_ctx *c, ferry_status st, const char *why)
{
    atomic_fetch_add(&c->srv->rejected, 1);
    ferryi_log(FERRYI_LOG_DEBUG, "server", "rejected call %llu: %s: %s",
               (unsigned long long)c->call_id, ferry_status_str(st), why);
    send_reply(c, st, why, NULL);
}

/* Releases what the finished call held and counts it out of `working`. */
static void finish_call(srv_ctx *c)
{
    if (c->req != NULL) {
        nng_msg_free(c->req);
        c->req = NULL;
    }
    ferryi_call_fini(&c->call);
    if (c->srv->auth != NULL)
        ferryi_auth_call_end(c->srv->auth, &c->auth);
    if (c->working) {
        c->working = 0;
        ferry_server *srv = c->srv;
        pthread_mutex_lock(&srv->mu);
        if (--srv->working == 0)
            pthread_cond_broadcast(&srv->idle);
        pthread_mutex_unlock(&srv->mu);
    }
}

/* ------------------------------------------------------------------------
 * Handling a request
 * ---------------------------------------------------------------------- */

static void work_run(ferryi_job *job)
{
    srv_ctx *c = (srv_ctx *)job;
    ferry_server *srv = c->srv;
    pthread_mutex_lock(&srv->io_mu);
    int closed = srv->closed;
    pthread_mutex_unlock(&srv->io_mu);
    if (closed) {
        /* Queued past the grace period: nobody will read the reply. */
        c->ph = PH_IDLE;
        finish_call(c);
        return;
    }
    ProtobufCMessage *resp = NULL;
    ferry_server *outer = running_server;
    running_server = srv;
    ferry_status st = ferryi_call_run(&c->call, c->frame.body, c->frame.body_len, &resp);
    running_server = outer;
    atomic_fetch_add(&srv->handled, 1);
    send_reply(c, st, st == FERRY_OK ? "" : c->call.message, resp);
}

/* Copies the request's metadata into the call's arena as ferry_metadata. */
static ferry_status take_metadata(srv_ctx *c, const Ferry__Wire__RequestHeader *h)
{
    if (h->n_metadata == 0)
        return FERRY_OK;
    if (h->n_metadata > FERRYI_METADATA_MAX)
        return ferry_call_fail(&c->call, FERRY_INVALID_ARGUMENT,
                               "request carries %zu metadata entries; the limit is %u",
                               h->n_metadata, FERRYI_METADATA_MAX);
    ferry_metadata *md = ferryi_arena_alloc(&c->call.arena, h->n_metadata * sizeof *md);
    if (md == NULL)
        return ferry_call_fail(&c->call, FERRY_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < h->n_metadata; i++) {
        md[i].key = h->metadata[i]->key;
        md[i].value = h->metadata[i]->value.data;
        md[i].len = h->metadata[i]->value.len;
    }
    c->call.metadata = md;
    c->call.n_metadata = h->n_metadata;
    return FERRY_OK;
}

static void handle_request(srv_ctx *c, nng_msg *msg)
{
    ferry_server *srv = c->srv;
    uint64_t now = ferryi_now_ms();
    char why[FERRY_MESSAGE_MAX];

    c->req = msg;
    c->pipe = nng_msg_get_pipe(msg);
    c->auth = (ferryi_auth_call){.slot = -1};
    c->call_id = 0;
    c->max_reply = srv->max_message;
    c->api_min = c->api_max = 0;
    ferryi_call_init(&c->call, NULL, NULL);
    ferryi_arena_limit(&c->call.arena, srv->max_call_memory);

    ferry_status st = ferryi_frame_split(nng_msg_body(msg), nng_msg_len(msg), FERRYI_KIND_REQUEST,
                                         &c->frame, why, sizeof why);
    if (st != FERRY_OK)
        return reject(c, st, why);
    Ferry__Wire__RequestHeader *h = NULL;
    st = ferryi_request_header_decode(&c->frame, &c->call.arena.pb, &h, why, sizeof why);
    if (st != FERRY_OK)
        return reject(c, st, why);
    if (nng_msg_len(msg) > srv->max_message) {
        snprintf(why, sizeof why, "request of %zu bytes exceeds the server's limit of %zu bytes",
                 nng_msg_len(msg), srv->max_message);
        c->call_id = h->call_id;
        /* The refusal is proved over the request's nonce, as a pinning
         * client expects, although the request itself goes unverified. */
        const Ferry__Wire__Identity *rid = h->identity;
        if (rid != NULL && rid->nonce.len == FERRYI_NONCE_BYTES) {
            memcpy(c->auth.nonce, rid->nonce.data, FERRYI_NONCE_BYTES);
            c->auth.have_nonce = 1;
        }
        return reject(c, FERRY_RESOURCE_EXHAUSTED, why);
    }
    c->call_id = h->call_id;
    if (h->max_reply != 0 && h->max_reply < c->max_reply)
        c->max_reply = h->max_reply;

    if (srv->auth != NULL) {
        nng_msg *cached = NULL;
        switch (ferryi_auth_check(srv->auth, h, c->frame.body, c->frame.body_len, &c->auth, &cached,
                                  why, sizeof why)) {
        case FERRYI_AUTH_RUN:
            break;
        case FERRYI_AUTH_RESEND:
            ferryi_log(FERRYI_LOG_DEBUG, "server", "call %llu: retransmit answered from the cache",
                       (unsigned long long)c->call_id);
            start_send(c, cached);
            return;
        case FERRYI_AUTH_DROP:
            finish_call(c);
            start_recv(c);
            return;
        case FERRYI_AUTH_REJECT:
            return reject(c, FERRY_UNAUTHENTICATED, why);
        }
        c->call.identity = c->auth.who != NULL ? &c->auth.id : NULL;
        c->call.enforce_roles = 1;
        c->call.denied = &srv->auth->n[FERRYI_AUTH_PERMISSION_DENIED];
    }

    if (atomic_load(&srv->draining))
        return reject(c, FERRY_UNAVAILABLE, "server is shutting down");

    const ferry_service_impl *impl = NULL;
    const ferry_method *m = ferryi_registry_find(&srv->reg, h->method, &impl);
    if (m == NULL) {
        ferryi_versions_unknown(&srv->ver, h->method, h->api_version, &c->api_min, &c->api_max, why,
                                sizeof why);
        return reject(c, FERRY_UNIMPLEMENTED, why);
    }
    if (ferryi_versions_admit(&srv->ver, impl->desc, m, h->api_version, h->client_name,
                              h->client_version, &c->api_min, &c->api_max, why,
                              sizeof why) != FERRY_OK)
        return reject(c, FERRY_UNSUPPORTED_VERSION, why);
    c->call.method = m;
    c->call.impl = impl;
    c->call.api_version = h->api_version;
    c->call.client_name = h->client_name;
    c->call.client_version = h->client_version;
    if (h->deadline_ms != 0)
        c->call.deadline_at_ms = now + h->deadline_ms;
    if (take_metadata(c, h) != FERRY_OK)
        return reject(c, FERRY_INVALID_ARGUMENT, c->call.message);

    pthread_mutex_lock(&srv->mu);
    srv->working++;
    pthread_mutex_unlock(&srv->mu);
    c->working = 1;
    c->ph = PH_WORK;
    c->job.run = work_run;
    if (srv->inline_handlers)
        work_run(&c->job);
    else
        ferryi_workq_push(&srv->wq, &c->job);
}

static void ctx_cb(void *arg)
{
    srv_ctx *c = arg;
    ferry_server *srv = c->srv;
    int rv = nng_aio_result(c->aio);

    switch (c->ph) {
    case PH_RECV:
        if (rv != 0) {
            if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
                ferryi_log(rv == NNG_ETIMEDOUT ? FERRYI_LOG_DEBUG : FERRYI_LOG_WARN, "server",
                           "receive failed: %s", nng_strerror(rv));
            if (rv != NNG_ECLOSED)
                start_recv(c);
            return;
        }
        atomic_fetch_add(&srv->received, 1);
        handle_request(c, nng_aio_get_msg(c->aio));
        return;
    case PH_SEND:
        if (rv != 0) {
            nng_msg *m = nng_aio_get_msg(c->aio);
            if (m != NULL)
                nng_msg_free(m);
            nng_aio_set_msg(c->aio, NULL);
            if (rv == NNG_ETIMEDOUT) {
                /* The client stopped reading: its connection would hold
                 * this context, and every context replying to it, forever. */
                ferryi_log(FERRYI_LOG_WARN, "server",
                           "reply to call %llu not taken within %d ms; closing that connection",
                           (unsigned long long)c->call_id, (int)srv->send_timeout);
                pthread_mutex_lock(&srv->io_mu);
                if (!srv->closed)
                    nng_pipe_close(c->pipe);
                pthread_mutex_unlock(&srv->io_mu);
            }
        } else {
            atomic_fetch_add(&srv->replies_sent, 1);
        }
        finish_call(c);
        start_recv(c);
        return;
    case PH_IDLE:
    case PH_WORK:
        break;
    }
    ferryi_log(FERRYI_LOG_ERROR, "server", "aio completed in unexpected phase %d", (int)c->ph);
}

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    ferry_server *srv = arg;
    (void)p;
    if (ev == NNG_PIPE_EV_ADD_POST)
        atomic_fetch_add(&srv->connections, 1);
}

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
    pthread_cond_init(&srv->idle, NULL);
    pthread_cond_init(&srv->done, NULL);
    ferryi_registry_init(&srv->reg);
    ferryi_versions_init(&srv->ver);
    srv->max_message = o.max_message;
    srv->send_timeout = (nng_duration)o.send_timeout_ms;
    srv->max_call_memory = o.max_call_memory;

    ferry_status st = FERRY_RESOURCE_EXHAUSTED;
    if (nng_rep0_open(&srv->sock) != 0)
        goto fail;
    srv->sock_open = 1;
    srv->listeners = ferryi_listeners_new(srv->sock, srv->tls);
    if (srv->listeners == NULL ||
        nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, o.max_message + FERRYI_NNG_HEADER_ROOM) !=
            0 ||
        nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, srv) != 0)
        goto fail;
    srv->ctxs = calloc(o.max_in_flight, sizeof *srv->ctxs);
    if (srv->ctxs == NULL)
        goto fail;
    for (unsigned i = 0; i < o.max_in_flight; i++) {
        srv_ctx *c = &srv->ctxs[i];
        c->srv = srv;
        c->ph = PH_IDLE;
        ferryi_arena_init(&c->call.arena);
        if (nng_aio_alloc(&c->aio, ctx_cb, c) != 0)
            goto fail;
        srv->n_ctx++;
        if (nng_ctx_open(&c->ctx, srv->sock) != 0)
            goto fail;
    }
    const char *env_inline = getenv("FERRY_INLINE_HANDLERS");
    srv->inline_handlers =
        o.inline_handlers || (env_inline != NULL && strcmp(env_inline, "1") == 0);
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
    if (!srv->serving) {
        srv->serving = 1;
        for (unsigned i = 0; i < srv->n_ctx; i++)
            start_recv(&srv->ctxs[i]);
    }
    ferryi_log(FERRYI_LOG_INFO, "server", "listening on %s", url);
    return FERRY_OK;
}

void ferry_server_shutdown(ferry_server *srv, uint32_t grace_ms)
{
    if (srv == NULL)
        return;
    atomic_store(&srv->draining, 1);
    if (running_server == srv) {
        /* A handler cannot wait for itself to finish, nor join its own
         * worker: draining is all it can start. */
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "ferry_server_shutdown() called from one of the server's handlers: new calls "
                   "are refused from now on; the server's owner must still shut it down");
        return;
    }
    pthread_mutex_lock(&srv->mu);
    while (srv->state == SHUTTING_DOWN)
        pthread_cond_wait(&srv->done, &srv->mu);
    if (srv->state == SHUT_DOWN) {
        pthread_mutex_unlock(&srv->mu);
        return;
    }
    srv->state = SHUTTING_DOWN;
    struct timespec until = ferryi_realtime_in(grace_ms);
    while (srv->working > 0) {
        if (pthread_cond_timedwait(&srv->idle, &srv->mu, &until) == ETIMEDOUT)
            break;
    }
    if (srv->working > 0)
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "%u calls still running after the %u ms grace period; their replies are "
                   "dropped",
                   srv->working, grace_ms);
    pthread_mutex_unlock(&srv->mu);

    /* No listener is reopened from here on... */
    if (srv->listeners != NULL)
        ferryi_listeners_stop(srv->listeners);
    /* ...no context starts another send or receive... */
    pthread_mutex_lock(&srv->io_mu);
    srv->closed = 1;
    pthread_mutex_unlock(&srv->io_mu);
    /* ...the ones pending are cancelled, their callbacks done... */
    for (unsigned i = 0; i < srv->n_ctx; i++)
        nng_aio_stop(srv->ctxs[i].aio);
    /* ...handlers still running return and drop their replies, queued ones
     * are skipped... */
    if (srv->wq_started) {
        ferryi_workq_stop(&srv->wq);
        srv->wq_started = 0;
    }
    /* ...the connections go quiet: nng 1.5 can hang for good closing a
     * connection while a message is being read from it (its read callback
     * re-arms a read on an aio the close has just stopped; that read never
     * completes and nng's reaper waits for it forever, so every later close
     * in the process hangs too). With no context receiving, rep0 stops
     * reading each connection once the message in progress is in; a
     * moment lets those reads finish before the socket closes them... */
    struct timespec settle = {.tv_sec = 0, .tv_nsec = SHUTDOWN_SETTLE_MS * 1000000L};
    while (nanosleep(&settle, &settle) != 0 && errno == EINTR)
        ;
    /* ...and only then does the socket go, with nothing left using it. */
    if (srv->sock_open) {
        nng_close(srv->sock);
        srv->sock_open = 0;
    }

    pthread_mutex_lock(&srv->mu);
    srv->state = SHUT_DOWN;
    pthread_cond_broadcast(&srv->done);
    pthread_mutex_unlock(&srv->mu);
}

void ferry_server_free(ferry_server *srv)
{
    if (srv == NULL)
        return;
    ferry_server_shutdown(srv, 0);
    for (unsigned i = 0; i < srv->n_ctx; i++) {
        srv_ctx *c = &srv->ctxs[i];
        nng_aio_free(c->aio);
        if (c->req != NULL)
            nng_msg_free(c->req);
        ferryi_arena_fini(&c->call.arena);
    }
    free(srv->ctxs);
    ferryi_listeners_free(srv->listeners);
    if (srv->tls != NULL)
        nng_tls_config_free(srv->tls);
    if (srv->auth != NULL) {
        ferryi_auth_fini(srv->auth);
        free(srv->auth);
    }
    ferryi_registry_fini(&srv->reg);
    ferryi_versions_fini(&srv->ver);
    pthread_mutex_destroy(&srv->io_mu);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->idle);
    pthread_cond_destroy(&srv->done);
    free(srv);
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
    out->replies_sent = atomic_load(&srv->replies_sent);
    out->connections = atomic_load(&srv->connections);
}
