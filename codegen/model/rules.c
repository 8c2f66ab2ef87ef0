/* rules.c - the (ferry.field) validation rules: read from the options of
 * every field of the messages a method takes (and of the messages in them),
 * checked against each field's type, and resolved for gen_validate.c.
 *
 * A rule that cannot apply (min_len on a number, a bound an int32 can never
 * meet, an `in` value that is not of the field's type) is an error here, with
 * the field's file and line, rather than code that never fires. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "options.h"
#include "rules.h"
#include "srcinfo.h"

typedef Google__Protobuf__FieldDescriptorProto Field;

typedef struct enum_entry {
    const char *full_name; /* ".pkg.Enum" */
    const Google__Protobuf__EnumDescriptorProto *proto;
    fcg_venum *v; /* made when a rule needs it */
} enum_entry;

typedef struct rules_ctx {
    fcg_arena *a;
    fcg_diag *d;
    fcg_type *types; /* sorted by full_name */
    size_t n_types;
    enum_entry *enums; /* sorted by full_name */
    size_t n_enums;
    fcg_type **seen; /* every type resolved, in the order first reached */
    size_t n_seen;
    /* The field being read, for error messages. */
    const fcg_type *t;
    const Field *fd;
    size_t field_index;
} rules_ctx;

static const Ferry__FieldOptions no_rules = FERRY__FIELD_OPTIONS__INIT;

int fcg_field_rules(fcg_arena *a, const Field *fd, const Ferry__FieldOptions **out,
                    const char **why)
{
    ProtobufCMessage *msg;
    *out = NULL;
    if (fcg_option_unpack(a, fd->options != NULL ? &fd->options->base : NULL,
                          FCG_FERRY_OPTION_FIELD, &ferry__field_options__descriptor, &msg,
                          why) != 0)
        return -1;
    *out = (const Ferry__FieldOptions *)msg;
    return 0;
}

/* ---- lookups ------------------------------------------------------------ */

static int cmp_type(const void *a, const void *b)
{
    return strcmp(((const fcg_type *)a)->full_name, ((const fcg_type *)b)->full_name);
}

static fcg_type *find_type(rules_ctx *rc, const char *full_name)
{
    fcg_type key = {.full_name = full_name};
    return full_name != NULL ? bsearch(&key, rc->types, rc->n_types, sizeof key, cmp_type) : NULL;
}

static int cmp_enum(const void *a, const void *b)
{
    return strcmp(((const enum_entry *)a)->full_name, ((const enum_entry *)b)->full_name);
}

static size_t count_enums(Google__Protobuf__DescriptorProto *const *msgs, size_t n, int depth)
{
    size_t count = 0;
    for (size_t i = 0; i < n && depth < 100; i++)
        count += msgs[i]->n_enum_type +
                 count_enums(msgs[i]->nested_type, msgs[i]->n_nested_type, depth + 1);
    return count;
}

