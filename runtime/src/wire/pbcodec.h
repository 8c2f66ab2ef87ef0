/* pbcodec.h - the protobuf wire format at its smallest, for the frame
 * headers ferry packs and reads by hand (request_header.c,
 * reply_header.c, identity_block.c). Each piece writes or reads exactly as
 * protobuf-c 1.4 does, quirks included, so that the hand codecs can stand
 * in for it:
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

/* Whether a string field of the message in data[0..len) holds a NUL byte:
 * a field whose number is a bit of `strings` (numbers 1 to 31), or one of
 * `inner_strings` in the message a field of `inner` holds. Reads what is
 * well formed and stops at the first thing that is not (the decoder judges
 * that). Decoded strings are C strings, so a NUL would end them early, and
 * what follows would be read by no check and covered by no proof. */
int ferryi_pb_strings_hold_nul(const uint8_t *data, size_t len, uint32_t strings, uint32_t inner,
                               uint32_t inner_strings);

/* A uint32 field: the varint's low 32 bits, as protobuf-c reads them. */
static inline int ferryi_pb_u32(ferryi_pb_reader *r, uint32_t *out)
{
    uint64_t v;
    if (!ferryi_pb_varint(r, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Reads a message's fields at `r` to its end, the loop the hand readers
 * share: tags of one byte for fields 1 to `last`, each at most once unless
 * its bit is set in `repeated`, each value read by `get`, which knows the
 * message's fields and returns 0 for anything it leaves to protobuf-c. 0 at
 * the first tag or value refused. */
static inline int ferryi_pb_fields(ferryi_pb_reader *r, unsigned last, unsigned repeated,
                                   int (*get)(ferryi_pb_reader *r, uint8_t tag, void *into),
                                   void *into)
{
    unsigned seen = 0;
    while (r->at < r->end) {
        uint8_t tag = *r->at++;
        unsigned field = tag >> 3;
        if ((tag & 0x80) != 0 || field == 0 || field > last ||
            (seen & ~repeated & 1u << field) != 0)
            return 0;
        seen |= 1u << field;
        if (!get(r, tag, into))
            return 0;
    }
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

/* Reads a message field at `outer` whose fields 1 to `last` each come at
 * most once (a metadata entry, a violation): a copy of `init` (`size`
 * bytes, the message's INIT value) with each field read by `get`, as
 * ferryi_pb_fields() reads them. NULL when anything in it is refused (or
 * memory ran out), with nothing left allocated. */
ProtobufCMessage *ferryi_pb_message(ferryi_pb_reader *outer, const void *init, size_t size,
                                    unsigned last,
                                    int (*get)(ferryi_pb_reader *r, uint8_t tag, void *into));

/* A header with more entries in its repeated message field than this is
 * left to protobuf-c, like anything unusual. */
#define FERRYI_PB_ENTRIES_MAX 64

/* A header while ferryi_pb_header() reads it: the header, and the entries
 * of its one repeated message field (the request's metadata, the reply's
 * violations) until the header is whole. */
typedef struct ferryi_pb_reading {
    void *h;
    ProtobufCMessage *entry[FERRYI_PB_ENTRIES_MAX];
    size_t n_entries;
} ferryi_pb_reading;

/* Reads one more entry of the repeated field into `rd`, as
 * ferryi_pb_message() reads it; 0 when there is no room or it is refused.
 * Not inline, unlike the rest of a header's reading: entries are rare, and
 * inlined they would keep each header's `get` from being inlined. */
int ferryi_pb_header_entry(ferryi_pb_reader *r, ferryi_pb_reading *rd, const void *init,
                           size_t size, unsigned last,
                           int (*get)(ferryi_pb_reader *r, uint8_t tag, void *into));

/* What reading a header needs to know of it besides how to read its
 * fields (its `get`): one for each header, so that both are read by the
 * same code. */
typedef struct ferryi_pb_header_form {
    /* its INIT value, `size` bytes */
    const void *init;
    size_t size;
    /* as ferryi_pb_fields() takes them; `repeated` is the bit of its one
     * repeated message field (the request's metadata, the reply's violations) */
    unsigned last, repeated;
    /* where the header keeps that field's count and array */
    size_t n_entries_at, entries_at;
    /* its string fields, and those of the repeated field's messages, as
     * ferryi_pb_strings_hold_nul() takes them */
    uint32_t strings, entry_strings;
    /* protobuf-c's, which reads what ferry's reader leaves */
    const ProtobufCMessageDescriptor *descriptor;
} ferryi_pb_header_form;

/* Reads the header `f` describes from the `len` bytes at `data`: a copy of
 * its INIT value with its fields read by `get` (handed a ferryi_pb_reading),
 * as ferryi_pb_fields() reads them, the repeated field's entries with
 * ferryi_pb_header_entry() and set as the header's array. NULL when anything
 * is refused (or memory ran out), with nothing left allocated: a header
 * ferry's peers do not write, left to protobuf-c. Inline, as the loop it
 * runs, so that each header's `get` is inlined: always, as the compiler
 * would not for a form it reads through a pointer. */
static inline __attribute__((always_inline)) void *
ferryi_pb_header(const ferryi_pb_header_form *f,
                 int (*get)(ferryi_pb_reader *r, uint8_t tag, void *into),
                 ProtobufCAllocator *alloc, size_t len, const uint8_t *data)
{
    ferryi_pb_reader r = {.at = data, .end = data + len, .alloc = alloc};
    ferryi_pb_reading rd; /* not initialised as a whole: entry[] is written as it fills */
    rd.n_entries = 0;
    rd.h = ferryi_pb_dup(alloc, f->init, f->size);
    if (rd.h == NULL)
        return NULL;
    int ok = ferryi_pb_fields(&r, f->last, f->repeated, get, &rd);
    /* The INIT value has no entries: only a header with some gets their
     * array and count, where the form says it keeps them. */
    if (ok && rd.n_entries > 0) {
        void *entries = ferryi_pb_dup(alloc, rd.entry, rd.n_entries * sizeof rd.entry[0]);
        ok = entries != NULL;
        if (ok) {
            memcpy((char *)rd.h + f->n_entries_at, &rd.n_entries, sizeof rd.n_entries);
            memcpy((char *)rd.h + f->entries_at, &entries, sizeof entries);
        }
    }
    if (!ok) {
        for (size_t i = 0; i < rd.n_entries; i++)
            protobuf_c_message_free_unpacked(rd.entry[i], alloc);
        protobuf_c_message_free_unpacked(rd.h, alloc);
        return NULL;
    }
    return rd.h;
}

/* Whether one of the string fields of the header `f` describes, in the
 * `len` bytes at `data`, holds a NUL byte (headers.h says why that
 * matters). */
static inline int ferryi_pb_header_holds_nul(const ferryi_pb_header_form *f, const uint8_t *data,
                                             size_t len)
{
    return ferryi_pb_strings_hold_nul(data, len, f->strings, f->repeated, f->entry_strings);
}

/* A header that ferryi_pb_header() left, read by protobuf-c; when
 * `holds_nul` is not NULL, only if no string field holds a NUL byte (else
 * NULL, with *holds_nul set). Not inline: ferry's peers rarely get here. */
void *ferryi_pb_header_left(const ferryi_pb_header_form *f, ProtobufCAllocator *alloc, size_t len,
                            const uint8_t *data, int *holds_nul);

/* What the _unpack() and _unpack_strict() functions of headers.h return
 * for the header `f` describes, given `h`, what ferryi_pb_header() made of
 * the bytes: `h`, or when it left them, protobuf-c's reading. A strict
 * reading (`holds_nul` not NULL) refuses a header with a NUL byte in a
 * string field; ferry's reader refuses those itself, so only what it
 * leaves is read a second time for the check. */
static inline void *ferryi_pb_header_fallback(const ferryi_pb_header_form *f, void *h,
                                              ProtobufCAllocator *alloc, size_t len,
                                              const uint8_t *data, int *holds_nul)
{
    if (holds_nul != NULL)
        *holds_nul = 0;
    return h != NULL ? h : ferryi_pb_header_left(f, alloc, len, data, holds_nul);
}

#endif
