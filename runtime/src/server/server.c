/* server.c - serving handler tables over nng rep0.
 *
 * One rep0 socket with `max_in_flight` receiving contexts. Each is a small
 * state machine driven by its aio callback (on nng's threads):
 *
 *   RECV --frame--> its connection's share (conns.c) --full--> waits on the
 *     |                    |ok                                  connection
 *     |                    v
 *     |             checks (frame, header, identity, method, draining)
 *     |                    |ok                  |bad
 *     |                    v                    v
 *     |             WORK: run at once on the   error reply
 *     |             nng thread (when a slot
 *     |             and the process's lending
 *     |             allow), else queued to the
 *     |             worker pool; either decodes
 *     |             the body, runs the handler,
 *     |             packs the reply
 *     |                    |
 *     +<---- the reply is queued on its connection's sender (conns.c), and
 *            the context receives again (or takes over a request of the
 *            same connection that was waiting for its turn)
 *
 * Cheap rejections never reach a handler slot. Handlers share `workers`
 * slots (workq.c): a call runs on the nng thread that read it when a slot is
 * free, nothing is queued ahead of it, and fewer than LEND_MAX of nng's
 * threads in the whole process are running handlers; otherwise it waits in
 * the pool's queue for a worker. Waking a worker costs a thread switch per
 * call, about half the server's throughput under load (docs/benchmarks.md),
 * and lending a bounded number of nng's threads avoids it without letting
 * slow handlers stall the transport: nng has 2 x CPUs task threads (at most
 * 16), and at least half of them are always left for I/O. With
 * ferry_server_opts.inline_handlers every handler runs on nng's threads, for
 * handlers that never block. No context ever waits for a client to take its
 * reply: a client that stops reading holds none of them.
 */
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

#include "identity/auth.h"
#include "call/call.h"
#include "base/clock.h"
#include "server/conns.h"
#include "wire/envelope.h"
#include "server/health.h"
#include "server/hosted.h"
#include "ops/intercept.h"
#include "ops/metrics.h"
#include "ops/trace.h"
#include "server/listeners.h"
#include "base/log.h"
#include "call/registry.h"
#include "identity/tls.h"
#include "base/utf8.h"
#include "call/validate.h"
#include "server/versions.h"
#include "server/workq.h"

#define DEFAULT_WORKERS         4u
#define DEFAULT_SEND_TIMEOUT_MS 10000u
#define SHUTDOWN_SETTLE_MS      100L  /* see ferry_server_shutdown */
#define CLOSE_BOUND_MS          2000u /* see close_socket */
/* A call that took more memory than this hands it back to the system when
 * it ends (see finish_call). */
#define TRIM_AFTER_BYTES ((size_t)1 << 20)
/* Requests of one connection that may wait for its turn (server.h). */
#define WAITING_MAX       4096u
#define WAITING_BYTES_MIN ((size_t)16 << 20)

typedef enum { PH_IDLE, PH_RECV, PH_WORK } phase;

typedef struct srv_ctx {
    ferryi_job job; /* queued to the worker pool in PH_WORK */
    ferry_server *srv;
    nng_ctx ctx; /* exchanged for a fresh one when a reply is queued */
    nng_aio *aio;
    phase ph;
    ferryi_conn *conn; /* the connection of the call being handled */
    nng_msg *req;      /* the request being handled; the frame points into it */
    ferryi_frame frame;
    uint64_t call_id;
    size_t max_reply; /* the client's reply limit, or the server's */
    ferryi_auth_call auth;
    ferry_call call;
    /* The API versions the called service serves, when known. */
    uint32_t api_min, api_max;
    /* What the interceptors' after hooks see (only kept when there are any):
     * the method the header named (in the call's arena), when the request
     * was read and its handler ran, and the reply. */
    const char *method_name;
    uint32_t deadline_ms;
    uint64_t read_us, handler_start_us, handler_us;
    int answered, admitted, handler_ran;
    ferry_status answer_status;
    size_t answer_bytes;
    char answer_message[FERRY_MESSAGE_MAX];
} srv_ctx;