static void add_enums(rules_ctx *rc, const char *scope,
                      Google__Protobuf__EnumDescriptorProto *const *enums, size_t n_enums,
                      Google__Protobuf__DescriptorProto *const *msgs, size_t n_msgs, int depth)
{
    for (size_t i = 0; i < n_enums; i++) {
        if (enums[i]->name == NULL)
            continue;
        enum_entry *e = &rc->enums[rc->n_enums++];
        e->full_name = fcg_arena_printf(rc->a, "%s.%s", scope, enums[i]->name);
        e->proto = enums[i];
        e->v = NULL;
        if (e->full_name == NULL)
            rc->n_enums--;
    }
    for (size_t i = 0; i < n_msgs && depth < 100; i++) {
        if (msgs[i]->name == NULL)
            continue;
        const char *inner = fcg_arena_printf(rc->a, "%s.%s", scope, msgs[i]->name);
        if (inner != NULL)
            add_enums(rc, inner, msgs[i]->enum_type, msgs[i]->n_enum_type, msgs[i]->nested_type,
                      msgs[i]->n_nested_type, depth + 1);
    }
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* "inventory.v2.Kind" as protoc-c would spell it in lower case, without
 * its c_package: "inventory__v2__kind". */
static const char *c_lower_of(fcg_arena *a, const char *full)
{
    char *out = fcg_arena_strdup(a, "");
    const char *p = full;
    while (out != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        char *piece = fcg_arena_strndup(a, p, n);
        char *lower = piece != NULL ? fcg_camel_to_lower(a, piece) : NULL;
        if (lower == NULL)
            return NULL;
        out = fcg_arena_printf(a, "%s%s%s", out, out[0] ? "__" : "", lower);
        p += n + (dot != NULL);
    }
    return out;
}

static const fcg_venum *find_enum(rules_ctx *rc, const char *full_name)
{
    enum_entry key = {.full_name = full_name};
    enum_entry *e =
        full_name != NULL ? bsearch(&key, rc->enums, rc->n_enums, sizeof key, cmp_enum) : NULL;
    if (e == NULL)
        return NULL;
    if (e->v != NULL)
        return e->v;
    fcg_venum *v = fcg_arena_alloc(rc->a, sizeof *v);
    const Google__Protobuf__EnumDescriptorProto *ep = e->proto;
    if (v == NULL)
        return NULL;
    v->full_name = e->full_name + 1;
    const char *lower = c_lower_of(rc->a, v->full_name);
    v->fn = lower != NULL ? fcg_arena_printf(rc->a, "%s__ferry_defined", lower) : NULL;
    v->values = fcg_arena_alloc(rc->a, (ep->n_value + 1) * sizeof *v->values);
    if (v->fn == NULL || v->values == NULL)
        return NULL;
    v->n_values = 0;
    for (size_t i = 0; i < ep->n_value; i++)
        if (ep->value[i]->has_number)
            v->values[v->n_values++] = ep->value[i]->number;
    qsort(v->values, v->n_values, sizeof *v->values, cmp_i32);
    size_t n = 0; /* aliases (allow_alias) share a number */
    for (size_t i = 0; i < v->n_values; i++)
        if (n == 0 || v->values[n - 1] != v->values[i])
            v->values[n++] = v->values[i];
    v->n_values = n;
    e->v = v;
    return v;
}

/* ---- errors --------------------------------------------------------------- */

static void field_error(rules_ctx *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void field_error(rules_ctx *rc, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int line = 0;
    if (rc->t->n_path > 0 && rc->t->n_path + 2 <= 66) {
        int32_t path[66];
        memcpy(path, rc->t->path, rc->t->n_path * sizeof *path);
        path[rc->t->n_path] = 2; /* DescriptorProto.field */
        path[rc->t->n_path + 1] = (int32_t)rc->field_index;
        line = fcg_src_line(rc->t->file, path, rc->t->n_path + 2);
    }
    fcg_where w = {.file = rc->t->file->name, .line = line};
    fcg_error(rc->d, &w, "message %s, field %s: %s", rc->t->full_name + 1,
              rc->fd->name != NULL ? rc->fd->name : "?", what);
}

/* ---- kinds and bounds ---------------------------------------------------- */

static int kind_of(const Field *fd, fcg_vkind *out)
{
    switch (fd->type) {
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32:
        *out = FCG_V_INT32;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64:
        *out = FCG_V_INT64;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32:
        *out = FCG_V_UINT32;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64:
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64:
        *out = FCG_V_UINT64;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT:
        *out = FCG_V_FLOAT;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE:
        *out = FCG_V_DOUBLE;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL:
        *out = FCG_V_BOOL;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM:
        *out = FCG_V_ENUM;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING:
        *out = FCG_V_STRING;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BYTES:
        *out = FCG_V_BYTES;
        return 0;
    case GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE:
        *out = FCG_V_MESSAGE;
        return 0;
    default:
        return -1; /* groups */
    }
}

static const char *kind_name(fcg_vkind k)
{
    static const char *const names[] = {"int32",  "int64",  "uint32",   "uint64",
                                        "float",  "double", "bool",     "an enum",
                                        "string", "bytes",  "a message"};
    return names[k];
}

static int is_integer(fcg_vkind k)
{
    return k == FCG_V_INT32 || k == FCG_V_INT64 || k == FCG_V_UINT32 || k == FCG_V_UINT64;
}

static int is_number(fcg_vkind k)
{
    return is_integer(k) || k == FCG_V_FLOAT || k == FCG_V_DOUBLE;
}

/* The values of an integer kind, as doubles. */
static void range_of(fcg_vkind k, double *lo, double *hi)
{
    switch (k) {
    case FCG_V_INT32:
        *lo = -2147483648.0, *hi = 2147483647.0;
        break;
    case FCG_V_UINT32:
        *lo = 0, *hi = 4294967295.0;
        break;
    case FCG_V_INT64:
        *lo = -9223372036854775808.0, *hi = 9223372036854775807.0;
        break;
    case FCG_V_UINT64:
        *lo = 0, *hi = 18446744073709551615.0;
        break;
    default:
        *lo = -HUGE_VAL, *hi = HUGE_VAL;
    }
}

/* The shortest text of `x` that reads back as it. */
static const char *double_text(fcg_arena *a, double x)
{
    char s[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, x);
        if (strtod(s, NULL) == x)
            break;
    }
    return fcg_arena_strdup(a, s);
}

/* The shortest text of `x` that reads back as that float. */
static const char *float_text(fcg_arena *a, float x)
{
    char s[40];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, (double)x);
        if (strtof(s, NULL) == x)
            break;
    }
    return fcg_arena_strdup(a, s);
}

