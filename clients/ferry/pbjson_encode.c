/* pbjson_encode.c - JSON to protobuf wire bytes by protobuf's JSON mapping
 * (pbjson.h), for `ferry call`'s request. The JSON is the user's: every
 * value is checked against its field's type, and a refusal names the field
 * by its path from the root ("request.items[2].sku"). Fields are written in
 * declaration order, whatever the order of the JSON object's keys. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

/* 2^128 - 2^103: the least double that rounds to a float infinity. */
#define FLOAT_ROUNDS_TO_INF 3.4028235677973366e38

typedef pbjson_ctx enc;

/* ---- scalars ------------------------------------------------------------ */

/* The integer a string holds, as protojson reads one: the text of a JSON
 * number (no spaces, no '+', no leading zeros) whose value is integral,
 * "1e2" and "100.0" as well as "100". Rewritten as plain decimal digits in
 * `out`, exactly: a double would round 64-bit values. 0 with *integral
 * set to 0 when the number has a fraction; -1 when it is no JSON number,
 * -2 when it has too many digits to be in range. */
static int integer_text(const char *s, char *out, size_t len, int *integral)
{
    *integral = 1;
    const char *p = s;
    size_t o = 0;
    if (*p == '-')
        out[o++] = *p++;
    const char *digits = p; /* integer part, then the fraction's digits */
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return -1;
    size_t n_int = (size_t)(p - digits), n_frac = 0;
    const char *frac = p;
    if (*p == '.') {
        frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        n_frac = (size_t)(p - frac);
        if (n_frac == 0)
            return -1;
    }
    long exp = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int neg = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        for (; *p >= '0' && *p <= '9'; p++)
            if (exp < 100000) /* past any 64-bit value's digits; kept from overflowing */
                exp = exp * 10 + (*p - '0');
        exp = neg ? -exp : exp;
    }
    if (*p != '\0')
        return -1;
    /* The digits d1..dn (integer part then fraction) times 10^shift. */
    long shift = exp - (long)n_frac;
    size_t n = n_int + n_frac;
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        char c = i < n_int ? digits[i] : frac[i - n_int];
        if (shift < 0 && (long)(n - i) <= -shift) { /* dropped: must be zeros */
            if (c != '0')
                *integral = 0;
            continue;
        }
        if (c == '0' && !nonzero)
            continue; /* a leading zero */
        nonzero = 1;
        if (o + 1 >= len)
            return -2;
        out[o++] = c;
    }
    if (*integral == 0)
        return 0;
    if (!nonzero) { /* zero, whatever its exponent */
        snprintf(out, len, "0");
        return 0;
    }
    for (long i = 0; i < shift; i++) {
        if (o + 1 >= len)
            return -2;
        out[o++] = '0';
    }
    out[o] = '\0';
    return 0;
}

/* An integer from a JSON integer, an integral real, or a string holding an
 * integral JSON number (as protobuf writes 64-bit integers). */
static int get_int(enc *e, const json_t *v, int is_signed, int64_t *si, uint64_t *ui)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        *si = n;
        *ui = (uint64_t)n;
        return is_signed || n >= 0 ? 0 : pbjson_fail(e, "%lld is negative", (long long)n);
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != floor(d) || !(d >= -9223372036854775808.0 && d < 18446744073709551616.0))
            return pbjson_fail(e, "%g is not an integer protobuf can hold", d);
        if (!is_signed && d < 0)
            return pbjson_fail(e, "%g is negative", d);
        if (is_signed && d >= 9223372036854775808.0)
            return pbjson_fail(e, "%g is out of range", d);
        *si = (int64_t)d;
        *ui = d >= 9223372036854775808.0 ? (uint64_t)d : (uint64_t)*si;
        return 0;
    }
    if (!json_is_string(v))
        return pbjson_fail(e, "expected an integer, got %s", pbjson_kind(v));
    const char *s = json_string_value(v);
    char plain[32]; /* a sign and 20 digits, and room to see more */
    int integral = 1;
    int text = integer_text(s, plain, sizeof plain, &integral);
    if (text == -1)
        return pbjson_fail(e,
                           "'%.64s' is not a number as JSON writes one (no spaces, '+' or "
                           "leading zeros)",
                           s);
    if (text == -2)
        return pbjson_fail(e, "'%.64s' is out of range", s);
    if (!integral)
        return pbjson_fail(e, "'%.64s' is not an integer", s);
    char *end = NULL;
    errno = 0;
    if (is_signed)
        *si = strtoll(plain, &end, 10);
    else if (plain[0] != '-')
        *ui = strtoull(plain, &end, 10);
    else
        return pbjson_fail(e, "'%.64s' is negative", s);
    if (end == NULL || end == plain || *end != '\0' || errno != 0)
        return pbjson_fail(e, "'%.64s' is out of range", s);
    if (is_signed)
        *ui = (uint64_t)*si;
    else
        *si = (int64_t)*ui;
    return 0;
}

