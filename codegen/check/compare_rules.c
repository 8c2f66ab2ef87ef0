/* compare_rules.c - a field's (ferry.field) validation rules, old against
 * new. A rule that refuses more than it did is tightened, one that refuses
 * less is loosened (docs/validation.md). On a request field a tightened
 * rule breaks old clients, whose requests new servers refuse; on a response
 * field a loosened rule breaks old clients, which relied on what servers no
 * longer promise. */
#include <string.h>

#include "compare.h"

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

/* A lower bound (gt/gte) or an upper one (lt/lte), old against new. */
static void bound(delta *d, const char *pre, int lower, int o_has, double o, int o_strict,
                  int n_has, double n, int n_strict)
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
    if (!o_has && !n_has)
        return;
    if (!o_has) {
        note(d, 1, fck_fmt(c, "%s%s added", pre, ns));
        return;
    }
    if (!n_has) {
        note(d, 0, fck_fmt(c, "%s%s removed", pre, os));
        return;
    }
    if (o == n && o_strict == n_strict)
        return;
    /* Tighter: a lower bound that moved up (or became strict at the same
     * value), an upper bound that moved down. */
    int tighter = lower ? (n > o || (n == o && n_strict)) : (n < o || (n == o && n_strict));
    note(d, tighter, fck_fmt(c, "%s%s -> %s", pre, os, ns));
}

/* A minimum (min_len, min_items: larger is tighter) or a maximum. */
static void limit(delta *d, const char *pre, const char *name, int is_min, int o_has, uint32_t o,
                  int n_has, uint32_t n)
{
    fck_cmp *c = d->c;
    if (!o_has && !n_has)
        return;
    if (!o_has)
        note(d, 1, fck_fmt(c, "%s%s %u added", pre, name, n));
    else if (!n_has)
        note(d, 0, fck_fmt(c, "%s%s %u removed", pre, name, o));
    else if (o != n)
        note(d, is_min ? n > o : n < o, fck_fmt(c, "%s%s %u -> %u", pre, name, o, n));
}

static void flag(delta *d, const char *pre, const char *name, int o, int n, int on_is_tighter)
{
    if (o == n)
        return;
    note(d, n ? on_is_tighter : !on_is_tighter,
         fck_fmt(d->c, "%s%s %s", pre, name, n ? "added" : "removed"));
}

static int listed(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* in (allowed: fewer is tighter) or not_in (refused: more is tighter). An
 * empty `in` allows everything. */
static void set(delta *d, const char *pre, const char *name, int allowed, char **o, size_t no,
                char **n, size_t nn)
{
    fck_cmp *c = d->c;
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

static void rules(delta *d, const char *pre, const Ferry__FieldOptions *o,
                  const Ferry__FieldOptions *n, int depth)
{
    if (o == NULL)
        o = &none;
    if (n == NULL)
        n = &none;
    if (depth > 8)
        return;
    flag(d, pre, "required", o->has_required && o->required, n->has_required && n->required, 1);
    bound(d, pre, 1, o->has_gt || o->has_gte, o->has_gt ? o->gt : o->gte, o->has_gt,
          n->has_gt || n->has_gte, n->has_gt ? n->gt : n->gte, n->has_gt);
    bound(d, pre, 0, o->has_lt || o->has_lte, o->has_lt ? o->lt : o->lte, o->has_lt,
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
    set(d, pre, "in", 1, o->in, o->n_in, n->in, n->n_in);
    set(d, pre, "not_in", 0, o->not_in, o->n_not_in, n->not_in, n->n_not_in);
    flag(d, pre, "defined_only", o->has_defined_only && o->defined_only,
         n->has_defined_only && n->defined_only, 1);
    limit(d, pre, "min_items", 1, o->has_min_items, o->min_items, n->has_min_items, n->min_items);
    limit(d, pre, "max_items", 0, o->has_max_items, o->max_items, n->has_max_items, n->max_items);
    flag(d, pre, "unique", o->has_unique && o->unique, n->has_unique && n->unique, 1);
    flag(d, pre, "skip", o->has_skip && o->skip, n->has_skip && n->skip, 0);
    if (o->items != NULL || n->items != NULL)
        rules(d, fck_fmt(d->c, "%sitems.", pre), o->items, n->items, depth + 1);
    if (o->keys != NULL || n->keys != NULL)
        rules(d, fck_fmt(d->c, "%skeys.", pre), o->keys, n->keys, depth + 1);
    if (o->values != NULL || n->values != NULL)
        rules(d, fck_fmt(d->c, "%svalues.", pre), o->values, n->values, depth + 1);
}

void fck_compare_rules(fck_cmp *c, unsigned side, const fck_file *file, int line, const char *elem,
                       const fck_field *f, const fck_field *g)
{
    if (f->rules == NULL && g->rules == NULL)
        return;
    delta d = {.c = c};
    rules(&d, "", f->rules, g->rules, 0);
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
