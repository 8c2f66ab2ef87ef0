/* pbjson_wkt.c - the pieces of protobuf's JSON mapping both directions
 * share (pbjson.h): the byte buffer and varints, the path and message of a
 * refusal, wire types, which types have a JSON form of their own, base64,
 * and the text forms of google.protobuf.Timestamp and Duration. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

void pbbuf_fini(pbbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void pbbuf_put(pbbuf *b, const void *data, size_t len)
{
    if (b->failed || len == 0)
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void pbbuf_varint(pbbuf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    pbbuf_put(b, tmp, n);
}

int pb_read_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*pos >= len)
            return -1;
        uint8_t byte = data[(*pos)++];
        if (i == 9 && byte > 1)
            return -1; /* more than 64 bits */
        r |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* ---- paths and messages ------------------------------------------------- */

int pbjson_fail(pbjson_ctx *c, const char *fmt, ...)
{
    if (c->failed++)
        return -1;
    int n = snprintf(c->err, c->errlen, "%s: ", c->path);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

size_t pbjson_push(pbjson_ctx *c, const char *fmt, ...)
{
    size_t at = c->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + at, sizeof c->path - at, fmt, ap);
    va_end(ap);
    if (n >= 0)
        c->plen = at + (size_t)n < sizeof c->path ? at + (size_t)n : sizeof c->path - 1;
    return at;
}

void pbjson_pop(pbjson_ctx *c, size_t at)
{
    c->plen = at;
    c->path[at] = '\0';
}

const char *pbjson_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

int pbjson_wire_type(int t)
{
    switch (t) {
    case T(DOUBLE):
    case T(FIXED64):
    case T(SFIXED64):
        return 1;
    case T(FLOAT):
    case T(FIXED32):
    case T(SFIXED32):
        return 5;
    case T(STRING):
    case T(BYTES):
    case T(MESSAGE):
    case T(GROUP):
        return 2;
    default:
        return 0;
    }
}

/* ---- well-known types ---------------------------------------------------- */

/* Whether field `i` of `m` is the singular field `number` of type `type`
 * (0: any type but a message or group). */
static int shaped(const pbs_msg *m, size_t i, int number, int type)
{
    const pbs_field *f = m->field[i];
    if (f->number != number ||
        f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED)
        return 0;
    return type != 0 ? (int)f->type == type : f->type != T(MESSAGE) && f->type != T(GROUP);
}

pbjson_wkt pbjson_wkt_of(const pbs_type *t)
{
    static const char *const wrappers[] = {
        "google.protobuf.DoubleValue", "google.protobuf.FloatValue",  "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value", "google.protobuf.Int32Value",  "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue",   "google.protobuf.StringValue", "google.protobuf.BytesValue",
    };
    const pbs_msg *m = t->msg;
    if (m == NULL)
        return PBJSON_PLAIN;
    /* A type that has the name but not the shape (a server's schema may say
     * anything) is a plain message. */
    int secs_nanos = m->n_field == 2 && shaped(m, 0, 1, T(INT64)) && shaped(m, 1, 2, T(INT32));
    if (secs_nanos && strcmp(t->full, "google.protobuf.Timestamp") == 0)
        return PBJSON_TIMESTAMP;
    if (secs_nanos && strcmp(t->full, "google.protobuf.Duration") == 0)
        return PBJSON_DURATION;
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (strcmp(t->full, wrappers[i]) == 0 && m->n_field == 1 && shaped(m, 0, 1, 0))
            return PBJSON_WRAPPER;
    /* The encoder and decoder write and read these by their field numbers;
     * the field count is what is checked of their shape. */
    static const struct {
        const char *name;
        size_t n_field;
        pbjson_wkt w;
    } json_types[] = {
        {"google.protobuf.Struct", 1, PBJSON_STRUCT},
        {"google.protobuf.Value", 6, PBJSON_VALUE},
        {"google.protobuf.ListValue", 1, PBJSON_LIST},
        {"google.protobuf.FieldMask", 1, PBJSON_FIELDMASK},
    };
    for (size_t i = 0; i < sizeof json_types / sizeof json_types[0]; i++)
        if (strcmp(t->full, json_types[i].name) == 0 && m->n_field == json_types[i].n_field)
            return json_types[i].w;
    if (strcmp(t->full, "google.protobuf.Any") == 0)
        return PBJSON_ANY;
    return PBJSON_PLAIN;
}

int pbjson_is_null_value(const pbs_field *f)
{
    return f->type == T(ENUM) && f->type_name != NULL &&
           strcmp(f->type_name, ".google.protobuf.NullValue") == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar
 * arithmetic over 400-year eras, exact for any year). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

#define TS_MIN  (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define TS_MAX  253402300799LL   /* 9999-12-31T23:59:59Z */
#define DUR_MAX 315576000000LL   /* 10000 years */

