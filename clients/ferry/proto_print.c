/* proto_print.c - a service written back as a .proto file (proto_print.h):
 * the header (syntax, package, imports, file options), the service, then
 * the messages and enums it reaches, each top-level one whole. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "proto_names.h"
#include "proto_print.h"

#define T(x) GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_##x
#define L(x) GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_##x

/* Things met while printing, each kept once, in the order first met. */
typedef struct seen {
    const void **v;
    size_t n, cap;
} seen;

typedef struct printer {
    FILE *out;
    const pb_schema *s;
    const pbs_file *file; /* the service's file: its package and syntax */
    const char *pkg;      /* "" for none */
    int proto3;
    seen types;            /* top-level types of the service's file, printed here */
    seen imports;          /* the files of the other types, imported */
    int uses_ferry;        /* an option of ferry's was printed: import its file */
    const char *opt_scope; /* where the ferry option being printed is given */
    int failed;            /* err holds why */
    char *err;
    size_t errlen;
} printer;

static void fail(printer *p, const char *what, const char *name)
{
    if (p->failed)
        return;
    p->failed = 1;
    snprintf(p->err, p->errlen, "the schema's %s '%.100s' cannot be written in a .proto file", what,
             name != NULL ? name : "(none)");
}

static void remember(printer *p, seen *l, const void *x)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == x)
            return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const void **grown = realloc(l->v, cap * sizeof *grown);
        if (grown == NULL) {
            if (!p->failed)
                snprintf(p->err, p->errlen, "out of memory");
            p->failed = 1;
            return;
        }
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = x;
}

/* ---- names ---------------------------------------------------------------- */

/* `name` after checking it is an identifier. */
static const char *ident(printer *p, const char *what, const char *name)
{
    if (!proto_is_ident(name)) {
        fail(p, what, name);
        return "_";
    }
    return name;
}

/* Notes that `t` is used: printed here when the service's file declares
 * it (its top-level type, whole), else imported from the file that does.
 * Copying a type of another file, even of the same package, would clash
 * with that file wherever both are imported; and the service's file is
 * the one whose package the types it declares are named in. */
static void use_type(printer *p, const pbs_type *t)
{
    if (t == NULL)
        return;
    if (strlen(t->full) > 400) { /* would not fit the buffers names are written into */
        fail(p, "type name (over 400 characters)", t->full);
        return;
    }
    size_t plen = strlen(p->pkg);
    if (t->file != p->file) {
        remember(p, &p->imports, t->file);
        return;
    }
    const char *rel = t->full + (plen > 0 ? plen + 1 : 0);
    char top[600];
    snprintf(top, sizeof top, "%.*s%s%.*s", (int)plen, p->pkg, plen > 0 ? "." : "",
             (int)strcspn(rel, "."), rel);
    const pbs_type *outer = pbs_find(p->s, top);
    remember(p, &p->types, outer != NULL ? outer : t);
}

/* ---- ferry's options as text format ---------------------------------------- */

static void print_opts(printer *p, const ProtobufCMessage *m, int depth);

static void print_scalar(printer *p, const ProtobufCFieldDescriptor *f, const void *v, int depth)
{
    FILE *out = p->out;
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        fprintf(out, "%s", *(const protobuf_c_boolean *)v ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_UINT32:
        fprintf(out, "%" PRIu32, *(const uint32_t *)v);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        fprintf(out, "%.17g", *(const double *)v);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *e =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)v);
        if (e != NULL)
            fprintf(out, "%s", e->name);
        else
            fprintf(out, "%d", *(const int *)v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        proto_put_string(out, *(char *const *)v);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        fprintf(out, "{");
        print_opts(p, *(ProtobufCMessage *const *)v, depth + 1);
        fprintf(out, "}");
        break;
    default: /* ferry's options use none of the other types */
        fprintf(out, "0");
        break;
    }
}

/* The fields `m` sets, as protobuf's text format: "min_len: 1 in: \"a\"".
 * A field's rules nest (items, keys, values): a server's nesting is
 * followed no deeper than messages are. */
