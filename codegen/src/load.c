/* load.c - builds the model from a CodeGeneratorRequest: resolves every
 * method's message types to protoc-c's C names, reads ferry's options,
 * names the generated code, and rejects what ferry cannot generate. The
 * request is untrusted input: every field protobuf-c may leave NULL is
 * checked before use. */
#include <stdlib.h>
#include <string.h>

#include "ferry/options.pb-c.h"
#include "pbc_options.pb-c.h"

#include "gen.h"
#include "model.h"
#include "names.h"
#include "options.h"
#include "rules.h"
#include "srcinfo.h"
#include "symbols.h"
#include "textfmt.h"

typedef struct load_ctx {
    fcg_arena *a;
    fcg_diag *d;
    const Google__Protobuf__Compiler__CodeGeneratorRequest *req;
    fcg_type *types; /* every message of the request, sorted by full_name */
    size_t n_types;
    fcg_textfmt_schema *schema; /* made when a fallback text needs it */
    fcg_symbols syms;
} load_ctx;

static const char *str_or(const char *s, const char *dflt)
{
    return s != NULL ? s : dflt;
}

/* ---- message types ---------------------------------------------------- */

static size_t count_types(Google__Protobuf__DescriptorProto *const *msgs, size_t n)
{
    size_t count = n;
    for (size_t i = 0; i < n; i++)
        count += count_types(msgs[i]->nested_type, msgs[i]->n_nested_type);
    return count;
}

/* The deepest SourceCodeInfo path kept for a message: deeper ones get no line. */
#define MAX_TYPE_PATH 64

/* Adds the messages `msgs` declared in `scope` ("pkg.Outer", or "" at the
 * top of a file without package) and their nested messages. */
static void add_types(load_ctx *lc, const Google__Protobuf__FileDescriptorProto *f,
                      const char *package, const char *c_package, const char *scope,
                      Google__Protobuf__DescriptorProto *const *msgs, size_t n, int32_t *path,
                      size_t depth)
{
    const char *file = str_or(f->name, "(unnamed file)");
    for (size_t i = 0; i < n; i++) {
        const Google__Protobuf__DescriptorProto *msg = msgs[i];
        if (msg->name == NULL) {
            fcg_error(lc->d, &(fcg_where){.file = file}, "a message in %s has no name",
                      scope[0] ? scope : "the file");
            continue;
        }
        const char *full =
            scope[0] ? fcg_arena_printf(lc->a, "%s.%s", scope, msg->name) : msg->name;
        fcg_type *t = &lc->types[lc->n_types];
        t->full_name = fcg_arena_printf(lc->a, ".%s", str_or(full, ""));
        char *c_name = NULL, *c_lower = NULL;
        if (full == NULL || t->full_name == NULL ||
            !fcg_protoc_c_names(lc->a, package, c_package, full, &c_name, &c_lower))
            return;
        t->c_name = c_name;
        t->c_lower = c_lower;
        t->descriptor = fcg_arena_printf(lc->a, "%s__descriptor", c_lower);
        t->proto = msg;
        t->file = f;
        /* File: message_type (4) i; message: nested_type (3) i. */
        t->n_path = 2 * depth + 2;
        if (t->n_path <= MAX_TYPE_PATH) {
            path[2 * depth] = depth == 0 ? 4 : 3;
            path[2 * depth + 1] = (int32_t)i;
            t->path = fcg_arena_alloc(lc->a, t->n_path * sizeof *t->path);
            if (t->path != NULL)
                memcpy(t->path, path, t->n_path * sizeof *t->path);
        } else {
            t->n_path = 0;
        }
        t->base = "base";

        ProtobufCMessage *ext;
        const char *why;
        if (fcg_option_unpack(lc->a, msg->options != NULL ? &msg->options->base : NULL,
                              FCG_PBC_OPTION_FIELD, &fcg__pbc_message_options__descriptor, &ext,
                              &why) != 0)
            fcg_error(lc->d, &(fcg_where){.file = file},
                      "message %s: option (pb_c_msg) is malformed: %s", full, why);
        else if (ext != NULL)
            t->base = str_or(((Fcg__PbcMessageOptions *)ext)->base_field_name, "base");
        lc->n_types++;
        if (2 * depth + 2 < MAX_TYPE_PATH)
            add_types(lc, f, package, c_package, full, msg->nested_type, msg->n_nested_type, path,
                      depth + 1);
        else
            add_types(lc, f, package, c_package, full, msg->nested_type, msg->n_nested_type, path,
                      MAX_TYPE_PATH);
    }
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp(((const fcg_type *)a)->full_name, ((const fcg_type *)b)->full_name);
}

