/* validate.c - the IDL's validation rules at run time (ferry/validate.h):
 * running a method's generated validator, the violations it records and
 * their field paths, and the tests of single values it calls (formats,
 * lengths, lists, duplicates).
 *
 * A validator walks a request that came off the network, so every test is
 * bounded by the request's own size: no recursion but the validator's own,
 * which FERRY_VALIDATE_MAX_DEPTH stops, and no quadratic work on a long
 * repeated field (duplicates are found by sorting a copy). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/ferry.h"
#include "base/utf8.h"
#include "call/validate.h"

enum seg_kind { SEG_FIELD, SEG_INDEX, SEG_KEY, SEG_IKEY, SEG_UKEY };

/* One step of a path: a field, maybe with an index or a map key. */
typedef struct seg {
    const char *field;
    enum seg_kind kind;
    size_t index;
    const char *key;
    int64_t ikey;
    uint64_t ukey;
} seg;

struct ferry_validation {
    ferry_violations *out; /* NULL: count only */
    size_t total;
    unsigned depth;
    seg stack[FERRY_VALIDATE_MAX_DEPTH];
};

/* ---- paths and violations ---------------------------------------------- */

typedef struct buf {
    char *p;
    size_t cap, len; /* len may pass cap: the text was cut */
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    int n = vsnprintf(room > 0 ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* A map key as the path shows it: quoted, with quotes, backslashes and
 * bytes outside printable ASCII escaped, so a hostile key cannot forge a
 * path or break a log line. */
static void put_key(buf *b, const char *key)
{
    put(b, "[\"");
    for (const unsigned char *k = (const unsigned char *)key; *k && b->len < b->cap; k++) {
        if (*k == '"' || *k == '\\')
            put(b, "\\%c", *k);
        else if (*k < 0x20 || *k >= 0x7f)
            put(b, "\\x%02x", *k);
        else
            put(b, "%c", *k);
    }
    put(b, "\"]");
}

static void put_seg(buf *b, const seg *s)
{
    put(b, "%s%s", b->len > 0 ? "." : "", s->field);
    switch (s->kind) {
    case SEG_INDEX:
        put(b, "[%zu]", s->index);
        break;
    case SEG_KEY:
        put_key(b, s->key != NULL ? s->key : "");
        break;
    case SEG_IKEY:
        put(b, "[%lld]", (long long)s->ikey);
        break;
    case SEG_UKEY:
        put(b, "[%llu]", (unsigned long long)s->ukey);
        break;
    case SEG_FIELD:
        break;
    }
}

/* Marks a cut text with "..." at its end. */
static void mark_cut(char *p, size_t cap, size_t len)
{
    if (len >= cap && cap > 4)
        memcpy(p + cap - 4, "...", 4);
}

static void record(ferry_validation *v, const seg *leaf, const char *reason)
{
    v->total++;
    if (v->out == NULL || v->out->count >= FERRY_VIOLATIONS_MAX)
        return;
    ferry_violation *e = &v->out->v[v->out->count++];
    buf b = {.p = e->path, .cap = sizeof e->path};
    e->path[0] = '\0';
    for (unsigned i = 0; i < v->depth; i++)
        put_seg(&b, &v->stack[i]);
    if (leaf != NULL)
        put_seg(&b, leaf);
    mark_cut(e->path, sizeof e->path, b.len);
    size_t n = (size_t)snprintf(e->reason, sizeof e->reason, "%s", reason);
    mark_cut(e->reason, sizeof e->reason, n);
}

void ferry_v_fail(ferry_validation *v, const char *field, const char *reason)
{
    seg s = {.field = field, .kind = SEG_FIELD};
    record(v, &s, reason);
}

void ferry_v_fail_index(ferry_validation *v, const char *field, size_t index, const char *reason)
{
    seg s = {.field = field, .kind = SEG_INDEX, .index = index};
    record(v, &s, reason);
}

void ferry_v_fail_key(ferry_validation *v, const char *field, const char *key, const char *reason)
{
    seg s = {.field = field, .kind = SEG_KEY, .key = key};
    record(v, &s, reason);
}

void ferry_v_fail_ikey(ferry_validation *v, const char *field, int64_t key, const char *reason)
{
    seg s = {.field = field, .kind = SEG_IKEY, .ikey = key};
    record(v, &s, reason);
}

void ferry_v_fail_ukey(ferry_validation *v, const char *field, uint64_t key, const char *reason)
{
    seg s = {.field = field, .kind = SEG_UKEY, .ukey = key};
    record(v, &s, reason);
}

static int enter(ferry_validation *v, const seg *s)
{
    if (v->depth >= FERRY_VALIDATE_MAX_DEPTH) {
        record(v, s, "is nested deeper than the 32 messages a request may nest");
        return 0;
    }
    v->stack[v->depth++] = *s;
    return 1;
}

int ferry_v_enter(ferry_validation *v, const char *field)
{
    return enter(v, &(seg){.field = field, .kind = SEG_FIELD});
}

int ferry_v_enter_index(ferry_validation *v, const char *field, size_t index)
{
    return enter(v, &(seg){.field = field, .kind = SEG_INDEX, .index = index});
}

int ferry_v_enter_key(ferry_validation *v, const char *field, const char *key)
{
    return enter(v, &(seg){.field = field, .kind = SEG_KEY, .key = key});
}

int ferry_v_enter_ikey(ferry_validation *v, const char *field, int64_t key)
{
    return enter(v, &(seg){.field = field, .kind = SEG_IKEY, .ikey = key});
}

int ferry_v_enter_ukey(ferry_validation *v, const char *field, uint64_t key)
{
    return enter(v, &(seg){.field = field, .kind = SEG_UKEY, .ukey = key});
}

void ferry_v_leave(ferry_validation *v)
{
    if (v->depth > 0)
        v->depth--;
}

_Static_assert(FERRY_VALIDATE_MAX_DEPTH == 32, "the depth message names the limit");

ferry_status ferry_validate(const ferry_method *m, const ProtobufCMessage *req,
                            ferry_violations *out)
{
    if (out != NULL) {
        out->count = 0;
        out->total = 0;
    }
    if (m == NULL || req == NULL)
        return FERRY_INVALID_ARGUMENT;
    if (m->validate == NULL)
        return FERRY_OK;
    ferry_validation v;
    v.out = out;
    v.total = 0;
    v.depth = 0;
    m->validate(&v, req);
    if (out != NULL)
        out->total = v.total;
    return v.total == 0 ? FERRY_OK : FERRY_INVALID_ARGUMENT;
}

size_t ferry_violations_format(const ferry_violations *list, char *p, size_t size)
{
    buf b = {.p = p, .cap = size};
    if (size > 0)
        p[0] = '\0';
    size_t count = list != NULL && list->count <= FERRY_VIOLATIONS_MAX ? list->count : 0;
    for (size_t i = 0; i < count; i++) {
        const ferry_violation *e = &list->v[i];
        /* Bounded reads: a list may come from a peer's bytes. */
        put(&b, "%s%.*s: %.*s", i > 0 ? "; " : "", (int)sizeof e->path, e->path,
            (int)sizeof e->reason, e->reason);
    }
    if (list != NULL && list->total > count)
        put(&b, "%sand %zu more", count > 0 ? "; " : "", list->total - count);
    return b.len;
}

/* ---- tests of one value -------------------------------------------------- */

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int ferry_v_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

/* A string has at least as many bytes as characters: the byte count
 * (strnlen, fast) settles most lengths without counting characters. */
int ferry_v_chars_less(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    if (strnlen((const char *)p, n) < n)
        return 1;
    size_t chars = 0;
    for (; *p && chars < n; p++)
        chars += (*p & 0xc0) != 0x80;
    return chars < n;
}

int ferry_v_chars_more(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    if (strnlen((const char *)p, n + 1) <= n)
        return 0;
    size_t chars = 0;
    for (; *p; p++)
        if ((*p & 0xc0) != 0x80 && ++chars > n)
            return 1;
    return 0;
}

int ferry_v_is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Whether the NUL-terminated s is a hostname: labels of 1 to 63 letters,
 * digits and '-', neither first nor last '-', joined by single dots, 253
 * bytes at most. One pass, no strlen: it runs on every request. */
static int hostname(const char *s)
{
    size_t label = 0, i = 0;
    for (; s[i] != '\0'; i++) {
        int c = (unsigned char)s[i];
        if (i >= 253)
            return 0;
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if (is_alpha(c) || is_digit(c) || c == '-') {
            if ((label == 0 && c == '-') || ++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && s[i - 1] != '-';
}

int ferry_v_is_hostname(const char *s)
{
    return s != NULL && hostname(s);
}

/* Classes of ASCII characters, one lookup per byte. */
enum { C_ATEXT = 1, C_URIC = 2 };

static const unsigned char char_class[128] = {
    ['!'] = C_ATEXT | C_URIC, ['#'] = C_ATEXT | C_URIC, ['$'] = C_ATEXT | C_URIC,
    ['%'] = C_ATEXT,          ['&'] = C_ATEXT | C_URIC, ['\''] = C_ATEXT | C_URIC,
    ['('] = C_URIC,           [')'] = C_URIC,           ['*'] = C_ATEXT | C_URIC,
    ['+'] = C_ATEXT | C_URIC, [','] = C_URIC,           ['-'] = C_ATEXT | C_URIC,
    ['.'] = C_URIC,           ['/'] = C_ATEXT | C_URIC, [':'] = C_URIC,
    [';'] = C_URIC,           ['='] = C_ATEXT | C_URIC, ['?'] = C_ATEXT | C_URIC,
    ['@'] = C_URIC,           ['['] = C_URIC,           [']'] = C_URIC,
    ['^'] = C_ATEXT,          ['_'] = C_ATEXT | C_URIC, ['`'] = C_ATEXT,
    ['{'] = C_ATEXT,          ['|'] = C_ATEXT,          ['}'] = C_ATEXT,
    ['~'] = C_ATEXT | C_URIC,
};

static int in_class(int c, int cls)
{
    return is_alpha(c) || is_digit(c) || (c > 0 && c < 128 && (char_class[c] & cls));
}

/* RFC 5322's atext: what a dot-atom's atoms are made of. */
static int is_atext(int c)
{
    return in_class(c, C_ATEXT);
}

int ferry_v_is_email(const char *s)
{
    if (s == NULL)
        return 0;
    /* The local part: dot-separated atoms, 64 bytes at most. */
    size_t i = 0;
    for (; s[i] != '@'; i++) {
        if (s[i] == '\0' || i >= 64)
            return 0;
        if (s[i] == '.') {
            if (i == 0 || s[i - 1] == '.' || s[i + 1] == '@')
                return 0;
        } else if (!is_atext((unsigned char)s[i])) {
            return 0;
        }
    }
    /* 254 bytes in all: the local part, '@' and at most 253 - i more. */
    return i > 0 && hostname(s + i + 1) && strnlen(s + i + 1, 254 - i) < 254 - i;
}

/* RFC 3986's characters outside percent-encoding: unreserved and reserved. */
static int is_uric(int c)
{
    return in_class(c, C_URIC);
}

int ferry_v_is_uri(const char *s)
{
    if (s == NULL || !is_alpha((unsigned char)s[0]))
        return 0;
    const char *p = s + 1;
    while (is_alpha((unsigned char)*p) || is_digit((unsigned char)*p) || *p == '+' || *p == '-' ||
           *p == '.')
        p++;
    if (*p != ':')
        return 0;
    for (p++; *p; p++) {
        if (*p == '%') {
            if (!is_hex((unsigned char)p[1]) || !is_hex((unsigned char)p[2]))
                return 0;
            p += 2;
        } else if (!is_uric((unsigned char)*p)) {
            return 0;
        }
    }
    /* "scheme://" promises an authority: it needs a host. */
    const char *colon = strchr(s, ':');
    if (colon[1] == '/' && colon[2] == '/' &&
        (colon[3] == '\0' || colon[3] == '/' || colon[3] == '?' || colon[3] == '#'))
        return strncmp(s, "file:", 5) == 0;
    return 1;
}

int ferry_v_is_ip(const char *s, int family)
{
    unsigned char addr[16];
    if (s == NULL)
        return 0;
    if (family != 6 && inet_pton(AF_INET, s, addr) == 1)
        return 1;
    return family != 4 && inet_pton(AF_INET6, s, addr) == 1;
}

int ferry_v_str_in(const char *s, const char *const *list, size_t n)
{
    const char *x = s != NULL ? s : "";
    for (size_t i = 0; i < n; i++)
        if (strcmp(x, list[i]) == 0)
            return 1;
    return 0;
}

int ferry_v_bytes_in(const ProtobufCBinaryData *b, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list[i]);
        if (len == b->len && (len == 0 || memcmp(b->data, list[i], len) == 0))
            return 1;
    }
    return 0;
}

/* ---- duplicates ----------------------------------------------------------- */

/* Below this many items a pairwise check is cheaper than sorting a copy. */
enum { PAIRWISE_MAX = 16 };

static int cmp4(const void *a, const void *b)
{
    return memcmp(a, b, 4);
}

static int cmp8(const void *a, const void *b)
{
    return memcmp(a, b, 8);
}

static int cmp_str(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static int cmp_bytes(const void *a, const void *b)
{
    const ProtobufCBinaryData *x = *(const ProtobufCBinaryData *const *)a;
    const ProtobufCBinaryData *y = *(const ProtobufCBinaryData *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n > 0 ? memcmp(x->data, y->data, n) : 0;
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static const char *const DUPLICATES = "must not contain the same value twice";
static const char *const NO_MEMORY = "could not be checked for duplicates: out of memory";

/* Sorts `n` elements of `size` bytes copied from `items` and reports a run
 * of equal neighbours. */
static void unique_sorted(ferry_validation *v, const char *field, const void *items, size_t n,
                          size_t size, int (*cmp)(const void *, const void *))
{
    char *copy = malloc(n * size);
    if (copy == NULL) {
        ferry_v_fail(v, field, NO_MEMORY);
        return;
    }
    memcpy(copy, items, n * size);
    qsort(copy, n, size, cmp);
    for (size_t i = 1; i < n; i++) {
        if (cmp(copy + (i - 1) * size, copy + i * size) == 0) {
            ferry_v_fail(v, field, DUPLICATES);
            break;
        }
    }
    free(copy);
}

void ferry_v_unique(ferry_validation *v, const char *field, const void *items, size_t n,
                    size_t size)
{
    if (n < 2)
        return;
    if (n > PAIRWISE_MAX && (size == 4 || size == 8)) {
        unique_sorted(v, field, items, n, size, size == 4 ? cmp4 : cmp8);
        return;
    }
    const char *p = items;
    for (size_t i = 1; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (memcmp(p + i * size, p + k * size, size) == 0) {
                ferry_v_fail(v, field, DUPLICATES);
                return;
            }
}

void ferry_v_unique_str(ferry_validation *v, const char *field, char *const *items, size_t n)
{
    if (n < 2)
        return;
    if (n > PAIRWISE_MAX) {
        unique_sorted(v, field, items, n, sizeof *items, cmp_str);
        return;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (cmp_str(&items[i], &items[k]) == 0) {
                ferry_v_fail(v, field, DUPLICATES);
                return;
            }
}

void ferry_v_unique_bytes(ferry_validation *v, const char *field, const ProtobufCBinaryData *items,
                          size_t n)
{
    if (n < 2)
        return;
    const ProtobufCBinaryData **ptrs = malloc(n * sizeof *ptrs);
    if (ptrs == NULL) {
        ferry_v_fail(v, field, NO_MEMORY);
        return;
    }
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &items[i];
    qsort(ptrs, n, sizeof *ptrs, cmp_bytes);
    for (size_t i = 1; i < n; i++) {
        if (cmp_bytes(&ptrs[i - 1], &ptrs[i]) == 0) {
            ferry_v_fail(v, field, DUPLICATES);
            break;
        }
    }
    free(ptrs);
}

/* ---- on the wire ------------------------------------------------------------ */

void ferryi_violations_to_wire(const ferry_violations *list, Ferry__Wire__ReplyHeader *h,
                               Ferry__Wire__Violation *vs, Ferry__Wire__Violation **vp,
                               char (*text)[FERRYI_VIOLATION_TEXT])
{
    size_t n = list->count < FERRY_VIOLATIONS_MAX ? list->count : FERRY_VIOLATIONS_MAX;
    for (size_t i = 0; i < n; i++) {
        ferry__wire__violation__init(&vs[i]);
        /* A cut reason may end inside a character: the copy keeps it UTF-8. */
        size_t at = ferryi_utf8_copy(text[i], FERRY_VIOLATION_PATH_MAX, list->v[i].path);
        vs[i].path = text[i];
        vs[i].reason = text[i] + at + 1;
        ferryi_utf8_copy(vs[i].reason, FERRY_VIOLATION_REASON_MAX, list->v[i].reason);
        vp[i] = &vs[i];
    }
    h->n_violations = n;
    h->violations = n > 0 ? vp : NULL;
    h->violations_total = list->total > UINT32_MAX ? UINT32_MAX : (uint32_t)list->total;
}

void ferryi_violations_from_wire(const Ferry__Wire__ReplyHeader *h, ferry_violations *out)
{
    size_t n = h->n_violations < FERRY_VIOLATIONS_MAX ? h->n_violations : FERRY_VIOLATIONS_MAX;
    out->count = 0;
    for (size_t i = 0; i < n; i++) {
        const Ferry__Wire__Violation *w = h->violations[i];
        ferry_violation *e = &out->v[out->count++];
        size_t len = (size_t)snprintf(e->path, sizeof e->path, "%s", w->path ? w->path : "");
        mark_cut(e->path, sizeof e->path, len);
        len = (size_t)snprintf(e->reason, sizeof e->reason, "%s", w->reason ? w->reason : "");
        mark_cut(e->reason, sizeof e->reason, len);
    }
    out->total = h->violations_total > out->count ? h->violations_total : out->count;
    if (h->n_violations > out->total)
        out->total = h->n_violations;
}
