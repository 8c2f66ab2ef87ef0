/* ferry/channel.h - the channel: the one seam every generated client call
 * goes through, and its remote (nng) and local (in-process) implementations.
 *
 * Ownership: a response handed to the caller (sync `*resp`, or the `resp`
 * argument of a completion) belongs to the caller, who frees it with
 * ferry_message_free(). A request is only read, never kept. The outputs a
 * caller passes in ferry_call_opts (info, violations) are the caller's
 * memory: ferry writes them and keeps no pointer past the call (past the
 * completion, for an asynchronous call's violations).
 *
 * Thread safety: a channel is safe to call from many threads at once, with
 * many calls in flight. Open and close it from one thread, after every call on
 * it has returned or completed.
 */
#ifndef FERRY_CHANNEL_H
#define FERRY_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/identity.h"
#include "ferry/service.h"
#include "ferry/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One metadata entry sent with a call. */
typedef struct ferry_metadata {
    const char *key;
    const uint8_t *value;
    size_t len;
} ferry_metadata;

/* What a call reports besides its status and response. */
typedef struct ferry_call_info {
    ferry_status status;             /* the call's status, as returned */
    char message[FERRY_MESSAGE_MAX]; /* the detail: the server's message or a local reason */
    uint32_t server_api_min;         /* API versions the server serves, when it said so */
    uint32_t server_api_max;
    /* Attempts made on a remote channel: 1 + retries, and + 1 for a request
     * proved again after a server restart (docs/wire.md, "Requests proved
     * before the server started"). */
    unsigned attempts;
    /* The server's reply said it is shutting down (docs/wire.md,
     * "Draining"): it finishes its calls but new ones belong elsewhere. */
    unsigned char server_draining;
    /* The call failed and its request provably ran nowhere: it never
     * reached a server (no connection), or the server refused it before any
     * handler ran. Sending it again cannot run it twice. */
    unsigned char not_run;
    /* A remote channel's last attempt got its server's reply (whatever its
     * status): 0 when it failed without one (no connection, a connection
     * lost, the deadline passing first). A refusal before any handler has
     * both not_run and answered; a server that could not be reached, not_run
     * alone. (It sits in what was padding: the struct's size is unchanged.) */
    unsigned char answered;
} ferry_call_info;

/* Per-call options. A NULL pointer where options are taken means all defaults. */
typedef struct ferry_call_opts {
    /* Deadline in milliseconds from the start of the call. 0 = the method's
     * IDL default, else the channel's default. */
    uint32_t deadline_ms;
    const ferry_metadata *metadata; /* n_metadata entries, copied at the call */
    size_t n_metadata;
    ferry_call_info *info; /* optional out: filled when the call returns */
    /* When calling from inside a handler, that handler's call: the new call's
     * deadline is then at most the time the handler has left, so a deadline
     * holds across a chain of services. A call whose parent has no time left
     * fails with FERRY_DEADLINE_EXCEEDED without being sent. */
    const ferry_call *parent;
    /* Optional out: when the call fails with FERRY_INVALID_ARGUMENT because
     * the request breaks the IDL's validation rules (ferry/validate.h), each
     * violation, as the server, the local channel or (validate_requests) the
     * client found it; otherwise emptied (count and total 0). The caller owns
     * it; for an asynchronous call it must stay valid until the completion
     * has run, and is filled before it runs. */
    ferry_violations *violations;
} ferry_call_opts;

/* How an asynchronous call reports: `invoke` is called exactly once, from a
 * ferry thread, with the status and (on FERRY_OK) the response, which the
 * callee then owns. It runs on one of nng's I/O threads, a balancing
 * channel's own thread (a call that waited for a DNS name's first answer),
 * or, for a call that ends before it is sent, the caller's: it must return
 * quickly, must not block or wait for another call on the same channel,
 * and must not close the channel. Generated code sets `invoke` to a function that casts
 * `fn` back to the caller's typed callback. */
