/* engine.c - how a ferry_server serves its calls (server.c makes the
 * server, shutdown.c stops it).
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

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "call/validate.h"
#include "server/server_impl.h"
#include "wire/headers.h"

/* A call that took more memory than this hands it back to the system when
 * it ends (see finish_call). */
#define TRIM_AFTER_BYTES ((size_t)1 << 20)

/* ------------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------- */

/* The server whose handler this thread is running, so that a handler
 * calling ferry_server_shutdown() on its own server is recognised. */
static _Thread_local ferry_server *running_server;

/* nng threads running handlers, across every server of the process (nng's
 * task threads are the process's, not a server's), and the most there may
 * be: as many as there are CPUs, at most 8, which is half of what nng starts
 * (this file's head comment). */
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

void ferryi_server_start_recv(srv_ctx *c)
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
    Ferry__Wire__Identity idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    if (srv->auth != NULL)
        /* The proof has its final length before it is computed, so the
         * body is packed once, into the reply, and proved there; and the
         * size checked below is the size sent, identity block and all. */
        ferryi_auth_reserve_reply(srv->auth, &c->auth, &h, &idb, proof);
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
        body_len = 0;
        size = ferryi_frame_size(&h.base, NULL, NULL);
        if (srv->hooks.n > 0 || c->call.trace.on) {
            c->answer_status = FERRY_RESOURCE_EXHAUSTED;
            c->answer_bytes = 0;
            snprintf(c->answer_message, sizeof c->answer_message, "%s", why);
        }
    }
    size_t body_at = 0;
    if (srv->auth != NULL) {
        body_at = FERRYI_FRAME_PREFIX + ferryi_reply_header_size(&h);
        size = body_at + body_len;
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
    if (body != NULL)
        protobuf_c_message_pack(body, dst + body_at);
    ferryi_auth_prove_reply(srv->auth, &c->auth, &h, dst + body_at, body_len, proof);
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
        .admitted = c->hooks_ran > 0, /* per interceptor for the after hooks */
        .status = c->answer_status,
        .message = c->answer_message,
        .request_bytes = c->frame.body_len,
        .reply_bytes = c->answer_bytes,
        .attempts = 1,
        .handler_ran = c->handler_ran,
        /* Till a worker took it, whether it then ran or was refused: a call
         * that waited past its deadline waited longest of all. */
        .queued_us = c->handler_start_us != 0 ? c->handler_start_us - c->read_us : 0,
        .handler_us = c->handler_us,
        .total_us = now_us != 0 ? now_us - c->read_us : 0,
    };
}

