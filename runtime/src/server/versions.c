/* versions.c - a server's API version ranges per service, the checks of a
 * call's API version, and the calls counted per method, client API version
 * and client software (ferry/versions.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "server/versions.h"

void ferryi_versions_init(ferryi_versions *v)
{
    memset(v, 0, sizeof *v);
    pthread_mutex_init(&v->mu, NULL);
    v->limit = FERRY_STATS_DEFAULT_LIMIT;
    v->started_ms = ferryi_wall_ms();
}

void ferryi_versions_fini(ferryi_versions *v)
{
    for (size_t i = 0; i < v->n_svcs; i++) {
        free(v->svcs[i].calls);
        free(v->svcs[i].refused);
    }
    free(v->svcs);
    free(v->rows);
    pthread_mutex_destroy(&v->mu);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------------------
 * Services and major versions
 * ---------------------------------------------------------------------- */

/* When `pkg` ends in a major version component ("inventory.v2"), its number
 * and the length of what comes before it ("inventory"); else 0. */
static unsigned long major_of(const char *pkg, size_t *stem_len)
{
    const char *dot = strrchr(pkg, '.');
    const char *last = dot != NULL ? dot + 1 : pkg;
    if (last[0] != 'v' || last[1] < '0' || last[1] > '9')
        return 0;
    unsigned long n = 0;
    for (const char *p = last + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > 1000000)
            return 0;
        n = n * 10 + (unsigned long)(*p - '0');
    }
    *stem_len = (size_t)(last - pkg);
    return n;
}

/* Whether `newer` is the same service as `old` in a later major version:
 * the same service name, packages that differ only in a higher vN. */
static int supersedes(const ferry_service_desc *newer, const ferry_service_desc *old)
{
    if (newer->name == NULL || old->name == NULL || newer->package == NULL ||
        old->package == NULL || strcmp(newer->name, old->name) != 0)
        return 0;
    size_t ln = 0, lo = 0;
    unsigned long mn = major_of(newer->package, &ln), mo = major_of(old->package, &lo);
    return mn != 0 && mo != 0 && mn > mo && ln == lo &&
           strncmp(newer->package, old->package, ln) == 0;
}

/* Links every service to the newest major version of it that is hosted. */
static void link_majors(ferryi_versions *v)
{
    for (size_t i = 0; i < v->n_svcs; i++) {
        ferryi_vsvc *s = &v->svcs[i];
        s->newer = NULL;
        for (size_t j = 0; j < v->n_svcs; j++)
            if (supersedes(v->svcs[j].desc, s->desc) &&
                (s->newer == NULL || supersedes(v->svcs[j].desc, s->newer)))
                s->newer = v->svcs[j].desc;
    }
}

