/* compare_rules.c - a field's (ferry.field) validation rules, old against
 * new. A rule that refuses more than it did is tightened, one that refuses
 * less is loosened (docs/validation.md). On a request field a tightened
 * rule breaks old clients, whose requests new servers refuse; on a response
 * field a loosened rule breaks old clients, which relied on what servers no
 * longer promise.
 *
 * Rules are compared by what they let through, not as written: on an
 * integer field gt 0 is gte 1, a bound every value of the type meets and a
 * minimum of 0 are no rule at all (the generator drops them), and the
 * values of in and not_in are compared as the values they are (an enum's
 * name and its number, "1" and "01"). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* What a rule's values are, on one side: the field's type, or its map
 * entry's key or value type, and for enums the enum when the schema has it. */
typedef struct vkind {
    int type; /* FCK_TYPE_*, 0 when unknown */
    const fck_enum *en;
} vkind;

static vkind kind_of(const fck_schema *s, const fck_field *f)
{
    vkind k = {.type = f != NULL ? f->type : 0};
    if (f != NULL && f->type == FCK_TYPE_ENUM && f->type_name != NULL)
        k.en = fck_find_enum(s, f->type_name);
    return k;
}

/* The values of an integer type, as doubles; 0 when `type` is none. */
static int integer_range(int type, double *lo, double *hi)
{
    switch (type) {
    case FCK_TYPE_INT32:
    case FCK_TYPE_SINT32:
    case FCK_TYPE_SFIXED32:
        *lo = -2147483648.0, *hi = 2147483647.0;
        return 1;
    case FCK_TYPE_UINT32:
    case FCK_TYPE_FIXED32:
        *lo = 0, *hi = 4294967295.0;
        return 1;
    case FCK_TYPE_INT64:
    case FCK_TYPE_SINT64:
    case FCK_TYPE_SFIXED64:
        *lo = -9223372036854775808.0, *hi = 9223372036854775807.0;
        return 1;
    case FCK_TYPE_UINT64:
    case FCK_TYPE_FIXED64:
        *lo = 0, *hi = 18446744073709551615.0;
        return 1;
    default:
        return 0;
    }
}

/* The changes found, as text, split by direction. */
typedef struct delta {
    fck_cmp *c;
    const char *tight; /* "max_len 32 -> 16, required added" */
    const char *loose;
} delta;

static void note(delta *d, int tighter, const char *what)
{
    const char **list = tighter ? &d->tight : &d->loose;
    *list = *list == NULL ? what : fck_fmt(d->c, "%s, %s", *list, what);
}

static const Ferry__FieldOptions none = FERRY__FIELD_OPTIONS__INIT;

static const char *num(fck_cmp *c, double x)
{
    return fck_fmt(c, "%.17g", x);
}

/* A bound as what it lets through: on an integer type a strict bound
 * becomes the inclusive one next to it (gt 0 is gte 1, lt 10 is lte 9),
 * and one every value of the type meets is none (gte 0 on a uint32). */
static void normalise(const vkind *k, int lower, int *has, double *x, int *strict)
{
    double lo, hi;
    if (!*has || !integer_range(k->type, &lo, &hi))
        return;
    if (lower)
        *x = *strict ? floor(*x) + 1 : ceil(*x);
    else
        *x = *strict ? ceil(*x) - 1 : floor(*x);
    *strict = 0;
    if (lower ? *x <= lo : *x >= hi)
        *has = 0;
}

/* A lower bound (gt/gte) or an upper one (lt/lte), old against new; ok and
 * nk are what the values are on each side. */
