/* dispatch_spec.c - the dispatcher's route spec (ferry/dispatch.h has the
 * grammar): parsing, with an exact message for every kind of bad input,
 * and writing routes back as text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/names.h"
#include "dispatch/dispatch.h"

/* Longest spec accepted; a longer one is a mistake, not a configuration. */
#define SPEC_MAX 4096

/* Every stage and its name, as routes are written. */
#define STAGE_NAMES(X)                                                                             \
    X(FERRY_STAGE_LOCAL, "local")                                                                  \
    X(FERRY_STAGE_SHADOW, "shadow")                                                                \
    X(FERRY_STAGE_CANARY, "canary")                                                                \
    X(FERRY_STAGE_REMOTE, "remote")
FERRYI_NAMES_FN(ferry_stage_str, ferry_stage, STAGE_NAMES, "unknown stage")

void ferryi_route_str(const ferry_route *r, char *buf, size_t len)
{
    if (r->stage == FERRY_STAGE_CANARY)
        snprintf(buf, len, "canary:%u%s", r->canary_percent,
                 r->local_fallback ? "+local-fallback" : "");
    else
        snprintf(buf, len, "%s%s%s", ferry_stage_str(r->stage),
                 r->stage == FERRY_STAGE_SHADOW && r->side_effects ? "+side-effects" : "",
                 r->stage == FERRY_STAGE_REMOTE && r->local_fallback ? "+local-fallback" : "");
}

typedef struct parser {
    const ferry_service_desc *svc;
    unsigned item; /* 1-based number of the item being parsed */
} parser;

static ferry_status fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the reason (base/error.h), with the item it is about. */
static ferry_status fail(parser *p, const char *fmt, ...)
{
    char why[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (p->item > 0)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "item %u: %s", p->item, why);
    return ferryi_error(FERRY_INVALID_ARGUMENT, "%s", why);
}

/* `s` (len bytes) quoted for a message, at most 48 characters of it, with
 * anything unprintable shown as '?'. */
static const char *quote(char *buf, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    size_t shown = len > 48 ? 48 : len;
    buf[n++] = '"';
    for (size_t i = 0; i < shown && n + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (shown < len && n + 5 < size) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims blanks off both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*s)[*len - 1]))
        (*len)--;
}