static void print_opts(printer *p, const ProtobufCMessage *m, int depth)
{
    const char *sep = "";
    if (depth > PBS_MAX_DEPTH) {
        fail(p, "ferry options (rules nested deeper than 64) given in", p->opt_scope);
        return;
    }
    for (unsigned i = 0; m != NULL && i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
        const char *base = (const char *)m;
        const void *v = base + f->offset;
        int pointer = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
        size_t count = 1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)(base + f->quantifier_offset);
            v = *(void *const *)v;
        } else if (pointer) {
            count = *(void *const *)v != NULL ? 1 : 0;
        } else if (f->quantifier_offset != 0) {
            count = *(const protobuf_c_boolean *)(base + f->quantifier_offset) ? 1 : 0;
        }
        size_t size = f->type == PROTOBUF_C_TYPE_DOUBLE ? 8 : pointer ? sizeof(void *) : 4;
        for (size_t k = 0; k < count; k++) {
            fprintf(p->out, "%s%s: ", sep, f->name);
            print_scalar(p, f, (const char *)v + k * size, depth);
            sep = " ";
        }
    }
}

/* "(ferry.NAME) = {...}" for ferry's options message `m` (then freed),
 * after `before`, given in `scope` (see proto_ferry_name()); nothing when
 * NULL. */
static int print_ferry(printer *p, const char *before, const char *scope, const char *name,
                       ProtobufCMessage *m)
{
    if (m == NULL)
        return 0;
    fprintf(p->out, "%s(%s.%s) = {", before, proto_ferry_name(p->s, scope), name);
    p->opt_scope = scope;
    print_opts(p, m, 0);
    fprintf(p->out, "}");
    protobuf_c_message_free_unpacked(m, NULL);
    p->uses_ferry = 1;
    return 1;
}

/* ---- messages and enums ----------------------------------------------------- */

static void indent(printer *p, int depth)
{
    fprintf(p->out, "%*s", depth * 2, "");
}

static const char *scalar_name(int type)
{
    static const char *const names[] = {
        NULL,      "double",   "float",    "int64",  "uint64",  "int32", "fixed64",
        "fixed32", "bool",     "string",   "group",  "message", "bytes", "uint32",
        "enum",    "sfixed32", "sfixed64", "sint32", "sint64",
    };
    return type > 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "bytes";
}

/* A field's type as .proto writes it in `scope`, noting the types it uses.
 * It recurses once at most: pbs_is_map() holds an entry's key and value
 * to be singular, so neither is a map again. */
static void field_type(printer *p, const char *scope, const pbs_field *f, char *buf, size_t len)
{
    const pbs_msg *entry = NULL;
    if (pbs_is_map(p->s, f, &entry)) {
        char k[300], v[700];
        field_type(p, scope, entry->field[0], k, sizeof k);
        field_type(p, scope, entry->field[1], v, sizeof v);
        snprintf(buf, len, "map<%s, %s>", k, v);
        return;
    }
    if (f->type == T(MESSAGE) || f->type == T(ENUM)) {
        const pbs_type *t = pbs_find(p->s, f->type_name); /* pbs_index() resolved it */
        use_type(p, t);
        if (t != NULL)
            proto_type_ref(p->s, p->pkg, scope, NULL, t, buf, len);
        else
            snprintf(buf, len, "bytes");
        return;
    }
    snprintf(buf, len, "%s", scalar_name(f->type));
}

/* A proto2 default, as protoc stores it: text for strings, C-escaped text
 * for bytes, a name for enums, a number (or inf, nan) for the rest. */
static void print_default(printer *p, const pbs_field *f)
{
    const char *d = f->default_value;
    if (f->type == T(STRING)) {
        proto_put_string(p->out, d);
        return;
    }
    if (f->type == T(BYTES)) { /* C-escaped already: refused if a quote could end early */
        for (const char *c = d; *c != '\0'; c++) {
            if (*c == '\\' && c[1] != '\0' && (unsigned char)c[1] >= 0x20) {
                c++;
                continue;
            }
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) {
                fail(p, "default value", d);
                return;
            }
        }
        fprintf(p->out, "\"%s\"", d);
        return;
    }
    for (const char *c = d; *c != '\0'; c++)
        if (!(strchr("+-._", *c) != NULL || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z'))) {
            fail(p, "default value", d);
            return;
        }
    fprintf(p->out, "%s", *d != '\0' ? d : "0");
}

