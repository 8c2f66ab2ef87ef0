/* pbdiff.c - two protobuf-c messages of one type compared field by field,
 * through their descriptors (fields read with pbfield.h), with a readable
 * account of what differs: what the dispatcher reports when a shadow answer
 * is not the local answer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatch.h"
#include "base/pbfield.h"

#define MAX_DEPTH 64 /* nesting compared; deeper is reported, not followed */
#define MAX_SHOWN 4  /* differences described; the rest are counted */
#define PATH_MAX_ 256
#define VALUE_MAX 96

typedef struct diff {
    const char *a_name, *b_name;
    char *out;
    size_t out_len, used;
    size_t count, shown;
    char path[PATH_MAX_];
    size_t path_len;
} diff;

static void emit(diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(diff *d, const char *fmt, ...)
{
    if (d->used + 1 >= d->out_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->out + d->used, d->out_len - d->used, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    d->used += (size_t)n;
    if (d->used >= d->out_len) {
        d->used = d->out_len - 1;
        if (d->out_len > 4)
            memcpy(d->out + d->out_len - 4, "...", 4);
    }
}

/* One difference at the current path, with both sides already formatted. */
static void report(diff *d, const char *a, const char *b)
{
    d->count++;
    if (d->shown == MAX_SHOWN)
        return;
    d->shown++;
    emit(d, "%s%s: %s %s, %s %s", d->shown > 1 ? "; " : "", d->path_len ? d->path : "(message)",
         d->a_name, a, d->b_name, b);
}

static size_t path_push(diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends to the path; returns the length to restore with path_pop(). */
static size_t path_push(diff *d, const char *fmt, ...)
{
    size_t saved = d->path_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->path + d->path_len, sizeof d->path - d->path_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        d->path_len += (size_t)n;
    if (d->path_len >= sizeof d->path)
        d->path_len = sizeof d->path - 1;
    return saved;
}

static void path_pop(diff *d, size_t saved)
{
    d->path_len = saved;
    d->path[saved] = '\0';
}

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

/* Writes a string or bytes value (len bytes at `s`; a NULL string is "")
 * into buf quoted, escaped and shortened. */
static void quote_bytes(const uint8_t *s, size_t len, bool is_string, char *buf, size_t size)
{
    (void)is_string;
    size_t n = 0;
    buf[n++] = '"';
    size_t i = 0;
    for (; i < len && n + 8 < size; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            n += (size_t)snprintf(buf + n, size - n, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            buf[n++] = (char)c;
        else
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
    }
    if (i < len)
        n += (size_t)snprintf(buf + n, size - n, "...");
    snprintf(buf + n, size - n, "\"");
}

/* Values in a diff: floats to the last digit that tells two apart. */
static const ferryi_pb_text diff_text = {
    .exact = true,
    .bytes = quote_bytes,
    .message_set = "(set)",
    .message_unset = "(not set)",
};

/* ------------------------------------------------------------------------
 * Fields
 * ---------------------------------------------------------------------- */

static void message_diff(diff *d, const ProtobufCMessage *a, const ProtobufCMessage *b,
                         unsigned depth);

/* Compares two single values of field `f` at the current path. */
static void value_diff(diff *d, const ProtobufCFieldDescriptor *f, const void *a, const void *b,
                       unsigned depth)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *x = *(ProtobufCMessage *const *)a;
        const ProtobufCMessage *y = *(ProtobufCMessage *const *)b;
        if (x == NULL && y == NULL)
            return;
        if (x == NULL || y == NULL) {
            report(d, x != NULL ? "(set)" : "(not set)", y != NULL ? "(set)" : "(not set)");
            return;
        }
        message_diff(d, x, y, depth + 1);
        return;
    }
    if (ferryi_pb_value_cmp(f->type, a, b) == 0)
        return;
    char va[VALUE_MAX], vb[VALUE_MAX];
    ferryi_pb_value_str(f, a, &diff_text, va, sizeof va);
    ferryi_pb_value_str(f, b, &diff_text, vb, sizeof vb);
    report(d, va, vb);
}

/* Whether a repeated field of messages is a map: protoc turns `map<K, V>
 * name` into a repeated NameEntry message with fields key = 1, value = 2. */
static int is_map(const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e == NULL || e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
        strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0)
        return 0;
    size_t n = strlen(e->short_name);
    return n > 5 && strcmp(e->short_name + n - 5, "Entry") == 0;
}

/* The key field of map entries, for qsort (which takes no context). */
static _Thread_local const ProtobufCFieldDescriptor *sort_key;

static int entry_cmp(const void *pa, const void *pb)
{
    const ProtobufCMessage *a = *(ProtobufCMessage *const *)pa;
    const ProtobufCMessage *b = *(ProtobufCMessage *const *)pb;
    return ferryi_pb_value_cmp(sort_key->type, ferryi_pb_value(a, sort_key),
                               ferryi_pb_value(b, sort_key));
}

/* Copies the entries of map field `f` of `m` into `out`. */
static void map_entries(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        ProtobufCMessage **out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = *(ProtobufCMessage *const *)ferryi_pb_entry(m, f, i);
}

/* Maps: entries matched by key; a key on one side only is a difference. */
static void map_diff(diff *d, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *a,
                     size_t na, const ProtobufCMessage *b, size_t nb, unsigned depth)
{
    const ProtobufCMessageDescriptor *entry = f->descriptor;
    const ProtobufCFieldDescriptor *key = &entry->fields[0];
    const ProtobufCFieldDescriptor *val = &entry->fields[1];
    ProtobufCMessage **sa = malloc((na + nb + 1) * sizeof *sa);
    if (sa == NULL) {
        report(d, "(not compared: out of memory)", "");
        return;
    }
    ProtobufCMessage **sb = sa + na;
    map_entries(a, f, sa, na);
    map_entries(b, f, sb, nb);
    sort_key = key;
    qsort(sa, na, sizeof *sa, entry_cmp);
    qsort(sb, nb, sizeof *sb, entry_cmp);
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : entry_cmp(&sa[i], &sb[j]);
        const ProtobufCMessage *e = c <= 0 ? sa[i] : sb[j];
        char k[VALUE_MAX];
        ferryi_pb_value_str(key, ferryi_pb_value(e, key), &diff_text, k, sizeof k);
        size_t saved = path_push(d, "[%s]", k);
        if (c == 0) {
            value_diff(d, val, ferryi_pb_value(sa[i], val), ferryi_pb_value(sb[j], val), depth);
            i++;
            j++;
        } else {
            char v[VALUE_MAX];
            ferryi_pb_value_str(val, ferryi_pb_value(e, val), &diff_text, v, sizeof v);
            report(d, c < 0 ? v : "(absent)", c < 0 ? "(absent)" : v);
            if (c < 0)
                i++;
            else
                j++;
        }
        path_pop(d, saved);
    }
    free(sa);
}

