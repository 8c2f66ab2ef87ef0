/* pbtable.h - protobuf messages described as tables of their fields
 * (ferryi_pb_table: number, kind, where the value lives), for the frame
 * headers ferry packs and reads by hand (headers.c, identity_block.c):
 * the walks below size, write and read any message from its table, out of
 * pbcodec.h's pieces, always inline, so that a table the compiler sees
 * compiles to the code one would write for its message; above them a
 * header's size, bytes and reading, and what is left to protobuf-c
 * (pbtable.c). Pure functions. */
#ifndef FERRYI_PBTABLE_H
#define FERRYI_PBTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "ferry/wire.pb-c.h"
#include "wire/identity_block.h"
#include "wire/pbcodec.h"

/* ---- messages as tables ------------------------------------------------- */

/* What a field holds, which says how it is sized, written and read. */
typedef enum ferryi_pb_kind {
    FERRYI_PB_NONE,   /* no field has the number (a gap in a table) */
    FERRYI_PB_U32,    /* uint32_t: a varint; its low 32 bits read */
    FERRYI_PB_U64,    /* uint64_t: a varint */
    FERRYI_PB_ENUM,   /* an enum, an int32 on the wire: a negative one written in
                       * ten bytes (its 64-bit two's complement), the varint's
                       * low 32 bits read */
    FERRYI_PB_BOOL,   /* protobuf_c_boolean: a true one written as the one byte
                       * 1, read true when any 7-bit group is set */
    FERRYI_PB_STRING, /* char *: NULL and "" left out; one holding a NUL byte is
                       * not read (ferryi_pb_string) */
    FERRYI_PB_BYTES,  /* ProtobufCBinaryData */
    /* Ferry__Wire__Identity *: the identity block, packed and read by
     * identity_block.h's functions (the same walks over its own table) */
    FERRYI_PB_IDENTITY,
    /* the message's one repeated message field, whose messages the table's
     * `entries` describes; `at` is where its array is, right after its
     * count (a size_t), as protobuf-c lays out every repeated field */
    FERRYI_PB_ENTRIES,
} ferryi_pb_kind;

/* The wire type of a kind's values: 0 varint, 2 length-delimited. */
#define FERRYI_PB_WIRE_TYPE(kind) ((kind) >= FERRYI_PB_STRING ? 2 : 0)

/* One field of a message: its tag, what it holds, and where in the
 * message's struct. */
typedef struct ferryi_pb_field {
    uint8_t tag;
    uint8_t kind; /* a ferryi_pb_kind */
    uint16_t at;  /* offsetof() the member */
} ferryi_pb_field;

/* The entry of a table's fields for field `number` (1 to 15) of a message
 * of type `type`, whose member `member` holds a value of `kind`: at index
 * number - 1, as a table is indexed by field number, which is also the
 * order protobuf-c writes fields in (its descriptors list them by
 * number). */
#define FERRYI_PB_FIELD(type, number, kind, member)                                                \
    [(number)-1] = {FERRYI_PB_TAG(number, FERRYI_PB_WIRE_TYPE(kind)), kind, offsetof(type, member)}

/* A message ferry packs and reads by hand, described once: the walks below
 * take all they need from it. */
typedef struct ferryi_pb_table {
    /* field number n at fields[n - 1], so in the order protobuf-c writes
     * them; numbers no field has are FERRYI_PB_NONE */
    const ferryi_pb_field *fields;
    unsigned n_fields; /* the highest field number, at most 15 */
    /* its INIT value, `size` bytes, which names its protobuf-c descriptor
     * (protobuf-c reads what ferry's reader leaves) */
    const ProtobufCMessage *init;
    size_t size;
    /* the messages of its FERRYI_PB_ENTRIES field, when it has one */
    const struct ferryi_pb_table *entries;
} ferryi_pb_table;

/* How many entries the array `fields` has: its highest field number. A
 * message with a field numbered past 15 fails to build here, as its tags
 * would not be one byte. */
#define FERRYI_PB_N_FIELDS(fields)                                                                 \
    (sizeof fields / sizeof fields[0] +                                                            \
     0 * sizeof(char[sizeof fields / sizeof fields[0] <= 15 ? 1 : -1]))