/* An int64 value as a C expression: INT64_C(-9223372036854775808) does not
 * compile (the literal is the positive number, which int64_t cannot hold, and
 * then its negation), so the least value is spelled INT64_MIN. */
static const char *int64_literal(fcg_arena *a, long long v)
{
    return v == INT64_MIN ? fcg_arena_strdup(a, "INT64_MIN")
                          : fcg_arena_printf(a, "INT64_C(%lld)", v);
}

/* `x` (checked to be a value of kind k) as a C literal of that kind, and as
 * the reason shows it. */
static void literal(fcg_arena *a, fcg_vkind k, double x, fcg_vbound *b)
{
    switch (k) {
    case FCG_V_INT32:
    case FCG_V_ENUM:
        b->lit = fcg_arena_printf(a, "%lld", (long long)x);
        b->text = b->lit;
        return;
    case FCG_V_INT64:
        b->lit = int64_literal(a, (long long)x);
        b->text = fcg_arena_printf(a, "%lld", (long long)x);
        return;
    case FCG_V_UINT32:
        b->lit = fcg_arena_printf(a, "%lluu", (unsigned long long)x);
        b->text = fcg_arena_printf(a, "%llu", (unsigned long long)x);
        return;
    case FCG_V_UINT64:
        b->lit = fcg_arena_printf(a, "UINT64_C(%llu)", (unsigned long long)x);
        b->text = fcg_arena_printf(a, "%llu", (unsigned long long)x);
        return;
    case FCG_V_FLOAT:
        /* A float field is compared with a float: 0.3f is above the double
         * 0.3, so `lte: 0.3` would refuse it, and `in: ["0.1"]` match no
         * float at all. The value, within float's range (bound() and
         * list_value() check), is rounded to the nearest float. */
        b->text = float_text(a, (float)x);
        b->lit = b->text == NULL                  ? NULL
                 : strpbrk(b->text, ".e") == NULL ? fcg_arena_printf(a, "%s.0f", b->text)
                                                  : fcg_arena_printf(a, "%sf", b->text);
        return;
    default:
        b->text = double_text(a, x);
        b->lit = b->text != NULL && strpbrk(b->text, ".e") == NULL
                     ? fcg_arena_printf(a, "%s.0", b->text)
                     : b->text;
        return;
    }
}

/* A bound on a number of kind k: refused when it is not a value the kind can
 * hold exactly; dropped (lit NULL) when every value meets it. `lower`: a
 * gt/gte bound; `strict`: gt/lt. */
static int bound(rules_ctx *rc, const char *role, const char *name, fcg_vkind k, double x,
                 int lower, int strict, fcg_vbound *out)
{
    memset(out, 0, sizeof *out);
    if (!isfinite(x)) {
        field_error(rc, "(ferry.field)%s.%s must be a finite number", role, name);
        return -1;
    }
    if (is_integer(k)) {
        if (x != floor(x) || fabs(x) > 9007199254740992.0) {
            field_error(rc, "(ferry.field)%s.%s is %s; %s fields take whole numbers within +-2^53",
                        role, name, double_text(rc->a, x), kind_name(k));
            return -1;
        }
        double lo, hi;
        range_of(k, &lo, &hi);
        /* Always true for the type: nothing to check. Never true: refused. */
        int always = lower ? (strict ? x < lo : x <= lo) : (strict ? x > hi : x >= hi);
        int never = lower ? (strict ? x >= hi : x > hi) : (strict ? x <= lo : x < lo);
        if (never) {
            field_error(rc, "(ferry.field)%s.%s %s: no %s value can meet it", role, name,
                        double_text(rc->a, x), kind_name(k));
            return -1;
        }
        if (always)
            return 0;
    }
    if (k == FCG_V_FLOAT && fabs(x) > FLT_MAX) {
        field_error(rc,
                    "(ferry.field)%s.%s %s is beyond the range of float (at most %g either side)",
                    role, name, double_text(rc->a, x), (double)FLT_MAX);
        return -1;
    }
    literal(rc->a, k, x, out);
    return 0;
}

