/* ferry/dispatch.h - the dispatcher: a channel that routes the calls of one
 * service between a local channel (the module in process) and a remote
 * channel (the same module as a service), so that a module can move out of
 * a program one setting at a time while every call site stays the same.
 * docs/migration.md walks through the steps.
 *
 * Each method of the service has a route: a stage and its flags.
 *   local       only the local channel runs.
 *   shadow      the local channel answers; the remote is called as well,
 *               without the caller waiting for it, and the two answers are
 *               compared field by field. Only methods the IDL marks
 *               idempotent or read_only are shadowed unless the route says
 *               `+side-effects`; the others run locally only.
 *   canary:N    N% of calls (chosen per call) go to the remote, the rest
 *               stay local.
 *   remote      only the remote channel runs.
 * With `+local-fallback`, a canary or remote call whose remote fails at the
 * transport level (unavailable, deadline exceeded, or the remote channel's
 * own IDL fallback) is answered by the local channel instead, with
 * FERRY_FALLBACK. A synchronous or an asynchronous call is answered locally
 * alike: with the call's request, metadata, violations list and deadline
 * (no more than the calling handler has left; none left, and the remote's
 * failure stands). An asynchronous call's local answer runs on the thread
 * completing the remote call, or on the caller's when the remote refused
 * the call at once (its breaker open); either way it reaches the completion.
 *
 * Routes are written as a spec (the same text in the environment and in
 * ferry_dispatcher_configure()):
 *
 *   spec    := item { "," item }
 *   item    := route | METHOD "=" route
 *   route   := stage { "+" flag }
 *   stage   := "local" | "shadow" | "canary:" PERCENT | "remote"
 *   flag    := "side-effects"     (shadow only)
 *            | "local-fallback"   (canary and remote only)
 *   PERCENT := a whole number from 0 to 100
 *
 * A route without a method is the service's default (at most one); METHOD
 * is a method's name as in the .proto (`GetItem`) and overrides the default
 * for that method (once per method). Methods the spec does not name take the
 * default, and without one, `local`. Blanks around items are ignored. For
 * example:
 *
 *   FERRY_DISPATCH_INVENTORY_V2_STOCK="shadow, Reserve=local, GetItem=canary:10"
 *
 * Thread safety: calls may come from any thread, many at once, while another
 * thread changes the routes or reads the stats; each call reads its method's
 * route once, so a change never drops or repeats a call. Open and close the
 * dispatcher from one thread, after every call on it has returned.
 */
#ifndef FERRY_DISPATCH_H
#define FERRY_DISPATCH_H

#include <stdint.h>
#include <stdio.h>

#include "ferry/channel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ferry_stage {
    FERRY_STAGE_LOCAL = 0,
    FERRY_STAGE_SHADOW = 1,
    FERRY_STAGE_CANARY = 2,
    FERRY_STAGE_REMOTE = 3,
} ferry_stage;

#define FERRY_STAGE_COUNT 4

/* "local", "shadow", "canary", "remote"; "unknown stage" otherwise. */
const char *ferry_stage_str(ferry_stage stage);

/* One method's route. */
typedef struct ferry_route {
    ferry_stage stage;
    unsigned canary_percent; /* FERRY_STAGE_CANARY: share of calls sent to the remote, 0..100 */
    int side_effects;        /* FERRY_STAGE_SHADOW: shadow even a method with side effects */
    int local_fallback;      /* canary, remote: the local side answers when the remote fails */
} ferry_route;

typedef struct ferry_dispatch_opts {
    /* The initial routes, as a spec; NULL = every method local. */
    const char *spec;
    /* An environment variable holding a spec that, when set and not empty,
     * replaces `spec` (deploy-time settings win over the program's). NULL =
     * none. Generated code passes P_DISPATCH_ENV. */
    const char *env_name;
    /* Deadline of a shadow call whose caller sets none; 0 = the method's,
     * else the remote channel's default. */
    uint32_t shadow_deadline_ms;
    /* Shadow calls in flight at most; a call beyond it is not shadowed
     * (counted as skipped), so a slow remote never piles up work. 0 = 64. */
    unsigned shadow_max_inflight;
    /* Mismatches logged per method (at level warn, with the diff); the
     * rest are only counted. 0 = 10. */
    unsigned mismatch_log_limit;
    /* Seed of the canary's per-call choice; 0 = a random seed. Tests set it
     * to make the choice repeatable. */
    uint64_t seed;
} ferry_dispatch_opts;

/* Opens a dispatcher for the service `svc` over `local` and `remote`.
 * Reads the routes from opts->env_name when it is set, else opts->spec.
 * On FERRY_OK *out is a channel that owns both channels and closes them when
 * it is closed. On failure (FERRY_INVALID_ARGUMENT: a NULL argument or a bad
 * spec, described by ferry_last_error(), which names the variable when the
 * spec came from the environment; FERRY_RESOURCE_EXHAUSTED: out of memory)
 * *out is NULL and the caller still owns both channels. Generated code wraps
 * it as P_dispatcher_open(). */
