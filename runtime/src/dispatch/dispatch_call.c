/* dispatch_call.c - a call through the dispatcher (dispatch.c opens and
 * configures it): the method's route read with one atomic load and
 * followed to the end, the local and remote legs, the canary's per-call
 * choice, the local fallback, and shadow calls, synchronous and
 * asynchronous.
 *
 * Changing routes never drops or repeats a call: each call keeps the route
 * it read. A shadow call is an asynchronous remote call started before the
 * local call runs; the local answer is packed into a shadow record, and
 * whichever of the two finishes last compares them (dispatch_stats.c
 * counts and logs), so the caller never waits for the remote.
 *
 * A synchronous and an asynchronous call differ only in how their leg (the
 * call on the local or the remote channel) is made: both are routed by
 * route_call() and ended by leg_done(), which counts them and answers a
 * remote failure locally, so the two kinds cannot drift apart. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "call/opts.h"
#include "dispatch/dispatch_chan.h"
#include "ops/trace.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* The index of `m` in the dispatcher's service, or -1. */
long ferryi_dispatch_method_index(const ferryi_dispatcher *d, const ferry_method *m)
{
    if (m == NULL)
        return -1;
    if (m->service == d->svc && m->index < d->svc->n_methods && &d->svc->methods[m->index] == m)
        return (long)m->index;
    /* The same method from another copy of the descriptor. */
    for (size_t i = 0; i < d->svc->n_methods; i++)
        if (m->full_name != NULL && strcmp(d->svc->methods[i].full_name, m->full_name) == 0)
            return (long)i;
    return -1;
}

