/* compat.c - whether a field whose type changed still reads what the other
 * version writes. The groups follow protobuf's encoding:
 *   varint: int32, uint32, int64, uint64, bool, enum (same encoding; values
 *           may be truncated or change sign when read as another of them)
 *   zigzag varint: sint32, sint64
 *   4 bytes: fixed32, sfixed32 (float reads the same bytes as a float)
 *   8 bytes: fixed64, sfixed64 (double: the same bytes as a double)
 *   length-delimited: string, bytes (string must be UTF-8), and a message
 *           with bytes that hold its encoding
 * Any other change of type is breaking, and so is a change between two
 * message or two enum types (once the new package of a new major version is
 * taken into account). */
#include <string.h>

#include "compare.h"

/* The wire type (0 varint, 1 eight bytes, 2 length-delimited, 3 group,
 * 5 four bytes) of a field type. */
static int wire_type(int t)
{
    switch (t) {
    case FCK_TYPE_DOUBLE:
    case FCK_TYPE_FIXED64:
    case FCK_TYPE_SFIXED64:
        return 1;
    case FCK_TYPE_STRING:
    case FCK_TYPE_BYTES:
    case FCK_TYPE_MESSAGE:
        return 2;
    case FCK_TYPE_GROUP:
        return 3;
    case FCK_TYPE_FLOAT:
    case FCK_TYPE_FIXED32:
    case FCK_TYPE_SFIXED32:
        return 5;
    default:
        return 0;
    }
}

static const char *wire_name(int t)
{
    switch (wire_type(t)) {
    case 1:
        return "8 bytes";
    case 2:
        return "length-delimited";
    case 3:
        return "a group";
    case 5:
        return "4 bytes";
    default:
        return t == FCK_TYPE_SINT32 || t == FCK_TYPE_SINT64 ? "a zigzag varint" : "a varint";
    }
}

static int plain_varint(int t)
{
    return t == FCK_TYPE_INT32 || t == FCK_TYPE_INT64 || t == FCK_TYPE_UINT32 ||
           t == FCK_TYPE_UINT64 || t == FCK_TYPE_BOOL || t == FCK_TYPE_ENUM;
}

static int is_64(int t)
{
    return t == FCK_TYPE_INT64 || t == FCK_TYPE_UINT64 || t == FCK_TYPE_SINT64;
}

static int is_unsigned(int t)
{
    return t == FCK_TYPE_UINT32 || t == FCK_TYPE_UINT64;
}

/* The type of `f` as a reader would write it. */
const char *fck_type_text(fck_cmp *c, const fck_schema *s, const fck_field *f)
{
    if (f->type_name == NULL)
        return fck_type_str(f->type);
    if (f->type != FCK_TYPE_MESSAGE)
        return f->type_name;
    const fck_message *m = fck_find_message(s, f->type_name);
    if (m == NULL || !m->map_entry)
        return f->type_name;
    const fck_field *k = fck_field_by_number(m, 1), *v = fck_field_by_number(m, 2);
    if (k == NULL || v == NULL)
        return f->type_name;
    return fck_fmt(c, "map<%s, %s>", k->type_name ? k->type_name : fck_type_str(k->type),
                   v->type_name ? v->type_name : fck_type_str(v->type));
}

/* Two types of the plain varint group. */
static fck_compat varints(fck_cmp *c, int a, int b, const char *change, const char **why)
{
    const char *mind;
    if (a == FCK_TYPE_BOOL || b == FCK_TYPE_BOOL)
        mind = "a bool reads every number but 0 as true";
    else if (a == FCK_TYPE_ENUM || b == FCK_TYPE_ENUM)
        mind = "numbers the enum does not declare are unknown values to peers that read the enum";
    else if (is_64(a) != is_64(b) && is_unsigned(a) != is_unsigned(b))
        mind = "values beyond 32 bits are truncated and negative values read as large unsigned "
               "ones";
    else if (is_64(a) != is_64(b))
        mind = "values beyond 32 bits are truncated by peers that read the 32-bit type";
    else
        mind = "negative values read as large unsigned ones";
    *why = fck_fmt(c,
                   "%s: the same varint encoding, but %s; any order while every value fits "
                   "both types",
                   change, mind);
    return FCK_COMPATIBLE;
}

