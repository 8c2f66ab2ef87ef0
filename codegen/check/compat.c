/* compat.c - whether a field whose type changed still reads what the other
 * version writes, and in which deploy order. The groups follow protobuf's
 * encoding:
 *   varint: int32, uint32, int64, uint64, bool, enum (same encoding; values
 *           may be truncated or change sign when read as another of them)
 *   zigzag varint: sint32, sint64
 *   4 bytes: fixed32, sfixed32 (float reads the same bytes as a float)
 *   8 bytes: fixed64, sfixed64 (double: the same bytes as a double)
 *   length-delimited: string, bytes (string must be UTF-8), and a message
 *           with bytes that hold its encoding
 * Any other change of type is breaking, and so is a change between two
 * message or two enum types (once the new package of a new major version is
 * taken into account). Within a group the direction matters: when every
 * value of the old type is one of the new type (int32 -> int64, string ->
 * bytes), only new writers can send what old readers misread, so readers
 * go first; the reverse (bytes -> string) means old writers may send what
 * new readers misread or refuse, so writers go first. Which side writes
 * follows from the message: clients write requests, servers responses. */
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

/* The largest number of bits of a non-negative value of integer type `t`,
 * and whether it holds negative values (an enum as int32, its encoding). */
static int positive_bits(int t)
{
    switch (t) {
    case FCK_TYPE_BOOL:
        return 1;
    case FCK_TYPE_INT32:
    case FCK_TYPE_SINT32:
    case FCK_TYPE_SFIXED32:
    case FCK_TYPE_ENUM:
        return 31;
    case FCK_TYPE_UINT32:
    case FCK_TYPE_FIXED32:
        return 32;
    case FCK_TYPE_INT64:
    case FCK_TYPE_SINT64:
    case FCK_TYPE_SFIXED64:
        return 63;
    default:
        return 64;
    }
}

static int negative_bits(int t)
{
    int unsigned_type =
        t == FCK_TYPE_BOOL || is_unsigned(t) || t == FCK_TYPE_FIXED32 || t == FCK_TYPE_FIXED64;
    return unsigned_type ? 0 : positive_bits(t) + 1;
}

/* Whether every value of type `a` reads as itself in type `b`, for two
 * types of one encoding group. An enum reader sees numbers its enum does
 * not declare as unknown values, so nothing but an enum fits an enum. */
static int fits(int a, int b)
{
    if (a == b)
        return 1;
    if (b == FCK_TYPE_BYTES)
        return a == FCK_TYPE_STRING || a == FCK_TYPE_MESSAGE;
    if (wire_type(a) == 2 || wire_type(b) == 2 || b == FCK_TYPE_ENUM)
        return 0;
    return positive_bits(a) <= positive_bits(b) && negative_bits(a) <= negative_bits(b);
}

/* Whether a reader of `t` refuses a whole message for a value it cannot
 * read (rather than reading it as another value). */
static int refuses(int t)
{
    return t == FCK_TYPE_STRING || t == FCK_TYPE_MESSAGE;
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

/* A change between two types of one encoding: what to mind, and which
 * way values still fit. */
typedef struct shift {
    const char *why;  /* "int32 -> int64: the same varint encoding, but ..." */
    int old_fits_new; /* every value old writers send reads as itself in new readers */
    int new_fits_old; /* and the reverse */
    int new_refuses;  /* new readers refuse a message for a value they cannot read */
} shift;

static void set_fit(shift *sh, int a, int b)
{
    sh->old_fits_new = fits(a, b);
    sh->new_fits_old = fits(b, a);
    sh->new_refuses = refuses(b);
}

/* Two types of the plain varint group. */
static fck_compat varints(fck_cmp *c, int a, int b, const char *change, shift *sh)
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
    sh->why = fck_fmt(c, "%s: the same varint encoding, but %s", change, mind);
    set_fit(sh, a, b);
    return FCK_COMPATIBLE;
}

/* Two types of different names but one encoding, or none. */
static fck_compat scalars(fck_cmp *c, const fck_field *f, const fck_field *g, const char *change,
                          shift *sh)
{
    int a = f->type, b = g->type;
    if (plain_varint(a) && plain_varint(b))
        return varints(c, a, b, change, sh);
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
        mind = "the same encoding, but peers that read the message refuse bytes that do not "
               "hold one of its type";
    if (mind != NULL) {
        sh->why = fck_fmt(c, "%s: %s", change, mind);
        set_fit(sh, a, b);
        return FCK_COMPATIBLE;
    }
    if (wire_type(a) != wire_type(b))
        sh->why = fck_fmt(c,
                          "%s: the encoding changes from %s to %s, so peers refuse or drop what "
                          "the other version sends",
                          change, wire_name(a), wire_name(b));
    else if (wire_type(a) == 0)
        sh->why = fck_fmt(c,
                          "%s: one is zigzag-encoded and the other not, so peers misread every "
                          "value the other version sends",
                          change);
    else if (wire_type(a) == 2)
        sh->why = fck_fmt(c,
                          "%s: both are length-delimited, but peers cannot read the other "
                          "version's bytes as their type",
                          change);
    else
        sh->why = fck_fmt(c,
                          "%s: the same number of bytes, but one is a floating-point number and "
                          "the other an integer, so peers misread every value",
                          change);
    return FCK_BREAKING;
}