static int get_double(enc *e, const json_t *v, double *d)
{
    if (json_is_number(v)) {
        *d = json_number_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return pbjson_fail(e, "expected a number, got %s", pbjson_kind(v));
    const char *s = json_string_value(v);
    if (strcmp(s, "NaN") == 0)
        *d = NAN;
    else if (strcmp(s, "Infinity") == 0)
        *d = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
        *d = -INFINITY;
    else {
        char *end = NULL;
        errno = 0;
        *d = strtod(s, &end);
        if (end == s || *end != '\0' || errno != 0 || !isfinite(*d))
            return pbjson_fail(e, "'%.64s' is not a number", s);
    }
    return 0;
}

static void put_fixed(pbbuf *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    pbbuf_put(b, tmp, n);
}

/* An enum value by name, or by number. */
static int get_enum(enc *e, const pbs_field *f, const json_t *v, int64_t *out)
{
    const pbs_type *t = pbs_find(e->s, f->type_name);
    if (json_is_null(v) && pbjson_is_null_value(f)) {
        *out = 0; /* NULL_VALUE */
        return 0;
    }
    if (json_is_string(v)) {
        for (size_t i = 0; i < t->en->n_value; i++) {
            const char *name = t->en->value[i]->name;
            if (name != NULL && strcmp(name, json_string_value(v)) == 0) {
                *out = t->en->value[i]->number;
                return 0;
            }
        }
        return pbjson_fail(e, "'%.64s' is not a value of %s", json_string_value(v), t->full);
    }
    uint64_t u;
    if (!json_is_number(v))
        return pbjson_fail(e, "expected an enum name or number, got %s", pbjson_kind(v));
    if (get_int(e, v, 1, out, &u) != 0)
        return -1;
    /* NullValue has one value, which JSON writes as null: another number
     * could not be written back. */
    if (pbjson_is_null_value(f) && *out != 0)
        return pbjson_fail(e, "%lld is not a value of google.protobuf.NullValue (null or 0)",
                           (long long)*out);
    return *out < INT32_MIN || *out > INT32_MAX
               ? pbjson_fail(e, "%lld is out of range for an enum", (long long)*out)
               : 0;
}

/* The value of a scalar field, without its tag. */
static int put_scalar(enc *e, const pbs_field *f, const json_t *v, pbbuf *b)
{
    int64_t si = 0;
    uint64_t ui = 0;
    double d = 0;
    switch (f->type) {
    case T(INT32):
    case T(SINT32):
    case T(SFIXED32):
        if (get_int(e, v, 1, &si, &ui) != 0)
            return -1;
        if (si < INT32_MIN || si > INT32_MAX)
            return pbjson_fail(e, "%lld is out of range for int32", (long long)si);
        if (f->type == T(SINT32))
            pbbuf_varint(b, (uint32_t)(((uint32_t)si << 1) ^ (uint32_t)(si >> 31)));
        else if (f->type == T(SFIXED32))
            put_fixed(b, (uint32_t)si, 4);
        else
            pbbuf_varint(b, (uint64_t)si);
        return 0;
    case T(UINT32):
    case T(FIXED32):
        if (get_int(e, v, 0, &si, &ui) != 0)
            return -1;
        if (ui > UINT32_MAX)
            return pbjson_fail(e, "%llu is out of range for uint32", (unsigned long long)ui);
        if (f->type == T(FIXED32))
            put_fixed(b, ui, 4);
        else
            pbbuf_varint(b, ui);
        return 0;
    case T(INT64):
    case T(SINT64):
    case T(SFIXED64):
        if (get_int(e, v, 1, &si, &ui) != 0)
            return -1;
        if (f->type == T(SINT64))
            pbbuf_varint(b, ((uint64_t)si << 1) ^ (uint64_t)(si >> 63));
        else if (f->type == T(SFIXED64))
            put_fixed(b, (uint64_t)si, 8);
        else
            pbbuf_varint(b, (uint64_t)si);
        return 0;
    case T(UINT64):
    case T(FIXED64):
        if (get_int(e, v, 0, &si, &ui) != 0)
            return -1;
        if (f->type == T(FIXED64))
            put_fixed(b, ui, 8);
        else
            pbbuf_varint(b, ui);
        return 0;
    case T(BOOL):
        if (!json_is_boolean(v))
            return pbjson_fail(e, "expected true or false, got %s", pbjson_kind(v));
        pbbuf_varint(b, json_is_true(v) ? 1 : 0);
        return 0;
    case T(ENUM):
        if (get_enum(e, f, v, &si) != 0)
            return -1;
        pbbuf_varint(b, (uint64_t)si);
        return 0;
    case T(FLOAT): {
        if (get_double(e, v, &d) != 0)
            return -1;
        /* Up to half a unit past FLT_MAX a value still rounds to FLT_MAX
         * (its shortest text, 3.4028235e+38, is such a value); beyond, the
         * conversion would be undefined. */
        if (isfinite(d) && fabs(d) >= FLOAT_ROUNDS_TO_INF)
            return pbjson_fail(e, "%g is out of range for float", d);
        float fl = (float)d;
        uint32_t bits;
        memcpy(&bits, &fl, sizeof bits);
        put_fixed(b, bits, 4);
        return 0;
    }
    case T(DOUBLE): {
        if (get_double(e, v, &d) != 0)
            return -1;
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_fixed(b, bits, 8);
        return 0;
    }
    default:
        return pbjson_fail(e, "not a scalar field");
    }
}

/* ---- strings, bytes, messages -------------------------------------------- */

static int encode_message(enc *e, const pbs_type *t, const json_t *v, pbbuf *out, int depth);

static void put_len(pbbuf *b, const void *data, size_t len)
{
    pbbuf_varint(b, len);
    pbbuf_put(b, data, len);
}

/* A string, bytes or message value with its length prefix. */
static int put_delimited(enc *e, const pbs_field *f, const json_t *v, pbbuf *b, int depth)
{
    if (f->type == T(STRING)) {
        if (!json_is_string(v))
            return pbjson_fail(e, "expected a string, got %s", pbjson_kind(v));
        put_len(b, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (f->type == T(BYTES)) {
        uint8_t *raw = NULL;
        size_t n = 0;
        if (!json_is_string(v))
            return pbjson_fail(e, "expected base64 bytes (a string), got %s", pbjson_kind(v));
        if (pbjson_base64_decode(json_string_value(v), &raw, &n) != 0)
            return pbjson_fail(e, "'%.32s' is not base64", json_string_value(v));
        put_len(b, raw, n);
        free(raw);
        return 0;
    }
    pbbuf sub = {0};
    int rc = encode_message(e, pbs_find(e->s, f->type_name), v, &sub, depth + 1);
    if (rc == 0 && sub.failed)
        rc = pbjson_fail(e, "out of memory");
    if (rc == 0)
        put_len(b, sub.data, sub.len);
    pbbuf_fini(&sub);
    return rc;
}

/* Whether JSON null is a value of field `f` rather than its absence: a
 * google.protobuf.Value (null_value) or a NullValue. */
static int takes_null(const enc *e, const pbs_field *f)
{
    if (pbjson_is_null_value(f))
        return 1;
    if (f->type != T(MESSAGE))
        return 0;
    const pbs_type *t = pbs_find(e->s, f->type_name);
    return t != NULL && pbjson_wkt_of(t) == PBJSON_VALUE;
}

static void put_tag(pbbuf *b, const pbs_field *f, int wt)
{
    pbbuf_varint(b, ((uint64_t)(uint32_t)f->number << 3) | (uint64_t)wt);
}

/* One value of field `f` with its tag. */
static int put_value(enc *e, const pbs_field *f, const json_t *v, pbbuf *b, int depth)
{
    int wt = pbjson_wire_type(f->type);
    put_tag(b, f, wt);
    return wt == 2 ? put_delimited(e, f, v, b, depth) : put_scalar(e, f, v, b);
}

/* A map key from its JSON object key, as the key field's type. */
static int put_map_key(enc *e, const pbs_field *kf, const char *key, pbbuf *b)
{
    if (kf->type == T(STRING)) {
        json_t *k = json_string(key);
        int rc = k != NULL ? put_value(e, kf, k, b, 0) : pbjson_fail(e, "out of memory");
        json_decref(k);
        return rc;
    }
    json_t *k = NULL;
    if (kf->type == T(BOOL)) {
        if (strcmp(key, "true") != 0 && strcmp(key, "false") != 0)
            return pbjson_fail(e, "map key '%.64s' is not true or false", key);
        k = json_boolean(strcmp(key, "true") == 0);
    } else {
        k = json_string(key); /* integers: parsed as protobuf's 64-bit strings are */
    }
    int rc = k != NULL ? put_value(e, kf, k, b, 0) : pbjson_fail(e, "out of memory");
    json_decref(k);
    return rc;
}

static int put_map(enc *e, const pbs_field *f, const pbs_msg *entry, const json_t *v, pbbuf *b,
                   int depth)
{
    if (!json_is_object(v))
        return pbjson_fail(e, "expected an object (a map), got %s", pbjson_kind(v));
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        size_t at = pbjson_push(e, "[\"%.64s\"]", key);
        pbbuf ent = {0};
        int rc = put_map_key(e, entry->field[0], key, &ent);
        /* protojson refuses a null map value rather than read it as the
         * value's default: only a Value (or NullValue) has null as a value. */
        if (rc == 0 && json_is_null(val) && !takes_null(e, entry->field[1]))
            rc = pbjson_fail(e, "null is not a value of a map entry");
        else if (rc == 0)
            rc = put_value(e, entry->field[1], val, &ent, depth);
        if (rc == 0) {
            put_tag(b, f, 2);
            put_len(b, ent.data, ent.len);
        }
        pbbuf_fini(&ent);
        pbjson_pop(e, at);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int put_repeated(enc *e, const pbs_file *file, const pbs_field *f, const json_t *v, pbbuf *b,
                        int depth)
{
    if (!json_is_array(v))
        return pbjson_fail(e, "expected an array, got %s", pbjson_kind(v));
    int packed = pbs_packed(file, f);
    pbbuf body = {0};
    int rc = 0;
    for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
        size_t at = pbjson_push(e, "[%zu]", i);
        const json_t *item = json_array_get(v, i);
        if (json_is_null(item) && !takes_null(e, f))
            rc = pbjson_fail(e, "null is not a value of a repeated field");
        else
            rc = packed ? put_scalar(e, f, item, &body) : put_value(e, f, item, b, depth);
        pbjson_pop(e, at);
    }
    if (rc == 0 && packed && body.len > 0) {
        put_tag(b, f, 2);
        put_len(b, body.data, body.len);
    }
    pbbuf_fini(&body);
    return rc;
}

static int put_field(enc *e, const pbs_file *file, const pbs_field *f, const json_t *v, pbbuf *b,
                     int depth)
{
    const pbs_msg *entry = NULL;
    if (pbs_is_map(e->s, f, &entry))
        return put_map(e, f, entry, v, b, depth);
    if (f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED)
        return put_repeated(e, file, f, v, b, depth);
    return put_value(e, f, v, b, depth);
}

/* ---- messages ------------------------------------------------------------ */

/* The index of the field a JSON key names (its JSON name, or its .proto
 * name), or -1. */
static long field_of(const pbs_msg *m, const char *key)
{
    char buf[256];
    for (size_t i = 0; i < m->n_field; i++)
        if (strcmp(pbs_json_name(m->field[i], buf, sizeof buf), key) == 0 ||
            strcmp(m->field[i]->name, key) == 0)
            return (long)i;
    return -1;
}

/* Every key names a field, no field is given twice (by both its names),
 * no oneof has two members set. */
static int check_keys(enc *e, const pbs_type *t, const json_t *obj)
{
    const pbs_msg *m = t->msg;
    const char **by_field = calloc(m->n_field + 1, sizeof *by_field);
    const char **by_oneof = calloc(m->n_oneof_decl + 1, sizeof *by_oneof);
    int rc = by_field != NULL && by_oneof != NULL ? 0 : pbjson_fail(e, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        long i = rc == 0 ? field_of(m, key) : 0;
        if (rc != 0 || (i >= 0 && json_is_null(val)))
            continue;
        if (i < 0) {
            size_t at = pbjson_push(e, ".%.64s", key);
            rc = pbjson_fail(e, "no such field in %s", t->full);
            pbjson_pop(e, at);
            continue;
        }
        const pbs_field *f = m->field[i];
        if (by_field[i] != NULL)
            rc = pbjson_fail(e, "field %s is given twice ('%s' and '%s')", f->name, by_field[i],
                             key);
        by_field[i] = key;
        if (rc == 0 && f->has_oneof_index && f->oneof_index >= 0 &&
            (size_t)f->oneof_index < m->n_oneof_decl) {
            if (by_oneof[f->oneof_index] != NULL)
                rc = pbjson_fail(e, "'%s' and '%s' are members of one oneof: set one of them",
                                 by_oneof[f->oneof_index], key);
            by_oneof[f->oneof_index] = key;
        }
    }
    free(by_field);
    free(by_oneof);
    return rc;
}

/* ---- Struct, Value, ListValue, FieldMask ----------------------------------
 * Written by their field numbers: Struct is map<string, Value> fields = 1;
 * Value is oneof null_value = 1, number_value = 2, string_value = 3,
 * bool_value = 4, struct_value = 5, list_value = 6; ListValue is repeated
 * Value values = 1; FieldMask is repeated string paths = 1. */

static void put_key(pbbuf *b, unsigned number, unsigned wt)
{
    pbbuf_varint(b, (number << 3) | wt);
}

static int put_json_value(enc *e, const json_t *v, pbbuf *out, int depth);

static int put_struct(enc *e, const json_t *v, pbbuf *out, int depth)
{
    if (!json_is_object(v))
        return pbjson_fail(e, "expected an object (google.protobuf.Struct), got %s",
                           pbjson_kind(v));
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        size_t at = pbjson_push(e, ".%.64s", key);
        pbbuf ent = {0}, sub = {0};
        put_key(&ent, 1, 2);
        put_len(&ent, key, strlen(key));
        int rc = put_json_value(e, val, &sub, depth + 1);
        if (rc == 0) {
            put_key(&ent, 2, 2);
            put_len(&ent, sub.data, sub.len);
            put_key(out, 1, 2);
            put_len(out, ent.data, ent.len);
        }
        pbbuf_fini(&ent);
        pbbuf_fini(&sub);
        pbjson_pop(e, at);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int put_list(enc *e, const json_t *v, pbbuf *out, int depth)
{
    if (!json_is_array(v))
        return pbjson_fail(e, "expected an array (google.protobuf.ListValue), got %s",
                           pbjson_kind(v));
    for (size_t i = 0; i < json_array_size(v); i++) {
        size_t at = pbjson_push(e, "[%zu]", i);
        pbbuf sub = {0};
        int rc = put_json_value(e, json_array_get(v, i), &sub, depth + 1);
        if (rc == 0) {
            put_key(out, 1, 2);
            put_len(out, sub.data, sub.len);
        }
        pbbuf_fini(&sub);
        pbjson_pop(e, at);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Any JSON value as a google.protobuf.Value. */
static int put_json_value(enc *e, const json_t *v, pbbuf *out, int depth)
{
    if (depth > PBS_MAX_DEPTH)
        return pbjson_fail(e, "values nested deeper than %d", PBS_MAX_DEPTH);
    pbbuf sub = {0};
    int rc;
    unsigned number;
    switch (json_typeof(v)) {
    case JSON_NULL:
        put_key(out, 1, 0);
        pbbuf_varint(out, 0);
        return 0;
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_number_value(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_key(out, 2, 1);
        put_fixed(out, bits, 8);
        return 0;
    }
    case JSON_STRING:
        put_key(out, 3, 2);
        put_len(out, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        put_key(out, 4, 0);
        pbbuf_varint(out, json_is_true(v) ? 1 : 0);
        return 0;
    case JSON_OBJECT:
        rc = put_struct(e, v, &sub, depth + 1);
        number = 5;
        break;
    default:
        rc = put_list(e, v, &sub, depth + 1);
        number = 6;
        break;
    }
    if (rc == 0) {
        put_key(out, number, 2);
        put_len(out, sub.data, sub.len);
    }
    pbbuf_fini(&sub);
    return rc;
}

/* "a,fooBar.baz": each lowerCamel path in snake_case, as protobuf maps
 * them; a path with '_' has no JSON form and is refused. */
static int put_field_mask(enc *e, const json_t *v, pbbuf *out)
{
    if (!json_is_string(v))
        return pbjson_fail(e, "expected a field mask string (\"a,b.cD\"), got %s", pbjson_kind(v));
    const char *p = json_string_value(v);
    if (*p == '\0')
        return 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n == 0)
            return pbjson_fail(e, "'%.64s' has an empty path", json_string_value(v));
        pbbuf path = {0};
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (c == '_') {
                pbbuf_fini(&path);
                return pbjson_fail(e,
                                   "field mask path '%.*s' is not lowerCamel ('_' is not allowed)",
                                   (int)(n < 64 ? n : 64), p);
            }
            if (c >= 'A' && c <= 'Z') {
                pbbuf_put(&path, "_", 1);
                c = (char)(c - 'A' + 'a');
            }
            pbbuf_put(&path, &c, 1);
        }
        put_key(out, 1, 2);
        put_len(out, path.data, path.len);
        pbbuf_fini(&path);
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int encode_wkt(enc *e, const pbs_type *t, pbjson_wkt w, const json_t *v, pbbuf *out,
                      int depth)
{
    switch (w) {
    case PBJSON_WRAPPER:
        return put_field(e, t->file, t->msg->field[0], v, out, depth);
    case PBJSON_STRUCT:
        return put_struct(e, v, out, depth);
    case PBJSON_VALUE:
        return put_json_value(e, v, out, depth);
    case PBJSON_LIST:
        return put_list(e, v, out, depth);
    case PBJSON_FIELDMASK:
        return put_field_mask(e, v, out);
    case PBJSON_ANY:
        return pbjson_fail(e, "google.protobuf.Any is not supported by ferry call's JSON mapping");
    default:
        break;
    }
    if (!json_is_string(v))
        return pbjson_fail(e, "expected a %s string, got %s",
                           w == PBJSON_TIMESTAMP ? "RFC 3339 timestamp" : "duration (\"1.5s\")",
                           pbjson_kind(v));
    int64_t secs = 0;
    int32_t nanos = 0;
    int bad = w == PBJSON_TIMESTAMP ? pbjson_parse_timestamp(json_string_value(v), &secs, &nanos)
                                    : pbjson_parse_duration(json_string_value(v), &secs, &nanos);
    if (bad)
        return pbjson_fail(e, "'%.64s' is not a %s", json_string_value(v),
                           w == PBJSON_TIMESTAMP ? "timestamp (\"1972-01-01T10:00:20.021Z\")"
                                                 : "duration (\"1.5s\")");
    /* Both messages are seconds = 1 (int64), nanos = 2 (int32). */
    if (secs != 0) {
        pbbuf_varint(out, 1 << 3);
        pbbuf_varint(out, (uint64_t)secs);
    }
    if (nanos != 0) {
        pbbuf_varint(out, 2 << 3);
        pbbuf_varint(out, (uint64_t)(int64_t)nanos);
    }
    return 0;
}

static int encode_message(enc *e, const pbs_type *t, const json_t *v, pbbuf *out, int depth)
{
    if (depth > PBS_MAX_DEPTH)
        return pbjson_fail(e, "messages nested deeper than %d", PBS_MAX_DEPTH);
    pbjson_wkt w = pbjson_wkt_of(t);
    if (w != PBJSON_PLAIN)
        return encode_wkt(e, t, w, v, out, depth);
    if (!json_is_object(v))
        return pbjson_fail(e, "expected an object (%s), got %s", t->full, pbjson_kind(v));
    if (check_keys(e, t, v) != 0)
        return -1;
    char buf[256];
    for (size_t i = 0; i < t->msg->n_field; i++) {
        const pbs_field *f = t->msg->field[i];
        const char *jn = pbs_json_name(f, buf, sizeof buf);
        const json_t *fv = json_object_get(v, jn);
        if (fv == NULL)
            fv = json_object_get(v, f->name);
        /* null is the field's absence, but a Value's null_value and a
         * NullValue's one value (which is how such a field reads back). */
        if (fv == NULL ||
            (json_is_null(fv) &&
             !(takes_null(e, f) && (f->type == T(MESSAGE) || pbjson_is_null_value(f)) &&
               f->label != GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED)))
            continue;
        size_t at = pbjson_push(e, ".%s", jn);
        int rc = put_field(e, t->file, f, fv, out, depth);
        pbjson_pop(e, at);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int pbjson_encode(const pb_schema *s, const char *type, const json_t *json, const char *root,
                  pbbuf *out, char *err, size_t errlen)
{
    enc e = {.s = s, .err = err, .errlen = errlen};
    pbjson_push(&e, "%s", root);
    const pbs_type *t = pbs_find(s, type);
    if (t == NULL || t->msg == NULL)
        return pbjson_fail(&e, "the type %s is not in the schema", type);
    if (encode_message(&e, t, json, out, 0) != 0)
        return -1;
    return out->failed ? pbjson_fail(&e, "out of memory") : 0;
}
