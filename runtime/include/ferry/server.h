/* ferry/server.h - serving handler tables over nng rep0.
 *
 * A server owns one rep0 socket with many contexts in flight; it can listen
 * on several addresses and host several services (and several major versions
 * of one service). Handlers run `workers` at a time, on the nng thread that
 * read the request when a slot is free (no thread switch), else on a pool of
 * worker threads.
 *
 * Thread safety: add services and listen before calls arrive, from one
 * thread; ferry_server_shutdown() may be called from any thread.
 */
#ifndef FERRY_SERVER_H
#define FERRY_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/identity.h"
#include "ferry/service.h"
#include "ferry/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ferry_server ferry_server;

typedef struct ferry_server_opts {
    /* Handlers running at once, and the threads of the worker pool. 0 = the
     * default (FERRY_WORKERS from the environment, else 4). A call runs on
     * the nng thread that read it when fewer than `workers` handlers are
     * running, none is queued, and fewer than one nng thread per CPU (at most
     * 8) in the process is running a handler; otherwise a worker runs it. So
     * a handler may block: it holds one of the `workers` slots, and nng keeps
     * at least half of its threads for I/O. Calls beyond the slots wait. */
    unsigned workers;
    /* Requests received and waiting or running at once (nng contexts).
     * 0 = 4 x workers, at least 16. */
    unsigned max_in_flight;
    /* Largest request frame accepted, bytes; 0 = FERRY_DEFAULT_MAX_MESSAGE;
     * 256 to FERRY_MAX_MESSAGE_LIMIT. A larger one is refused by the
     * transport before it is read. */
    size_t max_message;
    /* Nonzero: run handlers on nng's I/O threads as requests arrive, with no
     * worker pool (`workers` is ignored). It saves a thread switch per call
     * (about 1.4x the throughput under load, docs/benchmarks.md) but is only
     * for handlers that never block: no sleeping, no disk or network I/O, no
     * calls to other services. A blocking handler stalls every connection of
     * the process. Also FERRY_INLINE_HANDLERS=1 in the environment. */
    int inline_handlers;
    /* How long a reply may wait to be taken by its client, ms; 0 = 10000.
     * No server context waits for a client to read: each connection's
     * replies queue on it and go out one at a time. A connection that leaves
     * a reply untaken this long (or lets more replies pile up than it may
     * have requests waiting, or more than (max_in_flight_per_connection + 1)
     * x max_message bytes of them) is muted: its queued
     * replies and waiting requests are dropped, and so are its new requests,
     * except one at a time, answered FERRY_UNAVAILABLE; the first reply it
     * takes again lifts that. docs/resilience.md has the details. */
    uint32_t send_timeout_ms;
    /* Calls of one connection handled at once; 0 = max_in_flight / 2 (at
     * least 1); at most 65536. Its further requests wait their turn in memory on the
     * connection, without holding a server context (up to 4096 of them and
     * 4 x max_message bytes, at least 16 MiB); past that they are refused
     * with FERRY_RESOURCE_EXHAUSTED. So no connection takes more than this
     * share of the server, whatever it sends. */
    unsigned max_in_flight_per_connection;
    /* Memory one call may use for its decoded request, its response and what
     * its handler allocates with ferry_call_alloc(), bytes; 0 = 8 x
     * max_message. A request that needs more to decode is refused with
     * FERRY_RESOURCE_EXHAUSTED. */
    size_t max_call_memory;
    /* Roles are checked only on callers whose identity was verified, so a
     * server without identity (ferry_server_set_identity()) that hosts a
     * method declaring roles refuses to listen, with
     * FERRY_FAILED_PRECONDITION and a reason naming the method, rather
     * than serve it to anyone. Nonzero: serve such methods to every caller
     * all the same, with a warning at start (for a test rig, or a server
     * behind a gateway that checks callers). Also
     * FERRY_SERVE_ROLES_WITHOUT_IDENTITY=1 in the environment. */
    int serve_roles_without_identity;
    /* TLS for tls+tcp:// listeners (ferry/tls.h): at least tls.cert_file and
     * tls.key_file; with tls.ca_file, clients must show a certificate signed
     * by one of its CAs (mutual TLS). Files are read by ferry_server_new().
     * Listeners on other transports ignore it. */
    ferry_tls_opts tls;
    /* Counts the server's calls and serves them for Prometheus to scrape at
     * this http:// URL (ferry/metrics.h); a URL that cannot be served fails
     * ferry_server_new(). NULL: $FERRY_METRICS_URL when set (a server that
     * cannot serve it, say a second one in the process, logs why and goes
     * without), else no metrics. */
    const char *metrics_url;
    /* How long a shutdown keeps taking requests, to refuse them with a reply
     * that says the server is draining, before it waits for its calls and
     * stops: clients that balance over many servers (ferry/balance.h) learn
     * to send their calls elsewhere before the server stops accepting, so a
     * rolling restart loses none. Counted within the shutdown's grace
     * period. 0: $FERRY_DRAIN_NOTICE_MS when it is a number of ms up to
     * 86400000 (one that is not is logged and not used), else none. */
    uint32_t drain_notice_ms;
} ferry_server_opts;

/* Creates a server; `opts` may be NULL for defaults. An option out of range
 * fails it with FERRY_INVALID_ARGUMENT, TLS options it refuses with
 * ferry_tls_check()'s status; the reason names the option or file (and is
 * logged too, for TLS). */
