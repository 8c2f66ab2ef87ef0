/* pbjson_decode.c - protobuf wire bytes to JSON by protobuf's JSON mapping
 * (pbjson.h), for `ferry call`'s reply. The bytes are the server's, so
 * hostile: every length is checked against what is left, every wire type
 * against the field's type, nesting is bounded, and a refusal names the
 * field ("reply.items[1].price: ..."). Fields come out in declaration
 * order; those the schema does not know are skipped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

typedef pbjson_ctx dec;

/* A field's raw value as read from the wire: the varint or fixed bits, or
 * the bytes of a length-delimited one. */
typedef struct raw {
    int wt;
    uint64_t v;
    const uint8_t *data;
    size_t len;
} raw;

static json_t *decode_message(dec *d, const pbs_type *t, const uint8_t *data, size_t len,
                              int depth);

/* Reads one value of wire type `wt` at data[*pos..len). */
static int read_raw(dec *d, const uint8_t *data, size_t len, size_t *pos, int wt, raw *r)
{
    r->wt = wt;
    switch (wt) {
    case 0:
        return pb_read_varint(data, len, pos, &r->v) == 0 ? 0
                                                          : pbjson_fail(d, "a varint is cut short");
    case 1:
    case 5: {
        size_t n = wt == 1 ? 8 : 4;
        if (len - *pos < n)
            return pbjson_fail(d, "a fixed-size value is cut short");
        r->v = 0;
        for (size_t i = 0; i < n; i++)
            r->v |= (uint64_t)data[*pos + i] << (8 * i);
        *pos += n;
        return 0;
    }
    case 2:
        if (pb_read_varint(data, len, pos, &r->v) != 0 || r->v > len - *pos)
            return pbjson_fail(d, "a length-delimited value runs past the end");
        r->data = data + *pos;
        r->len = (size_t)r->v;
        *pos += r->len;
        return 0;
    default:
        return pbjson_fail(d, "wire type %d (groups or invalid) cannot be read", wt);
    }
}

/* A 64-bit integer as protobuf writes it in JSON: a decimal string. */
static json_t *int_string(uint64_t v, int is_signed)
{
    char buf[32];
    if (is_signed)
        snprintf(buf, sizeof buf, "%lld", (long long)(int64_t)v);
    else
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return json_string(buf);
}

/* A double as JSON: NaN and the infinities as protobuf's strings. */
static json_t *real(double x)
{
    if (isnan(x))
        return json_string("NaN");
    if (isinf(x))
        return json_string(x > 0 ? "Infinity" : "-Infinity");
    return json_real(x);
}

/* A float as the double its shortest decimal text names, so it prints as
 * "0.1" rather than 0.100000001490116. */
static json_t *real_of_float(float f)
{
    if (!isfinite(f))
        return real(f);
    char buf[32];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    return json_real(strtod(buf, NULL));
}

static json_t *enum_value(const dec *d, const pbs_field *f, int32_t n)
{
    const pbs_type *t = pbs_find(d->s, f->type_name);
    for (size_t i = 0; t != NULL && i < t->en->n_value; i++)
        if (t->en->value[i]->number == n && t->en->value[i]->name != NULL)
            return json_string(t->en->value[i]->name);
    return json_integer(n); /* a value newer than the schema */
}

static json_t *scalar(const dec *d, const pbs_field *f, uint64_t v)
{
    switch (f->type) {
    case T(INT32):
    case T(SFIXED32):
        return json_integer((int32_t)(uint32_t)v);
    case T(SINT32):
        return json_integer((int32_t)((uint32_t)(v >> 1) ^ (0u - (uint32_t)(v & 1))));
    case T(UINT32):
    case T(FIXED32):
        return json_integer((uint32_t)v);
    case T(INT64):
    case T(SFIXED64):
        return int_string(v, 1);
    case T(SINT64):
        return int_string((v >> 1) ^ (0 - (v & 1)), 1);
    case T(UINT64):
    case T(FIXED64):
        return int_string(v, 0);
    case T(BOOL):
        return json_boolean(v != 0);
    case T(ENUM):
        if (pbjson_is_null_value(f))
            return json_null();
        return enum_value(d, f, (int32_t)(uint32_t)v);
    case T(FLOAT): {
        uint32_t bits = (uint32_t)v;
        float x;
        memcpy(&x, &bits, sizeof x);
        return real_of_float(x);
    }
    case T(DOUBLE): {
        double x;
        memcpy(&x, &v, sizeof x);
        return real(x);
    }
    default:
        return NULL;
    }
}

