/* dispatch_api.c - reading and changing a dispatcher from outside its
 * calls: one method's route, its counters and last mismatch, the report of
 * every counter, and waiting for shadow calls (ferry/dispatch.h). Failures
 * say which argument was wrong (base/error.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "dispatch/dispatch_chan.h"

/* The dispatcher behind `ch` and the index of `m` in its service, or NULL
 * with the reason recorded for `fn`. */
static ferryi_dispatcher *dispatcher_method(ferry_channel *ch, const ferry_method *m,
                                            const char *fn, long *idx)
{
    ferryi_dispatcher *d = ferryi_dispatcher_of(ch);
    if (d == NULL) {
        ferryi_error(FERRY_INVALID_ARGUMENT, "%s: the channel is not a dispatcher", fn);
        return NULL;
    }
    *idx = ferryi_dispatch_method_index(d, m);
    if (*idx < 0) {
        ferryi_error(FERRY_INVALID_ARGUMENT, "%s: %s is not a method of %s", fn,
                     m != NULL && m->full_name != NULL ? m->full_name : "(no method)",
                     d->svc->full_name);
        return NULL;
    }
    return d;
}

/* dispatcher_method() for a function that writes what it reads of the
 * method to `out`, which it checks too. */
static ferryi_dispatcher *dispatcher_method_out(ferry_channel *ch, const ferry_method *m,
                                                const char *fn, const void *out, long *idx)
{
    ferryi_dispatcher *d = dispatcher_method(ch, m, fn, idx);
    if (d != NULL && out == NULL) {
        ferryi_error(FERRY_INVALID_ARGUMENT, "%s: no out pointer", fn);
        return NULL;
    }
    return d;
}

ferry_status ferry_dispatcher_set_route(ferry_channel *ch, const ferry_method *m,
                                        const ferry_route *route)
{
    ferryi_error_clear();
    long idx;
    ferryi_dispatcher *d = dispatcher_method(ch, m, "ferry_dispatcher_set_route", &idx);
    if (d == NULL)
        return FERRY_INVALID_ARGUMENT;
    const char *why = NULL;
    if (route == NULL)
        why = "no route given";
    else if ((unsigned)route->stage >= FERRY_STAGE_COUNT)
        why = "the stage is not a ferry_stage";
    else if (route->canary_percent > 100)
        why = "canary_percent is above 100";
    else if (route->side_effects && route->stage != FERRY_STAGE_SHADOW)
        why = "side_effects is for the shadow stage only";
    else if (route->local_fallback && route->stage != FERRY_STAGE_CANARY &&
             route->stage != FERRY_STAGE_REMOTE)
        why = "local_fallback is for the canary and remote stages only";
    if (why != NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "route of %s: %s", m->full_name, why);
    ferry_route r = *route;
    if (r.stage != FERRY_STAGE_CANARY)
        r.canary_percent = 0;
    atomic_store(&d->ms[idx].route, ferryi_route_pack(&r));
    return FERRY_OK;
}

ferry_status ferry_dispatcher_route(ferry_channel *ch, const ferry_method *m, ferry_route *out)
{
    ferryi_error_clear();
    long idx;
    ferryi_dispatcher *d = dispatcher_method_out(ch, m, "ferry_dispatcher_route", out, &idx);
    if (d == NULL)
        return FERRY_INVALID_ARGUMENT;
    *out = ferryi_route_unpack(atomic_load(&d->ms[idx].route));
    return FERRY_OK;
}

void ferry_dispatcher_wait_shadows(ferry_channel *ch)
{
    ferryi_dispatcher *d = ferryi_dispatcher_of(ch);
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->mu);
    while (d->inflight > 0)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

ferry_status ferry_dispatcher_stats(ferry_channel *ch, const ferry_method *m, ferry_stage stage,
                                    ferry_dispatch_stats *out)
{
    ferryi_error_clear();
    long idx;
    ferryi_dispatcher *d = dispatcher_method_out(ch, m, "ferry_dispatcher_stats", out, &idx);
    if (d == NULL)
        return FERRY_INVALID_ARGUMENT;
    if ((unsigned)stage >= FERRY_STAGE_COUNT)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_dispatcher_stats: stage %d is not a ferry_stage", (int)stage);
    ferryi_dispatch_stats_read(d, idx, stage, out);
    return FERRY_OK;
}

size_t ferry_dispatcher_last_mismatch(ferry_channel *ch, const ferry_method *m, char *buf,
                                      size_t len)
{
    ferryi_dispatcher *d = ferryi_dispatcher_of(ch);
    long idx = d != NULL ? ferryi_dispatch_method_index(d, m) : -1;
    if (idx < 0) {
        if (buf != NULL && len > 0)
            buf[0] = '\0';
        return 0;
    }
    return ferryi_dispatch_last_mismatch(d, idx, buf, len);
}

ferry_status ferry_dispatcher_write_stats(ferry_channel *ch, FILE *f, ferry_stats_format format)
{
    ferryi_error_clear();
    ferryi_dispatcher *d = ferryi_dispatcher_of(ch);
    if (d == NULL || f == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_dispatcher_write_stats: %s",
                            d == NULL ? "the channel is not a dispatcher" : "no stream given");
    char spec[1024];
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    errno = 0;
    ferryi_dispatch_write_stats(d, f, format, spec);
    if (ferror(f))
        return ferryi_error(FERRY_INTERNAL, "ferry_dispatcher_write_stats: writing failed: %s",
                            errno != 0 ? strerror(errno) : "stream error");
    return FERRY_OK;
}
