/* call.c - ferry_call: what a handler sees of its call, and running it. */
#include <stdio.h>
#include <string.h>

#include <pbdepth.h>

#include "call/call.h"
#include "base/clock.h"

void ferryi_call_init(ferry_call *call, const ferry_service_impl *impl, const ferry_method *m)
{
    call->method = m;
    call->impl = impl;
    call->deadline_at_ms = 0;
    call->api_version = 0;
    call->client_name = "";
    call->client_version = "";
    call->metadata = NULL;
    call->n_metadata = 0;
    call->trace.on = 0;
    call->message[0] = '\0';
    call->identity = NULL;
    call->enforce_roles = 0;
    call->denied = NULL;
    call->violations = NULL;
    call->handler_ran = 0;
    ferryi_arena_init(&call->arena);
}

void ferryi_call_fini(ferry_call *call)
{
    call->violations = NULL; /* arena memory */
    ferryi_arena_fini(&call->arena);
}

ferry_status ferryi_call_run(ferry_call *call, const uint8_t *body, size_t body_len,
                             ProtobufCMessage **resp)
{
    const ferry_method *m = call->method;
    *resp = NULL;
    if (call->deadline_at_ms != 0 && ferryi_now_ms() >= call->deadline_at_ms)
        return ferry_call_fail(call, FERRY_DEADLINE_EXCEEDED,
                               "deadline passed before %s could start", m->full_name);
    /* Roles before the body: a caller the method refuses costs the server
     * no decoding, and learns nothing from how its body was judged. */
    ferry_status allowed = ferry_call_require_roles(call, m->opts.roles, m->opts.n_roles);
    if (allowed != FERRY_OK)
        return allowed;

    if (!ferry_pb_depth_ok(m->input, body, body_len))
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT,
                               "request body nests messages more than %d levels deep",
                               FERRY_PB_DEPTH_MAX);
    ProtobufCMessage *req = protobuf_c_message_unpack(m->input, &call->arena.pb, body_len, body);
    if (req == NULL && call->arena.exhausted)
        return ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED,
                               "decoding the %zu-byte %s needs more than the %zu bytes a call may "
                               "use",
                               body_len, m->input->name, call->arena.limit);
    if (req == NULL)
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT,
                               "request body (%zu bytes) is not a valid %s", body_len,
                               m->input->name);

    if (m->validate != NULL) {
        /* The IDL's rules before any handler code: a refused request never
         * reaches it, on a server and on a local channel alike. */
        ferry_violations found;
        if (ferry_validate(m, req, &found) != FERRY_OK) {
            ferry_violations *kept = ferryi_arena_alloc(&call->arena, sizeof *kept);
            if (kept != NULL) {
                memcpy(kept, &found, sizeof found);
                call->violations = kept;
            }
            char list[FERRY_MESSAGE_MAX];
            ferry_violations_format(&found, list, sizeof list);
            return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "invalid %s: %s", m->input->name,
                                   list);
        }
    }

    ProtobufCMessage *out = ferryi_arena_alloc(&call->arena, m->output->sizeof_message);
    if (out == NULL)
        return ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_init(m->output, out);

    call->handler_ran = 1;
    ferry_status st =
        call->impl->invoke[m->index](call->impl->handlers, call->impl->user, call, req, out);
    if (st == FERRY_FALLBACK || st < FERRY_OK || st > FERRYI_STATUS_MAX_WIRE) {
        /* FERRY_FALLBACK is a client's verdict; no peer may send it. */
        char was[FERRY_MESSAGE_MAX];
        snprintf(was, sizeof was, "%s", call->message);
        return ferry_call_fail(
            call, FERRY_INTERNAL,
            "handler of %s returned status %d, which a handler may not return%s%s", m->full_name,
            (int)st, was[0] ? ": " : "", was);
    }
    if (st != FERRY_OK) {
        if (call->message[0] == '\0')
            snprintf(call->message, sizeof call->message, "%s failed: %s", m->full_name,
                     ferry_status_str(st));
        return st;
    }
    if (!protobuf_c_message_check(out))
        return ferry_call_fail(call, FERRY_INTERNAL,
                               "handler of %s returned an incomplete %s (a required field or a "
                               "NULL string is missing)",
                               m->full_name, m->output->name);
    *resp = out;
    return FERRY_OK;
}

