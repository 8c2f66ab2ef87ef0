/* textfmt.c - protobuf text format to protobuf binary, driven by the
 * DescriptorProtos of a request. A message is parsed field by field into a
 * list of encoded values; when its closing brace (or the end of the text)
 * is reached, the list is sorted by field number and written out, so a
 * nested message is already bytes when its parent takes it. Scalar values
 * are read by textfmt_scalar.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfmt_parse.h"

/* ---- the parser's state ------------------------------------------------- */

/* A message being parsed. */
typedef struct tf_msg {
    const fcg_tf_type *type;
    fcg_tf_val *v;
    size_t n, cap;
    size_t *counts; /* values given per field */
    size_t *oneofs; /* per oneof: 1 + the index of the member given, or 0 */
} tf_msg;

/* Appends to the path; returns the length to restore. */
static size_t push(fcg_tf_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t push(fcg_tf_parser *p, const char *fmt, ...)
{
    size_t save = p->path_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->path + save, sizeof p->path - save, fmt, ap);
    va_end(ap);
    if (n > 0)
        p->path_len = save + (size_t)n < sizeof p->path ? save + (size_t)n : sizeof p->path - 1;
    return save;
}

static void pop(fcg_tf_parser *p, size_t save)
{
    p->path_len = save;
    p->path[save] = '\0';
}

/* Whether protoc packs the repeated field `fd` of a message of `t`. */
static int is_packed(const fcg_tf_field_desc *fd, const fcg_tf_type *t)
{
    if (!fcg_tf_is_repeated(fd) || fd->type == FCG_TF_TYPE(STRING) ||
        fd->type == FCG_TF_TYPE(BYTES) || fd->type == FCG_TF_TYPE(MESSAGE) ||
        fd->type == FCG_TF_TYPE(GROUP))
        return 0;
    if (fd->options != NULL && fd->options->has_packed)
        return fd->options->packed != 0;
    return t->proto3;
}

/* ---- messages ----------------------------------------------------------- */

static int parse_message(fcg_tf_parser *p, const fcg_tf_type *t, char close,
                         const fcg_tf_token *open, const uint8_t **out, size_t *out_len);

static int message_value(fcg_tf_parser *p, const fcg_tf_field_desc *fd, fcg_tf_val *v)
{
    char buf[64];
    const fcg_tf_token open = p->tok;
    char close = fcg_tf_is_sym(p, '{') ? '}' : fcg_tf_is_sym(p, '<') ? '>' : 0;
    if (close == 0)
        return fcg_tf_fail(p, &open, "expected '{' or '<' to start a %s, got %s",
                           fcg_tf_type_name(fd), fcg_tf_got(p, buf, sizeof buf));
    const fcg_tf_type *t = fcg_tf_find_type(p->s, fd->type_name);
    if (t == NULL || t->msg == NULL)
        return fcg_tf_fail(p, &open, "its message type %s is not in the request",
                           fd->type_name != NULL ? fd->type_name : "(none)");
    fcg_tf_advance(p);
    if (parse_message(p, t, close, &open, &v->data, &v->len) != 0)
        return -1;
    v->wire = FCG_TF_LEN;
    fcg_tf_advance(p); /* past the closing '}' or '>' */
    return 0;
}

static int add_value(fcg_tf_parser *p, tf_msg *m, size_t field, fcg_tf_val *v)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        fcg_tf_val *grown = fcg_arena_alloc(p->a, cap * sizeof *grown);
        if (grown == NULL)
            return fcg_tf_out_of_memory(p);
        if (m->n > 0)
            memcpy(grown, m->v, m->n * sizeof *grown);
        m->v = grown;
        m->cap = cap;
    }
    v->field = field;
    v->seq = m->n;
    v->packed = is_packed(v->fd, m->type);
    m->v[m->n++] = *v;
    m->counts[field]++;
    return 0;
}

