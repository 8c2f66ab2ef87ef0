/* balance_call.c - a balancing channel's calls (balance.h): an attempt per
 * pick (endpoints.c), retries on another endpoint, the fallback when none
 * answers. Both kinds of call take the same steps (pick_next() before an
 * attempt, attempt_over() after it): a synchronous call in the caller's
 * thread, an asynchronous one from each attempt's completion. A call made
 * before a DNS name's first lookup waits for it (the balancer's thread,
 * balance.c, does the lookups).
 *
 * Which failures go to another endpoint (docs/deploy.md): `unavailable`
 * only. An idempotent call's under the retry policy and its budget
 * (retry.c); any call's, without charge, when its request provably ran
 * nowhere (ferry_call_info.not_run), a bounded number of times.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>

#include "call/call.h"
#include "call/opts.h"
#include "client/balance.h"
#include "base/clock.h"
#include "base/log.h"

/* Endpoints one round of a call's attempts goes to at most: a retry goes
 * to an endpoint the round has not tried, and once it has tried them all
 * (or this many, of a larger set) the call waits out the retry policy's
 * back-off and starts a new round. */
#define TRIED_MAX 16
/* Retries of requests that ran nowhere, per call: each such refusal is
 * quick, and an endpoint refuses at most once per round, so this bounds a
 * call only when many endpoints are leaving at once. */
#define NOT_RUN_RETRIES 8

/* ------------------------------------------------------------------------
 * The balancer's thread, seen from a call
 * ---------------------------------------------------------------------- */

/* An endpoint failed: the balancer's thread looks the name up again as
 * soon as its minimum interval allows. */
