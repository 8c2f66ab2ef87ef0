/* textfmt_parse.h - what the parts of the text-format parser share:
 * textfmt.c (schema, messages, encoding) and textfmt_scalar.c (scalar
 * values). Internal to the generator. */
#ifndef FCG_TEXTFMT_PARSE_H
#define FCG_TEXTFMT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "textfmt.h"
#include "textfmt_lex.h"

typedef Google__Protobuf__FileDescriptorProto fcg_tf_file_desc;
typedef Google__Protobuf__DescriptorProto fcg_tf_msg_desc;
typedef Google__Protobuf__EnumDescriptorProto fcg_tf_enum_desc;
typedef Google__Protobuf__FieldDescriptorProto fcg_tf_field_desc;

#define FCG_TF_TYPE(x)  GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_##x
#define FCG_TF_LABEL(x) GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_##x

/* Wire types. */
enum { FCG_TF_VARINT = 0, FCG_TF_FIXED64 = 1, FCG_TF_LEN = 2, FCG_TF_FIXED32 = 5 };

/* A message or enum type of the schema. */
typedef struct fcg_tf_type {
    const char *full_name;      /* ".pkg.Outer.Inner" */
    const fcg_tf_msg_desc *msg; /* exactly one of msg and enm is set */
    const fcg_tf_enum_desc *enm;
    int proto3; /* declared in a proto3 file */
} fcg_tf_type;

struct fcg_textfmt_schema {
    fcg_tf_type *v; /* sorted by full_name */
    size_t n;
};

/* One field value, encoded but for its tag. */
typedef struct fcg_tf_val {
    const fcg_tf_field_desc *fd;
    size_t field; /* index in the message's field list */
    size_t seq;   /* order of appearance */
    int wire;     /* of the value itself; packed values go in one FCG_TF_LEN record */
    int packed;
    uint64_t bits;       /* FCG_TF_VARINT, FCG_TF_FIXED32, FCG_TF_FIXED64 */
    const uint8_t *data; /* FCG_TF_LEN */
    size_t len;
} fcg_tf_val;

typedef struct fcg_tf_parser {
    fcg_arena *a;
    const fcg_textfmt_schema *s;
    fcg_tf_lexer lx;
    fcg_tf_token tok; /* the next token */
    int depth;
    char path[200]; /* the field being read: "item.tags[2]" */
    size_t path_len;
    fcg_textfmt_error *err;
} fcg_tf_parser;

/* Records an error at `at`, prefixed with the field path; returns -1. When
 * `at` is an FCG_TF_ERROR token, the lexer's error is recorded instead: a
 * malformed token is reported where the parser looks at it, so with the
 * path of the field that expected it. */
int fcg_tf_fail(fcg_tf_parser *p, const fcg_tf_token *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fcg_tf_out_of_memory(fcg_tf_parser *p);

/* Reads the next token, possibly an FCG_TF_ERROR one. */
void fcg_tf_advance(fcg_tf_parser *p);

/* Fails with the lexer's error when the next token is FCG_TF_ERROR; else 0.
 * For the places that look past a token before judging it. */
int fcg_tf_check(fcg_tf_parser *p);

/* Whether the next token is the symbol `c`. */
int fcg_tf_is_sym(const fcg_tf_parser *p, char c);

/* The next token described for an error message, in buf. */
const char *fcg_tf_got(const fcg_tf_parser *p, char *buf, size_t len);

/* The type `full_name` (with its leading dot), or NULL. */
const fcg_tf_type *fcg_tf_find_type(const fcg_textfmt_schema *s, const char *full_name);

/* A full name without its leading dot, for messages. */
const char *fcg_tf_display(const char *full_name);

/* The field's type as the .proto spells it ("uint32", "pkg.Item"). */
const char *fcg_tf_type_name(const fcg_tf_field_desc *fd);

int fcg_tf_is_repeated(const fcg_tf_field_desc *fd);

/* Reads one value of the scalar (not message) field `fd` into *v: wire
 * type and bits, or bytes. Returns 0 or -1 after recording an error. */
int fcg_tf_scalar(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v);

#endif /* FCG_TEXTFMT_PARSE_H */