static void bound(delta *d, const char *pre, int lower, const vkind *ok, const vkind *nk, int o_has,
                  double o, int o_strict, int n_has, double n, int n_strict)
{
    fck_cmp *c = d->c;
    const char *os =
        o_has ? fck_fmt(c, "%s %s", o_strict ? (lower ? "gt" : "lt") : (lower ? "gte" : "lte"),
                        num(c, o))
              : NULL;
    const char *ns =
        n_has ? fck_fmt(c, "%s %s", n_strict ? (lower ? "gt" : "lt") : (lower ? "gte" : "lte"),
                        num(c, n))
              : NULL;
    /* Compared as normalised, shown as written. */
    const char *what = o_has && n_has ? fck_fmt(c, "%s%s -> %s", pre, os, ns)
                       : o_has        ? fck_fmt(c, "%s%s removed", pre, os)
                       : n_has        ? fck_fmt(c, "%s%s added", pre, ns)
                                      : NULL;
    normalise(ok, lower, &o_has, &o, &o_strict);
    normalise(nk, lower, &n_has, &n, &n_strict);
    if (!o_has && !n_has)
        return;
    if (!o_has || !n_has) {
        note(d, !o_has, what);
        return;
    }
    if (o == n && o_strict == n_strict)
        return;
    /* Tighter: a lower bound that moved up (or became strict at the same
     * value), an upper bound that moved down. */
    int tighter = lower ? (n > o || (n == o && n_strict)) : (n < o || (n == o && n_strict));
    note(d, tighter, what);
}

/* A minimum (min_len, min_items: larger is tighter; 0 is none) or a
 * maximum. */
static void limit(delta *d, const char *pre, const char *name, int is_min, int o_has, uint32_t o,
                  int n_has, uint32_t n)
{
    fck_cmp *c = d->c;
    int o_rule = o_has && !(is_min && o == 0), n_rule = n_has && !(is_min && n == 0);
    if (!o_rule && !n_rule)
        return;
    if (o_has && n_has) {
        if (o != n)
            note(d, is_min ? n > o : n < o, fck_fmt(c, "%s%s %u -> %u", pre, name, o, n));
    } else if (!o_has) {
        note(d, 1, fck_fmt(c, "%s%s %u added", pre, name, n));
    } else {
        note(d, 0, fck_fmt(c, "%s%s %u removed", pre, name, o));
    }
}

static void flag(delta *d, const char *pre, const char *name, int o, int n, int on_is_tighter)
{
    if (o == n)
        return;
    note(d, n ? on_is_tighter : !on_is_tighter,
         fck_fmt(d->c, "%s%s %s", pre, name, n ? "added" : "removed"));
}

static int listed(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* A listed value as the value it is, in one spelling: an enum value's name
 * as its number, an integer or a float as printf writes it (a float as the
 * float it is rounded to, as the generator does). Other text, and text that
 * is no value of the type, stays as it is. */
static const char *value_of(fck_cmp *c, const vkind *k, const char *text)
{
    char *end = NULL;
    double lo, hi;
    errno = 0;
    if (k->type == FCK_TYPE_FLOAT || k->type == FCK_TYPE_DOUBLE) {
        double x = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(x))
            return text;
        if (k->type == FCK_TYPE_DOUBLE)
            return fck_fmt(c, "%.17g", x);
        return fabs(x) <= FLT_MAX ? fck_fmt(c, "%.9g", (double)(float)x) : text;
    }
    if (k->type == FCK_TYPE_ENUM) {
        for (size_t i = 0; k->en != NULL && i < k->en->n_values; i++)
            if (strcmp(k->en->values[i].name, text) == 0)
                return fck_fmt(c, "%d", (int)k->en->values[i].number);
    } else if (!integer_range(k->type, &lo, &hi)) {
        return text; /* strings and bytes */
    } else if (lo == 0) {
        unsigned long long u = strtoull(text, &end, 10);
        return text[0] != '-' && end != text && *end == '\0' && errno == 0 ? fck_fmt(c, "%llu", u)
                                                                           : text;
    }
    long long v = strtoll(text, &end, 10);
    return end != text && *end == '\0' && errno == 0 ? fck_fmt(c, "%lld", v) : text;
}

/* The values of a list, each as value_of() gives it; the texts themselves
 * when memory runs out (the report then fails anyway). */
static const char *const *values_of(fck_cmp *c, const vkind *k, char **texts, size_t n)
{
    const char **v = n > 0 ? fcg_arena_alloc(c->a, n * sizeof *v) : NULL;
    if (v == NULL)
        return (const char *const *)texts;
    for (size_t i = 0; i < n; i++)
        v[i] = value_of(c, k, texts[i]);
    return v;
}

/* in (allowed: fewer is tighter) or not_in (refused: more is tighter), of
 * values of kind ok (old) and nk (new). An empty `in` allows everything. */