static void repeated_diff(diff *d, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *a,
                          const ProtobufCMessage *b, unsigned depth)
{
    size_t na = ferryi_pb_count(a, f), nb = ferryi_pb_count(b, f);
    if (na == 0 && nb == 0)
        return;
    if (is_map(f)) {
        map_diff(d, f, a, na, b, nb, depth);
        return;
    }
    size_t common = na < nb ? na : nb;
    for (size_t i = 0; i < common; i++) {
        size_t saved = path_push(d, "[%zu]", i);
        value_diff(d, f, ferryi_pb_entry(a, f, i), ferryi_pb_entry(b, f, i), depth);
        path_pop(d, saved);
    }
    if (na != nb) {
        char x[48], y[48];
        snprintf(x, sizeof x, "%zu entr%s", na, na == 1 ? "y" : "ies");
        snprintf(y, sizeof y, "%zu entr%s", nb, nb == 1 ? "y" : "ies");
        report(d, x, y);
    }
}

/* Whether a singular field is set: always, but for a field with presence. */
static int is_set(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
    return !ferryi_pb_has_presence(f) || ferryi_pb_present(m, f);
}

static void field_diff(diff *d, const ProtobufCFieldDescriptor *f, const ProtobufCMessage *a,
                       const ProtobufCMessage *b, unsigned depth)
{
    size_t saved = path_push(d, "%s%s", d->path_len ? "." : "", f->name);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        repeated_diff(d, f, a, b, depth);
    } else {
        int sa = is_set(f, a), sb = is_set(f, b);
        const void *va = ferryi_pb_value(a, f), *vb = ferryi_pb_value(b, f);
        if (sa && sb) {
            value_diff(d, f, va, vb, depth);
        } else if (sa != sb) {
            char v[VALUE_MAX];
            ferryi_pb_value_str(f, sa ? va : vb, &diff_text, v, sizeof v);
            report(d, sa ? v : "(not set)", sb ? v : "(not set)");
        }
    }
    path_pop(d, saved);
}

