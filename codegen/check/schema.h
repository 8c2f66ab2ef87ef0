/* schema.h - the checker's view of a schema: exactly what ferry check
 * compares and what a lock file holds. schema_desc.c builds it from a
 * FileDescriptorSet, lock_read.c from a lock file; lock_write.c writes it.
 * Everything lives in the schema's arena. */
#ifndef FCK_SCHEMA_H
#define FCK_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/options.pb-c.h"

#include "arena.h"

/* The highest field number protobuf allows (2^29 - 1). */
#define FCK_FIELD_MAX 536870911

/* google.protobuf.FieldDescriptorProto.Type and .Label. */
enum {
    FCK_TYPE_DOUBLE = 1,
    FCK_TYPE_FLOAT = 2,
    FCK_TYPE_INT64 = 3,
    FCK_TYPE_UINT64 = 4,
    FCK_TYPE_INT32 = 5,
    FCK_TYPE_FIXED64 = 6,
    FCK_TYPE_FIXED32 = 7,
    FCK_TYPE_BOOL = 8,
    FCK_TYPE_STRING = 9,
    FCK_TYPE_GROUP = 10,
    FCK_TYPE_MESSAGE = 11,
    FCK_TYPE_BYTES = 12,
    FCK_TYPE_UINT32 = 13,
    FCK_TYPE_ENUM = 14,
    FCK_TYPE_SFIXED32 = 15,
    FCK_TYPE_SFIXED64 = 16,
    FCK_TYPE_SINT32 = 17,
    FCK_TYPE_SINT64 = 18,
    FCK_TYPE_MAX = 18,
};
enum { FCK_LABEL_OPTIONAL = 1, FCK_LABEL_REQUIRED = 2, FCK_LABEL_REPEATED = 3 };

/* A reserved range of numbers, inclusive at both ends, or a reserved name;
 * with the line of its `reserved` statement. */
typedef struct fck_range {
    int32_t start, end;
    int line;
} fck_range;

typedef struct fck_name {
    const char *name;
    int line;
} fck_name;

typedef struct fck_file fck_file;

typedef struct fck_field {
    const char *name;
    int32_t number;
    int type;                  /* FCK_TYPE_* */
    const char *type_name;     /* "pkg.Msg" for message, group and enum fields, else NULL */
    int label;                 /* FCK_LABEL_* */
    const char *oneof;         /* the oneof it belongs to, or NULL */
    int packed;                /* a repeated scalar encoded packed (declared or proto3's default) */
    const char *default_value; /* proto2 [default], as protoc writes it, or NULL */
    const char *json_name;     /* [json_name] when it differs from protobuf's default (see
                                  fck_json_name()), else NULL */
    int deprecated;
    const Ferry__FieldOptions *rules; /* (ferry.field) validation rules, or NULL */
    int line;
} fck_field;

typedef struct fck_message {
    const char *full_name; /* "inventory.v1.ReserveRequest.Line" */
    const fck_file *file;
    int line;
    int map_entry;     /* the synthetic entry message of a map field */
    fck_field *fields; /* declaration order */
    size_t n_fields;
    fck_range *reserved;
    size_t n_reserved;
    fck_name *reserved_names;
    size_t n_reserved_names;
    /* Indexes filled by fck_schema_index(). */
    const fck_field **by_number;
    const fck_field **by_name;
    const fck_field **by_oneof; /* the fields in a oneof, by oneof then declaration */
    size_t n_by_oneof;
    const fck_name **names_sorted; /* reserved_names by name */
    fck_range *merged;             /* reserved, sorted and merged into disjoint ranges */
    size_t n_merged;
} fck_message;

typedef struct fck_value {
    const char *name;
    int32_t number;
    int line;
} fck_value;

typedef struct fck_enum {
    const char *full_name;
    const fck_file *file;
    int line;
    fck_value *values; /* declaration order; numbers may repeat (allow_alias) */
    size_t n_values;
    fck_range *reserved;
    size_t n_reserved;
    fck_name *reserved_names;
    size_t n_reserved_names;
    const fck_value **by_number; /* by number, then declaration order */
    const fck_value **by_name;
    const fck_name **names_sorted; /* reserved_names by name */
    fck_range *merged;             /* reserved, sorted and merged into disjoint ranges */
    size_t n_merged;
} fck_enum;

/* A method and its ferry options (see idl/ferry/options.proto). */
typedef struct fck_method {
    const char *name;   /* "GetItem" */
    const char *input;  /* "inventory.v1.GetItemRequest" */
    const char *output; /* "inventory.v1.GetItemReply" (calls are unary: ferry refuses
                           streaming, as the generator does) */
    uint32_t since;     /* >= 1 */
    uint32_t deprecated_since;
    int deprecated;
    int idempotent;
    int read_only;
    uint32_t deadline_ms;
    int fallback;
    const char *fallback_default;
    const char **roles;
    size_t n_roles;
    const char **roles_sorted; /* filled by fck_schema_index() */
    uint32_t id;
    int line;
} fck_method;

