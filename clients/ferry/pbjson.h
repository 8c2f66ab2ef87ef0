/* pbjson.h - protobuf's JSON mapping over a run-time schema (pbschema.h):
 * JSON to protobuf wire bytes (pbjson_encode.c) and back (pbjson_decode.c),
 * and JSON printed the way protobuf prints it (pbjson_print.c).
 *
 * The mapping is protobuf's: fields by lowerCamel JSON name (the .proto
 * name accepted too), enums by name or number, 64-bit integers as strings
 * (numbers accepted), bytes as base64, maps as objects, NaN and infinities
 * as strings; google.protobuf.Timestamp and Duration as their strings, the
 * wrappers as their bare values, Struct, Value, ListValue and NullValue as
 * the JSON they hold, FieldMask as "a,b.cD"; google.protobuf.Any is
 * refused. Both directions take untrusted input
 * (a user's JSON, a server's bytes) and refuse what does not fit with a
 * message that names the field: "request.items[2].sku: expected a string,
 * got a number".
 *
 * Ownership: the caller owns what comes out (pbbuf_fini(), json_decref()).
 * Thread safety: none needed; no global state. */
#ifndef FERRY_CLI_PBJSON_H
#define FERRY_CLI_PBJSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "pbschema.h"

/* A growing byte buffer; `failed` once memory ran out. */
typedef struct pbbuf {
    uint8_t *data;
    size_t len, cap;
    int failed;
} pbbuf;

void pbbuf_fini(pbbuf *b);
void pbbuf_put(pbbuf *b, const void *data, size_t len);
void pbbuf_varint(pbbuf *b, uint64_t v);
/* Reads a varint at data[*pos..len); 0, or -1 when cut short or too long. */
int pb_read_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *v);

/* Encodes `json` as message type `type` (full name) into `out`. `root`
 * names the value in messages ("request"). 0, or -1 with a message. */
int pbjson_encode(const pb_schema *s, const char *type, const json_t *json, const char *root,
                  pbbuf *out, char *err, size_t errlen);

/* Decodes `len` bytes of message type `type` into a new JSON object. 0, or
 * -1 with a message naming the field (`root` first). Fields the schema
 * does not know are skipped, as protobuf does. */
int pbjson_decode(const pb_schema *s, const char *type, const uint8_t *data, size_t len,
                  const char *root, json_t **out, char *err, size_t errlen);

/* Writes `v` indented by two spaces per level, numbers in their shortest
 * form that reads back the same; a newline at the end. */
void pbjson_print(FILE *out, const json_t *v);

/* ---- shared by the encoder and the decoder (pbjson_wkt.c) --------------- */

#define T(x) GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_##x

/* Where the encoder or decoder is ("request.items[2].sku") and the first
 * failure's message. */
typedef struct pbjson_ctx {
    const pb_schema *s;
    char *err;
    size_t errlen;
    char path[512];
    size_t plen;
    int failed;
} pbjson_ctx;

/* Sets the message (the first failure's only): the path, then the reason;
 * returns -1. */
int pbjson_fail(pbjson_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends ".name", "[3]" or "[\"key\"]" to the path; returns the length
 * pbjson_pop() goes back to. A path too long is cut, which only shortens
 * messages. */
size_t pbjson_push(pbjson_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pbjson_pop(pbjson_ctx *c, size_t at);
/* "an object", "a string", ...: what a JSON value is, for messages. */
const char *pbjson_kind(const json_t *v);
/* The wire type a field of type `t` is written with (0, 1, 2 or 5). */
int pbjson_wire_type(int t);

/* Well-known types with a JSON form of their own. */
typedef enum pbjson_wkt {
    PBJSON_PLAIN = 0,
    PBJSON_TIMESTAMP,
    PBJSON_DURATION,
    PBJSON_WRAPPER,   /* google.protobuf.*Value with one field `value` = 1 */
    PBJSON_STRUCT,    /* a JSON object */
    PBJSON_VALUE,     /* any JSON value */
    PBJSON_LIST,      /* google.protobuf.ListValue: a JSON array */
    PBJSON_FIELDMASK, /* "a,b.cD": paths in lowerCamel, comma-separated */
    PBJSON_ANY,       /* refused in both directions */
} pbjson_wkt;

/* Whether field `f` is a google.protobuf.NullValue (JSON null). */
int pbjson_is_null_value(const pbs_field *f);

/* How type `t` is written: a well-known type by its full name and shape
 * (seconds = 1 and nanos = 2; a wrapper's one field `value` = 1), else
 * plain. */
pbjson_wkt pbjson_wkt_of(const pbs_type *t);
/* Seconds and nanos from RFC 3339 text ("1972-01-01T10:00:20.021Z",
 * offsets allowed); 0, or -1 when it is not one in 0001..9999. */
int pbjson_parse_timestamp(const char *text, int64_t *secs, int32_t *nanos);
/* Text of a timestamp into buf (at least 40 bytes); -1 when out of range. */
int pbjson_format_timestamp(int64_t secs, int32_t nanos, char *buf, size_t len);
/* "1.5s", "-0.000001s": 0, or -1 when not a duration within 10000 years. */
int pbjson_parse_duration(const char *text, int64_t *secs, int32_t *nanos);
int pbjson_format_duration(int64_t secs, int32_t nanos, char *buf, size_t len);
/* Base64, standard or URL-safe alphabet, padding optional: a malloc'd
 * buffer in *out and its length, 0; or -1. */
int pbjson_base64_decode(const char *text, uint8_t **out, size_t *len);
/* Standard alphabet with padding; malloc'd, or NULL. */
char *pbjson_base64_encode(const uint8_t *data, size_t len);

#endif
