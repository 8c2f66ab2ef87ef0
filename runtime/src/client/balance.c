/* balance.c - the balancing channel: one remote channel per endpoint
 * (client_ep.h), a pick per attempt (endpoints.c), retries on another
 * endpoint, and a thread of its own that follows a DNS name (resolve.c)
 * and closes the endpoints that left once their calls are done.
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

#include "call/call.h"
#include "client/client_ep.h"
#include "base/clock.h"
#include "base/error.h"
#include "client/endpoints.h"
#include "client/fallback.h"
#include "identity/keys.h"
#include "base/log.h"
#include "client/resolve.h"
#include "client/retry.h"
#include "identity/tls.h"

/* Attempts remembered per call so that a retry goes to another endpoint. */
#define TRIED_MAX 16
/* Retries of requests that ran nowhere, per call: each such refusal is
 * quick, and an endpoint refuses at most once per call, so this bounds a
 * call only when many endpoints are leaving at once. */
#define NOT_RUN_RETRIES 8
/* How often the balancer's thread closes endpoints that left, at least. */
#define REAP_MS 200u

typedef struct balancer {
    ferry_channel base;
    ferryi_epset set;
    ferryi_target target;
    /* Every endpoint's options, deep-copied: endpoints open long after
     * ferry_balance_open() returned. */
    ferry_client_opts copts;
    char *strs[7];
    ferry_key *key, *server_key;
    ferryi_retry retry;
    ferryi_fallbacks fallbacks;
    uint32_t default_deadline_ms;
    ferryi_resolver *resolver;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* wakes the thread; signals a resolution */
    int stop;
    int resolve_soon;     /* an endpoint failed: ask again */
    uint64_t resolutions; /* answered or not */
    char resolve_error[FERRY_MESSAGE_MAX];
    /* Asynchronous calls made before the first lookup answered: started
     * by the balancer's thread once it has. */
    struct bcall *pending;
} balancer;

static void start_pending(balancer *b);

static const ferry_channel_ops balancer_ops;

int ferryi_balance_target(const char *target)
{
    return strncmp(target, "dns", 3) == 0 || strchr(target, ',') != NULL;
}

/* ------------------------------------------------------------------------
 * Endpoints' channels
 * ---------------------------------------------------------------------- */

static ferry_status ep_open(void *arg, const char *url, const char *name, ferry_channel **out)
{
    balancer *b = arg;
    ferry_client_opts o = b->copts;
    /* A certificate is issued for the name clients ask for, not for the
     * address a record gives. */
    if (ferryi_tls_url(url) && o.tls.server_name == NULL && name != NULL)
        o.tls.server_name = name;
    return ferryi_client_open_endpoint(out, url, &o);
}

static void ep_close(void *arg, ferry_channel *ch)
{
    (void)arg;
    ferry_channel_close(ch);
}

static void ep_link(void *arg, ferry_channel *ch, int *up, uint64_t *links)
{
    (void)arg;
    ferryi_client_link(ch, up, links);
}

static const ferryi_ep_ops ep_ops = {.open = ep_open, .close = ep_close, .link = ep_link};

/* ------------------------------------------------------------------------
 * Following a DNS name
 * ---------------------------------------------------------------------- */

/* One lookup, applied to the endpoints; returns the wait before the next. */
static uint64_t resolve_once(balancer *b)
{
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl_s = 0;
    char why[FERRY_MESSAGE_MAX] = "";
    ferry_status st = ferryi_resolve(b->resolver, &b->target, b->set.policy.max_endpoints, &addrs,
                                     &n, &ttl_s, why, sizeof why);
    uint64_t wait = b->set.policy.resolve_min_ms;
    if (st == FERRY_OK) {
        size_t added, removed, failed;
        ferryi_epset_update(&b->set, addrs, n, &added, &removed, &failed);
        if (added > 0 || removed > 0)
            ferryi_log(FERRYI_LOG_INFO, "balance", "%s: %zu endpoints (%zu joined, %zu left)",
                       b->target.host, ferryi_epset_count(&b->set), added, removed);
        if (failed > 0)
            ferryi_log(FERRYI_LOG_WARN, "balance", "%s: %zu endpoints could not be opened",
                       b->target.host, failed);
        free(addrs);
        why[0] = '\0';
        /* Honour the records' TTL, within bounds: a TTL of 0 would mean
         * asking on every call, a long one missing a deploy. */
        wait = (uint64_t)ttl_s * 1000u;
        if (wait < b->set.policy.resolve_min_ms)
            wait = b->set.policy.resolve_min_ms;
        if (wait > b->set.policy.resolve_max_ms)
            wait = b->set.policy.resolve_max_ms;
    } else {
        /* The endpoints known stay: a failed lookup says nothing of them. */
        ferryi_log(FERRYI_LOG_WARN, "balance", "cannot resolve %s: %s", b->target.host, why);
    }
    pthread_mutex_lock(&b->mu);
    snprintf(b->resolve_error, sizeof b->resolve_error, "%s", why);
    b->resolutions++;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    start_pending(b);
    return wait;
}