/* One value of field number `field` of `m`, at the current token. */
static int parse_value(fcg_tf_parser *p, tf_msg *m, size_t field)
{
    const fcg_tf_field_desc *fd = m->type->msg->field[field];
    size_t save = fcg_tf_is_repeated(fd) ? push(p, "[%zu]", m->counts[field]) : p->path_len;
    fcg_tf_val v = {.fd = fd};
    int rc = fd->type == FCG_TF_TYPE(MESSAGE) ? message_value(p, fd, &v) : fcg_tf_scalar(p, fd, &v);
    if (rc == 0)
        rc = add_value(p, m, field, &v);
    pop(p, save);
    return rc;
}

/* Checks that field `field` of `m`, named by `name`, may be given now. */
static int check_field(fcg_tf_parser *p, const tf_msg *m, size_t field, const fcg_tf_token *name)
{
    const fcg_tf_msg_desc *md = m->type->msg;
    const fcg_tf_field_desc *fd = md->field[field];
    if (!fd->has_number || fd->number < 1 || fd->number > 536870911)
        return fcg_tf_fail(p, name, "the field has no valid field number in the request");
    if (fd->type == FCG_TF_TYPE(GROUP))
        return fcg_tf_fail(p, name, "group fields are not supported");
    if (!fd->has_type || fd->type < FCG_TF_TYPE(DOUBLE) || fd->type > FCG_TF_TYPE(SINT64))
        return fcg_tf_fail(p, name, "the field has no valid type in the request");
    if (!fcg_tf_is_repeated(fd) && m->counts[field] > 0)
        return fcg_tf_fail(p, name, "the field is given twice, but it is not repeated");
    if (fd->has_oneof_index && fd->oneof_index >= 0 && (size_t)fd->oneof_index < md->n_oneof_decl) {
        size_t other = m->oneofs[fd->oneof_index];
        if (other != 0 && other != field + 1) {
            const char *oneof = md->oneof_decl[fd->oneof_index]->name;
            return fcg_tf_fail(
                p, name, "%s is already given, and only one field of oneof %s may be set",
                md->field[other - 1]->name != NULL ? md->field[other - 1]->name : "another field",
                oneof != NULL ? oneof : "(unnamed)");
        }
    }
    return 0;
}

/* The index of the field `name` in `md`, or -1. A group is also found by
 * its type's name, as text format names it. */
static long find_field(const fcg_tf_msg_desc *md, const fcg_tf_token *name)
{
    for (size_t i = 0; i < md->n_field; i++) {
        const fcg_tf_field_desc *fd = md->field[i];
        const char *n = fd->name;
        if (fd->type == FCG_TF_TYPE(GROUP) && fd->type_name != NULL) {
            const char *dot = strrchr(fd->type_name, '.');
            n = dot != NULL ? dot + 1 : fd->type_name;
        }
        if (n != NULL && strlen(n) == name->len && memcmp(n, name->text, name->len) == 0)
            return (long)i;
    }
    return -1;
}

/* A list of values of the repeated field `field`, at its '['. */
static int parse_list(fcg_tf_parser *p, tf_msg *m, size_t field)
{
    char buf[64];
    if (!fcg_tf_is_repeated(m->type->msg->field[field]))
        return fcg_tf_fail(p, &p->tok, "a list [...] needs a repeated field; this one is not");
    fcg_tf_advance(p);
    if (fcg_tf_is_sym(p, ']')) { /* empty */
        fcg_tf_advance(p);
        return 0;
    }
    for (;;) {
        if (parse_value(p, m, field) != 0)
            return -1;
        if (fcg_tf_is_sym(p, ']')) {
            fcg_tf_advance(p);
            return 0;
        }
        if (!fcg_tf_is_sym(p, ','))
            return fcg_tf_fail(p, &p->tok, "expected ',' or ']' in the list, got %s",
                               fcg_tf_got(p, buf, sizeof buf));
        fcg_tf_advance(p);
        if (fcg_tf_is_sym(p, ']'))
            return fcg_tf_fail(p, &p->tok, "expected a value after ',' in the list");
    }
}

/* One field: its name, a ':' (optional before a message), and a value or
 * a [list] of values. */
