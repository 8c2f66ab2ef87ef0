/* rules.h - the (ferry.field) validation rules of the messages a service
 * takes: read from each field's options, checked against the field's type,
 * and resolved into what gen_validate.c writes (C members, presence, bounds
 * as C literals, enum values). */
#ifndef FCG_RULES_H
#define FCG_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/options.pb-c.h"

#include "model.h"

/* What one value is, as the validator sees it. */
typedef enum fcg_vkind {
    FCG_V_INT32,
    FCG_V_INT64,
    FCG_V_UINT32,
    FCG_V_UINT64,
    FCG_V_FLOAT,
    FCG_V_DOUBLE,
    FCG_V_BOOL,
    FCG_V_ENUM,
    FCG_V_STRING,
    FCG_V_BYTES,
    FCG_V_MESSAGE,
} fcg_vkind;

/* An enum that a defined_only rule checks values against. */
typedef struct fcg_venum {
    const char *full_name; /* "inventory.v2.Kind" */
    const char *fn;        /* the generated test: "inventory__v2__kind__ferry_defined" */
    int32_t *values;       /* distinct, ascending */
    size_t n_values;
} fcg_venum;

/* A numeric bound: the C literal compared against and the reason's text. */
typedef struct fcg_vbound {
    const char *lit;  /* NULL: no bound (not set, or always true for the type) */
    const char *text; /* "0", "2.5" */
} fcg_vbound;

/* The rules of one value: a singular field, an item, a map key or value. */
typedef struct fcg_vrule {
    fcg_vkind kind;
    const Ferry__FieldOptions *r; /* never NULL: empty when none were given */
    fcg_vbound gt, gte, lt, lte;
    const fcg_venum *defined; /* defined_only: the enum; else NULL */
    /* in / not_in: C literals for numbers and enums, the raw text for
     * strings and bytes. */
    const char **in;
    size_t n_in;
    const char **not_in;
    size_t n_not_in;
    const fcg_type *msg; /* FCG_V_MESSAGE: the type, validated when it has rules */
} fcg_vrule;

enum fcg_presence {
    FCG_PRES_ALWAYS, /* proto3 scalars, proto2 required: always there */
    FCG_PRES_HAS,    /* proto2 optional scalars and bytes: has_<member> */
    FCG_PRES_PTR,    /* messages, proto2 optional strings: NULL when absent (or, for a
                        string with a [default], pointing to protoc-c's default) */
    FCG_PRES_ONEOF,  /* a oneof member: <oneof>_case == number */
};

/* A field with rules, or whose messages have some. */
typedef struct fcg_vfield {
    const char *name;   /* as in the .proto: what paths show */
    const char *member; /* protoc-c's struct member */
    int32_t number;
    int repeated; /* repeated (and maps) */
    int map;
    int deprecated;         /* [deprecated = true]: protoc-c declares its members deprecated */
    int presence;           /* enum fcg_presence, singular fields */
    const char *oneof_case; /* FCG_PRES_ONEOF: the member holding the case */
    /* FCG_PRES_PTR, a proto2 string with a [default]: protoc-c's array of the
     * default ("pkg__msg__field__default_value"), which the member points
     * to while the field is not set; else NULL. */
    const char *default_value;
    /* Singular: the value's rules. Repeated and maps: the field's own
     * (required, min_items, max_items, unique), kind that of the items. */
    fcg_vrule value;
    fcg_vrule item;                  /* repeated, not map: each item */
    fcg_vrule key, val;              /* map: each key and value */
    const fcg_type *entry;           /* map: the entry type */
    int has_items, has_key, has_val; /* whether those need checking */
} fcg_vfield;

/* A message's validator. */
struct fcg_vmsg {
    const char *fn; /* "<protoc-c lower name>__ferry_validate" */
    fcg_vfield *fields;
    size_t n_fields;
    int needed; /* some field has a rule, or a message with one */
};

/* Reads and checks the rules of every message reachable from a method's
 * input or output type in `files`; sets type->v of each (validators are
 * written for inputs only). Every problem is added to `d` with its file
 * and line; returns 0, or -1 when there was any. */
int fcg_rules_load(fcg_arena *a, const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                   fcg_type *types, size_t n_types, fcg_file *files, size_t n_files, fcg_diag *d);

/* The validation rules of field `fd`, or NULL when it declares none; -1
 * (with *why set) when the option is malformed. Shared with `ferry check`. */
int fcg_field_rules(fcg_arena *a, const Google__Protobuf__FieldDescriptorProto *fd,
                    const Ferry__FieldOptions **out, const char **why);

#endif /* FCG_RULES_H */
