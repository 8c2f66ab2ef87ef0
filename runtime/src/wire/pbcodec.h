/* pbcodec.h - the protobuf wire format at its smallest, for the frame
 * headers ferry packs and reads by hand (headers.c, identity_block.c): the
 * pieces that size, write and read one field, which the walks over a
 * message's table of fields (pbtable.h) are made of. Each piece writes or
 * reads exactly as protobuf-c 1.4 does, quirks included, so that the hand
 * codecs can stand in for it:
 *
 *  - a proto3 field is left out when it is zero, a string NULL or empty,
 *    bytes of length 0, a message NULL (protobuf-c's "zeroish"; for bytes
 *    it reads the length, the first member of ProtobufCBinaryData);
 *  - a varint is read from at most 10 bytes, and a number field keeps its
 *    low 32 or 64 bits; a length prefix from at most 5 bytes, at most
 *    INT_MAX, and what it covers must all be there;
 *  - a bool is true when any 7-bit group of its varint is not zero.
 *
 * Tags here are one byte: field numbers 1 to 15. Pure functions. */
#ifndef FERRYI_PBCODEC_H
#define FERRYI_PBCODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "ferry/wire.pb-c.h"

/* The one-byte tag of field `n` with wire type `wt` (0 varint, 2 bytes). */
#define FERRYI_PB_TAG(n, wt) ((uint8_t)((n) << 3 | (wt)))

/* ---- packing ------------------------------------------------------------ */

static inline size_t ferryi_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *ferryi_pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Bytes a length-delimited field (string, bytes, message) of `len` bytes
 * takes with its tag and length. */
static inline size_t ferryi_pb_len_size(size_t len)
{
    return 1 + ferryi_pb_varint_size(len) + len;
}

/* Writes the tag and length of a length-delimited field of `len` bytes at
 * `p`; returns where its bytes go. */
static inline uint8_t *ferryi_pb_put_len(uint8_t *p, uint8_t tag, size_t len)
{
    *p++ = tag;
    return ferryi_pb_put_varint(p, len);
}

/* Bytes a number, string or bytes field takes with its tag; 0 when left out. */
static inline size_t ferryi_pb_number_size(uint64_t v)
{
    return v == 0 ? 0 : 1 + ferryi_pb_varint_size(v);
}

static inline size_t ferryi_pb_string_size(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    return ferryi_pb_len_size(strlen(s));
}

static inline size_t ferryi_pb_bytes_size(const ProtobufCBinaryData *b)
{
    return b->len == 0 ? 0 : ferryi_pb_len_size(b->len);
}

/* Writes the field (when it is not left out) at `p`; returns the end. */
static inline uint8_t *ferryi_pb_put_number(uint8_t *p, uint8_t tag, uint64_t v)
{
    if (v == 0)
        return p;
    *p++ = tag;
    return ferryi_pb_put_varint(p, v);
}

static inline uint8_t *ferryi_pb_put_string(uint8_t *p, uint8_t tag, const char *s)
{
    if (s == NULL || s[0] == '\0')
        return p;
    size_t n = strlen(s);
    p = ferryi_pb_put_len(p, tag, n);
    memcpy(p, s, n);
    return p + n;
}

static inline uint8_t *ferryi_pb_put_bytes(uint8_t *p, uint8_t tag, const ProtobufCBinaryData *b)
{
    if (b->len == 0)
        return p;
    p = ferryi_pb_put_len(p, tag, b->len);
    memcpy(p, b->data, b->len);
    return p + b->len;
}

/* A message field's tag, length and bytes, packed by protobuf-c. */
size_t ferryi_pb_message_size(const ProtobufCMessage *m);
uint8_t *ferryi_pb_put_message(uint8_t *p, uint8_t tag, const ProtobufCMessage *m);

/* ---- reading ------------------------------------------------------------ */

/* The bytes still to read, and the allocator whatever is read is allocated
 * with (NULL: malloc, as protobuf-c's default, so that
 * protobuf_c_message_free_unpacked() frees it). */
typedef struct ferryi_pb_reader {
    const uint8_t *at, *end;
    ProtobufCAllocator *alloc;
} ferryi_pb_reader;

void *ferryi_pb_alloc(ProtobufCAllocator *alloc, size_t n);

/* Each reads one value at r->at and moves past it; 0 when the bytes are
 * not one (or memory ran out). */
int ferryi_pb_bool(ferryi_pb_reader *r, protobuf_c_boolean *out);
int ferryi_pb_string(ferryi_pb_reader *r, char **out);
int ferryi_pb_bytes(ferryi_pb_reader *r, ProtobufCBinaryData *out);

/* A varint and a length-prefixed span of any length; ferryi_pb_varint()
 * and ferryi_pb_span() below are these with the one-byte case, most of a
 * header's numbers and lengths, taken inline. */
int ferryi_pb_varint_any(ferryi_pb_reader *r, uint64_t *out);
int ferryi_pb_span_any(ferryi_pb_reader *r, const uint8_t **data, size_t *len);

static inline int ferryi_pb_varint(ferryi_pb_reader *r, uint64_t *out)
{
    if (r->at < r->end && *r->at < 0x80) {
        *out = *r->at++;
        return 1;
    }
    return ferryi_pb_varint_any(r, out);
}

static inline int ferryi_pb_span(ferryi_pb_reader *r, const uint8_t **data, size_t *len)
{
    /* a length below 128 that the bytes left after it cover */
    if (r->at < r->end && *r->at < 0x80 && (size_t)(r->end - r->at) > *r->at) {
        *len = *r->at++;
        *data = r->at;
        r->at += *len;
        return 1;
    }
    return ferryi_pb_span_any(r, data, len);
}

/* A uint32 field: the varint's low 32 bits, as protobuf-c reads them. */
static inline int ferryi_pb_u32(ferryi_pb_reader *r, uint32_t *out)
{
    uint64_t v;
    if (!ferryi_pb_varint(r, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* A copy of the `size` bytes at `src` in memory from `alloc`: a message's
 * struct set to its INIT value, or a repeated field's array of the
 * entries read; NULL when memory ran out. */
static inline void *ferryi_pb_dup(ProtobufCAllocator *alloc, const void *src, size_t size)
{
    void *p = ferryi_pb_alloc(alloc, size);
    if (p != NULL)
        memcpy(p, src, size);
    return p;
}

/* Starts reading a message field at `outer`: moves past it, points `inner`
 * at its bytes and returns its new struct, a copy of `init`. What every
 * reader of a sub-message does first; NULL when the length is not one or
 * memory ran out. */
static inline void *ferryi_pb_sub(ferryi_pb_reader *outer, ferryi_pb_reader *inner,
                                  const void *init, size_t size)
{
    size_t len;
    inner->alloc = outer->alloc;
    if (!ferryi_pb_span(outer, &inner->at, &len))
        return NULL;
    inner->end = inner->at + len;
    return ferryi_pb_dup(inner->alloc, init, size);
}

#endif
