/* conns.c - a server's connections: fair shares, reply queues, and the
 * connections that stop reading their replies (conns.h says why).
 *
 * One mutex guards everything here; every nng_ctx_send() is made under it,
 * so once ferryi_conns_close() has run no send can race the socket's close.
 */
#include "server/conns.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/log.h"

/* Spare nng contexts kept for reuse; more are closed. */
#define SPARE_CTX_MAX 1024u

/* A request waiting for its turn, or a reply waiting to be sent, with the
 * context it arrived on. */
typedef struct pending {
    struct pending *next;
    nng_ctx ctx;
    nng_msg *msg;
    uint64_t arrived_us; /* ferry µs: a waiting request's deadline and figures run from here */
} pending;

typedef struct fifo {
    pending *head, *tail;
    unsigned n;
    size_t bytes;
} fifo;

struct ferryi_conn {
    ferryi_conns *cs;
    uint32_t id;              /* the pipe's id */
    struct ferryi_conn *next; /* in its hash bucket */
    nng_aio *aio;             /* the sender */
    pending *sending;         /* the reply being sent, or NULL */
    fifo waiting;             /* requests over the running share */
    fifo replies;             /* replies after the one being sent */
    unsigned running;         /* calls handed to the server and not ended */
    int muted;
    int gone; /* the pipe was removed; freed once nothing refers to it */
};

struct ferryi_conns {
    nng_socket sock;
    ferryi_conns_opts o;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* owed or n_sending dropped to 0 */
    ferryi_conn **buckets;
    unsigned n_buckets; /* a power of two */
    unsigned n_conns;
    nng_ctx *spare;
    unsigned n_spare, cap_spare;
    pending *spare_pending;
    unsigned owed;      /* calls running, waiting, queued or being sent */
    unsigned n_sending; /* senders with an nng send outstanding */
    int closed;
    ferryi_conns_counters n;
};

static void sent_cb(void *arg);

/* ------------------------------------------------------------------------
 * Spare contexts and queue entries (under cs->mu)
 * ---------------------------------------------------------------------- */

static int ctx_get(ferryi_conns *cs, nng_ctx *out)
{
    if (cs->n_spare > 0) {
        *out = cs->spare[--cs->n_spare];
        return 0;
    }
    return nng_ctx_open(out, cs->sock);
}

static void ctx_put(ferryi_conns *cs, nng_ctx ctx)
{
    if (cs->n_spare == cs->cap_spare && cs->cap_spare < SPARE_CTX_MAX) {
        unsigned cap = cs->cap_spare == 0 ? 64 : cs->cap_spare * 2;
        nng_ctx *s = realloc(cs->spare, cap * sizeof *s);
        if (s != NULL) {
            cs->spare = s;
            cs->cap_spare = cap;
        }
    }
    if (cs->n_spare < cs->cap_spare)
        cs->spare[cs->n_spare++] = ctx;
    else
        nng_ctx_close(ctx);
}

static pending *pending_get(ferryi_conns *cs)
{
    pending *p = cs->spare_pending;
    if (p != NULL) {
        cs->spare_pending = p->next;
        return p;
    }
    return malloc(sizeof *p);
}

static void pending_put(ferryi_conns *cs, pending *p)
{
    p->next = cs->spare_pending;
    cs->spare_pending = p;
}

static void fifo_push(fifo *f, pending *p)
{
    p->next = NULL;
    if (f->tail != NULL)
        f->tail->next = p;
    else
        f->head = p;
    f->tail = p;
    f->n++;
    f->bytes += nng_msg_len(p->msg);
}

static pending *fifo_pop(fifo *f)
{
    pending *p = f->head;
    if (p == NULL)
        return NULL;
    f->head = p->next;
    if (f->head == NULL)
        f->tail = NULL;
    f->n--;
    f->bytes -= nng_msg_len(p->msg);
    return p;
}

