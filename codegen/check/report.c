/* report.c - the findings of a comparison: adding, ordering and printing
 * them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

struct ferry_check_report {
    fcg_arena arena;
    ferry_check_finding *items; /* malloc'd */
    size_t n, cap;
    size_t n_breaking, n_warnings;
    int failed; /* memory ran out */
};

ferry_check_report *fck_report_new(void)
{
    ferry_check_report *r = calloc(1, sizeof *r);
    if (r != NULL)
        fcg_arena_init(&r->arena);
    return r;
}

fcg_arena *fck_report_arena(ferry_check_report *r)
{
    return &r->arena;
}

void ferry_check_report_free(ferry_check_report *r)
{
    if (r == NULL)
        return;
    fcg_arena_fini(&r->arena);
    free(r->items);
    free(r);
}

const char *fck_fmt(fck_cmp *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[2048];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return "";
    char *p = fcg_arena_strdup(c->a, buf);
    if (p == NULL) {
        c->r->failed = 1;
        return "";
    }
    return p;
}

void fck_oom(fck_cmp *c)
{
    c->r->failed = 1;
}

void fck_add(fck_cmp *c, ferry_check_class cls, const char *rule, const fck_file *file, int line,
             const char *element, const char *fmt, ...)
{
    ferry_check_report *r = c->r;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        ferry_check_finding *items = realloc(r->items, cap * sizeof *items);
        if (items == NULL) {
            r->failed = 1;
            return;
        }
        r->items = items;
        r->cap = cap;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ferry_check_finding *f = &r->items[r->n];
    f->cls = cls;
    f->rule = rule;
    f->file = fck_printable(&r->arena, file->name);
    f->line = line;
    f->element = fck_printable(&r->arena, element);
    f->message = fck_printable(&r->arena, msg);
    if (r->arena.failed) {
        r->failed = 1;
        return;
    }
    r->n++;
    if (cls == FERRY_CHECK_BREAKING)
        r->n_breaking++;
    else if (cls == FERRY_CHECK_WARNING)
        r->n_warnings++;
}

/* Breaking first, then warnings, then safe findings. */
static int class_rank(ferry_check_class cls)
{
    return cls == FERRY_CHECK_BREAKING ? 0 : cls == FERRY_CHECK_WARNING ? 1 : 2;
}

static int cmp_finding(const void *x, const void *y)
{
    const ferry_check_finding *a = x, *b = y;
    if (a->cls != b->cls)
        return class_rank(a->cls) - class_rank(b->cls);
    int d = strcmp(a->file, b->file);
    if (d != 0)
        return d;
    if (a->line != b->line)
        return (a->line > b->line) - (a->line < b->line);
    d = strcmp(a->rule, b->rule);
    if (d != 0)
        return d;
    d = strcmp(a->element, b->element);
    return d != 0 ? d : strcmp(a->message, b->message);
}

int fck_report_finish(ferry_check_report *r)
{
    if (r->failed)
        return -1;
    if (r->n > 1)
        qsort(r->items, r->n, sizeof *r->items, cmp_finding);
    return 0;
}

size_t ferry_check_report_count(const ferry_check_report *r)
{
    return r->n;
}

size_t ferry_check_report_breaking(const ferry_check_report *r)
{
    return r->n_breaking;
}

size_t ferry_check_report_warnings(const ferry_check_report *r)
{
    return r->n_warnings;
}

const ferry_check_finding *ferry_check_report_get(const ferry_check_report *r, size_t i)
{
    return i < r->n ? &r->items[i] : NULL;
}

int ferry_check_finding_print(const ferry_check_finding *f, FILE *out)
{
    const char *cls = f->cls == FERRY_CHECK_BREAKING  ? "breaking"
                      : f->cls == FERRY_CHECK_WARNING ? "warning"
                                                      : "safe";
    int n = f->line > 0
                ? fprintf(out, "%s %s %s:%d: %s: %s\n", cls, f->rule, f->file, f->line, f->element,
                          f->message)
                : fprintf(out, "%s %s %s: %s: %s\n", cls, f->rule, f->file, f->element, f->message);
    return n < 0 ? -1 : 0;
}
