/* compare.h - what the comparison files share: the context of one
 * ferry_check_compare() run and the helpers that add findings. */
#ifndef FCK_COMPARE_H
#define FCK_COMPARE_H

#include "check_internal.h"

/* Which way a message or enum travels: in requests (client to server), in
 * responses (server to client), both, or neither (no method reaches it). */
enum { FCK_SIDE_REQUEST = 1, FCK_SIDE_RESPONSE = 2, FCK_SIDE_BOTH = 3 };

/* An old package and the new one it became (inventory.v1 -> inventory.v2). */
typedef struct fck_pkg_map {
    const char *from, *to;
} fck_pkg_map;

/* A reference from the old schema to a type, by a field or method that the
 * new schema still has (see compare_types.c). */
typedef struct fck_use {
    const char *type; /* the type referred to */
    const char *user; /* "field a.M.x = 1", "method a.S/Get" */
    size_t order;     /* first found first */
} fck_use;

typedef struct fck_cmp {
    const fck_schema *o; /* the old schema */
    const fck_schema *n; /* the new schema */
    ferry_check_report *r;
    fcg_arena *a; /* the report's arena: the findings and scratch strings */
    fck_pkg_map *maps;
    size_t n_maps;
    /* Sides, indexed like the schemas' message and enum arrays. */
    unsigned char *o_msg_side, *o_enum_side, *n_msg_side, *n_enum_side;
    fck_use *uses; /* built at the first deleted type; sorted by type, then order */
    size_t n_uses;
    int uses_built;
} fck_cmp;

/* The name `old_name` (of a type or service of the old schema) takes in the
 * new schema's packages. */
const char *fck_tr(const fck_cmp *c, const char *old_name);

/* The side of a message or enum of schema `s` (c->o or c->n). */
unsigned fck_msg_side(const fck_cmp *c, const fck_schema *s, const fck_message *m);
unsigned fck_enum_side(const fck_cmp *c, const fck_schema *s, const fck_enum *e);

/* report.c: a new empty report (NULL when out of memory); sorting the
 * findings once all are added (-1 when memory ran out while adding). */
ferry_check_report *fck_report_new(void);
int fck_report_finish(ferry_check_report *r);
fcg_arena *fck_report_arena(ferry_check_report *r);

/* Adds a finding; `element` and the formatted message are copied, with
 * bytes outside printable ASCII replaced. */
void fck_add(fck_cmp *c, ferry_check_class cls, const char *rule, const fck_file *file, int line,
             const char *element, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Marks the report as failed: memory ran out. */
void fck_oom(fck_cmp *c);

/* A formatted string in the report's arena ("" when memory runs out; the
 * report then fails). */
const char *fck_fmt(fck_cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The comparisons, one per kind of element (compare_types.c,
 * compare_ext.c). */
void fck_compare_messages(fck_cmp *c);
void fck_compare_enums(fck_cmp *c);
void fck_compare_extensions(fck_cmp *c);

/* compare_rules.c: the (ferry.field) rules of field f (old) and g (new),
 * which travels on `side`; findings at `file`:`line`, about `elem`. */
void fck_compare_rules(fck_cmp *c, unsigned side, const fck_file *file, int line, const char *elem,
                       const fck_field *f, const fck_field *g);

/* compare_types.c: the deploy order of a new field of a message travelling
 * `side`; "singular", "required" or "repeated"; why a change of label from
 * f's to g's breaks old peers. */
const char *fck_field_added_order(unsigned side);
const char *fck_label_name(const fck_field *f);
const char *fck_label_why(const fck_field *f, const fck_field *g);

/* How the type of field `f` (old) relates to that of field `g` (new). */
typedef enum fck_compat {
    FCK_SAME,       /* the same type */
    FCK_COMPATIBLE, /* another type with the same encoding; *why says what to mind */
    FCK_BREAKING,   /* old peers misread it; *why says how */
} fck_compat;

/* compat.c: compares the types of two fields of a message travelling
 * `side` (FCK_SIDE_*, 0 when no method reaches it); *why (in the report's
 * arena) describes a change and, when it is compatible, the deploy order.
 * A compatible change whose old writers may send what new readers refuse
 * is breaking when both sides write the field. */
fck_compat fck_type_compat(fck_cmp *c, const fck_field *f, const fck_field *g, unsigned side,
                           const char **why);

/* A field's type as a reader would write it: "int32", "inventory.v1.Money",
 * "map<string, int32>"; `s` is the field's schema. */
const char *fck_type_text(fck_cmp *c, const fck_schema *s, const fck_field *f);

#endif /* FCK_COMPARE_H */