struct ferry_server {
    nng_socket sock;
    int sock_open;
    int sock_wedged; /* nng did not close the socket in time: leak what it uses */
    size_t max_message;
    unsigned n_ctx;
    srv_ctx *ctxs;
    ferryi_conns *conns;
    ferryi_workq wq;
    int wq_started;
    int inline_handlers; /* run handlers on nng's threads, no pool */
    int roles_without_identity;
    size_t max_call_memory;
    ferryi_registry reg;
    /* API version ranges and call statistics. */
    ferryi_versions ver;
    ferryi_health *health;  /* the statuses the health service answers */
    ferryi_hooks hooks;     /* interceptors */
    ferry_metrics *metrics; /* its own, with metrics_url or FERRY_METRICS_URL */
    int serving;            /* contexts are receiving */
    ferryi_auth *auth;      /* identity checks, or NULL when off */
    nng_tls_config *tls;    /* for tls+tcp:// listeners, or NULL */
    ferryi_listeners *listeners;

    /* io_mu orders every nng_ctx_recv against the shutdown: once `closed` is
     * set under it, no context receives again (and conns.c sends nothing
     * after ferryi_conns_close()), so closing the socket cannot race them
     * (nng 1.5.2 does not survive that race). */
    pthread_mutex_t io_mu;
    int closed;

    pthread_mutex_t mu;
    pthread_cond_t done;      /* signalled when a shutdown completes */
    atomic_int draining;      /* new calls are refused with "shutting down" */
    uint32_t drain_notice_ms; /* see ferry_server_opts */
    enum { RUNNING, SHUTTING_DOWN, SHUT_DOWN } state;

    /* Contexts waiting in a receive, and how many a finished call leaves
     * receiving before it takes over a waiting request of its connection
     * (see complete). */
    atomic_uint n_receiving;
    unsigned min_receiving;

    atomic_uint_fast64_t received, handled, rejected, connections;
    atomic_uint_fast64_t last_trim_ms;
};

/* ------------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------- */

/* The server whose handler this thread is running, so that a handler
 * calling ferry_server_shutdown() on its own server is recognised. */
static _Thread_local ferry_server *running_server;

/* nng threads running handlers, across every server of the process (nng's
 * task threads are the process's, not a server's), and the most there may
 * be: as many as there are CPUs, at most 8, which is half of what nng starts
 * (server.c's head comment). */
static atomic_uint lent;
static unsigned lend_max(void)
{
    static atomic_uint max;
    unsigned m = atomic_load(&max);
    if (m == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        m = n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
        atomic_store(&max, m);
    }
    return m;
}

/* Takes one of the process's nng threads for a handler; 0 when as many as
 * may be are lent already. */
static int lend_thread(void)
{
    unsigned n = atomic_load(&lent);
    do {
        if (n >= lend_max())
            return 0;
    } while (!atomic_compare_exchange_weak(&lent, &n, n + 1));
    return 1;
}

/* Set on the pool's threads while they run a call: they already hold a
 * slot, and a request they take over from the connection goes through the
 * queue, fair between connections. */
static _Thread_local int on_worker;

static void start_recv(srv_ctx *c)
{
    ferry_server *srv = c->srv;
    pthread_mutex_lock(&srv->io_mu);
    if (!srv->closed) {
        c->ph = PH_RECV;
        atomic_fetch_add(&srv->n_receiving, 1);
        nng_aio_set_timeout(c->aio, NNG_DURATION_INFINITE);
        nng_ctx_recv(c->ctx, c->aio);
    } else {
        c->ph = PH_IDLE;
    }
    pthread_mutex_unlock(&srv->io_mu);
}

/* The reply with `st`, `msg` and (on FERRY_OK) `body` to the call on `c`, or
 * NULL when there is no memory for it (the client's deadline ends the call). */
static nng_msg *build_reply_as(srv_ctx *c, ferry_status st, const char *msg,
                               const ProtobufCMessage *body, int not_run);

static nng_msg *build_reply(srv_ctx *c, ferry_status st, const char *msg,
                            const ProtobufCMessage *body)
{
    return build_reply_as(c, st, msg, body, 0);
}

/* build_reply(), saying with `not_run` that no handler ran for the request
 * (a client may send it elsewhere, docs/wire.md, "Draining"). */
