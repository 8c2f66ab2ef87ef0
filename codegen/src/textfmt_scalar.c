/* textfmt_scalar.c - scalar values of protobuf text format, checked
 * against their field's type and encoded: integers of every width and
 * signedness (range-checked), floats and doubles (inf, nan), bools, enums by
 * name or number, strings (UTF-8, no NUL) and bytes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "textfmt_parse.h"

/* The value of the integer token `t`: 0, -1 on overflow, -2 on a digit that
 * is not octal after a leading 0. */
static int magnitude(const fcg_tf_token *t, uint64_t *v)
{
    const char *s = t->text;
    size_t n = t->len, i = 0;
    unsigned base = 10;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n > 1 && s[0] == '0') {
        base = 8;
        i = 1;
    }
    uint64_t x = 0;
    for (; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        unsigned d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        if (d >= base)
            return -2;
        if (x > (UINT64_MAX - d) / base)
            return -1;
        x = x * base + d;
    }
    *v = x;
    return 0;
}

/* Reads an optionally negative integer for `fd`: *neg and *mag. */
static int read_integer(fcg_tf_parser *p, const fcg_tf_field_desc *fd, int *neg, uint64_t *mag)
{
    char buf[64];
    fcg_tf_token first = p->tok;
    *neg = fcg_tf_is_sym(p, '-');
    if (*neg) {
        fcg_tf_advance(p);
        if (fcg_tf_check(p) != 0)
            return -1;
    }
    if (p->tok.kind != FCG_TF_INT)
        return fcg_tf_fail(p, &first, "expected an integer (%s), got %s", fcg_tf_type_name(fd),
                           fcg_tf_got(p, buf, sizeof buf));
    int rc = magnitude(&p->tok, mag);
    if (rc == -2)
        return fcg_tf_fail(p, &first, "invalid octal number %.*s", (int)p->tok.len, p->tok.text);
    if (rc == -1)
        return fcg_tf_fail(p, &first, "%s%.*s is out of range for %s", *neg ? "-" : "",
                           (int)p->tok.len, p->tok.text, fcg_tf_type_name(fd));
    fcg_tf_advance(p);
    return 0;
}

static int integer_value(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    int64_t min = 0;
    uint64_t max = UINT32_MAX;
    v->wire = FCG_TF_VARINT;
    switch (fd->type) {
    case FCG_TF_TYPE(SFIXED32):
        v->wire = FCG_TF_FIXED32;
        /* fall through */
    case FCG_TF_TYPE(INT32):
    case FCG_TF_TYPE(SINT32):
        min = INT32_MIN;
        max = INT32_MAX;
        break;
    case FCG_TF_TYPE(SFIXED64):
        v->wire = FCG_TF_FIXED64;
        /* fall through */
    case FCG_TF_TYPE(INT64):
    case FCG_TF_TYPE(SINT64):
        min = INT64_MIN;
        max = INT64_MAX;
        break;
    case FCG_TF_TYPE(FIXED32):
        v->wire = FCG_TF_FIXED32;
        break;
    case FCG_TF_TYPE(FIXED64):
        v->wire = FCG_TF_FIXED64;
        /* fall through */
    case FCG_TF_TYPE(UINT64):
        max = UINT64_MAX;
        break;
    default: /* UINT32 */
        break;
    }
    fcg_tf_token first = p->tok;
    int neg;
    uint64_t mag;
    if (read_integer(p, fd, &neg, &mag) != 0)
        return -1;
    /* The most negative value's magnitude, without overflowing int64. */
    uint64_t neg_max = min < 0 ? (uint64_t)(-(min + 1)) + 1 : 0;
    if (neg ? mag > neg_max : mag > max)
        return fcg_tf_fail(p, &first, "%s%llu is out of range for %s", neg ? "-" : "",
                           (unsigned long long)mag, fcg_tf_type_name(fd));
    if (fd->type == FCG_TF_TYPE(SINT32) || fd->type == FCG_TF_TYPE(SINT64))
        v->bits = neg ? 2 * mag - 1 : 2 * mag; /* zigzag */
    else
        v->bits = neg ? 0 - mag : mag; /* two's complement, sign-extended to 64 bits */
    if (v->wire == FCG_TF_FIXED32)
        v->bits &= UINT32_MAX;
    return 0;
}

