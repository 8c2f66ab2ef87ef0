/* admin.c - the admin service a server can host (ferry_server_add_admin()):
 * ferry.admin.v1.Admin/GetStats answers with the server's API version ranges
 * and the calls it counted (versions.c). */
#include <stdlib.h>
#include <string.h>

#include "ferry/admin/v1/admin.ferry.h"
#include "base/clock.h"
#include "base/error.h"
#include "server/hosted.h"

static int row_cmp(const void *a, const void *b)
{
    const ferryi_vrow *x = a, *y = b;
    int c = strcmp(x->method->full_name, y->method->full_name);
    if (c != 0)
        return c;
    if (x->api_version != y->api_version)
        return x->api_version < y->api_version ? -1 : 1;
    c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->version, y->version);
}

static int deprecated(const ferry_method *m)
{
    return m->opts.deprecated || m->opts.deprecated_since != 0;
}

static ferry_status oom(ferry_call *call)
{
    return ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED, "out of memory building the stats");
}

/* The services and their methods' totals. */
static ferry_status fill_services(ferry_call *call, ferryi_versions *v,
                                  Ferry__Admin__V1__GetStatsReply *resp)
{
    size_t n_methods = 0;
    for (size_t i = 0; i < v->n_svcs; i++)
        n_methods += v->svcs[i].desc->n_methods;
    resp->services = ferry_call_alloc(call, (v->n_svcs + 1) * sizeof *resp->services);
    resp->methods = ferry_call_alloc(call, (n_methods + 1) * sizeof *resp->methods);
    if (resp->services == NULL || resp->methods == NULL)
        return oom(call);
    for (size_t i = 0; i < v->n_svcs; i++) {
        const ferryi_vsvc *s = &v->svcs[i];
        Ferry__Admin__V1__ServiceInfo *si = ferry_call_alloc(call, sizeof *si);
        if (si == NULL)
            return oom(call);
        ferry__admin__v1__service_info__init(si);
        si->service = (char *)s->desc->full_name;
        si->api_version = s->desc->api_version;
        si->api_min = s->min;
        si->api_max = s->max;
        si->superseded_by = s->newer != NULL ? (char *)s->newer->full_name : "";
        resp->services[resp->n_services++] = si;
        for (size_t j = 0; j < s->desc->n_methods; j++) {
            const ferry_method *m = &s->desc->methods[j];
            Ferry__Admin__V1__MethodStats *ms = ferry_call_alloc(call, sizeof *ms);
            if (ms == NULL)
                return oom(call);
            ferry__admin__v1__method_stats__init(ms);
            ms->method = (char *)m->full_name;
            ms->since = m->opts.since;
            ms->deprecated = deprecated(m);
            ms->deprecated_since = m->opts.deprecated_since;
            ms->calls = atomic_load(&s->calls[j]);
            ms->refused = atomic_load(&s->refused[j]);
            resp->methods[resp->n_methods++] = ms;
        }
    }
    return FERRY_OK;
}

/* The client rows, sorted by method, API version, name and version. */
static ferry_status fill_clients(ferry_call *call, ferryi_versions *v,
                                 Ferry__Admin__V1__GetStatsReply *resp)
{
    pthread_mutex_lock(&v->mu);
    size_t n = v->used;
    ferryi_vrow *rows = malloc((n + 1) * sizeof *rows);
    if (rows == NULL) {
        pthread_mutex_unlock(&v->mu);
        return oom(call);
    }
    size_t k = 0;
    for (size_t i = 0; i < v->cap && k < n; i++)
        if (v->rows[i].method != NULL)
            rows[k++] = v->rows[i];
    resp->clients_limit = (uint32_t)v->limit;
    resp->clients_overflow = v->overflow;
    pthread_mutex_unlock(&v->mu);

    qsort(rows, k, sizeof *rows, row_cmp);
    ferry_status st = FERRY_OK;
    resp->clients = ferry_call_alloc(call, (k + 1) * sizeof *resp->clients);
    if (resp->clients == NULL)
        st = oom(call);
    for (size_t i = 0; st == FERRY_OK && i < k; i++) {
        const ferryi_vrow *r = &rows[i];
        Ferry__Admin__V1__ClientStats *cs = ferry_call_alloc(call, sizeof *cs);
        char *name = ferry_call_strdup(call, r->name);
        char *version = ferry_call_strdup(call, r->version);
        if (cs == NULL || name == NULL || version == NULL) {
            st = oom(call);
            break;
        }
        ferry__admin__v1__client_stats__init(cs);
        cs->method = (char *)r->method->full_name;
        cs->api_version = r->api_version;
        cs->client_name = name;
        cs->client_version = version;
        cs->calls = r->calls;
        cs->refused = r->refused;
        cs->first_ms = r->first_ms;
        cs->last_ms = r->last_ms;
        cs->deprecated_method = deprecated(r->method);
        const ferryi_vsvc *s = ferryi_versions_find(v, r->method->service);
        if (s != NULL) {
            cs->old_api = r->api_version != 0 && r->api_version < s->desc->api_version;
            cs->old_major = s->newer != NULL;
        }
        resp->clients[resp->n_clients++] = cs;
    }
    free(rows);
    return st;
}

static ferry_status get_stats(void *user, ferry_call *call,
                              const Ferry__Admin__V1__GetStatsRequest *req,
                              Ferry__Admin__V1__GetStatsReply *resp)
{
    (void)req;
    int serving = 0;
    ferryi_versions *v = ferryi_server_versions(user, &serving);
    resp->ferry_version = (char *)ferry_version();
    resp->now_ms = ferryi_wall_ms();
    resp->started_ms = v->started_ms;
    resp->unknown_methods = atomic_load(&v->unknown);
    ferry_status st = fill_services(call, v, resp);
    return st == FERRY_OK ? fill_clients(call, v, resp) : st;
}

static const ferry_admin_v1_admin_handlers admin_handlers = {.get_stats = get_stats};

ferry_status ferry_server_add_admin(ferry_server *srv)
{
    if (srv == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_add_admin: no server given");
    return ferry_admin_v1_admin_register(srv, &admin_handlers, srv);
}
