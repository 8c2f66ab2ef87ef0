/* client_impl.h - what the parts of a remote channel share (client.c says
 * how a call runs): the channel and its call slots, and each part's entry
 * points. client.c runs a call's attempts on a slot; calls.c builds a call
 * and is the channel's call and call_async; dialer.c keeps the connection
 * up; remote.c opens and closes the channel. */
#ifndef FERRYI_CLIENT_IMPL_H
#define FERRYI_CLIENT_IMPL_H

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
#include "wire/headers.h"
#include "client/fallback.h"
#include "identity/keys.h"
#include "identity/client_proof.h"
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
/* The largest request copy a slot keeps (wiped) between calls for the
 * next one; a larger one is freed, so that an idle channel holds little. */
#define RETRY_MSG_KEEP 4096
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
    int reprove;  /* the server refused the attempt's proof as older than its start */
    int reproved; /* the call has proved its request again once for that */
    uint64_t
        connect_until; /* real monotonic ms: the end of the call's connect wait; 0 = not begun */
    uint32_t connect_waited; /* the call's connect wait, ms; 0 when its deadline was shorter */
    int connect_spent;       /* the connect wait ran out: no further attempt */
    uint64_t deadline_at;    /* monotonic ms */
    uint32_t deadline_ms;
    uint32_t send_wait_ms;   /* how long the request may wait to be sent */
    atomic_int disconnected; /* its connection dropped while the call was in flight */
    /* A copy of the request for the next attempt when retry_kept. The
     * message stays with the slot from call to call (up to RETRY_MSG_KEEP
     * bytes), so keeping the copy is a memcpy, not an allocation. */
    nng_msg *retry_msg;
    int retry_kept;
    unsigned attempt;  /* 1 for the first attempt */
    int trial;         /* a half-open circuit breaker's trial call */
    nng_msg *req_copy; /* async: the request, for an application fallback */
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

/* What follows a failed attempt. */
typedef enum next_step {
    STEP_DONE,    /* the call ends with the attempt's status */
    STEP_REPROVE, /* send again at once, proved afresh */
    STEP_RETRY,   /* send again after the back-off */
} next_step;

/* Writes the message of a failed call into `info` (a ferry_call_info *,
 * named without side effects) from the printf format and arguments that
 * follow `st`, and is `st`: a failure is said and returned in one
 * statement. */
#define ferryi_cl_say(info, st, ...)                                                               \
    (snprintf((info)->message, sizeof(info)->message, __VA_ARGS__), (st))

/* client.c: slots, the outcomes of an attempt, the attempts themselves. */
slot *ferryi_cl_slot_get(client *cl);
void ferryi_cl_busy_add(client *cl, slot *s);
void ferryi_cl_slot_put(client *cl, slot *s);
ferry_status ferryi_cl_call_finish(slot *s, ferry_status st, const ProtobufCMessage *req,
                                   ProtobufCMessage **resp, ferry_call_info *info);
nng_msg *ferryi_cl_take_msg(nng_aio *aio);
ferry_status ferryi_cl_say_lost(slot *s, ferry_call_info *info);
ferry_status ferryi_cl_send_failed(slot *s, nng_aio *aio, int rv, ferry_call_info *info);
ferry_status ferryi_cl_recv_failed(slot *s, int rv, ferry_call_info *info);
nng_duration ferryi_cl_recv_timeout(const slot *s);
uint64_t ferryi_cl_proof_ts(client *cl);
uint64_t ferryi_cl_prove_request(client *cl, Ferry__Wire__RequestHeader *h,
                                 Ferry__Wire__Identity *idb, uint8_t proof[FERRYI_SIG_BYTES],
                                 const uint8_t *body, size_t body_len, ferryi_attempt_proof *att);
ferry_status ferryi_cl_decode_reply(slot *s, nng_msg *msg, ProtobufCMessage **resp,
                                    ferry_call_info *info);
int ferryi_cl_attempt_begin(slot *s, nng_msg *msg);
int ferryi_cl_start_io(slot *s, nng_aio *aio, slot_phase ph);
ferry_status ferryi_cl_say_down(slot *s, ferry_call_info *info);
nng_msg *ferryi_cl_take_retry_msg(slot *s);
next_step ferryi_cl_attempt_next(slot *s, ferry_status st, const ferry_call_info *info,
                                 uint32_t *wait);
void ferryi_cl_launch(slot *s, nng_msg *msg);

/* dialer.c: the connection. */
int ferryi_cl_dial(client *cl, nng_dialer *out);
int ferryi_cl_tls_trouble(client *cl, char *buf, size_t len);
void ferryi_cl_redial_if_stuck(client *cl);
void ferryi_cl_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg);

/* calls.c: the channel's calls. */
ferry_status ferryi_cl_call_async(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *req, const ferry_call_opts *opts,
                                  const ferry_completion *done);
ferry_status ferryi_cl_call(ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                            ProtobufCMessage **resp, const ferry_call_opts *opts);

#endif
