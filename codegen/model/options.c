/* options.c - ferry's IDL options and protoc-c's naming options, read from
 * unknown fields and checked; the constructs ferry cannot generate.
 *
 * protobuf-c keeps an extension it does not know as an unknown field. For a
 * length-delimited field its `data` still starts with the varint length, so
 * the payload is found by reading that prefix first. */
#include <string.h>

#include <pbdepth.h>

#include "ferry/identity.h"
#include "ferry/options.pb-c.h"

#include "names.h"
#include "options.h"

size_t fcg_read_varint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* The payload of a length-delimited unknown field, or NULL. */
static const uint8_t *payload(const ProtobufCMessageUnknownField *uf, size_t *len)
{
    uint64_t n;
    size_t head = fcg_read_varint(uf->data, uf->len, &n);
    if (uf->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED || head == 0 || n != uf->len - head)
        return NULL;
    *len = (size_t)n;
    return uf->data + head;
}

int fcg_option_bytes(fcg_arena *a, const ProtobufCMessage *opts, uint32_t field,
                     const uint8_t **out, size_t *out_len, const char **why)
{
    *out = NULL;
    *out_len = 0;
    *why = NULL;
    if (opts == NULL)
        return 0;
    /* Concatenating encodings merges them, as protobuf does. */
    size_t total = 0;
    unsigned count = 0;
    for (unsigned i = 0; i < opts->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *uf = &opts->unknown_fields[i];
        if (uf->tag != field)
            continue;
        size_t len;
        if (payload(uf, &len) == NULL) {
            *why = uf->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED
                       ? "it is not encoded as a message"
                       : "its length prefix does not match its size";
            return -1;
        }
        total += len;
        count++;
    }
    if (count == 0)
        return 0;
    uint8_t *bytes = fcg_arena_alloc(a, total);
    if (bytes == NULL) {
        *why = "out of memory";
        return -1;
    }
    size_t at = 0;
    for (unsigned i = 0; i < opts->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *uf = &opts->unknown_fields[i];
        size_t len;
        const uint8_t *p = uf->tag == field ? payload(uf, &len) : NULL;
        if (p != NULL) {
            memcpy(bytes + at, p, len);
            at += len;
        }
    }
    *out = bytes;
    *out_len = total;
    return 0;
}

int fcg_option_unpack(fcg_arena *a, const ProtobufCMessage *opts, uint32_t field,
                      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                      const char **why)
{
    *out = NULL;
    const uint8_t *bytes;
    size_t total;
    if (fcg_option_bytes(a, opts, field, &bytes, &total, why) != 0)
        return -1;
    if (bytes == NULL)
        return 0;
    if (!ferry_pb_depth_ok(desc, bytes, total)) {
        *why = "its messages nest more than 100 levels deep"; /* FERRY_PB_DEPTH_MAX */
        return -1;
    }
    *out = protobuf_c_message_unpack(desc, &a->pb, total, bytes);
    if (*out == NULL) {
        *why = "its bytes do not parse";
        return -1;
    }
    return 0;
}

/* The api_version of a ferry.FileOptions or ferry.ServiceOptions message in
 * the extension of `opts`; `what` names the option in messages. */
static int64_t api_version(fcg_arena *a, const ProtobufCMessage *opts,
                           const ProtobufCMessageDescriptor *desc, const char *what,
                           int32_t options_field, const fcg_loc *loc, fcg_diag *d)
{
    const int32_t sub[] = {options_field, (int32_t)FCG_FERRY_OPTION_FIELD, 1};
    ProtobufCMessage *msg;
    const char *why;
    if (fcg_option_unpack(a, opts, FCG_FERRY_OPTION_FIELD, desc, &msg, &why) != 0) {
        fcg_error_at(d, loc, sub, 2, "option (%s) is malformed: %s", what, why);
        return -1;
    }
    if (msg == NULL)
        return 0;
    /* ferry.FileOptions and ferry.ServiceOptions share their layout. */
    const Ferry__ServiceOptions *so = (const Ferry__ServiceOptions *)msg;
    if (!so->has_api_version)
        return 0;
    if (so->api_version == 0) {
        fcg_error_at(d, loc, sub, 3, "(%s).api_version is 0; API versions start at 1", what);
        return -1;
    }
    return so->api_version;
}