/* One `in` / `not_in` entry as a value of kind k (a C literal), or NULL. */
static const char *list_value(rules_ctx *rc, fcg_vkind k, const fcg_venum *en, const char *text)
{
    if (k == FCG_V_STRING || k == FCG_V_BYTES)
        return text;
    char *end = NULL;
    errno = 0;
    fcg_vbound b = {0};
    if (k == FCG_V_ENUM) {
        const Google__Protobuf__EnumDescriptorProto *ep = NULL;
        for (size_t i = 0; i < rc->n_enums && ep == NULL; i++)
            if (rc->enums[i].v == en)
                ep = rc->enums[i].proto;
        for (size_t i = 0; ep != NULL && i < ep->n_value; i++)
            if (ep->value[i]->name != NULL && strcmp(ep->value[i]->name, text) == 0)
                return fcg_arena_printf(rc->a, "%d", (int)ep->value[i]->number);
        long long v = strtoll(text, &end, 10);
        if (end == text || *end != '\0' || errno != 0 || v < INT32_MIN || v > INT32_MAX)
            return NULL;
        return fcg_arena_printf(rc->a, "%lld", v);
    }
    if (k == FCG_V_FLOAT || k == FCG_V_DOUBLE) {
        double x = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(x) || (k == FCG_V_FLOAT && fabs(x) > FLT_MAX))
            return NULL;
        literal(rc->a, k, x, &b);
        return b.lit;
    }
    if (k == FCG_V_UINT32 || k == FCG_V_UINT64) {
        if (text[0] == '-')
            return NULL;
        unsigned long long v = strtoull(text, &end, 10);
        if (end == text || *end != '\0' || errno != 0 || (k == FCG_V_UINT32 && v > UINT32_MAX))
            return NULL;
        return k == FCG_V_UINT32 ? fcg_arena_printf(rc->a, "%lluu", v)
                                 : fcg_arena_printf(rc->a, "UINT64_C(%llu)", v);
    }
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 ||
        (k == FCG_V_INT32 && (v < INT32_MIN || v > INT32_MAX)))
        return NULL;
    return k == FCG_V_INT32 ? fcg_arena_printf(rc->a, "%lld", v) : int64_literal(rc->a, v);
}

static int list(rules_ctx *rc, const char *role, const char *name, fcg_vkind k, const fcg_venum *en,
                char **texts, size_t n, const char ***out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    const char **vals = fcg_arena_alloc(rc->a, n * sizeof *vals);
    if (vals == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        vals[i] = list_value(rc, k, en, texts[i]);
        if (vals[i] == NULL) {
            field_error(rc, "(ferry.field)%s.%s[%zu] \"%s\" is not a value of %s%s%s", role, name,
                        i, texts[i], kind_name(k), en != NULL ? " " : "",
                        en != NULL ? en->full_name : "");
            return -1;
        }
    }
    *out = vals;
    *n_out = n;
    return 0;
}

/* ---- NUL bytes in listed values ------------------------------------------ */

/* protobuf-c hands a string over as C text: a NUL byte in an `in` or `not_in`
 * value (written "\0" in the .proto) ends it there, and the rest of it would
 * be lost without a word ("a\0b" read as "a", "1\0002" as 1). The generated
 * lists are C strings too, for bytes fields as well (ferry_v_bytes_in()
 * compares up to the first NUL), so such a value is refused; the option's
 * bytes, read here, still hold it whole. */

/* FieldOptions field numbers (ferry/options.proto). */
enum { OPT_IN = 9, OPT_NOT_IN = 10, OPT_ITEMS = 15, OPT_KEYS = 16, OPT_VALUES = 17 };

typedef struct nul_scan {
    rules_ctx *rc;
    size_t seen[4][2]; /* values read so far, per role ("", items, keys, values) and list */
    int found;
} nul_scan;

/* Reports the value v[0..n), the index-th of list `list` of role `role`. */
static void nul_value(nul_scan *ns, int role, int list, size_t index, const uint8_t *v, size_t n)
{
    static const char *const roles[] = {"", ".items", ".keys", ".values"};
    char text[80];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 8 < sizeof text; i++) {
        if (v[i] >= 0x20 && v[i] < 0x7f && v[i] != '"' && v[i] != '\\')
            text[k++] = (char)v[i];
        else
            k += (size_t)snprintf(text + k, sizeof text - k, "\\%03o", v[i]);
    }
    text[k] = '\0';
    field_error(ns->rc,
                "(ferry.field)%s.%s[%zu] \"%s%s\" holds a NUL byte, which no value of in or "
                "not_in may hold, of a bytes field neither: the validator compares them as C "
                "strings, which end at the first NUL",
                roles[role], list == 0 ? "in" : "not_in", index, text,
                k + 8 >= sizeof text ? "..." : "");
    ns->found = 1;
}

/* Walks the FieldOptions encoded in p[0..len) for role `role`, and those of
 * its items, keys and values; protobuf-c has read the same bytes, so they
 * are well formed. */
