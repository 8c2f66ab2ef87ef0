/* pbcodec.c - the protobuf wire format at its smallest (pbcodec.h). */
#include <stdlib.h>

#include "wire/pbcodec.h"

size_t ferryi_pb_message_size(const ProtobufCMessage *m)
{
    if (m == NULL)
        return 0;
    size_t n = protobuf_c_message_get_packed_size(m);
    return 1 + ferryi_pb_varint_size(n) + n;
}

uint8_t *ferryi_pb_put_message(uint8_t *p, uint8_t tag, const ProtobufCMessage *m)
{
    if (m == NULL)
        return p;
    *p++ = tag;
    p = ferryi_pb_put_varint(p, protobuf_c_message_get_packed_size(m));
    return p + protobuf_c_message_pack(m, p);
}

void *ferryi_pb_alloc(ProtobufCAllocator *alloc, size_t n)
{
    return alloc != NULL ? alloc->alloc(alloc->allocator_data, n) : malloc(n);
}

/* A varint's length in bytes (at most `max`), 0 when it does not end
 * within them or within the bytes left. */
static size_t varint_len(const ferryi_pb_reader *r, size_t max)
{
    for (size_t i = 0; i < max && r->at + i < r->end; i++)
        if ((r->at[i] & 0x80) == 0)
            return i + 1;
    return 0;
}

int ferryi_pb_varint(ferryi_pb_reader *r, uint64_t *out)
{
    size_t n = varint_len(r, 10);
    if (n == 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(r->at[i] & 0x7f) << (7 * i);
    r->at += n;
    *out = v;
    return 1;
}

int ferryi_pb_bool(ferryi_pb_reader *r, protobuf_c_boolean *out)
{
    size_t n = varint_len(r, 10);
    if (n == 0)
        return 0;
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= r->at[i] & 0x7f;
    r->at += n;
    *out = any != 0;
    return 1;
}

int ferryi_pb_span(ferryi_pb_reader *r, const uint8_t **data, size_t *len)
{
    size_t n = varint_len(r, 5);
    if (n == 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(r->at[i] & 0x7f) << (7 * i);
    const uint8_t *start = r->at + n;
    if (v > 0x7fffffff || v > (uint64_t)(r->end - start))
        return 0;
    *data = start;
    *len = (size_t)v;
    r->at = start + v;
    return 1;
}

int ferryi_pb_string(ferryi_pb_reader *r, char **out)
{
    const uint8_t *data;
    size_t len;
    if (!ferryi_pb_span(r, &data, &len))
        return 0;
    char *s = ferryi_pb_alloc(r->alloc, len + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, len);
    s[len] = '\0';
    *out = s;
    return 1;
}

int ferryi_pb_bytes(ferryi_pb_reader *r, ProtobufCBinaryData *out)
{
    const uint8_t *data;
    size_t len;
    if (!ferryi_pb_span(r, &data, &len))
        return 0;
    out->len = len;
    out->data = NULL; /* as protobuf-c: no bytes, no block */
    if (len > 0) {
        if ((out->data = ferryi_pb_alloc(r->alloc, len)) == NULL)
            return 0;
        memcpy(out->data, data, len);
    }
    return 1;
}