/* The JSON of one value of field `f`; NULL after a message. */
static json_t *value(dec *d, const pbs_field *f, const raw *r, int depth)
{
    json_t *j = NULL;
    if (f->type == T(STRING)) {
        j = json_stringn((const char *)r->data, r->len);
        if (j == NULL)
            pbjson_fail(d, "a string that is not UTF-8");
        return j;
    }
    if (f->type == T(BYTES)) {
        char *b64 = pbjson_base64_encode(r->data, r->len);
        j = b64 != NULL ? json_string(b64) : NULL;
        free(b64);
    } else if (f->type == T(MESSAGE)) {
        return decode_message(d, pbs_find(d->s, f->type_name), r->data, r->len, depth + 1);
    } else {
        j = scalar(d, f, r->v);
    }
    if (j == NULL)
        pbjson_fail(d, "out of memory");
    return j;
}

/* ---- the default of a field absent from a map entry or a wrapper --------- */

static json_t *default_of(dec *d, const pbs_field *f)
{
    switch (f->type) {
    case T(STRING):
    case T(BYTES):
        return json_string("");
    case T(MESSAGE): {
        /* Value, ListValue, Struct and FieldMask have defaults of their
         * own: null, [], {} and "". */
        const pbs_type *t = pbs_find(d->s, f->type_name);
        pbjson_wkt w = t != NULL ? pbjson_wkt_of(t) : PBJSON_PLAIN;
        if (w == PBJSON_VALUE || w == PBJSON_LIST || w == PBJSON_STRUCT || w == PBJSON_FIELDMASK)
            return decode_message(d, t, (const uint8_t *)"", 0, 0);
        return json_object();
    }
    case T(BOOL):
        return json_false();
    default:
        return scalar(d, f, 0);
    }
}

/* ---- maps ----------------------------------------------------------------- */

/* A map key as the JSON object key protobuf writes: strings as they are,
 * integers in decimal, booleans as "true"/"false"; NULL for any other. */
static const char *key_text(const json_t *k, char *buf, size_t len)
{
    if (json_is_string(k))
        return json_string_value(k);
    if (json_is_integer(k))
        snprintf(buf, len, "%lld", (long long)json_integer_value(k));
    else if (json_is_boolean(k))
        snprintf(buf, len, "%s", json_is_true(k) ? "true" : "false");
    else
        return NULL;
    return buf;
}

static int map_entry(dec *d, json_t *map, const pbs_msg *entry, const raw *r, int depth)
{
    if (r->wt != 2)
        return pbjson_fail(d, "a map entry is not length-delimited");
    const pbs_field *kf = entry->field[0], *vf = entry->field[1];
    json_t *k = NULL, *v = NULL;
    size_t pos = 0;
    int rc = 0;
    while (pos < r->len && rc == 0) {
        uint64_t tag;
        raw fr;
        if (pb_read_varint(r->data, r->len, &pos, &tag) != 0) {
            rc = pbjson_fail(d, "a map entry's tag is cut short");
            break; /* k and v are freed below */
        }
        rc = read_raw(d, r->data, r->len, &pos, (int)(tag & 7), &fr);
        const pbs_field *f = (tag >> 3) == 1 ? kf : (tag >> 3) == 2 ? vf : NULL;
        if (rc != 0 || f == NULL)
            continue;
        if ((int)(tag & 7) != pbjson_wire_type(f->type))
            rc = pbjson_fail(d, "a map %s has wire type %d", f == kf ? "key" : "value",
                             (int)(tag & 7));
        json_t **slot = f == kf ? &k : &v;
        json_decref(*slot);
        *slot = rc == 0 ? value(d, f, &fr, depth) : NULL;
        if (rc == 0 && *slot == NULL)
            rc = -1;
    }
    if (rc == 0 && k == NULL)
        k = default_of(d, kf);
    if (rc == 0 && v == NULL)
        v = default_of(d, vf);
    char buf[64];
    const char *text = rc == 0 && k != NULL ? key_text(k, buf, sizeof buf) : NULL;
    if (rc == 0 && (text == NULL || v == NULL))
        rc = pbjson_fail(d, "a map key of a type maps cannot have");
    if (rc == 0 && json_object_set(map, text, v) != 0)
        rc = pbjson_fail(d, "out of memory");
    json_decref(k);
    json_decref(v);
    return rc;
}