/* The table of a message of type `type`: its fields (an array of
 * FERRYI_PB_FIELD()s), its INIT value (the generated FOO__INIT) and the
 * table of its repeated field's messages (or NULL). */
#define FERRYI_PB_TABLE(fields, type, init, entries)                                               \
    {                                                                                              \
        fields, FERRYI_PB_N_FIELDS(fields), &((const type)init).base, sizeof(type), entries        \
    }

/* The count and entry `i` of the repeated field `f` of the message at `m`. */
static inline size_t ferryi_pb_count(const void *m, const ferryi_pb_field *f)
{
    size_t n;
    memcpy(&n, (const char *)m + f->at - sizeof n, sizeof n);
    return n;
}

static inline const ProtobufCMessage *ferryi_pb_entry(const void *m, const ferryi_pb_field *f,
                                                      size_t i)
{
    const ProtobufCMessage *const *array;
    memcpy(&array, (const char *)m + f->at, sizeof array);
    return array[i];
}

/* Whether field `f` is a varint: a number, an enum or a bool. */
static inline int ferryi_pb_is_number(const ferryi_pb_field *f)
{
    return f->kind >= FERRYI_PB_U32 && f->kind <= FERRYI_PB_BOOL;
}

/* The number such a field holds at `v`, as protobuf-c writes it. */
static inline uint64_t ferryi_pb_number(const ferryi_pb_field *f, const void *v)
{
    if (f->kind == FERRYI_PB_U32)
        return *(const uint32_t *)v;
    if (f->kind == FERRYI_PB_U64)
        return *(const uint64_t *)v;
    /* an enum is an int32 on the wire: protobuf-c writes a negative one as
     * its 64-bit two's complement, in ten bytes */
    if (f->kind == FERRYI_PB_ENUM)
        return (uint64_t)(int64_t)(*(const int32_t *)v);
    /* protobuf-c writes a true bool as the one byte 1 */
    return *(const protobuf_c_boolean *)v ? 1 : 0;
}

/* ---- the walks ------------------------------------------------------------ */

/* The walks over a table: the one place that knows how a field of each
 * kind is sized, written and read. Always inline, with the loop over the
 * fields unrolled: given a table the compiler sees (a header's, the
 * identity block's), each field's kind, tag and offset are constants, and
 * the walk compiles to the code one would write by hand for that message,
 * as this is the path of every call. */
#define FERRYI_PB_INLINE static inline __attribute__((always_inline))

/* The bytes of the repeated field `f` of the message at `m`, whose messages
 * `t` describes: each entry with its tag and length. Inline, but not
 * always: entries are rare, and the walk of an entry's table calls these
 * again, which only a function of its own can. Not in pbcodec.c either:
 * a walk there would call identity_block.c, which calls pbcodec.c, and no
 * two files may call each other (tests/layout). Defined below the walks. */
static inline size_t ferryi_pb_entries_size(const ferryi_pb_table *t, const void *m,
                                            const ferryi_pb_field *f);
static inline uint8_t *ferryi_pb_entries_put(uint8_t *p, const ferryi_pb_table *t, const void *m,
                                             const ferryi_pb_field *f);

/* The bytes the fields of the message at `m` take, without the message's
 * own tag and length. */
FERRYI_PB_INLINE size_t ferryi_pb_fields_size(const ferryi_pb_table *t, const void *m)
{
    size_t n = 0;
#pragma GCC unroll 15
    for (unsigned i = 0; i < t->n_fields; i++) {
        const ferryi_pb_field *f = &t->fields[i];
        const void *v = (const char *)m + f->at;
        if (ferryi_pb_is_number(f))
            n += ferryi_pb_number_size(ferryi_pb_number(f, v));
        else if (f->kind == FERRYI_PB_STRING)
            n += ferryi_pb_string_size(*(char *const *)v);
        else if (f->kind == FERRYI_PB_BYTES)
            n += ferryi_pb_bytes_size(v);
        else if (f->kind == FERRYI_PB_IDENTITY)
            n += ferryi_identity_block_size(*(Ferry__Wire__Identity *const *)v);
        else if (f->kind == FERRYI_PB_ENTRIES && ferryi_pb_count(m, f) != 0)
            n += ferryi_pb_entries_size(t->entries, m, f);
    }
    return n;
}