/* Whether protoc allows `packed` on `f`: a repeated scalar number or enum.
 * A server may set it anywhere; printed elsewhere, protoc would refuse. */
static int packable(const pbs_field *f)
{
    return f->label == L(REPEATED) && f->type != T(STRING) && f->type != T(BYTES) &&
           f->type != T(MESSAGE) && f->type != T(GROUP);
}

/* The options in [...] after a field of message `scope`: packed,
 * deprecated, json_name when not the one protoc derives, a proto2
 * default, ferry's rules. */
static void print_field_options(printer *p, const char *scope, const pbs_field *f)
{
    const char *sep = " [";
    if (f->options != NULL && f->options->has_packed && packable(f)) {
        fprintf(p->out, "%spacked = %s", sep, f->options->packed ? "true" : "false");
        sep = ", ";
    }
    if (f->options != NULL && f->options->has_deprecated && f->options->deprecated) {
        fprintf(p->out, "%sdeprecated = true", sep);
        sep = ", ";
    }
    pbs_field plain = *f;
    plain.json_name = NULL;
    char derived[256], given[256];
    if (f->json_name != NULL && strcmp(pbs_json_name(f, given, sizeof given),
                                       pbs_json_name(&plain, derived, sizeof derived)) != 0) {
        fprintf(p->out, "%sjson_name = ", sep);
        proto_put_string(p->out, f->json_name);
        sep = ", ";
    }
    if (f->default_value != NULL) {
        fprintf(p->out, "%sdefault = ", sep);
        print_default(p, f);
        sep = ", ";
    }
    Ferry__FieldOptions *fo = pbs_ferry_field(f);
    if (print_ferry(p, sep, scope, "field", fo != NULL ? &fo->base : NULL))
        sep = ", ";
    if (sep[0] == ',')
        fprintf(p->out, "]");
}

static int is_synthetic(const pbs_msg *m, size_t oneof)
{
    for (size_t i = 0; i < m->n_field; i++)
        if (m->field[i]->has_oneof_index && (size_t)m->field[i]->oneof_index == oneof &&
            !(m->field[i]->has_proto3_optional && m->field[i]->proto3_optional))
            return 0;
    return 1;
}

static int in_real_oneof(const pbs_msg *m, const pbs_field *f)
{
    return f->has_oneof_index && !is_synthetic(m, (size_t)f->oneof_index);
}

static void print_field(printer *p, const pbs_type *t, const pbs_field *f, int depth)
{
    char type[1100];
    field_type(p, t->full, f, type, sizeof type);
    const char *label = "";
    if (pbs_is_map(p->s, f, NULL) || in_real_oneof(t->msg, f))
        label = "";
    else if (f->label == L(REPEATED))
        label = "repeated ";
    else if (f->has_proto3_optional && f->proto3_optional)
        label = "optional ";
    else if (f->label == L(REQUIRED))
        label = "required ";
    else if (!p->proto3)
        label = "optional ";
    indent(p, depth);
    fprintf(p->out, "%s%s %s = %d", label, type, ident(p, "field", f->name), f->number);
    print_field_options(p, t->full, f);
    fprintf(p->out, ";\n");
}

/* reserved "a"; the names a message or an enum keeps from reuse. */
static void print_reserved_names(printer *p, int depth, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        indent(p, depth);
        fprintf(p->out, "reserved \"%s\";\n", ident(p, "reserved name", names[i]));
    }
}

/* reserved 2; reserved 9 to 11; */
static void print_range(printer *p, int depth, const char *what, int32_t first, int32_t last)
{
    indent(p, depth);
    if (first == last)
        fprintf(p->out, "%s %" PRId32 ";\n", what, first);
    else
        fprintf(p->out, "%s %" PRId32 " to %" PRId32 ";\n", what, first, last);
}