static void owe_less(ferryi_conns *cs, unsigned n)
{
    cs->owed -= n;
    if (cs->owed == 0)
        pthread_cond_broadcast(&cs->cv);
}

/* Drops every entry of `f`: frees the messages, keeps the contexts. */
static unsigned fifo_drop(ferryi_conns *cs, fifo *f)
{
    unsigned n = 0;
    pending *p;
    while ((p = fifo_pop(f)) != NULL) {
        nng_msg_free(p->msg);
        ctx_put(cs, p->ctx);
        pending_put(cs, p);
        n++;
    }
    owe_less(cs, n);
    return n;
}

/* ------------------------------------------------------------------------
 * The connection table (under cs->mu)
 * ---------------------------------------------------------------------- */

static unsigned bucket_of(const ferryi_conns *cs, uint32_t id)
{
    return (id * 2654435761u) & (cs->n_buckets - 1);
}

static ferryi_conn *conn_find(ferryi_conns *cs, uint32_t id)
{
    for (ferryi_conn *c = cs->buckets[bucket_of(cs, id)]; c != NULL; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static void conn_link(ferryi_conns *cs, ferryi_conn *c)
{
    unsigned b = bucket_of(cs, c->id);
    c->next = cs->buckets[b];
    cs->buckets[b] = c;
    cs->n_conns++;
}

static void conn_unlink(ferryi_conns *cs, ferryi_conn *c)
{
    for (ferryi_conn **pp = &cs->buckets[bucket_of(cs, c->id)]; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            cs->n_conns--;
            return;
        }
    }
}

/* Doubles the table when it holds more connections than buckets. */
static void table_grow(ferryi_conns *cs)
{
    if (cs->n_conns < cs->n_buckets || cs->n_buckets >= (1u << 24))
        return;
    unsigned old_n = cs->n_buckets;
    ferryi_conn **old = cs->buckets;
    ferryi_conn **nb = calloc((size_t)old_n * 2, sizeof *nb);
    if (nb == NULL)
        return; /* longer chains, still correct */
    cs->buckets = nb;
    cs->n_buckets = old_n * 2;
    cs->n_conns = 0;
    for (unsigned i = 0; i < old_n; i++) {
        ferryi_conn *c = old[i];
        while (c != NULL) {
            ferryi_conn *next = c->next;
            conn_link(cs, c);
            c = next;
        }
    }
    free(old);
}

/* Frees a removed connection once no call, queue or send refers to it. */
static void conn_release(ferryi_conn *c)
{
    if (!c->gone || c->running > 0 || c->sending != NULL)
        return;
    /* nng_aio_reap: this may run inside the sender's own callback. */
    nng_aio_reap(c->aio);
    free(c);
}

/* ------------------------------------------------------------------------
 * Sending and muting (under cs->mu)
 * ---------------------------------------------------------------------- */

static void send_next(ferryi_conn *c)
{
    ferryi_conns *cs = c->cs;
    pending *p = fifo_pop(&c->replies);
    if (p == NULL)
        return;
    c->sending = p;
    cs->n_sending++;
    nng_aio_set_msg(c->aio, p->msg);
    nng_aio_set_timeout(c->aio, cs->o.send_timeout);
    nng_ctx_send(p->ctx, c->aio);
}

/* The connection is not reading its replies: drop what it has queued, and
 * from now on its requests (docs/resilience.md). */
static void mute(ferryi_conn *c, const char *why)
{
    ferryi_conns *cs = c->cs;
    if (c->muted)
        return;
    c->muted = 1;
    cs->n.mutes++;
    unsigned dropped = fifo_drop(cs, &c->waiting) + fifo_drop(cs, &c->replies);
    cs->n.dropped += dropped;
    ferryi_log(FERRYI_LOG_WARN, "server",
               "connection %u is not reading its replies (%s): dropped %u queued calls and "
               "replies; its requests are dropped until it reads again",
               (unsigned)c->id, why, dropped);
}

/* When a request of `c` waits and `c` has room to run it, hands it over:
 * the caller's context *ctx is exchanged for the one it arrived on. Unless
 * `allowed`, only when `c` has no other call running (conns.h). */
static nng_msg *hand_over(ferryi_conn *c, nng_ctx *ctx, int allowed, uint64_t *arrived_us)
{
    ferryi_conns *cs = c->cs;
    if (cs->closed || c->gone || c->muted || c->running >= cs->o.max_running ||
        (!allowed && c->running > 0))
        return NULL;
    pending *p = fifo_pop(&c->waiting);
    if (p == NULL)
        return NULL;
    c->running++; /* owed: one less waiting, one more running */
    ctx_put(cs, *ctx);
    *ctx = p->ctx;
    nng_msg *m = p->msg;
    *arrived_us = p->arrived_us;
    pending_put(cs, p);
    return m;
}

static void sent_cb(void *arg)
{
    ferryi_conn *c = arg;
    ferryi_conns *cs = c->cs;
    int rv = nng_aio_result(c->aio);
    if (rv != 0) {
        nng_msg *m = nng_aio_get_msg(c->aio);
        nng_aio_set_msg(c->aio, NULL);
        nng_msg_free(m);
    }
    pthread_mutex_lock(&cs->mu);
    pending *p = c->sending;
    c->sending = NULL;
    ctx_put(cs, p->ctx);
    pending_put(cs, p);
    if (--cs->n_sending == 0)
        pthread_cond_broadcast(&cs->cv);
    owe_less(cs, 1);
    /* nng's rep0 reports a reply to a pipe it has already let go as sent
     * (and frees it): that is no reply sent, nor a sign of a reader. */
    if (rv == 0 && !c->gone) {
        cs->n.sent++;
        if (c->muted) {
            c->muted = 0;
            ferryi_log(FERRYI_LOG_INFO, "server", "connection %u reads its replies again",
                       (unsigned)c->id);
        }
    } else if (rv == NNG_ETIMEDOUT && !cs->closed && !c->gone) {
        mute(c, "a reply was not taken in time");
    }
    if (cs->closed || c->gone)
        fifo_drop(cs, &c->replies);
    else
        send_next(c);
    conn_release(c);
    pthread_mutex_unlock(&cs->mu);
}

/* ------------------------------------------------------------------------
 * Pipes
 * ---------------------------------------------------------------------- */

static void pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
    ferryi_conns *cs = arg;
    uint32_t id = (uint32_t)nng_pipe_id(pipe);
    pthread_mutex_lock(&cs->mu);
    if (ev == NNG_PIPE_EV_ADD_PRE) {
        ferryi_conn *c = calloc(1, sizeof *c);
        if (c != NULL && nng_aio_alloc(&c->aio, sent_cb, c) != 0) {
            free(c);
            c = NULL;
        }
        if (c == NULL) {
            pthread_mutex_unlock(&cs->mu);
            /* Refusing it before it starts is safe: nothing reads it yet. */
            ferryi_log(FERRYI_LOG_ERROR, "server", "out of memory for a new connection");
            nng_pipe_close(pipe);
            return;
        }
        c->cs = cs;
        c->id = id;
        conn_link(cs, c);
        table_grow(cs);
    } else if (ev == NNG_PIPE_EV_REM_POST) {
        ferryi_conn *c = conn_find(cs, id);
        if (c != NULL) {
            conn_unlink(cs, c);
            c->gone = 1;
            fifo_drop(cs, &c->waiting);
            fifo_drop(cs, &c->replies);
            conn_release(c);
        }
    }
    pthread_mutex_unlock(&cs->mu);
}