static void set(delta *d, const char *pre, const char *name, int allowed, const vkind *ok,
                char **o_texts, size_t no, const vkind *nk, char **n_texts, size_t nn)
{
    fck_cmp *c = d->c;
    const char *const *o = values_of(c, ok, o_texts, no);
    const char *const *n = values_of(c, nk, n_texts, nn);
    size_t dropped = 0, added = 0;
    for (size_t i = 0; i < no; i++)
        dropped += !listed(n, nn, o[i]);
    for (size_t i = 0; i < nn; i++)
        added += !listed(o, no, n[i]);
    if (dropped == 0 && added == 0)
        return;
    if (allowed && no == 0) {
        note(d, 1, fck_fmt(c, "%s%s added", pre, name));
        return;
    }
    if (allowed && nn == 0) {
        note(d, 0, fck_fmt(c, "%s%s removed", pre, name));
        return;
    }
    /* For `in`, a dropped value is refused now; for not_in, an added one. */
    size_t more_refused = allowed ? dropped : added, fewer_refused = allowed ? added : dropped;
    if (more_refused > 0)
        note(d, 1,
             fck_fmt(c, "%s%s: %zu value%s %s", pre, name, more_refused,
                     more_refused == 1 ? "" : "s", allowed ? "dropped" : "added"));
    if (fewer_refused > 0)
        note(d, 0,
             fck_fmt(c, "%s%s: %zu value%s %s", pre, name, fewer_refused,
                     fewer_refused == 1 ? "" : "s", allowed ? "added" : "dropped"));
}

static const char *format_name(int f)
{
    static const char *const names[] = {"none", "UUID", "email", "hostname",
                                        "URI",  "IP",   "IPv4",  "IPv6"};
    return f >= 0 && f <= 7 ? names[f] : "?";
}

/* Whether format `wide` accepts everything format `narrow` does. */
static int covers(int wide, int narrow)
{
    return wide == narrow || wide == 0 ||
           (wide == FERRY__STRING_FORMAT__FORMAT_IP &&
            (narrow == FERRY__STRING_FORMAT__FORMAT_IPV4 ||
             narrow == FERRY__STRING_FORMAT__FORMAT_IPV6));
}

/* What the values of a field's rules are on one side: the field's own (and
 * its items'), and a map's keys and values. */
typedef struct kinds {
    vkind value, key, val;
} kinds;

static kinds kinds_of(const fck_schema *s, const fck_field *f)
{
    kinds k = {.value = kind_of(s, f)};
    const fck_message *m =
        f->type == FCK_TYPE_MESSAGE && f->label == FCK_LABEL_REPEATED && f->type_name != NULL
            ? fck_find_message(s, f->type_name)
            : NULL;
    if (m != NULL && m->map_entry) {
        k.key = kind_of(s, fck_field_by_number(m, 1));
        k.val = kind_of(s, fck_field_by_number(m, 2));
    }
    return k;
}

/* The rules o (old) and n (new) of values of kind ok and nk; the items,
 * keys and values they hold have the kinds in okk and nkk. */