static void nul_walk(nul_scan *ns, const uint8_t *p, size_t len, int role)
{
    for (size_t at = 0; at < len;) {
        uint64_t key, n;
        size_t k = fcg_read_varint(p + at, len - at, &key);
        if (k == 0)
            return;
        at += k;
        switch (key & 7) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
            k = fcg_read_varint(p + at, len - at, &n);
            if (k == 0)
                return;
            at += k;
            break;
        case PROTOBUF_C_WIRE_TYPE_64BIT:
            at += 8;
            break;
        case PROTOBUF_C_WIRE_TYPE_32BIT:
            at += 4;
            break;
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
            k = fcg_read_varint(p + at, len - at, &n);
            if (k == 0 || n > len - at - k)
                return;
            at += k;
            if (key >> 3 == OPT_IN || key >> 3 == OPT_NOT_IN) {
                int list = key >> 3 == OPT_NOT_IN;
                size_t index = ns->seen[role][list]++;
                if (memchr(p + at, 0, (size_t)n) != NULL)
                    nul_value(ns, role, list, index, p + at, (size_t)n);
            } else if (role == 0 && key >> 3 >= OPT_ITEMS && key >> 3 <= OPT_VALUES) {
                /* Deeper rules are refused where they are read. */
                nul_walk(ns, p + at, (size_t)n, (int)(key >> 3) - OPT_ITEMS + 1);
            }
            at += (size_t)n;
            break;
        default:
            return;
        }
    }
}

/* Refuses every `in` and `not_in` value of field fd's rules that holds a NUL
 * byte; -1 when there was one. */
static int refuse_nul_values(rules_ctx *rc, const Field *fd)
{
    const uint8_t *bytes;
    size_t len;
    const char *why;
    if (fd->options == NULL ||
        fcg_option_bytes(rc->a, &fd->options->base, FCG_FERRY_OPTION_FIELD, &bytes, &len, &why) !=
            0 ||
        bytes == NULL)
        return 0; /* a malformed option is reported by fcg_field_rules() */
    nul_scan ns = {.rc = rc};
    nul_walk(&ns, bytes, len, 0);
    return ns.found ? -1 : 0;
}

/* ---- the rules of one value ----------------------------------------------- */

/* Which rules a value may carry besides its kind's: those of the field
 * itself (repeated, map) are checked by the caller. */
static int refuse(rules_ctx *rc, const char *role, const char *rule, const char *applies,
                  fcg_vkind k)
{
    field_error(rc, "(ferry.field)%s.%s: for %s only, not %s", role, rule, applies, kind_name(k));
    return -1;
}

static int value_rules(rules_ctx *rc, const char *role, const Ferry__FieldOptions *r, fcg_vkind k,
                       const char *type_name, fcg_vrule *out)
{
    memset(out, 0, sizeof *out);
    out->kind = k;
    out->r = r != NULL ? r : &no_rules;
    r = out->r;
    int rc_ = 0;
    const fcg_venum *en = NULL;
    if (k == FCG_V_ENUM) {
        en = find_enum(rc, type_name);
        if (en == NULL) {
            field_error(rc, "enum type %s is not in the request", type_name ? type_name : "?");
            return -1;
        }
        if (r->has_defined_only && r->defined_only)
            out->defined = en;
    } else if (r->has_defined_only && r->defined_only) {
        rc_ |= refuse(rc, role, "defined_only", "enum fields", k);
    }
    int bounds = r->has_gt || r->has_gte || r->has_lt || r->has_lte;
    if (bounds && !is_number(k))
        rc_ |= refuse(rc, role, "gt, gte, lt and lte", "number fields", k);
    else if (bounds) {
        if (r->has_gt && r->has_gte)
            field_error(rc, "(ferry.field)%s sets both gt and gte", role), rc_ = -1;
        if (r->has_lt && r->has_lte)
            field_error(rc, "(ferry.field)%s sets both lt and lte", role), rc_ = -1;
        double lo = r->has_gt ? r->gt : r->has_gte ? r->gte : -HUGE_VAL;
        double hi = r->has_lt ? r->lt : r->has_lte ? r->lte : HUGE_VAL;
        int open = r->has_gt || r->has_lt;
        if (lo > hi || (lo == hi && open)) {
            field_error(rc, "(ferry.field)%s: no value is within the bounds it sets", role);
            rc_ = -1;
        }
        if (r->has_gt)
            rc_ |= bound(rc, role, "gt", k, r->gt, 1, 1, &out->gt);
        if (r->has_gte)
            rc_ |= bound(rc, role, "gte", k, r->gte, 1, 0, &out->gte);
        if (r->has_lt)
            rc_ |= bound(rc, role, "lt", k, r->lt, 0, 1, &out->lt);
        if (r->has_lte)
            rc_ |= bound(rc, role, "lte", k, r->lte, 0, 0, &out->lte);
    }
    if ((r->has_min_len || r->has_max_len) && k != FCG_V_STRING && k != FCG_V_BYTES)
        rc_ |= refuse(rc, role, "min_len and max_len", "string and bytes fields", k);
    else if (r->has_min_len && r->has_max_len && r->min_len > r->max_len) {
        field_error(rc, "(ferry.field)%s.min_len %u is more than max_len %u", role, r->min_len,
                    r->max_len);
        rc_ = -1;
    }
    if (r->has_format && r->format != FERRY__STRING_FORMAT__FORMAT_NONE) {
        if (k != FCG_V_STRING)
            rc_ |= refuse(rc, role, "format", "string fields", k);
        else if (r->format > FERRY__STRING_FORMAT__FORMAT_IPV6) {
            field_error(rc, "(ferry.field)%s.format has the unknown value %d", role,
                        (int)r->format);
            rc_ = -1;
        }
    }
    if ((r->n_in > 0 || r->n_not_in > 0) && (k == FCG_V_MESSAGE || k == FCG_V_BOOL))
        rc_ |= refuse(rc, role, "in and not_in", "string, bytes, number and enum fields", k);
    else if (rc_ == 0) {
        rc_ |= list(rc, role, "in", k, en, r->in, r->n_in, &out->in, &out->n_in);
        rc_ |=
            list(rc, role, "not_in", k, en, r->not_in, r->n_not_in, &out->not_in, &out->n_not_in);
    }
    if (r->has_skip && r->skip && k != FCG_V_MESSAGE)
        rc_ |= refuse(rc, role, "skip", "message fields", k);
    if (k == FCG_V_MESSAGE) {
        out->msg = find_type(rc, type_name);
        if (out->msg == NULL) {
            field_error(rc, "message type %s is not in the request", type_name ? type_name : "?");
            return -1;
        }
    }
    return rc_;
}

