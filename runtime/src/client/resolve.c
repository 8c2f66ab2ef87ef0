/* resolve.c - balancing targets read, and DNS names turned into endpoints
 * with c-ares: A and AAAA records with the target's port, or SRV records
 * and the addresses of their hosts. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>

#include <ares.h>

#include "client/resolve.h"

#define TIMEOUT_MS 1000 /* per try and server */
#define TRIES      2
/* Records read from one answer at most: a bound on what a hostile answer
 * can make ferry hold, whatever the count it claims. */
#define ANSWER_MAX 256

/* ------------------------------------------------------------------------
 * Targets
 * ---------------------------------------------------------------------- */

int ferryi_dns_name_ok(const char *name)
{
    size_t len = strlen(name), label = 0;
    if (len == 0 || len > FERRYI_DNS_NAME_MAX || name[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0)
                return 0; /* an empty label */
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-' && c != '_')
            return 0;
        if (++label > 63)
            return 0;
    }
    return 1;
}

static ferry_status parse_list(const char *s, ferryi_target *t, char *why, size_t why_len)
{
    size_t n = 1;
    for (const char *p = s; *p != '\0'; p++)
        n += *p == ',';
    t->list = calloc(n, sizeof *t->list);
    if (t->list == NULL) {
        snprintf(why, why_len, "out of memory for %zu URLs", n);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    const char *p = s;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len == 0 || len >= FERRY_ENDPOINT_URL_MAX || memchr(p, ':', len) == NULL) {
            snprintf(why, why_len, "item %zu of the list is not a URL of at most %d bytes", i + 1,
                     FERRY_ENDPOINT_URL_MAX - 1);
            return FERRY_INVALID_ARGUMENT;
        }
        if (len >= 6 && strncmp(p, "dns", 3) == 0) {
            snprintf(why, why_len, "item %zu of the list is a dns name; a list takes URLs", i + 1);
            return FERRY_INVALID_ARGUMENT;
        }
        memcpy(t->list[i].url, p, len);
        t->list[i].url[len] = '\0';
        p = end != NULL ? end + 1 : p + len;
    }
    t->n = n;
    return FERRY_OK;
}

ferry_status ferryi_target_parse(const char *s, ferryi_target *t, char *why, size_t why_len)
{
    memset(t, 0, sizeof *t);
    static const struct {
        const char *prefix;
        ferryi_target_kind kind;
        int tls;
    } schemes[] = {
        {"dns+srv+tls://", FERRYI_TARGET_SRV, 1},
        {"dns+srv://", FERRYI_TARGET_SRV, 0},
        {"dns+tls://", FERRYI_TARGET_DNS, 1},
        {"dns://", FERRYI_TARGET_DNS, 0},
    };
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t pl = strlen(schemes[i].prefix);
        if (strncmp(s, schemes[i].prefix, pl) != 0)
            continue;
        t->kind = schemes[i].kind;
        t->tls = schemes[i].tls;
        const char *name = s + pl;
        const char *colon = strrchr(name, ':');
        size_t len = strlen(name);
        if (t->kind == FERRYI_TARGET_DNS) {
            char *end = NULL;
            unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
            if (colon == NULL || colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535) {
                snprintf(why, why_len, "%s needs a port from 1 to 65535: %shost:port",
                         schemes[i].prefix, schemes[i].prefix);
                return FERRY_INVALID_ARGUMENT;
            }
            t->port = (uint16_t)port;
            len = (size_t)(colon - name);
        } else if (colon != NULL) {
            snprintf(why, why_len, "%s takes a name without a port: the SRV records give them",
                     schemes[i].prefix);
            return FERRY_INVALID_ARGUMENT;
        }
        if (len > FERRYI_DNS_NAME_MAX) {
            snprintf(why, why_len, "DNS name of %zu bytes; the limit is %d", len,
                     FERRYI_DNS_NAME_MAX);
            return FERRY_INVALID_ARGUMENT;
        }
        memcpy(t->host, name, len);
        t->host[len] = '\0';
        if (len > 0 && t->host[len - 1] == '.')
            t->host[len - 1] = '\0'; /* a fully qualified name's root */
        if (!ferryi_dns_name_ok(t->host)) {
            snprintf(why, why_len,
                     "\"%.*s\" is not a DNS name (labels of letters, digits, '-' and '_', at most "
                     "63 bytes each)",
                     (int)(len > 80 ? 80 : len), name);
            return FERRY_INVALID_ARGUMENT;
        }
        return FERRY_OK;
    }
    if (strncmp(s, "dns", 3) == 0 && strstr(s, "://") != NULL && strchr(s, ',') == NULL) {
        snprintf(why, why_len,
                 "unknown scheme; use dns://, dns+tls://, dns+srv:// or dns+srv+tls://");
        return FERRY_INVALID_ARGUMENT;
    }
    t->kind = FERRYI_TARGET_LIST;
    return parse_list(s, t, why, why_len);
}

void ferryi_target_free(ferryi_target *t)
{
    free(t->list);
    t->list = NULL;
    t->n = 0;
}