/* Two types of different names but one encoding, or none. */
static fck_compat scalars(fck_cmp *c, const fck_field *f, const fck_field *g, const char *change,
                          const char **why)
{
    int a = f->type, b = g->type;
    if (plain_varint(a) && plain_varint(b))
        return varints(c, a, b, change, why);
    const char *mind = NULL;
    if ((a == FCK_TYPE_SINT32 && b == FCK_TYPE_SINT64) ||
        (a == FCK_TYPE_SINT64 && b == FCK_TYPE_SINT32))
        mind = "the same zigzag encoding, but values beyond 32 bits are truncated by peers that "
               "read sint32";
    else if ((a == FCK_TYPE_FIXED32 && b == FCK_TYPE_SFIXED32) ||
             (a == FCK_TYPE_SFIXED32 && b == FCK_TYPE_FIXED32))
        mind = "the same 4 bytes, but values above 2147483647 read as negative sfixed32 values";
    else if ((a == FCK_TYPE_FIXED64 && b == FCK_TYPE_SFIXED64) ||
             (a == FCK_TYPE_SFIXED64 && b == FCK_TYPE_FIXED64))
        mind = "the same 8 bytes, but values above 9223372036854775807 read as negative sfixed64 "
               "values";
    else if ((a == FCK_TYPE_STRING && b == FCK_TYPE_BYTES) ||
             (a == FCK_TYPE_BYTES && b == FCK_TYPE_STRING))
        mind = "the same encoding, but peers that read a string refuse bytes that are not UTF-8";
    else if ((a == FCK_TYPE_MESSAGE && b == FCK_TYPE_BYTES) ||
             (a == FCK_TYPE_BYTES && b == FCK_TYPE_MESSAGE))
        mind = "the same encoding as long as the bytes hold an encoded message of that type";
    if (mind != NULL) {
        *why = fck_fmt(c, "%s: %s; any order while every value fits both types", change, mind);
        return FCK_COMPATIBLE;
    }
    if (wire_type(a) != wire_type(b))
        *why = fck_fmt(c,
                       "%s: the encoding changes from %s to %s, so peers refuse or drop what the "
                       "other version sends",
                       change, wire_name(a), wire_name(b));
    else if (wire_type(a) == 0)
        *why = fck_fmt(c,
                       "%s: one is zigzag-encoded and the other not, so peers misread every "
                       "value the other version sends",
                       change);
    else if (wire_type(a) == 2)
        *why = fck_fmt(c,
                       "%s: both are length-delimited, but peers cannot read the other version's "
                       "bytes as their type",
                       change);
    else
        *why = fck_fmt(c,
                       "%s: the same number of bytes, but one is a floating-point number and "
                       "the other an integer, so peers misread every value",
                       change);
    return FCK_BREAKING;
}

static fck_compat worst(fck_compat a, fck_compat b)
{
    return a > b ? a : b;
}

static fck_compat compat_at(fck_cmp *c, const fck_field *f, const fck_field *g, const char **why,
                            int depth);

/* A map's entry message: a key numbered 1 and a value numbered 2. A lock
 * file may claim a map entry that is not; it is then compared by name. */
static int well_formed_map(const fck_message *m)
{
    return m->map_entry && m->n_fields == 2 && fck_field_by_number(m, 1) != NULL &&
           fck_field_by_number(m, 2) != NULL;
}

/* Two map fields: their entry messages' key and value fields. */
static fck_compat maps(fck_cmp *c, const fck_message *om, const fck_message *nm, const char *change,
                       const char **why, int depth)
{
    const fck_field *ok = fck_field_by_number(om, 1), *ov = fck_field_by_number(om, 2);
    const fck_field *nk = fck_field_by_number(nm, 1), *nv = fck_field_by_number(nm, 2);
    const char *kwhy = NULL, *vwhy = NULL;
    fck_compat rk = compat_at(c, ok, nk, &kwhy, depth + 1);
    fck_compat rv = compat_at(c, ov, nv, &vwhy, depth + 1);
    fck_compat r = worst(rk, rv);
    if (r != FCK_SAME)
        *why = fck_fmt(c, "%s: %s %s", change, rk != FCK_SAME ? "key" : "value",
                       rk != FCK_SAME ? kwhy : vwhy);
    return r;
}

/* `depth` > 0 inside a map entry: a map's value is never a map itself, and
 * stopping there keeps a hostile lock file from recursing. */
static fck_compat compat_at(fck_cmp *c, const fck_field *f, const fck_field *g, const char **why,
                            int depth)
{
    const char *change =
        fck_fmt(c, "%s -> %s", fck_type_text(c, c->o, f), fck_type_text(c, c->n, g));
    if (f->type != g->type)
        return scalars(c, f, g, change, why);
    if (f->type_name == NULL || g->type_name == NULL)
        return FCK_SAME;
    if (f->type == FCK_TYPE_MESSAGE && depth == 0) {
        const fck_message *om = fck_find_message(c->o, f->type_name);
        const fck_message *nm = fck_find_message(c->n, g->type_name);
        if (om != NULL && nm != NULL && well_formed_map(om) && well_formed_map(nm))
            return maps(c, om, nm, change, why, depth);
    }
    if (strcmp(fck_tr(c, f->type_name), g->type_name) == 0)
        return FCK_SAME;
    if (f->type == FCK_TYPE_ENUM)
        *why = fck_fmt(c, "%s: peers read the numbers of one enum as values of the other", change);
    else
        *why = fck_fmt(c, "%s: peers read one message type as the other", change);
    return FCK_BREAKING;
}

fck_compat fck_type_compat(fck_cmp *c, const fck_field *f, const fck_field *g, const char **why)
{
    *why = NULL;
    return compat_at(c, f, g, why, 0);
}
