/* endpoints.c - a balancer's endpoints: the pick, ejection and trial,
 * draining, joining and leaving, and the figures of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/names.h"
#include "client/endpoints.h"
#include "client/retry.h"

#define DEFAULT_EJECT_MS       1000u
#define DEFAULT_EJECT_MAX_MS   30000u
#define DEFAULT_EJECT_FAILURES 3u
#define DEFAULT_MAX_ENDPOINTS  64u
#define MAX_ENDPOINTS          1024u
#define DEFAULT_RESOLVE_MIN_MS 1000u
#define DEFAULT_RESOLVE_MAX_MS 30000u

/* Every endpoint state and its name. */
#define ENDPOINT_STATE_NAMES(X)                                                                    \
    X(FERRY_ENDPOINT_CONNECTING, "connecting")                                                     \
    X(FERRY_ENDPOINT_READY, "ready")                                                               \
    X(FERRY_ENDPOINT_EJECTED, "ejected")                                                           \
    X(FERRY_ENDPOINT_PROBING, "probing")                                                           \
    X(FERRY_ENDPOINT_DRAINING, "draining")                                                         \
    X(FERRY_ENDPOINT_LEAVING, "leaving")
FERRYI_NAMES_FN(ferry_endpoint_state_str, ferry_endpoint_state, ENDPOINT_STATE_NAMES, "unknown")

void ferryi_epset_init(ferryi_epset *set, const ferryi_ep_ops *ops, void *ops_arg,
                       const ferry_balance_opts *policy)
{
    memset(set, 0, sizeof *set);
    ferry_balance_opts p = policy != NULL ? *policy : (ferry_balance_opts){0};
    ferryi_bounds_default(&p.eject_ms, &p.eject_max_ms, DEFAULT_EJECT_MS, DEFAULT_EJECT_MAX_MS);
    if (p.eject_failures == 0)
        p.eject_failures = DEFAULT_EJECT_FAILURES;
    if (p.max_endpoints == 0)
        p.max_endpoints = DEFAULT_MAX_ENDPOINTS;
    if (p.max_endpoints > MAX_ENDPOINTS)
        p.max_endpoints = MAX_ENDPOINTS;
    ferryi_bounds_default(&p.resolve_min_ms, &p.resolve_max_ms, DEFAULT_RESOLVE_MIN_MS,
                          DEFAULT_RESOLVE_MAX_MS);
    set->policy = p;
    set->ops = ops;
    set->ops_arg = ops_arg;
    set->rng = ferryi_clock_noise() | 1u;
    pthread_mutex_init(&set->mu, NULL);
}

static void ep_free(ferryi_epset *set, ferryi_ep *ep)
{
    if (ep->ch != NULL)
        set->ops->close(set->ops_arg, ep->ch);
    free(ep);
}

void ferryi_epset_fini(ferryi_epset *set)
{
    for (size_t i = 0; i < set->n; i++)
        ep_free(set, set->v[i]);
    while (set->leaving != NULL) {
        ferryi_ep *next = set->leaving->next_leaving;
        ep_free(set, set->leaving);
        set->leaving = next;
    }
    free(set->v);
    pthread_mutex_destroy(&set->mu);
}

static ferryi_ep *find(ferryi_ep **v, size_t n, const char *url)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->url, url) == 0)
            return v[i];
    return NULL;
}

/* Takes `url` off the leaving list, when it is there. Call with mu held. */
static ferryi_ep *take_leaving(ferryi_epset *set, const char *url)
{
    for (ferryi_ep **p = &set->leaving; *p != NULL; p = &(*p)->next_leaving) {
        if (strcmp((*p)->url, url) == 0) {
            ferryi_ep *ep = *p;
            *p = ep->next_leaving;
            ep->next_leaving = NULL;
            ep->leaving = 0;
            return ep;
        }
    }
    return NULL;
}

