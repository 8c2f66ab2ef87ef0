/* ferry/intercept.h - interceptors: hooks an application runs around every
 * call, on the client side (a channel that wraps another) and on the server
 * side (registered with the server), to log, measure, trace or refuse calls
 * without touching call sites or handlers (docs/operations.md,
 * "Interceptors").
 *
 * A hook sees a ferry_call_event. `before` runs when the call starts: it
 * may refuse the call by returning a status other than FERRY_OK (and saying
 * why in `why`); the call then ends with that status without going out
 * (client) or reaching its handler (server). `after` runs once the call has
 * ended, refused ones included, with its status, message, sizes and
 * durations. Hooks run in the order they were added for `before` and in the
 * reverse order for `after`, like nested wrappers.
 *
 * On a server, `after` runs for every request whose header could be read,
 * including those ferry refused before any handler (unknown methods,
 * identity, draining...); `before` runs only for calls that passed ferry's
 * own checks. On a client, both run for every call made through the
 * intercepted channel, whatever kind of channel it wraps (remote, local,
 * mock, dispatcher).
 *
 * Ownership: an event and everything it points to belong to ferry and live
 * only for the hook's call. ferry_channel_intercept() takes `inner`: closing
 * the intercepted channel closes it.
 * Thread safety: hooks run on whichever thread the call runs or completes
 * on (the caller's, handler workers, nng's I/O threads), possibly several at
 * once; they must not block for long. Interceptors are added before the
 * server listens, and a channel's when it is made.
 */
#ifndef FERRY_INTERCEPT_H
#define FERRY_INTERCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/channel.h"
#include "ferry/identity.h"
#include "ferry/server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ferry_call_side {
    FERRY_SIDE_CLIENT = 1,
    FERRY_SIDE_SERVER = 2,
} ferry_call_side;

/* One call, as hooks see it. */
typedef struct ferry_call_event {
    ferry_call_side side;
    /* "pkg.Service/Method" as the call named it; `method` is its descriptor,
     * NULL on a server for a method it does not host. */
    const char *method_name;
    const ferry_method *method;
    uint64_t call_id; /* server: the client's call id; client: 0 */
    /* The call's metadata; on the client side only for `before` (the
     * caller's may be gone when an asynchronous call ends). */
    const ferry_metadata *metadata;
    size_t n_metadata;
    uint32_t deadline_ms; /* the call's deadline as asked for; 0: none given */
    /* Server: the verified caller (NULL without identity), and the client's
     * software and API version as it announced them ("" and 0 if not). */
    const ferry_identity *identity;
    const char *client_name, *client_version;
    uint32_t api_version;

    /* For `after`: */
    /* This interceptor's before hook ran for this call (for one without a
     * before hook: the chain got to it): 0 when ferry, or an interceptor
     * added before this one, refused the call first. What a hook that
     * counts calls in flight pairs its after with. */
    int admitted;
    ferry_status status;
    const char *message;  /* "" on success */
    size_t request_bytes; /* the request body on the wire (client: packed size) */
    size_t reply_bytes;   /* the reply body; 0 when there is none */
    unsigned attempts;    /* client: attempts made (remote channels), else 1 */
    int handler_ran;      /* server: the call's handler ran */
    uint64_t queued_us;   /* server: from reading the request to a worker taking it (0: none did) */
    uint64_t handler_us;  /* server: the handler's run (0 when it did not run) */
    uint64_t total_us;    /* server: reading to reply; client: call to completion */
} ferry_call_event;

typedef ferry_status (*ferry_before_hook)(void *arg, const ferry_call_event *ev, char *why,
                                          size_t why_len);
typedef void (*ferry_after_hook)(void *arg, const ferry_call_event *ev);

/* An interceptor: either hook may be NULL. Copied when added. */
typedef struct ferry_interceptor {
    ferry_before_hook before;
    ferry_after_hook after;
    void *arg;
} ferry_interceptor;

/* At most this many interceptors per server or intercepted channel. */
#define FERRY_INTERCEPTORS_MAX 16

/* Adds `ic` to `srv`'s calls. Before ferry_server_listen()
 * (FERRY_FAILED_PRECONDITION after); FERRY_RESOURCE_EXHAUSTED past
 * FERRY_INTERCEPTORS_MAX; FERRY_INVALID_ARGUMENT without a hook. */
FERRY_NODISCARD ferry_status ferry_server_add_interceptor(ferry_server *srv,
                                                          const ferry_interceptor *ic);

/* A channel that runs the `n` interceptors `ics` around every call and
 * makes it on `inner`, which it takes over (also on failure). On success
 * *out is the channel to call and to close. */
FERRY_NODISCARD ferry_status ferry_channel_intercept(ferry_channel **out, ferry_channel *inner,
                                                     const ferry_interceptor *ics, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_INTERCEPT_H */