/* ------------------------------------------------------------------------
 * The server's side
 * ---------------------------------------------------------------------- */

ferryi_conns *ferryi_conns_new(nng_socket sock, const ferryi_conns_opts *o)
{
    ferryi_conns *cs = calloc(1, sizeof *cs);
    if (cs == NULL)
        return NULL;
    cs->sock = sock;
    cs->o = *o;
    if (cs->o.max_running == 0)
        cs->o.max_running = 1;
    cs->n_buckets = 64;
    cs->buckets = calloc(cs->n_buckets, sizeof *cs->buckets);
    pthread_mutex_init(&cs->mu, NULL);
    pthread_cond_init(&cs->cv, NULL);
    if (cs->buckets == NULL || nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, pipe_cb, cs) != 0 ||
        nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, pipe_cb, cs) != 0) {
        ferryi_conns_free(cs);
        return NULL;
    }
    return cs;
}

ferryi_conn_admit ferryi_conns_admit(ferryi_conns *cs, nng_ctx *ctx, nng_msg **reqp,
                                     ferryi_conn **conn, uint64_t *arrived_us)
{
    nng_msg *req = *reqp;
    uint32_t id = (uint32_t)nng_pipe_id(nng_msg_get_pipe(req));
    ferryi_conn_admit how = FERRYI_CONN_RUN;
    *arrived_us = 0;
    pthread_mutex_lock(&cs->mu);
    ferryi_conn *c = cs->closed ? NULL : conn_find(cs, id);
    *conn = c;
    if (c == NULL) {
        /* Closing, or its pipe has gone: nobody would read the reply. Not
         * counted as dropped, which is for connections that do not read. */
        nng_msg_free(req);
        how = FERRYI_CONN_TAKEN;
    } else if (c->muted) {
        if (c->running == 0 && c->sending == NULL) {
            how = FERRYI_CONN_PROBE;
        } else {
            cs->n.dropped++;
            nng_msg_free(req);
            how = FERRYI_CONN_TAKEN;
        }
    } else if (c->running < cs->o.max_running && c->waiting.n == 0) {
        how = FERRYI_CONN_RUN;
    } else if (c->running < cs->o.max_running) {
        /* Older requests of the connection wait (no context was free to
         * take them over when a call ended): the oldest runs now, on the
         * context it arrived on, and this one waits behind the others on
         * this context, so that a connection's requests run in order and
         * none waits out its deadline behind newer ones. */
        pending *p = pending_get(cs);
        if (p == NULL) {
            cs->n.busy++;
            how = FERRYI_CONN_BUSY;
        } else {
            pending *old = fifo_pop(&c->waiting);
            p->ctx = *ctx;
            p->msg = req;
            p->arrived_us = ferryi_now_us();
            fifo_push(&c->waiting, p);
            cs->n.waited++;
            *ctx = old->ctx;
            *reqp = old->msg;
            *arrived_us = old->arrived_us;
            pending_put(cs, old);
            how = FERRYI_CONN_RUN;
        }
    } else if (c->waiting.n >= cs->o.max_waiting ||
               (c->waiting.n > 0 &&
                c->waiting.bytes + nng_msg_len(req) > cs->o.max_waiting_bytes)) {
        cs->n.busy++;
        how = FERRYI_CONN_BUSY;
    } else {
        nng_ctx fresh;
        pending *p = pending_get(cs);
        if (p == NULL || ctx_get(cs, &fresh) != 0) {
            free(p);
            cs->n.busy++;
            how = FERRYI_CONN_BUSY;
        } else {
            p->ctx = *ctx;
            p->msg = req;
            p->arrived_us = ferryi_now_us();
            fifo_push(&c->waiting, p);
            cs->owed++;
            cs->n.waited++;
            *ctx = fresh;
            how = FERRYI_CONN_TAKEN;
        }
    }
    if (how != FERRYI_CONN_TAKEN) {
        c->running++;
        cs->owed++;
    }
    pthread_mutex_unlock(&cs->mu);
    return how;
}