static fck_compat worst(fck_compat a, fck_compat b)
{
    return a > b ? a : b;
}

static fck_compat compat_at(fck_cmp *c, const fck_field *f, const fck_field *g, shift *sh,
                            int depth);

/* A map's entry message: a key numbered 1 and a value numbered 2. A lock
 * file may claim a map entry that is not; it is then compared by name. */
static int well_formed_map(const fck_message *m)
{
    return m->map_entry && m->n_fields == 2 && fck_field_by_number(m, 1) != NULL &&
           fck_field_by_number(m, 2) != NULL;
}

/* Two map fields: their entry messages' key and value fields. Values fit
 * when both the key and the value fit. */
static fck_compat maps(fck_cmp *c, const fck_message *om, const fck_message *nm, const char *change,
                       shift *sh, int depth)
{
    const fck_field *ok = fck_field_by_number(om, 1), *ov = fck_field_by_number(om, 2);
    const fck_field *nk = fck_field_by_number(nm, 1), *nv = fck_field_by_number(nm, 2);
    shift k, v;
    fck_compat rk = compat_at(c, ok, nk, &k, depth + 1);
    fck_compat rv = compat_at(c, ov, nv, &v, depth + 1);
    fck_compat r = worst(rk, rv);
    if (r != FCK_SAME)
        sh->why = fck_fmt(c, "%s: %s %s", change, rk != FCK_SAME ? "key" : "value",
                          rk != FCK_SAME ? k.why : v.why);
    sh->old_fits_new = k.old_fits_new && v.old_fits_new;
    sh->new_fits_old = k.new_fits_old && v.new_fits_old;
    sh->new_refuses = k.new_refuses || v.new_refuses;
    return r;
}

/* `depth` > 0 inside a map entry: a map's value is never a map itself, and
 * stopping there keeps a hostile lock file from recursing. */
static fck_compat compat_at(fck_cmp *c, const fck_field *f, const fck_field *g, shift *sh,
                            int depth)
{
    *sh = (shift){.old_fits_new = 1, .new_fits_old = 1};
    const char *change =
        fck_fmt(c, "%s -> %s", fck_type_text(c, c->o, f), fck_type_text(c, c->n, g));
    if (f->type != g->type)
        return scalars(c, f, g, change, sh);
    if (f->type_name == NULL || g->type_name == NULL)
        return FCK_SAME;
    if (f->type == FCK_TYPE_MESSAGE && depth == 0) {
        const fck_message *om = fck_find_message(c->o, f->type_name);
        const fck_message *nm = fck_find_message(c->n, g->type_name);
        if (om != NULL && nm != NULL && well_formed_map(om) && well_formed_map(nm))
            return maps(c, om, nm, change, sh, depth);
    }
    if (strcmp(fck_tr(c, f->type_name), g->type_name) == 0)
        return FCK_SAME;
    if (f->type == FCK_TYPE_ENUM)
        sh->why =
            fck_fmt(c, "%s: peers read the numbers of one enum as values of the other", change);
    else
        sh->why = fck_fmt(c, "%s: peers read one message type as the other", change);
    return FCK_BREAKING;
}

/* The deploy order of a compatible change of a field travelling `side`. */
static fck_compat order(fck_cmp *c, const shift *sh, unsigned side, const char **why)
{
    const char *o;
    if (sh->old_fits_new && sh->new_fits_old) {
        o = "any order";
    } else if (sh->old_fits_new) { /* only new writers send what old readers misread */
        o = side == FCK_SIDE_REQUEST    ? "deploy servers before clients send values old servers "
                                          "cannot read"
            : side == FCK_SIDE_RESPONSE ? "deploy clients before servers send values old clients "
                                          "cannot read"
            : side == FCK_SIDE_BOTH     ? "upgrade servers and clients before either sends values "
                                          "old peers cannot read"
                                        : "upgrade every reader before any writer sends values "
                                          "old readers cannot read";
    } else if (sh->new_fits_old) { /* old writers may send what new readers misread */
        if (side == FCK_SIDE_BOTH && sh->new_refuses) {
            *why = fck_fmt(c,
                           "%s; clients and servers both write it, so whichever is upgraded "
                           "first refuses what old peers of the other side may still send",
                           sh->why);
            return FCK_BREAKING;
        }
        o = side == FCK_SIDE_REQUEST    ? "old clients may send values new servers cannot read: "
                                          "deploy clients first, then servers"
            : side == FCK_SIDE_RESPONSE ? "old servers may send values new clients cannot read: "
                                          "deploy servers first, then clients"
            : side == FCK_SIDE_BOTH     ? "clients and servers both write it: any order only "
                                          "while every value old peers send fits the new type"
                                        : "upgrade every writer before any reader";
    } else {
        o = "any order while every value fits both types";
    }
    *why = fck_fmt(c, "%s; %s", sh->why, o);
    return FCK_COMPATIBLE;
}

fck_compat fck_type_compat(fck_cmp *c, const fck_field *f, const fck_field *g, unsigned side,
                           const char **why)
{
    shift sh;
    fck_compat r = compat_at(c, f, g, &sh, 0);
    *why = sh.why;
    return r == FCK_COMPATIBLE ? order(c, &sh, side, why) : r;
}