static int parse_field(fcg_tf_parser *p, tf_msg *m)
{
    char buf[64];
    const fcg_tf_token name = p->tok;
    if (fcg_tf_is_sym(p, '['))
        return fcg_tf_fail(p, &name, "extensions and Any expansions ([...]) are not supported");
    if (name.kind != FCG_TF_IDENT)
        return fcg_tf_fail(p, &name, "expected a field name, got %s",
                           fcg_tf_got(p, buf, sizeof buf));
    long found = find_field(m->type->msg, &name);
    if (found < 0)
        return fcg_tf_fail(p, &name, "%s has no field named \"%.*s\"",
                           fcg_tf_display(m->type->full_name), (int)name.len, name.text);
    size_t field = (size_t)found;
    const fcg_tf_field_desc *fd = m->type->msg->field[field];
    size_t save = push(p, "%s%.*s", p->path_len ? "." : "", (int)name.len, name.text);
    int rc = check_field(p, m, field, &name);
    if (rc == 0) {
        if (fd->has_oneof_index && fd->oneof_index >= 0 &&
            (size_t)fd->oneof_index < m->type->msg->n_oneof_decl)
            m->oneofs[fd->oneof_index] = field + 1;
        fcg_tf_advance(p);
        if (fcg_tf_is_sym(p, ':'))
            fcg_tf_advance(p);
        else if (fd->type != FCG_TF_TYPE(MESSAGE))
            rc = fcg_tf_fail(p, &p->tok, "expected ':' after the field name, got %s",
                             fcg_tf_got(p, buf, sizeof buf));
    }
    if (rc == 0)
        rc = fcg_tf_is_sym(p, '[') ? parse_list(p, m, field) : parse_value(p, m, field);
    pop(p, save);
    return rc;
}

/* ---- encoding ----------------------------------------------------------- */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* The size of a value without its tag. */
static size_t value_size(const fcg_tf_val *v)
{
    switch (v->wire) {
    case FCG_TF_VARINT:
        return varint_size(v->bits);
    case FCG_TF_FIXED64:
        return 8;
    case FCG_TF_FIXED32:
        return 4;
    default:
        return varint_size(v->len) + v->len;
    }
}

static uint8_t *put_value(uint8_t *p, const fcg_tf_val *v)
{
    switch (v->wire) {
    case FCG_TF_VARINT:
        return put_varint(p, v->bits);
    case FCG_TF_FIXED64:
    case FCG_TF_FIXED32:
        for (int i = 0; i < (v->wire == FCG_TF_FIXED64 ? 8 : 4); i++)
            *p++ = (uint8_t)(v->bits >> (8 * i));
        return p;
    default:
        p = put_varint(p, v->len);
        if (v->len > 0)
            memcpy(p, v->data, v->len);
        return p + v->len;
    }
}

/* proto3 leaves out a singular scalar at its default (no presence), but
 * writes the key and value of a map entry whatever they are. */
static int left_out(const fcg_tf_val *v, const fcg_tf_type *t)
{
    const fcg_tf_field_desc *fd = v->fd;
    const fcg_tf_msg_desc *md = t->msg;
    if (!t->proto3 || fcg_tf_is_repeated(fd) || fd->has_oneof_index ||
        fd->type == FCG_TF_TYPE(MESSAGE) ||
        (md->options != NULL && md->options->has_map_entry && md->options->map_entry))
        return 0;
    return v->wire == FCG_TF_LEN ? v->len == 0 : v->bits == 0;
}