static void *follow(void *arg)
{
    balancer *b = arg;
    uint64_t next = 0, last = 0;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        uint64_t now = ferryi_real_ms();
        int soon = b->resolve_soon && now - last >= b->set.policy.resolve_min_ms;
        if (now >= next || soon) {
            b->resolve_soon = 0;
            pthread_mutex_unlock(&b->mu);
            uint64_t wait = resolve_once(b);
            last = ferryi_real_ms();
            next = last + wait;
            pthread_mutex_lock(&b->mu);
            continue;
        }
        uint64_t until = next;
        if (b->resolve_soon && last + b->set.policy.resolve_min_ms < until)
            until = last + b->set.policy.resolve_min_ms;
        if (until > now + REAP_MS)
            until = now + REAP_MS;
        struct timespec ts = ferryi_realtime_in(until - now);
        pthread_cond_timedwait(&b->cv, &b->mu, &ts);
        pthread_mutex_unlock(&b->mu);
        ferryi_epset_reap(&b->set);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

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
    return FERRY_UNAVAILABLE;
}

/* ------------------------------------------------------------------------
 * One call's attempts
 * ---------------------------------------------------------------------- */

typedef struct attempts {
    ferryi_ep *tried[TRIED_MAX];
    size_t n_tried;
    unsigned attempt; /* attempts counted by the retry policy */
    unsigned not_run; /* retries of requests that ran nowhere */
    uint64_t deadline_at;
} attempts;

/* Whether the attempt that ended with `st` (`info` the endpoint's report)
 * is followed by another, on another endpoint when there is one. */
static int again(balancer *b, const ferry_method *m, attempts *a, ferry_status st,
                 const ferry_call_info *info)
{
    if (st != FERRY_UNAVAILABLE || ferryi_now_ms() >= a->deadline_at)
        return 0;
    if (info->not_run && a->not_run < NOT_RUN_RETRIES) {
        a->not_run++;
        return 1;
    }
    uint32_t wait = 0;
    if (!ferryi_retry_next(&b->retry, m, st, a->attempt, a->deadline_at, &wait))
        return 0;
    a->attempt++;
    /* The policy's back-off is for a retry on the same server: a call
     * that has tried every endpoint waits it out before it starts over. */
    if (a->n_tried >= ferryi_epset_count(&b->set)) {
        if (wait > 0)
            ferryi_sleep_ms(wait);
        a->n_tried = 0;
    }
    return 1;
}

