/* textfmt_schema.c - the types a text-format message may name, from a
 * request's DescriptorProtos, sorted by full name for lookup. Both halves of
 * the parser read it (textfmt.c for messages, textfmt_scalar.c for enums). */
#include <stdlib.h>
#include <string.h>

#include "textfmt_parse.h"

static size_t count_types(fcg_tf_msg_desc *const *msgs, size_t n)
{
    size_t count = n;
    for (size_t i = 0; i < n; i++)
        count += msgs[i]->n_enum_type + count_types(msgs[i]->nested_type, msgs[i]->n_nested_type);
    return count;
}

static void add_enums(fcg_arena *a, fcg_textfmt_schema *s, const char *scope,
                      fcg_tf_enum_desc *const *enums, size_t n, int proto3)
{
    for (size_t i = 0; i < n; i++) {
        const char *full =
            enums[i]->name != NULL ? fcg_arena_printf(a, "%s.%s", scope, enums[i]->name) : NULL;
        if (full != NULL)
            s->v[s->n++] = (fcg_tf_type){.full_name = full, .enm = enums[i], .proto3 = proto3};
    }
}

static void add_messages(fcg_arena *a, fcg_textfmt_schema *s, const char *scope,
                         fcg_tf_msg_desc *const *msgs, size_t n, int proto3)
{
    for (size_t i = 0; i < n; i++) {
        const fcg_tf_msg_desc *m = msgs[i];
        const char *full = m->name != NULL ? fcg_arena_printf(a, "%s.%s", scope, m->name) : NULL;
        if (full == NULL)
            continue;
        s->v[s->n++] = (fcg_tf_type){.full_name = full, .msg = m, .proto3 = proto3};
        add_enums(a, s, full, m->enum_type, m->n_enum_type, proto3);
        add_messages(a, s, full, m->nested_type, m->n_nested_type, proto3);
    }
}

static int cmp_type(const void *x, const void *y)
{
    return strcmp(((const fcg_tf_type *)x)->full_name, ((const fcg_tf_type *)y)->full_name);
}

fcg_textfmt_schema *fcg_textfmt_schema_new(fcg_arena *a, fcg_tf_file_desc *const *files, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total +=
            files[i]->n_enum_type + count_types(files[i]->message_type, files[i]->n_message_type);
    fcg_textfmt_schema *s = fcg_arena_alloc(a, sizeof *s);
    if (s == NULL || (s->v = fcg_arena_alloc(a, (total ? total : 1) * sizeof *s->v)) == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const fcg_tf_file_desc *f = files[i];
        const char *scope = f->package != NULL && f->package[0] != '\0'
                                ? fcg_arena_printf(a, ".%s", f->package)
                                : "";
        if (scope == NULL)
            return NULL;
        int proto3 = f->syntax != NULL && strcmp(f->syntax, "proto3") == 0;
        add_enums(a, s, scope, f->enum_type, f->n_enum_type, proto3);
        add_messages(a, s, scope, f->message_type, f->n_message_type, proto3);
    }
    if (a->failed)
        return NULL;
    qsort(s->v, s->n, sizeof *s->v, cmp_type);
    return s;
}

const fcg_tf_type *fcg_tf_find_type(const fcg_textfmt_schema *s, const char *full_name)
{
    if (full_name == NULL)
        return NULL;
    fcg_tf_type key = {.full_name = full_name};
    return bsearch(&key, s->v, s->n, sizeof key, cmp_type);
}
