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
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "base/error.h"
#include "client/breaker.h"
#include "call/call.h"
#include "call/opts.h"
#include "client/client_ep.h"
#include "base/clock.h"
#include "wire/envelope.h"
#include "wire/reply_header.h"
#include "client/fallback.h"
#include "identity/keys.h"
#include "identity/client_proof.h"
#include "identity/proof.h"
#include "base/log.h"
#include "client/retry.h"
#include "identity/tls.h"
#include "call/validate.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 1000u
#define RECONNECT_MIN_MS           20
#define RECONNECT_MAX_MS           1000
/* With no connection for this long since the dialer started or a
 * connection came or went, the channel replaces its dialer (see redial). */
#define REDIAL_AFTER_MS 5000u
#define URL_MAX         256
/* How far ahead of this client's clock a server's proof_not_before_ms is
 * believed when the server's key is not pinned (and so the value is not
 * proved): the default skew window, past which the server would refuse the
 * timestamp anyway. */
#define NOT_BEFORE_AHEAD_MAX_MS 300000u

typedef struct client client;

/* SEND: the request waits for a connection or is being sent; RECV: awaiting
 * the reply; DOWN: the connection is known down, the attempt fails at once;
 * BACKOFF: waiting before a retry. */
typedef enum { SLOT_SEND, SLOT_RECV, SLOT_DOWN, SLOT_BACKOFF } slot_phase;

typedef struct slot {
    client *cl;
    nng_ctx ctx;
    nng_aio *aio;            /* asynchronous calls: completes on nng's threads via slot_cb */
    nng_aio *sync_aio;       /* synchronous calls: waited on in the caller's thread */
    nng_aio *_Atomic active; /* the aio of the call in flight, for the connection-loss callback */
    atomic_int ph;           /* a slot_phase; read by the connection-loss callback */
    const ferry_method *m;
    ferry_completion done;
    uint64_t call_id;
    ferryi_attempt_proof proved; /* the current attempt's nonce and scheme */
    uint64_t proof_ts;           /* the current attempt's proof timestamp */
    int reprove;             /* the server refused the attempt's proof as older than its start */
    int reproved;            /* the call has proved its request again once for that */
    uint64_t connect_until;  /* monotonic ms: the end of the call's connect wait; 0 = not begun */
    uint32_t connect_waited; /* the call's connect wait, ms; 0 when its deadline was shorter */
    int connect_spent;       /* the connect wait ran out: no further attempt */
    uint64_t deadline_at;    /* monotonic ms */
    uint32_t deadline_ms;
    uint32_t send_wait_ms;   /* how long the request may wait to be sent */
    atomic_int disconnected; /* its connection dropped while the call was in flight */
    nng_msg *retry_msg;      /* a copy of the request for the next attempt, or NULL */
    unsigned attempt;        /* 1 for the first attempt */
    int trial;               /* a half-open circuit breaker's trial call */
    nng_msg *req_copy;       /* async: the request, for an application fallback */
    /* The caller's list for the violations of a refusal, or NULL. */
    ferry_violations *violations;
    struct slot *next_free;
    struct slot *next_all;
    struct slot *prev_busy, *next_busy;
} slot;

struct client {
    ferry_channel base;
    nng_socket sock;
    int sock_open;
    char url[URL_MAX];
    char *client_name;
    char *client_version;
    uint32_t default_deadline_ms;
    uint32_t connect_timeout_ms;
    int validate_requests; /* run a method's validator before sending */
    size_t max_message;
    atomic_uint_fast32_t server_max; /* the server's request limit, once it told us */
    /* The server's proof_not_before_ms: request timestamps are never
     * earlier, so a client whose clock is behind a restarted server's start
     * is refused once, not on every call. */
    atomic_uint_fast64_t not_before;
    atomic_uint_fast64_t next_call_id;
    atomic_int pipes;
    atomic_int ever_connected; /* a connection has been up at least once */
    /* Balancer interface (client_ep.h): connections made so far, and
     * whether this channel is one endpoint of a balancer, which retries,
     * breaks circuits and falls back for it. */
    atomic_uint_fast64_t links;
    int endpoint;
    nng_dialer dialer;
    pthread_mutex_t dial_mu; /* one thread replaces the dialer */
    /* When the dialer started or a connection last came or went, on the real
     * clock: it is measured against nng's reconnect timers. */
    atomic_uint_fast64_t link_changed_ms;
    int wait_for_ready;
    ferryi_retry retry;
    ferryi_breakers breakers;
    ferryi_fallbacks fallbacks;
    ferryi_client_proof id; /* identity: keys, proofs, the pinned server key */
    nng_tls_config *tls;    /* a tls+tcp:// channel's, for every dialer it starts; or NULL */

    pthread_mutex_t mu;
    slot *free_slots;
    slot *all_slots;
    slot *busy; /* calls in flight, to fail them when the connection drops */
};

/* ------------------------------------------------------------------------
 * Slots
 * ---------------------------------------------------------------------- */

static void slot_cb(void *arg);
static void redial_if_stuck(client *cl);
static int tls_trouble(client *cl, char *buf, size_t len);

static slot *slot_get(client *cl)
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

static void busy_add(client *cl, slot *s)
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
static void slot_put(client *cl, slot *s)
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
static ferry_status call_finish(slot *s, ferry_status st, const ProtobufCMessage *req,
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
    if (s->retry_msg != NULL) {
        nng_msg_free(s->retry_msg);
        s->retry_msg = NULL;
    }
    if (st != FERRY_OK && st != FERRY_FALLBACK)
        ferryi_log_call(FERRYI_LOG_DEBUG, "client", s->m->full_name, s->call_id,
                        "call failed: %s: %s", ferry_status_str(st), info->message);
    slot_put(cl, s);
    return st;
}

