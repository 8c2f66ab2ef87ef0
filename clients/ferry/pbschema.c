/* pbschema.c - a run-time schema from FileDescriptorProtos (pbschema.h):
 * adding files, indexing their types and services, checking every field
 * against what the JSON encoder and decoder rely on, ferry's options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbdepth.h>

#include "pbschema.h"

/* ferry's options extend protobuf's options messages with this number. */
#define FERRY_EXT 51000u

void pbs_init(pb_schema *s)
{
    memset(s, 0, sizeof *s);
}

void pbs_fini(pb_schema *s)
{
    for (size_t i = 0; i < s->n_files; i++)
        protobuf_c_message_free_unpacked(&s->files[i]->base, NULL);
    for (size_t i = 0; i < s->n_types; i++)
        free(s->types[i].full);
    for (size_t i = 0; i < s->n_svcs; i++)
        free(s->svcs[i].full);
    free(s->files);
    free(s->types);
    free(s->svcs);
    memset(s, 0, sizeof *s);
}

static int has_file(const pb_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_files; i++)
        if (s->files[i]->name != NULL && strcmp(s->files[i]->name, name) == 0)
            return 1;
    return 0;
}

/* Takes `f` (adds it, or frees it when its name is there already). */
static int take_file(pb_schema *s, pbs_file *f, char *err, size_t errlen)
{
    if (f->name == NULL || has_file(s, f->name)) {
        protobuf_c_message_free_unpacked(&f->base, NULL);
        return 0;
    }
    if (s->n_files == s->cap_files) {
        size_t cap = s->cap_files ? s->cap_files * 2 : 8;
        pbs_file **grown = realloc(s->files, cap * sizeof *grown);
        if (grown == NULL) {
            protobuf_c_message_free_unpacked(&f->base, NULL);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->files = grown;
        s->cap_files = cap;
    }
    s->files[s->n_files++] = f;
    return 0;
}

int pbs_add_file(pb_schema *s, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    if (!ferry_pb_depth_ok(&google__protobuf__file_descriptor_proto__descriptor, data, len)) {
        snprintf(err, errlen, "a file descriptor nests messages more than %d levels deep",
                 FERRY_PB_DEPTH_MAX);
        return -1;
    }
    pbs_file *f = google__protobuf__file_descriptor_proto__unpack(NULL, len, data);
    if (f == NULL) {
        snprintf(err, errlen, "a file descriptor (%zu bytes) is not a FileDescriptorProto", len);
        return -1;
    }
    return take_file(s, f, err, errlen);
}

int pbs_add_set(pb_schema *s, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    if (!ferry_pb_depth_ok(&google__protobuf__file_descriptor_set__descriptor, data, len)) {
        snprintf(err, errlen, "the FileDescriptorSet nests messages more than %d levels deep",
                 FERRY_PB_DEPTH_MAX);
        return -1;
    }
    Google__Protobuf__FileDescriptorSet *set =
        google__protobuf__file_descriptor_set__unpack(NULL, len, data);
    if (set == NULL) {
        snprintf(err, errlen, "protoc's output is not a FileDescriptorSet");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < set->n_file && rc == 0; i++) {
        /* Moved into the schema one by one, the set then freed empty. */
        rc = take_file(s, set->file[i], err, errlen);
        set->file[i] = NULL;
    }
    for (size_t i = 0; i < set->n_file; i++)
        if (set->file[i] != NULL)
            protobuf_c_message_free_unpacked(&set->file[i]->base, NULL);
    set->n_file = 0;
    protobuf_c_message_free_unpacked(&set->base, NULL);
    return rc;
}

/* ---- the index ---------------------------------------------------------- */

static char *join(const char *scope, const char *name)
{
    size_t a = strlen(scope), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (s == NULL)
        return NULL;
    if (a > 0) {
        memcpy(s, scope, a);
        s[a++] = '.';
    }
    memcpy(s + a, name, b + 1);
    return s;
}

static int push_type(pb_schema *s, size_t *cap, char *full, const pbs_msg *m, const pbs_enum *e,
                     const pbs_file *f)
{
    if (full == NULL)
        return -1;
    if (s->n_types == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        pbs_type *grown = realloc(s->types, c * sizeof *grown);
        if (grown == NULL) {
            free(full);
            return -1;
        }
        s->types = grown;
        *cap = c;
    }
    s->types[s->n_types++] = (pbs_type){.full = full, .msg = m, .en = e, .file = f};
    return 0;
}

static int add_enums(pb_schema *s, size_t *cap, const pbs_file *f, const char *scope,
                     pbs_enum *const *enums, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (enums[i]->name != NULL &&
            push_type(s, cap, join(scope, enums[i]->name), NULL, enums[i], f) != 0)
            return -1;
    return 0;
}

static int add_msgs(pb_schema *s, size_t *cap, const pbs_file *f, const char *scope,
                    pbs_msg *const *msgs, size_t n, int depth)
{
    if (depth > PBS_MAX_DEPTH)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const pbs_msg *m = msgs[i];
        if (m->name == NULL)
            continue;
        char *full = join(scope, m->name);
        if (push_type(s, cap, full, m, NULL, f) != 0)
            return -1;
        if (add_enums(s, cap, f, full, m->enum_type, m->n_enum_type) != 0 ||
            add_msgs(s, cap, f, full, m->nested_type, m->n_nested_type, depth + 1) != 0)
            return -1;
    }
    return 0;
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp(((const pbs_type *)a)->full, ((const pbs_type *)b)->full);
}