/* ---- fields --------------------------------------------------------------- */

/* The JSON slot of a repeated or map field, made on first use. */
static json_t *container(json_t *obj, const char *name, int is_map)
{
    json_t *c = json_object_get(obj, name);
    if (c == NULL) {
        c = is_map ? json_object() : json_array();
        if (c == NULL || json_object_set_new(obj, name, c) != 0)
            return NULL;
    }
    return c;
}

static int append(dec *d, json_t *arr, json_t *v)
{
    if (v == NULL)
        return -1;
    return json_array_append_new(arr, v) == 0 ? 0 : pbjson_fail(d, "out of memory");
}

/* A packed run of scalars: values of wire type `wt` back to back. */
static int packed(dec *d, json_t *arr, const pbs_field *f, const raw *r)
{
    int wt = pbjson_wire_type(f->type);
    size_t pos = 0;
    while (pos < r->len) {
        raw one;
        if (read_raw(d, r->data, r->len, &pos, wt, &one) != 0 ||
            append(d, arr, scalar(d, f, one.v)))
            return -1;
    }
    return 0;
}

/* A member of a oneof replaces the other members set before it. */
static void clear_oneof(json_t *obj, const pbs_msg *m, const pbs_field *f)
{
    char buf[256];
    if (!f->has_oneof_index)
        return;
    for (size_t i = 0; i < m->n_field; i++)
        if (m->field[i] != f && m->field[i]->has_oneof_index &&
            m->field[i]->oneof_index == f->oneof_index)
            json_object_del(obj, pbs_json_name(m->field[i], buf, sizeof buf));
}

static int field(dec *d, json_t *obj, const pbs_type *t, const pbs_field *f, const raw *r,
                 int depth)
{
    char buf[256];
    const char *name = pbs_json_name(f, buf, sizeof buf);
    const pbs_msg *entry = NULL;
    int want = pbjson_wire_type(f->type);
    int repeated = f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
    if (pbs_is_map(d->s, f, &entry)) {
        json_t *map = container(obj, name, 1);
        return map != NULL ? map_entry(d, map, entry, r, depth) : pbjson_fail(d, "out of memory");
    }
    if (repeated && r->wt == 2 && want != 2) {
        if (r->len == 0)
            return 0; /* an empty run adds no value: no field, as none was written */
        json_t *arr = container(obj, name, 0);
        return arr != NULL ? packed(d, arr, f, r) : pbjson_fail(d, "out of memory");
    }
    if (r->wt != want)
        return pbjson_fail(d, "wire type %d, but this field's type is written with %d", r->wt,
                           want);
    json_t *arr = repeated ? container(obj, name, 0) : NULL;
    if (repeated && arr == NULL)
        return pbjson_fail(d, "out of memory");
    /* A refusal inside an element names it: "reply.items[3].price". */
    size_t at = repeated ? pbjson_push(d, "[%zu]", json_array_size(arr)) : d->plen;
    json_t *v = value(d, f, r, depth);
    pbjson_pop(d, at);
    if (v == NULL)
        return -1;
    if (repeated)
        return append(d, arr, v);
    /* A singular field seen twice: the last one wins (messages are not
     * merged; protobuf-c and ferry's peers never write one twice). */
    clear_oneof(obj, t->msg, f);
    return json_object_set_new(obj, name, v) == 0 ? 0 : pbjson_fail(d, "out of memory");
}

static const pbs_field *by_number(const pbs_msg *m, uint64_t number)
{
    for (size_t i = 0; i < m->n_field; i++)
        if ((uint64_t)m->field[i]->number == number)
            return m->field[i];
    return NULL;
}