/* A range a server sent that is not one (reversed, empty, outside the
 * numbers): refused, naming where, before `end - 1` could overflow. */
static void fail_range(printer *p, const char *what, const char *name, const char *kind,
                       int32_t start, int32_t end, const char *why)
{
    if (p->failed)
        return;
    p->failed = 1;
    snprintf(p->err, p->errlen,
             "the schema's %s '%.200s' has a %s range %" PRId32 " to %" PRId32 "%s", what,
             name != NULL ? name : "(none)", kind, start, end, why);
}

/* A message's range of field numbers, as protoc stores it: start, and end
 * one past its last number. */
static void print_field_range(printer *p, const pbs_type *t, int depth, const char *what,
                              int32_t start, int32_t end)
{
    if (start < 1 || start >= end || end > 536870912) {
        fail_range(p, "message", t->full, what, start, end,
                   " that is empty, reversed or outside field numbers 1 to 536870911");
        return;
    }
    print_range(p, depth, what, start, end - 1);
}

static void print_enum(printer *p, const pbs_enum *e, int depth)
{
    indent(p, depth);
    fprintf(p->out, "enum %s {\n", ident(p, "enum", e->name));
    if (e->options != NULL && e->options->has_allow_alias && e->options->allow_alias) {
        indent(p, depth + 1);
        fprintf(p->out, "option allow_alias = true;\n");
    }
    if (e->options != NULL && e->options->has_deprecated && e->options->deprecated) {
        indent(p, depth + 1);
        fprintf(p->out, "option deprecated = true;\n");
    }
    for (size_t i = 0; i < e->n_value; i++) {
        const Google__Protobuf__EnumValueDescriptorProto *v = e->value[i];
        indent(p, depth + 1);
        fprintf(p->out, "%s = %d%s;\n", ident(p, "enum value", v->name), v->number,
                v->options != NULL && v->options->deprecated ? " [deprecated = true]" : "");
    }
    for (size_t i = 0; i < e->n_reserved_range; i++) { /* an enum's range ends on its last */
        int32_t first = e->reserved_range[i]->start, last = e->reserved_range[i]->end;
        if (first > last) {
            fail_range(p, "enum", e->name, "reserved", first, last, " that is reversed");
            return;
        }
        print_range(p, depth + 1, "reserved", first, last);
    }
    print_reserved_names(p, depth + 1, e->reserved_name, e->n_reserved_name);
    indent(p, depth);
    fprintf(p->out, "}\n");
}

static void print_message(printer *p, const pbs_type *t, int depth);

/* Whether a map field of `m` has `entry` as its entry: `map<K, V>`
 * declares it then. A "map entry" no map field uses (a server's, shaped
 * otherwise) is printed as the plain message its fields refer to. */
static int declared_by_map(const printer *p, const pbs_msg *m, const pbs_msg *entry)
{
    for (size_t i = 0; i < m->n_field; i++) {
        const pbs_msg *e = NULL;
        if (pbs_is_map(p->s, m->field[i], &e) && e == entry)
            return 1;
    }
    return 0;
}

/* The nested messages (map entries aside) and enums of `t`. */
static void print_nested(printer *p, const pbs_type *t, int depth)
{
    const pbs_msg *m = t->msg;
    for (size_t i = 0; i < m->n_enum_type; i++) {
        fprintf(p->out, "\n");
        print_enum(p, m->enum_type[i], depth);
    }
    for (size_t i = 0; i < m->n_nested_type; i++) {
        const pbs_msg *n = m->nested_type[i];
        if (declared_by_map(p, m, n))
            continue;
        char full[600];
        snprintf(full, sizeof full, "%s.%s", t->full, n->name != NULL ? n->name : "");
        const pbs_type *nt = pbs_find(p->s, full);
        if (nt == NULL || nt->msg != n) {
            fail(p, "nested message", n->name);
            return;
        }
        fprintf(p->out, "\n");
        print_message(p, nt, depth);
    }
}