/* An asynchronous call ends: call_finish(), then the caller's completion. */
static void complete(slot *s, ferry_status st, ProtobufCMessage *resp, ferry_call_info *info)
{
    ferry_completion done = s->done;
    st = call_finish(s, st, NULL, &resp, info);
    done.invoke(&done, st, resp, info);
}

static ferry_status say(ferry_call_info *info, ferry_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the message of a failed call into `info` and returns `st`. */
static ferry_status say(ferry_call_info *info, ferry_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->message, sizeof info->message, fmt, ap);
    va_end(ap);
    return st;
}

/* ------------------------------------------------------------------------
 * The outcomes of a call, shared by the synchronous and asynchronous paths
 * ---------------------------------------------------------------------- */

/* Takes the message off `aio`, so that nothing later frees it twice. */
static nng_msg *take_msg(nng_aio *aio)
{
    nng_msg *m = nng_aio_get_msg(aio);
    nng_aio_set_msg(aio, NULL);
    return m;
}

/* The attempt's connection dropped while it was in flight. */
static ferry_status say_lost(slot *s, ferry_call_info *info)
{
    return say(info, FERRY_UNAVAILABLE,
               "connection to %s closed while the call was in flight (the server stopped, or "
               "dropped a message over its size limit)",
               s->cl->url);
}

/* The send on `aio` failed with `rv`: frees the request, says why. */
static ferry_status send_failed(slot *s, nng_aio *aio, int rv, ferry_call_info *info)
{
    client *cl = s->cl;
    nng_msg_free(take_msg(aio));
    /* req0 completes a send only once a connection has taken the request:
     * a failed send never reached a server (client_ep.h). */
    info->not_run = 1;
    if (rv == NNG_ECANCELED && s->disconnected)
        return say(info, FERRY_UNAVAILABLE, "connection to %s lost before the request was sent",
                   cl->url);
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
        if (cl->tls != NULL && tls_trouble(cl, why, sizeof why))
            return say(info, FERRY_UNAVAILABLE, "no connection to %s %s: %s", cl->url, within, why);
        return say(info, FERRY_UNAVAILABLE, "no connection to %s %s", cl->url, within);
    }
    if (rv == NNG_ETIMEDOUT)
        return say(info, FERRY_DEADLINE_EXCEEDED, "request to %s not sent within %u ms", cl->url,
                   s->deadline_ms);
    return say(info, FERRY_UNAVAILABLE, "sending to %s failed: %s", cl->url, nng_strerror(rv));
}

/* The receive failed with `rv`: says why. */
static ferry_status recv_failed(slot *s, int rv, ferry_call_info *info)
{
    client *cl = s->cl;
    if (rv == NNG_ETIMEDOUT)
        return say(info, FERRY_DEADLINE_EXCEEDED, "no reply from %s within %u ms", cl->url,
                   s->deadline_ms);
    if (s->disconnected || rv == NNG_ECONNRESET)
        return say_lost(s, info);
    if (rv == NNG_ECLOSED)
        return say(info, FERRY_UNAVAILABLE, "channel to %s closed", cl->url);
    return say(info, FERRY_UNAVAILABLE, "receiving from %s failed: %s", cl->url, nng_strerror(rv));
}

/* The time left for the reply, as an nng timeout. */
static nng_duration recv_timeout(const slot *s)
{
    uint64_t now = ferryi_now_ms();
    return now >= s->deadline_at ? 1 : (nng_duration)(s->deadline_at - now);
}

/* Proves request header `h` over `body` with the channel's key, a fresh
 * nonce (kept in `att`) and the current time, or the server's start when
 * that is later; `idb` and `proof` hold what h->identity then points to.
 * Returns the timestamp proved. */
static uint64_t prove_request(client *cl, Ferry__Wire__RequestHeader *h, Ferry__Wire__Identity *idb,
                              uint8_t proof[FERRYI_SIG_BYTES], const uint8_t *body, size_t body_len,
                              ferryi_attempt_proof *att)
{
    uint64_t ts = ferryi_wall_ms();
    uint64_t not_before = atomic_load(&cl->not_before);
    if (ts < not_before)
        ts = not_before;
    ferryi_client_prove(&cl->id, h, idb, proof, body, body_len, ts, att);
    return ts;
}