static nng_msg *build_reply_as(srv_ctx *c, ferry_status st, const char *msg,
                               const ProtobufCMessage *body, int not_run)
{
    ferry_server *srv = c->srv;
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    char why[FERRY_MESSAGE_MAX];
    char text[FERRY_MESSAGE_MAX];
    h.call_id = c->call_id;
    h.status = (uint32_t)st;
    /* From the start of a shutdown every reply says so, while the server
     * still accepts: its clients' balancers stop sending it new calls
     * before it goes, so a rolling restart loses none. */
    h.draining = atomic_load(&srv->draining) != 0;
    h.not_run = not_run != 0;
    /* A strict protobuf reader refuses a string field that is not UTF-8, and
     * messages can quote what the client sent. */
    ferryi_utf8_copy(text, sizeof text, msg != NULL ? msg : "");
    h.message = text;
    h.max_request = (uint32_t)srv->max_message;
    h.api_min = c->api_min;
    h.api_max = c->api_max;
    Ferry__Wire__Violation vs[FERRY_VIOLATIONS_MAX];
    Ferry__Wire__Violation *vp[FERRY_VIOLATIONS_MAX];
    char vtext[FERRY_VIOLATIONS_MAX][FERRYI_VIOLATION_TEXT];
    if (st == FERRY_INVALID_ARGUMENT && c->call.violations != NULL)
        ferryi_violations_to_wire(c->call.violations, &h, vs, vp, vtext);

    if (st != FERRY_OK)
        body = NULL;
    size_t body_len = 0;
    size_t size = ferryi_frame_size(&h.base, body, &body_len);
    if (srv->hooks.n > 0 || c->call.trace.on) {
        c->answered = 1;
        c->answer_status = st;
        c->answer_bytes = body_len;
        /* Copied by length: `text` fits (both are FERRY_MESSAGE_MAX), and
         * snprintf() cost more than the rest of this bookkeeping. */
        memcpy(c->answer_message, text, strlen(text) + 1);
    }
    if (body != NULL && (size == 0 || size > c->max_reply)) {
        /* The client would drop an oversized reply and its connection with it. */
        snprintf(why, sizeof why, "reply of %zu bytes exceeds the %s limit of %zu bytes", size,
                 c->max_reply < srv->max_message ? "client's" : "server's", c->max_reply);
        h.status = FERRY_RESOURCE_EXHAUSTED;
        h.message = why;
        body = NULL;
        size = ferryi_frame_size(&h.base, NULL, NULL);
        if (srv->hooks.n > 0 || c->call.trace.on) {
            c->answer_status = FERRY_RESOURCE_EXHAUSTED;
            c->answer_bytes = 0;
            snprintf(c->answer_message, sizeof c->answer_message, "%s", why);
        }
    }
    Ferry__Wire__Identity idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    if (srv->auth != NULL) {
        /* The proof has its final length before it is computed, so the
         * body is packed once, into the reply, and hashed there. */
        ferryi_auth_prove_reply(srv->auth, &c->auth, &h, &idb, NULL, proof);
        size = ferryi_frame_size(&h.base, body, NULL);
    }
    nng_msg *m = NULL;
    if (nng_msg_alloc(&m, size) != 0) {
        ferryi_log(FERRYI_LOG_ERROR, "server", "out of memory for a %zu-byte reply", size);
        return NULL;
    }
    uint8_t *dst = nng_msg_body(m);
    if (srv->auth == NULL) {
        ferryi_frame_write(dst, size, FERRYI_KIND_REPLY, &h.base, body);
        return m;
    }
    size_t at = FERRYI_FRAME_PREFIX + protobuf_c_message_get_packed_size(&h.base);
    body_len = body != NULL ? protobuf_c_message_pack(body, dst + at) : 0;
    uint8_t body_hash[FERRYI_HASH_BYTES];
    ferryi_hash(body_hash, dst + at, body_len);
    ferryi_auth_prove_reply(srv->auth, &c->auth, &h, &idb, body_hash, proof);
    ferryi_frame_write(dst, size, FERRYI_KIND_REPLY, &h.base, NULL);
    ferryi_auth_store_reply(srv->auth, &c->auth, m);
    return m;
}

/* Every refusal comes before the call's handler could run. */
static nng_msg *reject(srv_ctx *c, ferry_status st, const char *why)
{
    atomic_fetch_add(&c->srv->rejected, 1);
    ferryi_log(FERRYI_LOG_DEBUG, "server", "rejected call %llu: %s: %s",
               (unsigned long long)c->call_id, ferry_status_str(st), why);
    return build_reply_as(c, st, why, NULL, 1);
}