ferry_status ferryi_versions_add(ferryi_versions *v, const ferry_service_desc *d)
{
    ferryi_vsvc *svcs = realloc(v->svcs, (v->n_svcs + 1) * sizeof *svcs);
    if (svcs == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", d->full_name);
    v->svcs = svcs;
    ferryi_vsvc *s = &svcs[v->n_svcs];
    size_t n = d->n_methods > 0 ? d->n_methods : 1;
    *s = (ferryi_vsvc){
        .desc = d,
        .min = 1,
        .max = d->api_version > 0 ? d->api_version : 1,
        .calls = calloc(n, sizeof *s->calls),
        .refused = calloc(n, sizeof *s->refused),
    };
    if (s->calls == NULL || s->refused == NULL) {
        free(s->calls);
        free(s->refused);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", d->full_name);
    }
    v->n_svcs++;
    link_majors(v);
    return FERRY_OK;
}

ferryi_vsvc *ferryi_versions_find(ferryi_versions *v, const ferry_service_desc *d)
{
    for (size_t i = 0; i < v->n_svcs; i++)
        if (v->svcs[i].desc == d)
            return &v->svcs[i];
    return NULL;
}

/* The hosted service whose full name is the first `len` bytes of `name`. */
static ferryi_vsvc *find_named(ferryi_versions *v, const char *name, size_t len)
{
    for (size_t i = 0; i < v->n_svcs; i++) {
        const char *full = v->svcs[i].desc->full_name;
        if (full != NULL && strlen(full) == len && memcmp(full, name, len) == 0)
            return &v->svcs[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Client rows
 * ---------------------------------------------------------------------- */

/* Copies at most FERRYI_STATS_TEXT_MAX - 1 bytes of `s` into `out`, each
 * byte outside printable ASCII as '?', so that whatever a client sends can
 * be shown and put into JSON. */
static void clean_text(char out[FERRYI_STATS_TEXT_MAX], const char *s)
{
    size_t n = 0;
    for (; s != NULL && s[n] != '\0' && n < FERRYI_STATS_TEXT_MAX - 1; n++)
        out[n] = s[n] >= 0x20 && s[n] <= 0x7e ? s[n] : '?';
    out[n] = '\0';
}

static uint64_t row_hash(const ferry_method *m, uint32_t api, const char *name, const char *version)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    uintptr_t p = (uintptr_t)m;
    for (size_t i = 0; i < sizeof p; i++, p >>= 8)
        h = (h ^ (p & 0xff)) * 1099511628211ull;
    for (int i = 0; i < 4; i++)
        h = (h ^ ((api >> (8 * i)) & 0xff)) * 1099511628211ull;
    for (const char *s = name; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* a separator no text holds */
    for (const char *s = version; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot of the row for the key, or of the empty slot where it belongs. */
static ferryi_vrow *probe_row(ferryi_vrow *rows, size_t cap, uint64_t hash, const ferry_method *m,
                              uint32_t api, const char *name, const char *version)
{
    size_t i = (size_t)hash & (cap - 1);
    while (rows[i].method != NULL &&
           !(rows[i].hash == hash && rows[i].method == m && rows[i].api_version == api &&
             strcmp(rows[i].name, name) == 0 && strcmp(rows[i].version, version) == 0))
        i = (i + 1) & (cap - 1);
    return &rows[i];
}

/* Doubles the table when one more row would fill it past half; -1 when out
 * of memory. Under v->mu. */
static int grow_rows(ferryi_versions *v)
{
    if ((v->used + 1) * 2 <= v->cap)
        return 0;
    size_t cap = v->cap ? v->cap * 2 : 64;
    ferryi_vrow *rows = calloc(cap, sizeof *rows);
    if (rows == NULL)
        return -1;
    for (size_t i = 0; i < v->cap; i++) {
        const ferryi_vrow *r = &v->rows[i];
        if (r->method != NULL)
            *probe_row(rows, cap, r->hash, r->method, r->api_version, r->name, r->version) = *r;
    }
    free(v->rows);
    v->rows = rows;
    v->cap = cap;
    return 0;
}

/* The table and slot of the row the last call counted on this thread went
 * to. A server's calls come from a few clients, mostly the same one again:
 * such a call finds its row by comparing it, without cleaning, hashing and
 * probing the client's strings first. The row is checked under the lock,
 * so a table grown or freed since is only a miss. */
static __thread const ferryi_versions *last_v;
static __thread size_t last_slot;

/* The row at the remembered slot when it is the one for the key; strings
 * as the client sent them, which match a row's cleaned ones only when
 * cleaning leaves them as they are. Under v->mu. */
static ferryi_vrow *last_row(ferryi_versions *v, const ferry_method *m, uint32_t api,
                             const char *name, const char *version)
{
    if (last_v != v || last_slot >= v->cap)
        return NULL;
    ferryi_vrow *r = &v->rows[last_slot];
    return r->method == m && r->api_version == api && strcmp(r->name, name) == 0 &&
                   strcmp(r->version, version) == 0
               ? r
               : NULL;
}

/* Counts one call of `m` (refused or not) under its client's row. */
static void count_row(ferryi_versions *v, const ferry_method *m, uint32_t api, const char *name,
                      const char *version, int refused)
{
    name = name != NULL ? name : "";
    version = version != NULL ? version : "";
    uint64_t now = ferryi_wall_ms();
    pthread_mutex_lock(&v->mu);
    ferryi_vrow *r = last_row(v, m, api, name, version);
    if (r == NULL) {
        char cname[FERRYI_STATS_TEXT_MAX], cversion[FERRYI_STATS_TEXT_MAX];
        clean_text(cname, name);
        clean_text(cversion, version);
        uint64_t hash = row_hash(m, api, cname, cversion);
        r = v->cap > 0 ? probe_row(v->rows, v->cap, hash, m, api, cname, cversion) : NULL;
        if (r == NULL || r->method == NULL) {
            if (v->used >= v->limit || grow_rows(v) != 0) {
                v->overflow++;
                pthread_mutex_unlock(&v->mu);
                return;
            }
            r = probe_row(v->rows, v->cap, hash, m, api, cname, cversion);
            r->method = m;
            r->hash = hash;
            r->api_version = api;
            memcpy(r->name, cname, sizeof cname);
            memcpy(r->version, cversion, sizeof cversion);
            r->first_ms = now;
            v->used++;
        }
    }
    if (refused)
        r->refused++;
    else
        r->calls++;
    r->last_ms = now;
    last_v = v;
    last_slot = (size_t)(r - v->rows);
    pthread_mutex_unlock(&v->mu);
}

/* ------------------------------------------------------------------------
 * The checks of a call
 * ---------------------------------------------------------------------- */

ferry_status ferryi_versions_admit(ferryi_versions *v, const ferry_service_desc *d,
                                   const ferry_method *m, uint32_t api, const char *name,
                                   const char *version, uint32_t *min, uint32_t *max, char *why,
                                   size_t why_len)
{
    ferryi_vsvc *s = ferryi_versions_find(v, d);
    *min = *max = 0;
    if (s == NULL) /* not counted: the server ran out of memory adding it */
        return FERRY_OK;
    *min = s->min;
    *max = s->max;
    int refused = api != 0 && (api < s->min || api > s->max);
    atomic_fetch_add(refused ? &s->refused[m->index] : &s->calls[m->index], 1);
    count_row(v, m, api, name, version, refused);
    if (!refused)
        return FERRY_OK;
    if (api > s->max)
        snprintf(why, why_len,
                 "%s serves API versions %u to %u; the client's version %u is newer than this "
                 "server: deploy servers before clients that announce a new version",
                 s->desc->full_name, s->min, s->max, api);
    else
        snprintf(why, why_len,
                 "%s serves API versions %u to %u; the client's version %u is no longer "
                 "served: upgrade the client",
                 s->desc->full_name, s->min, s->max, api);
    return FERRY_UNSUPPORTED_VERSION;
}

void ferryi_versions_unknown(ferryi_versions *v, const char *method, uint32_t api, uint32_t *min,
                             uint32_t *max, char *why, size_t why_len)
{
    atomic_fetch_add(&v->unknown, 1);
    *min = *max = 0;
    const char *slash = strchr(method, '/');
    ferryi_vsvc *s = slash != NULL ? find_named(v, method, (size_t)(slash - method)) : NULL;
    if (s != NULL) {
        *min = s->min;
        *max = s->max;
        if (api > s->desc->api_version)
            snprintf(why, why_len,
                     "method %s is newer than this server: the client has API version %u of "
                     "%s, this server implements version %u",
                     method, api, s->desc->full_name, s->desc->api_version);
        else
            snprintf(why, why_len, "unknown method %s (%s is at API version %u here)", method,
                     s->desc->full_name, s->desc->api_version);
        return;
    }
    /* A service not hosted at all: perhaps another major version of it is. */
    const char *svc_end = slash != NULL ? slash : method + strlen(method);
    const char *short_name = svc_end;
    while (short_name > method && short_name[-1] != '.')
        short_name--;
    size_t short_len = (size_t)(svc_end - short_name);
    for (size_t i = 0; slash != NULL && short_len > 0 && i < v->n_svcs; i++) {
        const ferry_service_desc *d = v->svcs[i].desc;
        if (d->name != NULL && strlen(d->name) == short_len &&
            memcmp(d->name, short_name, short_len) == 0) {
            snprintf(why, why_len,
                     "unknown method %s: this server does not serve %.*s; it serves %s (API "
                     "versions %u to %u)",
                     method, (int)(svc_end - method), method, d->full_name, v->svcs[i].min,
                     v->svcs[i].max);
            return;
        }
    }
    snprintf(why, why_len, "unknown method %s", method);
}

/* ------------------------------------------------------------------------
 * Setters (the public ones are server.c's)
 * ---------------------------------------------------------------------- */

ferry_status ferryi_versions_set_range(ferryi_versions *v, const char *service, uint32_t min,
                                       uint32_t max)
{
    ferryi_vsvc *s = find_named(v, service, strlen(service));
    if (s == NULL)
        return ferryi_error(FERRY_NOT_FOUND, "service %s is not hosted by this server", service);
    uint32_t own = s->desc->api_version > 0 ? s->desc->api_version : 1;
    if (min == 0 || min > own || max < own)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s: the API range %u..%u must hold the service's own version %u "
                            "(and start at 1 or above)",
                            service, min, max, own);
    s->min = min;
    s->max = max;
    return FERRY_OK;
}

ferry_status ferryi_versions_get_range(ferryi_versions *v, const char *service, uint32_t *min,
                                       uint32_t *max)
{
    ferryi_vsvc *s = find_named(v, service, strlen(service));
    if (s == NULL)
        return ferryi_error(FERRY_NOT_FOUND, "service %s is not hosted by this server", service);
    *min = s->min;
    *max = s->max;
    return FERRY_OK;
}

void ferryi_versions_set_limit(ferryi_versions *v, size_t rows)
{
    v->limit = rows != 0 ? rows : FERRY_STATS_DEFAULT_LIMIT;
}
