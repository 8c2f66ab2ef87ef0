/* symbols.c - collision check of the C names the generated code declares,
 * and the check of the names protoc-c would declare as keywords. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "srcinfo.h"
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
    fcg_arena_init(&s->names);
}

void fcg_symbols_fini(fcg_symbols *s)
{
    free(s->v);
    fcg_arena_fini(&s->names);
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

/* Records the macro `name` of a mock wrapper and the function behind it. */
static void add_at(fcg_symbols *s, const char *name, const char *what, const fcg_where *w)
{
    add(s, "", name, what, w);
    const char *fn = fcg_arena_printf(&s->names, "%s%s", name, FCG_AT_SUFFIX);
    const char *fn_what = fcg_arena_printf(&s->names, "%s (the function behind the macro)", what);
    if (fn == NULL || fn_what == NULL)
        s->failed = 1;
    else
        add(s, "", fn, fn_what, w);
}

void fcg_symbols_add_file(fcg_symbols *s, const fcg_file *f, size_t n_embedded)
{
    const fcg_service *first = &f->services[0];
    const fcg_where w = {.file = f->name, .line = first->line, .service = first->name};
    const char *list = fcg_arena_printf(&s->names, "%s_files", first->c.prefix);
    if (list == NULL) {
        s->failed = 1;
        return;
    }
    add(s, "", list, "list of embedded descriptors", &w);
    for (size_t k = 0; k < n_embedded; k++) {
        const char *name = fcg_arena_printf(&s->names, "%s_file_pb%zu", first->c.prefix, k);
        if (name == NULL) {
            s->failed = 1;
            return;
        }
        add(s, "", name, "embedded descriptor", &w);
    }
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
    add_at(s, c->mock_open, "mock open function", &w);
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
        add_at(s, m->c.mock_expect, "mock expect function", &mw);
        add_at(s, m->c.mock_expect_req, "mock expect-request function", &mw);
        add_at(s, m->c.mock_will_return, "mock will-return function", &mw);
        add_at(s, m->c.mock_will_fall_back, "mock will-fall-back function", &mw);
        add_at(s, m->c.mock_will_fail, "mock will-fail function", &mw);
        add_at(s, m->c.mock_will_call, "mock will-call function", &mw);
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

/* ---- names protoc-c would declare as keywords ---- */

/* Field numbers of SourceCodeInfo paths (descriptor.proto) used here only. */
enum {
    PATH_FILE_MESSAGE = 4, /* FileDescriptorProto.message_type */
    PATH_MESSAGE_FIELD = 2,
    PATH_MESSAGE_NESTED = 3,
};

/* Messages nest deeper than this only in contrived IDL; below it, errors
 * give the line of the deepest message whose path still fits. */
#define MAX_PATH 64

typedef struct reserved_ctx {
    const Google__Protobuf__FileDescriptorProto *file;
    fcg_arena *a;
    fcg_diag *d;
    int32_t path[MAX_PATH];
    int errors;
} reserved_ctx;

static int path_line(const reserved_ctx *rc, size_t n, int32_t kind, size_t index)
{
    int32_t path[MAX_PATH];
    memcpy(path, rc->path, n * sizeof path[0]);
    if (n + 2 <= MAX_PATH) {
        path[n++] = kind;
        path[n++] = (int32_t)index;
    }
    return fcg_src_line(rc->file, path, n);
}

/* The fields of `msg` (full name `full`, at rc->path[0..n)) and of the
 * messages nested in it. */
static void check_message(reserved_ctx *rc, const Google__Protobuf__DescriptorProto *msg,
                          const char *full, size_t n)
{
    for (size_t i = 0; i < msg->n_field; i++) {
        const char *name = msg->field[i]->name;
        const char *lower = name != NULL ? fcg_to_lower(rc->a, name) : NULL;
        const char *why = lower != NULL ? fcg_reserved_field(lower) : NULL;
        if (why == NULL)
            continue;
        const fcg_where w = {.file = rc->file->name,
                             .line = path_line(rc, n, PATH_MESSAGE_FIELD, i)};
        fcg_error(rc->d, &w,
                  "message %s, field %s: protoc-c would name its struct member \"%s\", %s, so "
                  "the generated .pb-c.h would not compile; rename the field, e.g. to %s_value "
                  "(the binary encoding keeps the field's number, not its name)",
                  full, name, lower, why, name);
        rc->errors++;
    }
    for (size_t i = 0; i < msg->n_nested_type; i++) {
        const Google__Protobuf__DescriptorProto *nested = msg->nested_type[i];
        size_t m = n;
        if (m + 2 <= MAX_PATH) {
            rc->path[m++] = PATH_MESSAGE_NESTED;
            rc->path[m++] = (int32_t)i;
        }
        const char *nested_full = fcg_arena_printf(
            rc->a, "%s.%s", full, nested->name != NULL ? nested->name : "(unnamed)");
        if (nested_full != NULL)
            check_message(rc, nested, nested_full, m);
    }
}

static void check_file(reserved_ctx *rc)
{
    const Google__Protobuf__FileDescriptorProto *f = rc->file;
    const char *pkg = f->package != NULL ? f->package : "";
    for (size_t i = 0; i < f->n_message_type; i++) {
        const Google__Protobuf__DescriptorProto *msg = f->message_type[i];
        const char *name = msg->name != NULL ? msg->name : "(unnamed)";
        const char *full = *pkg ? fcg_arena_printf(rc->a, "%s.%s", pkg, name) : name;
        rc->path[0] = PATH_FILE_MESSAGE;
        rc->path[1] = (int32_t)i;
        if (full != NULL)
            check_message(rc, msg, full, 2);
    }
    for (size_t i = 0; i < f->n_service; i++) {
        const Google__Protobuf__ServiceDescriptorProto *svc = f->service[i];
        for (size_t j = 0; j < svc->n_method; j++) {
            const char *name = svc->method[j]->name;
            const char *member = name != NULL ? fcg_camel_to_lower(rc->a, name) : NULL;
            const char *why = member != NULL ? fcg_reserved_member(member) : NULL;
            if (why == NULL)
                continue;
            const int32_t path[] = {FCG_PATH_FILE_SERVICE, (int32_t)i, FCG_PATH_SERVICE_METHOD,
                                    (int32_t)j};
            const fcg_where w = {.file = f->name,
                                 .line = fcg_src_line(f, path, 4),
                                 .service = svc->name != NULL ? svc->name : "(unnamed)",
                                 .method = name};
            fcg_error(rc->d, &w,
                      "protoc-c would declare the method as the member \"%s\" of the "
                      "service's struct, and \"%s\" is %s, so the generated .pb-c.h would not "
                      "compile; rename the method, e.g. to %sItem (a verb and what it acts on)",
                      member, member, why, name);
            rc->errors++;
        }
    }
}

int fcg_check_reserved_names(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                             fcg_diag *d)
{
    fcg_arena a;
    fcg_arena_init(&a);
    reserved_ctx rc = {.a = &a, .d = d};
    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        for (size_t j = 0; j < req->n_proto_file; j++) {
            const Google__Protobuf__FileDescriptorProto *f = req->proto_file[j];
            if (f->name != NULL && strcmp(f->name, req->file_to_generate[i]) == 0) {
                rc.file = f;
                check_file(&rc);
                break;
            }
        }
    }
    if (a.failed) {
        fcg_error(d, NULL, "out of memory checking names against C and C++ keywords");
        rc.errors++;
    }
    fcg_arena_fini(&a);
    return rc.errors > 0 ? -1 : 0;
}