/* The event of the call on `c`, as far as it is known; `now_us` is the time
 * for total_us, which only the after hooks read (0 for the before hooks:
 * they need no clock read). */
static ferry_call_event call_event(const srv_ctx *c, uint64_t now_us)
{
    return (ferry_call_event){
        .side = FERRY_SIDE_SERVER,
        .method_name = c->method_name,
        .method = c->call.method,
        .call_id = c->call_id,
        .metadata = c->call.metadata,
        .n_metadata = c->call.n_metadata,
        .deadline_ms = c->deadline_ms,
        .identity = c->call.identity,
        .client_name = c->call.client_name != NULL ? c->call.client_name : "",
        .client_version = c->call.client_version != NULL ? c->call.client_version : "",
        .api_version = c->call.api_version,
        .admitted = c->admitted,
        .status = c->answer_status,
        .message = c->answer_message,
        .request_bytes = c->frame.body_len,
        .reply_bytes = c->answer_bytes,
        .attempts = 1,
        .handler_ran = c->handler_ran,
        .queued_us = c->handler_ran ? c->handler_start_us - c->read_us : 0,
        .handler_us = c->handler_us,
        .total_us = now_us != 0 ? now_us - c->read_us : 0,
    };
}

/* Releases what the finished call held. */
static void finish_call(srv_ctx *c)
{
    ferry_server *srv = c->srv;
    /* Every call that named a method and was answered: the after hooks see
     * it before its memory goes. */
    uint64_t end_us = c->answered && (srv->hooks.n > 0 || c->call.trace.on) ? ferryi_now_us() : 0;
    if (srv->hooks.n > 0 && c->answered && c->method_name != NULL) {
        ferry_call_event ev = call_event(c, end_us);
        ferryi_hooks_after(&srv->hooks, &ev);
    }
    if (c->call.trace.on && c->answered)
        ferryi_trace_server_end(&c->call.trace, c->method_name, c->answer_status, c->answer_message,
                                end_us);
    size_t used = c->call.arena.used + (c->req != NULL ? nng_msg_len(c->req) : 0);
    if (c->req != NULL) {
        nng_msg_free(c->req);
        c->req = NULL;
    }
    ferryi_call_fini(&c->call);
    if (srv->auth != NULL)
        ferryi_auth_call_end(srv->auth, &c->auth);
    c->conn = NULL;
    if (used > TRIM_AFTER_BYTES) {
        /* The allocator keeps freed memory for reuse, so a burst of large
         * calls would leave the process at its peak for good. Hand free
         * pages back, at most every 100 ms. */
        uint64_t now = ferryi_now_ms();
        uint_fast64_t last = atomic_load(&srv->last_trim_ms);
        if (now - last >= 100 && atomic_compare_exchange_strong(&srv->last_trim_ms, &last, now))
            malloc_trim(0);
    }
}

/* ------------------------------------------------------------------------
 * Handling a request
 * ---------------------------------------------------------------------- */

/* Runs the handler of the call on `c`; returns its reply. */
static nng_msg *run_handler(srv_ctx *c)
{
    ferry_server *srv = c->srv;
    ProtobufCMessage *resp = NULL;
    ferry_server *outer = running_server;
    running_server = srv;
    ferryi_log_context outer_log = ferryi_log_context_push(c->call.method->full_name, c->call_id);
    if (srv->hooks.n > 0) {
        c->handler_ran = 1;
        c->handler_start_us = ferryi_now_us();
    }
    ferry_status st = ferryi_call_run(&c->call, c->frame.body, c->frame.body_len, &resp);
    if (srv->hooks.n > 0)
        c->handler_us = ferryi_now_us() - c->handler_start_us;
    running_server = outer;
    atomic_fetch_add(&srv->handled, 1);
    nng_msg *reply = build_reply(c, st, st == FERRY_OK ? "" : c->call.message, resp);
    ferryi_log_context_pop(outer_log);
    return reply;
}

static void complete(srv_ctx *c, nng_msg *reply);