static int equals(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Parses a route: stage { "+" flag }. */
static ferry_status parse_route(parser *p, const char *s, size_t len, ferry_route *out)
{
    char q[64];
    memset(out, 0, sizeof *out);
    if (len == 0)
        return fail(p, "the route is empty (want local, shadow, canary:N or remote)");
    const char *plus = memchr(s, '+', len);
    size_t stage_len = plus != NULL ? (size_t)(plus - s) : len;
    const char *st = s;
    trim(&st, &stage_len);
    if (equals(st, stage_len, "local")) {
        out->stage = FERRY_STAGE_LOCAL;
    } else if (equals(st, stage_len, "shadow")) {
        out->stage = FERRY_STAGE_SHADOW;
    } else if (equals(st, stage_len, "remote")) {
        out->stage = FERRY_STAGE_REMOTE;
    } else if (stage_len >= 6 && memcmp(st, "canary", 6) == 0) {
        out->stage = FERRY_STAGE_CANARY;
        if (stage_len == 6)
            return fail(p, "canary needs a percentage: canary:N with N from 0 to 100");
        if (st[6] != ':')
            return fail(p, "unknown stage %s (want local, shadow, canary:N or remote)",
                        quote(q, sizeof q, st, stage_len));
        const char *num = st + 7;
        size_t num_len = stage_len - 7;
        unsigned v = 0;
        int ok = num_len > 0 && num_len <= 3;
        for (size_t i = 0; ok && i < num_len; i++) {
            if (num[i] < '0' || num[i] > '9')
                ok = 0;
            else
                v = v * 10 + (unsigned)(num[i] - '0');
        }
        if (!ok || v > 100)
            return fail(p, "canary percentage %s is not a whole number from 0 to 100",
                        quote(q, sizeof q, num, num_len));
        out->canary_percent = v;
    } else {
        return fail(p, "unknown stage %s (want local, shadow, canary:N or remote)",
                    quote(q, sizeof q, st, stage_len));
    }

    while (plus != NULL) {
        const char *f = plus + 1;
        size_t rest = len - (size_t)(f - s);
        plus = memchr(f, '+', rest);
        size_t flen = plus != NULL ? (size_t)(plus - f) : rest;
        trim(&f, &flen);
        int *flag = NULL;
        if (equals(f, flen, "side-effects")) {
            if (out->stage != FERRY_STAGE_SHADOW)
                return fail(p, "+side-effects applies to shadow only, not to %s",
                            ferry_stage_str(out->stage));
            flag = &out->side_effects;
        } else if (equals(f, flen, "local-fallback")) {
            if (out->stage != FERRY_STAGE_CANARY && out->stage != FERRY_STAGE_REMOTE)
                return fail(p, "+local-fallback applies to canary and remote only, not to %s",
                            ferry_stage_str(out->stage));
            flag = &out->local_fallback;
        } else if (flen == 0) {
            return fail(p, "an empty flag after '+' (want side-effects or local-fallback)");
        } else {
            return fail(p, "unknown flag %s (want side-effects or local-fallback)",
                        quote(q, sizeof q, f, flen));
        }
        if (*flag)
            return fail(p, "flag %s is given twice", quote(q, sizeof q, f, flen));
        *flag = 1;
    }
    return FERRY_OK;
}

/* The names of the service's methods, for a message: "GetItem, ListItems". */
static void method_list(const ferry_service_desc *svc, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < svc->n_methods && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", svc->methods[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

ferry_status ferryi_spec_parse(const ferry_service_desc *svc, const char *spec, ferry_route *def,
                               ferry_route *routes)
{
    parser p = {.svc = svc};
    if (svc == NULL || spec == NULL)
        return fail(&p, "no service or no spec");
    size_t total = strlen(spec);
    if (total > SPEC_MAX)
        return fail(&p, "the spec is %zu characters long; at most %d are accepted", total,
                    SPEC_MAX);
    for (size_t i = 0; i < total; i++) {
        unsigned char c = (unsigned char)spec[i];
        if (c < 0x20 || c == 0x7f)
            return fail(&p, "the spec holds a control character (byte 0x%02x at offset %zu)", c, i);
    }

    ferry_route d = {.stage = FERRY_STAGE_LOCAL};
    int have_def = 0;
    unsigned char *seen = calloc(svc->n_methods ? svc->n_methods : 1, 1);
    ferry_route *per = calloc(svc->n_methods ? svc->n_methods : 1, sizeof *per);
    if (seen == NULL || per == NULL) {
        free(seen);
        free(per);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory parsing a spec",
                            svc->full_name);
    }
    ferry_status st = FERRY_OK;
    const char *s = spec;
    const char *blank_check = spec;
    size_t blank_len = total;
    trim(&blank_check, &blank_len);
    if (blank_len == 0)
        s = NULL; /* an empty spec: every method local */
    while (s != NULL && st == FERRY_OK) {
        p.item++;
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        const char *item = s;
        s = comma != NULL ? comma + 1 : NULL;
        trim(&item, &len);
        if (len == 0) {
            st = fail(&p, "the item is empty (two commas in a row, or one at an end)");
            break;
        }
        const char *eq = memchr(item, '=', len);
        if (eq == NULL) {
            if (have_def) {
                st = fail(&p, "a second service-wide route; give one, and METHOD=ROUTE for "
                              "the others");
                break;
            }
            st = parse_route(&p, item, len, &d);
            have_def = 1;
            continue;
        }
        const char *name = item;
        size_t name_len = (size_t)(eq - item);
        trim(&name, &name_len);
        char q[64];
        if (name_len == 0) {
            st = fail(&p, "no method name before '='");
            break;
        }
        size_t idx = svc->n_methods;
        for (size_t i = 0; i < svc->n_methods; i++)
            if (equals(name, name_len, svc->methods[i].name))
                idx = i;
        if (idx == svc->n_methods) {
            char list[256];
            method_list(svc, list, sizeof list);
            st = fail(&p, "%s is not a method of %s (its methods: %s)",
                      quote(q, sizeof q, name, name_len), svc->full_name, list);
            break;
        }
        if (seen[idx]) {
            st = fail(&p, "method %s is given twice", svc->methods[idx].name);
            break;
        }
        seen[idx] = 1;
        const char *route = eq + 1;
        size_t route_len = len - (size_t)(route - item);
        trim(&route, &route_len);
        if (memchr(route, '=', route_len) != NULL) {
            st = fail(&p, "more than one '=' (items are separated by ',')");
            break;
        }
        st = parse_route(&p, route, route_len, &per[idx]);
    }
    if (st == FERRY_OK) {
        if (def != NULL)
            *def = d;
        if (routes != NULL)
            for (size_t i = 0; i < svc->n_methods; i++)
                routes[i] = seen[i] ? per[i] : d;
    }
    free(seen);
    free(per);
    return st;
}

ferry_status ferry_dispatch_parse(const ferry_service_desc *svc, const char *spec,
                                  ferry_route *routes)
{
    ferryi_error_clear();
    ferry_route def;
    return ferryi_spec_parse(svc, spec, &def, routes);
}