const pbs_type *pbs_find(const pb_schema *s, const char *full)
{
    if (full == NULL || s->n_types == 0)
        return NULL;
    if (full[0] == '.')
        full++;
    pbs_type key = {.full = (char *)full};
    return bsearch(&key, s->types, s->n_types, sizeof key, cmp_type);
}

/* A field the encoder and decoder can handle: a type protobuf knows
 * (groups excepted), a label, and a resolving type name. */
static int check_field(const pb_schema *s, const char *msg, const pbs_field *f, char *err,
                       size_t errlen)
{
    const char *name = f->name != NULL ? f->name : "(unnamed)";
    if (f->has_type && f->type == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP) {
        /* call and describe both read this schema: say what a group is. */
        snprintf(err, errlen,
                 "%s.%s: a proto2 group, which ferry can neither call with nor describe", msg,
                 name);
        return -1;
    }
    if (!f->has_type || f->type < 1 || f->type > 18) {
        snprintf(err, errlen, "%s.%s: no field type, or an unknown one", msg, name);
        return -1;
    }
    if (f->name == NULL || !f->has_number || f->number < 1 || f->number > 536870911) {
        snprintf(err, errlen, "%s.%s: no name, or a field number out of range", msg, name);
        return -1;
    }
    int want_msg = f->type == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE;
    int want_enum = f->type == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM;
    if (want_msg || want_enum) {
        const pbs_type *t = pbs_find(s, f->type_name);
        if (t == NULL || (want_msg && t->msg == NULL) || (want_enum && t->en == NULL)) {
            snprintf(err, errlen, "%s.%s: its type '%.200s' is not in the schema", msg, name,
                     f->type_name != NULL ? f->type_name : "");
            return -1;
        }
    }
    return 0;
}