/* ------------------------------------------------------------------------
 * Lookups
 * ---------------------------------------------------------------------- */

struct ferryi_resolver {
    ares_channel ch;
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status = ARES_SUCCESS;

static void library_init(void)
{
    library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

ferry_status ferryi_resolver_new(ferryi_resolver **out, const char *servers, char *why,
                                 size_t why_len)
{
    *out = NULL;
    pthread_once(&library_once, library_init);
    if (library_status != ARES_SUCCESS) {
        snprintf(why, why_len, "c-ares: %s", ares_strerror(library_status));
        return FERRY_INTERNAL;
    }
    ferryi_resolver *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(why, why_len, "out of memory for a resolver");
        return FERRY_RESOURCE_EXHAUSTED;
    }
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.timeout = TIMEOUT_MS;
    o.tries = TRIES;
    int rv = ares_init_options(&r->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rv != ARES_SUCCESS) {
        snprintf(why, why_len, "c-ares cannot start: %s", ares_strerror(rv));
        free(r);
        return FERRY_INTERNAL;
    }
    if (servers != NULL && servers[0] != '\0') {
        rv = ares_set_servers_ports_csv(r->ch, servers);
        if (rv != ARES_SUCCESS) {
            snprintf(why, why_len,
                     "DNS server \"%s\" not understood (host:port, comma-separated): %s", servers,
                     ares_strerror(rv));
            ferryi_resolver_free(r);
            return FERRY_INVALID_ARGUMENT;
        }
    }
    *out = r;
    return FERRY_OK;
}

void ferryi_resolver_free(ferryi_resolver *r)
{
    if (r == NULL)
        return;
    ares_destroy(r->ch);
    free(r);
}

/* Runs c-ares until every query started has answered or timed out. */
static void wait_all(ferryi_resolver *r)
{
    for (;;) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        nfds_t n = 0;
        /* c-ares's own bit macros shift a signed 1 into the sign bit. */
        unsigned ub = (unsigned)bits;
        for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = 0;
            if ((ub >> i) & 1u)
                ev |= POLLIN;
            if ((ub >> (i + ARES_GETSOCK_MAXNUM)) & 1u)
                ev |= POLLOUT;
            if (ev != 0) {
                pfd[n].fd = socks[i];
                pfd[n].events = ev;
                pfd[n].revents = 0;
                n++;
            }
        }
        if (n == 0)
            return; /* nothing pending */
        struct timeval max = {.tv_sec = 1, .tv_usec = 0}, tv;
        struct timeval *t = ares_timeout(r->ch, &max, &tv);
        int ms = (int)(t->tv_sec * 1000 + t->tv_usec / 1000);
        int rv = poll(pfd, n, ms);
        if (rv <= 0) {
            ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (pfd[i].revents == 0)
                continue;
            ares_socket_t rd =
                pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD;
            ares_socket_t wr =
                pfd[i].revents & (POLLOUT | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD;
            ares_process_fd(r->ch, rd, wr);
        }
    }
}

/* What one lookup gathers. */
typedef struct gather {
    ferryi_ep_addr *v;
    size_t n, max;
    uint32_t ttl_s;
    int have_ttl;
    int status;       /* the first c-ares error, if nothing was found */
    const char *name; /* the TLS server name of what is added */
    uint16_t port;
    uint16_t priority, weight; /* the SRV record's, for what is added */
    size_t host_first;         /* where the addresses of the record's host begin */
    int tls;
    size_t bad_names;           /* SRV targets that are not host names */
    struct ares_srv_reply *srv; /* an SRV lookup's answer */
} gather;

static void take_ttl(gather *g, int ttl)
{
    uint32_t t = ttl < 0 ? 0 : (uint32_t)ttl;
    if (!g->have_ttl || t < g->ttl_s)
        g->ttl_s = t;
    g->have_ttl = 1;
}

static void add_url(gather *g, const char *host, int v6)
{
    if (g->n >= g->max)
        return;
    ferryi_ep_addr *a = &g->v[g->n];
    snprintf(a->url, sizeof a->url, "%s://%s%s%s:%u", g->tls ? "tls+tcp" : "tcp", v6 ? "[" : "",
             host, v6 ? "]" : "", g->port);
    snprintf(a->name, sizeof a->name, "%s", g->name != NULL ? g->name : "");
    a->priority = g->priority;
    a->weight = g->weight;
    a->weight_split = 1;
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->v[i].url, a->url) == 0)
            return; /* named twice */
    g->n++;
}