typedef struct fck_service {
    const char *full_name; /* "inventory.v1.Stock" */
    const fck_file *file;
    int line;
    uint32_t api_version; /* (ferry.service), else (ferry.file), else 1 */
    int api_line;         /* the line of the option that sets it, else the service's */
    fck_method *methods;
    size_t n_methods;
    const fck_method **by_name;
} fck_service;

/* An extension: a field declared outside the message it extends, matched
 * by its full name. */
typedef struct fck_extension {
    const char *full_name; /* "pkg.priority", or "pkg.Outer.priority" when declared in Outer */
    const char *extendee;  /* "pkg.Task", the message it extends */
    const fck_file *file;
    fck_field field; /* name (the short one), number, type, label, ...; never in a oneof */
} fck_extension;

struct fck_file {
    const char *name;    /* "inventory/v1/inventory.proto", as protoc names it */
    const char *package; /* "" without a package statement */
    int package_line;
    const char *syntax; /* "proto2" or "proto3" */
};

/* A whole schema; element arrays are in declaration order, files sorted by
 * name. The by_name indexes (sorted by full name) are filled by
 * fck_schema_index(). It is the public ferry_schema of ferry_check.h. */
typedef struct ferry_schema fck_schema;
struct ferry_schema {
    fcg_arena arena;
    fck_file *files;
    size_t n_files;
    fck_message *messages;
    size_t n_messages;
    fck_enum *enums;
    size_t n_enums;
    fck_service *services;
    size_t n_services;
    fck_extension *extensions;
    size_t n_extensions;
    const fck_message **messages_by_name;
    const fck_enum **enums_by_name;
    const fck_service **services_by_name;
    const fck_extension **extensions_by_name;
};

/* Sorts the indexes and refuses what the checker cannot compare: two
 * types (messages or enums), services or extensions of one name, two fields of one
 * number or name in a message, two values of one name in an enum, two
 * methods of one name in a service. Returns 0, or -1 with
 * *why (in the arena) saying what is wrong. */
int fck_schema_index(fck_schema *s, const char **why);

/* Lookups through the indexes; NULL when absent. */
const fck_message *fck_find_message(const fck_schema *s, const char *full_name);
const fck_enum *fck_find_enum(const fck_schema *s, const char *full_name);
const fck_service *fck_find_service(const fck_schema *s, const char *full_name);
const fck_extension *fck_find_extension(const fck_schema *s, const char *full_name);
const fck_field *fck_field_by_number(const fck_message *m, int32_t number);
const fck_field *fck_field_by_name(const fck_message *m, const char *name);
const fck_method *fck_method_by_name(const fck_service *s, const char *name);
/* The first value of `e` with `number` (by declaration order), or NULL;
 * *count (when not NULL) receives how many values have it. */
const fck_value *fck_value_by_number(const fck_enum *e, int32_t number, size_t *count);

/* The value of `e` named `name`, or NULL. */
const fck_value *fck_value_by_name(const fck_enum *e, const char *name);

/* Whether `name` is among the n reserved names of `sorted`. */
int fck_name_reserved(const fck_name *const *sorted, size_t n, const char *name);

/* Whether method `m` requires `role`. */
int fck_has_role(const fck_method *m, const char *role);

/* The fields of `m` in oneof `oneof`: *n of them from the returned
 * pointer, in declaration order (none: *n is 0). */
const fck_field *const *fck_oneof_members(const fck_message *m, const char *oneof, size_t *n);

/* Whether `number` lies in one of the n disjoint sorted ranges `merged`. */
int fck_in_ranges(const fck_range *merged, size_t n, int32_t number);

/* protobuf's name of a field type ("int32", "message"), or NULL when `type`
 * is not one; the reverse, 0 when `name` is not a type. */
const char *fck_type_str(int type);
int fck_type_parse(const char *name);

/* The name JSON gives field `f`: its [json_name], else protobuf's default
 * (lowerCamelCase: each '_' dropped and the letter after it upper-cased),
 * made in `a` ("" when memory runs out). */
const char *fck_json_name(fcg_arena *a, const fck_field *f);

/* Whether `name` is a protobuf identifier path: letters, digits and '_'
 * in dot-separated parts that do not start with a digit. */
int fck_is_ident_path(const char *name);

/* The length of the valid UTF-8 sequence of one character at s[0..n), or
 * 0 when there is none. */
size_t fck_utf8_len(const unsigned char *s, size_t n);

/* `s` when it is valid UTF-8, else a copy in the arena with each byte that
 * is not replaced by U+FFFD; NULL stays NULL. Strings a schema keeps
 * (defaults, option texts, roles) go through it, so that a lock file, which
 * is JSON, holds exactly the schema. */
const char *fck_utf8_clean(fcg_arena *a, const char *s);

/* Whether `name` is a usable file name: not empty, no control characters. */
int fck_is_file_name(const char *name);

#endif /* FCK_SCHEMA_H */
