/* channel.c - the entry points every generated client function calls; they
 * check the arguments once and hand the call to the channel's vtable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/ferry.h"

#include "call/channel_sync.h"
#include "call/opts.h"
#include "ops/pool.h"
#include "ops/trace_client.h"

/* What every call starts with: the caller's violations list emptied (so
 * that a call refused before any channel's own checks shows none of an
 * earlier call's), then the arguments checked; a refusal is reported in
 * opts->info. */
static ferry_status check_call(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *req, const ferry_call_opts *opts)
{
    if (opts != NULL && opts->violations != NULL)
        opts->violations->count = opts->violations->total = 0;
    const char *why = NULL;
    if (ch == NULL || ch->ops == NULL)
        why = "channel is NULL";
    else if (m == NULL || m->input == NULL || m->output == NULL)
        why = "method descriptor is NULL or incomplete";
    else if (req == NULL)
        why = "request is NULL";
    else if (req->descriptor != m->input)
        why = "request is not of the method's input type";
    else if (opts != NULL && opts->n_metadata > 0 && opts->metadata == NULL)
        why = "n_metadata is set but metadata is NULL";
    if (why == NULL)
        return FERRY_OK;
    ferryi_opts_report(opts, FERRY_INVALID_ARGUMENT, why, 0);
    return FERRY_INVALID_ARGUMENT;
}

ferry_status ferry_channel_call(ferry_channel *ch, const ferry_method *m,
                                const ProtobufCMessage *req, ProtobufCMessage **resp,
                                const ferry_call_opts *opts)
{
    if (resp == NULL) {
        ferryi_opts_report(opts, FERRY_INVALID_ARGUMENT, "resp is NULL", 0);
        return FERRY_INVALID_ARGUMENT;
    }
    *resp = NULL;
    ferry_status st = check_call(ch, m, req, opts);
    if (st != FERRY_OK)
        return st;
    if (!ferryi_trace_on())
        return ch->ops->call(ch, m, req, resp, opts);
    ferryi_client_span span;
    const ferry_call_opts *o = ferryi_trace_client_begin(&span, opts);
    st = ch->ops->call(ch, m, req, resp, o);
    ferryi_trace_client_end(&span, m->full_name, st, o->info);
    return st;
}

/* An asynchronous traced call in flight: its span and the caller's
 * completion. */
typedef struct traced_async {
    ferryi_client_span span;
    const ferry_method *m;
    ferry_completion user;
} traced_async;

/* Their blocks, kept for the next calls (ops/pool.c says why); as many as
 * a busy program keeps in flight. */
static ferryi_pool traced_pool = FERRYI_POOL_INIT(sizeof(traced_async), 256);

static void traced_done(const ferry_completion *c, ferry_status st, ProtobufCMessage *resp,
                        const ferry_call_info *info)
{
    traced_async *a = c->arg;
    ferryi_trace_client_end(&a->span, a->m->full_name, st, info);
    ferryi_pool_complete(&traced_pool, a, &a->user, st, resp, info);
}

ferry_status ferry_channel_call_async(ferry_channel *ch, const ferry_method *m,
                                      const ProtobufCMessage *req, const ferry_call_opts *opts,
                                      const ferry_completion *done)
{
    if (done == NULL || done->invoke == NULL) {
        ferryi_opts_report(opts, FERRY_INVALID_ARGUMENT, "completion is NULL", 0);
        return FERRY_INVALID_ARGUMENT;
    }
    ferry_status st = check_call(ch, m, req, opts);
    if (st != FERRY_OK)
        return st;
    traced_async *a = ferryi_trace_on() ? ferryi_pool_get(&traced_pool) : NULL;
    if (a == NULL)
        return ch->ops->call_async(ch, m, req, opts, done);
    a->m = m;
    a->user = *done;
    const ferry_call_opts *o = ferryi_trace_client_begin(&a->span, opts);
    ferry_completion wrap = {.invoke = traced_done, .arg = a};
    st = ch->ops->call_async(ch, m, req, o, &wrap);
    if (st != FERRY_OK) {
        /* Not started: its completion never runs, so the span ends here
         * (with the reason, when the options carried an info for it). */
        ferryi_trace_client_end(&a->span, m->full_name, st, o->info);
        ferryi_pool_put(&traced_pool, a);
    }
    return st;
}

void ferry_channel_close(ferry_channel *ch)
{
    if (ch != NULL && ch->ops != NULL)
        ch->ops->close(ch);
}

void ferry_message_free(ProtobufCMessage *msg)
{
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
}

const ferry_method *ferry_service_find_method(const ferry_service_desc *svc, const char *name)
{
    if (svc == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < svc->n_methods; i++)
        if (strcmp(svc->methods[i].full_name, name) == 0 || strcmp(svc->methods[i].name, name) == 0)
            return &svc->methods[i];
    return NULL;
}

ferry_status ferryi_call_async_now(ferry_channel *ch, const ferry_method *m,
                                   const ProtobufCMessage *req, const ferry_call_opts *opts,
                                   const ferry_completion *done)
{
    ferry_call_info info;
    ferry_call_opts o = opts != NULL ? *opts : (ferry_call_opts){0};
    ferry_call_info *user_info = o.info;
    o.info = &info;
    ProtobufCMessage *resp = NULL;
    ferry_status st = ch->ops->call(ch, m, req, &resp, &o);
    if (user_info != NULL)
        *user_info = info;
    done->invoke(done, st, resp, &info);
    return FERRY_OK;
}