void ferryi_epset_update(ferryi_epset *set, const ferryi_ep_addr *addrs, size_t n, size_t *added,
                         size_t *removed, size_t *failed)
{
    *added = *removed = *failed = 0;
    size_t cap = n < set->policy.max_endpoints ? n : set->policy.max_endpoints;
    ferryi_ep **next = calloc(cap ? cap : 1, sizeof *next);
    if (next == NULL) {
        *failed = n; /* keep what there is */
        return;
    }
    size_t k = 0;
    pthread_mutex_lock(&set->mu);
    for (size_t i = 0; i < set->n; i++)
        set->v[i]->seen = 0;
    for (size_t i = 0; i < n && k + *failed < cap; i++) {
        const ferryi_ep_addr *a = &addrs[i];
        if (find(next, k, a->url) != NULL)
            continue; /* named twice */
        ferryi_ep *ep = find(set->v, set->n, a->url);
        if (ep == NULL && (ep = take_leaving(set, a->url)) != NULL)
            (*added)++;
        if (ep == NULL) {
            ep = calloc(1, sizeof *ep);
            if (ep == NULL) {
                (*failed)++;
                continue;
            }
            snprintf(ep->url, sizeof ep->url, "%s", a->url);
            /* Opening starts a background dial: no wait on the network. */
            if (set->ops->open(set->ops_arg, a->url, a->name[0] != '\0' ? a->name : NULL,
                               &ep->ch) != FERRY_OK) {
                free(ep);
                (*failed)++;
                continue;
            }
            ep->id = ++set->last_id;
            (*added)++;
        }
        ep->seen = 1;
        ep->priority = a->priority; /* a record may change them */
        ep->weight = a->weight;
        ep->weight_split = a->weight_split;
        next[k++] = ep;
    }
    for (size_t i = 0; i < set->n; i++) {
        ferryi_ep *ep = set->v[i];
        if (ep->seen)
            continue;
        ep->leaving = 1;
        ep->next_leaving = set->leaving;
        set->leaving = ep;
        (*removed)++;
    }
    free(set->v);
    set->v = next;
    set->n = k;
    set->cap = cap;
    pthread_mutex_unlock(&set->mu);
}

/* The draining mark holds until the endpoint's channel makes a new
 * connection: a restarted server. Call with mu held. */
static void link_state(ferryi_epset *set, ferryi_ep *ep, int *up)
{
    uint64_t links = 0;
    set->ops->link(set->ops_arg, ep->ch, up, &links);
    if (ep->draining && links != ep->drain_links)
        ep->draining = 0;
}

static int tried_already(const ferryi_ep *ep, const uint64_t *tried, size_t n_tried)
{
    for (size_t i = 0; i < n_tried; i++)
        if (tried[i] == ep->id)
            return 1;
    return 0;
}

/* Classes of candidates, in the order a pick prefers them. */
enum { C_TRIAL, C_READY, C_CONNECTING, C_DRAINING, C_NONE };

static int classify(ferryi_epset *set, ferryi_ep *ep, uint64_t now)
{
    int up = 0;
    link_state(set, ep, &up);
    if (ep->eject_until != 0) {
        if (now < ep->eject_until || ep->probing || !up)
            return C_NONE;
        return C_TRIAL;
    }
    if (ep->draining)
        return C_DRAINING;
    return up ? C_READY : C_CONNECTING;
}

/* An endpoint's share of its priority's calls when the weights differ:
 * its SRV record's weight, divided among the addresses of the record's host
 * (the weight is the host's, however many addresses it has), scaled so that
 * a weight of 0 is a very small share rather than none, as RFC 2782 asks. */
static uint64_t share(const ferryi_ep *ep)
{
    if (ep->weight == 0)
        return 1;
    uint64_t s = ((uint64_t)ep->weight << 8) / (ep->weight_split > 1 ? ep->weight_split : 1);
    return s > 1 ? s : 2;
}

/* An index into `c` (n of them) other than `skip` (n when none), drawn in
 * proportion to share(); `total` is the shares of all but `skip`. */
static size_t draw_weighted(ferryi_epset *set, ferryi_ep **c, size_t n, size_t skip, uint64_t total)
{
    uint64_t r = ferryi_xorshift(&set->rng) % total;
    for (size_t i = 0; i < n; i++) {
        if (i == skip)
            continue;
        if (r < share(c[i]))
            return i;
        r -= share(c[i]);
    }
    return skip == n - 1 ? n - 2 : n - 1; /* not reached: the shares add up to total */
}