typedef struct ferry_completion ferry_completion;
struct ferry_completion {
    void (*invoke)(const ferry_completion *c, ferry_status st, ProtobufCMessage *resp,
                   const ferry_call_info *info);
    void (*fn)(void); /* the caller's typed callback */
    void *arg;        /* the caller's argument */
};

typedef struct ferry_channel ferry_channel;

/* The channel vtable. Implementations: remote (nng), local (handler table in
 * process), and those of later modules (mock, dispatcher). */
typedef struct ferry_channel_ops {
    /* Synchronous call; see ferry_channel_call(). */
    ferry_status (*call)(ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                         ProtobufCMessage **resp, const ferry_call_opts *opts);
    /* Asynchronous call; see ferry_channel_call_async(). */
    ferry_status (*call_async)(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *req, const ferry_call_opts *opts,
                               const ferry_completion *done);
    /* Releases the channel; called once by ferry_channel_close(). */
    void (*close)(ferry_channel *ch);
} ferry_channel_ops;

/* The common head of every channel; implementations embed it first. */
struct ferry_channel {
    const ferry_channel_ops *ops;
};

/* Calls method `m` with `req` (whose descriptor must be m->input) and waits
 * for the reply. On FERRY_OK, and on FERRY_FALLBACK (a remote channel's
 * fallback response, docs/resilience.md), *resp is a new m->output message
 * the caller frees with ferry_message_free(); otherwise *resp is NULL. Never waits past
 * the call's deadline. */
ferry_status ferry_channel_call(ferry_channel *ch, const ferry_method *m,
                                const ProtobufCMessage *req, ProtobufCMessage **resp,
                                const ferry_call_opts *opts);

/* Starts a call and returns at once. On FERRY_OK the completion runs exactly
 * once, later or before this returns, on some thread; on any other status
 * the call was not started and the completion never runs. `done` is copied. */
ferry_status ferry_channel_call_async(ferry_channel *ch, const ferry_method *m,
                                      const ProtobufCMessage *req, const ferry_call_opts *opts,
                                      const ferry_completion *done);

/* Closes a channel; accepts NULL. Every call on it must have finished. */
void ferry_channel_close(ferry_channel *ch);

/* Frees a response a call returned; accepts NULL. */
void ferry_message_free(ProtobufCMessage *msg);

/* ------------------------------------------------------------------------
 * Remote channel: a client of one server address over nng req0
 * ---------------------------------------------------------------------- */

/* Default deadline of a call that sets none and whose method declares none. */
#define FERRY_DEFAULT_DEADLINE_MS 5000u
/* Default size limit of a request or reply frame, both sides. */
#define FERRY_DEFAULT_MAX_MESSAGE (4u * 1024u * 1024u)
/* The largest size limit a client or server takes: the transport's 32-bit
 * limit less the 64 bytes of its own header that travel with a frame. */
#define FERRY_MAX_MESSAGE_LIMIT (0xffffffffu - 64u)

/* When a remote channel tries a call again. Only methods the IDL marks
 * idempotent are retried, only after FERRY_UNAVAILABLE (the server could not
 * be reached, the connection dropped, or the server said so), with
 * exponential backoff and jitter, and never past the call's deadline. A retry
 * budget keeps retries to a share of recent calls, so an outage does not turn
 * into a retry storm. Zeroes mean the defaults; a negative (or NaN)
 * budget_ratio fails the channel's opening with FERRY_INVALID_ARGUMENT. */
typedef struct ferry_retry_policy {
    unsigned max_attempts;       /* attempts in all, the first included; 0 = 3; 1 = never retry */
    uint32_t initial_backoff_ms; /* wait before the first retry; 0 = 25 ms; doubles per retry */
    uint32_t max_backoff_ms;     /* 0 = 1000 ms */
    double budget_ratio;         /* retries earned per call, >= 0; 0 = 0.1 (one per ten calls) */
    unsigned budget_burst;       /* retries that can be spent at once; 0 = 10 */
} ferry_retry_policy;