nng_msg *ferryi_conns_reply(ferryi_conns *cs, ferryi_conn *c, nng_ctx *ctx, nng_msg *reply,
                            int allowed, uint64_t *arrived_us)
{
    pthread_mutex_lock(&cs->mu);
    c->running--;
    owe_less(cs, 1);
    nng_ctx fresh;
    pending *p = NULL;
    if (cs->closed || c->gone || (c->muted && (c->sending != NULL || c->replies.n > 0))) {
        /* Only a muted connection's count as dropped: the gone and the
         * closing server's nobody is there to read. */
        if (!cs->closed && !c->gone)
            cs->n.dropped++;
        nng_msg_free(reply);
    } else if ((p = pending_get(cs)) == NULL || ctx_get(cs, &fresh) != 0) {
        ferryi_log(FERRYI_LOG_ERROR, "server", "out of memory queueing a reply; dropped");
        free(p);
        nng_msg_free(reply);
    } else {
        p->ctx = *ctx;
        p->msg = reply;
        *ctx = fresh;
        fifo_push(&c->replies, p);
        cs->owed++;
        if (c->replies.n > cs->o.max_replies ||
            (c->replies.n > 1 && c->replies.bytes > cs->o.max_reply_bytes))
            mute(c, "too many replies waiting");
        else if (c->sending == NULL)
            send_next(c);
    }
    nng_msg *next = hand_over(c, ctx, allowed, arrived_us);
    conn_release(c);
    pthread_mutex_unlock(&cs->mu);
    return next;
}