static void ask_again(balancer *b)
{
    if (!b->thread_started)
        return;
    pthread_mutex_lock(&b->mu);
    b->resolve_soon = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* A call that comes before the name's first lookup has answered waits for
 * it, up to its deadline (monotonic ms); the lookup runs on the balancer's
 * thread, never on the call's. */
static void wait_first_lookup(balancer *b, uint64_t deadline_at)
{
    if (!b->thread_started)
        return;
    pthread_mutex_lock(&b->mu);
    while (b->resolutions == 0 && !b->stop) {
        uint64_t now = ferryi_now_ms();
        if (now >= deadline_at)
            break;
        struct timespec ts = ferryi_realtime_in(deadline_at - now < 50 ? deadline_at - now : 50);
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
    }
    pthread_mutex_unlock(&b->mu);
}

/* Why no endpoint could be picked, with the last lookup's error. */
static ferry_status say_none(balancer *b, const char *why, ferry_call_info *info)
{
    pthread_mutex_lock(&b->mu);
    if (b->thread_started && b->resolutions == 0)
        snprintf(info->message, sizeof info->message, "%s: not resolved yet", b->target.host);
    else if (b->resolve_error[0] != '\0')
        snprintf(info->message, sizeof info->message, "%s (cannot resolve %s)", why,
                 b->resolve_error);
    else
        snprintf(info->message, sizeof info->message, "%s", why);
    pthread_mutex_unlock(&b->mu);
    info->not_run = 1; /* no endpoint: nothing was sent */
    info->answered = 0;
    return FERRY_UNAVAILABLE;
}

/* ------------------------------------------------------------------------
 * One call's attempts
 * ---------------------------------------------------------------------- */

typedef struct attempts {
    uint64_t tried[TRIED_MAX]; /* this round's endpoints (ferryi_ep.id) */
    size_t n_tried;
    unsigned attempt; /* attempts counted by the retry policy */
    unsigned not_run; /* retries of requests that ran nowhere */
    uint64_t deadline_at;
    /* The retry policy granted a retry within the round, to go out at once;
     * `backoff` is what it would have waited had the round been over. */
    int retry_in_round;
    uint32_t backoff;
} attempts;

/* Whether the attempt that ended with `st` (`info` the endpoint's report)
 * is followed by another, on another endpoint when there is one; *wait is
 * how long to wait first (ms). The policy's back-off is for a retry on the
 * same server: only a call that has tried every endpoint waits it out,
 * before it starts over. */
static int again(balancer *b, const ferry_method *m, attempts *a, ferry_status st,
                 const ferry_call_info *info, uint32_t *wait)
{
    *wait = 0;
    if (st != FERRY_UNAVAILABLE || ferryi_now_ms() >= a->deadline_at)
        return 0;
    if (info->not_run && a->not_run < NOT_RUN_RETRIES) {
        a->not_run++;
        a->retry_in_round = 0; /* this retry is not the policy's */
        return 1;
    }
    size_t round = ferryi_epset_count(&b->set);
    int round_over = a->n_tried >= (round < TRIED_MAX ? round : TRIED_MAX);
    /* Only a retry that ends the round waits, so only its back-off must
     * fit in the deadline; one within the round goes out at once. */
    uint32_t backoff = 0;
    if (!ferryi_retry_next(&b->retry, m, st, a->attempt, round_over ? a->deadline_at : UINT64_MAX,
                           &backoff))
        return 0;
    a->attempt++;
    a->backoff = backoff;
    a->retry_in_round = !round_over;
    if (round_over) {
        *wait = backoff;
        a->n_tried = 0;
    }
    return 1;
}

/* No endpoint is left to pick for a retry the policy granted within the
 * round (those not tried yet are ejected, or on trial for another call):
 * the round is over early. Returns 1 when the call starts a new round
 * after waiting *wait ms (what the policy gave, when it fits in the
 * deadline), 0 when the call ends here. */
static int round_over_early(attempts *a, uint32_t *wait)
{
    if (!a->retry_in_round || a->n_tried == 0)
        return 0;
    a->retry_in_round = 0;
    a->n_tried = 0;
    if (ferryi_now_ms() + a->backoff >= a->deadline_at)
        return 0;
    *wait = a->backoff;
    return 1;
}

/* Before ferryi_epset_done(): once done, a leaving endpoint may be freed. */
static void remember(attempts *a, const ferryi_ep *ep)
{
    if (a->n_tried < TRIED_MAX)
        a->tried[a->n_tried++] = ep->id;
}

/* Whether the call's deadline has passed before its next attempt (after a
 * back-off, or a wait for the name's first lookup, that ran to its end):
 * then the call ends as the caller's deadline says, with the last
 * attempt's report, rather than send a request no server has time for. */
static int out_of_time(balancer *b, const ferry_method *m, const attempts *a, unsigned n,
                       ferry_status *st, ferry_call_info *info)
{
    if (ferryi_now_ms() < a->deadline_at)
        return 0;
    char last[FERRY_MESSAGE_MAX];
    snprintf(last, sizeof last, "%s", info->message);
    pthread_mutex_lock(&b->mu);
    int unresolved = b->thread_started && b->resolutions == 0;
    pthread_mutex_unlock(&b->mu);
    if (n > 0)
        snprintf(info->message, sizeof info->message,
                 "the call's deadline passed after %u attempt%s; the last: %s", n,
                 n == 1 ? "" : "s", last);
    else if (unresolved)
        snprintf(info->message, sizeof info->message,
                 "the call's deadline passed before %s resolved; %s was not sent", b->target.host,
                 m->full_name);
    else
        snprintf(info->message, sizeof info->message,
                 "the call's deadline passed before %s was sent", m->full_name);
    *st = FERRY_DEADLINE_EXCEEDED;
    info->status = *st;
    if (n == 0) { /* nothing was sent */
        info->not_run = 1;
        info->answered = 0;
    }
    return 1;
}

/* The options of one attempt: the caller's, with the time the call has
 * left as its deadline (the parent's cap is in it already). */
static ferry_call_opts attempt_opts(const ferry_call_opts *opts, const attempts *a,
                                    ferry_call_info *info)
{
    ferry_call_opts o = opts != NULL ? *opts : (ferry_call_opts){0};
    uint64_t now = ferryi_now_ms();
    o.deadline_ms = now >= a->deadline_at ? 1 : (uint32_t)(a->deadline_at - now);
    o.parent = NULL;
    o.info = info;
    return o;
}

static ferry_status begin(balancer *b, const ferry_method *m, const ferry_call_opts *opts,
                          attempts *a, ferry_call_info *info)
{
    memset(a, 0, sizeof *a);
    a->attempt = 1;
    uint32_t deadline = 0;
    if (ferryi_call_deadline(m, opts, b->default_deadline_ms, &deadline) != FERRY_OK) {
        snprintf(info->message, sizeof info->message,
                 "the calling handler's deadline has passed; %s was not sent", m->full_name);
        return FERRY_DEADLINE_EXCEEDED;
    }
    a->deadline_at = ferryi_now_ms() + deadline;
    ferryi_retry_on_call(&b->retry);
    return FERRY_OK;
}

/* ------------------------------------------------------------------------
 * A call's steps, the same for both kinds of call
 * ---------------------------------------------------------------------- */

/* A call in flight. A synchronous call keeps one on its stack and uses
 * what both kinds share (up to `t0`); the rest is an asynchronous call's,
 * whose caller's memory is gone after call_async returns. */
typedef struct bcall {
    balancer *b;
    const ferry_method *m;
    attempts a;
    unsigned n; /* attempts made */
    ferryi_ep *ep;
    int trial;
    uint64_t t0;
    /* asynchronous calls only: */
    ferry_completion done;
    ferry_call_opts opts; /* the caller's, with copies of what they point to */
    ferry_metadata *md;   /* copied: the caller's lives only until call_async returns */
    uint8_t *pb;          /* the request, packed, for attempts after the first */
    size_t pb_len;
    /* Waits out the retry policy's back-off between rounds of attempts, so
     * that no nng thread sleeps; allocated the first time it is needed. */
    nng_aio *backoff;
    ferry_call_info last; /* the outcome of the attempt before the back-off */
    /* A call made before the name's first lookup answered waits on the
     * balancer's list (b->pending) for it, and on this timer for its
     * deadline: whichever comes first takes it off the list. */
    struct bcall *next_pending;
    nng_aio *first_lookup;
} bcall;

/* What a call does next, as pick_next() and attempt_over() say. */
typedef enum next_move {
    MOVE_SEND,     /* an attempt on c->ep, picked */
    MOVE_BACK_OFF, /* wait the given time (perhaps none), then pick again */
    MOVE_END,      /* the call is over: its status and report are set */
} next_move;

/* Before an attempt: picks the endpoint (MOVE_SEND), or says the round is
 * over early (MOVE_BACK_OFF, *wait ms), or ends the call (MOVE_END) when
 * its deadline has passed or no endpoint is left, with *st and *info the
 * outcome: the last attempt's (its report in *info), or why nothing was
 * sent. */
static next_move pick_next(bcall *c, ferry_status *st, ferry_call_info *info, uint32_t *wait)
{
    balancer *b = c->b;
    *wait = 0;
    if (out_of_time(b, c->m, &c->a, c->n, st, info))
        return MOVE_END;
    char why[FERRY_MESSAGE_MAX];
    c->ep = ferryi_epset_pick(&b->set, c->a.tried, c->a.n_tried, &c->trial, why, sizeof why);
    if (c->ep != NULL)
        return MOVE_SEND;
    if (c->n > 0 && round_over_early(&c->a, wait))
        return MOVE_BACK_OFF;
    if (c->n > 0) {
        *st = info->status;
    } else {
        *st = say_none(b, why, info);
        ask_again(b);
    }
    return MOVE_END;
}

/* After the attempt on c->ep ended with `st` (its report in *ai, taken
 * `took_us`, 0 when it never started): the endpoint is told, and the call
 * goes on (MOVE_BACK_OFF, after *wait ms, perhaps none) or ends
 * (MOVE_END) with this attempt's outcome. */
static next_move attempt_over(bcall *c, ferry_status st, ferry_call_info *ai, uint64_t took_us,
                              uint32_t *wait)
{
    balancer *b = c->b;
    *wait = 0;
    ai->status = st;
    if (st != FERRY_OK && ai->message[0] == '\0')
        snprintf(ai->message, sizeof ai->message, "%s", ferry_status_str(st));
    remember(&c->a, c->ep);
    if (ferryi_epset_done(&b->set, c->ep, c->trial, st, ai, took_us))
        ask_again(b);
    if (st == FERRY_OK || !again(b, c->m, &c->a, st, ai, wait))
        return MOVE_END;
    /* Not ep->url: once done, a leaving endpoint may be closed. */
    ferryi_log(FERRYI_LOG_DEBUG, "balance", "%s: %s; trying another endpoint", c->m->full_name,
               ai->message);
    return MOVE_BACK_OFF;
}

/* ------------------------------------------------------------------------
 * Synchronous calls: the steps in the caller's thread
 * ---------------------------------------------------------------------- */

ferry_status ferryi_balance_call(ferry_channel *ch, const ferry_method *m,
                                 const ProtobufCMessage *req, ProtobufCMessage **resp,
                                 const ferry_call_opts *opts)
{
    bcall c = {.b = (balancer *)ch, .m = m};
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    ferry_status st = begin(c.b, m, opts, &c.a, &info);
    if (st != FERRY_OK) /* the calling handler's time is up: no fallback, as on one server */
        return ferryi_opts_finish(opts, &info, st);
    wait_first_lookup(c.b, c.a.deadline_at);
    next_move move = MOVE_BACK_OFF;
    uint32_t wait = 0;
    while (move != MOVE_END) {
        if (wait > 0)
            ferryi_sleep_ms(wait);
        move = pick_next(&c, &st, &info, &wait);
        if (move != MOVE_SEND)
            continue;
        ferry_call_info ai;
        memset(&ai, 0, sizeof ai);
        ferry_call_opts o = attempt_opts(opts, &c.a, &ai);
        uint64_t t0 = ferryi_now_us();
        st = c.ep->ch->ops->call(c.ep->ch, m, req, resp, &o);
        c.n++;
        move = attempt_over(&c, st, &ai, ferryi_now_us() - t0, &wait);
        info = ai;
    }
    info.attempts = c.n;
    if (st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED)
        st = ferryi_fallback_apply(&c.b->fallbacks, m, req, st, resp, &info);
    return ferryi_opts_finish(opts, &info, st);
}

/* ------------------------------------------------------------------------
 * Asynchronous calls: each attempt's completion starts the next
 * ---------------------------------------------------------------------- */

static void bcall_free(bcall *c)
{
    /* Reaped, not freed: this may run in the back-off's own callback. */
    if (c->backoff != NULL)
        nng_aio_reap(c->backoff);
    if (c->first_lookup != NULL)
        nng_aio_reap(c->first_lookup);
    ferryi_metadata_free(c->md, c->opts.n_metadata);
    free(c->pb);
    free(c);
}

static void attempt_done(const ferry_completion *done, ferry_status st, ProtobufCMessage *resp,
                         const ferry_call_info *info);
static void backoff_done(void *arg);

/* Starts the back-off of `wait` ms after the attempt that ended as `last`
 * says; backoff_done() goes on. 0 when there is no aio for it. */
static int wait_then_start(bcall *c, uint32_t wait, const ferry_call_info *last)
{
    if (c->backoff == NULL && nng_aio_alloc(&c->backoff, backoff_done, c) != 0) {
        c->backoff = NULL;
        return 0;
    }
    c->last = *last;
    ferryi_sleep_aio(wait, c->backoff);
    return 1;
}

/* Starts attempts until one is under way (returns 1) or the call is over
 * (returns 0 with *st and *info its outcome): the steps a synchronous call
 * takes, with each attempt's completion (attempt_done()) or the back-off's
 * timer (backoff_done()) going on from there. `req` is the caller's
 * request on the first attempt, else NULL: the kept copy is decoded. */
static int start_next(bcall *c, const ProtobufCMessage *req, ferry_status *st,
                      ferry_call_info *info)
{
    for (;;) {
        uint32_t wait = 0;
        next_move move = pick_next(c, st, info, &wait);
        if (move == MOVE_END)
            return 0;
        if (move == MOVE_SEND) {
            ProtobufCMessage *own = NULL;
            if (req == NULL) {
                own = protobuf_c_message_unpack(c->m->input, NULL, c->pb_len, c->pb);
                if (own == NULL) {
                    ferryi_epset_done(&c->b->set, c->ep, c->trial, FERRY_CANCELLED, NULL, 0);
                    *st = FERRY_RESOURCE_EXHAUSTED;
                    snprintf(info->message, sizeof info->message, "out of memory for a retry");
                    return 0;
                }
            }
            ferry_call_info ai;
            memset(&ai, 0, sizeof ai);
            ferry_call_opts o = attempt_opts(&c->opts, &c->a, &ai);
            ferry_completion inner = {.invoke = attempt_done, .fn = NULL, .arg = c};
            c->t0 = ferryi_now_us();
            c->n++;
            *st = c->ep->ch->ops->call_async(c->ep->ch, c->m, req != NULL ? req : own, &o, &inner);
            ferry_message_free(own);
            if (*st == FERRY_OK)
                return 1;
            /* Not started: its completion never runs. */
            move = attempt_over(c, *st, &ai, 0, &wait);
            *info = ai;
            if (move == MOVE_END)
                return 0;
        }
        if (wait > 0 && wait_then_start(c, wait, info))
            return 1;
        if (wait > 0) /* no aio for the wait: in this thread, as a synchronous call does */
            ferryi_sleep_ms(wait);
        req = NULL;
    }
}

static void finish(bcall *c, ferry_status st, ProtobufCMessage *resp, ferry_call_info *info)
{
    info->attempts = c->n;
    if (st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED) {
        ProtobufCMessage *req =
            c->pb != NULL ? protobuf_c_message_unpack(c->m->input, NULL, c->pb_len, c->pb) : NULL;
        st = ferryi_fallback_apply(&c->b->fallbacks, c->m, req, st, &resp, info);
        if (req != NULL)
            protobuf_c_message_free_unpacked(req, NULL);
    }
    info->status = st;
    ferry_completion done = c->done;
    bcall_free(c);
    done.invoke(&done, st, resp, info);
}

static void attempt_done(const ferry_completion *done, ferry_status st, ProtobufCMessage *resp,
                         const ferry_call_info *info)
{
    bcall *c = done->arg;
    ferry_call_info ai = *info;
    uint32_t wait = 0;
    if (attempt_over(c, st, &ai, ferryi_now_us() - c->t0, &wait) == MOVE_END)
        return finish(c, st, resp, &ai);
    if (wait > 0 && wait_then_start(c, wait, &ai))
        return;
    if (wait > 0)
        ferryi_sleep_ms(wait); /* no aio for the wait */
    ferry_status fst = st;
    if (start_next(c, NULL, &fst, &ai))
        return;
    finish(c, fst, NULL, &ai);
}

/* The back-off is over (or the aio was stopped): the next round of
 * attempts, or the outcome of the last attempt. */
static void backoff_done(void *arg)
{
    bcall *c = arg;
    ferry_call_info ai = c->last;
    ferry_status st = ai.status;
    if (nng_aio_result(c->backoff) == 0 && start_next(c, NULL, &st, &ai))
        return;
    finish(c, st, NULL, &ai);
}

/* Ends a call that waited for the name's first lookup and did not see it
 * answer in its time. */
static void say_unresolved_in_time(bcall *c, ferry_call_info *info)
{
    snprintf(info->message, sizeof info->message,
             "the call's deadline passed before %s resolved; %s was not sent", c->b->target.host,
             c->m->full_name);
}

/* The deadline of a call waiting for the name's first lookup has come (or
 * the timer was stopped: the lookup came first, and took the call). */
static void first_lookup_late(void *arg)
{
    bcall *c = arg;
    if (nng_aio_result(c->first_lookup) != 0)
        return;
    balancer *b = c->b;
    pthread_mutex_lock(&b->mu);
    bcall **at = &b->pending;
    while (*at != NULL && *at != c)
        at = &(*at)->next_pending;
    int mine = *at == c;
    if (mine)
        *at = c->next_pending;
    pthread_mutex_unlock(&b->mu);
    if (!mine)
        return;
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    info.not_run = 1;
    say_unresolved_in_time(c, &info);
    finish(c, FERRY_DEADLINE_EXCEEDED, NULL, &info);
}

/* Puts `c` on the list of calls waiting for the name's first lookup, its
 * timer set to its deadline; 0 when the lookup has answered (or the
 * balancer is closing), and the call goes on now. */
static int wait_for_first_lookup(bcall *c)
{
    balancer *b = c->b;
    if (c->first_lookup == NULL && nng_aio_alloc(&c->first_lookup, first_lookup_late, c) != 0)
        c->first_lookup = NULL; /* no timer: the lookup's end or the closing ends the wait */
    pthread_mutex_lock(&b->mu);
    int wait = b->resolutions == 0 && !b->stop;
    if (wait) {
        c->next_pending = b->pending;
        b->pending = c;
    }
    pthread_mutex_unlock(&b->mu);
    if (wait && c->first_lookup != NULL) {
        uint64_t now = ferryi_now_ms();
        ferryi_sleep_aio(now < c->a.deadline_at ? (uint32_t)(c->a.deadline_at - now) : 0,
                         c->first_lookup);
    }
    return wait;
}

void ferryi_balance_run_pending(balancer *b, int closing)
{
    pthread_mutex_lock(&b->mu);
    bcall *c = b->pending;
    b->pending = NULL;
    pthread_mutex_unlock(&b->mu);
    while (c != NULL) {
        bcall *next = c->next_pending;
        /* Off the list, the call is this thread's: its timer, which would
         * no longer find it there, is stopped before it goes on. */
        if (c->first_lookup != NULL)
            nng_aio_stop(c->first_lookup);
        ferry_call_info info;
        memset(&info, 0, sizeof info);
        info.not_run = 1; /* unless start_next() sends it */
        ferry_status st = FERRY_UNAVAILABLE;
        if (closing) {
            snprintf(info.message, sizeof info.message, "channel closed before %s resolved",
                     b->target.host);
        } else if (ferryi_now_ms() >= c->a.deadline_at) {
            st = FERRY_DEADLINE_EXCEEDED;
            say_unresolved_in_time(c, &info);
        } else if (start_next(c, NULL, &st, &info)) {
            c = next;
            continue;
        }
        finish(c, st, NULL, &info);
        c = next;
    }
}

ferry_status ferryi_balance_call_async(ferry_channel *ch, const ferry_method *m,
                                       const ProtobufCMessage *req, const ferry_call_opts *opts,
                                       const ferry_completion *done)
{
    balancer *b = (balancer *)ch;
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    bcall *c = calloc(1, sizeof *c);
    if (c == NULL) {
        ferryi_opts_report(opts, FERRY_RESOURCE_EXHAUSTED, "out of memory", 0);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    c->b = b;
    c->m = m;
    c->done = *done;
    c->opts = opts != NULL ? *opts : (ferry_call_opts){0};
    ferry_status st = begin(b, m, opts, &c->a, &info);
    if (st != FERRY_OK) { /* the calling handler's time is up: no fallback, as on one server */
        bcall_free(c);
        return ferryi_opts_finish(opts, &info, st);
    }
    /* Later attempts need the request and metadata after this returns. */
    c->pb_len = protobuf_c_message_get_packed_size(req);
    c->pb = malloc(c->pb_len ? c->pb_len : 1);
    if (c->pb == NULL)
        st = FERRY_RESOURCE_EXHAUSTED;
    else
        protobuf_c_message_pack(req, c->pb);
    if (st == FERRY_OK && c->opts.n_metadata > 0) {
        c->md = ferryi_metadata_dup(opts->metadata, c->opts.n_metadata);
        if (c->md == NULL)
            st = FERRY_RESOURCE_EXHAUSTED;
        c->opts.metadata = c->md;
    }
    if (st != FERRY_OK)
        snprintf(info.message, sizeof info.message,
                 "out of memory for a copy of the request and its metadata");
    c->opts.info = NULL;
    /* Before the name's first lookup there is nothing to pick from: the
     * call waits for it (the balancer's thread starts it) or its deadline. */
    if (st == FERRY_OK && b->thread_started && wait_for_first_lookup(c))
        return FERRY_OK;
    if (st == FERRY_OK && start_next(c, req, &st, &info))
        return FERRY_OK;
    if (st == FERRY_OK)
        st = info.status;
    /* The call is over before it got under way: a fallback answers through
     * the completion, any other outcome is returned. */
    info.attempts = c->n;
    ProtobufCMessage *resp = NULL;
    if (st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED)
        st = ferryi_fallback_apply(&b->fallbacks, m, req, st, &resp, &info);
    info.status = st;
    ferry_completion user = c->done;
    bcall_free(c);
    if (st == FERRY_FALLBACK) {
        user.invoke(&user, st, resp, &info);
        return FERRY_OK;
    }
    return ferryi_opts_finish(opts, &info, st);
}
