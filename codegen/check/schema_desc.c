/* schema_desc.c - the checker's schema from a google.protobuf.FileDescriptorSet
 * with source info, as `protoc --include_imports --include_source_info
 * --descriptor_set_out` writes it. ferry's options are read by the
 * generator's own code (codegen/src/options.c). The set is untrusted input:
 * every field protobuf-c may leave NULL is checked before use. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbdepth.h>

#include "google/protobuf/descriptor.pb-c.h"

#include "diag.h"
#include "model.h"
#include "options.h"
#include "rules.h"
#include "srcinfo.h"

#include "check_internal.h"

typedef Google__Protobuf__FileDescriptorProto file_proto;
typedef Google__Protobuf__DescriptorProto message_proto;
typedef Google__Protobuf__EnumDescriptorProto enum_proto;
typedef Google__Protobuf__SourceCodeInfo__Location location;

/* SourceCodeInfo path components (descriptor.proto field numbers). */
enum {
    P_FILE_PACKAGE = 2,
    P_FILE_MESSAGE = 4,
    P_FILE_ENUM = 5,
    P_FILE_SERVICE = 6,
    P_FILE_EXTENSION = 7,
    P_FILE_OPTIONS = 8,
    P_MSG_FIELD = 2,
    P_MSG_NESTED = 3,
    P_MSG_ENUM = 4,
    P_MSG_EXTENSION = 6,
    P_MSG_RESERVED_RANGE = 9,
    P_MSG_RESERVED_NAME = 10,
    P_ENUM_VALUE = 2,
    P_ENUM_RESERVED_RANGE = 4,
    P_ENUM_RESERVED_NAME = 5,
    P_SERVICE_METHOD = 2,
    P_SERVICE_OPTIONS = 3,
};

/* Nesting deeper than this is refused (protoc itself stops far earlier). */
#define MAX_DEPTH 100
#define MAX_PATH  (2 * MAX_DEPTH + 8)

/* The locations of one file sorted by path, for line lookups. */
typedef struct src_index {
    const location **locs;
    size_t n;
} src_index;

typedef struct build {
    fck_schema *s;
    fcg_arena *a;
    fcg_diag *d;
    const file_proto *fp; /* the file being read */
    const fck_file *file;
    src_index src;
} build;

static int cmp_path(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    for (size_t i = 0; i < na && i < nb; i++)
        if (a[i] != b[i])
            return (a[i] > b[i]) - (a[i] < b[i]);
    return (na > nb) - (na < nb);
}

static int cmp_loc(const void *x, const void *y)
{
    const location *a = *(const location *const *)x, *b = *(const location *const *)y;
    return cmp_path(a->path, a->n_path, b->path, b->n_path);
}

static int index_source(build *b)
{
    b->src.n = 0;
    const Google__Protobuf__SourceCodeInfo *info = b->fp->source_code_info;
    if (info == NULL)
        return 0;
    b->src.locs =
        fcg_arena_alloc(b->a, (info->n_location ? info->n_location : 1) * sizeof *b->src.locs);
    if (b->src.locs == NULL)
        return -1;
    for (size_t i = 0; i < info->n_location; i++)
        if (info->location[i] != NULL)
            b->src.locs[b->src.n++] = info->location[i];
    /* qsort is not stable; equal paths keep no order, but protoc gives one
     * location per element path for what the checker asks about. */
    qsort(b->src.locs, b->src.n, sizeof *b->src.locs, cmp_loc);
    return 0;
}

/* The 1-based line of the element at `path`, else of its nearest ancestor
 * with a location; 0 when none has one. */
static int line_of(const build *b, const int32_t *path, size_t n)
{
    for (; n > 0; n--) {
        size_t lo = 0, hi = b->src.n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const location *l = b->src.locs[mid];
            if (cmp_path(l->path, l->n_path, path, n) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < b->src.n) {
            const location *l = b->src.locs[lo];
            if (cmp_path(l->path, l->n_path, path, n) == 0 && l->n_span >= 3 && l->span[0] >= 0 &&
                l->span[0] < INT32_MAX)
                return l->span[0] + 1;
        }
    }
    return 0;
}

