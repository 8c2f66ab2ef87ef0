/* ferry/balance.h - one channel over many servers of a service: a list of
 * URLs, or a DNS name whose records are followed as they change.
 *
 * ferry_client_open() opens such a channel for any target naming many
 * servers; ferry_balance_open() does the same with the balancer's settings
 * spelled out. Targets:
 *
 *   tcp://10.0.0.5:7400,tcp://10.0.0.6:7400   a fixed list, any nng URLs
 *   dns://inventory.svc.local:7400            A and AAAA records, one port
 *   dns+srv://_inventory._tcp.svc.local       SRV records: hosts and ports
 *   dns+tls://..., dns+srv+tls://...          the same over tls+tcp://
 *
 * Each endpoint has its own remote channel. A call goes to the less loaded
 * of two endpoints drawn at random among those ready (fewest calls in
 * flight); with SRV records, among those of the lowest priority, drawn and
 * loaded in proportion to weight (RFC 2782). An endpoint whose calls keep failing is ejected for a
 * back-off that doubles while it keeps failing, then let back in with one trial call. A call that
 * fails with `unavailable` on one endpoint is sent to another, within its deadline: an idempotent
 * one under the retry policy and its budget (ferry_client_opts.retry), any other only when its
 * request provably ran nowhere (no connection took it, or the server
 * refused it before any handler, as a server shutting down does). A server
 * that says it is draining gets no new calls until it comes back on a new
 * connection. DNS names are resolved with c-ares on the channel's own
 * thread, never on a call's: again after the records' TTL (within
 * resolve_min_ms and resolve_max_ms), and soon after an endpoint fails.
 * Endpoints that leave the records finish their calls and are closed; new
 * ones join. docs/deploy.md tells the whole story.
 *
 * Ownership: the channel is closed with ferry_channel_close(). Statistics
 * are copied into the caller's array.
 *
 * Thread safety: as every channel (ferry/channel.h); ferry_balance_endpoints()
 * may be called from any thread while calls are in flight.
 */
#ifndef FERRY_BALANCE_H
#define FERRY_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/channel.h"
#include "ferry/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a balancing channel finds and treats its endpoints. Zeroes mean the
 * defaults; the environment variable FERRY_DNS_SERVER ("127.0.0.1:5353", or
 * several, comma-separated) applies when dns_server is NULL. */
typedef struct ferry_balance_opts {
    /* The DNS server to ask, "host:port" (several comma-separated); NULL =
     * FERRY_DNS_SERVER, else the system's configuration (/etc/resolv.conf). */
    const char *dns_server;
    uint32_t resolve_min_ms; /* records are asked again at most this often; 0 = 1000 */
    uint32_t resolve_max_ms; /* and at least this often, whatever their TTL; 0 = 30000 */
    uint32_t eject_ms;       /* first ejection of an endpoint; 0 = 1000; doubles */
    uint32_t eject_max_ms;   /* longest ejection; 0 = 30000 */
    unsigned eject_failures; /* failures in a row that eject an endpoint; 0 = 3 */
    unsigned max_endpoints;  /* endpoints kept at most; 0 = 64 (at most 1024) */
} ferry_balance_opts;

typedef enum ferry_endpoint_state {
    FERRY_ENDPOINT_CONNECTING = 0, /* no connection yet, or it was lost */
    FERRY_ENDPOINT_READY = 1,      /* connected, taking calls */
    FERRY_ENDPOINT_EJECTED = 2,    /* failing: no calls until its back-off ends */
    FERRY_ENDPOINT_PROBING = 3,    /* back-off over: one trial call decides */
    FERRY_ENDPOINT_DRAINING = 4,   /* the server is shutting down: no new calls */
    FERRY_ENDPOINT_LEAVING = 5,    /* gone from the records: finishing its calls */
} ferry_endpoint_state;

/* The name of a state: "ready", "ejected"... */
const char *ferry_endpoint_state_str(ferry_endpoint_state st);

#define FERRY_ENDPOINT_URL_MAX 256

/* One endpoint's figures since it joined the channel. */
typedef struct ferry_endpoint_stats {
    char url[FERRY_ENDPOINT_URL_MAX];
    ferry_endpoint_state state;
    uint64_t calls;          /* attempts sent to it */
    uint64_t errors;         /* attempts that failed with unavailable or deadline exceeded */
    uint32_t in_flight;      /* attempts on it now */
    uint64_t latency_sum_us; /* over calls that got an answer; mean = sum / answered */
    uint64_t answered;       /* attempts the server answered (any status) */
    uint64_t latency_max_us;
    uint64_t ejections; /* times it was ejected */
} ferry_endpoint_stats;

/* Opens a channel over the servers `target` names (see above; a single URL
 * is a list of one). `copts` as for ferry_client_open(), applied to every
 * endpoint (tls for the TLS schemes); `bopts` NULL means the defaults.
 * FERRY_INVALID_ARGUMENT for a target that cannot be read, with the reason
 * in ferry_last_error() (and logged). A DNS name that does not resolve yet is not an error: calls
 * fail with FERRY_UNAVAILABLE, saying why, until it does. */
FERRY_NODISCARD ferry_status ferry_balance_open(ferry_channel **out, const char *target,
                                                const ferry_client_opts *copts,
                                                const ferry_balance_opts *bopts);

/* Copies the figures of up to `max` endpoints of balancing channel `ch` into
 * `out` (the current ones first, then those leaving) and sets *n to how many
 * there are in all (which may exceed `max`). FERRY_INVALID_ARGUMENT when `ch`
 * is not a balancing channel. */
FERRY_NODISCARD ferry_status ferry_balance_endpoints(ferry_channel *ch, ferry_endpoint_stats *out,
                                                     size_t max, size_t *n);

/* Adds the endpoints of balancing channel `ch` to what registry `m` writes
 * (ferry/metrics.h), read afresh at every scrape: per endpoint, labelled
 * with the channel's target and the endpoint's URL, its attempts, errors,
 * attempts in flight, ejections, answer time (a summary's sum and count)
 * and state (docs/operations.md, "Metrics"). `ch` must outlive `m`'s use
 * of it: call ferry_metrics_unwatch_balancer() (or free `m`) before closing
 * the channel. FERRY_INVALID_ARGUMENT when `ch` is not a balancing channel,
 * FERRY_ALREADY_EXISTS when `m` watches it, or another channel to the same
 * target (their rows would clash), FERRY_RESOURCE_EXHAUSTED when `m`
 * watches 16 already. */
FERRY_NODISCARD ferry_status ferry_metrics_watch_balancer(ferry_metrics *m, ferry_channel *ch);

/* Stops `m` reading `ch`; nothing when it does not. */
void ferry_metrics_unwatch_balancer(ferry_metrics *m, ferry_channel *ch);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_BALANCE_H */