static int index_types(load_ctx *lc, const Google__Protobuf__Compiler__CodeGeneratorRequest *req)
{
    size_t total = 0;
    for (size_t i = 0; i < req->n_proto_file; i++)
        total += count_types(req->proto_file[i]->message_type, req->proto_file[i]->n_message_type);
    lc->types = fcg_arena_alloc(lc->a, (total ? total : 1) * sizeof *lc->types);
    if (lc->types == NULL)
        return -1;
    for (size_t i = 0; i < req->n_proto_file; i++) {
        const Google__Protobuf__FileDescriptorProto *f = req->proto_file[i];
        const char *file = str_or(f->name, "(unnamed file)");
        const char *c_package = NULL;
        ProtobufCMessage *ext;
        const char *why;
        if (fcg_option_unpack(lc->a, f->options != NULL ? &f->options->base : NULL,
                              FCG_PBC_OPTION_FIELD, &fcg__pbc_file_options__descriptor, &ext,
                              &why) != 0)
            fcg_error(lc->d, &(fcg_where){.file = file}, "option (pb_c_file) is malformed: %s",
                      why);
        else if (ext != NULL)
            c_package = ((Fcg__PbcFileOptions *)ext)->c_package;
        const char *package = str_or(f->package, "");
        int32_t path[MAX_TYPE_PATH];
        add_types(lc, f, package, c_package, package, f->message_type, f->n_message_type, path, 0);
    }
    qsort(lc->types, lc->n_types, sizeof *lc->types, cmp_type);
    return lc->a->failed ? -1 : 0;
}

static const fcg_type *find_type(const load_ctx *lc, const char *full_name)
{
    fcg_type key = {.full_name = full_name};
    return bsearch(&key, lc->types, lc->n_types, sizeof key, cmp_type);
}

/* ---- methods ---------------------------------------------------------- */

/* The input or output type of the method at `loc`, checked. */
static const fcg_type *method_type(load_ctx *lc, const fcg_loc *loc, const char *ref, int32_t field,
                                   const char *what)
{
    const int32_t sub[] = {field};
    if (ref == NULL) {
        fcg_error_at(lc->d, loc, sub, 1, "the method has no %s type", what);
        return NULL;
    }
    const fcg_type *t = find_type(lc, ref);
    if (t == NULL) {
        fcg_error_at(lc->d, loc, sub, 1, "%s type %s is not a message of the request", what, ref);
        return NULL;
    }
    if (!fcg_is_identifier(t->c_name) || !fcg_is_identifier(t->descriptor) ||
        !fcg_is_identifier(t->base)) {
        fcg_error_at(lc->d, loc, sub, 1,
                     "%s type %s has no valid C name (check its (pb_c_file).c_package and "
                     "(pb_c_msg).base_field_name)",
                     what, ref);
        return NULL;
    }
    return t;
}

/* Encodes the method's fallback_default text as its output type; protobuf-c
 * cannot read text format, so the runtime gets the bytes. */
static int encode_fallback(load_ctx *lc, const fcg_loc *loc, fcg_method *m)
{
    if (lc->schema == NULL)
        lc->schema = fcg_textfmt_schema_new(lc->a, lc->req->proto_file, lc->req->n_proto_file);
    if (lc->schema == NULL)
        return -1; /* out of memory, reported by fcg_model_load() */
    const char *text = m->opts.fallback_default;
    fcg_textfmt_error err;
    if (fcg_textfmt_encode(lc->a, lc->schema, m->output->full_name, text, strlen(text),
                           &m->opts.fallback_pb, &m->opts.fallback_pb_len, &err) == 0)
        return 0;
    const int32_t sub[] = {FCG_PATH_METHOD_OPTIONS, (int32_t)FCG_FERRY_OPTION_FIELD, 5};
    if (err.line == 0)
        fcg_error_at(lc->d, loc, sub, 3, "(ferry.method).fallback_default: %s", err.what);
    else
        fcg_error_at(lc->d, loc, sub, 3, "(ferry.method).fallback_default at %u:%u: %s", err.line,
                     err.column, err.what);
    return -1;
}

