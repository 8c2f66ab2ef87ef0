/* symbols.c - collision check of the C names the generated code declares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"

struct fcg_symbol {
    const char *scope; /* "" = file scope, "tag" = tags, else the struct's name */
    const char *name;
    const char *what; /* "async client function", ... */
    fcg_where where;
    size_t order; /* declaration order, to report at the later one */
};

void fcg_symbols_init(fcg_symbols *s)
{
    memset(s, 0, sizeof *s);
}

void fcg_symbols_fini(fcg_symbols *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void add(fcg_symbols *s, const char *scope, const char *name, const char *what,
                const fcg_where *w)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        fcg_symbol *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) {
            s->failed = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n] =
        (fcg_symbol){.scope = scope, .name = name, .what = what, .where = *w, .order = s->n};
    s->n++;
}

void fcg_symbols_add_service(fcg_symbols *s, const fcg_service *svc, const char *file)
{
    const fcg_service_names *c = &svc->c;
    const fcg_where w = {.file = file, .line = svc->line, .service = svc->name};
    add(s, "", c->desc, "service descriptor", &w);
    add(s, "tag", c->method_enum, "method enum", &w);
    add(s, "", c->n_methods, "method count", &w);
    add(s, "", c->handlers, "handler table type", &w);
    add(s, "tag", c->handlers, "handler table struct", &w);
    add(s, "", c->impl, "impl function", &w);
    add(s, "", c->reg, "register function", &w);
    add(s, "", c->local_open, "local binding", &w);
    add(s, "", c->methods, "method table", &w);
    add(s, "", c->invoke_table, "invoke table", &w);
    add(s, "", c->mock_open, "mock open function", &w);
    add(s, "", c->fake_start, "fake server function", &w);
    add(s, "", c->dispatcher_open, "dispatcher open function", &w);
    add(s, "", c->dispatch_env, "dispatcher environment macro", &w);
    for (size_t i = 0; i < svc->n_methods; i++) {
        const fcg_method *m = &svc->methods[i];
        const fcg_where mw = {
            .file = file, .line = m->line, .service = svc->name, .method = m->name};
        add(s, "", m->c.fn, "client function", &mw);
        add(s, "", m->c.async_fn, "async client function", &mw);
        add(s, "", m->c.cb_type, "async callback type", &mw);
        add(s, "", m->c.constant, "method index constant", &mw);
        add(s, "", m->c.invoke, "invoke glue", &mw);
        add(s, "", m->c.done, "async completion", &mw);
        add(s, "", m->c.roles, "role list", &mw);
        if (m->opts.fallback_pb_len > 0)
            add(s, "", m->c.fallback, "encoded fallback response", &mw);
        add(s, c->handlers, m->c.member, "handler table member", &mw);
        add(s, "", m->c.mock_check, "mock check type", &mw);
        add(s, "", m->c.mock_fn, "mock answer function type", &mw);
        add(s, "", m->c.mock_check_glue, "mock check glue", &mw);
        add(s, "", m->c.mock_fn_glue, "mock answer glue", &mw);
        add(s, "", m->c.mock_expect, "mock expect function", &mw);
        add(s, "", m->c.mock_expect_req, "mock expect-request function", &mw);
        add(s, "", m->c.mock_will_return, "mock will-return function", &mw);
        add(s, "", m->c.mock_will_fall_back, "mock will-fall-back function", &mw);
        add(s, "", m->c.mock_will_fail, "mock will-fail function", &mw);
        add(s, "", m->c.mock_will_call, "mock will-call function", &mw);
    }
}

static int cmp_symbol(const void *pa, const void *pb)
{
    const fcg_symbol *a = pa, *b = pb;
    int r = strcmp(a->scope, b->scope);
    if (r == 0)
        r = strcmp(a->name, b->name);
    if (r == 0)
        r = a->order < b->order ? -1 : a->order > b->order;
    return r;
}

static int cmp_order(const void *pa, const void *pb)
{
    const fcg_symbol *a = pa, *b = pb;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* True when both symbols come from the same service or method. */
static int same_owner(const fcg_symbol *a, const fcg_symbol *b)
{
    const fcg_where *x = &a->where, *y = &b->where;
    return strcmp(x->file, y->file) == 0 && strcmp(x->service, y->service) == 0 &&
           (x->method == NULL) == (y->method == NULL) &&
           (x->method == NULL || strcmp(x->method, y->method) == 0);
}

static void describe(char *buf, size_t len, const fcg_symbol *sym)
{
    if (sym->where.method != NULL)
        snprintf(buf, len, "the %s of method %s.%s", sym->what, sym->where.service,
                 sym->where.method);
    else
        snprintf(buf, len, "the %s of service %s", sym->what, sym->where.service);
}

int fcg_symbols_check(fcg_symbols *s, fcg_diag *d)
{
    if (s->failed) {
        fcg_error(d, NULL, "out of memory checking generated names");
        return -1;
    }
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, cmp_symbol);
    /* Mark every later duplicate with the first of its group, then report
     * in declaration order so the messages follow the IDL. */
    const fcg_symbol **first = calloc(s->n, sizeof *first);
    if (first == NULL) {
        fcg_error(d, NULL, "out of memory checking generated names");
        return -1;
    }
    size_t dups = 0;
    for (size_t i = 1; i < s->n; i++) {
        const fcg_symbol *a = &s->v[i - 1], *b = &s->v[i];
        if (strcmp(a->scope, b->scope) == 0 && strcmp(a->name, b->name) == 0) {
            first[i] = first[i - 1] != NULL ? first[i - 1] : a;
            dups++;
        }
    }
    if (dups == 0) {
        free(first);
        return 0;
    }
    /* Pair each duplicate with its first before the array is reordered. */
    typedef struct {
        fcg_symbol dup;
        fcg_symbol orig;
    } clash;
    clash *clashes = malloc(dups * sizeof *clashes);
    if (clashes == NULL) {
        free(first);
        fcg_error(d, NULL, "out of memory checking generated names");
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (first[i] != NULL)
            clashes[k++] = (clash){.dup = s->v[i], .orig = *first[i]};
    free(first);
    qsort(clashes, dups, sizeof *clashes, cmp_order); /* dup is the first member */
    /* One message per pair of colliding declarations: the first name shows
     * the problem, the others follow from it. */
    for (size_t i = 0; i < dups; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_owner(&clashes[j].dup, &clashes[i].dup) &&
                   same_owner(&clashes[j].orig, &clashes[i].orig);
        if (seen)
            continue;
        char theirs[256];
        describe(theirs, sizeof theirs, &clashes[i].orig);
        const fcg_where *ow = &clashes[i].orig.where;
        fcg_error(d, &clashes[i].dup.where,
                  "the C name %s of its %s is also the C name of %s (%s:%d); rename one of them",
                  clashes[i].dup.name, clashes[i].dup.what, theirs, ow->file, ow->line);
    }
    free(clashes);
    return -1;
}
