/* local.c - the local channel: runs calls on handler tables in process.
 *
 * Requests and responses go through protobuf encoding exactly as on the wire,
 * so a caller gets the same bytes, the same unknown-field behaviour and the
 * same ownership as from a remote call; only the transport is skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call/call.h"
#include "call/opts.h"
#include "call/channel_sync.h"
#include "base/clock.h"
#include "base/error.h"
#include "wire/envelope.h"
#include "call/registry.h"

typedef struct local_channel {
    ferry_channel base;
    ferryi_registry reg;
} local_channel;

/* A local call makes no attempts on a network: info.attempts stays 0. */
static void fill_info(const ferry_call_opts *opts, ferry_status st, const char *msg)
{
    ferryi_opts_report(opts, st, msg, 0);
}

static ferry_status local_call(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *req, ProtobufCMessage **resp,
                               const ferry_call_opts *opts)
{
    local_channel *lc = (local_channel *)ch;
    const ferry_service_impl *impl = NULL;
    const ferry_method *found = ferryi_registry_find(&lc->reg, m->full_name, &impl);
    char msg[FERRY_MESSAGE_MAX];
    if (found == NULL) {
        snprintf(msg, sizeof msg, "unknown method %s", m->full_name);
        fill_info(opts, FERRY_UNIMPLEMENTED, msg);
        return FERRY_UNIMPLEMENTED;
    }

    if (ferryi_opts_check_metadata(opts, msg, sizeof msg) != FERRY_OK) {
        fill_info(opts, FERRY_INVALID_ARGUMENT, msg);
        return FERRY_INVALID_ARGUMENT;
    }

    size_t req_len = protobuf_c_message_get_packed_size(req);
    uint8_t stackbuf[512];
    uint8_t *req_bytes = req_len <= sizeof stackbuf ? stackbuf : malloc(req_len);
    if (req_bytes == NULL) {
        fill_info(opts, FERRY_RESOURCE_EXHAUSTED, "out of memory");
        return FERRY_RESOURCE_EXHAUSTED;
    }
    protobuf_c_message_pack(req, req_bytes);

    uint32_t deadline = 0;
    if (ferryi_call_deadline(found, opts, 0, &deadline) != FERRY_OK) {
        snprintf(msg, sizeof msg, "the calling handler's deadline has passed; %s was not called",
                 m->full_name);
        fill_info(opts, FERRY_DEADLINE_EXCEEDED, msg);
        if (req_bytes != stackbuf)
            free(req_bytes);
        return FERRY_DEADLINE_EXCEEDED;
    }
    ferry_call call;
    ferryi_call_init(&call, impl, found);
    if (deadline != 0)
        call.deadline_at_ms = ferryi_now_ms() + deadline;
    call.api_version = found->service->api_version;
    call.client_name = "local";
    call.client_version = FERRY_VERSION_STRING;
    if (opts != NULL) {
        call.metadata = opts->metadata;
        call.n_metadata = opts->n_metadata;
    }
    if (ferryi_trace_on())
        ferryi_trace_server_begin(&call.trace, call.metadata, call.n_metadata, ferryi_now_us());

    ProtobufCMessage *out = NULL;
    ferry_status st = ferryi_call_run(&call, req_bytes, req_len, &out);
    if (req_bytes != stackbuf)
        free(req_bytes);
    if (st == FERRY_OK) {
        /* Copy the response out of the call's arena the way the wire would. */
        size_t n = protobuf_c_message_get_packed_size(out);
        uint8_t *bytes = malloc(n ? n : 1);
        if (bytes != NULL) {
            protobuf_c_message_pack(out, bytes);
            *resp = protobuf_c_message_unpack(m->output, NULL, n, bytes);
            free(bytes);
        }
        if (*resp == NULL)
            st = ferry_call_fail(&call, FERRY_RESOURCE_EXHAUSTED,
                                 "out of memory copying the "
                                 "response");
    }
    fill_info(opts, st, st == FERRY_OK ? "" : call.message);
    ferryi_trace_server_end(&call.trace, m->full_name, st, st == FERRY_OK ? "" : call.message,
                            ferryi_now_us());
    if (opts != NULL && opts->violations != NULL) {
        if (call.violations != NULL)
            *opts->violations = *call.violations;
        else
            opts->violations->count = opts->violations->total = 0;
    }
    ferryi_call_fini(&call);
    return st;
}

static void local_close(ferry_channel *ch)
{
    local_channel *lc = (local_channel *)ch;
    ferryi_registry_fini(&lc->reg);
    free(lc);
}

static const ferry_channel_ops local_ops = {
    .call = local_call,
    .call_async = ferryi_call_async_now,
    .close = local_close,
};

ferry_status ferry_local_open(ferry_channel **out, const ferry_service_impl *impl)
{
    ferryi_error_clear();
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_local_open: no out pointer");
    *out = NULL;
    local_channel *lc = calloc(1, sizeof *lc);
    if (lc == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_local_open: out of memory");
    lc->base.ops = &local_ops;
    ferryi_registry_init(&lc->reg);
    if (impl != NULL) {
        ferry_status st = ferryi_registry_add(&lc->reg, impl);
        if (st != FERRY_OK) {
            local_close(&lc->base);
            return st;
        }
    }
    *out = &lc->base;
    return FERRY_OK;
}

ferry_status ferry_local_add(ferry_channel *ch, const ferry_service_impl *impl)
{
    ferryi_error_clear();
    if (ch == NULL || ch->ops != &local_ops || impl == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_local_add: %s",
                            impl == NULL ? "no service given" : "not a local channel");
    return ferryi_registry_add(&((local_channel *)ch)->reg, impl);
}