int64_t fcg_file_api_version(fcg_arena *a, const Google__Protobuf__FileOptions *opts,
                             const fcg_loc *loc, fcg_diag *d)
{
    _Static_assert(sizeof(Ferry__FileOptions) == sizeof(Ferry__ServiceOptions),
                   "ferry.FileOptions and ferry.ServiceOptions must stay alike");
    return api_version(a, opts != NULL ? &opts->base : NULL, &ferry__file_options__descriptor,
                       "ferry.file", FCG_PATH_FILE_OPTIONS, loc, d);
}

int64_t fcg_service_api_version(fcg_arena *a, const Google__Protobuf__ServiceOptions *opts,
                                const fcg_loc *loc, fcg_diag *d)
{
    return api_version(a, opts != NULL ? &opts->base : NULL, &ferry__service_options__descriptor,
                       "ferry.service", FCG_PATH_SERVICE_OPTIONS, loc, d);
}

/* The sub-path of field `f` of (ferry.method), for error lines. */
#define OPT_PATH(f)                                                                                \
    (const int32_t[])                                                                              \
    {                                                                                              \
        FCG_PATH_METHOD_OPTIONS, (int32_t)FCG_FERRY_OPTION_FIELD, f                                \
    }

/* Fills idempotent / read_only from ferry's option, else from protobuf's
 * idempotency_level; reports a contradiction between the two. */
static int idempotency(const Google__Protobuf__MethodOptions *po, const Ferry__MethodOptions *fo,
                       const fcg_loc *loc, fcg_diag *d, fcg_method_opts *out)
{
    int pb_idem = 0, pb_ro = 0;
    if (po != NULL && po->has_idempotency_level) {
        pb_ro = po->idempotency_level ==
                GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__NO_SIDE_EFFECTS;
        pb_idem = pb_ro || po->idempotency_level ==
                               GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENT;
    }
    out->idempotent = fo != NULL && fo->has_idempotent ? fo->idempotent != 0 : pb_idem;
    out->read_only = fo != NULL && fo->has_read_only ? fo->read_only != 0 : pb_ro;
    int rc = 0;
    if (fo != NULL && fo->has_idempotent && pb_idem && !fo->idempotent) {
        fcg_error_at(d, loc, OPT_PATH(2), 3,
                     "(ferry.method).idempotent is false but idempotency_level says it is "
                     "idempotent");
        rc = -1;
    }
    if (fo != NULL && fo->has_read_only && pb_ro && !fo->read_only) {
        fcg_error_at(d, loc, OPT_PATH(9), 3,
                     "(ferry.method).read_only is false but idempotency_level is "
                     "NO_SIDE_EFFECTS");
        rc = -1;
    }
    return rc;
}

static int check_versions(const Ferry__MethodOptions *fo, uint32_t api_version, const fcg_loc *loc,
                          fcg_diag *d, fcg_method_opts *out)
{
    int rc = 0;
    if (out->since == 0) {
        fcg_error_at(d, loc, OPT_PATH(1), 3, "(ferry.method).since is 0; API versions start at 1");
        rc = -1;
    } else if (out->since > api_version) {
        fcg_error_at(d, loc, OPT_PATH(1), 3,
                     "(ferry.method).since is %u, newer than the service's API version %u; "
                     "raise the API version with option (ferry.service) or (ferry.file)",
                     out->since, api_version);
        rc = -1;
    }
    if (fo == NULL || !fo->has_deprecated_since || out->deprecated_since == 0)
        return rc;
    if (!out->deprecated) {
        fcg_error_at(d, loc, OPT_PATH(8), 3,
                     "(ferry.method).deprecated_since is set but the method lacks "
                     "`option deprecated = true;`");
        rc = -1;
    }
    if (out->deprecated_since > api_version) {
        fcg_error_at(d, loc, OPT_PATH(8), 3,
                     "(ferry.method).deprecated_since is %u, newer than the service's API "
                     "version %u",
                     out->deprecated_since, api_version);
        rc = -1;
    } else if (out->since != 0 && out->deprecated_since < out->since) {
        fcg_error_at(d, loc, OPT_PATH(8), 3,
                     "(ferry.method).deprecated_since %u is before since %u", out->deprecated_since,
                     out->since);
        rc = -1;
    }
    return rc;
}