FERRY_NODISCARD ferry_status ferry_server_new(ferry_server **out, const ferry_server_opts *opts);

/* Hosts a service. Fails with FERRY_ALREADY_EXISTS when a method of the same
 * full name is already hosted. Call before ferry_server_listen(). */
FERRY_NODISCARD ferry_status ferry_server_add(ferry_server *srv, const ferry_service_impl *impl);

/* Listens on `url` and starts serving. May be called for several URLs. When
 * `bound` is not NULL it receives the URL actually bound (with the port
 * chosen for tcp://host:0 or tls+tcp://host:0), NUL-terminated, truncated to
 * `bound_len`. A tls+tcp:// URL needs ferry_server_opts.tls, else it fails
 * with FERRY_FAILED_PRECONDITION, and so does a server without identity
 * that hosts methods requiring roles (see serve_roles_without_identity);
 * ferry_last_error() tells the two apart: the first names the URL and
 * "no TLS certificate", the second the method and "requires roles". Neither
 * binds the address. A server shutting down fails it with
 * FERRY_FAILED_PRECONDITION too. */
FERRY_NODISCARD ferry_status ferry_server_listen(ferry_server *srv, const char *url, char *bound,
                                                 size_t bound_len);

/* Stops taking new calls (they get FERRY_UNAVAILABLE "shutting down"), lets
 * the calls in flight finish and send their replies for up to `grace_ms`,
 * then closes the socket: calls still queued are not run, replies of
 * handlers still running are dropped and their callers see the connection
 * close. Blocks until running handlers have returned. Idempotent and
 * thread-safe: a second caller waits until the first has finished.
 *
 * Called from one of the server's own handlers or interceptor hooks it only
 * starts draining (new calls are refused) and returns at once, since a
 * call cannot wait for itself; the server's owner still shuts it down and
 * frees it. */
void ferry_server_shutdown(ferry_server *srv, uint32_t grace_ms);

/* Shuts down (with no grace) if still running, then frees; accepts NULL. */
void ferry_server_free(ferry_server *srv);

/* ------------------------------------------------------------------------
 * Identity (docs/security.md)
 * ---------------------------------------------------------------------- */

typedef struct ferry_server_identity {
    const ferry_key *key;     /* the server's key pair (secret half needed); copied */
    const char *keyring_path; /* the clients it trusts; read now and on reload */
    /* Nonzero: requests without a proof are served, as anonymous callers
     * (who hold no roles). Requests with a proof are verified all the same. */
    int allow_anonymous;
    uint32_t skew_ms;            /* accepted clock difference, ms; 0 = 300000 (±5 min) */
    uint32_t reply_cache_ms;     /* how long replies are kept for retransmits; 0 = 30000 */
    size_t replay_cache_entries; /* nonces remembered; 0 = 65536 */
} ferry_server_identity;

/* Switches identity on: from now on every request must carry a valid proof
 * (signed or mac) from a key in the keyring, checked before its body is
 * decoded; failures get FERRY_UNAUTHENTICATED and the handler never runs.
 * Methods that declare roles refuse callers without them. Call before
 * ferry_server_listen(). On failure ferry_last_error() says why (the
 * keyring's file and line for a bad keyring). */
FERRY_NODISCARD ferry_status ferry_server_set_identity(ferry_server *srv,
                                                       const ferry_server_identity *id);

/* Reads the keyring file again and trusts exactly its keys from the next
 * request on; calls in flight finish under the keyring they started with. On
 * failure the old keyring stays and ferry_last_error() says why. Thread-safe; for a SIGHUP handler,
 * call it from the thread that waits for signals, not from the handler itself. */
FERRY_NODISCARD ferry_status ferry_server_reload_keyring(ferry_server *srv);

/* Requests counted by the identity checks since start. */
typedef struct ferry_auth_counters {
    uint64_t verified;          /* proofs that held */
    uint64_t anonymous;         /* served without a proof (allow_anonymous) */
    uint64_t missing_proof;     /* refused: no proof */
    uint64_t malformed;         /* refused: an identity block that makes no sense */
    uint64_t unknown_key;       /* refused: key not in the keyring */
    uint64_t bad_timestamp;     /* refused: outside the skew window, or too old */
    uint64_t bad_proof;         /* refused: signature or MAC does not hold */
    uint64_t replayed;          /* refused: nonce seen before */
    uint64_t retransmits;       /* byte-identical resends: answered from the cache, or let go
                                   while the first is still running (it answers them) */
    uint64_t permission_denied; /* refused by a method's roles */
} ferry_auth_counters;

void ferry_server_get_auth_counters(ferry_server *srv, ferry_auth_counters *out);

/* Counters since start, for tests and the admin method. Thread-safe. */
typedef struct ferry_server_counters {
    uint64_t received;     /* frames received */
    uint64_t handled;      /* handlers run */
    uint64_t rejected;     /* frames answered with an error before a handler */
    uint64_t replies_sent; /* handed to the transport for a connection still open */
    uint64_t connections;  /* connections accepted */
    uint64_t waited;       /* requests that waited for their connection's turn */
    uint64_t busy;         /* refused: too many requests waiting on their connection */
    uint64_t dropped;      /* requests and replies dropped for connections not reading (not
                              those of connections gone, or of a server closing) */
    uint64_t muted;        /* times a connection was muted for not reading */
} ferry_server_counters;

void ferry_server_get_counters(ferry_server *srv, ferry_server_counters *out);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_SERVER_H */