/* Writes the fields of the message at `m` at `p`, in the table's order,
 * each but those left out; returns the end. */
FERRYI_PB_INLINE uint8_t *ferryi_pb_fields_put(uint8_t *p, const ferryi_pb_table *t, const void *m)
{
#pragma GCC unroll 15
    for (unsigned i = 0; i < t->n_fields; i++) {
        const ferryi_pb_field *f = &t->fields[i];
        const void *v = (const char *)m + f->at;
        if (ferryi_pb_is_number(f))
            p = ferryi_pb_put_number(p, f->tag, ferryi_pb_number(f, v));
        else if (f->kind == FERRYI_PB_STRING)
            p = ferryi_pb_put_string(p, f->tag, *(char *const *)v);
        else if (f->kind == FERRYI_PB_BYTES)
            p = ferryi_pb_put_bytes(p, f->tag, v);
        else if (f->kind == FERRYI_PB_IDENTITY)
            p = ferryi_identity_block_put(p, f->tag, *(Ferry__Wire__Identity *const *)v);
        else if (f->kind == FERRYI_PB_ENTRIES && ferryi_pb_count(m, f) != 0)
            p = ferryi_pb_entries_put(p, t->entries, m, f);
    }
    return p;
}

/* A message field: its tag, length and fields; nothing when `m` is NULL.
 * One with unknown fields (ferry builds none; protobuf-c keeps them) is
 * packed by protobuf-c. */
FERRYI_PB_INLINE size_t ferryi_pb_block_size(const ferryi_pb_table *t, const ProtobufCMessage *m)
{
    if (m == NULL)
        return 0;
    if (m->n_unknown_fields != 0)
        return ferryi_pb_message_size(m);
    return ferryi_pb_len_size(ferryi_pb_fields_size(t, m));
}

FERRYI_PB_INLINE uint8_t *ferryi_pb_block_put(uint8_t *p, uint8_t tag, const ferryi_pb_table *t,
                                              const ProtobufCMessage *m)
{
    if (m == NULL)
        return p;
    if (m->n_unknown_fields != 0)
        return ferryi_pb_put_message(p, tag, m);
    p = ferryi_pb_put_len(p, tag, ferryi_pb_fields_size(t, m));
    return ferryi_pb_fields_put(p, t, m);
}

static inline size_t ferryi_pb_entries_size(const ferryi_pb_table *t, const void *m,
                                            const ferryi_pb_field *f)
{
    size_t n = 0;
    for (size_t i = 0; i < ferryi_pb_count(m, f); i++)
        n += ferryi_pb_block_size(t, ferryi_pb_entry(m, f, i));
    return n;
}

static inline uint8_t *ferryi_pb_entries_put(uint8_t *p, const ferryi_pb_table *t, const void *m,
                                             const ferryi_pb_field *f)
{
    for (size_t i = 0; i < ferryi_pb_count(m, f); i++)
        p = ferryi_pb_block_put(p, f->tag, t, ferryi_pb_entry(m, f, i));
    return p;
}

/* Whether ferry packs the header at `h` itself: neither it nor an entry of
 * its repeated field has unknown fields. Headers that carry them are never
 * built by ferry; should one be, protobuf-c packs it, unknown fields and
 * all. */
FERRYI_PB_INLINE int ferryi_pb_plain(const ferryi_pb_table *t, const ProtobufCMessage *h)
{
    if (h->n_unknown_fields != 0)
        return 0;
#pragma GCC unroll 15
    for (unsigned i = 0; i < t->n_fields; i++) {
        const ferryi_pb_field *f = &t->fields[i];
        if (f->kind == FERRYI_PB_ENTRIES)
            for (size_t j = 0; j < ferryi_pb_count(h, f); j++)
                if (ferryi_pb_entry(h, f, j)->n_unknown_fields != 0)
                    return 0;
    }
    return 1;
}