static void rules(delta *d, const char *pre, const Ferry__FieldOptions *o,
                  const Ferry__FieldOptions *n, const vkind *ok, const vkind *nk, const kinds *okk,
                  const kinds *nkk, int depth)
{
    if (o == NULL)
        o = &none;
    if (n == NULL)
        n = &none;
    if (depth > 8)
        return;
    flag(d, pre, "required", o->has_required && o->required, n->has_required && n->required, 1);
    bound(d, pre, 1, ok, nk, o->has_gt || o->has_gte, o->has_gt ? o->gt : o->gte, o->has_gt,
          n->has_gt || n->has_gte, n->has_gt ? n->gt : n->gte, n->has_gt);
    bound(d, pre, 0, ok, nk, o->has_lt || o->has_lte, o->has_lt ? o->lt : o->lte, o->has_lt,
          n->has_lt || n->has_lte, n->has_lt ? n->lt : n->lte, n->has_lt);
    limit(d, pre, "min_len", 1, o->has_min_len, o->min_len, n->has_min_len, n->min_len);
    limit(d, pre, "max_len", 0, o->has_max_len, o->max_len, n->has_max_len, n->max_len);
    int of = o->has_format ? (int)o->format : 0, nf = n->has_format ? (int)n->format : 0;
    if (of != nf) {
        const char *what =
            fck_fmt(d->c, "%sformat %s -> %s", pre, format_name(of), format_name(nf));
        if (covers(nf, of))
            note(d, 0, what);
        else if (covers(of, nf))
            note(d, 1, what);
        else {
            /* Neither holds the other: some values pass only the old one. */
            note(d, 1, what);
            note(d, 0, what);
        }
    }
    set(d, pre, "in", 1, ok, o->in, o->n_in, nk, n->in, n->n_in);
    set(d, pre, "not_in", 0, ok, o->not_in, o->n_not_in, nk, n->not_in, n->n_not_in);
    flag(d, pre, "defined_only", o->has_defined_only && o->defined_only,
         n->has_defined_only && n->defined_only, 1);
    limit(d, pre, "min_items", 1, o->has_min_items, o->min_items, n->has_min_items, n->min_items);
    limit(d, pre, "max_items", 0, o->has_max_items, o->max_items, n->has_max_items, n->max_items);
    flag(d, pre, "unique", o->has_unique && o->unique, n->has_unique && n->unique, 1);
    flag(d, pre, "skip", o->has_skip && o->skip, n->has_skip && n->skip, 0);
    if (o->items != NULL || n->items != NULL)
        rules(d, fck_fmt(d->c, "%sitems.", pre), o->items, n->items, &okk->value, &nkk->value, okk,
              nkk, depth + 1);
    if (o->keys != NULL || n->keys != NULL)
        rules(d, fck_fmt(d->c, "%skeys.", pre), o->keys, n->keys, &okk->key, &nkk->key, okk, nkk,
              depth + 1);
    if (o->values != NULL || n->values != NULL)
        rules(d, fck_fmt(d->c, "%svalues.", pre), o->values, n->values, &okk->val, &nkk->val, okk,
              nkk, depth + 1);
}

void fck_compare_rules(fck_cmp *c, unsigned side, const fck_file *file, int line, const char *elem,
                       const fck_field *f, const fck_field *g)
{
    if (f->rules == NULL && g->rules == NULL)
        return;
    delta d = {.c = c};
    kinds ok = kinds_of(c->o, f), nk = kinds_of(c->n, g);
    rules(&d, "", f->rules, g->rules, &ok.value, &nk.value, &ok, &nk, 0);
    if (d.tight != NULL) {
        if (side & FCK_SIDE_REQUEST)
            fck_add(c, FERRY_CHECK_BREAKING, "FIELD_RULE_TIGHTENED", file, line, elem,
                    "validation rule tightened (%s): new servers refuse requests old clients "
                    "may send; deploy clients that keep the new rule before servers enforce it",
                    d.tight);
        else if (side & FCK_SIDE_RESPONSE)
            fck_add(c, FERRY_CHECK_SAFE, "FIELD_RULE_TIGHTENED", file, line, elem,
                    "validation rule tightened (%s): responses promise more than before; "
                    "deploy servers before clients rely on it",
                    d.tight);
        else
            fck_add(c, FERRY_CHECK_SAFE, "FIELD_RULE_TIGHTENED", file, line, elem,
                    "validation rule tightened (%s): no method takes or returns the message; "
                    "any order",
                    d.tight);
    }
    if (d.loose != NULL) {
        if (side & FCK_SIDE_RESPONSE)
            fck_add(c, FERRY_CHECK_BREAKING, "FIELD_RULE_LOOSENED", file, line, elem,
                    "validation rule loosened (%s): new servers may send responses old clients "
                    "do not expect; deploy clients that accept them before servers",
                    d.loose);
        else if (side & FCK_SIDE_REQUEST)
            fck_add(c, FERRY_CHECK_SAFE, "FIELD_RULE_LOOSENED", file, line, elem,
                    "validation rule loosened (%s): new servers accept more; deploy servers "
                    "before clients send what the old rule refused",
                    d.loose);
        else
            fck_add(c, FERRY_CHECK_SAFE, "FIELD_RULE_LOOSENED", file, line, elem,
                    "validation rule loosened (%s): no method takes or returns the message; "
                    "any order",
                    d.loose);
    }
}