/* The fields of `obj` in the order the message declares them. */
static json_t *in_order(dec *d, const pbs_msg *m, json_t *obj)
{
    json_t *out = json_object();
    char buf[256];
    for (size_t i = 0; out != NULL && i < m->n_field; i++) {
        const char *name = pbs_json_name(m->field[i], buf, sizeof buf);
        json_t *v = json_object_get(obj, name);
        if (v != NULL && json_object_set(out, name, v) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    json_decref(obj);
    if (out == NULL)
        pbjson_fail(d, "out of memory");
    return out;
}

/* ---- well-known types ------------------------------------------------------ */

/* ---- Struct, Value, ListValue, FieldMask ----------------------------------
 * Read by their field numbers (pbjson_encode.c lists them). */

/* The next field of data[*pos..len): its number and raw value; 0, 1 at
 * the end, or -1 (with a message naming `what`). */
static int next_field(dec *d, const char *what, const uint8_t *data, size_t len, size_t *pos,
                      unsigned *number, raw *r)
{
    uint64_t tag;
    if (*pos >= len)
        return 1;
    if (pb_read_varint(data, len, pos, &tag) != 0 || read_raw(d, data, len, pos, (int)(tag & 7), r))
        return pbjson_fail(d, "a %s cut short", what);
    *number = (tag >> 3) > 536870911 ? 0 : (unsigned)(tag >> 3);
    return 0;
}

static json_t *json_value_of(dec *d, const uint8_t *data, size_t len, int depth);

static json_t *struct_of(dec *d, const uint8_t *data, size_t len, int depth)
{
    json_t *obj = json_object();
    size_t pos = 0;
    unsigned n;
    raw r;
    int rc = obj != NULL ? 0 : pbjson_fail(d, "out of memory");
    while (rc == 0 &&
           (rc = next_field(d, "google.protobuf.Struct", data, len, &pos, &n, &r)) == 0) {
        if (n != 1)
            continue;
        if (r.wt != 2) {
            rc = pbjson_fail(d, "a google.protobuf.Struct entry is not length-delimited");
            break;
        }
        raw key = {.data = (const uint8_t *)"", .len = 0}, val = {.data = NULL, .len = 0}, fr;
        size_t epos = 0;
        unsigned en;
        while (rc == 0 && (rc = next_field(d, "google.protobuf.Struct entry", r.data, r.len, &epos,
                                           &en, &fr)) == 0)
            if ((en == 1 || en == 2) && fr.wt != 2)
                rc = pbjson_fail(d, "a google.protobuf.Struct entry has wire type %d", fr.wt);
            else if (en == 1)
                key = fr;
            else if (en == 2)
                val = fr;
        if (rc < 0)
            break;
        rc = 0;
        char *k = malloc(key.len + 1);
        if (k == NULL) {
            rc = pbjson_fail(d, "out of memory");
            break;
        }
        memcpy(k, key.data, key.len);
        k[key.len] = '\0';
        size_t at = pbjson_push(d, ".%.64s", k);
        json_t *v = NULL;
        if (strlen(k) != key.len)
            rc = pbjson_fail(d, "a key with a NUL byte");
        else if ((v = json_value_of(d, val.data, val.len, depth + 1)) == NULL)
            rc = -1;
        else if (json_object_set_new(obj, k, v) != 0)
            rc = pbjson_fail(d, "a key that is not UTF-8");
        pbjson_pop(d, at);
        free(k);
    }
    if (rc < 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *list_of(dec *d, const uint8_t *data, size_t len, int depth)
{
    json_t *arr = json_array();
    size_t pos = 0;
    unsigned n;
    raw r;
    int rc = arr != NULL ? 0 : pbjson_fail(d, "out of memory");
    while (rc == 0 &&
           (rc = next_field(d, "google.protobuf.ListValue", data, len, &pos, &n, &r)) == 0) {
        if (n != 1)
            continue;
        size_t at = pbjson_push(d, "[%zu]", json_array_size(arr));
        if (r.wt != 2)
            rc = pbjson_fail(d, "a google.protobuf.Value with wire type %d", r.wt);
        else
            rc = append(d, arr, json_value_of(d, r.data, r.len, depth + 1));
        pbjson_pop(d, at);
    }
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* A google.protobuf.Value as the JSON value it holds; the last kind set
 * wins, and none set is null. */
static json_t *json_value_of(dec *d, const uint8_t *data, size_t len, int depth)
{
    static const int want[] = {-1, 0, 1, 2, 0, 2, 2}; /* wire type by field number */
    if (depth > PBS_MAX_DEPTH)
        return pbjson_fail(d, "values nested deeper than %d", PBS_MAX_DEPTH), NULL;
    json_t *v = NULL;
    size_t pos = 0;
    unsigned n;
    raw r;
    int rc;
    while ((rc = next_field(d, "google.protobuf.Value", data, len, &pos, &n, &r)) == 0) {
        if (n < 1 || n > 6)
            continue;
        if (r.wt != want[n]) {
            rc = pbjson_fail(d, "a google.protobuf.Value field %u with wire type %d", n, r.wt);
            break;
        }
        json_t *nv = NULL;
        double x;
        switch (n) {
        case 1:
            nv = json_null();
            break;
        case 2:
            memcpy(&x, &r.v, sizeof x);
            nv = real(x);
            break;
        case 3:
            nv = json_stringn((const char *)r.data, r.len);
            if (nv == NULL)
                pbjson_fail(d, "a string that is not UTF-8");
            break;
        case 4:
            nv = json_boolean(r.v != 0);
            break;
        case 5:
            nv = struct_of(d, r.data, r.len, depth + 1);
            break;
        default:
            nv = list_of(d, r.data, r.len, depth + 1);
            break;
        }
        if (nv == NULL) {
            rc = pbjson_fail(d, "out of memory"); /* unless a message is set already */
            break;
        }
        json_decref(v);
        v = nv;
    }
    if (rc < 0) {
        json_decref(v);
        return NULL;
    }
    return v != NULL ? v : json_null();
}

/* The paths of a FieldMask in lowerCamel, comma-separated: "a,fooBar.baz". */
static json_t *field_mask_of(dec *d, const uint8_t *data, size_t len)
{
    pbbuf text = {0};
    size_t pos = 0;
    unsigned n;
    raw r;
    int rc;
    while ((rc = next_field(d, "google.protobuf.FieldMask", data, len, &pos, &n, &r)) == 0) {
        if (n != 1)
            continue;
        if (r.wt != 2) {
            rc = pbjson_fail(d, "a google.protobuf.FieldMask path with wire type %d", r.wt);
            break;
        }
        if (text.len > 0)
            pbbuf_put(&text, ",", 1);
        for (size_t i = 0; i < r.len && rc == 0; i++) {
            char c = (char)r.data[i];
            int lower_next = i + 1 < r.len && r.data[i + 1] >= 'a' && r.data[i + 1] <= 'z';
            if ((c == '_' && !lower_next) || (c >= 'A' && c <= 'Z') || c == ',')
                rc = pbjson_fail(d, "field mask path '%.*s' has no lowerCamel form",
                                 (int)(r.len < 64 ? r.len : 64), (const char *)r.data);
            else if (c == '_')
                c = (char)(r.data[++i] - 'a' + 'A');
            pbbuf_put(&text, &c, 1);
        }
        if (rc != 0)
            break;
    }
    json_t *s = NULL;
    if (rc >= 0 && !text.failed) {
        s = json_stringn(text.len > 0 ? (const char *)text.data : "", text.len);
        if (s == NULL)
            pbjson_fail(d, "a field mask path that is not UTF-8");
    } else if (rc >= 0) {
        pbjson_fail(d, "out of memory");
    }
    pbbuf_fini(&text);
    return s;
}

static json_t *decode_wkt(dec *d, const pbs_type *t, pbjson_wkt w, const uint8_t *data, size_t len,
                          int depth)
{
    switch (w) {
    case PBJSON_STRUCT:
        return struct_of(d, data, len, depth);
    case PBJSON_VALUE:
        return json_value_of(d, data, len, depth);
    case PBJSON_LIST:
        return list_of(d, data, len, depth);
    case PBJSON_FIELDMASK:
        return field_mask_of(d, data, len);
    case PBJSON_ANY:
        return pbjson_fail(d, "google.protobuf.Any is not supported by ferry call's JSON mapping"),
               NULL;
    default:
        break;
    }
    if (w == PBJSON_WRAPPER) {
        /* The wrapper as a plain message (an unnamed type is plain). */
        json_t *obj = decode_message(d, &(pbs_type){.full = "", .msg = t->msg, .file = t->file},
                                     data, len, depth);
        if (obj == NULL)
            return NULL;
        char buf[256];
        json_t *v = json_incref(json_object_get(obj, pbs_json_name(t->msg->field[0], buf, 256)));
        json_decref(obj);
        return v != NULL ? v : default_of(d, t->msg->field[0]);
    }
    int64_t secs = 0;
    int64_t nanos = 0;
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag;
        raw r;
        if (pb_read_varint(data, len, &pos, &tag) != 0 ||
            read_raw(d, data, len, &pos, (int)(tag & 7), &r) != 0)
            return pbjson_fail(d, "a %s cut short", t->full), NULL;
        if (((tag >> 3) == 1 || (tag >> 3) == 2) && (tag & 7) != 0)
            return pbjson_fail(d, "a %s field with wire type %d", t->full, (int)(tag & 7)), NULL;
        if (tag == (1 << 3))
            secs = (int64_t)r.v;
        else if (tag == (2 << 3))
            nanos = (int32_t)(uint32_t)r.v;
    }
    char text[64];
    int bad = w == PBJSON_TIMESTAMP
                  ? pbjson_format_timestamp(secs, (int32_t)nanos, text, sizeof text)
                  : pbjson_format_duration(secs, (int32_t)nanos, text, sizeof text);
    if (bad)
        return pbjson_fail(d, "%lld s %lld ns is not a valid %s", (long long)secs, (long long)nanos,
                           t->full),
               NULL;
    return json_string(text);
}

static json_t *decode_message(dec *d, const pbs_type *t, const uint8_t *data, size_t len, int depth)
{
    if (depth > PBS_MAX_DEPTH)
        return pbjson_fail(d, "messages nested deeper than %d", PBS_MAX_DEPTH), NULL;
    pbjson_wkt w = pbjson_wkt_of(t);
    if (w != PBJSON_PLAIN)
        return decode_wkt(d, t, w, data, len, depth);
    json_t *obj = json_object();
    size_t pos = 0;
    int rc = obj != NULL ? 0 : pbjson_fail(d, "out of memory");
    while (pos < len && rc == 0) {
        uint64_t tag;
        raw r;
        if (pb_read_varint(data, len, &pos, &tag) != 0 || (tag >> 3) == 0 || (tag >> 3) > 536870911)
            return json_decref(obj), pbjson_fail(d, "a field tag is invalid"), NULL;
        const pbs_field *f = by_number(t->msg, tag >> 3);
        char buf[256];
        size_t at = f != NULL ? pbjson_push(d, ".%s", pbs_json_name(f, buf, sizeof buf))
                              : pbjson_push(d, ".(field %llu)", (unsigned long long)(tag >> 3));
        rc = read_raw(d, data, len, &pos, (int)(tag & 7), &r);
        if (rc == 0 && f != NULL)
            rc = field(d, obj, t, f, &r, depth);
        pbjson_pop(d, at);
    }
    if (rc != 0) {
        json_decref(obj);
        return NULL;
    }
    return in_order(d, t->msg, obj);
}

int pbjson_decode(const pb_schema *s, const char *type, const uint8_t *data, size_t len,
                  const char *root, json_t **out, char *err, size_t errlen)
{
    dec d = {.s = s, .err = err, .errlen = errlen};
    pbjson_push(&d, "%s", root);
    *out = NULL;
    const pbs_type *t = pbs_find(s, type);
    if (t == NULL || t->msg == NULL)
        return pbjson_fail(&d, "the type %s is not in the schema", type);
    *out = decode_message(&d, t, data, len, 0);
    return *out != NULL ? 0 : -1;
}
