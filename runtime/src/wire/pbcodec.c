/* pbcodec.c - the protobuf wire format at its smallest (pbcodec.h). */
#include <stdlib.h>
#include <string.h>

#include "wire/pbcodec.h"

size_t ferryi_pb_message_size(const ProtobufCMessage *m)
{
    if (m == NULL)
        return 0;
    return ferryi_pb_len_size(protobuf_c_message_get_packed_size(m));
}

uint8_t *ferryi_pb_put_message(uint8_t *p, uint8_t tag, const ProtobufCMessage *m)
{
    if (m == NULL)
        return p;
    p = ferryi_pb_put_len(p, tag, protobuf_c_message_get_packed_size(m));
    return p + protobuf_c_message_pack(m, p);
}

void *ferryi_pb_alloc(ProtobufCAllocator *alloc, size_t n)
{
    return alloc != NULL ? alloc->alloc(alloc->allocator_data, n) : malloc(n);
}

/* Reads a varint of at most `max` bytes at r->at, as protobuf-c scans one:
 * its value's low 64 bits in *v and whether any 7-bit group is set in
 * *any (a bool's truth); moves past it. 0 when it does not end within
 * `max` bytes or within the bytes left. Inlined into each reader, so that
 * each gets its own loop for its `max` and without what it does not use. */
static inline __attribute__((always_inline)) int scan(ferryi_pb_reader *r, size_t max, uint64_t *v,
                                                      int *any)
{
    uint64_t value = 0;
    int set = 0;
    for (size_t i = 0; i < max && r->at + i < r->end; i++) {
        uint8_t group = r->at[i] & 0x7f;
        if (i < 10)
            value |= (uint64_t)group << (7 * i);
        set |= group;
        if ((r->at[i] & 0x80) == 0) {
            r->at += i + 1;
            *v = value;
            *any = set != 0;
            return 1;
        }
    }
    return 0;
}

int ferryi_pb_varint_any(ferryi_pb_reader *r, uint64_t *out)
{
    int any;
    return scan(r, 10, out, &any);
}

int ferryi_pb_bool(ferryi_pb_reader *r, protobuf_c_boolean *out)
{
    uint64_t v;
    int any;
    if (!scan(r, 10, &v, &any))
        return 0;
    *out = any;
    return 1;
}

int ferryi_pb_span_any(ferryi_pb_reader *r, const uint8_t **data, size_t *len)
{
    const uint8_t *at = r->at;
    uint64_t v;
    int any;
    if (!scan(r, 5, &v, &any))
        return 0;
    if (v > 0x7fffffff || v > (uint64_t)(r->end - r->at)) {
        r->at = at;
        return 0;
    }
    *data = r->at;
    *len = (size_t)v;
    r->at += v;
    return 1;
}

int ferryi_pb_string(ferryi_pb_reader *r, char **out)
{
    const uint8_t *data;
    size_t len;
    if (!ferryi_pb_span(r, &data, &len))
        return 0;
    /* A NUL would end the C string early: left to the caller's check
     * (ferryi_pb_strings_hold_nul) on the way through protobuf-c. */
    if (memchr(data, 0, len) != NULL)
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