/* FALLBACK_EMPTY answers with the output type's empty message, which
 * protobuf-c refuses to decode when the type has a proto2 required field:
 * the fallback would never be taken. FALLBACK_DEFAULT can set the field. */
static int check_empty_fallback(load_ctx *lc, const fcg_loc *loc, const fcg_method *m)
{
    if (m->opts.fallback != FERRY__FALLBACK__FALLBACK_EMPTY || m->output == NULL)
        return 0;
    const Google__Protobuf__DescriptorProto *out = m->output->proto;
    for (size_t i = 0; i < out->n_field; i++) {
        if (out->field[i]->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED)
            continue;
        const int32_t sub[] = {FCG_PATH_METHOD_OPTIONS, (int32_t)FCG_FERRY_OPTION_FIELD, 4};
        fcg_error_at(lc->d, loc, sub, 3,
                     "fallback FALLBACK_EMPTY answers with an empty %s, which lacks its required "
                     "field %s, so the response could not be decoded and the fallback never "
                     "taken; use FALLBACK_DEFAULT with a fallback_default that sets it",
                     m->output->full_name + 1, str_or(out->field[i]->name, "?"));
        return -1;
    }
    return 0;
}

static int load_method(load_ctx *lc, fcg_service *svc, const fcg_loc *sloc,
                       const Google__Protobuf__MethodDescriptorProto *md, size_t j, fcg_method *m)
{
    fcg_loc loc = *sloc;
    loc.path[loc.n_path++] = FCG_PATH_SERVICE_METHOD;
    loc.path[loc.n_path++] = (int32_t)j;
    m->service = svc;
    m->index = j;
    m->name = md->name;
    m->line = fcg_src_line(loc.file, loc.path, loc.n_path);
    m->doc = fcg_src_comment(loc.file, loc.path, loc.n_path);
    if (m->name == NULL || !fcg_is_identifier(m->name)) {
        fcg_error_at(lc->d, &loc, NULL, 0, "method #%zu has an invalid name \"%s\"", j + 1,
                     str_or(m->name, ""));
        return -1;
    }
    loc.where.method = m->name;
    m->full_name = fcg_arena_printf(lc->a, "%s/%s", svc->full_name, m->name);

    int rc = fcg_check_streaming(md, &loc, lc->d);
    m->input = method_type(lc, &loc, md->input_type, FCG_PATH_METHOD_INPUT, "input");
    m->output = method_type(lc, &loc, md->output_type, FCG_PATH_METHOD_OUTPUT, "output");
    if (m->input == NULL || m->output == NULL)
        rc = -1;
    if (fcg_method_options(lc->a, md, svc->api_version, &loc, lc->d, &m->opts) != 0)
        rc = -1;
    else if (m->opts.fallback_default != NULL && m->output != NULL &&
             encode_fallback(lc, &loc, m) != 0)
        rc = -1;
    else if (check_empty_fallback(lc, &loc, m) != 0)
        rc = -1;
    return rc;
}

/* Stable ids must be unique within a service. */
static int check_ids(load_ctx *lc, const fcg_service *svc, const fcg_loc *sloc)
{
    int rc = 0;
    for (size_t i = 0; i < svc->n_methods; i++) {
        const fcg_method *m = &svc->methods[i];
        for (size_t k = 0; m->name != NULL && m->opts.id != 0 && k < i; k++) {
            if (svc->methods[k].opts.id != m->opts.id)
                continue;
            fcg_loc loc = *sloc;
            loc.path[loc.n_path++] = FCG_PATH_SERVICE_METHOD;
            loc.path[loc.n_path++] = (int32_t)i;
            loc.where.method = m->name;
            const int32_t sub[] = {FCG_PATH_METHOD_OPTIONS, (int32_t)FCG_FERRY_OPTION_FIELD, 7};
            fcg_error_at(lc->d, &loc, sub, 3,
                         "(ferry.method).id %u is already the id of method %s (line %d); ids "
                         "must be unique within a service",
                         m->opts.id, svc->methods[k].name, svc->methods[k].line);
            rc = -1;
            break;
        }
    }
    return rc;
}