static void work_run(ferryi_job *job)
{
    srv_ctx *c = (srv_ctx *)job;
    ferry_server *srv = c->srv;
    pthread_mutex_lock(&srv->io_mu);
    int closed = srv->closed;
    pthread_mutex_unlock(&srv->io_mu);
    /* Queued past the grace period: nobody will read the reply. */
    on_worker = 1;
    complete(c, closed ? NULL : run_handler(c));
    on_worker = 0;
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

/* Every reply to a request whose header decodes is proved over the request's
 * nonce (docs/wire.md), refusals before the identity checks included, as a
 * pinning client expects, although such a request goes unverified. */
static void take_nonce(srv_ctx *c, const Ferry__Wire__RequestHeader *h)
{
    const Ferry__Wire__Identity *rid = h->identity;
    if (rid != NULL && rid->nonce.len == FERRYI_NONCE_BYTES) {
        memcpy(c->auth.nonce, rid->nonce.data, FERRYI_NONCE_BYTES);
        c->auth.have_nonce = 1;
    }
}

/* Starts the call `msg` admitted as `how` on `c`. Returns NULL with *queued
 * set when it went to the worker pool (the worker completes it); else the
 * reply to send, or NULL for none. */
static nng_msg *handle_request(srv_ctx *c, nng_msg *msg, ferryi_conn_admit how, int *queued)
{
    ferry_server *srv = c->srv;
    uint64_t now = ferryi_now_ms();
    char why[FERRY_MESSAGE_MAX];

    *queued = 0;
    c->req = msg;
    c->auth = (ferryi_auth_call){.slot = -1};
    c->call_id = 0;
    c->method_name = NULL;
    c->deadline_ms = 0;
    c->answered = c->admitted = c->handler_ran = 0;
    c->handler_start_us = c->handler_us = 0;
    if (srv->hooks.n > 0 || ferryi_trace_on())
        c->read_us = ferryi_now_us(); /* the call's figures and its span start here */
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
    if (st != FERRY_OK) {
        /* A header that decodes but names no method still has a call id
         * the client can match the refusal to. */
        Ferry__Wire__RequestHeader *loose = ferry__wire__request_header__unpack(
            &c->call.arena.pb, c->frame.header_len, c->frame.header);
        if (loose != NULL) {
            c->call_id = loose->call_id;
            take_nonce(c, loose);
        }
        return reject(c, st, why);
    }
    c->call_id = h->call_id;
    c->method_name = h->method;
    c->deadline_ms = h->deadline_ms;
    ferryi_log_context_set(h->method, h->call_id);
    take_nonce(c, h);
    /* Every reply about a hosted service carries its range of API versions,
     * refusals before the method's own checks included. */
    const ferry_service_impl *impl = NULL;
    const ferry_method *m = ferryi_registry_find(&srv->reg, h->method, &impl);
    if (m != NULL) {
        const ferryi_vsvc *vs = ferryi_versions_find(&srv->ver, impl->desc);
        if (vs != NULL) {
            c->api_min = vs->min;
            c->api_max = vs->max;
        }
    }
    if (how == FERRYI_CONN_BUSY) {
        return reject(c, FERRY_RESOURCE_EXHAUSTED,
                      "too many calls waiting on this connection; retry later or spread calls "
                      "over more connections");
    }
    if (how == FERRYI_CONN_PROBE) {
        return reject(c, FERRY_UNAVAILABLE,
                      "calls on this connection were dropped because it did not read its "
                      "replies");
    }
    if (nng_msg_len(msg) > srv->max_message) {
        snprintf(why, sizeof why, "request of %zu bytes exceeds the server's limit of %zu bytes",
                 nng_msg_len(msg), srv->max_message);
        return reject(c, FERRY_RESOURCE_EXHAUSTED, why);
    }
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
            return cached;
        case FERRYI_AUTH_DROP:
            return NULL;
        case FERRYI_AUTH_REJECT:
            if (!c->auth.have_nonce) /* the checks start afresh; a refusal is still proved */
                take_nonce(c, h);
            return reject(c, FERRY_UNAUTHENTICATED, why);
        }
        c->call.identity = c->auth.who != NULL ? &c->auth.id : NULL;
        c->call.enforce_roles = 1;
        c->call.denied = &srv->auth->n[FERRYI_AUTH_PERMISSION_DENIED];
    }

    /* A draining server still answers health checks: they say DRAINING. */
    if (atomic_load(&srv->draining) && !ferryi_health_method(h->method))
        return reject(c, FERRY_UNAVAILABLE, "server is shutting down");

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
    if (ferryi_trace_on())
        ferryi_trace_server_begin(&c->call.trace, c->call.metadata, c->call.n_metadata, c->read_us);
    if (srv->hooks.n > 0) {
        ferry_call_event ev = call_event(c, 0);
        c->admitted = 1;
        if ((st = ferryi_hooks_before(&srv->hooks, &ev, why, sizeof why)) != FERRY_OK)
            return reject(c, st, why);
    }

    c->ph = PH_WORK;
    if (srv->inline_handlers)
        return run_handler(c);
    if (!on_worker && lend_thread()) {
        if (ferryi_workq_enter(&srv->wq)) {
            nng_msg *reply = run_handler(c);
            ferryi_workq_leave(&srv->wq);
            atomic_fetch_sub(&lent, 1);
            return reply;
        }
        atomic_fetch_sub(&lent, 1);
    }
    c->job.run = work_run;
    c->job.owner = c->conn;
    *queued = 1;
    ferryi_workq_push(&srv->wq, &c->job);
    return NULL;
}