/* True when rule r sets anything a value is checked against. */
static int checks_value(const fcg_vrule *v)
{
    const Ferry__FieldOptions *r = v->r;
    return (r->has_required && r->required) || v->gt.lit || v->gte.lit || v->lt.lit || v->lte.lit ||
           r->has_min_len || r->has_max_len || (r->has_format && r->format != 0) || v->n_in ||
           v->n_not_in || v->defined;
}

static void resolve(rules_ctx *rc, fcg_type *t);

static int field_level(const Ferry__FieldOptions *r)
{
    return r->has_min_items || r->has_max_items || (r->has_unique && r->unique) ||
           r->items != NULL || r->keys != NULL || r->values != NULL;
}

/* Reads field k of t into *vf; returns 1 when it is kept, 0 when it has
 * nothing to check, -1 on an error. */
static int read_field(rules_ctx *rc, fcg_type *t, size_t k, fcg_vfield *vf)
{
    const Field *fd = t->proto->field[k];
    rc->t = t;
    rc->fd = fd;
    rc->field_index = k;
    const Ferry__FieldOptions *r;
    const char *why;
    if (fcg_field_rules(rc->a, fd, &r, &why) != 0) {
        field_error(rc, "option (ferry.field) is malformed: %s", why);
        return -1;
    }
    if (r != NULL && refuse_nul_values(rc, fd) != 0)
        return -1;
    fcg_vkind kind;
    if (fd->name == NULL || kind_of(fd, &kind) != 0)
        return r != NULL ? (field_error(rc, "groups cannot carry rules"), -1) : 0;
    if (r == NULL && kind != FCG_V_MESSAGE)
        return 0;
    if (r == NULL)
        r = &no_rules;

    memset(vf, 0, sizeof *vf);
    vf->value.r = vf->item.r = vf->key.r = vf->val.r = &no_rules;
    vf->name = fd->name;
    vf->member = fcg_to_lower(rc->a, fd->name);
    if (vf->member != NULL && fcg_protoc_c_renames(vf->member))
        vf->member = fcg_arena_printf(rc->a, "%s_", vf->member);
    vf->number = fd->number;
    vf->deprecated = fd->options != NULL && fd->options->has_deprecated && fd->options->deprecated;
    vf->repeated = fd->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
    const fcg_type *target = kind == FCG_V_MESSAGE ? find_type(rc, fd->type_name) : NULL;
    vf->map = vf->repeated && target != NULL && target->proto->options != NULL &&
              target->proto->options->has_map_entry && target->proto->options->map_entry;
    int rc_ = 0;

    if (!vf->repeated) {
        if (field_level(r)) {
            field_error(rc, "min_items, max_items, unique, items, keys and values apply to "
                            "repeated and map fields only");
            return -1;
        }
        int proto3 = t->file->syntax != NULL && strcmp(t->file->syntax, "proto3") == 0;
        if (fd->has_oneof_index && fd->oneof_index >= 0 &&
            (size_t)fd->oneof_index < t->proto->n_oneof_decl &&
            !(fd->has_proto3_optional && fd->proto3_optional)) {
            vf->presence = FCG_PRES_ONEOF;
            /* protoc-c names the member after the oneof in lower_snake_case
             * (CamelToLower): oneof myChoice -> my_choice_case. */
            const char *oneof = t->proto->oneof_decl[fd->oneof_index]->name;
            vf->oneof_case =
                fcg_arena_printf(rc->a, "%s_case", fcg_camel_to_lower(rc->a, oneof ? oneof : "?"));
        } else if (kind == FCG_V_MESSAGE ||
                   (kind == FCG_V_STRING && !proto3 &&
                    fd->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED)) {
            vf->presence = FCG_PRES_PTR;
            /* protoc-c gives a string with a [default] (even "") a pointer to
             * its default instead of NULL while it is not set, in the INIT
             * macro and when unpacking. */
            if (kind == FCG_V_STRING && fd->default_value != NULL)
                vf->default_value = fcg_arena_printf(rc->a, "%s__%s__default_value", t->c_lower,
                                                     fcg_camel_to_lower(rc->a, fd->name));
        } else if (!proto3 &&
                   fd->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL) {
            vf->presence = FCG_PRES_HAS;
        } else {
            vf->presence = FCG_PRES_ALWAYS;
        }
        rc_ |= value_rules(rc, "", r, kind, fd->type_name, &vf->value);
        if (rc_ == 0 && kind == FCG_V_MESSAGE && !(r->has_skip && r->skip))
            resolve(rc, (fcg_type *)vf->value.msg);
        if (rc_ == 0 && kind == FCG_V_MESSAGE && r->has_skip && r->skip)
            vf->value.msg = NULL;
        return rc_ != 0 ? -1 : 1;
    }

    /* Repeated and map: the field's own rules. */
    if (r->has_gt || r->has_gte || r->has_lt || r->has_lte || r->has_min_len || r->has_max_len ||
        (r->has_format && r->format) || r->n_in || r->n_not_in ||
        (r->has_defined_only && r->defined_only) || (r->has_skip && r->skip)) {
        field_error(rc, "rules of a repeated field's values go in (ferry.field).%s",
                    vf->map ? "keys or values" : "items");
        return -1;
    }
    if (r->has_min_items && r->has_max_items && r->min_items > r->max_items) {
        field_error(rc, "(ferry.field).min_items %u is more than max_items %u", r->min_items,
                    r->max_items);
        rc_ = -1;
    }
    vf->value.kind = kind;
    vf->value.r = r;
    if (vf->map) {
        if ((r->has_unique && r->unique) || r->items != NULL) {
            field_error(rc, "unique and items do not apply to map fields; use keys and values");
            return -1;
        }
        vf->entry = target;
        const Field *kf = NULL, *vfd = NULL;
        for (size_t i = 0; i < target->proto->n_field; i++) {
            if (target->proto->field[i]->number == 1)
                kf = target->proto->field[i];
            if (target->proto->field[i]->number == 2)
                vfd = target->proto->field[i];
        }
        fcg_vkind kk, vk;
        if (kf == NULL || vfd == NULL || kind_of(kf, &kk) != 0 || kind_of(vfd, &vk) != 0) {
            field_error(rc, "the map's entry type is malformed");
            return -1;
        }
        rc_ |= value_rules(rc, ".keys", r->keys, kk, kf->type_name, &vf->key);
        rc_ |= value_rules(rc, ".values", r->values, vk, vfd->type_name, &vf->val);
        if (r->keys != NULL && field_level(r->keys))
            field_error(rc, "(ferry.field).keys takes rules of one key"), rc_ = -1;
        if (r->values != NULL && field_level(r->values))
            field_error(rc, "(ferry.field).values takes rules of one value"), rc_ = -1;
        if (rc_ == 0 && vk == FCG_V_MESSAGE &&
            !(r->values && r->values->has_skip && r->values->skip))
            resolve(rc, (fcg_type *)vf->val.msg);
        else if (rc_ == 0 && vk == FCG_V_MESSAGE)
            vf->val.msg = NULL;
        return rc_ != 0 ? -1 : 1;
    }
    if (r->keys != NULL || r->values != NULL) {
        field_error(rc, "keys and values apply to map fields only; use items");
        return -1;
    }
    if (r->has_unique && r->unique && (kind == FCG_V_MESSAGE)) {
        field_error(rc, "(ferry.field).unique applies to repeated scalars, strings and bytes");
        return -1;
    }
    rc_ |= value_rules(rc, ".items", r->items, kind, fd->type_name, &vf->item);
    if (r->items != NULL && field_level(r->items))
        field_error(rc, "(ferry.field).items takes rules of one item"), rc_ = -1;
    if (rc_ == 0 && kind == FCG_V_MESSAGE && !(r->items && r->items->has_skip && r->items->skip))
        resolve(rc, (fcg_type *)vf->item.msg);
    else if (rc_ == 0 && kind == FCG_V_MESSAGE)
        vf->item.msg = NULL;
    return rc_ != 0 ? -1 : 1;
}

