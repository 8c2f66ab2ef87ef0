/* balance.c - the balancing channel: one remote channel per endpoint
 * (client_ep.h), opened and closed as they come and go, and a thread of
 * its own that follows a DNS name (resolve.c) and closes the endpoints
 * that left once their calls are done. Its calls are balance_call.c's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/balance.h"
#include "client/client_ep.h"
#include "base/clock.h"
#include "base/error.h"
#include "identity/keys.h"
#include "base/log.h"
#include "base/utf8.h"
#include "ops/metrics.h"
#include "identity/tls.h"

/* How often the balancer's thread closes endpoints that left, at least. */
#define REAP_MS 200u

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
    ferryi_balance_run_pending(b, 0);
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
        ferryi_balance_run_pending(b, 1); /* none, when the caller waited for its calls */
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
    .call = ferryi_balance_call,
    .call_async = ferryi_balance_call_async,
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
    ferry_status bad = ferryi_client_opts_check(copts);
    if (bad != FERRY_OK)
        return bad;
    balancer *b = calloc(1, sizeof *b);
    if (b == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%.200s: out of memory", target);
    b->base.ops = &balancer_ops;
    /* A label value of the metrics: valid UTF-8, cut on a character. */
    ferryi_utf8_copy(b->target_text, sizeof b->target_text, target);
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

static size_t read_endpoints(void *arg, ferry_endpoint_stats *out, size_t max)
{
    return ferryi_epset_stats(&((balancer *)arg)->set, out, max);
}

ferry_status ferry_metrics_watch_balancer(ferry_metrics *m, ferry_channel *ch)
{
    ferryi_error_clear();
    if (m == NULL || ch == NULL || ch->ops != &balancer_ops)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_metrics_watch_balancer: %s",
                            m == NULL ? "no registry given" : "not a balancing channel");
    balancer *b = (balancer *)ch;
    return ferryi_metrics_watch_endpoints(m, read_endpoints, b, b->target_text);
}

void ferry_metrics_unwatch_balancer(ferry_metrics *m, ferry_channel *ch)
{
    if (m != NULL && ch != NULL)
        ferryi_metrics_unwatch(m, ch);
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