/* Ends the call on `c` with `reply` (NULL: none), then serves the next
 * request of the same connection that waited for its turn, if any, else
 * receives again. A loop, not recursion: a long queue of refusals must not
 * grow the stack. */
static void complete(srv_ctx *c, nng_msg *reply)
{
    ferry_server *srv = c->srv;
    for (;;) {
        ferryi_conn *conn = c->conn;
        /* Taking over a waiting request keeps this context from receiving:
         * connections that keep their queues full would otherwise hold
         * every context between them, and nobody else would be read. */
        int hand_over = atomic_load(&srv->n_receiving) >= srv->min_receiving;
        nng_msg *next = reply != NULL
                            ? ferryi_conns_reply(srv->conns, conn, &c->ctx, reply, hand_over)
                            : ferryi_conns_done(srv->conns, conn, &c->ctx, hand_over);
        finish_call(c);
        if (next == NULL)
            break;
        c->conn = conn;
        int queued = 0;
        reply = handle_request(c, next, FERRYI_CONN_RUN, &queued);
        if (queued)
            return;
    }
    start_recv(c);
}

static void ctx_cb(void *arg)
{
    srv_ctx *c = arg;
    ferry_server *srv = c->srv;
    int rv = nng_aio_result(c->aio);

    if (c->ph != PH_RECV) {
        ferryi_log(FERRYI_LOG_ERROR, "server", "aio completed in unexpected phase %d", (int)c->ph);
        return;
    }
    atomic_fetch_sub(&srv->n_receiving, 1);
    if (rv != 0) {
        if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
            ferryi_log(rv == NNG_ETIMEDOUT ? FERRYI_LOG_DEBUG : FERRYI_LOG_WARN, "server",
                       "receive failed: %s", nng_strerror(rv));
        if (rv != NNG_ECLOSED)
            start_recv(c);
        return;
    }
    atomic_fetch_add(&srv->received, 1);
    nng_msg *msg = nng_aio_get_msg(c->aio);
    nng_aio_set_msg(c->aio, NULL);
    ferryi_conn_admit how = ferryi_conns_admit(srv->conns, &c->ctx, msg, &c->conn);
    if (how == FERRYI_CONN_TAKEN) {
        start_recv(c);
        return;
    }
    int queued = 0;
    nng_msg *reply = handle_request(c, msg, how, &queued);
    ferryi_log_context_clear(); /* the header it named goes with the call */
    if (!queued)
        complete(c, reply);
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
        nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, srv) != 0)
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
        if (nng_aio_alloc(&c->aio, ctx_cb, c) != 0)
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
            start_recv(&srv->ctxs[i]);
    }
    ferryi_log(FERRYI_LOG_INFO, "server", "listening on %s", url);
    return FERRY_OK;
}

/* nng_close() run on a thread of its own, so that its caller can stop
 * waiting for it. Whoever of the two finishes last frees it. */
typedef struct closer {
    nng_socket sock;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int closed;
    int refs;
} closer;

static void closer_unref(closer *k)
{
    pthread_mutex_lock(&k->mu);
    int last = --k->refs == 0;
    pthread_mutex_unlock(&k->mu);
    if (last) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->cv);
        free(k);
    }
}