static int add_services(pb_schema *s, const pbs_file *f, char *err, size_t errlen)
{
    const char *pkg = f->package != NULL ? f->package : "";
    for (size_t i = 0; i < f->n_service; i++) {
        if (f->service[i]->name == NULL)
            continue;
        pbs_svc *grown = realloc(s->svcs, (s->n_svcs + 1) * sizeof *grown);
        char *full = join(pkg, f->service[i]->name);
        if (grown != NULL)
            s->svcs = grown;
        if (grown == NULL || full == NULL) {
            free(full);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->svcs[s->n_svcs++] = (pbs_svc){.full = full, .svc = f->service[i], .file = f};
    }
    return 0;
}

/* Two fields of one message must differ in number, name and JSON name
 * (the encoder finds fields by name, the decoder by number), and a
 * field's oneof must exist. */
static int check_unique(const char *msg, const pbs_msg *m, char *err, size_t errlen)
{
    char a[256], b[256];
    if (m->n_field > PBS_MAX_FIELDS) { /* the checks below are quadratic */
        snprintf(err, errlen, "%s: more than %d fields", msg, PBS_MAX_FIELDS);
        return -1;
    }
    for (size_t i = 0; i < m->n_field; i++) {
        const pbs_field *f = m->field[i];
        if (f->has_oneof_index &&
            (f->oneof_index < 0 || (size_t)f->oneof_index >= m->n_oneof_decl)) {
            snprintf(err, errlen, "%s.%s: its oneof is not declared", msg, f->name);
            return -1;
        }
        for (size_t k = 0; k < i; k++) {
            const pbs_field *g = m->field[k];
            const char *fj = pbs_json_name(f, a, sizeof a), *gj = pbs_json_name(g, b, sizeof b);
            if (f->number == g->number || strcmp(f->name, g->name) == 0 || strcmp(fj, gj) == 0 ||
                strcmp(fj, g->name) == 0 || strcmp(f->name, gj) == 0) {
                snprintf(err, errlen, "%s: fields %s and %s share a number or a name", msg, g->name,
                         f->name);
                return -1;
            }
        }
    }
    return 0;
}

int pbs_index(pb_schema *s, char *err, size_t errlen)
{
    size_t cap = 0;
    for (size_t i = 0; i < s->n_files; i++) {
        const pbs_file *f = s->files[i];
        const char *pkg = f->package != NULL ? f->package : "";
        if (add_enums(s, &cap, f, pkg, f->enum_type, f->n_enum_type) != 0 ||
            add_msgs(s, &cap, f, pkg, f->message_type, f->n_message_type, 0) != 0) {
            snprintf(err, errlen, "out of memory, or messages nested too deep");
            return -1;
        }
        if (add_services(s, f, err, errlen) != 0)
            return -1;
    }
    if (s->n_types > 0) /* qsort() and bsearch() want a real array */
        qsort(s->types, s->n_types, sizeof *s->types, cmp_type);
    for (size_t i = 1; i < s->n_types; i++) {
        if (strcmp(s->types[i - 1].full, s->types[i].full) == 0) {
            snprintf(err, errlen, "the type %.200s is declared twice", s->types[i].full);
            return -1;
        }
    }
    for (size_t i = 0; i < s->n_types; i++) {
        const pbs_msg *m = s->types[i].msg;
        for (size_t k = 0; m != NULL && k < m->n_field; k++)
            if (check_field(s, s->types[i].full, m->field[k], err, errlen) != 0)
                return -1;
        if (m != NULL && check_unique(s->types[i].full, m, err, errlen) != 0)
            return -1;
    }
    return 0;
}

const pbs_svc *pbs_service_find(const pb_schema *s, const char *full)
{
    for (size_t i = 0; i < s->n_svcs; i++)
        if (strcmp(s->svcs[i].full, full) == 0)
            return &s->svcs[i];
    return NULL;
}

const pbs_method *pbs_method_find(const pbs_svc *svc, const char *name)
{
    for (size_t i = 0; i < svc->svc->n_method; i++)
        if (svc->svc->method[i]->name != NULL && strcmp(svc->svc->method[i]->name, name) == 0)
            return svc->svc->method[i];
    return NULL;
}

/* ---- field facts -------------------------------------------------------- */

int pbs_proto3(const pbs_file *f)
{
    return f != NULL && f->syntax != NULL && strcmp(f->syntax, "proto3") == 0;
}

/* A type protobuf allows as a map's key: integral or string (not a float,
 * bytes, an enum or a message). */
static int map_key_type(int type)
{
    switch (type) {
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING:
        return 1;
    default:
        return 0;
    }
}

int pbs_is_map(const pb_schema *s, const pbs_field *f, const pbs_msg **entry)
{
    if (f->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED ||
        f->type != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE)
        return 0;
    const pbs_type *t = pbs_find(s, f->type_name);
    if (t == NULL || t->msg == NULL || t->msg->options == NULL || !t->msg->options->map_entry)
        return 0;
    /* An entry whose fields are not exactly key = 1 and value = 2, both
     * singular, with a key protobuf allows, is read as the plain repeated
     * message it claims to be. Singular matters beyond correctness: a
     * hostile value `repeated VEntry` (the entry itself) would otherwise be
     * a map of maps without end for every walk that follows key and value. */
    const pbs_msg *m = t->msg;
    if (m->n_field != 2 || m->field[0]->number != 1 || m->field[1]->number != 2 ||
        m->field[0]->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL ||
        m->field[1]->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL ||
        !map_key_type(m->field[0]->type))
        return 0;
    if (entry != NULL)
        *entry = m;
    return 1;
}

static int scalar_numeric(const pbs_field *f)
{
    switch (f->type) {
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BYTES:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP:
        return 0;
    default:
        return 1;
    }
}

int pbs_packed(const pbs_file *file, const pbs_field *f)
{
    if (f->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED ||
        !scalar_numeric(f))
        return 0;
    if (f->options != NULL && f->options->has_packed)
        return f->options->packed;
    return pbs_proto3(file);
}

const char *pbs_json_name(const pbs_field *f, char *buf, size_t len)
{
    if (f->json_name != NULL && f->json_name[0] != '\0')
        return f->json_name;
    size_t n = 0;
    int up = 0;
    for (const char *p = f->name; p != NULL && *p != '\0' && n + 1 < len; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        buf[n++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        up = 0;
    }
    if (len > 0)
        buf[n] = '\0';
    return buf;
}

/* ---- ferry's options ---------------------------------------------------- */

/* The extension 51000 of an options message, unpacked as `d`; protobuf-c
 * keeps a length-delimited unknown field with its length prefix. */
static ProtobufCMessage *ferry_ext(const ProtobufCMessage *opts,
                                   const ProtobufCMessageDescriptor *d)
{
    if (opts == NULL)
        return NULL;
    for (size_t i = opts->n_unknown_fields; i-- > 0;) {
        const ProtobufCMessageUnknownField *u = &opts->unknown_fields[i];
        if (u->tag != FERRY_EXT || u->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            continue;
        size_t k = 0;
        uint64_t len = 0;
        for (unsigned shift = 0; k < u->len && k < 10; shift += 7) {
            len |= (uint64_t)(u->data[k] & 0x7f) << shift;
            if ((u->data[k++] & 0x80) == 0)
                break;
        }
        if (len > u->len - k || !ferry_pb_depth_ok(d, u->data + k, (size_t)len))
            return NULL;
        return protobuf_c_message_unpack(d, NULL, (size_t)len, u->data + k);
    }
    return NULL;
}

Ferry__MethodOptions *pbs_ferry_method(const pbs_method *m)
{
    return (Ferry__MethodOptions *)ferry_ext(m->options != NULL ? &m->options->base : NULL,
                                             &ferry__method_options__descriptor);
}

Ferry__FieldOptions *pbs_ferry_field(const pbs_field *f)
{
    return (Ferry__FieldOptions *)ferry_ext(f->options != NULL ? &f->options->base : NULL,
                                            &ferry__field_options__descriptor);
}

Ferry__ServiceOptions *pbs_ferry_service(const pbs_svc *svc)
{
    return (Ferry__ServiceOptions *)ferry_ext(svc->svc->options != NULL ? &svc->svc->options->base
                                                                        : NULL,
                                              &ferry__service_options__descriptor);
}

Ferry__FileOptions *pbs_ferry_file(const pbs_file *f)
{
    return (Ferry__FileOptions *)ferry_ext(f->options != NULL ? &f->options->base : NULL,
                                           &ferry__file_options__descriptor);
}

uint32_t pbs_api_version(const pbs_svc *svc)
{
    uint32_t v = 0;
    Ferry__ServiceOptions *so = pbs_ferry_service(svc);
    if (so != NULL && so->has_api_version)
        v = so->api_version;
    protobuf_c_message_free_unpacked(so != NULL ? &so->base : NULL, NULL);
    if (v == 0) {
        Ferry__FileOptions *fo = pbs_ferry_file(svc->file);
        if (fo != NULL && fo->has_api_version)
            v = fo->api_version;
        protobuf_c_message_free_unpacked(fo != NULL ? &fo->base : NULL, NULL);
    }
    return v > 0 ? v : 1;
}