/* The less loaded of two endpoints drawn from `c` (n of them): "power of
 * two choices", which spreads load nearly as well as asking every endpoint,
 * without herding every caller onto the one that looked idlest. When their
 * weights differ the two are drawn by weight and their loads compared per
 * unit of it, so that calls split in proportion to weight. Call with mu
 * held. */
static ferryi_ep *two_choices(ferryi_epset *set, ferryi_ep **c, size_t n)
{
    if (n == 1)
        return c[0];
    int weighted = 0;
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++) {
        weighted |= share(c[k]) != share(c[0]);
        total += share(c[k]);
    }
    if (!weighted) {
        size_t i = (size_t)(ferryi_xorshift(&set->rng) % n);
        size_t j = (size_t)(ferryi_xorshift(&set->rng) % (n - 1));
        if (j >= i)
            j++;
        return c[j]->in_flight < c[i]->in_flight ? c[j] : c[i];
    }
    size_t i = draw_weighted(set, c, n, n, total);
    size_t j = draw_weighted(set, c, n, i, total - share(c[i]));
    /* The draw by weight decides, unless the second endpoint, with this
     * call added, would still be less loaded for its share than the first
     * is without it (loads compared without dividing). Counting the call
     * keeps an idle endpoint of a small share from taking every call the
     * other has one in flight for; not counting it on the first keeps the
     * heavier from taking every call while few are in flight. */
    uint64_t load_j = ((uint64_t)c[j]->in_flight + 1) * share(c[i]);
    uint64_t load_i = (uint64_t)c[i]->in_flight * share(c[j]);
    return load_j < load_i ? c[j] : c[i];
}

ferryi_ep *ferryi_epset_pick(ferryi_epset *set, const uint64_t *tried, size_t n_tried, int *trial,
                             char *why, size_t why_len)
{
    *trial = 0;
    uint64_t now = ferryi_now_ms();
    pthread_mutex_lock(&set->mu);
    ferryi_ep *stack[64];
    ferryi_ep **c = set->n <= 64 ? stack : malloc(set->n * sizeof *c);
    if (c == NULL) {
        pthread_mutex_unlock(&set->mu);
        snprintf(why, why_len, "out of memory picking an endpoint");
        return NULL;
    }
    ferryi_ep *pick = NULL;
    ferryi_ep *due = NULL; /* the trial due of the lowest priority */
    int best = C_NONE;     /* the best class but trials, and its lowest priority */
    unsigned best_prio = 0;
    size_t nc = 0, ejected = 0, skipped = 0;
    for (size_t i = 0; i < set->n; i++) {
        ferryi_ep *ep = set->v[i];
        if (tried_already(ep, tried, n_tried)) {
            skipped++;
            continue;
        }
        int k = classify(set, ep, now);
        if (k == C_NONE) {
            ejected++;
            continue;
        }
        if (k == C_TRIAL) {
            if (due == NULL || ep->priority < due->priority)
                due = ep;
            continue;
        }
        if (k > best || (k == best && ep->priority > best_prio))
            continue;
        if (k < best || ep->priority < best_prio) {
            best = k;
            best_prio = ep->priority;
            nc = 0;
        }
        c[nc++] = ep;
    }
    /* A trial goes first, unless endpoints of a lower priority are ready:
     * a backup whose back-off ran out has nothing to prove while the
     * primaries take the calls. */
    if (due != NULL && (best != C_READY || due->priority <= best_prio)) {
        pick = due;
        pick->probing = 1;
        *trial = 1;
    } else if (best != C_NONE) {
        pick = two_choices(set, c, nc);
    }
    if (pick != NULL) {
        pick->in_flight++;
        pick->calls++;
    } else if (set->n == 0) {
        snprintf(why, why_len, "no endpoints");
    } else {
        snprintf(why, why_len, "no endpoint to try: %zu of %zu ejected, %zu tried in this round",
                 ejected, set->n, skipped);
    }
    if (c != stack)
        free(c);
    pthread_mutex_unlock(&set->mu);
    return pick;
}

/* Takes `ep` out of the picks for its back-off. Call with mu held. */
static void eject(ferryi_epset *set, ferryi_ep *ep, uint64_t now)
{
    ep->eject_until =
        now + ferryi_backoff_ms(set->policy.eject_ms, ep->ejected_n, set->policy.eject_max_ms);
    ep->ejected_n++;
    ep->ejections++;
    ep->fails = 0;
}