static void *closer_run(void *arg)
{
    closer *k = arg;
    nng_close(k->sock);
    pthread_mutex_lock(&k->mu);
    k->closed = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    closer_unref(k);
    return NULL;
}

/* Closes the socket, waiting at most CLOSE_BOUND_MS. nng 1.5.2 can wedge its
 * reaper for good when a connection closes while its next message is
 * arriving, which ferry cannot prevent when the client hangs up mid-message
 * (the server itself never closes a connection while serving; conns.c), and
 * a wedged reaper makes nng_close() wait forever. A shutdown must end all
 * the same, so past the bound the socket is left to the process's exit. */
static void close_socket(ferry_server *srv)
{
    closer *k = calloc(1, sizeof *k);
    pthread_t t;
    if (k == NULL) {
        nng_close(srv->sock);
        return;
    }
    k->sock = srv->sock;
    k->refs = 2;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (pthread_create(&t, NULL, closer_run, k) != 0) {
        k->refs = 1;
        closer_unref(k);
        nng_close(srv->sock);
        return;
    }
    pthread_detach(t);
    struct timespec until = ferryi_realtime_in(CLOSE_BOUND_MS);
    pthread_mutex_lock(&k->mu);
    while (!k->closed && pthread_cond_timedwait(&k->cv, &k->mu, &until) == 0)
        ;
    int closed = k->closed;
    pthread_mutex_unlock(&k->mu);
    closer_unref(k);
    if (!closed) {
        srv->sock_wedged = 1;
        ferryi_log(FERRYI_LOG_ERROR, "server",
                   "nng did not close the socket within %u ms (a known nng 1.5.2 defect after a "
                   "connection closed mid-message); shutting down without it",
                   CLOSE_BOUND_MS);
    }
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
    pthread_mutex_unlock(&srv->mu);
    struct timespec until = ferryi_realtime_in(grace_ms);
    /* The drain notice: requests keep coming in and are refused with a
     * reply that says so, until their clients have moved elsewhere. */
    if (srv->drain_notice_ms > 0)
        ferryi_real_sleep_ms(srv->drain_notice_ms < grace_ms ? srv->drain_notice_ms : grace_ms);
    unsigned owed = srv->conns != NULL ? ferryi_conns_wait_idle(srv->conns, &until) : 0;
    if (owed > 0)
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "%u calls still running, waiting or being sent after the %u ms grace period; "
                   "their replies are dropped",
                   owed, grace_ms);

    /* No listener is reopened from here on... */
    if (srv->listeners != NULL)
        ferryi_listeners_stop(srv->listeners);
    /* ...no context starts another receive, no reply is sent... */
    pthread_mutex_lock(&srv->io_mu);
    srv->closed = 1;
    pthread_mutex_unlock(&srv->io_mu);
    if (srv->conns != NULL)
        ferryi_conns_close(srv->conns);
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
    ferryi_real_sleep_ms(SHUTDOWN_SETTLE_MS);
    /* ...and only then does the socket go, with nothing left using it. */
    if (srv->sock_open) {
        close_socket(srv);
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
    if (srv->sock_wedged) {
        /* nng may still use the contexts' aios, the connections' senders
         * and the listeners: leave them to the process's exit. */
        srv->n_ctx = 0;
        srv->ctxs = NULL;
        srv->conns = NULL;
        srv->listeners = NULL;
    }
    for (unsigned i = 0; i < srv->n_ctx; i++) {
        srv_ctx *c = &srv->ctxs[i];
        nng_aio_free(c->aio);
        if (c->req != NULL)
            nng_msg_free(c->req);
        ferryi_arena_fini(&c->call.arena);
    }
    free(srv->ctxs);
    ferryi_conns_free(srv->conns);
    ferryi_listeners_free(srv->listeners);
    if (srv->tls != NULL)
        nng_tls_config_free(srv->tls);
    if (srv->auth != NULL) {
        ferryi_auth_fini(srv->auth);
        free(srv->auth);
    }
    ferryi_registry_fini(&srv->reg);
    ferryi_versions_fini(&srv->ver);
    ferryi_health_free(srv->health);
    ferry_metrics_free(srv->metrics);
    pthread_mutex_destroy(&srv->io_mu);
    pthread_mutex_destroy(&srv->mu);
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