/* ---- services and files ----------------------------------------------- */

static int load_service(load_ctx *lc, fcg_file *file, const fcg_loc *floc, uint32_t file_api,
                        const Google__Protobuf__ServiceDescriptorProto *sd, size_t i,
                        fcg_service *svc)
{
    fcg_loc loc = *floc;
    loc.path[loc.n_path++] = FCG_PATH_FILE_SERVICE;
    loc.path[loc.n_path++] = (int32_t)i;
    svc->file = file;
    svc->name = sd->name;
    svc->line = fcg_src_line(loc.file, loc.path, loc.n_path);
    svc->doc = fcg_src_comment(loc.file, loc.path, loc.n_path);
    if (svc->name == NULL || !fcg_is_identifier(svc->name)) {
        fcg_error_at(lc->d, &loc, NULL, 0, "service #%zu has an invalid name \"%s\"", i + 1,
                     str_or(svc->name, ""));
        return -1;
    }
    loc.where.service = svc->name;
    svc->full_name =
        file->package[0] ? fcg_arena_printf(lc->a, "%s.%s", file->package, svc->name) : svc->name;
    int64_t api = fcg_service_api_version(lc->a, sd->options, &loc, lc->d);
    if (api < 0)
        return -1;
    svc->api_version = api > 0 ? (uint32_t)api : file_api;
    if (sd->n_method == 0) {
        fcg_error_at(lc->d, &loc, NULL, 0, "the service has no methods");
        return -1;
    }

    svc->n_methods = sd->n_method;
    svc->methods = fcg_arena_alloc(lc->a, sd->n_method * sizeof *svc->methods);
    if (svc->methods == NULL)
        return -1;
    int rc = 0;
    for (size_t j = 0; j < sd->n_method; j++)
        if (load_method(lc, svc, &loc, sd->method[j], j, &svc->methods[j]) != 0)
            rc = -1;
    if (check_ids(lc, svc, &loc) != 0 || rc != 0)
        return -1;
    if (!fcg_name_service(lc->a, svc, file->package))
        return -1;
    return 0;
}

/* True when `name` can sit between the quotes of a C #include. */
static int includable(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            return 0;
    return name[0] != '\0';
}

/* "inventory/v1/inventory.proto" -> "inventory/v1/inventory", as protoc-c. */
static const char *stem_of(fcg_arena *a, const char *name)
{
    size_t n = strlen(name);
    static const char *const suffixes[] = {".protodevel", ".proto"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0)
            return fcg_arena_strndup(a, name, n - k);
    }
    return name;
}

/* `prefix` + the stem + "_H", every character of the stem but a letter or
 * digit written as '_' and its code in two hex digits, as protoc-c writes its
 * own guards ("a/b" -> "a_2fb", "a_b" -> "a_5fb"), letters in their own
 * case: distinct stems give distinct guards, which they did not when every
 * such character became '_' and letters capitals (a/b.proto and a_b.proto
 * both had FERRY_GEN_A_B_H, a/b.proto and A/b.proto too). The header's
 * prefix is "FERRY_GEN_", the mock header's "FERRY_MOCK_", so no file's guard
 * can be another's. The stem is includable(): printable ASCII. */
static const char *guard_of(fcg_arena *a, const char *prefix, const char *stem)
{
    size_t n = strlen(prefix), len = strlen(stem);
    char *g = fcg_arena_alloc(a, n + 3 * len + 3);
    if (g == NULL)
        return NULL;
    memcpy(g, prefix, n);
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)stem; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
            g[n++] = (char)*p;
        } else {
            g[n++] = '_';
            g[n++] = hex[*p >> 4];
            g[n++] = hex[*p & 15];
        }
    }
    memcpy(g + n, "_H", 3);
    return g;
}