static void print_message(printer *p, const pbs_type *t, int depth)
{
    const pbs_msg *m = t->msg;
    if (depth > PBS_MAX_DEPTH) {
        fail(p, "message nested too deep", t->full);
        return;
    }
    if (strlen(t->full) > 400) { /* would not fit the buffers scopes are written into */
        fail(p, "message name (over 400 characters)", t->full);
        return;
    }
    indent(p, depth);
    fprintf(p->out, "message %s {\n", ident(p, "message", m->name));
    if (m->options != NULL && m->options->has_deprecated && m->options->deprecated) {
        indent(p, depth + 1);
        fprintf(p->out, "option deprecated = true;\n");
    }
    /* A oneof is printed whole where its first member is declared. */
    for (size_t i = 0; i < m->n_field; i++) {
        const pbs_field *f = m->field[i];
        if (!in_real_oneof(m, f)) {
            print_field(p, t, f, depth + 1);
            continue;
        }
        size_t o = (size_t)f->oneof_index;
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            first = !(m->field[k]->has_oneof_index && (size_t)m->field[k]->oneof_index == o);
        if (!first)
            continue;
        indent(p, depth + 1);
        fprintf(p->out, "oneof %s {\n", ident(p, "oneof", m->oneof_decl[o]->name));
        for (size_t k = i; k < m->n_field; k++)
            if (m->field[k]->has_oneof_index && (size_t)m->field[k]->oneof_index == o)
                print_field(p, t, m->field[k], depth + 2);
        indent(p, depth + 1);
        fprintf(p->out, "}\n");
    }
    for (size_t i = 0; i < m->n_extension_range; i++)
        print_field_range(p, t, depth + 1, "extensions", m->extension_range[i]->start,
                          m->extension_range[i]->end);
    for (size_t i = 0; i < m->n_reserved_range; i++)
        print_field_range(p, t, depth + 1, "reserved", m->reserved_range[i]->start,
                          m->reserved_range[i]->end);
    print_reserved_names(p, depth + 1, m->reserved_name, m->n_reserved_name);
    print_nested(p, t, depth + 1);
    indent(p, depth);
    fprintf(p->out, "}\n");
}

static void print_type(printer *p, const pbs_type *t)
{
    fprintf(p->out, "\n");
    if (t->en != NULL)
        print_enum(p, t->en, 0);
    else
        print_message(p, t, 0);
}

/* ---- the service and the file ----------------------------------------------- */

/* idempotency_level's names, by number (descriptor.proto). */
static const char *idempotency(const pbs_method *m)
{
    if (m->options == NULL || !m->options->has_idempotency_level)
        return NULL;
    switch (m->options->idempotency_level) {
    case GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__NO_SIDE_EFFECTS:
        return "NO_SIDE_EFFECTS";
    case GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENT:
        return "IDEMPOTENT";
    default: /* IDEMPOTENCY_UNKNOWN is the default; others are not names */
        return NULL;
    }
}

static void print_method(printer *p, const pbs_svc *svc, const pbs_method *m)
{
    const pbs_type *in = pbs_find(p->s, m->input_type), *out = pbs_find(p->s, m->output_type);
    if (in == NULL || in->msg == NULL || out == NULL || out->msg == NULL) {
        fail(p, "method type", m->input_type);
        return;
    }
    use_type(p, in);
    use_type(p, out);
    char a[600], b[600];
    proto_type_ref(p->s, p->pkg, svc->full, svc, in, a, sizeof a);
    proto_type_ref(p->s, p->pkg, svc->full, svc, out, b, sizeof b);
    fprintf(p->out, "  rpc %s(%s%s) returns (%s%s)", ident(p, "method", m->name),
            m->client_streaming ? "stream " : "", a, m->server_streaming ? "stream " : "", b);
    Ferry__MethodOptions *mo = pbs_ferry_method(m);
    int deprecated = m->options != NULL && m->options->has_deprecated && m->options->deprecated;
    const char *level = idempotency(m);
    if (mo == NULL && !deprecated && level == NULL) {
        fprintf(p->out, ";\n");
        return;
    }
    fprintf(p->out, " {\n");
    if (deprecated)
        fprintf(p->out, "    option deprecated = true;\n");
    if (level != NULL)
        fprintf(p->out, "    option idempotency_level = %s;\n", level);
    if (print_ferry(p, "    option ", svc->full, "method", mo != NULL ? &mo->base : NULL))
        fprintf(p->out, ";\n");
    fprintf(p->out, "  }\n");
}

