/* rawcall.c - a call of wire bytes through the channel API (rawcall.h). */
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "rawcall.h"

static void raw_init(ProtobufCMessage *m);

/* A message without fields: every field it meets is unknown. */
static const ProtobufCMessageDescriptor raw_desc = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "ferry.cli.Raw",
    .short_name = "Raw",
    .c_name = "Ferry__Cli__Raw",
    .package_name = "ferry.cli",
    .sizeof_message = sizeof(ProtobufCMessage),
    .n_fields = 0,
    .message_init = raw_init,
};

/* protobuf-c may call it on memory not yet written: it reads nothing. */
static void raw_init(ProtobufCMessage *m)
{
    memset(m, 0, sizeof *m);
    m->descriptor = &raw_desc;
}

void rawcall_method_init(rawcall_method *rm, const char *service, const char *name,
                         const char *full, uint32_t api_version, const Ferry__MethodOptions *opts)
{
    memset(rm, 0, sizeof *rm);
    const char *dot = strrchr(service, '.');
    rm->svc = (ferry_service_desc){
        .name = dot != NULL ? dot + 1 : service,
        .full_name = service,
        .package = "",
        .source = "",
        .api_version = api_version,
        .n_methods = 1,
        .methods = &rm->m,
    };
    rm->m = (ferry_method){
        .service = &rm->svc,
        .name = name,
        .full_name = full,
        .input = &raw_desc,
        .output = &raw_desc,
        .opts = {.since = 1},
    };
    if (opts == NULL)
        return;
    /* What the client acts on: retries for idempotent methods, the IDL's
     * deadline, the stable id. Roles are the server's to check. */
    rm->m.opts.since = opts->has_since && opts->since > 0 ? opts->since : 1;
    rm->m.opts.idempotent = opts->has_idempotent && opts->idempotent;
    rm->m.opts.read_only = opts->has_read_only && opts->read_only;
    rm->m.opts.deadline_ms = opts->has_deadline_ms ? opts->deadline_ms : 0;
    rm->m.opts.id = opts->has_id ? opts->id : 0;
}

/* The request's top-level fields as unknown fields pointing into `req`;
 * protobuf-c keeps a length-delimited one's length prefix in its data. */
static int split(const uint8_t *req, size_t len, ProtobufCMessageUnknownField **out, size_t *n)
{
    size_t cap = 0, pos = 0;
    *out = NULL;
    *n = 0;
    while (pos < len) {
        uint64_t tag, v;
        if (pb_read_varint(req, len, &pos, &tag) != 0)
            return -1;
        size_t start = pos;
        int wt = (int)(tag & 7);
        if (wt == 0 && pb_read_varint(req, len, &pos, &v) != 0)
            return -1;
        if (wt == 1 || wt == 5) {
            size_t k = wt == 1 ? 8 : 4;
            if (len - pos < k)
                return -1;
            pos += k;
        }
        if (wt == 2 && (pb_read_varint(req, len, &pos, &v) != 0 || v > len - pos))
            return -1;
        if (wt == 2)
            pos += (size_t)v;
        if (wt != 0 && wt != 1 && wt != 2 && wt != 5)
            return -1;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            ProtobufCMessageUnknownField *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL)
                return -1;
            *out = grown;
        }
        (*out)[(*n)++] = (ProtobufCMessageUnknownField){
            .tag = (uint32_t)(tag >> 3),
            .wire_type = (ProtobufCWireType)wt,
            .len = pos - start,
            .data = (uint8_t *)(req + start),
        };
    }
    return 0;
}

/* The reply's bytes back from its unknown fields, in the order they came. */
static int join(const ProtobufCMessage *resp, uint8_t **reply, size_t *reply_len)
{
    pbbuf b = {0};
    for (unsigned i = 0; i < resp->n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &resp->unknown_fields[i];
        pbbuf_varint(&b, ((uint64_t)u->tag << 3) | (uint64_t)u->wire_type);
        pbbuf_put(&b, u->data, u->len);
    }
    if (b.failed) {
        pbbuf_fini(&b);
        return -1;
    }
    *reply = b.data;
    *reply_len = b.len;
    return 0;
}

ferry_status rawcall(ferry_channel *ch, const rawcall_method *rm, const uint8_t *req, size_t len,
                     uint8_t **reply, size_t *reply_len, const ferry_call_opts *opts)
{
    *reply = NULL;
    *reply_len = 0;
    ProtobufCMessage msg;
    raw_init(&msg);
    size_t n = 0;
    if (split(req, len, &msg.unknown_fields, &n) != 0) {
        free(msg.unknown_fields);
        return FERRY_INVALID_ARGUMENT;
    }
    msg.n_unknown_fields = (unsigned)n;
    ProtobufCMessage *resp = NULL;
    ferry_status st = ferry_channel_call(ch, &rm->m, &msg, &resp, opts);
    free(msg.unknown_fields);
    if (st == FERRY_OK && resp != NULL && join(resp, reply, reply_len) != 0)
        st = FERRY_RESOURCE_EXHAUSTED;
    ferry_message_free(resp);
    return st;
}