static int check_fallback(const fcg_loc *loc, fcg_diag *d, const fcg_method_opts *out)
{
    switch (out->fallback) {
    case FERRY__FALLBACK__FALLBACK_NONE:
    case FERRY__FALLBACK__FALLBACK_EMPTY:
    case FERRY__FALLBACK__FALLBACK_CALLBACK:
        if (out->fallback_default == NULL)
            return 0;
        fcg_error_at(d, loc, OPT_PATH(5), 3,
                     "(ferry.method).fallback_default is set but fallback is not "
                     "FALLBACK_DEFAULT");
        return -1;
    case FERRY__FALLBACK__FALLBACK_DEFAULT:
        if (out->fallback_default != NULL)
            return 0;
        fcg_error_at(d, loc, OPT_PATH(4), 3,
                     "fallback FALLBACK_DEFAULT needs (ferry.method).fallback_default, the "
                     "response in protobuf text format");
        return -1;
    default:
        fcg_error_at(d, loc, OPT_PATH(4), 3, "(ferry.method).fallback has the unknown value %d",
                     out->fallback);
        return -1;
    }
}

/* Roles are checked against the caller's, which come from a keyring line
 * (ferry/identity.h): a role a keyring cannot grant, or more roles than one
 * caller can hold (the caller needs every one), would refuse every call. */
static int check_roles(const fcg_loc *loc, fcg_diag *d, const fcg_method_opts *out)
{
    int rc = 0;
    if (out->n_roles > FERRY_ROLES_MAX) {
        fcg_error_at(d, loc, OPT_PATH(6), 3,
                     "(ferry.method).roles lists %zu roles, but a caller needs every one and a "
                     "keyring gives a key at most %d",
                     out->n_roles, FERRY_ROLES_MAX);
        rc = -1;
    }
    for (size_t i = 0; i < out->n_roles; i++) {
        if (out->roles[i][0] == '\0') {
            fcg_error_at(d, loc, OPT_PATH(6), 3, "(ferry.method).roles[%zu] is empty", i);
            rc = -1;
            continue;
        }
        if (!fcg_is_key_name(out->roles[i], strlen(out->roles[i]))) {
            fcg_error_at(d, loc, OPT_PATH(6), 3,
                         "(ferry.method).roles[%zu] \"%.80s\" is not a role a keyring can give: "
                         "a role is 1 to %d characters of A-Z a-z 0-9 . _ - (as in keyring lines "
                         "and ferry keygen --roles)",
                         i, out->roles[i], FERRY_NAME_MAX);
            rc = -1;
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(out->roles[k], out->roles[i]) == 0) {
                fcg_error_at(d, loc, OPT_PATH(6), 3, "(ferry.method).roles lists \"%s\" twice",
                             out->roles[i]);
                rc = -1;
                break;
            }
        }
    }
    return rc;
}