/* What a header's _size() and _pack() functions return (headers.h). */
FERRYI_PB_INLINE size_t ferryi_pb_header_size(const ferryi_pb_table *t, const ProtobufCMessage *h)
{
    if (!ferryi_pb_plain(t, h))
        return protobuf_c_message_get_packed_size(h);
    return ferryi_pb_fields_size(t, h);
}

FERRYI_PB_INLINE size_t ferryi_pb_header_pack(const ferryi_pb_table *t, const ProtobufCMessage *h,
                                              uint8_t *out)
{
    if (!ferryi_pb_plain(t, h))
        return protobuf_c_message_pack(h, out);
    return (size_t)(ferryi_pb_fields_put(out, t, h) - out);
}

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
    size_t entries_at; /* the field's `at`, once it has an entry */
} ferryi_pb_reading;

/* Reads one more entry of the header's repeated field `f`, whose messages
 * `t` describes, into `rd`, as ferryi_pb_block_get() reads a message; 0
 * when there is no room or it is refused. Inline but not always, as
 * ferryi_pb_entries_size(). Defined below the walks. */
static inline int ferryi_pb_header_entry(ferryi_pb_reader *r, ferryi_pb_reading *rd,
                                         const ferryi_pb_table *t, const ferryi_pb_field *f);

/* Reads the value of field `f` of the message at `m`, at `r`; 0 for bytes
 * that are not one. `t` is the message's table, and `rd` its reading when
 * it is a header (else NULL: only a header has entries). */
FERRYI_PB_INLINE int ferryi_pb_field_get(ferryi_pb_reader *r, const ferryi_pb_table *t,
                                         const ferryi_pb_field *f, void *m, ferryi_pb_reading *rd)
{
    void *v = (char *)m + f->at;
    uint32_t u;
    switch (f->kind) {
    case FERRYI_PB_U32:
        return ferryi_pb_u32(r, v);
    case FERRYI_PB_U64:
        return ferryi_pb_varint(r, v);
    case FERRYI_PB_ENUM:
        /* an int32: the varint's low 32 bits, as protobuf-c reads one */
        if (!ferryi_pb_u32(r, &u))
            return 0;
        *(int32_t *)v = (int32_t)u;
        return 1;
    case FERRYI_PB_BOOL:
        return ferryi_pb_bool(r, v);
    case FERRYI_PB_STRING:
        return ferryi_pb_string(r, v);
    case FERRYI_PB_BYTES:
        return ferryi_pb_bytes(r, v);
    case FERRYI_PB_IDENTITY:
        return (*(Ferry__Wire__Identity **)v = ferryi_identity_block_get(r)) != NULL;
    case FERRYI_PB_ENTRIES:
        return rd != NULL && ferryi_pb_header_entry(r, rd, t->entries, f);
    default:
        return 0;
    }
}

/* Reads the fields of the message at `m` from `r`, to its end, as ferry's
 * peers send them: one-byte tags of fields the table has, with their wire
 * type, each at most once but the repeated one. 0 at the first tag or
 * value refused: protobuf-c is then asked. */
FERRYI_PB_INLINE int ferryi_pb_fields(ferryi_pb_reader *r, const ferryi_pb_table *t, void *m,
                                      ferryi_pb_reading *rd)
{
    unsigned seen = 0;
    while (r->at < r->end) {
        uint8_t tag = *r->at++;
        /* field number n at n - 1: number 0 wraps past the end, and so do
         * the first bytes of longer tags (numbers past 15) */
        unsigned i = (tag >> 3) - 1u;
        if (i >= t->n_fields)
            return 0;
        const ferryi_pb_field *f = &t->fields[i];
        if (tag != f->tag || ((seen & 1u << i) != 0 && f->kind != FERRYI_PB_ENTRIES))
            return 0;
        seen |= 1u << i;
        if (!ferryi_pb_field_get(r, t, f, m, rd))
            return 0;
    }
    return 1;
}

/* Reads the message field at `outer` whose message `t` describes (the
 * identity block, a metadata entry, a violation): a copy of its INIT value
 * with its fields read by ferryi_pb_fields(). NULL when anything in it is
 * refused (or memory ran out), with nothing left allocated. */
