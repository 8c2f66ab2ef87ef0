/* call.h - the handler-side call context shared by the server and the local
 * channel, and the code that runs one handler on one decoded request. */
#ifndef FERRYI_CALL_H
#define FERRYI_CALL_H

#include <stdatomic.h>
#include <stdint.h>

#include "ferry/ferry.h"
#include "base/arena.h"
#include "ops/trace.h"

/* The highest status a peer may send; FERRY_FALLBACK and above are local. */
#define FERRYI_STATUS_MAX_WIRE FERRY_PROTOCOL_ERROR

/* The longest deadline a call gets, ms (about 24 days): nng's timeouts are
 * signed 32-bit milliseconds. */
#define FERRYI_DEADLINE_MAX_MS 0x7fffff00u

struct ferry_call {
    const ferry_method *method;
    const ferry_service_impl *impl;
    uint64_t deadline_at_ms; /* monotonic; 0 = no deadline */
    uint32_t api_version;
    const char *client_name;
    const char *client_version;
    const ferry_metadata *metadata;
    size_t n_metadata;
    ferryi_arena arena;
    const ferry_identity *identity; /* verified caller, or NULL */
    int enforce_roles;              /* the server checks identities: roles apply */
    atomic_uint_fast64_t *denied;   /* counts refusals by roles, or NULL */
    char message[FERRY_MESSAGE_MAX];
    /* The request's broken rules when its validator refused it (arena
     * memory), else NULL. */
    const ferry_violations *violations;
    /* The call's trace when tracing is on (trace.c). */
    ferryi_trace trace;
    /* Set by ferryi_call_run() when the handler was called: a server counts
     * the call as handled, or as refused before its handler. */
    int handler_ran;
};

/* Prepares `call` for one call of `m` on `impl`; the arena is initialised. */
void ferryi_call_init(ferry_call *call, const ferry_service_impl *impl, const ferry_method *m);

/* Releases the call's arena; the call may be initialised again. */
void ferryi_call_fini(ferry_call *call);

/* Runs one call of call->method on `body`, checking in this order: the
 * deadline (FERRY_DEADLINE_EXCEEDED when it has passed), the roles the IDL
 * declares (FERRY_PERMISSION_DENIED, before the body is decoded), the body
 * as m->input decoded into the call's arena (FERRY_RESOURCE_EXHAUSTED or
 * FERRY_INVALID_ARGUMENT), the request's validation rules
 * (FERRY_INVALID_ARGUMENT, every violation in the message and in
 * call->violations), then the handler. On FERRY_OK the response (arena
 * memory) is in *resp; on failure the reason is in call->message and no
 * handler code ran unless the handler itself failed. */
ferry_status ferryi_call_run(ferry_call *call, const uint8_t *body, size_t body_len,
                             ProtobufCMessage **resp);

/* The deadline, in ms from now, of a call of `m` made with `opts` on a channel
 * whose default is `channel_default`: the call's own, else the method's IDL
 * default, else the channel's; never more than the parent call has left.
 * FERRY_DEADLINE_EXCEEDED when the parent has no time left. Never more than
 * FERRYI_DEADLINE_MAX_MS. */
ferry_status ferryi_call_deadline(const ferry_method *m, const ferry_call_opts *opts,
                                  uint32_t channel_default, uint32_t *out);

#endif