/* Entry `i` of `m`'s unknown fields, which the other side lacks; `on_a` says
 * which side `m` is. A number that `m` has more than once is shown with the
 * entry's place among them ("#2"), so a duplicate reads as one. */
static void unknown_report(diff *d, const ProtobufCMessage *m, size_t i, int on_a)
{
    const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
    size_t nth = 0, of = 0;
    for (size_t k = 0; k < m->n_unknown_fields; k++) {
        if (m->unknown_fields[k].tag != u->tag)
            continue;
        of++;
        if (k <= i)
            nth++;
    }
    char v[48];
    snprintf(v, sizeof v, "%zu byte%s", u->len, u->len == 1 ? "" : "s");
    const char *dot = d->path_len ? "." : "";
    size_t saved = of > 1 ? path_push(d, "%s(unknown field %u #%zu)", dot, u->tag, nth)
                          : path_push(d, "%s(unknown field %u)", dot, u->tag);
    report(d, on_a ? v : "(absent or different)", on_a ? "(absent or different)" : v);
    path_pop(d, saved);
}

/* Unknown fields: each of one side must appear, byte for byte, on the other,
 * as often as it does there. Fields of different numbers may come in any
 * order (an encoder chooses it), but the entries of one number keep theirs:
 * they are a repeated field's elements, or a singular field where the last
 * one wins. So an entry of `a` is matched only after the entries of `b` its
 * number has matched already, which also keeps one entry of `b` from
 * standing for two of `a`. */
static void unknown_diff(diff *d, const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t na = a->n_unknown_fields, nb = b->n_unknown_fields;
    if (na == 0 && nb == 0)
        return;
    unsigned char *used = calloc(nb + 1, 1);
    if (used == NULL) {
        report(d, "(unknown fields not compared: out of memory)", "");
        return;
    }
    for (size_t i = 0; i < na; i++) {
        const ProtobufCMessageUnknownField *x = &a->unknown_fields[i];
        size_t j = 0;
        for (size_t k = 0; k < nb; k++)
            if (used[k] && b->unknown_fields[k].tag == x->tag)
                j = k + 1;
        for (; j < nb; j++) {
            const ProtobufCMessageUnknownField *y = &b->unknown_fields[j];
            if (x->tag == y->tag && x->wire_type == y->wire_type && x->len == y->len &&
                (x->len == 0 || memcmp(x->data, y->data, x->len) == 0))
                break;
        }
        if (j < nb) {
            used[j] = 1;
            continue;
        }
        unknown_report(d, a, i, 1);
    }
    for (size_t j = 0; j < nb; j++) {
        if (used[j])
            continue;
        unknown_report(d, b, j, 0);
    }
    free(used);
}

static void message_diff(diff *d, const ProtobufCMessage *a, const ProtobufCMessage *b,
                         unsigned depth)
{
    if (a->descriptor != b->descriptor) {
        report(d, a->descriptor->name, b->descriptor->name);
        return;
    }
    if (depth > MAX_DEPTH) {
        report(d, "(nested too deeply to compare)", "(nested too deeply to compare)");
        return;
    }
    const ProtobufCMessageDescriptor *desc = a->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++)
        field_diff(d, &desc->fields[i], a, b, depth);
    unknown_diff(d, a, b);
}

size_t ferryi_pbdiff(const ProtobufCMessage *a, const ProtobufCMessage *b, const char *a_name,
                     const char *b_name, char *out, size_t out_len)
{
    char none[1];
    diff d = {
        .a_name = a_name,
        .b_name = b_name,
        .out = out_len > 0 ? out : none,
        .out_len = out_len > 0 ? out_len : 1,
    };
    d.out[0] = '\0';
    message_diff(&d, a, b, 0);
    if (d.count > d.shown)
        emit(&d, "; and %zu more", d.count - d.shown);
    return d.count;
}
