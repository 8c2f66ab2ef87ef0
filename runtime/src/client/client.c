/* client.c - the remote channel: calls to one server address over nng req0.
 *
 * Each call borrows a slot (an nng context and an aio) from the channel's
 * pool, so many threads can have many calls in flight on one socket. A call
 * is a two-step state machine driven by the slot's aio callback:
 *
 *   SEND: the request frame waits for a connection (at most the connect
 *         timeout when none is up) and is handed to the pipe;
 *   RECV: the reply is awaited until the deadline.
 *
 * Timing policy (docs/wire.md, "Deadlines and resends"): nng's own REQ resend
 * timer is disabled, because a blind resend can run a non-idempotent handler
 * twice and would outlive ferry's deadlines. When the connection drops, every
 * call waiting for its reply fails at once with FERRY_UNAVAILABLE instead of
 * being resent on the next connection; deciding to retry is the caller's (or
 * the retry policy's) job.
 */
#include <pbdepth.h>
#include <sodium.h>

#include "base/arena.h"
#include "client/client_impl.h"
#include "wire/headers.h"

/* ------------------------------------------------------------------------
 * Slots
 * ---------------------------------------------------------------------- */

static void slot_cb(void *arg);

slot *ferryi_cl_slot_get(client *cl)
{
    pthread_mutex_lock(&cl->mu);
    slot *s = cl->free_slots;
    if (s != NULL)
        cl->free_slots = s->next_free;
    pthread_mutex_unlock(&cl->mu);
    if (s != NULL)
        return s;

    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cl = cl;
    if (nng_aio_alloc(&s->aio, slot_cb, s) != 0) {
        free(s);
        return NULL;
    }
    if (nng_ctx_open(&s->ctx, cl->sock) != 0) {
        nng_aio_free(s->aio);
        free(s);
        return NULL;
    }
    nng_ctx_set_ms(s->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    pthread_mutex_lock(&cl->mu);
    s->next_all = cl->all_slots;
    cl->all_slots = s;
    pthread_mutex_unlock(&cl->mu);
    return s;
}

void ferryi_cl_busy_add(client *cl, slot *s)
{
    pthread_mutex_lock(&cl->mu);
    s->prev_busy = NULL;
    s->next_busy = cl->busy;
    if (cl->busy != NULL)
        cl->busy->prev_busy = s;
    cl->busy = s;
    pthread_mutex_unlock(&cl->mu);
}

/* Takes `s` off the busy list and returns it to the pool. */
void ferryi_cl_slot_put(client *cl, slot *s)
{
    pthread_mutex_lock(&cl->mu);
    if (s->prev_busy != NULL)
        s->prev_busy->next_busy = s->next_busy;
    else if (cl->busy == s)
        cl->busy = s->next_busy;
    if (s->next_busy != NULL)
        s->next_busy->prev_busy = s->prev_busy;
    s->prev_busy = s->next_busy = NULL;
    s->next_free = cl->free_slots;
    cl->free_slots = s;
    pthread_mutex_unlock(&cl->mu);
}

/* Ends the asynchronous call on slot `s`: returns the slot, then runs the
 * completion. */
static ProtobufCMessage *decode_request(const ferry_method *m, nng_msg *frame);

/* The end of every call, synchronous or not, once its last attempt is
 * over: the breaker learns the outcome, a failure gets the fallback (given
 * `req`, or for an asynchronous call the request decoded from its copy, when
 * the fallback wants it), and the slot goes back. Returns the call's final
 * status; *resp is the response (the fallback's on FERRY_FALLBACK). */
ferry_status ferryi_cl_call_finish(slot *s, ferry_status st, const ProtobufCMessage *req,
                                   ProtobufCMessage **resp, ferry_call_info *info)
{
    client *cl = s->cl;
    info->attempts = s->attempt;
    ferryi_breaker_record(&cl->breakers, s->m, s->trial, st);
    if (st != FERRY_OK && !cl->endpoint) {
        ProtobufCMessage *copy =
            req == NULL && s->req_copy != NULL ? decode_request(s->m, s->req_copy) : NULL;
        st = ferryi_fallback_apply(&cl->fallbacks, s->m, req != NULL ? req : copy, st, resp, info);
        ferry_message_free(copy);
    }
    info->status = st;
    if (s->req_copy != NULL) {
        nng_msg_free(s->req_copy);
        s->req_copy = NULL;
    }
    s->retry_kept = 0;
    if (s->retry_msg != NULL && nng_msg_len(s->retry_msg) > RETRY_MSG_KEEP) {
        nng_msg_free(s->retry_msg);
        s->retry_msg = NULL;
    } else if (s->retry_msg != NULL) {
        /* The request (its metadata may hold a token) does not linger in a
         * slot that waits for its next call. */
        sodium_memzero(nng_msg_body(s->retry_msg), nng_msg_len(s->retry_msg));
        nng_msg_clear(s->retry_msg);
    }
    if (st != FERRY_OK && st != FERRY_FALLBACK)
        ferryi_log_call(FERRYI_LOG_DEBUG, "client",
                        &(ferryi_log_context){s->m->full_name, s->call_id}, "call failed: %s: %s",
                        ferry_status_str(st), info->message);
    ferryi_cl_slot_put(cl, s);
    return st;
}

/* An asynchronous call ends: ferryi_cl_call_finish(), then the caller's completion. */
static void complete(slot *s, ferry_status st, ProtobufCMessage *resp, ferry_call_info *info)
{
    ferry_completion done = s->done;
    st = ferryi_cl_call_finish(s, st, NULL, &resp, info);
    done.invoke(&done, st, resp, info);
}

/* ------------------------------------------------------------------------
 * The outcomes of a call, shared by the synchronous and asynchronous paths
 * ---------------------------------------------------------------------- */

/* Takes the message off `aio`, so that nothing later frees it twice. */
nng_msg *ferryi_cl_take_msg(nng_aio *aio)
{
    nng_msg *m = nng_aio_get_msg(aio);
    nng_aio_set_msg(aio, NULL);
    return m;
}

/* The attempt's connection dropped while it was in flight. */
ferry_status ferryi_cl_say_lost(slot *s, ferry_call_info *info)
{
    return ferryi_cl_say(
        info, FERRY_UNAVAILABLE,
        "connection to %s closed while the call was in flight (the server stopped, or "
        "dropped a message over its size limit)",
        s->cl->url);
}

/* The send on `aio` failed with `rv`: frees the request, says why. */
ferry_status ferryi_cl_send_failed(slot *s, nng_aio *aio, int rv, ferry_call_info *info)
{
    client *cl = s->cl;
    nng_msg_free(ferryi_cl_take_msg(aio));
    /* req0 completes a send only once a connection has taken the request:
     * a failed send never reached a server (client_ep.h). */
    info->not_run = 1;
    info->answered = 0;
    if (rv == NNG_ECANCELED && s->disconnected)
        return ferryi_cl_say(info, FERRY_UNAVAILABLE,
                             "connection to %s lost before the request was sent", cl->url);
    char why[160];
    if (rv == NNG_ETIMEDOUT && atomic_load(&cl->pipes) == 0) {
        /* The call's one connect wait is over: another attempt would have
         * none, so this one is the last. */
        char within[64];
        if (s->connect_until != 0)
            s->connect_spent = 1;
        if (s->connect_waited != 0)
            snprintf(within, sizeof within, "within %u ms", s->connect_waited);
        else
            snprintf(within, sizeof within, "within the call's %u ms deadline", s->deadline_ms);
        if (cl->tls != NULL && ferryi_cl_tls_trouble(cl, why, sizeof why))
            return ferryi_cl_say(info, FERRY_UNAVAILABLE, "no connection to %s %s: %s", cl->url,
                                 within, why);
        return ferryi_cl_say(info, FERRY_UNAVAILABLE, "no connection to %s %s", cl->url, within);
    }
    if (rv == NNG_ETIMEDOUT)
        return ferryi_cl_say(info, FERRY_DEADLINE_EXCEEDED, "request to %s not sent within %u ms",
                             cl->url, s->deadline_ms);
    return ferryi_cl_say(info, FERRY_UNAVAILABLE, "sending to %s failed: %s", cl->url,
                         nng_strerror(rv));
}

/* The receive failed with `rv`: says why. */
ferry_status ferryi_cl_recv_failed(slot *s, int rv, ferry_call_info *info)
{
    client *cl = s->cl;
    info->answered = 0; /* an earlier attempt's reply is not this one's */
    if (rv == NNG_ETIMEDOUT)
        return ferryi_cl_say(info, FERRY_DEADLINE_EXCEEDED, "no reply from %s within %u ms",
                             cl->url, s->deadline_ms);
    if (s->disconnected || rv == NNG_ECONNRESET)
        return ferryi_cl_say_lost(s, info);
    if (rv == NNG_ECLOSED)
        return ferryi_cl_say(info, FERRY_UNAVAILABLE, "channel to %s closed", cl->url);
    return ferryi_cl_say(info, FERRY_UNAVAILABLE, "receiving from %s failed: %s", cl->url,
                         nng_strerror(rv));
}

/* The time left for the reply, as an nng timeout. */
nng_duration ferryi_cl_recv_timeout(const slot *s)
{
    uint64_t now = ferryi_now_ms();
    return now >= s->deadline_at ? 1 : (nng_duration)(s->deadline_at - now);
}

/* The timestamp a request proved now carries: the current time, or the
 * server's start when that is later. */
uint64_t ferryi_cl_proof_ts(client *cl)
{
    uint64_t ts = ferryi_wall_ms();
    uint64_t not_before = atomic_load(&cl->not_before);
    return ts < not_before ? not_before : ts;
}

/* Proves request header `h` over `body` with the channel's key, a fresh
 * nonce (kept in `att`) and ferryi_cl_proof_ts(); `idb` and `proof` hold
 * what h->identity then points to. Returns the timestamp proved. */
uint64_t ferryi_cl_prove_request(client *cl, Ferry__Wire__RequestHeader *h,
                                 Ferry__Wire__Identity *idb, uint8_t proof[FERRYI_SIG_BYTES],
                                 const uint8_t *body, size_t body_len, ferryi_attempt_proof *att)
{
    uint64_t ts = ferryi_cl_proof_ts(cl);
    ferryi_client_prove(&cl->id, h, idb, proof, body, body_len, ts, att);
    return ts;
}

/* The server refused the attempt's proof as older than its start,
 * `not_before`: remembers the start for the channel's later proofs and, when
 * proving again can help, marks the attempt for it (see ferryi_cl_attempt_next). */
static void learn_not_before(slot *s, uint64_t not_before)
{
    client *cl = s->cl;
    if (cl->id.server_key == NULL && not_before > ferryi_wall_ms() + NOT_BEFORE_AHEAD_MAX_MS)
        return; /* unproved, and too far ahead to be the truth */
    uint64_t was = atomic_load(&cl->not_before);
    while (was < not_before && !atomic_compare_exchange_weak(&cl->not_before, &was, not_before))
        ;
    if (s->proof_ts < not_before) {
        s->reprove = 1;
        ferryi_log(FERRYI_LOG_DEBUG, "client",
                   "call %llu: %s started %llu ms after the request was proved; proving it again",
                   (unsigned long long)s->call_id, cl->url,
                   (unsigned long long)(not_before - s->proof_ts));
    }
}

/* Decodes reply `msg` (and frees it): on FERRY_OK *resp is the response. */
ferry_status ferryi_cl_decode_reply(slot *s, nng_msg *msg, ProtobufCMessage **resp,
                                    ferry_call_info *info)
{
    client *cl = s->cl;
    const ferry_method *m = s->m;
    ferryi_frame f;
    *resp = NULL;

    ferry_status st = ferryi_frame_split(nng_msg_body(msg), nng_msg_len(msg), FERRYI_KIND_REPLY, &f,
                                         info->message, sizeof info->message);
    if (st != FERRY_OK) {
        nng_msg_free(msg);
        return st;
    }
    /* The header lives only while the reply is judged: its strings and
     * identity block come from an arena on the stack, and go with it, rather
     * than a malloc() and a free() each. */
    ferryi_arena hdr_mem;
    ferryi_arena_init(&hdr_mem);
    int nul;
    Ferry__Wire__ReplyHeader *h =
        ferryi_reply_header_unpack_strict(&hdr_mem.pb, f.header_len, f.header, &nul);
    if (h == NULL) {
        ferryi_arena_reset(&hdr_mem);
        nng_msg_free(msg);
        if (nul)
            return ferryi_cl_say(
                info, FERRY_PROTOCOL_ERROR,
                "reply header from %s holds a NUL byte in its message or a violation", cl->url);
        return ferryi_cl_say(info, FERRY_PROTOCOL_ERROR,
                             "reply header from %s is not a valid ferry.wire.ReplyHeader", cl->url);
    }
    int proved = ferryi_client_reply_proved(&cl->id, h, &s->proved, f.body, f.body_len);
    if (!proved) {
        st = ferryi_cl_say(
            info, FERRY_UNAUTHENTICATED,
            "reply from %s carries no valid proof from the server's key %s (status %u: %s)",
            cl->url, cl->id.server_key->name, h->status, h->message);
    } else if (h->call_id == 0 && h->status != FERRY_OK && h->status < FERRY_FALLBACK) {
        /* The server could not read our request far enough to learn its id. */
        st = ferryi_cl_say(info, (ferry_status)h->status, "%s refused the request: %s", cl->url,
                           h->message);
    } else if (h->call_id != s->call_id) {
        st = ferryi_cl_say(info, FERRY_PROTOCOL_ERROR, "reply from %s is for call %llu, not %llu",
                           cl->url, (unsigned long long)h->call_id, (unsigned long long)s->call_id);
    } else if (h->status >= FERRY_FALLBACK) {
        st = ferryi_cl_say(info, FERRY_PROTOCOL_ERROR,
                           "reply from %s carries status %u, which only a client may give", cl->url,
                           h->status);
    } else if (h->status == FERRY_UNIMPLEMENTED && h->api_max != 0 && m->opts.since > h->api_max) {
        /* The server lacks a method of a later API version than it serves. */
        st = ferryi_cl_say(info, FERRY_UNIMPLEMENTED, "%s (%s came in API version %u)", h->message,
                           m->name, m->opts.since);
    } else if (h->status != FERRY_OK) {
        st = ferryi_cl_say(info, (ferry_status)h->status, "%s", h->message);
        if (h->status == FERRY_INVALID_ARGUMENT && s->violations != NULL)
            ferryi_violations_from_wire(h, s->violations);
        if (h->status == FERRY_UNAUTHENTICATED && h->proof_not_before_ms != 0)
            learn_not_before(s, h->proof_not_before_ms);
        if (proved == FERRYI_REPLY_PROVE_AGAIN)
            s->reprove = 1; /* refused before it could run: proved again with mac */
    } else if (!ferry_pb_depth_ok(m->output, f.body, f.body_len)) {
        st = ferryi_cl_say(info, FERRY_PROTOCOL_ERROR,
                           "reply body from %s nests messages more than %d levels deep", cl->url,
                           FERRY_PB_DEPTH_MAX);
    } else {
        *resp = protobuf_c_message_unpack(m->output, NULL, f.body_len, f.body);
        if (*resp == NULL)
            st = ferryi_cl_say(info, FERRY_PROTOCOL_ERROR,
                               "reply body from %s (%zu bytes) is not a valid %s", cl->url,
                               f.body_len, m->output->name);
    }
    /* On a channel that pins its server's key, a reply without the server's
     * proof is a stranger's: it fails its call and leaves the channel as it
     * was, or any peer could shrink the request limit every later call is
     * held to. A proved reply's state counts as far as its proof covers it
     * (docs/wire.md, "The reply's state"): not_run only when covered, or
     * someone on the path could set it on a failure a handler returned and
     * have a non-idempotent call run again on another server (the channel
     * then trusts only what it knows itself, a request no connection took);
     * the rest also from a server that never covers it, as before; none once
     * the server has covered it and a reply comes that does not. */
    int state =
        proved && h->call_id == s->call_id ? ferryi_client_state(&cl->id, h) : FERRYI_STATE_IGNORED;
    if (state != FERRYI_STATE_IGNORED) {
        /* What a balancer acts on (client_ep.h): a draining server, and a
         * refusal that ran nothing. */
        info->server_draining = h->draining;
        info->not_run = st != FERRY_OK && h->not_run && state == FERRYI_STATE_PROVED;
        info->answered = 1;
        if (h->max_request != 0)
            atomic_store(&cl->server_max, h->max_request);
        info->server_api_min = h->api_min;
        info->server_api_max = h->api_max;
    }
    ferryi_arena_reset(&hdr_mem);
    nng_msg_free(msg);
    return st;
}

/* The request body of our own request frame, decoded; NULL on failure. */
static ProtobufCMessage *decode_request(const ferry_method *m, nng_msg *frame)
{
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    if (ferryi_frame_split(nng_msg_body(frame), nng_msg_len(frame), FERRYI_KIND_REQUEST, &f, why,
                           sizeof why) != FERRY_OK)
        return NULL;
    return protobuf_c_message_unpack(m->input, NULL, f.body_len, f.body);
}

/* ------------------------------------------------------------------------
 * Attempts
 * ---------------------------------------------------------------------- */

/* Copies request `msg` into the slot's retry message; 0 when out of memory. */
static int keep_request(slot *s, nng_msg *msg)
{
    if (s->retry_msg == NULL && nng_msg_alloc(&s->retry_msg, 0) != 0) {
        s->retry_msg = NULL;
        return 0;
    }
    nng_msg_clear(s->retry_msg);
    return nng_msg_append(s->retry_msg, nng_msg_body(msg), nng_msg_len(msg)) == 0;
}

/* Sets up attempt `s->attempt` to send `msg`: keeps a copy when a retry or
 * a new proof may follow, picks how long the request may wait for a
 * connection, and returns whether a connection is known to be down (fail
 * fast). */
int ferryi_cl_attempt_begin(slot *s, nng_msg *msg)
{
    client *cl = s->cl;
    int may_retry = s->m->opts.idempotent && s->attempt < cl->retry.policy.max_attempts;
    int may_reprove = cl->id.key != NULL && !s->reproved;
    if (!s->retry_kept && (may_retry || may_reprove))
        s->retry_kept = keep_request(s, msg); /* 0, out of memory: this attempt is the last */
    ferryi_cl_redial_if_stuck(cl);
    /* Under the lock the connection-loss callback holds: either it has
     * counted the connection down already, or it will see this attempt in
     * phase SEND and mark it disconnected. */
    pthread_mutex_lock(&cl->mu);
    atomic_store(&s->disconnected, 0);
    atomic_store(&s->ph, SLOT_SEND);
    int connected = atomic_load(&cl->pipes) > 0;
    pthread_mutex_unlock(&cl->mu);
    uint64_t now = ferryi_now_ms();
    uint32_t left = now >= s->deadline_at ? 1 : (uint32_t)(s->deadline_at - now);
    s->send_wait_ms = left;
    if (!connected && !cl->wait_for_ready) {
        /* One connect wait per call, however many attempts share it: the
         * first attempt that finds no connection starts it, later ones get
         * what is left of it. Counted on the real clock, as nng's timer that
         * ends it runs: under a frozen test clock every attempt would
         * otherwise wait it all again. */
        uint64_t real = ferryi_real_ms();
        if (s->connect_until == 0) {
            s->connect_until = real + cl->connect_timeout_ms;
            s->connect_waited = cl->connect_timeout_ms < left ? cl->connect_timeout_ms : 0;
        }
        uint64_t rest = s->connect_until > real ? s->connect_until - real : 1;
        if (rest < left)
            s->send_wait_ms = (uint32_t)rest;
    }
    return !connected && atomic_load(&cl->ever_connected) && !cl->wait_for_ready;
}

/* Starts a send (phase SLOT_SEND) or a receive (SLOT_RECV) on `aio`, unless
 * the connection-loss callback has marked the attempt disconnected: its
 * cancellation reaches only an operation already started, so starting one
 * after it ran would wait for a reply that cannot come. Returns 0 when the
 * operation was not started. */
int ferryi_cl_start_io(slot *s, nng_aio *aio, slot_phase ph)
{
    client *cl = s->cl;
    pthread_mutex_lock(&cl->mu);
    if (atomic_load(&s->disconnected)) {
        pthread_mutex_unlock(&cl->mu);
        return 0;
    }
    atomic_store(&s->ph, ph);
    if (ph == SLOT_SEND)
        nng_ctx_send(s->ctx, aio);
    else
        nng_ctx_recv(s->ctx, aio);
    pthread_mutex_unlock(&cl->mu);
    return 1;
}

ferry_status ferryi_cl_say_down(slot *s, ferry_call_info *info)
{
    info->not_run = 1; /* not sent: client_ep.h */
    info->answered = 0;
    return ferryi_cl_say(info, FERRY_UNAVAILABLE,
                         "connection to %s is down; reconnecting in the background", s->cl->url);
}

/* Takes the request of the next attempt, with its deadline_ms set to the
 * time the call has left now, so the server does not plan with time the
 * earlier attempts used up. */
nng_msg *ferryi_cl_take_retry_msg(slot *s)
{
    nng_msg *old = s->retry_msg;
    s->retry_kept = 0;
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    Ferry__Wire__RequestHeader *h = NULL;
    if (ferryi_frame_split(nng_msg_body(old), nng_msg_len(old), FERRYI_KIND_REQUEST, &f, why,
                           sizeof why) != FERRY_OK ||
        ferryi_request_header_decode(&f, NULL, &h, why, sizeof why) != FERRY_OK) {
        s->retry_msg = NULL; /* our own frame: cannot happen */
        return old;
    }
    uint64_t now = ferryi_now_ms();
    h->deadline_ms = now >= s->deadline_at ? 1 : (uint32_t)(s->deadline_at - now);
    /* A new attempt is a new request: a fresh nonce, time and proof. */
    Ferry__Wire__Identity *was = h->identity, idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    if (s->cl->id.key != NULL)
        s->proof_ts =
            ferryi_cl_prove_request(s->cl, h, &idb, proof, f.body, f.body_len, &s->proved);
    size_t size = FERRYI_FRAME_PREFIX + ferryi_request_header_size(h) + f.body_len;
    nng_msg *m = NULL;
    if (nng_msg_alloc(&m, size) == 0) {
        ferryi_frame_write_raw(nng_msg_body(m), FERRYI_KIND_REQUEST, &h->base, f.body, f.body_len);
    } else {
        s->retry_msg = NULL; /* out of memory: the copy goes as it is */
        m = old;
    }
    h->identity = was;
    ferry__wire__request_header__free_unpacked(h, NULL);
    return m;
}

/* The one place a failed attempt of either kind of call is judged. Proved
 * again at once, once per call, when the server refused the attempt's proof
 * as older than its start, or refused a scheme 3 proof without checking it
 * (identity/client_proof.h): whatever the method, since the server did not
 * run it, and outside the retry policy and its budget. Else retried after *wait
 * when the retry policy says so, unless the call's connect wait is spent.
 * Else done. */
next_step ferryi_cl_attempt_next(slot *s, ferry_status st, const ferry_call_info *info,
                                 uint32_t *wait)
{
    *wait = 0;
    if (s->reprove && !s->reproved && s->retry_kept) {
        s->reprove = 0;
        s->reproved = 1;
        return STEP_REPROVE;
    }
    if (!s->retry_kept || s->connect_spent ||
        !ferryi_retry_next(&s->cl->retry, s->m, st, s->attempt, s->deadline_at, wait))
        return STEP_DONE;
    ferryi_log_call(FERRYI_LOG_DEBUG, "client", &(ferryi_log_context){s->m->full_name, s->call_id},
                    "attempt %u: %s; retrying in %u ms", s->attempt, info->message, *wait);
    return STEP_RETRY;
}

/* ------------------------------------------------------------------------
 * The asynchronous path: driven by the slot's aio callback
 * ---------------------------------------------------------------------- */

/* Starts attempt `s->attempt` of an asynchronous call with `msg`. */
void ferryi_cl_launch(slot *s, nng_msg *msg)
{
    if (ferryi_cl_attempt_begin(s, msg)) {
        /* Fail fast, but through the callback like any other outcome. */
        nng_msg_free(msg);
        s->ph = SLOT_DOWN;
        nng_sleep_aio(0, s->aio);
        return;
    }
    nng_aio_set_timeout(s->aio, (nng_duration)s->send_wait_ms);
    nng_aio_set_msg(s->aio, msg);
    if (!ferryi_cl_start_io(s, s->aio, SLOT_SEND)) {
        nng_aio_set_msg(s->aio, NULL);
        nng_msg_free(msg);
        s->ph = SLOT_DOWN;
        nng_sleep_aio(0, s->aio);
    }
}

/* The attempt failed with `st`: retry after a backoff, or complete. */
static void attempt_failed(slot *s, ferry_status st, ferry_call_info *info)
{
    uint32_t wait = 0;
    switch (ferryi_cl_attempt_next(s, st, info, &wait)) {
    case STEP_REPROVE:
        s->attempt++;
        return ferryi_cl_launch(s, ferryi_cl_take_retry_msg(s));
    case STEP_RETRY:
        s->ph = SLOT_BACKOFF;
        ferryi_sleep_aio(wait, s->aio);
        return;
    case STEP_DONE:
        break;
    }
    complete(s, st, NULL, info);
}

static void slot_cb(void *arg)
{
    slot *s = arg;
    int rv = nng_aio_result(s->aio);
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    ProtobufCMessage *resp = NULL;
    ferry_status st;

    switch ((slot_phase)s->ph) {
    case SLOT_SEND:
        if (rv != 0)
            return attempt_failed(s, ferryi_cl_send_failed(s, s->aio, rv, &info), &info);
        nng_aio_set_timeout(s->aio, ferryi_cl_recv_timeout(s));
        if (!ferryi_cl_start_io(s, s->aio, SLOT_RECV))
            return attempt_failed(s, ferryi_cl_say_lost(s, &info), &info);
        return;
    case SLOT_RECV:
        st = rv != 0 ? ferryi_cl_recv_failed(s, rv, &info)
                     : ferryi_cl_decode_reply(s, ferryi_cl_take_msg(s->aio), &resp, &info);
        if (st == FERRY_OK)
            return complete(s, st, resp, &info);
        return attempt_failed(s, st, &info);
    case SLOT_DOWN:
        return attempt_failed(s, ferryi_cl_say_down(s, &info), &info);
    case SLOT_BACKOFF:
        if (rv != 0) /* the channel is closing */
            return complete(
                s, ferryi_cl_say(&info, FERRY_UNAVAILABLE, "channel to %s closed", s->cl->url),
                NULL, &info);
        s->attempt++;
        return ferryi_cl_launch(s, ferryi_cl_take_retry_msg(s));
    }
}
