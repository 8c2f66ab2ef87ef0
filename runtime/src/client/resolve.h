/* resolve.h - what a balancing channel's target names, and the DNS lookups
 * (c-ares) that turn a name into endpoints.
 *
 * Thread safety: a resolver is used by one thread at a time (a balancer's
 * own); ferryi_target_parse() may be called from any thread. */
#ifndef FERRYI_RESOLVE_H
#define FERRYI_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "client/endpoints.h"

typedef enum {
    FERRYI_TARGET_LIST = 0, /* URLs, comma-separated */
    FERRYI_TARGET_DNS = 1,  /* dns://host:port: A and AAAA */
    FERRYI_TARGET_SRV = 2,  /* dns+srv://name: SRV, then A and AAAA of each target */
} ferryi_target_kind;

#define FERRYI_DNS_NAME_MAX 253

typedef struct ferryi_target {
    ferryi_target_kind kind;
    int tls;                            /* endpoints are tls+tcp:// */
    char host[FERRYI_DNS_NAME_MAX + 1]; /* the name asked (DNS, SRV) */
    uint16_t port;                      /* DNS */
    ferryi_ep_addr *list;               /* LIST: the URLs */
    size_t n;
} ferryi_target;

/* Reads `s`. On failure `why` says what is wrong with it. */
ferry_status ferryi_target_parse(const char *s, ferryi_target *t, char *why, size_t why_len);
void ferryi_target_free(ferryi_target *t);

/* Whether `name` is a DNS host name ferry asks for: labels of letters,
 * digits, '-' and '_' joined by dots, at most 63 bytes each, 253 in all. */
int ferryi_dns_name_ok(const char *name);

typedef struct ferryi_resolver ferryi_resolver;

/* A resolver that asks `servers` ("host:port", comma-separated), or when
 * NULL or empty the system's configured servers. */
ferry_status ferryi_resolver_new(ferryi_resolver **out, const char *servers, char *why,
                                 size_t why_len);
void ferryi_resolver_free(ferryi_resolver *r);

/* Looks up the endpoints of `t` (a DNS or SRV target), waiting in the
 * calling thread for at most the resolver's timeouts. On FERRY_OK *addrs
 * (free() it) holds *n endpoints, at most `max`, and *ttl_s the shortest
 * TTL among the records; otherwise `why` says what went wrong (no such
 * name, no records, no answer, a malformed answer). */
ferry_status ferryi_resolve(ferryi_resolver *r, const ferryi_target *t, size_t max,
                            ferryi_ep_addr **addrs, size_t *n, uint32_t *ttl_s, char *why,
                            size_t why_len);

/* Records of one SRV answer read at most: a bound on what a hostile
 * answer can make ferry hold, whatever the count it claims. */
#define FERRYI_SRV_MAX 256

struct ares_srv_reply;

/* The FERRYI_SRV_MAX records of the c-ares list `list` that come first by
 * priority (lowest first, and otherwise in the order of the answer) into
 * `out`, so that the endpoints a channel keeps when there are more than it
 * takes are the ones it would call first, wherever the answer lists them.
 * Returns how many. */
size_t ferryi_srv_by_priority(struct ares_srv_reply *list, struct ares_srv_reply **out);

#endif