/* The service and the types it reaches, into p->out. */
static void print_body(printer *p, const pbs_svc *svc, const pbs_method *only)
{
    Ferry__ServiceOptions *so = pbs_ferry_service(svc);
    fprintf(p->out, "service %s {\n", ident(p, "service", svc->svc->name));
    const Google__Protobuf__ServiceOptions *o = svc->svc->options;
    if (o != NULL && o->has_deprecated && o->deprecated)
        fprintf(p->out, "  option deprecated = true;\n");
    if (print_ferry(p, "  option ", p->pkg, "service", so != NULL ? &so->base : NULL))
        fprintf(p->out, ";\n");
    for (size_t i = 0; i < svc->svc->n_method; i++)
        if (only == NULL || svc->svc->method[i] == only)
            print_method(p, svc, svc->svc->method[i]);
    fprintf(p->out, "}\n");
    for (size_t i = 0; i < p->types.n && !p->failed; i++) /* grows while printed */
        print_type(p, p->types.v[i]);
}

/* Text a server named, in a comment: no newline or other control
 * character can end the comment early. */
static void print_comment_text(FILE *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* An import's path goes between quotes: refused when it could end them. */
static int is_import_path(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' || *s == 0x7f)
            return 0;
    return 1;
}

int cli_proto_print(FILE *out, const pb_schema *s, const pbs_svc *svc, const pbs_method *only,
                    char *err, size_t errlen)
{
    const pbs_file *file = svc->file;
    printer p = {
        .s = s,
        .file = file,
        .pkg = file->package != NULL ? file->package : "",
        .proto3 = pbs_proto3(file),
        .err = err,
        .errlen = errlen,
    };
    if (p.pkg[0] != '\0' && !proto_is_dotted(p.pkg)) {
        fail(&p, "package", p.pkg);
        return -1;
    }
    /* The body first, into memory: it decides the imports above it. */
    char *body = NULL;
    size_t len = 0;
    p.out = open_memstream(&body, &len);
    if (p.out == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    print_body(&p, svc, only);
    if (fclose(p.out) != 0 && !p.failed) {
        p.failed = 1;
        snprintf(err, errlen, "out of memory");
    }
    p.out = out;
    Ferry__FileOptions *fo = pbs_ferry_file(file);
    if (fo != NULL)
        p.uses_ferry = 1;
    for (size_t i = 0; i < p.imports.n && !p.failed; i++)
        if (!is_import_path(((const pbs_file *)p.imports.v[i])->name))
            fail(&p, "file", ((const pbs_file *)p.imports.v[i])->name);
    if (!p.failed) {
        fprintf(out, "// ");
        print_comment_text(out, file->name);
        fprintf(out, ", API version %u\nsyntax = \"%s\";\n", pbs_api_version(svc),
                p.proto3 ? "proto3" : "proto2");
        if (p.pkg[0] != '\0')
            fprintf(out, "\npackage %s;\n", p.pkg);
        if (p.uses_ferry || p.imports.n > 0)
            fprintf(out, "\n");
        if (p.uses_ferry)
            fprintf(out, "import \"ferry/options.proto\";\n");
        for (size_t i = 0; i < p.imports.n; i++) {
            const char *name = ((const pbs_file *)p.imports.v[i])->name;
            if (!p.uses_ferry || strcmp(name, "ferry/options.proto") != 0)
                fprintf(out, "import \"%s\";\n", name);
        }
        if (print_ferry(&p, "\noption ", p.pkg, "file", fo != NULL ? &fo->base : NULL)) {
            fprintf(out, ";\n");
            fo = NULL;
        }
        fprintf(out, "\n%s", body);
    }
    if (fo != NULL)
        protobuf_c_message_free_unpacked(&fo->base, NULL);
    free(body);
    free(p.types.v);
    free(p.imports.v);
    return p.failed ? -1 : 0;
}