static void remember(attempts *a, ferryi_ep *ep)
{
    if (a->n_tried < TRIED_MAX)
        a->tried[a->n_tried++] = ep;
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

static ferry_status bal_call(ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                             ProtobufCMessage **resp, const ferry_call_opts *opts)
{
    balancer *b = (balancer *)ch;
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    attempts a;
    unsigned n = 0;
    ferry_status st = begin(b, m, opts, &a, &info);
    if (st == FERRY_OK)
        wait_first_lookup(b, a.deadline_at);
    while (st == FERRY_OK) {
        int trial = 0;
        char why[FERRY_MESSAGE_MAX];
        ferryi_ep *ep = ferryi_epset_pick(&b->set, a.tried, a.n_tried, &trial, why, sizeof why);
        if (ep == NULL) {
            st = n > 0 ? info.status : say_none(b, why, &info);
            if (n == 0)
                ask_again(b);
            break;
        }
        ferry_call_info ai;
        memset(&ai, 0, sizeof ai);
        ferry_call_opts o = attempt_opts(opts, &a, &ai);
        uint64_t t0 = ferryi_now_us();
        st = ep->ch->ops->call(ep->ch, m, req, resp, &o);
        n++;
        ai.status = st;
        if (ferryi_epset_done(&b->set, ep, trial, st, &ai, ferryi_now_us() - t0))
            ask_again(b);
        info = ai;
        remember(&a, ep);
        if (!again(b, m, &a, st, &ai))
            break;
        /* Not ep->url: once done, a leaving endpoint may be closed. */
        ferryi_log(FERRYI_LOG_DEBUG, "balance", "%s: %s; trying another endpoint", m->full_name,
                   ai.message);
        st = FERRY_OK;
    }
    info.attempts = n;
    if (st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED)
        st = ferryi_fallback_apply(&b->fallbacks, m, req, st, resp, &info);
    info.status = st;
    if (opts != NULL && opts->info != NULL)
        *opts->info = info;
    return st;
}

/* ------------------------------------------------------------------------
 * Asynchronous calls: each attempt's completion starts the next
 * ---------------------------------------------------------------------- */

typedef struct bcall {
    balancer *b;
    const ferry_method *m;
    ferry_completion done;
    attempts a;
    ferry_call_opts opts; /* the caller's, with copies of what they point to */
    ferry_metadata *md;   /* copied: the caller's lives only until call_async returns */
    uint8_t *pb;          /* the request, packed, for attempts after the first */
    size_t pb_len;
    unsigned n; /* attempts made */
    ferryi_ep *ep;
    int trial;
    uint64_t t0;
    struct bcall *next_pending;
} bcall;

static void bcall_free(bcall *c)
{
    if (c->md != NULL)
        for (size_t i = 0; i < c->opts.n_metadata; i++) {
            free((char *)c->md[i].key);
            free((uint8_t *)c->md[i].value);
        }
    free(c->md);
    free(c->pb);
    free(c);
}

static void attempt_done(const ferry_completion *done, ferry_status st, ProtobufCMessage *resp,
                         const ferry_call_info *info);

/* Starts attempts until one is under way (returns 1) or the call is over
 * (returns 0 with *st and *info its outcome). */
static int start_next(bcall *c, const ProtobufCMessage *req, ferry_status *st,
                      ferry_call_info *info)
{
    balancer *b = c->b;
    for (;;) {
        char why[FERRY_MESSAGE_MAX];
        c->ep = ferryi_epset_pick(&b->set, c->a.tried, c->a.n_tried, &c->trial, why, sizeof why);
        if (c->ep == NULL) {
            if (c->n == 0) {
                *st = say_none(b, why, info);
                ask_again(b);
            }
            return 0;
        }
        ProtobufCMessage *own = NULL;
        if (req == NULL) {
            own = protobuf_c_message_unpack(c->m->input, NULL, c->pb_len, c->pb);
            if (own == NULL) {
                ferryi_epset_done(&b->set, c->ep, c->trial, FERRY_CANCELLED, NULL, 0);
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
        ferry_status s =
            c->ep->ch->ops->call_async(c->ep->ch, c->m, req != NULL ? req : own, &o, &inner);
        ferry_message_free(own);
        if (s == FERRY_OK)
            return 1;
        /* Not started: its completion never runs. */
        ai.status = s;
        if (ai.message[0] == '\0')
            snprintf(ai.message, sizeof ai.message, "%s", ferry_status_str(s));
        ferryi_epset_done(&b->set, c->ep, c->trial, s, &ai, 0);
        remember(&c->a, c->ep);
        *st = s;
        *info = ai;
        if (!again(b, c->m, &c->a, s, &ai))
            return 0;
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
    balancer *b = c->b;
    ferry_call_info ai = *info;
    if (ferryi_epset_done(&b->set, c->ep, c->trial, st, &ai, ferryi_now_us() - c->t0))
        ask_again(b);
    remember(&c->a, c->ep);
    if (st == FERRY_OK || !again(b, c->m, &c->a, st, &ai))
        return finish(c, st, resp, &ai);
    ferry_status fst = st;
    if (start_next(c, NULL, &fst, &ai))
        return;
    finish(c, fst, NULL, &ai);
}

/* Starts the calls that waited for the first lookup (or, `closing`, ends
 * them): on the balancer's thread, never under its lock. */
static void run_pending(balancer *b, int closing)
{
    pthread_mutex_lock(&b->mu);
    bcall *c = b->pending;
    b->pending = NULL;
    pthread_mutex_unlock(&b->mu);
    while (c != NULL) {
        bcall *next = c->next_pending;
        ferry_call_info info;
        memset(&info, 0, sizeof info);
        ferry_status st = FERRY_UNAVAILABLE;
        if (closing) {
            snprintf(info.message, sizeof info.message, "channel closed before %s resolved",
                     b->target.host);
        } else if (ferryi_now_ms() >= c->a.deadline_at) {
            st = FERRY_DEADLINE_EXCEEDED;
            snprintf(info.message, sizeof info.message,
                     "the call's deadline passed before %s resolved", b->target.host);
        } else if (start_next(c, NULL, &st, &info)) {
            c = next;
            continue;
        }
        finish(c, st, NULL, &info);
        c = next;
    }
}

static void start_pending(balancer *b)
{
    run_pending(b, 0);
}

static ferry_status bal_call_async(ferry_channel *ch, const ferry_method *m,
                                   const ProtobufCMessage *req, const ferry_call_opts *opts,
                                   const ferry_completion *done)
{
    balancer *b = (balancer *)ch;
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    bcall *c = calloc(1, sizeof *c);
    if (c == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    c->b = b;
    c->m = m;
    c->done = *done;
    c->opts = opts != NULL ? *opts : (ferry_call_opts){0};
    ferry_status st = begin(b, m, opts, &c->a, &info);
    /* Later attempts need the request and metadata after this returns. */
    c->pb_len = protobuf_c_message_get_packed_size(req);
    c->pb = malloc(c->pb_len ? c->pb_len : 1);
    if (c->pb == NULL)
        st = FERRY_RESOURCE_EXHAUSTED;
    else
        protobuf_c_message_pack(req, c->pb);
    if (st == FERRY_OK && c->opts.n_metadata > 0) {
        c->md = calloc(c->opts.n_metadata, sizeof *c->md);
        for (size_t i = 0; c->md != NULL && i < c->opts.n_metadata; i++) {
            const ferry_metadata *e = &opts->metadata[i];
            c->md[i].key = e->key != NULL ? strdup(e->key) : NULL;
            c->md[i].value = malloc(e->len ? e->len : 1);
            c->md[i].len = e->len;
            if (c->md[i].value != NULL && e->len > 0 && e->value != NULL)
                memcpy((uint8_t *)c->md[i].value, e->value, e->len);
            if ((e->key != NULL && c->md[i].key == NULL) || c->md[i].value == NULL)
                st = FERRY_RESOURCE_EXHAUSTED;
        }
        if (c->md == NULL)
            st = FERRY_RESOURCE_EXHAUSTED;
        c->opts.metadata = c->md;
    }
    c->opts.info = NULL;
    if (st == FERRY_OK && b->thread_started) {
        /* Before the name's first lookup there is nothing to pick from:
         * the call waits for it, and the balancer's thread starts it. */
        pthread_mutex_lock(&b->mu);
        int wait = b->resolutions == 0 && !b->stop;
        if (wait) {
            c->next_pending = b->pending;
            b->pending = c;
        }
        pthread_mutex_unlock(&b->mu);
        if (wait)
            return FERRY_OK;
    }
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
    if (opts != NULL && opts->info != NULL)
        *opts->info = info;
    return st;
}

/* ------------------------------------------------------------------------
 * Opening and closing
 * ---------------------------------------------------------------------- */

static void bal_close(ferry_channel *ch)
{
    balancer *b = (balancer *)ch;
    if (b->thread_started) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        pthread_join(b->thread, NULL);
        run_pending(b, 1); /* none, when the caller waited for its calls */
    }
    ferryi_epset_fini(&b->set);
    ferryi_resolver_free(b->resolver);
    ferryi_target_free(&b->target);
    ferryi_retry_fini(&b->retry);
    ferryi_fallbacks_fini(&b->fallbacks);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    for (size_t i = 0; i < sizeof b->strs / sizeof b->strs[0]; i++)
        free(b->strs[i]);
    ferry_key_free(b->key);
    ferry_key_free(b->server_key);
    free(b);
}

static const ferry_channel_ops balancer_ops = {
    .call = bal_call,
    .call_async = bal_call_async,
    .close = bal_close,
};

/* Copies string `s` into the balancer's own; 0 when out of memory. */
static int keep(balancer *b, size_t i, const char **s)
{
    if (*s == NULL)
        return 1;
    b->strs[i] = strdup(*s);
    *s = b->strs[i];
    return *s != NULL;
}

static ferry_status keep_opts(balancer *b, const ferry_client_opts *copts)
{
    ferry_client_opts o = copts != NULL ? *copts : (ferry_client_opts){0};
    if (!keep(b, 0, &o.client_name) || !keep(b, 1, &o.client_version) ||
        !keep(b, 2, &o.tls.cert_file) || !keep(b, 3, &o.tls.key_file) ||
        !keep(b, 4, &o.tls.key_password) || !keep(b, 5, &o.tls.ca_file) ||
        !keep(b, 6, &o.tls.server_name))
        return FERRY_RESOURCE_EXHAUSTED;
    if (o.identity.key != NULL && (b->key = ferryi_key_dup(o.identity.key)) == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    if (o.identity.server_key != NULL &&
        (b->server_key = ferryi_key_dup(o.identity.server_key)) == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    o.identity.key = b->key;
    o.identity.server_key = b->server_key;
    b->copts = o;
    b->default_deadline_ms =
        o.default_deadline_ms ? o.default_deadline_ms : FERRY_DEFAULT_DEADLINE_MS;
    return FERRY_OK;
}

ferry_status ferry_balance_open(ferry_channel **out, const char *target,
                                const ferry_client_opts *copts, const ferry_balance_opts *bopts)
{
    ferryi_error_clear();
    if (out == NULL || target == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_balance_open: no %s given",
                            out == NULL ? "out pointer" : "target");
    *out = NULL;
    balancer *b = calloc(1, sizeof *b);
    if (b == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%.200s: out of memory", target);
    b->base.ops = &balancer_ops;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    ferryi_epset_init(&b->set, &ep_ops, b, bopts);
    ferryi_fallbacks_init(&b->fallbacks);
    ferryi_retry_init(&b->retry, copts != NULL ? &copts->retry : NULL);
    char why[FERRY_MESSAGE_MAX] = "out of memory";
    ferry_status st = keep_opts(b, copts);
    if (st == FERRY_OK)
        st = ferryi_target_parse(target, &b->target, why, sizeof why);
    if (st == FERRY_OK && b->target.kind != FERRYI_TARGET_LIST) {
        /* Checked now, or every endpoint would fail to open later. */
        if (b->target.tls) {
            if ((st = ferry_tls_check(&b->copts.tls, FERRY_TLS_CLIENT)) != FERRY_OK)
                snprintf(why, sizeof why, "%s", ferry_last_error());
        } else if (ferry_tls_is_set(&b->copts.tls)) {
            snprintf(why, sizeof why,
                     "TLS options are set but the target is not dns+tls:// or "
                     "dns+srv+tls://");
            st = FERRY_INVALID_ARGUMENT;
        }
    }
    if (st == FERRY_OK && b->target.kind == FERRYI_TARGET_LIST) {
        size_t added, removed, failed;
        ferryi_epset_update(&b->set, b->target.list, b->target.n, &added, &removed, &failed);
        if (failed > 0) {
            snprintf(why, sizeof why, "%zu of the %zu URLs cannot be opened (%s)", failed,
                     b->target.n, ferry_last_error());
            st = FERRY_INVALID_ARGUMENT;
        }
    } else if (st == FERRY_OK) {
        const char *server = b->set.policy.dns_server;
        if (server == NULL)
            server = getenv("FERRY_DNS_SERVER");
        st = ferryi_resolver_new(&b->resolver, server, why, sizeof why);
        b->set.policy.dns_server = NULL; /* not the caller's to keep */
        if (st == FERRY_OK && pthread_create(&b->thread, NULL, follow, b) != 0) {
            snprintf(why, sizeof why, "cannot start the resolver's thread");
            st = FERRY_RESOURCE_EXHAUSTED;
        }
        if (st == FERRY_OK)
            b->thread_started = 1;
    }
    if (st != FERRY_OK) {
        ferryi_error_log(FERRYI_LOG_ERROR, "balance", st, "cannot open %.200s: %s", target, why);
        bal_close(&b->base);
        return st;
    }
    *out = &b->base;
    return FERRY_OK;
}

ferry_status ferryi_balance_set_fallback(ferry_channel *ch, const ferry_method *m,
                                         ferry_fallback_fn fn, void *arg)
{
    if (ch->ops != &balancer_ops)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_client_set_fallback: not a remote or balancing channel");
    return ferryi_fallback_set(&((balancer *)ch)->fallbacks, m, fn, arg);
}

ferry_status ferry_balance_endpoints(ferry_channel *ch, ferry_endpoint_stats *out, size_t max,
                                     size_t *n)
{
    ferryi_error_clear();
    if (ch == NULL || ch->ops != &balancer_ops || (out == NULL && max > 0) || n == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_balance_endpoints: %s",
                            ch == NULL || ch->ops != &balancer_ops ? "not a balancing channel"
                                                                   : "no out array or no count");
    *n = ferryi_epset_stats(&((balancer *)ch)->set, out, max);
    return FERRY_OK;
}