/* A remote channel keeps a circuit breaker per method. Closed: calls go
 * through and their outcomes fill a sliding window; when at least min_calls
 * of the last `window` calls are in it and failure_ratio of them failed
 * (unavailable or deadline exceeded), it opens. Open: calls fail at once with
 * FERRY_UNAVAILABLE, without touching the network, for open_ms. Half-open:
 * up to half_open_calls trial calls go through; a success closes it, a
 * failure opens it again. Zeroes mean the defaults; a failure_ratio outside
 * [0, 1] (or NaN) fails the channel's opening with FERRY_INVALID_ARGUMENT. */
typedef struct ferry_breaker_policy {
    int disabled;             /* nonzero: no breaker */
    unsigned window;          /* calls remembered; 0 = 20 (at most 1024) */
    unsigned min_calls;       /* calls needed before it can open; 0 = 10 */
    double failure_ratio;     /* share of failures that opens it, in (0, 1]; 0 = 0.5 */
    uint32_t open_ms;         /* how long it stays open; 0 = 5000 ms */
    unsigned half_open_calls; /* trial calls at once when half-open; 0 = 1 */
} ferry_breaker_policy;

typedef enum ferry_breaker_state {
    FERRY_BREAKER_CLOSED = 0,
    FERRY_BREAKER_OPEN = 1,
    FERRY_BREAKER_HALF_OPEN = 2,
} ferry_breaker_state;

/* A method's breaker as ferry_client_breaker() reports it. */
typedef struct ferry_breaker_stats {
    ferry_breaker_state state;
    unsigned window_calls;    /* outcomes in the window */
    unsigned window_failures; /* failures among them */
    uint64_t times_opened;    /* since the channel opened */
    uint64_t rejected;        /* calls failed fast while open or half-open */
} ferry_breaker_stats;

/* Who the client is to the server (docs/security.md). */
typedef struct ferry_client_identity {
    /* The client's key pair (secret half needed); NULL = anonymous. Copied. */
    const ferry_key *key;
    /* FERRY_PROOF_SIGNED (the default with a key) or FERRY_PROOF_MAC. A mac
     * channel proves its requests with mac's second version (FERRY_PROOF_MAC2)
     * once a reply of its server has shown that the server accepts it. */
    ferry_proof proof;
    /* The server's public key (pinning); needed for mac. When set, every
     * reply must carry the server's proof, else the call fails with
     * FERRY_UNAUTHENTICATED. Copied. */
    const ferry_key *server_key;
} ferry_client_identity;

typedef struct ferry_client_opts {
    const char *client_name;      /* sent in every request; default: "ferry-client" */
    const char *client_version;   /* default: the ferry version */
    uint32_t default_deadline_ms; /* 0 = FERRY_DEFAULT_DEADLINE_MS */
    /* How long a call waits for the first connection before it fails with
     * FERRY_UNAVAILABLE (bounded by its deadline). 0 = 1000 ms. */
    uint32_t connect_timeout_ms;
    /* Once a connection has been up and is lost, calls fail at once with
     * FERRY_UNAVAILABLE until nng reconnects ("fail fast"), so fallbacks and
     * retries act without delay. Nonzero: calls wait for the connection up
     * to their deadline instead. */
    int wait_for_ready;
    /* Request and reply limit; 0 = FERRY_DEFAULT_MAX_MESSAGE; at most
     * FERRY_MAX_MESSAGE_LIMIT. */
    size_t max_message;
    ferry_retry_policy retry;
    ferry_breaker_policy breaker;
    ferry_client_identity identity;
    /* TLS for a tls+tcp:// URL (ferry/tls.h): at least tls.ca_file, to check
     * the server's certificate. Set for any other URL, the open fails, so a
     * channel meant to be encrypted is never opened in the clear. */
    ferry_tls_opts tls;
    /* Nonzero: each call runs its method's validator (the IDL's rules,
     * ferry/validate.h) before sending; a request that breaks a rule fails
     * with FERRY_INVALID_ARGUMENT at once, without a round trip, as the
     * server would refuse it. 0 (the default): the server alone checks. */
    int validate_requests;
} ferry_client_opts;