static int bool_value(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    char buf[64];
    const fcg_tf_token *t = &p->tok;
    static const char *const yes[] = {"true", "True", "t"}, *const no[] = {"false", "False", "f"};
    int value = -1;
    for (size_t i = 0; i < 3 && t->kind == FCG_TF_IDENT; i++) {
        if (t->len == strlen(yes[i]) && memcmp(t->text, yes[i], t->len) == 0)
            value = 1;
        if (t->len == strlen(no[i]) && memcmp(t->text, no[i], t->len) == 0)
            value = 0;
    }
    uint64_t mag;
    if (t->kind == FCG_TF_INT && magnitude(t, &mag) == 0 && mag <= 1)
        value = (int)mag;
    if (value < 0)
        return fcg_tf_fail(p, t, "expected true or false (%s), got %s", fcg_tf_type_name(fd),
                           fcg_tf_got(p, buf, sizeof buf));
    v->wire = FCG_TF_VARINT;
    v->bits = (uint64_t)value;
    fcg_tf_advance(p);
    return 0;
}

static int same_word(const fcg_tf_token *t, const char *word)
{
    size_t n = strlen(word);
    if (t->len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((t->text[i] | 0x20) != word[i])
            return 0;
    return 1;
}

/* A number token's text as strtod reads it: without an 'f' suffix. */
static int decimal_value(fcg_tf_parser *p, const fcg_tf_token *t, double *d)
{
    size_t n = t->len;
    if (t->text[n - 1] == 'f' || t->text[n - 1] == 'F')
        n--;
    char *s = fcg_arena_strndup(p->a, t->text, n);
    if (s == NULL)
        return fcg_tf_out_of_memory(p);
    *d = strtod(s, NULL); /* the generator never changes the "C" locale */
    return 0;
}

static int float_value(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    char buf[64];
    fcg_tf_token first = p->tok;
    int neg = fcg_tf_is_sym(p, '-');
    if (neg) {
        fcg_tf_advance(p);
        if (fcg_tf_check(p) != 0)
            return -1;
    }
    const fcg_tf_token *t = &p->tok;
    int decimal = t->kind == FCG_TF_FLOAT || (t->kind == FCG_TF_INT && t->text[0] != '0') ||
                  (t->kind == FCG_TF_INT && t->len == 1);
    double d = 0;
    uint64_t mag;
    if (t->kind == FCG_TF_IDENT && (same_word(t, "inf") || same_word(t, "infinity"))) {
        d = INFINITY;
    } else if (t->kind == FCG_TF_IDENT && same_word(t, "nan")) {
        d = NAN;
    } else if (decimal) {
        if (decimal_value(p, t, &d) != 0)
            return -1;
        if (isinf(d))
            return fcg_tf_fail(p, &first, "%s%.*s is out of range for %s", neg ? "-" : "",
                               (int)t->len, t->text, fcg_tf_type_name(fd));
    } else if (t->kind == FCG_TF_INT) { /* hex or octal */
        int rc = magnitude(t, &mag);
        if (rc == -2)
            return fcg_tf_fail(p, &first, "invalid octal number %.*s", (int)t->len, t->text);
        if (rc == -1)
            return fcg_tf_fail(p, &first, "%.*s is too large: write it in decimal", (int)t->len,
                               t->text);
        d = (double)mag;
    } else {
        return fcg_tf_fail(p, &first, "expected a number (%s), got %s", fcg_tf_type_name(fd),
                           fcg_tf_got(p, buf, sizeof buf));
    }
    if (neg)
        d = -d;
    if (fd->type == FCG_TF_TYPE(FLOAT)) {
        if (isfinite(d) && fabs(d) > FLT_MAX)
            return fcg_tf_fail(p, &first, "%s%.*s is out of range for float", neg ? "-" : "",
                               (int)t->len, t->text);
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        v->wire = FCG_TF_FIXED32;
        v->bits = bits;
    } else {
        memcpy(&v->bits, &d, sizeof d);
        v->wire = FCG_TF_FIXED64;
    }
    fcg_tf_advance(p);
    return 0;
}

static int enum_value(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    const fcg_tf_token first = p->tok;
    const fcg_tf_type *t = fcg_tf_find_type(p->s, fd->type_name);
    if (t == NULL || t->enm == NULL)
        return fcg_tf_fail(p, &first, "its enum type %s is not in the request",
                           fd->type_name != NULL ? fd->type_name : "(none)");
    const fcg_tf_enum_desc *e = t->enm;
    v->wire = FCG_TF_VARINT;
    if (first.kind == FCG_TF_IDENT) {
        for (size_t i = 0; i < e->n_value; i++) {
            const char *name = e->value[i]->name;
            if (name != NULL && strlen(name) == first.len &&
                memcmp(name, first.text, first.len) == 0) {
                v->bits = (uint64_t)(int64_t)e->value[i]->number;
                fcg_tf_advance(p);
                return 0;
            }
        }
        return fcg_tf_fail(p, &first, "%s has no value named \"%.*s\"",
                           fcg_tf_display(t->full_name), (int)first.len, first.text);
    }
    if (first.kind != FCG_TF_INT && !fcg_tf_is_sym(p, '-')) {
        char buf[64];
        return fcg_tf_fail(p, &first, "expected a value of enum %s, got %s",
                           fcg_tf_display(t->full_name), fcg_tf_got(p, buf, sizeof buf));
    }
    int neg;
    uint64_t mag;
    if (read_integer(p, fd, &neg, &mag) != 0)
        return -1;
    if (neg ? mag > (uint64_t)INT32_MAX + 1 : mag > INT32_MAX)
        return fcg_tf_fail(p, &first, "%s%llu is out of range for an enum", neg ? "-" : "",
                           (unsigned long long)mag);
    int64_t number = neg ? -(int64_t)mag : (int64_t)mag;
    int known = 0;
    for (size_t i = 0; i < e->n_value && !known; i++)
        known = e->value[i]->number == number;
    if (!known && !t->proto3)
        return fcg_tf_fail(p, &first,
                           "%s has no value numbered %lld (it is a proto2 enum: only its own "
                           "values are allowed)",
                           fcg_tf_display(t->full_name), (long long)number);
    v->bits = (uint64_t)number;
    return 0;
}

/* The offset of the first byte that does not belong to valid UTF-8, or -1. */
static long bad_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, least;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1fu, least = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0fu, least = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07u, least = 0x10000;
        } else {
            return (long)i;
        }
        if (n - i <= k)
            return (long)i;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return (long)i;
            cp = cp << 6 | (s[i + j] & 0x3fu);
        }
        if (cp < least || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
            return (long)i;
        i += k + 1;
    }
    return -1;
}

