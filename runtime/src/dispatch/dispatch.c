/* dispatch.c - the dispatcher channel (ferry/dispatch.h) as an object:
 * opening it over a local and a remote channel, its routes set from a spec
 * or one by one and read back, its stats, and closing it once its shadow
 * calls are done. Its calls are dispatch_call.c's; its counters and their
 * reports dispatch_stats.c's. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "dispatch/dispatch_chan.h"
#include "base/log.h"

#define DEFAULT_SHADOW_INFLIGHT 64u
#define DEFAULT_LOG_LIMIT       10u

static const ferry_channel_ops dispatch_ops;

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

ferryi_dispatcher *ferryi_dispatcher_of(ferry_channel *ch)
{
    return ch != NULL && ch->ops == &dispatch_ops ? (ferryi_dispatcher *)ch : NULL;
}

/* ------------------------------------------------------------------------
 * The channel: its calls are dispatch_call.c's
 * ---------------------------------------------------------------------- */

static void dispatch_close(ferry_channel *ch)
{
    ferryi_dispatcher *d = (ferryi_dispatcher *)ch;
    pthread_mutex_lock(&d->mu);
    d->closing = 1;
    while (d->inflight > 0)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    ferry_channel_close(d->local);
    ferry_channel_close(d->remote);
    for (size_t i = 0; i < d->svc->n_methods; i++)
        pthread_mutex_destroy(&d->ms[i].mu);
    free(d->ms);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

static const ferry_channel_ops dispatch_ops = {
    .call = ferryi_dispatch_call,
    .call_async = ferryi_dispatch_call_async,
    .close = dispatch_close,
};

/* ------------------------------------------------------------------------
 * Opening and configuring
 * ---------------------------------------------------------------------- */

static uint64_t random_seed(void)
{
    uint64_t s = ferryi_clock_noise();
    FILE *f = fopen("/dev/urandom", "rb");
    if (f != NULL) {
        uint64_t r = 0;
        if (fread(&r, sizeof r, 1, f) == 1)
            s ^= r;
        fclose(f);
    }
    return s != 0 ? s : 1;
}

/* Stores parsed routes: the default, then each method's word. */
static void store_routes(ferryi_dispatcher *d, const ferry_route *def, const ferry_route *routes)
{
    atomic_store(&d->default_route, ferryi_route_pack(def));
    for (size_t i = 0; i < d->svc->n_methods; i++)
        atomic_store(&d->ms[i].route, ferryi_route_pack(&routes[i]));
}

static ferry_status apply_spec(ferryi_dispatcher *d, const char *spec, const char *from)
{
    ferry_route def;
    ferry_route *routes = calloc(d->svc->n_methods ? d->svc->n_methods : 1, sizeof *routes);
    if (routes == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", d->svc->full_name);
    ferry_status st = ferryi_spec_parse(d->svc, spec, &def, routes);
    if (st == FERRY_OK) {
        store_routes(d, &def, routes);
        char now[512];
        ferry_dispatcher_spec(&d->base, now, sizeof now);
        ferryi_log(FERRYI_LOG_INFO, "dispatch", "%s: routes from %s: %s", d->svc->full_name,
                   from != NULL ? from : "the config call", now);
    } else if (from != NULL) {
        ferryi_error(st, "%s: %s", from, ferry_last_error());
    }
    free(routes);
    return st;
}

ferry_status ferry_dispatcher_open(ferry_channel **out, const ferry_service_desc *svc,
                                   ferry_channel *local, ferry_channel *remote,
                                   const ferry_dispatch_opts *opts)
{
    ferryi_error_clear();
    if (out == NULL || svc == NULL || local == NULL || remote == NULL) {
        if (out != NULL)
            *out = NULL;
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_dispatcher_open: out, svc, local and remote are needed");
    }
    *out = NULL;
    ferry_dispatch_opts o = opts != NULL ? *opts : (ferry_dispatch_opts){0};
    ferryi_dispatcher *d = calloc(1, sizeof *d);
    ferryi_method_state *ms = calloc(svc->n_methods ? svc->n_methods : 1, sizeof *ms);
    if (d == NULL || ms == NULL) {
        free(d);
        free(ms);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", svc->full_name);
    }
    d->base.ops = &dispatch_ops;
    d->svc = svc;
    d->local = local;
    d->remote = remote;
    d->ms = ms;
    d->shadow_deadline_ms = o.shadow_deadline_ms;
    d->max_inflight = o.shadow_max_inflight ? o.shadow_max_inflight : DEFAULT_SHADOW_INFLIGHT;
    d->log_limit = o.mismatch_log_limit ? o.mismatch_log_limit : DEFAULT_LOG_LIMIT;
    atomic_init(&d->rng, o.seed != 0 ? o.seed : random_seed());
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    for (size_t i = 0; i < svc->n_methods; i++)
        pthread_mutex_init(&ms[i].mu, NULL);

    const char *env = o.env_name != NULL ? getenv(o.env_name) : NULL;
    ferry_status st = FERRY_OK;
    if (env != NULL && *env != '\0')
        st = apply_spec(d, env, o.env_name);
    else if (o.spec != NULL)
        st = apply_spec(d, o.spec, "opts.spec");
    if (st != FERRY_OK) {
        d->local = d->remote = NULL; /* still the caller's */
        dispatch_close(&d->base);
        return st;
    }
    *out = &d->base;
    return FERRY_OK;
}

ferry_status ferry_dispatcher_configure(ferry_channel *ch, const char *spec)
{
    ferryi_error_clear();
    ferryi_dispatcher *d = ferryi_dispatcher_of(ch);
    if (d == NULL || spec == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_dispatcher_configure: %s",
                            d == NULL ? "the channel is not a dispatcher" : "no spec given");
    return apply_spec(d, spec, NULL);
}

size_t ferry_dispatcher_spec(ferry_channel *ch, char *buf, size_t len)
{
    ferryi_dispatcher *d = ferryi_dispatcher_of(ch);
    if (d == NULL) {
        if (buf != NULL && len > 0)
            buf[0] = '\0';
        return 0;
    }
    uint32_t def = atomic_load(&d->default_route);
    ferry_route r = ferryi_route_unpack(def);
    char one[64];
    ferryi_route_str(&r, one, sizeof one);
    size_t need = 0;
    char dummy[1];
    if (buf == NULL || len == 0) {
        buf = dummy;
        len = 1;
    }
    int n = snprintf(buf, len, "%s", one);
    need += n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < d->svc->n_methods; i++) {
        uint32_t w = atomic_load(&d->ms[i].route);
        if (w == def)
            continue;
        r = ferryi_route_unpack(w);
        ferryi_route_str(&r, one, sizeof one);
        size_t at = need < len ? need : len - 1;
        n = snprintf(buf + at, len - at, ",%s=%s", d->svc->methods[i].name, one);
        need += n > 0 ? (size_t)n : 0;
    }
    return need;
}