FERRYI_PB_INLINE ProtobufCMessage *ferryi_pb_block_get(ferryi_pb_reader *outer,
                                                       const ferryi_pb_table *t)
{
    ferryi_pb_reader r;
    ProtobufCMessage *m = ferryi_pb_sub(outer, &r, t->init, t->size);
    if (m != NULL && !ferryi_pb_fields(&r, t, m, NULL)) {
        protobuf_c_message_free_unpacked(m, r.alloc);
        return NULL;
    }
    return m;
}

static inline int ferryi_pb_header_entry(ferryi_pb_reader *r, ferryi_pb_reading *rd,
                                         const ferryi_pb_table *t, const ferryi_pb_field *f)
{
    if (rd->n_entries == FERRYI_PB_ENTRIES_MAX)
        return 0;
    ProtobufCMessage *m = ferryi_pb_block_get(r, t);
    if (m == NULL)
        return 0;
    rd->entry[rd->n_entries++] = m;
    rd->entries_at = f->at;
    return 1;
}

/* Reads the header `t` describes from the `len` bytes at `data`: a copy of
 * its INIT value with its fields read by ferryi_pb_fields(), the repeated
 * field's entries gathered by ferryi_pb_header_entry() and set as the
 * header's array. NULL when anything is refused (or memory ran out), with
 * nothing left allocated: a header ferry's peers do not write, left to
 * protobuf-c. */
FERRYI_PB_INLINE void *ferryi_pb_header(const ferryi_pb_table *t, ProtobufCAllocator *alloc,
                                        size_t len, const uint8_t *data)
{
    ferryi_pb_reader r = {.at = data, .end = data + len, .alloc = alloc};
    ferryi_pb_reading rd; /* not initialised as a whole: entry[] is written as it fills */
    rd.n_entries = 0;
    rd.h = ferryi_pb_dup(alloc, t->init, t->size);
    if (rd.h == NULL)
        return NULL;
    int ok = ferryi_pb_fields(&r, t, rd.h, &rd);
    /* The INIT value has no entries: only a header with some gets their
     * array and count. */
    if (ok && rd.n_entries > 0) {
        void *entries = ferryi_pb_dup(alloc, rd.entry, rd.n_entries * sizeof rd.entry[0]);
        ok = entries != NULL;
        if (ok) {
            char *at = (char *)rd.h + rd.entries_at;
            memcpy(at - sizeof rd.n_entries, &rd.n_entries, sizeof rd.n_entries);
            memcpy(at, &entries, sizeof entries);
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

/* ---- what the walks leave to protobuf-c ------------------------------------ */

/* Whether a string field of the header `t` describes, or of an entry of
 * its repeated field, holds a NUL byte in the `len` bytes at `data`
 * (headers.h says why that matters). Reads what is well formed and stops
 * at the first thing that is not (the decoder judges that). */
int ferryi_pb_strings_hold_nul(const ferryi_pb_table *t, const uint8_t *data, size_t len);

/* A header that ferryi_pb_header() left, read by protobuf-c; when
 * `holds_nul` is not NULL, only if no string field holds a NUL byte (else
 * NULL, with *holds_nul set). Not inline: ferry's peers rarely get here. */
void *ferryi_pb_header_left(const ferryi_pb_table *t, ProtobufCAllocator *alloc, size_t len,
                            const uint8_t *data, int *holds_nul);

/* What the _unpack() and _unpack_strict() functions of headers.h return
 * for the header `t` describes, given `h`, what ferryi_pb_header() made of
 * the bytes: `h`, or when it left them, protobuf-c's reading. A strict
 * reading (`holds_nul` not NULL) refuses a header with a NUL byte in a
 * string field; ferry's reader refuses those itself, so only what it
 * leaves is read a second time for the check. */
static inline void *ferryi_pb_header_fallback(const ferryi_pb_table *t, void *h,
                                              ProtobufCAllocator *alloc, size_t len,
                                              const uint8_t *data, int *holds_nul)
{
    if (holds_nul != NULL)
        *holds_nul = 0;
    return h != NULL ? h : ferryi_pb_header_left(t, alloc, len, data, holds_nul);
}

#endif
