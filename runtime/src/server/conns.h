/* conns.h - a server's connections: fair shares, reply queues, and the
 * connections that stop reading their replies.
 *
 * rep0 hands a request from any connection to whichever context receives
 * next, and a context that answers waits until the connection takes the
 * reply. So one connection that sends fast could occupy every context, and
 * one that never reads would hold each context answering it until the send
 * timed out: every other client would stall. This module keeps, per
 * connection (nng pipe):
 *
 *   - its running calls: at most `max_running` at once. Further requests
 *     wait in the connection's own queue together with the nng context they
 *     arrived on (a reply must go out on that context), while the receiving
 *     context takes a fresh one and goes back to receiving;
 *   - its replies, which its own sender sends one at a time, so that no
 *     server context ever waits on a slow reader;
 *   - whether it has stopped reading. A reply not taken within the send
 *     timeout, or more replies waiting than the bound, mutes it: what it had
 *     queued is dropped, and its new requests are dropped unanswered, except
 *     one at a time, answered FERRY_UNAVAILABLE as a probe. The first reply
 *     it takes again unmutes it.
 *
 * The server never closes a connection itself: nng 1.5.2 can wedge for good
 * when it closes a connection whose next message is arriving (server/shutdown.c).
 *
 * Ownership: the module owns the nng contexts and messages handed to it;
 * ferryi_conns_free() releases them.
 * Thread safety: every function may be called from any thread, except
 * ferryi_conns_free(), which must be the last call.
 */
#ifndef FERRYI_CONNS_H
#define FERRYI_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <nng/nng.h>

typedef struct ferryi_conns ferryi_conns;
typedef struct ferryi_conn ferryi_conn;

typedef struct ferryi_conns_opts {
    unsigned max_running;      /* calls of one connection handled at once */
    unsigned max_waiting;      /* its requests waiting for their turn */
    size_t max_waiting_bytes;  /* their bytes (one request is always allowed) */
    unsigned max_replies;      /* its replies waiting to be taken before it is muted */
    size_t max_reply_bytes;    /* their bytes (one reply is always allowed) */
    nng_duration send_timeout; /* how long one reply may wait to be taken */
} ferryi_conns_opts;

/* Counters since start. */
typedef struct ferryi_conns_counters {
    uint64_t sent;    /* replies taken by their connection */
    uint64_t waited;  /* requests that waited for their connection's turn */
    uint64_t busy;    /* requests refused: too many waiting on their connection */
    uint64_t dropped; /* requests and replies dropped for muted connections */
    uint64_t mutes;   /* times a connection was muted */
} ferryi_conns_counters;

/* NULL when out of memory. Registers pipe callbacks on `sock` for
 * NNG_PIPE_EV_ADD_PRE and NNG_PIPE_EV_REM_POST. */
ferryi_conns *ferryi_conns_new(nng_socket sock, const ferryi_conns_opts *o);

/* What to do with a request just received. */
typedef enum ferryi_conn_admit {
    FERRYI_CONN_RUN,   /* handle it; end with ferryi_conns_reply() or _done() */
    FERRYI_CONN_BUSY,  /* answer FERRY_RESOURCE_EXHAUSTED, through ferryi_conns_reply() */
    FERRYI_CONN_PROBE, /* muted: answer FERRY_UNAVAILABLE, through ferryi_conns_reply() */
    FERRYI_CONN_TAKEN, /* it waits on its connection, or was dropped; *ctx is a fresh
                          context: receive again */
} ferryi_conn_admit;

/* Admits the request *req, received on context *ctx. For RUN, BUSY and
 * PROBE, *conn is the connection to pass to ferryi_conns_reply() or
 * _done(); for TAKEN the module owns *req and the old *ctx. Requests run
 * in their connection's order: when older ones of the connection wait and
 * it has room to run one, the oldest runs now (RUN, with *req, *ctx and
 * *arrived_us, ferry's clock in µs, those of that request) and the new one
 * waits behind the others; else *arrived_us is 0 (it arrived now). */
ferryi_conn_admit ferryi_conns_admit(ferryi_conns *cs, nng_ctx *ctx, nng_msg **req,
                                     ferryi_conn **conn, uint64_t *arrived_us);

/* Queues `reply` (taken) for the call received on *ctx from `conn`, and puts
 * a fresh context in *ctx. A muted connection gets the reply only when none
 * of its replies is being sent (it is the probe); else it is dropped.
 *
 * When a request of the same connection was waiting for its turn, returns
 * it, with *ctx set to the context it arrived on and *arrived_us to when it
 * arrived (ferry's clock, µs: its deadline and its figures run from then,
 * the wait included):
 * the caller handles it as admitted with RUN (same `conn`). Else returns
 * NULL. With `hand_over` 0
 * (the server is short of receiving contexts) a waiting request is handed
 * over only when this call was the connection's last one running, so that
 * its queue still moves: connections that keep their queues full must not
 * hold every context between them. */
nng_msg *ferryi_conns_reply(ferryi_conns *cs, ferryi_conn *conn, nng_ctx *ctx, nng_msg *reply,
                            int hand_over, uint64_t *arrived_us);

/* Ends the call received on *ctx from `conn` without a reply; *ctx stays
 * usable. Hands over a waiting request like ferryi_conns_reply(). */
nng_msg *ferryi_conns_done(ferryi_conns *cs, ferryi_conn *conn, nng_ctx *ctx, int hand_over,
                           uint64_t *arrived_us);

/* Waits until no call is owed a reply (running, waiting or being sent), or
 * until the wall-clock time `until`; returns how many still are. */
unsigned ferryi_conns_wait_idle(ferryi_conns *cs, const struct timespec *until);

/* From now on requests are dropped and replies are not sent; what is queued
 * is released and the senders are stopped. Call before closing the socket. */
void ferryi_conns_close(ferryi_conns *cs);

void ferryi_conns_get_counters(ferryi_conns *cs, ferryi_conns_counters *out);

/* Releases everything; call after the socket is closed. Accepts NULL. */
void ferryi_conns_free(ferryi_conns *cs);

#endif