ferry_status ferryi_call_deadline(const ferry_method *m, const ferry_call_opts *opts,
                                  uint32_t channel_default, uint32_t *out)
{
    uint32_t d = opts != NULL && opts->deadline_ms != 0 ? opts->deadline_ms
                 : m->opts.deadline_ms != 0             ? m->opts.deadline_ms
                                                        : channel_default;
    if (opts != NULL && opts->parent != NULL) {
        uint32_t left = ferry_call_remaining_ms(opts->parent);
        if (left == 0)
            return FERRY_DEADLINE_EXCEEDED;
        if (left != UINT32_MAX && (d == 0 || left < d))
            d = left;
    }
    /* nng counts time in signed 32-bit milliseconds. */
    *out = d > FERRYI_DEADLINE_MAX_MS ? FERRYI_DEADLINE_MAX_MS : d;
    return FERRY_OK;
}

const ferryi_trace *ferryi_call_trace(const ferry_call *call)
{
    return call->trace.on ? &call->trace : NULL;
}

/* ---- the public accessors of ferry/service.h ---- */

const ferry_method *ferry_call_method(const ferry_call *call)
{
    return call->method;
}

uint32_t ferry_call_remaining_ms(const ferry_call *call)
{
    if (call->deadline_at_ms == 0)
        return UINT32_MAX;
    uint64_t now = ferryi_now_ms();
    if (now >= call->deadline_at_ms)
        return 0;
    uint64_t left = call->deadline_at_ms - now;
    return left >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)left;
}

uint32_t ferry_call_api_version(const ferry_call *call)
{
    return call->api_version;
}

const ferry_identity *ferry_call_identity(const ferry_call *call)
{
    return call->identity;
}

ferry_status ferry_call_require_roles(ferry_call *call, const char *const *roles, size_t n_roles)
{
    if (!call->enforce_roles)
        return FERRY_OK;
    const ferry_identity *id = call->identity;
    for (size_t i = 0; i < n_roles; i++) {
        int has = 0;
        for (size_t j = 0; id != NULL && j < id->n_roles && !has; j++)
            has = strcmp(id->roles[j], roles[i]) == 0;
        if (!has) {
            if (call->denied != NULL)
                atomic_fetch_add(call->denied, 1);
            return ferry_call_fail(
                call, FERRY_PERMISSION_DENIED, "%s needs role \"%s\", which %s%s%s does not have",
                call->method->full_name, roles[i], id != NULL ? "caller \"" : "an anonymous caller",
                id != NULL ? id->name : "", id != NULL ? "\"" : "");
        }
    }
    return FERRY_OK;
}

const char *ferry_call_client_name(const ferry_call *call)
{
    return call->client_name;
}

const char *ferry_call_client_version(const ferry_call *call)
{
    return call->client_version;
}

const uint8_t *ferry_call_metadata(const ferry_call *call, const char *key, size_t *len)
{
    for (size_t i = 0; i < call->n_metadata; i++) {
        if (strcmp(call->metadata[i].key, key) == 0) {
            if (len != NULL)
                *len = call->metadata[i].len;
            return call->metadata[i].value;
        }
    }
    return NULL;
}

void *ferry_call_alloc(ferry_call *call, size_t size)
{
    return ferryi_arena_alloc(&call->arena, size);
}

char *ferry_call_strdup(ferry_call *call, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = ferryi_arena_alloc(&call->arena, n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

ferry_status ferry_call_fail(ferry_call *call, ferry_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->message, sizeof call->message, fmt, ap);
    va_end(ap);
    return st;
}