/* Reads the rules of t's fields, then of every message type they reach. */
static void resolve(rules_ctx *rc, fcg_type *t)
{
    if (t == NULL || t->v != NULL)
        return;
    fcg_vmsg *v = fcg_arena_alloc(rc->a, sizeof *v);
    fcg_type **seen = fcg_arena_alloc(rc->a, (rc->n_seen + 1) * sizeof *seen);
    if (v == NULL || seen == NULL)
        return;
    memset(v, 0, sizeof *v);
    t->v = v;
    if (rc->n_seen > 0)
        memcpy(seen, rc->seen, rc->n_seen * sizeof *seen);
    seen[rc->n_seen++] = t;
    rc->seen = seen;
    v->fn = fcg_arena_printf(rc->a, "%s__ferry_validate", t->c_lower);
    v->fields = fcg_arena_alloc(rc->a, (t->proto->n_field + 1) * sizeof *v->fields);
    if (v->fields == NULL)
        return;
    for (size_t k = 0; k < t->proto->n_field; k++) {
        fcg_vfield vf;
        if (read_field(rc, t, k, &vf) == 1)
            v->fields[v->n_fields++] = vf;
    }
}

/* Whether a message value leads to a validator. */
static int nested(const fcg_type *msg)
{
    return msg != NULL && msg->v != NULL && msg->v->needed;
}