static int cmp_val(const void *x, const void *y)
{
    const fcg_tf_val *a = x, *b = y;
    if (a->fd->number != b->fd->number)
        return a->fd->number < b->fd->number ? -1 : 1;
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Writes (buf != NULL) or measures the fields of `m`; returns the size. */
static size_t write_fields(const tf_msg *m, uint8_t *buf)
{
    size_t total = 0;
    uint8_t *p = buf;
    for (size_t i = 0; i < m->n;) {
        size_t j = i;
        while (j < m->n && m->v[j].field == m->v[i].field)
            j++;
        uint64_t number = (uint64_t)m->v[i].fd->number;
        if (m->v[i].packed) {
            size_t payload = 0;
            for (size_t k = i; k < j; k++)
                payload += value_size(&m->v[k]);
            total += varint_size(number << 3) + varint_size(payload) + payload;
            if (p != NULL) {
                p = put_varint(p, number << 3 | FCG_TF_LEN);
                p = put_varint(p, payload);
                for (size_t k = i; k < j; k++)
                    p = put_value(p, &m->v[k]);
            }
        } else {
            for (size_t k = i; k < j; k++) {
                if (left_out(&m->v[k], m->type))
                    continue;
                total += varint_size(number << 3) + value_size(&m->v[k]);
                if (p != NULL) {
                    p = put_varint(p, number << 3 | (uint64_t)m->v[k].wire);
                    p = put_value(p, &m->v[k]);
                }
            }
        }
        i = j;
    }
    return total;
}

static int encode(fcg_tf_parser *p, tf_msg *m, const uint8_t **out, size_t *out_len)
{
    if (m->n > 1)
        qsort(m->v, m->n, sizeof *m->v, cmp_val);
    size_t n = write_fields(m, NULL);
    uint8_t *buf = fcg_arena_alloc(p->a, n ? n : 1);
    if (buf == NULL)
        return fcg_tf_out_of_memory(p);
    write_fields(m, buf);
    *out = buf;
    *out_len = n;
    return 0;
}

/* The fields of a message of type `t` up to `close` ('}' or '>'; 0 for the
 * end of the text), which is left as the next token. `open` is where the
 * message starts. */
static int parse_message(fcg_tf_parser *p, const fcg_tf_type *t, char close,
                         const fcg_tf_token *open, const uint8_t **out, size_t *out_len)
{
    if (p->depth >= FCG_TEXTFMT_MAX_DEPTH)
        return fcg_tf_fail(p, open, "messages nest deeper than %d levels", FCG_TEXTFMT_MAX_DEPTH);
    const fcg_tf_msg_desc *md = t->msg;
    tf_msg m = {.type = t};
    m.counts = fcg_arena_alloc(p->a, (md->n_field + 1) * sizeof *m.counts);
    m.oneofs = fcg_arena_alloc(p->a, (md->n_oneof_decl + 1) * sizeof *m.oneofs);
    if (m.counts == NULL || m.oneofs == NULL)
        return fcg_tf_out_of_memory(p);
    p->depth++;
    int rc = 0;
    while (rc == 0) {
        if (p->tok.kind == FCG_TF_END) {
            if (close != 0)
                rc = fcg_tf_fail(p, &p->tok,
                                 "'%c' is missing: the message opened at %u:%u is not closed",
                                 close, open->line, open->column);
            break;
        }
        if (close != 0 && fcg_tf_is_sym(p, close))
            break;
        rc = parse_field(p, &m);
        if (rc == 0 && (fcg_tf_is_sym(p, ',') || fcg_tf_is_sym(p, ';')))
            fcg_tf_advance(p);
    }
    for (size_t i = 0; rc == 0 && i < md->n_field; i++) {
        const fcg_tf_field_desc *fd = md->field[i];
        if (fd->has_label && fd->label == FCG_TF_LABEL(REQUIRED) && m.counts[i] == 0)
            rc = fcg_tf_fail(p, &p->tok, "required field %s of %s is missing", fd->name,
                             fcg_tf_display(t->full_name));
    }
    if (rc == 0)
        rc = encode(p, &m, out, out_len);
    p->depth--;
    return rc;
}

int fcg_textfmt_encode(fcg_arena *a, const fcg_textfmt_schema *s, const char *type,
                       const char *text, size_t len, const uint8_t **out, size_t *out_len,
                       fcg_textfmt_error *err)
{
    *out = NULL;
    *out_len = 0;
    memset(err, 0, sizeof *err);
    fcg_tf_parser p = {.a = a, .s = s, .err = err};
    const fcg_tf_type *t = fcg_tf_find_type(s, type);
    if (t == NULL || t->msg == NULL) {
        snprintf(err->what, sizeof err->what, "%s is not a message type of the request",
                 type != NULL ? type : "(none)");
        return -1;
    }
    fcg_tf_lex_init(&p.lx, a, text, len);
    fcg_tf_advance(&p);
    const fcg_tf_token start = p.tok;
    const uint8_t *bytes;
    size_t n;
    if (parse_message(&p, t, 0, &start, &bytes, &n) != 0)
        return -1;
    *out = bytes;
    *out_len = n;
    return 0;
}