/* Opens a channel to the server at `url` (ipc://, tcp://, inproc://,
 * tls+tcp://). `url` may also name many servers: a comma-separated list of
 * URLs, `dns://host:port` (A/AAAA records), `dns+srv://_svc._tcp.name` (SRV),
 * over TLS as `dns+tls://` and `dns+srv+tls://`; the channel then spreads
 * calls over them (ferry/balance.h, docs/deploy.md). Connects in the
 * background and reconnects when the connection drops, so the server need
 * not be up yet. Fails with FERRY_INVALID_ARGUMENT for a URL nng does not
 * accept, and with ferry_tls_check()'s status for TLS options it refuses;
 * ferry_last_error() names the URL or the TLS option and what is wrong (the
 * reason is logged too). A call that finds no connection because TLS handshakes
 * failed says so in its message. */
FERRY_NODISCARD ferry_status ferry_client_open(ferry_channel **out, const char *url,
                                               const ferry_client_opts *opts);

/* The circuit breaker of method `m` on remote channel `ch`. A method not
 * called yet reports a closed, empty breaker. FERRY_INVALID_ARGUMENT when
 * `ch` is not a remote channel. Thread-safe. */
FERRY_NODISCARD ferry_status ferry_client_breaker(ferry_channel *ch, const ferry_method *m,
                                                  ferry_breaker_stats *out);

/* A fallback the application provides for a method: fills `resp` (an
 * initialised response of the method's output type) for a call of `req` that
 * failed with `cause` (unavailable or deadline exceeded, or an open circuit),
 * and returns FERRY_OK; any other status means "no fallback" and the caller
 * gets `cause`. Fields may point to memory that outlives the function (static
 * data, `arg`'s data, the request): the response is copied before it reaches
 * the caller. Runs on the caller's thread or one of ferry's; must not block.
 * `req` is NULL when the request is not known, which happens for an
 * asynchronous call that started before the fallback was set. */
typedef ferry_status (*ferry_fallback_fn)(void *arg, const ferry_method *m,
                                          const ProtobufCMessage *req, ferry_status cause,
                                          ProtobufCMessage *resp);

/* Sets the fallback of method `m` on remote channel `ch`, overriding the
 * IDL's; `fn` NULL removes it (the IDL's applies again). When a call of `m`
 * fails at the transport level, the caller gets FERRY_FALLBACK and the
 * fallback response instead of the error, and info.message still says what
 * failed. Thread-safe; takes effect for calls that start afterwards. */
FERRY_NODISCARD ferry_status ferry_client_set_fallback(ferry_channel *ch, const ferry_method *m,
                                                       ferry_fallback_fn fn, void *arg);

/* ------------------------------------------------------------------------
 * Local channel: calls handler tables in process
 * ---------------------------------------------------------------------- */

/* Opens a channel that runs calls on the handlers of `impl` in the calling
 * thread. Requests and responses are packed and unpacked as on the wire, so
 * the caller sees exactly what a remote call would give. It has no default
 * deadline of its own: a call that gives none, of a method whose IDL gives
 * none, runs without one (ferry_call_remaining_ms() is UINT32_MAX), unless
 * opts.parent's time caps it. */
FERRY_NODISCARD ferry_status ferry_local_open(ferry_channel **out, const ferry_service_impl *impl);

/* Adds another service to a local channel opened by ferry_local_open(). */
FERRY_NODISCARD ferry_status ferry_local_add(ferry_channel *ch, const ferry_service_impl *impl);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_CHANNEL_H */
