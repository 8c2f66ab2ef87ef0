/* intercept.c - interceptors (ferry/intercept.h): the hook chains, and the
 * channel that runs them around the calls it hands to another channel. The
 * server's chain runs in server/engine.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "call/opts.h"
#include "ops/intercept.h"
#include "ops/pool.h"

ferry_status ferryi_hooks_add(ferryi_hooks *h, const ferry_interceptor *ic)
{
    if (ic == NULL || (ic->before == NULL && ic->after == NULL))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "an interceptor needs a before or an after function");
    if (h->n == FERRY_INTERCEPTORS_MAX)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "at most %d interceptors can be added",
                            FERRY_INTERCEPTORS_MAX);
    h->ics[h->n++] = *ic;
    return FERRY_OK;
}

ferry_status ferryi_hooks_before(const ferryi_hooks *h, const ferry_call_event *ev, char *why,
                                 size_t why_len, size_t *ran)
{
    *ran = h->n;
    for (size_t i = 0; i < h->n; i++) {
        if (h->ics[i].before == NULL)
            continue;
        why[0] = '\0';
        ferry_status st = h->ics[i].before(h->ics[i].arg, ev, why, why_len);
        if (st != FERRY_OK) {
            *ran = i + 1;
            if (why[0] == '\0')
                snprintf(why, why_len, "refused by an interceptor");
            /* FERRY_FALLBACK is no status to end a call with. */
            return st == FERRY_FALLBACK ? FERRY_INTERNAL : st;
        }
    }
    return FERRY_OK;
}

void ferryi_hooks_after(const ferryi_hooks *h, ferry_call_event *ev, size_t ran)
{
    for (size_t i = h->n; i-- > 0;)
        if (h->ics[i].after != NULL) {
            ev->admitted = i < ran;
            h->ics[i].after(h->ics[i].arg, ev);
        }
}

/* ---- the intercepting channel ------------------------------------------ */

/* The intercepting channel hands its calls straight to the inner channel's
 * ops, not through ferry_channel_call(): the call was checked, and its
 * client span begun, on the way in (channel.c). Going through again would
 * check it twice and trace one call as two client spans, one the parent of
 * the other, at the cost of a second span per call. */

typedef struct icept_channel {
    ferry_channel base;
    ferry_channel *inner;
    ferryi_hooks hooks;
} icept_channel;

/* The part of an event known when a client call starts. */
static ferry_call_event start_event(const ferry_method *m, const ProtobufCMessage *req,
                                    const ferry_call_opts *opts)
{
    return (ferry_call_event){
        .side = FERRY_SIDE_CLIENT,
        .method_name = m->full_name,
        .method = m,
        .metadata = opts != NULL ? opts->metadata : NULL,
        .n_metadata = opts != NULL ? opts->n_metadata : 0,
        .deadline_ms = opts != NULL ? opts->deadline_ms : 0,
        .client_name = "",
        .client_version = "",
        .request_bytes = protobuf_c_message_get_packed_size(req),
        .admitted = 1,
        .status = FERRY_OK,
        .message = "",
        .attempts = 1,
    };
}

/* Completes `ev` for the after hooks from how the call ended. */
static void end_event(ferry_call_event *ev, ferry_status st, const ProtobufCMessage *resp,
                      const ferry_call_info *info, uint64_t started_us)
{
    ev->status = st;
    ev->message = info != NULL ? info->message : "";
    ev->attempts = info != NULL && info->attempts > 0 ? info->attempts : 1;
    ev->reply_bytes = resp != NULL ? protobuf_c_message_get_packed_size(resp) : 0;
    ev->total_us = ferryi_now_us() - started_us;
    /* The caller's metadata may be gone by the time an asynchronous call
     * ends: the after hooks never see it. */
    ev->metadata = NULL;
    ev->n_metadata = 0;
}

static ferry_status icept_call(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *req, ProtobufCMessage **resp,
                               const ferry_call_opts *opts)
{
    icept_channel *ic = (icept_channel *)ch;
    uint64_t started = ferryi_now_us();
    ferry_call_event ev = start_event(m, req, opts);
    ferry_call_info local;
    ferry_call_opts o = opts != NULL ? *opts : (ferry_call_opts){0};
    ferry_call_info *info = o.info != NULL ? o.info : &local;
    o.info = info;
    memset(info, 0, sizeof *info);
    size_t ran = 0;
    ferry_status st =
        ferryi_hooks_before(&ic->hooks, &ev, info->message, sizeof info->message, &ran);
    if (st == FERRY_OK)
        st = ic->inner->ops->call(ic->inner, m, req, resp, &o);
    else
        info->status = st;
    end_event(&ev, st, *resp, info, started);
    ferryi_hooks_after(&ic->hooks, &ev, ran);
    return st;
}