/* Releases what the finished call held. */
static void finish_call(srv_ctx *c)
{
    ferry_server *srv = c->srv;
    /* Every call that named a method and was answered, or whose before
     * hooks ran: the after hooks see it before its memory goes. */
    uint64_t end_us = c->answered && (srv->hooks.n > 0 || c->call.trace.on) ? ferryi_now_us() : 0;
    if (srv->hooks.n > 0 && (c->answered || c->hooks_ran > 0) && c->method_name != NULL) {
        ferry_call_event ev = call_event(c, end_us != 0 ? end_us : ferryi_now_us());
        ferry_server *outer = running_server; /* a hook may start the shutdown */
        running_server = srv;
        ferryi_hooks_after(&srv->hooks, &ev, c->hooks_ran);
        running_server = outer;
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
    if (srv->hooks.n > 0)
        c->handler_start_us = ferryi_now_us();
    ferry_status st = ferryi_call_run(&c->call, c->frame.body, c->frame.body_len, &resp);
    /* A call refused before its handler (deadline, roles, body, rules) was
     * not handled: the counters and the after hooks say so, as for the
     * refusals that come before this. */
    c->handler_ran = c->call.handler_ran;
    if (srv->hooks.n > 0 && c->handler_ran)
        c->handler_us = ferryi_now_us() - c->handler_start_us;
    running_server = outer;
    atomic_fetch_add(c->call.handler_ran ? &srv->handled : &srv->rejected, 1);
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
    /* Queued past the grace period: nobody will read the reply. The after
     * hooks still see the call end (their before hooks ran). */
    if (closed) {
        c->answer_status = FERRY_CANCELLED;
        c->answer_bytes = 0;
        snprintf(c->answer_message, sizeof c->answer_message,
                 "the server closed before the call ran");
    }
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

/* Starts the call `msg` admitted as `how` on `c`, which arrived at
 * `arrived_us` (ferry µs; 0: now). Returns NULL with *queued set when it
 * went to the worker pool (the worker completes it); else the reply to
 * send, or NULL for none. */
static nng_msg *handle_request(srv_ctx *c, nng_msg *msg, ferryi_conn_admit how, uint64_t arrived_us,
                               int *queued)
{
    ferry_server *srv = c->srv;
    /* A request that waited for its connection's turn has spent its wait
     * out of its deadline (docs/resilience.md: the server's clock for a
     * call starts when the request arrives). */
    uint64_t now = arrived_us != 0 ? arrived_us / 1000u : ferryi_now_ms();
    char why[FERRY_MESSAGE_MAX];

    *queued = 0;
    c->req = msg;
    c->auth = (ferryi_auth_call){.slot = -1};
    c->call_id = 0;
    c->method_name = NULL;
    c->deadline_ms = 0;
    c->answered = c->handler_ran = 0;
    c->hooks_ran = 0;
    c->handler_start_us = c->handler_us = 0;
    /* The call's figures and its span start when it was read, its wait
     * for its connection's turn included. */
    if (srv->hooks.n > 0 || ferryi_trace_on())
        c->read_us = arrived_us != 0 ? arrived_us : ferryi_now_us();
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
        Ferry__Wire__RequestHeader *loose =
            ferryi_request_header_unpack(&c->call.arena.pb, c->frame.header_len, c->frame.header);
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
    if ((st = take_metadata(c, h)) != FERRY_OK)
        return reject(c, st, c->call.message);
    if (ferryi_trace_on())
        ferryi_trace_server_begin(&c->call.trace, c->call.metadata, c->call.n_metadata, c->read_us);
    if (srv->hooks.n > 0) {
        ferry_call_event ev = call_event(c, 0);
        ferry_server *outer = running_server; /* a hook may start the shutdown */
        running_server = srv;
        st = ferryi_hooks_before(&srv->hooks, &ev, why, sizeof why, &c->hooks_ran);
        running_server = outer;
        if (st != FERRY_OK)
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
        uint64_t arrived_us = 0;
        nng_msg *next =
            reply != NULL
                ? ferryi_conns_reply(srv->conns, conn, &c->ctx, reply, hand_over, &arrived_us)
                : ferryi_conns_done(srv->conns, conn, &c->ctx, hand_over, &arrived_us);
        finish_call(c);
        if (next == NULL)
            break;
        c->conn = conn;
        int queued = 0;
        reply = handle_request(c, next, FERRYI_CONN_RUN, arrived_us, &queued);
        ferryi_log_context_clear(); /* the header it named goes with the call */
        if (queued)
            return;
    }
    ferryi_server_start_recv(c);
}

void ferryi_server_ctx_cb(void *arg)
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
            ferryi_server_start_recv(c);
        return;
    }
    atomic_fetch_add(&srv->received, 1);
    nng_msg *msg = nng_aio_get_msg(c->aio);
    nng_aio_set_msg(c->aio, NULL);
    uint64_t arrived_us = 0;
    ferryi_conn_admit how = ferryi_conns_admit(srv->conns, &c->ctx, &msg, &c->conn, &arrived_us);
    if (how == FERRYI_CONN_TAKEN) {
        ferryi_server_start_recv(c);
        return;
    }
    int queued = 0;
    nng_msg *reply = handle_request(c, msg, how, arrived_us, &queued);
    ferryi_log_context_clear(); /* the header it named goes with the call */
    if (!queued)
        complete(c, reply);
}

void ferryi_server_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    ferry_server *srv = arg;
    (void)p;
    if (ev == NNG_PIPE_EV_ADD_POST)
        atomic_fetch_add(&srv->connections, 1);
}

int ferryi_server_running_here(const ferry_server *srv)
{
    return running_server == srv;
}