int ferryi_epset_done(ferryi_epset *set, ferryi_ep *ep, int trial, ferry_status st,
                      const ferry_call_info *info, uint64_t latency_us)
{
    int failed = st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED;
    int ejected = 0;
    uint64_t now = ferryi_now_ms();
    pthread_mutex_lock(&set->mu);
    if (ep->in_flight > 0)
        ep->in_flight--;
    if (trial)
        ep->probing = 0;
    if (info != NULL && info->server_draining) {
        /* Not the endpoint's failure: its server is leaving in good order. */
        if (!ep->draining) {
            uint64_t links = 0;
            int up = 0;
            set->ops->link(set->ops_arg, ep->ch, &up, &links);
            ep->draining = 1;
            ep->drain_links = links;
        }
        failed = failed && !info->not_run;
    }
    if (failed) {
        ep->errors++;
        ep->fails++;
        if (trial || (ep->eject_until == 0 && ep->fails >= set->policy.eject_failures)) {
            eject(set, ep, now);
            ejected = 1;
        }
    } else {
        ep->fails = 0;
        ep->answered++;
        ep->latency_sum_us += latency_us;
        if (latency_us > ep->latency_max_us)
            ep->latency_max_us = latency_us;
        if (trial) {
            ep->eject_until = 0; /* the trial passed: back in */
            ep->ejected_n = 0;
        }
    }
    pthread_mutex_unlock(&set->mu);
    return ejected;
}

size_t ferryi_epset_reap(ferryi_epset *set)
{
    ferryi_ep *done = NULL;
    pthread_mutex_lock(&set->mu);
    for (ferryi_ep **p = &set->leaving; *p != NULL;) {
        ferryi_ep *ep = *p;
        if (ep->in_flight == 0) {
            *p = ep->next_leaving;
            ep->next_leaving = done;
            done = ep;
        } else {
            p = &ep->next_leaving;
        }
    }
    pthread_mutex_unlock(&set->mu);
    size_t n = 0;
    while (done != NULL) { /* closed outside the lock: a close waits for nng */
        ferryi_ep *next = done->next_leaving;
        ep_free(set, done);
        done = next;
        n++;
    }
    return n;
}

static void fill(ferryi_epset *set, ferryi_ep *ep, uint64_t now, ferry_endpoint_stats *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->url, sizeof o->url, "%s", ep->url);
    int up = 0;
    link_state(set, ep, &up);
    if (ep->leaving)
        o->state = FERRY_ENDPOINT_LEAVING;
    else if (ep->eject_until != 0)
        o->state = now < ep->eject_until ? FERRY_ENDPOINT_EJECTED : FERRY_ENDPOINT_PROBING;
    else if (ep->draining)
        o->state = FERRY_ENDPOINT_DRAINING;
    else
        o->state = up ? FERRY_ENDPOINT_READY : FERRY_ENDPOINT_CONNECTING;
    o->calls = ep->calls;
    o->errors = ep->errors;
    o->in_flight = ep->in_flight;
    o->answered = ep->answered;
    o->latency_sum_us = ep->latency_sum_us;
    o->latency_max_us = ep->latency_max_us;
    o->ejections = ep->ejections;
}

size_t ferryi_epset_stats(ferryi_epset *set, ferry_endpoint_stats *out, size_t max)
{
    uint64_t now = ferryi_now_ms();
    size_t k = 0;
    pthread_mutex_lock(&set->mu);
    for (size_t i = 0; i < set->n; i++, k++)
        if (k < max)
            fill(set, set->v[i], now, &out[k]);
    for (ferryi_ep *ep = set->leaving; ep != NULL; ep = ep->next_leaving, k++)
        if (k < max)
            fill(set, ep, now, &out[k]);
    pthread_mutex_unlock(&set->mu);
    return k;
}

size_t ferryi_epset_count(ferryi_epset *set)
{
    pthread_mutex_lock(&set->mu);
    size_t n = set->n;
    pthread_mutex_unlock(&set->mu);
    return n;
}