/* A uniformly spread 64-bit number per call (splitmix64 over a counter). */
static uint64_t next_random(ferryi_dispatcher *d)
{
    uint64_t z = atomic_fetch_add(&d->rng, 0x9e3779b97f4a7c15ull) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Failures after which a local fallback answers instead. */
static int transport_failure(ferry_status st)
{
    return st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED || st == FERRY_FALLBACK;
}

/* Ends a call with `st`: `info` says so (a leg that refused without a word
 * gets the status's name) and goes to the caller when it asked for it. */
static ferry_status end_call(const ferry_call_opts *opts, ferry_call_info *info, ferry_status st)
{
    if (st != FERRY_OK && info->message[0] == '\0')
        snprintf(info->message, sizeof info->message, "%s", ferry_status_str(st));
    return ferryi_opts_finish(opts, info, st);
}

/* Whether the route shadows method `m`: read-only or idempotent methods, or
 * any with the side-effects opt-in. */
static int shadowable(const ferry_method *m, const ferry_route *r)
{
    return m->opts.read_only || m->opts.idempotent || r->side_effects;
}

/* ------------------------------------------------------------------------
 * Shadow calls
 * ---------------------------------------------------------------------- */

/* Takes a shadow slot, or returns 0 when max_inflight are in flight. */
static int shadow_admit(ferryi_dispatcher *d)
{
    pthread_mutex_lock(&d->mu);
    int ok = d->inflight < d->max_inflight && !d->closing;
    if (ok)
        d->inflight++;
    pthread_mutex_unlock(&d->mu);
    return ok;
}

static void shadow_release(ferryi_dispatcher *d)
{
    pthread_mutex_lock(&d->mu);
    if (--d->inflight == 0)
        pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* One side of a shadow record is done; the last one compares. */
static void shadow_arrive(ferryi_shadow *s)
{
    if (atomic_fetch_sub(&s->left, 1) != 1)
        return;
    ferryi_dispatcher *d = s->d;
    ferryi_shadow_compare(d, s);
    ferry_message_free(s->remote_resp);
    free(s->local_bytes);
    free(s);
    shadow_release(d);
}

static void shadow_remote_done(const ferry_completion *c, ferry_status st, ProtobufCMessage *resp,
                               const ferry_call_info *info)
{
    ferryi_shadow *s = c->arg;
    ferryi_hist_add(&s->cell->remote, ferryi_now_us() - s->t0);
    s->remote_st = st;
    s->remote_resp = resp;
    if (info != NULL)
        snprintf(s->remote_msg, sizeof s->remote_msg, "%s", info->message);
    shadow_arrive(s);
}

/* Starts the remote half of a shadow call; NULL when it is skipped. */
static ferryi_shadow *shadow_start(ferryi_dispatcher *d, ferryi_cell *c, long idx,
                                   const ferry_method *m, const ProtobufCMessage *req,
                                   const ferry_call_opts *opts)
{
    if (!shadow_admit(d)) {
        atomic_fetch_add(&c->shadow_skipped, 1);
        return NULL;
    }
    ferryi_shadow *s = calloc(1, sizeof *s);
    if (s == NULL) {
        atomic_fetch_add(&c->shadow_skipped, 1);
        shadow_release(d);
        return NULL;
    }
    s->d = d;
    s->cell = c;
    s->method = idx;
    s->m = m;
    atomic_init(&s->left, 2);
    s->t0 = ferryi_now_us();
    ferry_call_opts o = opts != NULL ? *opts : (ferry_call_opts){0};
    o.info = NULL;
    /* The caller's list belongs to the answer it gets, and the shadow call
     * may complete after the caller has returned. */
    o.violations = NULL;
    if (d->shadow_deadline_ms != 0 && (opts == NULL || opts->deadline_ms == 0))
        o.deadline_ms = d->shadow_deadline_ms;
    ferry_completion done = {.invoke = shadow_remote_done, .arg = s};
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    o.info = &info;
    atomic_fetch_add(&c->shadowed, 1);
    ferryi_trace_mark_shadow(1); /* its span says it is the shadow */
    ferry_status st = ferry_channel_call_async(d->remote, m, req, &o, &done);
    ferryi_trace_mark_shadow(0);
    if (st != FERRY_OK) {
        /* Not started: the completion never runs; this is the remote's result. */
        s->remote_st = st;
        snprintf(s->remote_msg, sizeof s->remote_msg, "%s", info.message);
        ferryi_hist_add(&c->remote, ferryi_now_us() - s->t0);
        atomic_fetch_sub(&s->left, 1);
    }
    return s;
}

/* Hands the local result to the shadow record (packing the response, which
 * the caller keeps). */
static void shadow_local(ferryi_shadow *s, ferry_status st, const ProtobufCMessage *resp)
{
    s->local_st = st;
    if (resp != NULL && (st == FERRY_OK || st == FERRY_FALLBACK)) {
        size_t n = protobuf_c_message_get_packed_size(resp);
        s->local_bytes = malloc(n ? n : 1);
        if (s->local_bytes != NULL) {
            protobuf_c_message_pack(resp, s->local_bytes);
            s->local_len = n;
        } else {
            s->local_st = FERRY_RESOURCE_EXHAUSTED; /* counted as not compared */
            s->oom = 1;
        }
    }
    shadow_arrive(s);
}

/* ------------------------------------------------------------------------
 * The end of a call's leg: both kinds of call end here
 * ---------------------------------------------------------------------- */

/* The caller's options with `info` (emptied) in place of theirs: a leg's
 * detail is read here before the caller gets it. */
static ferry_call_opts leg_opts(const ferry_call_opts *opts, ferry_call_info *info)
{
    ferry_call_opts o = opts != NULL ? *opts : (ferry_call_opts){0};
    memset(info, 0, sizeof *info);
    o.info = info;
    return o;
}

/* Counts in `c` a local leg that ended with `st` after `took_us`. */
static void local_done(ferryi_cell *c, ferry_status st, uint64_t took_us)
{
    ferryi_hist_add(&c->local, took_us);
    if (ferryi_dispatch_no_answer(st) && st != FERRY_FALLBACK)
        atomic_fetch_add(&c->local_errors, 1);
    atomic_fetch_add(&c->to_local, 1);
}

/* A remote call ended with `st` after `took_us`: counts it and, when the
 * route has a local fallback and the remote failed as a transport fails,
 * answers it locally with `req` (NULL: it could not be kept, and the remote
 * failure stands) on the calling thread. */
static ferry_status remote_done(ferryi_dispatcher *d, ferryi_cell *c, const ferry_route *r,
                                const ferry_method *m, const ProtobufCMessage *req, ferry_status st,
                                uint64_t took_us, ProtobufCMessage **resp,
                                const ferry_call_opts *opts, ferry_call_info *info)
{
    ferryi_hist_add(&c->remote, took_us);
    if (ferryi_dispatch_no_answer(st))
        atomic_fetch_add(&c->remote_errors, 1);
    if (!r->local_fallback || !transport_failure(st) || req == NULL) {
        atomic_fetch_add(&c->to_remote, 1);
        if (st == FERRY_FALLBACK)
            atomic_fetch_add(&c->fallbacks, 1);
        return st;
    }
    ferry_message_free(*resp);
    *resp = NULL;
    char cause[FERRY_MESSAGE_MAX];
    snprintf(cause, sizeof cause, "%s", info->message);
    ferry_status rst = st;
    ferry_call_opts o = leg_opts(opts, info);
    uint64_t t0 = ferryi_now_us();
    st = ferry_channel_call(d->local, m, req, resp, &o);
    local_done(c, st, ferryi_now_us() - t0);
    if (st == FERRY_OK) {
        st = FERRY_FALLBACK;
        atomic_fetch_add(&c->fallbacks, 1);
        info->status = st;
        snprintf(info->message, sizeof info->message,
                 "answered locally after the remote failed (%s: %.180s)", ferry_status_str(rst),
                 cause);
    }
    return st;
}

/* ------------------------------------------------------------------------
 * The channel vtable
 * ---------------------------------------------------------------------- */

/* Where a call goes, decided once when it starts. */
typedef struct routed {
    ferry_route r;         /* its method's route, read with one atomic load */
    ferryi_cell *c;        /* the counters of the method at the route's stage */
    int remote;            /* it goes to the remote channel (the canary's draw made) */
    ferryi_shadow *shadow; /* the shadow call started alongside, if any */
} routed;

/* Routes a call of `m` with `req` and counts it, starting its shadow call
 * when the route has one; FERRY_OK, or FERRY_INVALID_ARGUMENT (reported in
 * opts->info) for a method of another service. */
static ferry_status route_call(ferryi_dispatcher *d, const ferry_method *m,
                               const ProtobufCMessage *req, const ferry_call_opts *opts, routed *to)
{
    long idx = ferryi_dispatch_method_index(d, m);
    if (idx < 0) {
        char msg[FERRY_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s is not a method of %s, the service this dispatcher routes",
                 m->full_name, d->svc->full_name);
        ferryi_opts_report(opts, FERRY_INVALID_ARGUMENT, msg, 0);
        return FERRY_INVALID_ARGUMENT;
    }
    ferryi_method_state *ms = &d->ms[idx];
    to->r = ferryi_route_unpack(atomic_load(&ms->route));
    to->c = &ms->cells[to->r.stage];
    atomic_fetch_add(&to->c->calls, 1);
    to->remote =
        to->r.stage == FERRY_STAGE_REMOTE ||
        (to->r.stage == FERRY_STAGE_CANARY && next_random(d) % 100u < to->r.canary_percent);
    to->shadow = NULL;
    if (to->r.stage == FERRY_STAGE_SHADOW) {
        if (shadowable(m, &to->r))
            to->shadow = shadow_start(d, to->c, idx, m, req, opts);
        else
            atomic_fetch_add(&to->c->shadow_skipped, 1);
    }
    return FERRY_OK;
}

/* The end of a call routed `to` whose leg (the call on the local or the
 * remote channel) ended with `st` after `took_us`: counted, a remote
 * transport failure answered locally when the route has a local fallback
 * (`req` and `opts` the caller's, or NULL once they are gone: the failure
 * then stands), the local answer handed to the shadow record. The one
 * place for both kinds of call. */
static ferry_status leg_done(ferryi_dispatcher *d, const ferry_method *m, const routed *to,
                             const ProtobufCMessage *req, ferry_status st, uint64_t took_us,
                             ProtobufCMessage **resp, const ferry_call_opts *opts,
                             ferry_call_info *info)
{
    if (to->remote)
        return remote_done(d, to->c, &to->r, m, req, st, took_us, resp, opts, info);
    local_done(to->c, st, took_us);
    if (to->shadow != NULL)
        shadow_local(to->shadow, st, *resp);
    return st;
}

ferry_status ferryi_dispatch_call(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *req, ProtobufCMessage **resp,
                                  const ferry_call_opts *opts)
{
    ferryi_dispatcher *d = (ferryi_dispatcher *)ch;
    routed to;
    ferry_status st = route_call(d, m, req, opts, &to);
    if (st != FERRY_OK)
        return st;
    ferry_call_info info;
    ferry_call_opts o = leg_opts(opts, &info);
    uint64_t t0 = ferryi_now_us();
    st = ferry_channel_call(to.remote ? d->remote : d->local, m, req, resp, &o);
    st = leg_done(d, m, &to, req, st, ferryi_now_us() - t0, resp, opts, &info);
    return end_call(opts, &info, st);
}

/* An asynchronous call in flight: what its completion needs to end it
 * (leg_done()) and, for a local fallback, what the caller's memory held:
 * the request (packed), the options with their metadata copied and the
 * caller's violations list (valid until the completion has run), and when
 * the calling handler's own time ends. */
typedef struct pending {
    ferryi_dispatcher *d;
    const ferry_method *m;
    routed to;
    uint64_t t0;
    ferry_completion user;
    uint8_t *req_bytes; /* NULL: nothing kept, and a remote failure stands */
    size_t req_len;
    ferry_call_opts opts; /* no info and no parent: both are gone by then */
    ferry_metadata *md;
    uint64_t parent_until; /* ms on ferry's clock; 0: no parent, or one without a deadline */
} pending;

static void pending_free(pending *p)
{
    free(p->req_bytes);
    ferryi_metadata_free(p->md, p->opts.n_metadata);
    free(p);
}

/* Keeps what a local fallback of a remote call needs once call_async has
 * returned. Out of memory, nothing is kept: the remote's failure then
 * stands, as the route had no fallback. */
static void keep_for_fallback(pending *p, const ProtobufCMessage *req, const ferry_call_opts *opts)
{
    p->opts = opts != NULL ? *opts : (ferry_call_opts){0};
    p->opts.info = NULL;
    p->opts.parent = NULL;
    if (opts != NULL && opts->parent != NULL) {
        uint32_t left = ferry_call_remaining_ms(opts->parent);
        if (left != UINT32_MAX)
            p->parent_until = ferryi_now_ms() + left;
    }
    p->opts.metadata = NULL;
    if (p->opts.n_metadata > 0) {
        p->md = ferryi_metadata_dup(opts->metadata, p->opts.n_metadata);
        if (p->md == NULL)
            return;
        p->opts.metadata = p->md;
    }
    p->req_len = protobuf_c_message_get_packed_size(req);
    p->req_bytes = malloc(p->req_len ? p->req_len : 1);
    if (p->req_bytes != NULL)
        protobuf_c_message_pack(req, p->req_bytes);
}

/* The request and options of the local fallback of an asynchronous call
 * whose remote failed: what keep_for_fallback() kept, its deadline no more
 * than the calling handler has left, as a synchronous call's is. NULL when
 * nothing was kept, or the calling handler has no time left: the remote's
 * failure then stands. */
static ProtobufCMessage *kept_request(const pending *p, ferry_call_opts *o)
{
    if (p->req_bytes == NULL)
        return NULL;
    *o = p->opts;
    if (p->parent_until != 0) {
        uint64_t now = ferryi_now_ms();
        if (now >= p->parent_until)
            return NULL;
        uint64_t left = p->parent_until - now;
        uint32_t d = o->deadline_ms != 0 ? o->deadline_ms : p->m->opts.deadline_ms;
        if (d == 0 || left < d)
            o->deadline_ms = (uint32_t)left;
    }
    return protobuf_c_message_unpack(p->m->input, NULL, p->req_len, p->req_bytes);
}

static void pending_done(const ferry_completion *comp, ferry_status st, ProtobufCMessage *resp,
                         const ferry_call_info *info)
{
    pending *p = comp->arg;
    ferry_call_info out;
    if (info != NULL)
        out = *info;
    else
        memset(&out, 0, sizeof out);
    /* The request is decoded again only for a local fallback, which runs
     * here, on the completing thread. */
    ProtobufCMessage *req = NULL;
    ferry_call_opts o;
    if (p->to.remote && p->to.r.local_fallback && transport_failure(st))
        req = kept_request(p, &o);
    st = leg_done(p->d, p->m, &p->to, req, st, ferryi_now_us() - p->t0, &resp,
                  req != NULL ? &o : NULL, &out);
    if (req != NULL)
        protobuf_c_message_free_unpacked(req, NULL);
    out.status = st;
    ferry_completion user = p->user;
    pending_free(p);
    user.invoke(&user, st, resp, &out);
}

ferry_status ferryi_dispatch_call_async(ferry_channel *ch, const ferry_method *m,
                                        const ProtobufCMessage *req, const ferry_call_opts *opts,
                                        const ferry_completion *done)
{
    pending *p = calloc(1, sizeof *p);
    if (p == NULL) {
        ferryi_opts_report(opts, FERRY_RESOURCE_EXHAUSTED, "out of memory", 0);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    p->d = (ferryi_dispatcher *)ch;
    p->m = m;
    p->user = *done;
    ferry_status st = route_call(p->d, m, req, opts, &p->to);
    if (st != FERRY_OK) {
        free(p);
        return st;
    }
    if (p->to.remote && p->to.r.local_fallback)
        keep_for_fallback(p, req, opts);
    ferry_call_info info;
    ferry_call_opts o = leg_opts(opts, &info);
    ferry_completion mine = {.invoke = pending_done, .arg = p};
    ferry_channel *leg = p->to.remote ? p->d->remote : p->d->local;
    p->t0 = ferryi_now_us();
    st = ferry_channel_call_async(leg, m, req, &o, &mine);
    if (st == FERRY_OK)
        return FERRY_OK;
    /* Not started, so the completion will not run: the call ends here, as a
     * synchronous call ends. A remote that refused it at once (say with its
     * breaker open) is answered locally when the route says so, with the
     * caller's own request and options; then the local side has run, and
     * whatever it answered is the call's outcome, given to the completion
     * as a started call's. */
    int falls_back = p->to.remote && p->to.r.local_fallback && transport_failure(st);
    ProtobufCMessage *resp = NULL;
    st = leg_done(p->d, m, &p->to, req, st, ferryi_now_us() - p->t0, &resp, opts, &info);
    pending_free(p);
    if (!falls_back)
        return end_call(opts, &info, st);
    info.status = st;
    done->invoke(done, st, resp, &info);
    return FERRY_OK;
}