nng_msg *ferryi_conns_done(ferryi_conns *cs, ferryi_conn *c, nng_ctx *ctx, int allowed,
                           uint64_t *arrived_us)
{
    pthread_mutex_lock(&cs->mu);
    c->running--;
    owe_less(cs, 1);
    nng_msg *next = hand_over(c, ctx, allowed, arrived_us);
    conn_release(c);
    pthread_mutex_unlock(&cs->mu);
    return next;
}

unsigned ferryi_conns_wait_idle(ferryi_conns *cs, const struct timespec *until)
{
    pthread_mutex_lock(&cs->mu);
    while (cs->owed > 0 && pthread_cond_timedwait(&cs->cv, &cs->mu, until) == 0)
        ;
    unsigned owed = cs->owed;
    pthread_mutex_unlock(&cs->mu);
    return owed;
}

void ferryi_conns_close(ferryi_conns *cs)
{
    pthread_mutex_lock(&cs->mu);
    cs->closed = 1;
    for (unsigned b = 0; b < cs->n_buckets; b++) {
        for (ferryi_conn *c = cs->buckets[b]; c != NULL; c = c->next) {
            fifo_drop(cs, &c->waiting);
            fifo_drop(cs, &c->replies);
            /* A send still queued in rep0 ends at once with NNG_ECANCELED;
             * one already handed to the transport has completed. */
            if (c->sending != NULL)
                nng_aio_cancel(c->aio);
        }
    }
    while (cs->n_sending > 0)
        pthread_cond_wait(&cs->cv, &cs->mu);
    pthread_mutex_unlock(&cs->mu);
}

void ferryi_conns_get_counters(ferryi_conns *cs, ferryi_conns_counters *out)
{
    pthread_mutex_lock(&cs->mu);
    *out = cs->n;
    pthread_mutex_unlock(&cs->mu);
}

void ferryi_conns_free(ferryi_conns *cs)
{
    if (cs == NULL)
        return;
    for (unsigned b = 0; cs->buckets != NULL && b < cs->n_buckets; b++) {
        ferryi_conn *c = cs->buckets[b];
        while (c != NULL) {
            ferryi_conn *next = c->next;
            fifo_drop(cs, &c->waiting);
            fifo_drop(cs, &c->replies);
            nng_aio_free(c->aio);
            free(c);
            c = next;
        }
    }
    free(cs->buckets);
    while (cs->spare_pending != NULL) {
        pending *p = cs->spare_pending;
        cs->spare_pending = p->next;
        free(p);
    }
    /* The spare contexts went with the socket. */
    free(cs->spare);
    pthread_mutex_destroy(&cs->mu);
    pthread_cond_destroy(&cs->cv);
    free(cs);
}
