/* textfmt.h - protobuf text format, parsed against the message types of a
 * CodeGeneratorRequest (its DescriptorProtos) and encoded to the protobuf
 * binary format. protobuf-c cannot read text format, so the generator turns
 * a method's fallback_default text into bytes the runtime unpacks.
 *
 * What it reads: fields by name, `name: value` for scalars, `name { ... }`,
 * `name: { ... }` or `name < ... >` for messages, repeated fields as repeated
 * lines or `name: [a, b]` lists, enum values by name or number, strings with
 * C-style escapes (adjacent strings join), numbers in decimal, hex and
 * octal, inf and nan, '#' comments, optional ',' or ';' after a field. Map
 * fields take their entries as messages: `attrs { key: "k" value: "v" }`.
 * Refused: extensions and Any expansions (`[name] { ... }`), groups, a
 * non-repeated field or two members of a oneof given twice, a missing
 * required field, a string that is not UTF-8 or holds a NUL byte.
 *
 * The encoding is protoc's: fields in field-number order, repeated scalars
 * packed where protoc packs them, proto3 scalars at their default left out.
 * Not thread-safe per schema or arena; separate ones may be used in
 * parallel. */
#ifndef FCG_TEXTFMT_H
#define FCG_TEXTFMT_H

#include <stddef.h>
#include <stdint.h>

#include "google/protobuf/descriptor.pb-c.h"

#include "arena.h"

/* Every message and enum type of a set of files, by full name. */
typedef struct fcg_textfmt_schema fcg_textfmt_schema;

/* Indexes the types of files[0..n), which must outlive the schema. Returns
 * NULL when memory runs out; everything lives in `a`. Files or types
 * without names are skipped (their fields then fail to resolve). */
fcg_textfmt_schema *
fcg_textfmt_schema_new(fcg_arena *a, Google__Protobuf__FileDescriptorProto *const *files, size_t n);

/* Where and why a text was refused. */
typedef struct fcg_textfmt_error {
    unsigned line, column; /* 1-based position in the text (column in bytes) */
    char what[512];        /* "item.quantity: -1 is out of range for uint32" */
} fcg_textfmt_error;

/* Deepest nesting of messages a text may have. */
#define FCG_TEXTFMT_MAX_DEPTH 64

/* Parses text[0..len) as a message of type `type` (a full name with its
 * leading dot, ".inventory.v1.GetItemReply") and encodes it. Returns 0 with
 * the bytes in *out (arena memory, *out_len of them; possibly 0), or -1
 * with *err filled and *out NULL. */
int fcg_textfmt_encode(fcg_arena *a, const fcg_textfmt_schema *s, const char *type,
                       const char *text, size_t len, const uint8_t **out, size_t *out_len,
                       fcg_textfmt_error *err);

#endif /* FCG_TEXTFMT_H */