/* An asynchronous call in flight: what its completion needs. */
typedef struct icept_async {
    icept_channel *ic;
    ferry_completion user;
    ferry_call_event ev;
    uint64_t started;
    size_t ran; /* interceptors the before hooks got to */
} icept_async;

/* Their blocks, kept for the next calls (pool.c says why). */
static ferryi_pool icept_pool = FERRYI_POOL_INIT(sizeof(icept_async), 256);

static void icept_done(const ferry_completion *c, ferry_status st, ProtobufCMessage *resp,
                       const ferry_call_info *info)
{
    icept_async *a = c->arg;
    end_event(&a->ev, st, resp, info, a->started);
    ferryi_hooks_after(&a->ic->hooks, &a->ev, a->ran);
    ferryi_pool_complete(&icept_pool, a, &a->user, st, resp, info);
}

static ferry_status icept_call_async(ferry_channel *ch, const ferry_method *m,
                                     const ProtobufCMessage *req, const ferry_call_opts *opts,
                                     const ferry_completion *done)
{
    icept_channel *ic = (icept_channel *)ch;
    icept_async *a = ferryi_pool_get(&icept_pool);
    if (a == NULL) {
        ferryi_opts_report(opts, FERRY_RESOURCE_EXHAUSTED, "out of memory", 0);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    a->ic = ic;
    a->user = *done;
    a->started = ferryi_now_us();
    a->ev = start_event(m, req, opts);
    /* The info is built only for a refusal: zeroing one (its message
     * buffer is most of it) on every call cost more than the hooks. */
    char why[FERRY_MESSAGE_MAX];
    ferry_status st = ferryi_hooks_before(&ic->hooks, &a->ev, why, sizeof why, &a->ran);
    if (st != FERRY_OK) {
        /* Refused: the call ends now, as a started call that failed. */
        ferry_call_info info = {.status = st};
        snprintf(info.message, sizeof info.message, "%s", why);
        if (opts != NULL && opts->info != NULL)
            *opts->info = info;
        ferry_completion self = {.invoke = icept_done, .arg = a};
        icept_done(&self, st, NULL, &info);
        return FERRY_OK;
    }
    /* The reason of a call the inner channel does not start goes to the
     * caller's info, or to `refused` when it asked for none. */
    ferry_call_info refused;
    ferry_call_opts o = opts != NULL ? *opts : (ferry_call_opts){0};
    if (o.info == NULL)
        o.info = &refused;
    o.info->message[0] = '\0';
    o.info->attempts = 0;
    ferry_completion wrap = {.invoke = icept_done, .arg = a};
    st = ic->inner->ops->call_async(ic->inner, m, req, &o, &wrap);
    if (st != FERRY_OK) {
        /* Not started: its completion never runs, so the call's after hooks
         * run here (a metrics interceptor counts it as ended). */
        if (o.info->message[0] == '\0')
            snprintf(o.info->message, sizeof o.info->message, "%s", ferry_status_str(st));
        o.info->status = st;
        end_event(&a->ev, st, NULL, o.info, a->started);
        ferryi_hooks_after(&ic->hooks, &a->ev, a->ran);
        ferryi_pool_put(&icept_pool, a);
    }
    return st;
}

static void icept_close(ferry_channel *ch)
{
    icept_channel *ic = (icept_channel *)ch;
    ferry_channel_close(ic->inner);
    free(ic);
}

static const ferry_channel_ops icept_ops = {
    .call = icept_call,
    .call_async = icept_call_async,
    .close = icept_close,
};

ferry_status ferry_channel_intercept(ferry_channel **out, ferry_channel *inner,
                                     const ferry_interceptor *ics, size_t n)
{
    ferryi_error_clear();
    if (out != NULL)
        *out = NULL;
    ferry_status st = FERRY_OK;
    icept_channel *ic = NULL;
    if (out == NULL || inner == NULL || (n > 0 && ics == NULL))
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "ferry_channel_intercept: an out pointer, a channel and the "
                          "interceptors are needed");
    else if (n > FERRY_INTERCEPTORS_MAX)
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED,
                          "ferry_channel_intercept: %zu interceptors; at most %d", n,
                          FERRY_INTERCEPTORS_MAX);
    else if ((ic = calloc(1, sizeof *ic)) == NULL)
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_channel_intercept: out of memory");
    for (size_t i = 0; st == FERRY_OK && i < n; i++)
        st = ferryi_hooks_add(&ic->hooks, &ics[i]);
    if (st != FERRY_OK) {
        free(ic);
        ferry_channel_close(inner);
        return st;
    }
    ic->base.ops = &icept_ops;
    ic->inner = inner;
    *out = &ic->base;
    return FERRY_OK;
}