static int load_file(load_ctx *lc, const Google__Protobuf__FileDescriptorProto *f, fcg_file *file)
{
    fcg_loc loc = {.file = f, .where = {.file = f->name}};
    file->name = f->name;
    file->package = str_or(f->package, "");
    file->proto = f;
    file->protos = lc->req->proto_file;
    file->n_protos = lc->req->n_proto_file;
    if (!includable(file->name)) {
        fcg_error(lc->d, &loc.where, "the file name cannot be used in a C #include");
        return -1;
    }
    if (!fcg_is_package(file->package)) {
        fcg_error(lc->d, &loc.where, "the package name \"%s\" is not valid", file->package);
        return -1;
    }
    file->stem = stem_of(lc->a, file->name);
    file->guard = guard_of(lc->a, "FERRY_GEN_", file->stem);
    file->mock_guard = guard_of(lc->a, "FERRY_MOCK_", file->stem);
    int64_t api = fcg_file_api_version(lc->a, f->options, &loc, lc->d);
    if (api < 0)
        return -1;

    file->n_services = f->n_service;
    file->services = fcg_arena_alloc(lc->a, f->n_service * sizeof *file->services);
    if (file->services == NULL)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < f->n_service; i++)
        if (load_service(lc, file, &loc, api > 0 ? (uint32_t)api : 1, f->service[i], i,
                         &file->services[i]) != 0)
            rc = -1;
    if (rc != 0)
        return rc;
    /* The names the whole file declares, then each service's. */
    const Google__Protobuf__FileDescriptorProto **embedded;
    size_t n_embedded = fcg_reflect_files(file, &embedded);
    if (n_embedded == 0) {
        lc->a->failed = 1;
        return -1;
    }
    free(embedded);
    fcg_symbols_add_file(&lc->syms, file, n_embedded);
    for (size_t i = 0; i < file->n_services; i++)
        fcg_symbols_add_service(&lc->syms, &file->services[i], file->name);
    return 0;
}

static const Google__Protobuf__FileDescriptorProto *
find_file(const Google__Protobuf__Compiler__CodeGeneratorRequest *req, const char *name)
{
    for (size_t i = 0; i < req->n_proto_file; i++)
        if (req->proto_file[i]->name != NULL && strcmp(req->proto_file[i]->name, name) == 0)
            return req->proto_file[i];
    return NULL;
}

int fcg_model_load(fcg_model *m, const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                   fcg_diag *d)
{
    memset(m, 0, sizeof *m);
    fcg_arena_init(&m->arena);
    load_ctx lc = {.a = &m->arena, .d = d, .req = req};
    fcg_symbols_init(&lc.syms);
    unsigned errors = d->count;

    if (index_types(&lc, req) != 0)
        goto out;
    m->files = fcg_arena_alloc(lc.a, (req->n_file_to_generate + 1) * sizeof *m->files);
    if (m->files == NULL)
        goto out;
    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        const Google__Protobuf__FileDescriptorProto *f = find_file(req, req->file_to_generate[i]);
        if (f == NULL) {
            fcg_error(d, &(fcg_where){.file = req->file_to_generate[i]},
                      "the request asks for this file but does not contain it");
            continue;
        }
        /* protoc-c cannot generate these messages either; say so first. */
        if (fcg_check_proto3_optional(lc.a, f, d) != 0)
            continue;
        if (f->n_service == 0)
            continue; /* nothing for ferry to generate */
        if (load_file(&lc, f, &m->files[m->n_files]) == 0)
            m->n_files++;
    }
    if (d->count == errors)
        fcg_symbols_check(&lc.syms, d);
    if (d->count == errors)
        fcg_rules_load(lc.a, req, lc.types, lc.n_types, m->files, m->n_files, d);
out:
    if (m->arena.failed)
        fcg_error(d, NULL, "out of memory");
    fcg_symbols_fini(&lc.syms);
    return d->count == errors ? 0 : -1;
}

void fcg_model_fini(fcg_model *m)
{
    fcg_arena_fini(&m->arena);
    m->files = NULL;
    m->n_files = 0;
}