static void on_address(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    gather *g = arg;
    (void)timeouts;
    if (status != ARES_SUCCESS) {
        if (g->status == ARES_SUCCESS || g->status == ARES_ENODATA)
            g->status = status;
        return;
    }
    /* The type of the question tells which parse applies: byte 12 on is the
     * question; its type follows the name. Rather than walk it, try A then
     * AAAA: each refuses an answer of the other type with no records. */
    struct ares_addrttl a4[ANSWER_MAX];
    int n4 = ANSWER_MAX;
    char text[INET6_ADDRSTRLEN];
    if (ares_parse_a_reply(abuf, alen, NULL, a4, &n4) == ARES_SUCCESS && n4 > 0) {
        for (int i = 0; i < n4; i++) {
            inet_ntop(AF_INET, &a4[i].ipaddr, text, sizeof text);
            add_url(g, text, 0);
            take_ttl(g, a4[i].ttl);
        }
        return;
    }
    struct ares_addr6ttl a6[ANSWER_MAX];
    int n6 = ANSWER_MAX;
    int rv = ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n6);
    if (rv == ARES_SUCCESS && n6 > 0) {
        for (int i = 0; i < n6; i++) {
            inet_ntop(AF_INET6, &a6[i].ip6addr, text, sizeof text);
            add_url(g, text, 1);
            take_ttl(g, a6[i].ttl);
        }
        return;
    }
    if (g->status == ARES_SUCCESS)
        g->status = rv == ARES_SUCCESS ? ARES_ENODATA : rv;
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    gather *g = arg;
    (void)timeouts;
    if (status != ARES_SUCCESS) {
        g->status = status;
        return;
    }
    int rv = ares_parse_srv_reply(abuf, alen, &g->srv);
    if (rv != ARES_SUCCESS)
        g->status = rv;
}

size_t ferryi_srv_by_priority(struct ares_srv_reply *list, struct ares_srv_reply **out)
{
    size_t n = 0;
    for (struct ares_srv_reply *s = list; s != NULL; s = s->next) {
        if (n == FERRYI_SRV_MAX && out[n - 1]->priority <= s->priority)
            continue;                                /* behind every record kept */
        size_t i = n < FERRYI_SRV_MAX ? n++ : n - 1; /* full: the last kept gives way */
        for (; i > 0 && out[i - 1]->priority > s->priority; i--)
            out[i] = out[i - 1];
        out[i] = s;
    }
    return n;
}

/* Asks for the A and AAAA records of `host` and waits for both. */
static void lookup_host(ferryi_resolver *r, gather *g, const char *host)
{
    ares_query(r->ch, host, ns_c_in, ns_t_a, on_address, g);
    ares_query(r->ch, host, ns_c_in, ns_t_aaaa, on_address, g);
    wait_all(r);
}

static const char *reason(int status)
{
    switch (status) {
    case ARES_ENODATA:
        return "no records of that type";
    case ARES_ENOTFOUND:
        return "no such name";
    case ARES_ETIMEOUT:
        return "no answer from the DNS server";
    case ARES_ECONNREFUSED:
        return "the DNS server refused the connection";
    case ARES_EBADRESP:
        return "a malformed answer";
    default:
        return ares_strerror(status);
    }
}

ferry_status ferryi_resolve(ferryi_resolver *r, const ferryi_target *t, size_t max,
                            ferryi_ep_addr **addrs, size_t *n, uint32_t *ttl_s, char *why,
                            size_t why_len)
{
    *addrs = NULL;
    *n = 0;
    *ttl_s = 0;
    gather g;
    memset(&g, 0, sizeof g);
    g.max = max;
    g.tls = t->tls;
    g.v = calloc(max ? max : 1, sizeof *g.v);
    if (g.v == NULL) {
        snprintf(why, why_len, "out of memory for %zu endpoints", max);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    if (t->kind == FERRYI_TARGET_DNS) {
        g.port = t->port;
        g.name = t->host;
        lookup_host(r, &g, t->host);
    } else {
        ares_query(r->ch, t->host, ns_c_in, ns_t_srv, on_srv, &g);
        wait_all(r);
        int srv_status = g.status;
        g.status = ARES_SUCCESS;
        struct ares_srv_reply *recs[FERRYI_SRV_MAX];
        size_t k = ferryi_srv_by_priority(g.srv, recs);
        for (size_t i = 0; i < k && g.n < max; i++) {
            const struct ares_srv_reply *s = recs[i];
            if (s->port == 0 || !ferryi_dns_name_ok(s->host)) {
                g.bad_names++; /* a hostile or broken record: skipped */
                continue;
            }
            g.port = s->port;
            g.name = s->host;
            g.priority = s->priority;
            g.weight = s->weight;
            g.host_first = g.n;
            lookup_host(r, &g, s->host);
            for (size_t q = g.host_first; q < g.n; q++)
                g.v[q].weight_split = (uint16_t)(g.n - g.host_first);
        }
        if (g.srv != NULL)
            ares_free_data(g.srv);
        if (srv_status != ARES_SUCCESS)
            g.status = srv_status;
        else if (k == 0)
            g.status = ARES_ENODATA;
    }
    if (g.n == 0) {
        if (g.bad_names > 0)
            snprintf(why, why_len, "%s: %zu SRV records, none naming a usable host and port",
                     t->host, g.bad_names);
        else
            snprintf(why, why_len, "%s: %s", t->host,
                     reason(g.status != ARES_SUCCESS ? g.status : ARES_ENODATA));
        free(g.v);
        return FERRY_UNAVAILABLE;
    }
    *addrs = g.v;
    *n = g.n;
    *ttl_s = g.ttl_s;
    return FERRY_OK;
}
