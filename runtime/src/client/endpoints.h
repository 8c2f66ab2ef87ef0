/* endpoints.h - a balancer's endpoints: which one a call goes to, which are
 * ejected or draining, which join and leave as the records change, and
 * their figures. No network here: the channels come from the ops a
 * balancer passes in, so tests drive this with channels of their own and
 * the test clock.
 *
 * Thread-safe: one mutex guards the set. ferryi_epset_update() and
 * ferryi_epset_reap() come from one thread at a time (the balancer's own),
 * never from a call's completion: they open and close channels. */
#ifndef FERRYI_ENDPOINTS_H
#define FERRYI_ENDPOINTS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/balance.h"

typedef struct ferryi_ep ferryi_ep;

/* How endpoints' channels are opened, closed and watched. */
typedef struct ferryi_ep_ops {
    /* Opens the channel of `url`; `name` is the DNS name it came from, or
     * NULL (a TLS server name). */
    ferry_status (*open)(void *arg, const char *url, const char *name, ferry_channel **out);
    void (*close)(void *arg, ferry_channel *ch);
    /* Whether a connection is up, and how many the channel has made. */
    void (*link)(void *arg, ferry_channel *ch, int *up, uint64_t *links);
} ferryi_ep_ops;

struct ferryi_ep {
    char url[FERRY_ENDPOINT_URL_MAX];
    ferry_channel *ch;
    /* Unique in its set for the set's life: what a call remembers of the
     * endpoints it tried. Not the pointer, which a reaped endpoint's
     * successor may get again while a call still holds it. */
    uint64_t id;
    /* Under the set's mutex from here on. */
    unsigned in_flight;
    unsigned fails;       /* failed attempts in a row */
    unsigned ejected_n;   /* ejections in a row: the back-off doubles with each */
    uint64_t eject_until; /* ferry ms; 0 = not ejected */
    int probing;          /* its trial call is in flight */
    int draining;         /* its server said it shuts down... */
    uint64_t drain_links; /* ...on the connection made as number drain_links */
    uint16_t priority;    /* the record's (ferryi_ep_addr) */
    uint16_t weight;
    uint16_t weight_split;
    int leaving; /* gone from the records */
    int seen;    /* in the records an update is applying */
    uint64_t calls, errors, answered, latency_sum_us, latency_max_us, ejections;
    ferryi_ep *next_leaving;
};

typedef struct ferryi_epset {
    pthread_mutex_t mu;
    ferryi_ep **v; /* the endpoints in the records, in their order */
    size_t n, cap;
    ferryi_ep *leaving;        /* out of the records, finishing their calls */
    ferry_balance_opts policy; /* with the defaults filled in */
    uint64_t rng;
    uint64_t last_id; /* the id of the last endpoint made */
    const ferryi_ep_ops *ops;
    void *ops_arg;
} ferryi_epset;

/* A new target of one endpoint. */
typedef struct ferryi_ep_addr {
    char url[FERRY_ENDPOINT_URL_MAX];
    char name[FERRY_ENDPOINT_URL_MAX]; /* the DNS name it came from; "" for none */
    /* From an SRV record (RFC 2782), 0 for any other: calls go to the
     * lowest priority that has an endpoint to take them, and within a
     * priority in proportion to weight (all alike when every weight is 0). */
    uint16_t priority;
    uint16_t weight;
    /* How many addresses the record's host has: its weight is theirs
     * together, so each takes weight / weight_split of it (0 counts as 1). */
    uint16_t weight_split;
} ferryi_ep_addr;

void ferryi_epset_init(ferryi_epset *set, const ferryi_ep_ops *ops, void *ops_arg,
                       const ferry_balance_opts *policy);

/* Closes every endpoint's channel; none may have a call in flight. */
void ferryi_epset_fini(ferryi_epset *set);

/* Makes the endpoints those of `addrs` (at most policy.max_endpoints of
 * them; duplicates count once): opens the new ones, and moves those no
 * longer named to the leaving list, where they finish their calls. An
 * endpoint that leaves and comes back before it is reaped is taken back.
 * *added and *removed say how many joined and left; an endpoint whose
 * channel cannot be opened is left out, and counted in *failed. */
void ferryi_epset_update(ferryi_epset *set, const ferryi_ep_addr *addrs, size_t n, size_t *added,
                         size_t *removed, size_t *failed);

/* The endpoint for the next attempt of a call, not one of the `n_tried` it
 * tried already (their ids), or NULL when there is none (`why` says so). Order: an
 * ejected endpoint whose back-off is over and whose connection is up gets
 * one trial call (*trial = 1), unless ready endpoints of a lower priority
 * are there; else, among the ready endpoints of the lowest priority, the
 * less loaded (for its weight) of two drawn by weight; else, likewise, one
 * still connecting; else a draining one. The endpoint's in-flight count is
 * raised: pass it back to ferryi_epset_done. */
ferryi_ep *ferryi_epset_pick(ferryi_epset *set, const uint64_t *tried, size_t n_tried, int *trial,
                             char *why, size_t why_len);

/* Records the attempt on `ep` that ended with `st` (and what `info` says of
 * the server) after `latency_us`. Returns 1 when the endpoint was ejected
 * by it, which is a reason to ask the records again. */
int ferryi_epset_done(ferryi_epset *set, ferryi_ep *ep, int trial, ferry_status st,
                      const ferry_call_info *info, uint64_t latency_us);

/* Closes the leaving endpoints with no call in flight; returns how many. */
size_t ferryi_epset_reap(ferryi_epset *set);

/* Copies up to `max` endpoints' figures; returns how many there are. */
size_t ferryi_epset_stats(ferryi_epset *set, ferry_endpoint_stats *out, size_t max);

/* How many endpoints are in the records. */
size_t ferryi_epset_count(ferryi_epset *set);

#endif