/* The server refused the attempt's proof as older than its start,
 * `not_before`: remembers the start for the channel's later proofs and, when
 * proving again can help, marks the attempt for it (see attempt_next). */
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
static ferry_status decode_reply(slot *s, nng_msg *msg, ProtobufCMessage **resp,
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
    Ferry__Wire__ReplyHeader *h = ferryi_reply_header_unpack(NULL, f.header_len, f.header);
    if (h == NULL) {
        nng_msg_free(msg);
        return say(info, FERRY_PROTOCOL_ERROR,
                   "reply header from %s is not a valid ferry.wire.ReplyHeader", cl->url);
    }
    int proved = ferryi_client_reply_proved(&cl->id, h, &s->proved, f.body, f.body_len);
    if (!proved) {
        st = say(info, FERRY_UNAUTHENTICATED,
                 "reply from %s carries no valid proof from the server's key %s (status %u: %s)",
                 cl->url, cl->id.server_key->name, h->status, h->message);
    } else if (h->call_id == 0 && h->status != FERRY_OK && h->status < FERRY_FALLBACK) {
        /* The server could not read our request far enough to learn its id. */
        st = say(info, (ferry_status)h->status, "%s refused the request: %s", cl->url, h->message);
    } else if (h->call_id != s->call_id) {
        st = say(info, FERRY_PROTOCOL_ERROR, "reply from %s is for call %llu, not %llu", cl->url,
                 (unsigned long long)h->call_id, (unsigned long long)s->call_id);
    } else if (h->status >= FERRY_FALLBACK) {
        st = say(info, FERRY_PROTOCOL_ERROR,
                 "reply from %s carries status %u, which only a client may give", cl->url,
                 h->status);
    } else if (h->status == FERRY_UNIMPLEMENTED && h->api_max != 0 && m->opts.since > h->api_max) {
        /* The server lacks a method of a later API version than it serves. */
        st = say(info, FERRY_UNIMPLEMENTED, "%s (%s came in API version %u)", h->message, m->name,
                 m->opts.since);
    } else if (h->status != FERRY_OK) {
        st = say(info, (ferry_status)h->status, "%s", h->message);
        if (h->status == FERRY_INVALID_ARGUMENT && s->violations != NULL)
            ferryi_violations_from_wire(h, s->violations);
        if (h->status == FERRY_UNAUTHENTICATED && h->proof_not_before_ms != 0)
            learn_not_before(s, h->proof_not_before_ms);
        if (proved == FERRYI_REPLY_PROVE_AGAIN)
            s->reprove = 1; /* refused before it could run: proved again with mac */
    } else {
        *resp = protobuf_c_message_unpack(m->output, NULL, f.body_len, f.body);
        if (*resp == NULL)
            st = say(info, FERRY_PROTOCOL_ERROR, "reply body from %s (%zu bytes) is not a valid %s",
                     cl->url, f.body_len, m->output->name);
    }
    /* On a channel that pins its server's key, a reply without the server's
     * proof is a stranger's: it fails its call and leaves the channel as it
     * was, or any peer could shrink the request limit every later call is
     * held to. */
    if (proved && h->call_id == s->call_id) {
        /* What a balancer acts on (client_ep.h): a draining server, and a
         * refusal that ran nothing. */
        info->server_draining = h->draining;
        /* The reply proof does not cover not_run (docs/wire.md): on a
         * channel that pins its server's key, someone on the path could set
         * it on a failure a handler returned and have a non-idempotent call
         * run again on another server. Such a channel trusts only what it
         * knows itself: a request no connection took. */
        info->not_run = st != FERRY_OK && h->not_run && cl->id.server_key == NULL;
        if (h->max_request != 0)
            atomic_store(&cl->server_max, h->max_request);
        info->server_api_min = h->api_min;
        info->server_api_max = h->api_max;
    }
    ferry__wire__reply_header__free_unpacked(h, NULL);
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

/* Sets up attempt `s->attempt` to send `msg`: keeps a copy when a retry or
 * a new proof may follow, picks how long the request may wait for a
 * connection, and returns whether a connection is known to be down (fail
 * fast). */
static int attempt_begin(slot *s, nng_msg *msg)
{
    client *cl = s->cl;
    int may_retry = s->m->opts.idempotent && s->attempt < cl->retry.policy.max_attempts;
    int may_reprove = cl->id.key != NULL && !s->reproved;
    if (s->retry_msg == NULL && (may_retry || may_reprove) && nng_msg_dup(&s->retry_msg, msg) != 0)
        s->retry_msg = NULL; /* out of memory: this attempt is the last */
    redial_if_stuck(cl);
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
         * what is left of it. */
        if (s->connect_until == 0) {
            s->connect_until = now + cl->connect_timeout_ms;
            s->connect_waited = cl->connect_timeout_ms < left ? cl->connect_timeout_ms : 0;
        }
        uint64_t rest = s->connect_until > now ? s->connect_until - now : 1;
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
static int start_io(slot *s, nng_aio *aio, slot_phase ph)
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

static ferry_status say_down(slot *s, ferry_call_info *info)
{
    info->not_run = 1; /* not sent: client_ep.h */
    return say(info, FERRY_UNAVAILABLE, "connection to %s is down; reconnecting in the background",
               s->cl->url);
}

/* Takes the request of the next attempt, with its deadline_ms set to the
 * time the call has left now, so the server does not plan with time the
 * earlier attempts used up. */
static nng_msg *take_retry_msg(slot *s)
{
    nng_msg *old = s->retry_msg;
    s->retry_msg = NULL;
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    Ferry__Wire__RequestHeader *h = NULL;
    if (ferryi_frame_split(nng_msg_body(old), nng_msg_len(old), FERRYI_KIND_REQUEST, &f, why,
                           sizeof why) != FERRY_OK ||
        ferryi_request_header_decode(&f, NULL, &h, why, sizeof why) != FERRY_OK)
        return old; /* our own frame: cannot happen */
    uint64_t now = ferryi_now_ms();
    h->deadline_ms = now >= s->deadline_at ? 1 : (uint32_t)(s->deadline_at - now);
    /* A new attempt is a new request: a fresh nonce, time and proof. */
    Ferry__Wire__Identity *was = h->identity, idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    if (s->cl->id.key != NULL)
        s->proof_ts = prove_request(s->cl, h, &idb, proof, f.body, f.body_len, &s->proved);
    size_t size =
        FERRYI_FRAME_PREFIX + ferry__wire__request_header__get_packed_size(h) + f.body_len;
    nng_msg *m = NULL;
    if (nng_msg_alloc(&m, size) == 0) {
        ferryi_frame_write_raw(nng_msg_body(m), FERRYI_KIND_REQUEST, &h->base, f.body, f.body_len);
        nng_msg_free(old);
        old = m;
    }
    h->identity = was;
    ferry__wire__request_header__free_unpacked(h, NULL);
    return old;
}

/* What follows a failed attempt. */
typedef enum next_step {
    STEP_DONE,    /* the call ends with the attempt's status */
    STEP_REPROVE, /* send again at once, proved afresh */
    STEP_RETRY,   /* send again after the back-off */
} next_step;

/* The one place a failed attempt of either kind of call is judged. Proved
 * again at once, once per call, when the server refused the attempt's proof
 * as older than its start, or refused a scheme 3 proof without checking it
 * (identity/client_proof.h): whatever the method, since the server did not
 * run it, and outside the retry policy and its budget. Else retried after *wait
 * when the retry policy says so, unless the call's connect wait is spent.
 * Else done. */
static next_step attempt_next(slot *s, ferry_status st, const ferry_call_info *info, uint32_t *wait)
{
    *wait = 0;
    if (s->reprove && !s->reproved && s->retry_msg != NULL) {
        s->reprove = 0;
        s->reproved = 1;
        return STEP_REPROVE;
    }
    if (s->retry_msg == NULL || s->connect_spent ||
        !ferryi_retry_next(&s->cl->retry, s->m, st, s->attempt, s->deadline_at, wait))
        return STEP_DONE;
    ferryi_log_call(FERRYI_LOG_DEBUG, "client", s->m->full_name, s->call_id,
                    "attempt %u: %s; retrying in %u ms", s->attempt, info->message, *wait);
    return STEP_RETRY;
}

/* ------------------------------------------------------------------------
 * The asynchronous path: driven by the slot's aio callback
 * ---------------------------------------------------------------------- */

/* Starts attempt `s->attempt` of an asynchronous call with `msg`. */
static void launch(slot *s, nng_msg *msg)
{
    if (attempt_begin(s, msg)) {
        /* Fail fast, but through the callback like any other outcome. */
        nng_msg_free(msg);
        s->ph = SLOT_DOWN;
        nng_sleep_aio(0, s->aio);
        return;
    }
    nng_aio_set_timeout(s->aio, (nng_duration)s->send_wait_ms);
    nng_aio_set_msg(s->aio, msg);
    if (!start_io(s, s->aio, SLOT_SEND)) {
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
    switch (attempt_next(s, st, info, &wait)) {
    case STEP_REPROVE:
        s->attempt++;
        return launch(s, take_retry_msg(s));
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
            return attempt_failed(s, send_failed(s, s->aio, rv, &info), &info);
        nng_aio_set_timeout(s->aio, recv_timeout(s));
        if (!start_io(s, s->aio, SLOT_RECV))
            return attempt_failed(s, say_lost(s, &info), &info);
        return;
    case SLOT_RECV:
        st = rv != 0 ? recv_failed(s, rv, &info) : decode_reply(s, take_msg(s->aio), &resp, &info);
        if (st == FERRY_OK)
            return complete(s, st, resp, &info);
        return attempt_failed(s, st, &info);
    case SLOT_DOWN:
        return attempt_failed(s, say_down(s, &info), &info);
    case SLOT_BACKOFF:
        if (rv != 0) /* the channel is closing */
            return complete(s, say(&info, FERRY_UNAVAILABLE, "channel to %s closed", s->cl->url),
                            NULL, &info);
        s->attempt++;
        return launch(s, take_retry_msg(s));
    }
}

/* Starts a dialer for the channel's address; it connects in the background
 * and reconnects whenever the connection drops. */
static int dial(client *cl, nng_dialer *out)
{
    nng_dialer d;
    int rv = nng_dialer_create(&d, cl->sock, cl->url);
    if (rv != 0)
        return rv;
    if (cl->tls != NULL)
        rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cl->tls);
    if (rv == 0)
        rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
    if (rv != 0) {
        nng_dialer_close(d);
        return rv;
    }
    atomic_store(&cl->link_changed_ms, ferryi_real_ms());
    *out = d;
    return 0;
}

/* Whether TLS handshakes of the current dialer failed; writes what that
 * means into `buf`. */
static int tls_trouble(client *cl, char *buf, size_t len)
{
    pthread_mutex_lock(&cl->dial_mu);
    nng_dialer d = cl->dialer;
    pthread_mutex_unlock(&cl->dial_mu);
    return ferryi_tls_dial_trouble(d, buf, len);
}

/* nng 1.5's dialer stops for good when a connection attempt ends with
 * NNG_ECLOSED, which it does when the server drops a connection it had not
 * finished accepting (a server that is stopping or has just died): the
 * channel would then never connect again. So a channel that has had no
 * connection for REDIAL_AFTER_MS since its dialer started or a connection
 * last came or went replaces the dialer. A healthy dialer retries at least
 * every RECONNECT_MAX_MS, so a replacement costs at most one attempt. */
static void redial_if_stuck(client *cl)
{
    if (atomic_load(&cl->pipes) > 0 ||
        ferryi_real_ms() - atomic_load(&cl->link_changed_ms) < REDIAL_AFTER_MS)
        return;
    pthread_mutex_lock(&cl->dial_mu);
    if (atomic_load(&cl->pipes) == 0 &&
        ferryi_real_ms() - atomic_load(&cl->link_changed_ms) >= REDIAL_AFTER_MS) {
        nng_dialer old = cl->dialer;
        int rv = dial(cl, &cl->dialer);
        if (rv == 0) {
            nng_dialer_close(old);
            ferryi_log(FERRYI_LOG_DEBUG, "client", "no connection to %s for %u ms; dialing anew",
                       cl->url, REDIAL_AFTER_MS);
        } else {
            atomic_store(&cl->link_changed_ms, ferryi_real_ms());
            ferryi_log(FERRYI_LOG_WARN, "client", "cannot dial %s again: %s", cl->url,
                       nng_strerror(rv));
        }
    }
    pthread_mutex_unlock(&cl->dial_mu);
}

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    client *cl = arg;
    (void)p;
    atomic_store(&cl->link_changed_ms, ferryi_real_ms());
    if (ev == NNG_PIPE_EV_ADD_POST) {
        atomic_fetch_add(&cl->links, 1);
        atomic_fetch_add(&cl->pipes, 1);
        atomic_store(&cl->ever_connected, 1);
        ferryi_log(FERRYI_LOG_DEBUG, "client", "connected to %s", cl->url);
        return;
    }
    /* Only pipes that were added are counted down. */
    int n = atomic_load(&cl->pipes);
    while (n > 0 && !atomic_compare_exchange_weak(&cl->pipes, &n, n - 1))
        ;
    if (n != 1)
        return;
    ferryi_log(FERRYI_LOG_INFO, "client", "connection to %s lost", cl->url);
    /* Fail the calls awaiting replies now rather than resend them blindly.
     * Cancellation completes their aios on other threads, not in this one. */
    pthread_mutex_lock(&cl->mu);
    for (slot *s = cl->busy; s != NULL; s = s->next_busy) {
        /* A request still waiting for a connection fails too, unless the
         * channel waits for ready: nng would otherwise hold it until its
         * deadline, or resend it to whatever comes up next. */
        nng_aio *a = atomic_load(&s->active);
        int ph = atomic_load(&s->ph);
        if (a != NULL && (ph == SLOT_RECV || (ph == SLOT_SEND && !cl->wait_for_ready))) {
            atomic_store(&s->disconnected, 1);
            nng_aio_cancel(a);
        }
    }
    pthread_mutex_unlock(&cl->mu);
}

/* ------------------------------------------------------------------------
 * Starting a call
 * ---------------------------------------------------------------------- */

/* Everything before the send: picks the deadline, builds and checks the
 * request frame, borrows a slot. On FERRY_OK *out holds the slot (on the busy
 * list, phase SEND) and *msg the request; nothing has been sent. */
static ferry_status prepare_call(client *cl, const ferry_method *m, const ProtobufCMessage *req,
                                 const ferry_call_opts *opts, ferry_call_info *info, slot **out,
                                 nng_msg **out_msg)
{
    uint32_t deadline = 0;
    if (ferryi_call_deadline(m, opts, cl->default_deadline_ms, &deadline) != FERRY_OK)
        return say(info, FERRY_DEADLINE_EXCEEDED,
                   "the calling handler's deadline has passed; %s was not sent", m->full_name);
    ferry_violations *violations = opts != NULL ? opts->violations : NULL;
    if (violations != NULL)
        violations->count = violations->total = 0;
    if (cl->validate_requests && m->validate != NULL) {
        /* The server would refuse it: spare the round trip. */
        ferry_violations found;
        if (ferry_validate(m, req, violations != NULL ? violations : &found) != FERRY_OK) {
            char list[FERRY_MESSAGE_MAX];
            ferry_violations_format(violations != NULL ? violations : &found, list, sizeof list);
            return say(info, FERRY_INVALID_ARGUMENT, "invalid %s (not sent): %s", m->input->name,
                       list);
        }
    }
    if (ferryi_opts_check_metadata(opts, info->message, sizeof info->message) != FERRY_OK)
        return FERRY_INVALID_ARGUMENT;
    size_t n_md = opts != NULL ? opts->n_metadata : 0;
    Ferry__Wire__Metadata md[FERRYI_METADATA_MAX];
    Ferry__Wire__Metadata *mdp[FERRYI_METADATA_MAX];
    for (size_t i = 0; i < n_md; i++) {
        const ferry_metadata *e = &opts->metadata[i];
        ferry__wire__metadata__init(&md[i]);
        md[i].key = (char *)e->key;
        md[i].value.data = (uint8_t *)e->value;
        md[i].value.len = e->len;
        mdp[i] = &md[i];
    }

    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = (char *)m->full_name;
    h.api_version = m->service != NULL ? m->service->api_version : 0;
    h.client_name = cl->client_name;
    h.client_version = cl->client_version;
    h.call_id = atomic_fetch_add(&cl->next_call_id, 1);
    h.deadline_ms = deadline;
    h.n_metadata = n_md;
    h.metadata = n_md > 0 ? mdp : NULL;
    h.method_id = m->opts.id;
    h.max_reply = cl->max_message > UINT32_MAX ? UINT32_MAX : (uint32_t)cl->max_message;

    if (protobuf_c_message_get_packed_size(&h.base) > FERRYI_HEADER_MAX) {
        snprintf(info->message, sizeof info->message,
                 "the request header of %s (its metadata) exceeds %d bytes", m->full_name,
                 FERRYI_HEADER_MAX);
        return FERRY_INVALID_ARGUMENT;
    }
    /* With identity, the body is packed first: its hash is proved. */
    uint8_t *body = NULL;
    size_t body_len = 0;
    Ferry__Wire__Identity idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    ferryi_attempt_proof att;
    uint64_t proof_ts = 0;
    if (cl->id.key != NULL) {
        body_len = protobuf_c_message_get_packed_size(req);
        body = malloc(body_len ? body_len : 1);
        if (body == NULL) {
            snprintf(info->message, sizeof info->message, "out of memory for a %zu-byte request",
                     body_len);
            return FERRY_RESOURCE_EXHAUSTED;
        }
        protobuf_c_message_pack(req, body);
        proof_ts = prove_request(cl, &h, &idb, proof, body, body_len, &att);
    }
    size_t size = body != NULL
                      ? FERRYI_FRAME_PREFIX + protobuf_c_message_get_packed_size(&h.base) + body_len
                      : ferryi_frame_size(&h.base, req, NULL);
    size_t limit = cl->max_message;
    uint32_t server_max = (uint32_t)atomic_load(&cl->server_max);
    const char *whose = "this client's";
    if (server_max != 0 && server_max < limit) {
        limit = server_max;
        whose = "the server's";
    }
    if (size == 0 || size > limit) {
        snprintf(info->message, sizeof info->message,
                 "request of %zu bytes to %s exceeds %s limit of %zu bytes", size, m->full_name,
                 whose, limit);
        free(body);
        return FERRY_RESOURCE_EXHAUSTED;
    }

    /* Once sent, req0 gives each connection it picks its own reference to
     * this message. nng 1.5.2 loses that reference when the connection is
     * closing at that moment (req0_pipe_close stops the connection's send
     * aio before taking it off the ready list; the transport then refuses
     * the send without freeing it; fixed upstream in nng 1.6.0). So a leak of
     * this message reported after a server went away can be nng's, not a
     * path of ours. */
    nng_msg *msg = NULL;
    if (nng_msg_alloc(&msg, size) != 0) {
        snprintf(info->message, sizeof info->message, "out of memory for a %zu-byte request", size);
        free(body);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    if (body != NULL)
        ferryi_frame_write_raw(nng_msg_body(msg), FERRYI_KIND_REQUEST, &h.base, body, body_len);
    else
        ferryi_frame_write(nng_msg_body(msg), size, FERRYI_KIND_REQUEST, &h.base, req);
    free(body);

    slot *s = slot_get(cl);
    if (s == NULL) {
        nng_msg_free(msg);
        snprintf(info->message, sizeof info->message, "out of memory or nng contexts");
        return FERRY_RESOURCE_EXHAUSTED;
    }
    s->m = m;
    s->call_id = h.call_id;
    s->violations = violations;
    if (cl->id.key != NULL)
        s->proved = att;
    s->proof_ts = proof_ts;
    s->reprove = s->reproved = 0;
    s->connect_until = 0;
    s->connect_waited = 0;
    s->connect_spent = 0;
    s->deadline_ms = deadline;
    s->deadline_at = ferryi_now_ms() + deadline;
    s->disconnected = 0;
    s->ph = SLOT_SEND;
    s->attempt = 1;
    s->retry_msg = NULL;
    ferryi_retry_on_call(&cl->retry);
    *out = s;
    *out_msg = msg;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------
 * The channel vtable
 * ---------------------------------------------------------------------- */

static ferry_status client_call_async(ferry_channel *ch, const ferry_method *m,
                                      const ProtobufCMessage *req, const ferry_call_opts *opts,
                                      const ferry_completion *done)
{
    client *cl = (client *)ch;
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    slot *s = NULL;
    nng_msg *msg = NULL;
    int trial = 0;
    ferry_status st = FERRY_UNAVAILABLE;
    if (ferryi_breaker_admit(&cl->breakers, m, &trial, info.message, sizeof info.message)) {
        st = prepare_call(cl, m, req, opts, &info, &s, &msg);
        if (st == FERRY_OK)
            s->trial = trial;
        else
            ferryi_breaker_release(&cl->breakers, m, trial); /* never sent */
    }
    if (st == FERRY_UNAVAILABLE && s == NULL) {
        /* The breaker turned it away: a fallback, if any, completes it now. */
        ProtobufCMessage *resp = NULL;
        st = ferryi_fallback_apply(&cl->fallbacks, m, req, st, &resp, &info);
        if (st == FERRY_FALLBACK) {
            info.status = st;
            done->invoke(done, st, resp, &info);
            return FERRY_OK;
        }
    }
    if (st != FERRY_OK) {
        if (opts != NULL && opts->info != NULL) {
            info.status = st;
            *opts->info = info;
        }
        return st;
    }
    s->done = *done;
    s->req_copy = NULL;
    if (ferryi_fallback_wants_request(&cl->fallbacks, m) && nng_msg_dup(&s->req_copy, msg) != 0)
        s->req_copy = NULL; /* out of memory: the fallback gets no request */
    atomic_store(&s->active, s->aio);
    busy_add(cl, s);
    launch(s, msg);
    return FERRY_OK;
}

/* One attempt of a synchronous call on `aio`, in the caller's thread. */
static ferry_status sync_attempt(slot *s, nng_aio *aio, nng_msg *msg, ProtobufCMessage **resp,
                                 ferry_call_info *info)
{
    if (attempt_begin(s, msg)) {
        nng_msg_free(msg);
        return say_down(s, info);
    }
    nng_aio_set_timeout(aio, (nng_duration)s->send_wait_ms);
    nng_aio_set_msg(aio, msg);
    if (!start_io(s, aio, SLOT_SEND)) {
        nng_aio_set_msg(aio, NULL);
        nng_msg_free(msg);
        return say_down(s, info);
    }
    nng_aio_wait(aio);
    int rv = nng_aio_result(aio);
    if (rv != 0)
        return send_failed(s, aio, rv, info);
    nng_aio_set_timeout(aio, recv_timeout(s));
    if (!start_io(s, aio, SLOT_RECV))
        return say_lost(s, info);
    nng_aio_wait(aio);
    rv = nng_aio_result(aio);
    return rv != 0 ? recv_failed(s, rv, info) : decode_reply(s, take_msg(aio), resp, info);
}

/* A synchronous call runs in the caller's thread on an aio without a
 * callback: nng wakes the caller directly, one thread switch less per call
 * than waiting for a completion. */
static ferry_status client_call(ferry_channel *ch, const ferry_method *m,
                                const ProtobufCMessage *req, ProtobufCMessage **resp,
                                const ferry_call_opts *opts)
{
    client *cl = (client *)ch;
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    slot *s = NULL;
    nng_msg *msg = NULL;
    int trial = 0;
    if (!ferryi_breaker_admit(&cl->breakers, m, &trial, info.message, sizeof info.message)) {
        info.status = ferryi_fallback_apply(&cl->fallbacks, m, req, FERRY_UNAVAILABLE, resp, &info);
        if (opts != NULL && opts->info != NULL)
            *opts->info = info;
        return info.status;
    }
    ferry_status st = prepare_call(cl, m, req, opts, &info, &s, &msg);
    if (st == FERRY_OK && s->sync_aio == NULL && nng_aio_alloc(&s->sync_aio, NULL, NULL) != 0) {
        nng_msg_free(msg);
        slot_put(cl, s);
        st = say(&info, FERRY_RESOURCE_EXHAUSTED, "out of memory for an nng aio");
    }
    if (st != FERRY_OK) { /* never sent: the breaker learns nothing of the service */
        ferryi_breaker_release(&cl->breakers, m, trial);
        info.status = st;
        if (opts != NULL && opts->info != NULL)
            *opts->info = info;
        return st;
    }
    /* The same steps as an asynchronous call (attempt_next(), call_finish()),
     * each attempt waited on in the caller's thread rather than in a
     * callback, so nothing wakes another thread. */
    s->trial = trial;
    nng_aio *aio = s->sync_aio;
    atomic_store(&s->active, aio);
    busy_add(cl, s);
    for (;;) {
        st = sync_attempt(s, aio, msg, resp, &info);
        uint32_t wait = 0;
        next_step next = st == FERRY_OK ? STEP_DONE : attempt_next(s, st, &info, &wait);
        if (next == STEP_DONE)
            break;
        if (next == STEP_RETRY)
            ferryi_sleep_ms(wait);
        s->attempt++;
        msg = take_retry_msg(s);
        memset(&info, 0, sizeof info);
    }
    st = call_finish(s, st, req, resp, &info);
    if (opts != NULL && opts->info != NULL)
        *opts->info = info;
    return st;
}

static void client_close(ferry_channel *ch)
{
    client *cl = (client *)ch;
    if (cl->sock_open)
        nng_close(cl->sock); /* fails every call still in flight */
    slot *s = cl->all_slots;
    while (s != NULL) {
        slot *next = s->next_all;
        /* Waits for its callback. A callback that ran into the stop (a
         * retry's backoff ending just then) may have left its request on
         * the aio, where nng does not free it. */
        nng_aio_stop(s->aio);
        ferryi_sleep_aio_forget(s->aio);
        nng_msg *left = take_msg(s->aio);
        if (left != NULL)
            nng_msg_free(left);
        if (s->retry_msg != NULL)
            nng_msg_free(s->retry_msg);
        if (s->req_copy != NULL)
            nng_msg_free(s->req_copy);
        nng_aio_free(s->aio);
        if (s->sync_aio != NULL)
            nng_aio_free(s->sync_aio);
        free(s);
        s = next;
    }
    pthread_mutex_destroy(&cl->mu);
    pthread_mutex_destroy(&cl->dial_mu);
    if (cl->tls != NULL)
        nng_tls_config_free(cl->tls);
    ferryi_retry_fini(&cl->retry);
    ferryi_breakers_fini(&cl->breakers);
    ferryi_fallbacks_fini(&cl->fallbacks);
    free(cl->client_name);
    free(cl->client_version);
    ferryi_client_proof_close(&cl->id);
    free(cl);
}

static const ferry_channel_ops client_ops = {
    .call = client_call,
    .call_async = client_call_async,
    .close = client_close,
};

/* Takes the TLS options for `url`: a configuration for a tls+tcp:// URL,
 * and a refusal of TLS options with any other URL, which would otherwise
 * go out in the clear. */
static ferry_status open_tls(client *cl, const char *url, const ferry_tls_opts *tls)
{
    if (!ferryi_tls_url(url)) {
        if (!ferry_tls_is_set(tls))
            return FERRY_OK;
        return ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                                "cannot dial %s: TLS options are set but the URL is not tls+tcp://",
                                url);
    }
    ferry_status st = ferryi_tls_config(&cl->tls, tls, FERRY_TLS_CLIENT, url);
    if (st != FERRY_OK)
        ferryi_error_log(FERRYI_LOG_ERROR, "client", st, "cannot dial %s: %s", url,
                         ferry_last_error());
    return st;
}

ferry_status ferryi_client_open_one(ferry_channel **out, const char *url,
                                    const ferry_client_opts *opts)
{
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_open: no out pointer");
    *out = NULL;
    if (url == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_open: no URL given");
    if (strlen(url) >= URL_MAX)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "url %.64s...: longer than %d bytes", url,
                            URL_MAX - 1);
    ferry_client_opts o = opts != NULL ? *opts : (ferry_client_opts){0};

    client *cl = calloc(1, sizeof *cl);
    if (cl == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", url);
    cl->base.ops = &client_ops;
    pthread_mutex_init(&cl->mu, NULL);
    pthread_mutex_init(&cl->dial_mu, NULL);
    snprintf(cl->url, sizeof cl->url, "%s", url);
    cl->client_name = strdup(o.client_name != NULL ? o.client_name : "ferry-client");
    cl->client_version = strdup(o.client_version != NULL ? o.client_version : FERRY_VERSION_STRING);
    cl->default_deadline_ms =
        o.default_deadline_ms ? o.default_deadline_ms : FERRY_DEFAULT_DEADLINE_MS;
    cl->connect_timeout_ms =
        o.connect_timeout_ms ? o.connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    cl->max_message = o.max_message ? o.max_message : FERRY_DEFAULT_MAX_MESSAGE;
    cl->wait_for_ready = o.wait_for_ready;
    cl->validate_requests = o.validate_requests;
    ferryi_retry_init(&cl->retry, &o.retry);
    ferryi_breakers_init(&cl->breakers, &o.breaker);
    ferryi_fallbacks_init(&cl->fallbacks);
    /* Call ids start at a random point so two runs of a client differ. */
    uint64_t seed = ferryi_clock_noise() ^ ((uint64_t)(uintptr_t)cl << 16);
    atomic_store(&cl->next_call_id, (seed & 0xffffffffffffull) + 1);

    ferry_status st = FERRY_RESOURCE_EXHAUSTED;
    if (cl->client_name == NULL || cl->client_version == NULL)
        goto fail;
    st = ferryi_client_proof_open(&cl->id, &o.identity);
    if (st != FERRY_OK)
        goto fail;
    st = FERRY_RESOURCE_EXHAUSTED;
    if (nng_req0_open(&cl->sock) != 0)
        goto fail;
    cl->sock_open = 1;
    if (nng_socket_set_ms(cl->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
        nng_socket_set_size(cl->sock, NNG_OPT_RECVMAXSZ,
                            cl->max_message + FERRYI_NNG_HEADER_ROOM) != 0 ||
        nng_socket_set_ms(cl->sock, NNG_OPT_RECONNMINT, RECONNECT_MIN_MS) != 0 ||
        nng_socket_set_ms(cl->sock, NNG_OPT_RECONNMAXT, RECONNECT_MAX_MS) != 0 ||
        nng_pipe_notify(cl->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, cl) != 0 ||
        nng_pipe_notify(cl->sock, NNG_PIPE_EV_REM_POST, pipe_cb, cl) != 0)
        goto fail;
    st = open_tls(cl, url, &o.tls);
    if (st != FERRY_OK)
        goto fail;
    int rv = dial(cl, &cl->dialer);
    if (rv != 0) {
        st = ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                              "cannot dial %s: %s", url, nng_strerror(rv));
        goto fail;
    }
    *out = &cl->base;
    return FERRY_OK;
fail:
    client_close(&cl->base);
    return ferryi_error_ensure(st, url);
}

ferry_status ferry_client_breaker(ferry_channel *ch, const ferry_method *m,
                                  ferry_breaker_stats *out)
{
    ferryi_error_clear();
    if (ch == NULL || ch->ops != &client_ops || m == NULL || out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_breaker: %s",
                            ch == NULL || ch->ops != &client_ops ? "not a remote channel of one "
                                                                   "server"
                                                                 : "no method or no out pointer");
    ferryi_breaker_stats(&((client *)ch)->breakers, m, out);
    return FERRY_OK;
}

ferry_status ferryi_client_set_fallback_one(ferry_channel *ch, const ferry_method *m,
                                            ferry_fallback_fn fn, void *arg)
{
    if (ch == NULL || ch->ops != &client_ops || m == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_set_fallback: %s",
                            m == NULL ? "no method given" : "not a remote channel");
    return ferryi_fallback_set(&((client *)ch)->fallbacks, m, fn, arg);
}

/* ------------------------------------------------------------------------
 * One endpoint of a balancer (client_ep.h)
 * ---------------------------------------------------------------------- */

ferry_status ferryi_client_open_endpoint(ferry_channel **out, const char *url,
                                         const ferry_client_opts *opts)
{
    ferry_client_opts o = opts != NULL ? *opts : (ferry_client_opts){0};
    /* The balancer retries on other endpoints and ejects failing ones. */
    o.retry.max_attempts = 1;
    o.breaker.disabled = 1;
    ferry_status st = ferryi_client_open_one(out, url, &o);
    if (st == FERRY_OK)
        ((client *)*out)->endpoint = 1;
    return st;
}

void ferryi_client_link(ferry_channel *ch, int *up, uint64_t *links)
{
    client *cl = (client *)ch;
    *up = atomic_load(&cl->pipes) > 0;
    *links = atomic_load(&cl->links);
}