int fcg_method_options(fcg_arena *a, const Google__Protobuf__MethodDescriptorProto *md,
                       uint32_t api_version, const fcg_loc *loc, fcg_diag *d, fcg_method_opts *out)
{
    memset(out, 0, sizeof *out);
    const Google__Protobuf__MethodOptions *po = md->options;
    ProtobufCMessage *msg;
    const char *why;
    if (fcg_option_unpack(a, po != NULL ? &po->base : NULL, FCG_FERRY_OPTION_FIELD,
                          &ferry__method_options__descriptor, &msg, &why) != 0) {
        fcg_error_at(d, loc, OPT_PATH(0), 2, "option (ferry.method) is malformed: %s", why);
        return -1;
    }
    const Ferry__MethodOptions *fo = (const Ferry__MethodOptions *)msg;

    out->deprecated = po != NULL && po->has_deprecated && po->deprecated;
    out->since = fo != NULL && fo->has_since ? fo->since : 1;
    if (fo != NULL) {
        out->deprecated_since = fo->has_deprecated_since ? fo->deprecated_since : 0;
        out->deadline_ms = fo->has_deadline_ms ? fo->deadline_ms : 0;
        out->fallback = fo->has_fallback ? (int)fo->fallback : 0;
        out->fallback_default = fo->fallback_default;
        out->roles = fo->roles;
        out->n_roles = fo->n_roles;
        out->id = fo->has_id ? fo->id : 0;
    }
    int rc = idempotency(po, fo, loc, d, out);
    if (check_versions(fo, api_version, loc, d, out) != 0)
        rc = -1;
    if (check_fallback(loc, d, out) != 0)
        rc = -1;
    if (check_roles(loc, d, out) != 0)
        rc = -1;
    return rc;
}

/* ---- what ferry cannot generate ---------------------------------------- */

int fcg_check_streaming(const Google__Protobuf__MethodDescriptorProto *md, const fcg_loc *loc,
                        fcg_diag *d)
{
    const int client = md->has_client_streaming && md->client_streaming;
    const int server = md->has_server_streaming && md->server_streaming;
    if (!client && !server)
        return 0;
    const int32_t sub[] = {client ? FCG_PATH_METHOD_CLIENT_STREAMING
                                  : FCG_PATH_METHOD_SERVER_STREAMING};
    fcg_error_at(d, loc, sub, 1, "%s streaming is not supported by ferry",
                 client && server ? "bidirectional"
                 : client         ? "client"
                                  : "server");
    return -1;
}

/* SourceCodeInfo path components and the nesting the walk follows (protoc
 * stops far earlier; the descriptor may be untrusted). */
enum { PATH_FILE_MESSAGE = 4, PATH_MSG_FIELD = 2, PATH_MSG_NESTED = 3, MAX_NESTING = 100 };

static int optional_fields(fcg_arena *a, const Google__Protobuf__FileDescriptorProto *f,
                           Google__Protobuf__DescriptorProto *const *msgs, size_t n,
                           const char *scope, int32_t *path, size_t depth, fcg_diag *d)
{
    int rc = 0;
    for (size_t i = 0; i < n && depth < MAX_NESTING; i++) {
        const Google__Protobuf__DescriptorProto *m = msgs[i];
        if (m == NULL || m->name == NULL)
            continue;
        const char *name = scope[0] ? fcg_arena_printf(a, "%s.%s", scope, m->name) : m->name;
        if (name == NULL)
            return -1;
        size_t at = 2 * depth;
        path[at] = depth == 0 ? PATH_FILE_MESSAGE : PATH_MSG_NESTED;
        path[at + 1] = (int32_t)i;
        for (size_t k = 0; k < m->n_field; k++) {
            const Google__Protobuf__FieldDescriptorProto *fd = m->field[k];
            if (fd == NULL || !fd->has_proto3_optional || !fd->proto3_optional)
                continue;
            path[at + 2] = PATH_MSG_FIELD;
            path[at + 3] = (int32_t)k;
            fcg_where w = {.file = f->name, .line = fcg_src_line(f, path, at + 4)};
            fcg_error(d, &w,
                      "message %s, field %s: proto3 `optional` is not supported: protobuf-c "
                      "1.4, which generates ferry's messages, cannot generate it; drop "
                      "`optional`, or put the field in a oneof of its own to know whether it "
                      "was set",
                      name, fd->name != NULL ? fd->name : "?");
            rc = -1;
        }
        if (optional_fields(a, f, m->nested_type, m->n_nested_type, name, path, depth + 1, d) != 0)
            rc = -1;
    }
    return rc;
}

int fcg_check_proto3_optional(fcg_arena *a, const Google__Protobuf__FileDescriptorProto *f,
                              fcg_diag *d)
{
    int32_t path[2 * MAX_NESTING + 4];
    return optional_fields(a, f, f->message_type, f->n_message_type,
                           f->package != NULL ? f->package : "", path, 0, d);
}