FERRY_NODISCARD ferry_status ferry_dispatcher_open(ferry_channel **out,
                                                   const ferry_service_desc *svc,
                                                   ferry_channel *local, ferry_channel *remote,
                                                   const ferry_dispatch_opts *opts);

/* Replaces every route with those of `spec` (see above): the config call.
 * The whole spec is checked first; on FERRY_INVALID_ARGUMENT nothing
 * changed and ferry_last_error() says what was wrong. Calls already running finish on the
 * route they started with. FERRY_INVALID_ARGUMENT too when `ch` is not a
 * dispatcher. */
FERRY_NODISCARD ferry_status ferry_dispatcher_configure(ferry_channel *ch, const char *spec);

/* Sets the route of one method of the dispatcher's service. */
FERRY_NODISCARD ferry_status ferry_dispatcher_set_route(ferry_channel *ch, const ferry_method *m,
                                                        const ferry_route *route);

/* The current route of `m`. */
FERRY_NODISCARD ferry_status ferry_dispatcher_route(ferry_channel *ch, const ferry_method *m,
                                                    ferry_route *out);

/* Writes the current routes as a spec that ferry_dispatcher_configure()
 * accepts: the default, then the methods that differ from it
 * ("shadow,Reserve=local"). Truncates to `len` - 1 characters; returns the
 * length the whole spec needs, or 0 when `ch` is not a dispatcher. */
size_t ferry_dispatcher_spec(ferry_channel *ch, char *buf, size_t len);

/* Latencies of one side, in microseconds. Percentiles come from a
 * histogram with power-of-two buckets: each is the upper bound of its
 * bucket, so within a factor of two above the true value. */
typedef struct ferry_latency_stats {
    uint64_t count;
    uint64_t mean_us;
    uint64_t p50_us;
    uint64_t p99_us;
    uint64_t max_us;
} ferry_latency_stats;

/* What happened to the calls of one method while it was at one stage,
 * since the dispatcher opened. */
typedef struct ferry_dispatch_stats {
    uint64_t calls;           /* calls made through the dispatcher */
    uint64_t answered_local;  /* the caller's answer came from the local side */
    uint64_t answered_remote; /* ... from the remote side */
    uint64_t shadowed;        /* shadow calls sent to the remote */
    uint64_t shadow_skipped;  /* not shadowed: side effects without opt-in, or too many in flight */
    uint64_t matches;         /* shadow answers equal to the local answer */
    uint64_t mismatches;      /* shadow answers that differ (status or fields) */
    uint64_t remote_errors;   /* remote calls that got no answer from the service */
    uint64_t local_errors;    /* local calls that failed the same way */
    uint64_t fallbacks; /* answers from a fallback (local or the IDL's) after a remote error */
    ferry_latency_stats local;  /* every local call, shadowed or not */
    ferry_latency_stats remote; /* every remote call, shadow calls included */
} ferry_dispatch_stats;

/* The counters of method `m` at `stage`. Thread-safe; counters are read one
 * by one while calls go on, so they may be a call apart. */
FERRY_NODISCARD ferry_status ferry_dispatcher_stats(ferry_channel *ch, const ferry_method *m,
                                                    ferry_stage stage, ferry_dispatch_stats *out);

/* The diff of the most recent mismatch of `m` ("" when none), as logged:
 * "item.price.amount.minor_units: local 1299, remote 1300". Returns the
 * length it needs, like ferry_dispatcher_spec(). */
size_t ferry_dispatcher_last_mismatch(ferry_channel *ch, const ferry_method *m, char *buf,
                                      size_t len);

typedef enum ferry_stats_format {
    FERRY_STATS_TEXT = 0, /* a table for people */
    FERRY_STATS_JSON = 1, /* one JSON object; `ferry dispatch-stats` reads it */
} ferry_stats_format;

/* Writes the routes and every non-empty (method, stage) row of counters to
 * `f`. The JSON form is documented in docs/migration.md. Returns FERRY_OK,
 * FERRY_INVALID_ARGUMENT when `ch` is not a dispatcher or `f` is NULL, or
 * FERRY_INTERNAL when writing to `f` failed (the reason gives errno's). */
FERRY_NODISCARD ferry_status ferry_dispatcher_write_stats(ferry_channel *ch, FILE *f,
                                                          ferry_stats_format format);

/* Waits until no shadow call is in flight (each ends by its deadline), so
 * that the counters include every comparison of the calls made so far. */
void ferry_dispatcher_wait_shadows(ferry_channel *ch);

/* Parses `spec` against `svc` without a dispatcher: FERRY_OK when
 * ferry_dispatcher_configure() would accept it, else FERRY_INVALID_ARGUMENT
 * with the reason in ferry_last_error(). `routes`, when not NULL, receives
 * svc->n_methods routes. */
FERRY_NODISCARD ferry_status ferry_dispatch_parse(const ferry_service_desc *svc, const char *spec,
                                                  ferry_route *routes);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_DISPATCH_H */