/* One or more adjacent string tokens, joined. */
static int string_value(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    char buf[64];
    const fcg_tf_token first = p->tok;
    if (first.kind != FCG_TF_STRING)
        return fcg_tf_fail(p, &first, "expected a string (%s), got %s", fcg_tf_type_name(fd),
                           fcg_tf_got(p, buf, sizeof buf));
    uint8_t *data = first.str;
    size_t len = first.str_len;
    fcg_tf_advance(p);
    if (p->tok.kind == FCG_TF_STRING) {
        /* Joined in one growing buffer, so many pieces cost linear time. */
        size_t cap = 2 * (len + p->tok.str_len) + 16;
        uint8_t *joined = malloc(cap);
        if (joined == NULL)
            return fcg_tf_out_of_memory(p);
        memcpy(joined, data, len);
        while (p->tok.kind == FCG_TF_STRING) {
            if (len + p->tok.str_len + 1 > cap) {
                cap = 2 * (len + p->tok.str_len + 1);
                uint8_t *grown = realloc(joined, cap);
                if (grown == NULL) {
                    free(joined);
                    return fcg_tf_out_of_memory(p);
                }
                joined = grown;
            }
            memcpy(joined + len, p->tok.str, p->tok.str_len);
            len += p->tok.str_len;
            fcg_tf_advance(p);
        }
        data = fcg_arena_alloc(p->a, len + 1);
        if (data != NULL)
            memcpy(data, joined, len);
        free(joined);
        if (data == NULL)
            return fcg_tf_out_of_memory(p);
    }
    if (fd->type == FCG_TF_TYPE(STRING)) {
        long bad = bad_utf8(data, len);
        if (bad >= 0)
            return fcg_tf_fail(p, &first,
                               "the string is not valid UTF-8 (byte %ld); use a bytes field "
                               "for binary data",
                               bad);
        const void *nul = memchr(data, '\0', len);
        if (nul != NULL)
            return fcg_tf_fail(p, &first,
                               "the string holds a NUL byte (byte %ld), which a C string "
                               "cannot carry",
                               (long)((const uint8_t *)nul - data));
    }
    v->wire = FCG_TF_LEN;
    v->data = data;
    v->len = len;
    return 0;
}

int fcg_tf_scalar(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    switch (fd->type) {
    case FCG_TF_TYPE(STRING):
    case FCG_TF_TYPE(BYTES):
        return string_value(p, fd, v);
    case FCG_TF_TYPE(BOOL):
        return bool_value(p, fd, v);
    case FCG_TF_TYPE(ENUM):
        return enum_value(p, fd, v);
    case FCG_TF_TYPE(FLOAT):
    case FCG_TF_TYPE(DOUBLE):
        return float_value(p, fd, v);
    default:
        return integer_value(p, fd, v);
    }
}