static void error(build *b, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void error(build *b, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fcg_where w = {.file = b->file != NULL ? b->file->name : NULL, .line = line};
    fcg_error(b->d, &w, "%s", msg);
}

/* "prefix.name", or `name` when prefix is "". */
static const char *join(fcg_arena *a, const char *prefix, const char *name)
{
    return prefix[0] != '\0' ? fcg_arena_printf(a, "%s.%s", prefix, name) : name;
}

/* A type reference as the checker keeps it: without protoc's leading dot. */
static const char *type_ref(const char *ref)
{
    return ref != NULL && ref[0] == '.' ? ref + 1 : ref;
}

/* ---- counting ------------------------------------------------------------ */

static void count_messages(message_proto *const *msgs, size_t n, size_t *n_msg, size_t *n_enum,
                           size_t *n_ext)
{
    for (size_t i = 0; i < n; i++) {
        if (msgs[i] == NULL)
            continue;
        (*n_msg)++;
        *n_enum += msgs[i]->n_enum_type;
        *n_ext += msgs[i]->n_extension;
        count_messages(msgs[i]->nested_type, msgs[i]->n_nested_type, n_msg, n_enum, n_ext);
    }
}

/* ---- messages and enums ---------------------------------------------------- */

static void read_ranges_msg(build *b, const message_proto *mp, int32_t *path, size_t n,
                            fck_message *m)
{
    m->reserved = fcg_arena_alloc(b->a, (mp->n_reserved_range + 1) * sizeof *m->reserved);
    m->reserved_names =
        fcg_arena_alloc(b->a, (mp->n_reserved_name + 1) * sizeof *m->reserved_names);
    if (m->reserved == NULL || m->reserved_names == NULL)
        return;
    path[n] = P_MSG_RESERVED_RANGE;
    for (size_t i = 0; i < mp->n_reserved_range; i++) {
        const Google__Protobuf__DescriptorProto__ReservedRange *r = mp->reserved_range[i];
        path[n + 1] = (int32_t)i;
        int line = line_of(b, path, n + 2);
        /* DescriptorProto's reserved ranges end exclusively. */
        if (r == NULL || !r->has_start || !r->has_end || r->start < 1 || r->end <= r->start ||
            r->end - 1 > FCK_FIELD_MAX) {
            error(b, line, "message %s: a reserved range is malformed", m->full_name);
            continue;
        }
        m->reserved[m->n_reserved++] = (fck_range){r->start, r->end - 1, line};
    }
    path[n] = P_MSG_RESERVED_NAME;
    for (size_t i = 0; i < mp->n_reserved_name; i++) {
        path[n + 1] = (int32_t)i;
        if (mp->reserved_name[i] == NULL || !fck_is_ident_path(mp->reserved_name[i]) ||
            strchr(mp->reserved_name[i], '.') != NULL) {
            error(b, line_of(b, path, n + 2), "message %s: a reserved name is not valid",
                  m->full_name);
            continue;
        }
        m->reserved_names[m->n_reserved_names++] =
            (fck_name){mp->reserved_name[i], line_of(b, path, n + 2)};
    }
}

static int packable(int type)
{
    return type != FCK_TYPE_STRING && type != FCK_TYPE_BYTES && type != FCK_TYPE_MESSAGE &&
           type != FCK_TYPE_GROUP;
}

/* A field of message `mp`, or an extension (mp NULL); `kind` and `owner`
 * name where it is declared in messages ("message", "a.v1.Task"). */
static void read_field(build *b, const message_proto *mp, const char *kind, const char *owner,
                       const Google__Protobuf__FieldDescriptorProto *fp, int line, fck_field *f)
{
    f->name = fp->name;
    f->number = fp->number;
    f->type = fp->has_type ? (int)fp->type : 0;
    f->label = fp->has_label ? (int)fp->label : FCK_LABEL_OPTIONAL;
    f->line = line;
    if (fp->name == NULL || !fck_is_ident_path(fp->name) || strchr(fp->name, '.') != NULL) {
        error(b, line, "%s %s: a field has no valid name", kind, owner);
        f->name = "?";
    }
    if (!fp->has_number || fp->number < 1 || fp->number > FCK_FIELD_MAX)
        error(b, line, "%s %s: a field has no valid number", kind, owner);
    if (fck_type_str(f->type) == NULL)
        error(b, line, "%s %s: a field has no valid type", kind, owner);
    if (f->label < FCK_LABEL_OPTIONAL || f->label > FCK_LABEL_REPEATED)
        error(b, line, "%s %s: a field has no valid label", kind, owner);
    if (f->type == FCK_TYPE_MESSAGE || f->type == FCK_TYPE_GROUP || f->type == FCK_TYPE_ENUM) {
        f->type_name = type_ref(fp->type_name);
        if (f->type_name == NULL || !fck_is_ident_path(f->type_name))
            error(b, line, "%s %s: a field refers to no valid type", kind, owner);
    }
    /* A proto3 `optional` field (refused by fcg_check_proto3_optional())
     * sits in a synthetic oneof that is not the schema's. */
    int proto3_optional = fp->has_proto3_optional && fp->proto3_optional;
    if (fp->has_oneof_index && !proto3_optional) {
        if (mp == NULL || fp->oneof_index < 0 || (size_t)fp->oneof_index >= mp->n_oneof_decl ||
            mp->oneof_decl[fp->oneof_index] == NULL ||
            mp->oneof_decl[fp->oneof_index]->name == NULL)
            error(b, line, "%s %s: a field is in a oneof that does not exist", kind, owner);
        else
            f->oneof = mp->oneof_decl[fp->oneof_index]->name;
        if (f->oneof != NULL && (!fck_is_ident_path(f->oneof) || strchr(f->oneof, '.') != NULL))
            error(b, line, "%s %s: a oneof has no valid name", kind, owner);
    }
    const Google__Protobuf__FieldOptions *o = fp->options;
    int proto3 = strcmp(b->file->syntax, "proto3") == 0;
    if (f->label == FCK_LABEL_REPEATED && packable(f->type))
        f->packed = o != NULL && o->has_packed ? o->packed != 0 : proto3;
    f->default_value = fck_utf8_clean(b->a, fp->default_value);
    /* protoc fills json_name in for every field; only a chosen one is kept. */
    if (fp->json_name != NULL && strcmp(fp->json_name, fck_json_name(b->a, f)) != 0)
        f->json_name = fck_utf8_clean(b->a, fp->json_name);
    f->deprecated = o != NULL && o->has_deprecated && o->deprecated;
    const char *why;
    if (fcg_field_rules(b->a, fp, &f->rules, &why) != 0)
        error(b, line, "%s %s: field %s: option (ferry.field) is malformed: %s", kind, owner,
              f->name, why);
}

static void read_enum(build *b, const enum_proto *ep, const char *scope, int32_t *path, size_t n)
{
    if (ep == NULL)
        return;
    int line = line_of(b, path, n);
    if (ep->name == NULL || !fck_is_ident_path(ep->name) || strchr(ep->name, '.') != NULL) {
        error(b, line, "an enum in %s has no valid name", scope[0] ? scope : "the file");
        return;
    }
    fck_enum *e = &b->s->enums[b->s->n_enums++];
    e->full_name = join(b->a, scope, ep->name);
    e->file = b->file;
    e->line = line;
    e->values = fcg_arena_alloc(b->a, (ep->n_value + 1) * sizeof *e->values);
    e->reserved = fcg_arena_alloc(b->a, (ep->n_reserved_range + 1) * sizeof *e->reserved);
    e->reserved_names =
        fcg_arena_alloc(b->a, (ep->n_reserved_name + 1) * sizeof *e->reserved_names);
    if (e->full_name == NULL || e->values == NULL || e->reserved == NULL ||
        e->reserved_names == NULL)
        return;
    path[n] = P_ENUM_VALUE;
    for (size_t i = 0; i < ep->n_value; i++) {
        const Google__Protobuf__EnumValueDescriptorProto *vp = ep->value[i];
        path[n + 1] = (int32_t)i;
        int vline = line_of(b, path, n + 2);
        if (vp == NULL || vp->name == NULL || !fck_is_ident_path(vp->name) ||
            strchr(vp->name, '.') != NULL || !vp->has_number) {
            error(b, vline, "enum %s: a value has no valid name or number", e->full_name);
            continue;
        }
        e->values[e->n_values++] = (fck_value){vp->name, vp->number, vline};
    }
    path[n] = P_ENUM_RESERVED_RANGE;
    for (size_t i = 0; i < ep->n_reserved_range; i++) {
        const Google__Protobuf__EnumDescriptorProto__EnumReservedRange *r = ep->reserved_range[i];
        path[n + 1] = (int32_t)i;
        int rline = line_of(b, path, n + 2);
        /* EnumReservedRange ends inclusively. */
        if (r == NULL || !r->has_start || !r->has_end || r->end < r->start) {
            error(b, rline, "enum %s: a reserved range is malformed", e->full_name);
            continue;
        }
        e->reserved[e->n_reserved++] = (fck_range){r->start, r->end, rline};
    }
    path[n] = P_ENUM_RESERVED_NAME;
    for (size_t i = 0; i < ep->n_reserved_name; i++) {
        path[n + 1] = (int32_t)i;
        const char *rn = ep->reserved_name[i];
        if (rn == NULL || !fck_is_ident_path(rn) || strchr(rn, '.') != NULL) {
            error(b, line_of(b, path, n + 2), "enum %s: a reserved name is not valid",
                  e->full_name);
            continue;
        }
        e->reserved_names[e->n_reserved_names++] = (fck_name){rn, line_of(b, path, n + 2)};
    }
}

/* ---- extensions ------------------------------------------------------------ */

/* The extensions declared in `scope` (a package or a message's full name),
 * at `path` (n entries, the one after them the element's index). */
static void read_extensions(build *b, Google__Protobuf__FieldDescriptorProto *const *ext,
                            size_t n_ext, const char *scope, int32_t *path, size_t n)
{
    for (size_t i = 0; i < n_ext; i++) {
        const Google__Protobuf__FieldDescriptorProto *fp = ext[i];
        if (fp == NULL)
            continue;
        path[n] = (int32_t)i;
        fck_extension *x = &b->s->extensions[b->s->n_extensions++];
        read_field(b, NULL, "extension in", scope[0] ? scope : b->file->name, fp,
                   line_of(b, path, n + 1), &x->field);
        x->full_name = join(b->a, scope, x->field.name);
        x->extendee = type_ref(fp->extendee);
        x->file = b->file;
        if (x->extendee == NULL || !fck_is_ident_path(x->extendee))
            error(b, x->field.line, "extension %s extends no valid message", x->field.name);
    }
}

static void read_message(build *b, const message_proto *mp, const char *scope, int32_t *path,
                         size_t n, int depth)
{
    if (mp == NULL)
        return;
    int line = line_of(b, path, n);
    if (depth > MAX_DEPTH) {
        error(b, line, "messages in %s are nested too deeply", scope);
        return;
    }
    if (mp->name == NULL || !fck_is_ident_path(mp->name) || strchr(mp->name, '.') != NULL) {
        error(b, line, "a message in %s has no valid name", scope[0] ? scope : "the file");
        return;
    }
    fck_message *m = &b->s->messages[b->s->n_messages++];
    m->full_name = join(b->a, scope, mp->name);
    m->file = b->file;
    m->line = line;
    m->map_entry = mp->options != NULL && mp->options->has_map_entry && mp->options->map_entry;
    m->fields = fcg_arena_alloc(b->a, (mp->n_field + 1) * sizeof *m->fields);
    if (m->full_name == NULL || m->fields == NULL)
        return;
    path[n] = P_MSG_FIELD;
    for (size_t i = 0; i < mp->n_field; i++) {
        if (mp->field[i] == NULL)
            continue;
        path[n + 1] = (int32_t)i;
        read_field(b, mp, "message", m->full_name, mp->field[i], line_of(b, path, n + 2),
                   &m->fields[m->n_fields++]);
    }
    read_ranges_msg(b, mp, path, n, m);
    path[n] = P_MSG_ENUM;
    for (size_t i = 0; i < mp->n_enum_type; i++) {
        path[n + 1] = (int32_t)i;
        read_enum(b, mp->enum_type[i], m->full_name, path, n + 2);
    }
    path[n] = P_MSG_EXTENSION;
    read_extensions(b, mp->extension, mp->n_extension, m->full_name, path, n + 1);
    for (size_t i = 0; i < mp->n_nested_type; i++) {
        path[n] = P_MSG_NESTED; /* read_message overwrites path[n..] */
        path[n + 1] = (int32_t)i;
        read_message(b, mp->nested_type[i], m->full_name, path, n + 2, depth + 1);
    }
}

/* ---- services -------------------------------------------------------------- */

static void read_service(build *b, const Google__Protobuf__ServiceDescriptorProto *sp, size_t index,
                         int64_t file_api, int file_api_line)
{
    int32_t path[4] = {P_FILE_SERVICE, (int32_t)index};
    int line = line_of(b, path, 2);
    if (sp == NULL || sp->name == NULL || !fck_is_ident_path(sp->name) ||
        strchr(sp->name, '.') != NULL) {
        error(b, line, "a service has no valid name");
        return;
    }
    fck_service *s = &b->s->services[b->s->n_services++];
    s->full_name = join(b->a, b->file->package, sp->name);
    s->file = b->file;
    s->line = line;
    s->methods = fcg_arena_alloc(b->a, (sp->n_method + 1) * sizeof *s->methods);
    if (s->full_name == NULL || s->methods == NULL)
        return;

    fcg_loc loc = {.file = b->fp,
                   .path = {P_FILE_SERVICE, (int32_t)index},
                   .n_path = 2,
                   .where = {.file = b->file->name, .service = sp->name}};
    int64_t api = fcg_service_api_version(b->a, sp->options, &loc, b->d);
    path[2] = P_SERVICE_OPTIONS;
    path[3] = (int32_t)FCG_FERRY_OPTION_FIELD;
    if (api > 0) {
        s->api_version = (uint32_t)api;
        s->api_line = line_of(b, path, 4);
    } else if (file_api > 0) {
        s->api_version = (uint32_t)file_api;
        s->api_line = file_api_line;
    } else {
        s->api_version = 1;
        s->api_line = line;
    }

    for (size_t i = 0; i < sp->n_method; i++) {
        const Google__Protobuf__MethodDescriptorProto *mp = sp->method[i];
        path[2] = P_SERVICE_METHOD;
        path[3] = (int32_t)i;
        int mline = line_of(b, path, 4);
        if (mp == NULL || mp->name == NULL || !fck_is_ident_path(mp->name) ||
            strchr(mp->name, '.') != NULL) {
            error(b, mline, "service %s: a method has no valid name", s->full_name);
            continue;
        }
        fck_method *m = &s->methods[s->n_methods++];
        m->name = mp->name;
        m->line = mline;
        m->input = type_ref(mp->input_type);
        m->output = type_ref(mp->output_type);
        if (m->input == NULL || !fck_is_ident_path(m->input) || m->output == NULL ||
            !fck_is_ident_path(m->output))
            error(b, mline, "method %s: a request or response type is missing", mp->name);

        /* The generator's checks: no streaming, and its reading of
         * (ferry.method). The API version is given as the largest, so that
         * the checker reports `since` beyond the API version as a finding
         * of its own. */
        fcg_loc mloc = {.file = b->fp,
                        .path = {P_FILE_SERVICE, (int32_t)index, P_SERVICE_METHOD, (int32_t)i},
                        .n_path = 4,
                        .where = {.file = b->file->name, .service = sp->name, .method = mp->name}};
        fcg_check_streaming(mp, &mloc, b->d);
        fcg_method_opts o;
        fcg_method_options(b->a, mp, UINT32_MAX, &mloc, b->d, &o);
        m->since = o.since;
        m->deprecated_since = o.deprecated_since;
        m->deprecated = o.deprecated;
        m->idempotent = o.idempotent;
        m->read_only = o.read_only;
        m->deadline_ms = o.deadline_ms;
        m->fallback = o.fallback;
        m->fallback_default = fck_utf8_clean(b->a, o.fallback_default);
        m->roles = fcg_arena_alloc(b->a, (o.n_roles + 1) * sizeof *m->roles);
        for (size_t r = 0; m->roles != NULL && r < o.n_roles; r++)
            m->roles[m->n_roles++] = fck_utf8_clean(b->a, o.roles[r]);
        m->id = o.id;
    }
}

/* ---- files ------------------------------------------------------------------ */

/* Whether a file belongs to protobuf or ferry themselves rather than to the
 * schema being checked: their packages are reserved. */
static int toolchain_file(const file_proto *fp)
{
    return fp->package != NULL &&
           (strcmp(fp->package, "google.protobuf") == 0 || strcmp(fp->package, "ferry") == 0);
}

static int cmp_file_proto(const void *x, const void *y)
{
    const file_proto *a = *(const file_proto *const *)x, *b = *(const file_proto *const *)y;
    return strcmp(a->name, b->name);
}

static void read_file(build *b, const file_proto *fp, fck_file *file)
{
    b->fp = fp;
    b->file = file;
    file->name = fp->name;
    file->package = fp->package != NULL ? fp->package : "";
    file->syntax = fp->syntax != NULL && fp->syntax[0] != '\0' ? fp->syntax : "proto2";
    if (index_source(b) != 0)
        return;
    int32_t path[MAX_PATH] = {P_FILE_PACKAGE};
    file->package_line = line_of(b, path, 1);
    if (strcmp(file->syntax, "proto2") != 0 && strcmp(file->syntax, "proto3") != 0) {
        error(b, 0, "syntax \"%s\" is not supported by ferry check", file->syntax);
        file->syntax = "proto3";
    }
    if (file->package[0] != '\0' && !fck_is_ident_path(file->package))
        error(b, file->package_line, "the package name is not valid");
    fcg_check_proto3_optional(b->a, fp, b->d);

    fcg_loc loc = {.file = fp, .where = {.file = fp->name}};
    int64_t file_api = fcg_file_api_version(b->a, fp->options, &loc, b->d);
    path[0] = P_FILE_OPTIONS;
    path[1] = (int32_t)FCG_FERRY_OPTION_FIELD;
    int file_api_line = line_of(b, path, 2);

    for (size_t i = 0; i < fp->n_message_type; i++) {
        path[0] = P_FILE_MESSAGE;
        path[1] = (int32_t)i;
        read_message(b, fp->message_type[i], file->package, path, 2, 0);
    }
    for (size_t i = 0; i < fp->n_enum_type; i++) {
        path[0] = P_FILE_ENUM;
        path[1] = (int32_t)i;
        read_enum(b, fp->enum_type[i], file->package, path, 2);
    }
    path[0] = P_FILE_EXTENSION;
    read_extensions(b, fp->extension, fp->n_extension, file->package, path, 1);
    for (size_t i = 0; i < fp->n_service; i++)
        read_service(b, fp->service[i], i, file_api, file_api_line);
}

ferry_check_status ferry_schema_from_descriptor_set(const uint8_t *data, size_t len,
                                                    fck_schema **out)
{
    fck_error_clear();
    *out = NULL;
    fck_schema *s = fck_schema_new();
    if (s == NULL)
        return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
    if (!ferry_pb_depth_ok(&google__protobuf__file_descriptor_set__descriptor, data, len)) {
        ferry_schema_free(s);
        return fck_fail(FERRY_CHECK_BAD_INPUT, "the input nests messages more than 100 levels "
                                               "deep (a google.protobuf.FileDescriptorSet holds "
                                               "far fewer)");
    }
    Google__Protobuf__FileDescriptorSet *set =
        google__protobuf__file_descriptor_set__unpack(&s->arena.pb, len, data);
    if (set == NULL) {
        int oom = s->arena.failed;
        ferry_schema_free(s);
        return fck_fail(oom ? FERRY_CHECK_SYSTEM : FERRY_CHECK_BAD_INPUT,
                        oom ? "out of memory"
                            : "the input is not a google.protobuf.FileDescriptorSet");
    }

    /* The schema's own files, sorted by name. */
    const file_proto **files = fcg_arena_alloc(&s->arena, (set->n_file + 1) * sizeof *files);
    size_t n_files = 0, n_msg = 0, n_enum = 0, n_svc = 0, n_ext = 0;
    if (files == NULL)
        goto oom;
    for (size_t i = 0; i < set->n_file; i++) {
        file_proto *fp = set->file[i];
        if (fp == NULL || fp->name == NULL || !fck_is_file_name(fp->name)) {
            ferry_schema_free(s);
            return fck_fail(FERRY_CHECK_BAD_INPUT,
                            "a file of the descriptor set has no valid name");
        }
        /* Sorted and compared as the lock file will hold them. */
        fp->name = (char *)fck_utf8_clean(&s->arena, fp->name);
        if (toolchain_file(fp))
            continue;
        files[n_files++] = fp;
        n_enum += fp->n_enum_type;
        n_svc += fp->n_service;
        n_ext += fp->n_extension;
        count_messages(fp->message_type, fp->n_message_type, &n_msg, &n_enum, &n_ext);
    }
    qsort(files, n_files, sizeof *files, cmp_file_proto);
    for (size_t i = 0; i + 1 < n_files; i++) {
        if (strcmp(files[i]->name, files[i + 1]->name) == 0) {
            const char *name = fck_printable(&s->arena, files[i]->name);
            char *msg = fck_strdup_printf("the descriptor set holds %s twice", name);
            ferry_schema_free(s);
            return fck_fail_take(FERRY_CHECK_BAD_INPUT, msg);
        }
    }
    s->files = fcg_arena_alloc(&s->arena, (n_files + 1) * sizeof *s->files);
    s->messages = fcg_arena_alloc(&s->arena, (n_msg + 1) * sizeof *s->messages);
    s->enums = fcg_arena_alloc(&s->arena, (n_enum + 1) * sizeof *s->enums);
    s->services = fcg_arena_alloc(&s->arena, (n_svc + 1) * sizeof *s->services);
    s->extensions = fcg_arena_alloc(&s->arena, (n_ext + 1) * sizeof *s->extensions);
    if (s->files == NULL || s->messages == NULL || s->enums == NULL || s->services == NULL ||
        s->extensions == NULL)
        goto oom;

    fcg_diag d;
    fcg_diag_init(&d);
    build b = {.s = s, .a = &s->arena, .d = &d};
    for (size_t i = 0; i < n_files; i++)
        read_file(&b, files[i], &s->files[s->n_files++]);
    if (s->arena.failed) {
        fcg_diag_fini(&d);
        goto oom;
    }
    if (d.count > 0) {
        char *msg = fck_strdup_printf("%s", fcg_diag_text(&d));
        fcg_diag_fini(&d);
        ferry_schema_free(s);
        return fck_fail_take(FERRY_CHECK_BAD_INPUT, msg);
    }
    fcg_diag_fini(&d);
    const char *problem;
    if (fck_schema_index(s, &problem) != 0) {
        char *msg = fck_strdup_printf("%s", problem);
        ferry_schema_free(s);
        return fck_fail_take(msg != NULL && strcmp(msg, "out of memory") == 0
                                 ? FERRY_CHECK_SYSTEM
                                 : FERRY_CHECK_BAD_INPUT,
                             msg);
    }
    *out = s;
    return FERRY_CHECK_OK;
oom:
    ferry_schema_free(s);
    return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
}