/* `n` decimal digits at *p; advances it. -1 when not all digits. */
static int64_t digits(const char **p, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

/* ".123" up to nine digits as nanoseconds; none at all is 0. */
static int fraction(const char **p, int32_t *nanos)
{
    *nanos = 0;
    if (**p != '.')
        return 0;
    (*p)++;
    int n = 0;
    int32_t v = 0;
    while (**p >= '0' && **p <= '9' && n < 9) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n == 0 || (**p >= '0' && **p <= '9'))
        return -1;
    for (; n < 9; n++)
        v *= 10;
    *nanos = v;
    return 0;
}

int pbjson_parse_timestamp(const char *text, int64_t *secs, int32_t *nanos)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = text;
    int64_t y = digits(&p, 4);
    if (y < 1 || *p++ != '-')
        return -1;
    int64_t mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return -1;
    int64_t d = digits(&p, 2);
    if (d < 1 || d > mdays[mo - 1] || (*p != 'T' && *p != 't'))
        return -1;
    p++;
    int64_t h = digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return -1;
    int64_t mi = digits(&p, 2);
    if (mi < 0 || mi > 59 || *p++ != ':')
        return -1;
    int64_t s = digits(&p, 2);
    if (s < 0 || s > 59 || fraction(&p, nanos) != 0)
        return -1;
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int64_t oh = digits(&p, 2);
        if (oh < 0 || oh > 23 || *p++ != ':')
            return -1;
        int64_t om = digits(&p, 2);
        if (om < 0 || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    unsigned cm, cd;
    int64_t cy;
    civil_from_days(days, &cy, &cm, &cd);
    if (cm != (unsigned)mo) /* February 29th of a year without one */
        return -1;
    *secs = days * 86400 + h * 3600 + mi * 60 + s - offset;
    return *secs < TS_MIN || *secs > TS_MAX ? -1 : 0;
}

/* The fraction of a second in 0, 3, 6 or 9 digits, as protobuf writes it. */
static void write_nanos(char *buf, size_t len, int32_t nanos)
{
    if (nanos == 0)
        buf[0] = '\0';
    else if (nanos % 1000000 == 0)
        snprintf(buf, len, ".%03d", nanos / 1000000);
    else if (nanos % 1000 == 0)
        snprintf(buf, len, ".%06d", nanos / 1000);
    else
        snprintf(buf, len, ".%09d", nanos);
}

int pbjson_format_timestamp(int64_t secs, int32_t nanos, char *buf, size_t len)
{
    if (secs < TS_MIN || secs > TS_MAX || nanos < 0 || nanos > 999999999)
        return -1;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char frac[16];
    write_nanos(frac, sizeof frac, nanos);
    snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d%sZ", (int)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60), frac);
    return 0;
}

int pbjson_parse_duration(const char *text, int64_t *secs, int32_t *nanos)
{
    const char *p = text;
    int neg = *p == '-';
    if (neg)
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    int64_t s = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        s = s * 10 + (*p - '0');
        if (s > DUR_MAX)
            return -1;
    }
    if (fraction(&p, nanos) != 0 || *p++ != 's' || *p != '\0')
        return -1;
    *secs = neg ? -s : s;
    if (neg)
        *nanos = -*nanos;
    return 0;
}

int pbjson_format_duration(int64_t secs, int32_t nanos, char *buf, size_t len)
{
    if (secs < -DUR_MAX || secs > DUR_MAX || nanos < -999999999 || nanos > 999999999 ||
        (secs > 0 && nanos < 0) || (secs < 0 && nanos > 0))
        return -1;
    int neg = secs < 0 || nanos < 0;
    char frac[16];
    write_nanos(frac, sizeof frac, nanos < 0 ? -nanos : nanos);
    snprintf(buf, len, "%s%lld%ss", neg ? "-" : "", (long long)(secs < 0 ? -secs : secs), frac);
    return 0;
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    if (c == '-')
        return 62; /* URL-safe alphabet */
    if (c == '_')
        return 63;
    const char *p = c != '\0' ? strchr(b64, c) : NULL;
    return p != NULL ? (int)(p - b64) : -1;
}

int pbjson_base64_decode(const char *text, uint8_t **out, size_t *len)
{
    size_t all = strlen(text), n = all;
    while (n > 0 && text[n - 1] == '=')
        n--;
    /* Unpadded, or padded to a multiple of four and no further (protojson
     * refuses "AA===", "AA=" and "AAAA=="). */
    if (n % 4 == 1 || (all != n && (all % 4 != 0 || all - n > 2)))
        return -1;
    uint8_t *buf = malloc(n / 4 * 3 + 3);
    if (buf == NULL)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(text[i]);
        if (v < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out = buf;
    *len = o;
    return 0;
}

char *pbjson_base64_encode(const uint8_t *data, size_t len)
{
    char *s = malloc((len + 2) / 3 * 4 + 1);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        s[o++] = b64[v >> 18];
        s[o++] = b64[(v >> 12) & 63];
        s[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    s[o] = '\0';
    return s;
}