static int field_needed(fcg_vfield *f)
{
    if (!f->repeated) {
        return checks_value(&f->value) || nested(f->value.msg);
    }
    f->has_items = checks_value(&f->item) || nested(f->item.msg);
    f->has_key = checks_value(&f->key);
    f->has_val = checks_value(&f->val) || nested(f->val.msg);
    const Ferry__FieldOptions *r = f->value.r;
    return (r->has_required && r->required) || r->has_min_items || r->has_max_items ||
           (r->has_unique && r->unique) || f->has_items || f->has_key || f->has_val;
}

int fcg_rules_load(fcg_arena *a, const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                   fcg_type *types, size_t n_types, fcg_file *files, size_t n_files, fcg_diag *d)
{
    unsigned errors = d->count;
    rules_ctx rc = {.a = a, .d = d, .types = types, .n_types = n_types};
    size_t total = 0;
    for (size_t i = 0; i < req->n_proto_file; i++)
        total +=
            req->proto_file[i]->n_enum_type +
            count_enums(req->proto_file[i]->message_type, req->proto_file[i]->n_message_type, 0);
    rc.enums = fcg_arena_alloc(a, (total + 1) * sizeof *rc.enums);
    if (rc.enums == NULL)
        return -1;
    for (size_t i = 0; i < req->n_proto_file; i++) {
        const Google__Protobuf__FileDescriptorProto *f = req->proto_file[i];
        const char *scope =
            f->package != NULL && f->package[0] ? fcg_arena_printf(a, ".%s", f->package) : "";
        if (scope != NULL)
            add_enums(&rc, scope, f->enum_type, f->n_enum_type, f->message_type, f->n_message_type,
                      0);
    }
    qsort(rc.enums, rc.n_enums, sizeof *rc.enums, cmp_enum);

    for (size_t i = 0; i < n_files; i++)
        for (size_t s = 0; s < files[i].n_services; s++)
            for (size_t m = 0; m < files[i].services[s].n_methods; m++) {
                resolve(&rc, (fcg_type *)files[i].services[s].methods[m].input);
                /* Responses get no validator, but their rules are `ferry
                 * check`'s to compare: they must make sense all the same. */
                resolve(&rc, (fcg_type *)files[i].services[s].methods[m].output);
            }

    /* A message needs a validator when a field of its own has a rule, or
     * leads to a message that needs one; cycles settle in a few rounds. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < rc.n_seen; i++) {
            fcg_vmsg *v = rc.seen[i]->v;
            if (v->needed)
                continue;
            for (size_t k = 0; k < v->n_fields && !v->needed; k++)
                v->needed = field_needed(&v->fields[k]);
            changed |= v->needed;
        }
    }
    for (size_t i = 0; i < rc.n_seen; i++) {
        fcg_vmsg *v = rc.seen[i]->v;
        for (size_t k = 0; k < v->n_fields; k++)
            field_needed(&v->fields[k]);
    }
    return d->count == errors ? 0 : -1;
}
