/* lock_write.c - a schema as a lock file: JSON with one element per line,
 * in a fixed order (files by name, then declaration order), so that the
 * same schema always gives the same bytes and a change of the schema shows
 * as a short diff. docs/versioning.md describes the format; lock_read.c
 * reads it back. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

/* The growing text and the state of the record being written. */
typedef struct jw {
    char *p;
    size_t len, cap;
    int failed;
    int first; /* no member written yet in the current record */
} jw;

static void raw(jw *w, const char *s, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (w->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(w->p, cap);
        if (p == NULL) {
            w->failed = 1;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
    w->p[w->len] = '\0';
}

static void lit(jw *w, const char *s)
{
    raw(w, s, strlen(s));
}

static void spaces(jw *w, int n)
{
    for (int i = 0; i < n; i++)
        raw(w, " ", 1);
}

/* `s` as a JSON string. Strings in a schema are UTF-8 (see
 * fck_utf8_clean()); a byte that is not becomes U+FFFD all the same. */
static void jstr(jw *w, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    lit(w, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char ch = u[i];
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            raw(w, esc, 2);
            i++;
        } else if (ch == '\n') {
            lit(w, "\\n");
            i++;
        } else if (ch == '\t') {
            lit(w, "\\t");
            i++;
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            lit(w, esc);
            i++;
        } else if (ch < 0x80) {
            raw(w, (const char *)&u[i], 1);
            i++;
        } else {
            size_t len = fck_utf8_len(u + i, n - i);
            if (len == 0) {
                lit(w, "\\ufffd");
                i++;
            } else {
                raw(w, (const char *)&u[i], len);
                i += len;
            }
        }
    }
    lit(w, "\"");
}

static void key(jw *w, const char *k)
{
    if (!w->first)
        lit(w, ", ");
    w->first = 0;
    jstr(w, k);
    lit(w, ": ");
}

static void kstr(jw *w, const char *k, const char *v)
{
    if (v == NULL)
        return;
    key(w, k);
    jstr(w, v);
}

static void kint(jw *w, const char *k, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    key(w, k);
    lit(w, buf);
}

/* Booleans are written only when true. */
static void kbool(jw *w, const char *k, int v)
{
    if (!v)
        return;
    key(w, k);
    lit(w, "true");
}

static void rec_begin(jw *w, int indent)
{
    spaces(w, indent);
    lit(w, "{");
    w->first = 1;
}

static void rec_end(jw *w)
{
    lit(w, "}");
    w->first = 0;
}

/* A member holding an array of records, one per line; `i` is the index of
 * the record about to be written. */
static void list_begin(jw *w, const char *k)
{
    key(w, k);
    lit(w, "[\n");
}

static void list_next(jw *w, size_t i)
{
    if (i > 0)
        lit(w, ",\n");
}

static void list_end(jw *w, int indent)
{
    lit(w, "\n");
    spaces(w, indent);
    lit(w, "]");
    w->first = 0;
}

/* ---- elements ----------------------------------------------------------------- */

/* `full` without the package of its file. */
static const char *relative(const fck_file *f, const char *full)
{
    size_t n = strlen(f->package);
    if (n > 0 && strncmp(full, f->package, n) == 0 && full[n] == '.')
        return full + n + 1;
    return full;
}

static void reserved(jw *w, int indent, const fck_range *r, size_t n, const fck_name *names,
                     size_t n_names)
{
    if (n > 0) {
        list_begin(w, "reserved");
        for (size_t i = 0; i < n; i++) {
            list_next(w, i);
            rec_begin(w, indent + 2);
            kint(w, "start", r[i].start);
            kint(w, "end", r[i].end);
            kint(w, "line", r[i].line);
            rec_end(w);
        }
        list_end(w, indent);
    }
    if (n_names > 0) {
        list_begin(w, "reserved_names");
        for (size_t i = 0; i < n_names; i++) {
            list_next(w, i);
            rec_begin(w, indent + 2);
            kstr(w, "name", names[i].name);
            kint(w, "line", names[i].line);
            rec_end(w);
        }
        list_end(w, indent);
    }
}

/* A protobuf message of ferry's options as a JSON object on one line: its
 * set fields in declaration order, enums by name, nested messages inline.
 * Only the field kinds ferry.FieldOptions uses are written. */
static void options_object(jw *w, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    lit(w, "{");
    w->first = 1;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        const void *at = base + fd->offset;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + fd->quantifier_offset);
            if (n == 0 || fd->type != PROTOBUF_C_TYPE_STRING)
                continue;
            key(w, fd->name);
            lit(w, "[");
            char *const *items = *(char *const *const *)at;
            for (size_t k = 0; k < n; k++) {
                if (k > 0)
                    lit(w, ", ");
                jstr(w, items[k] != NULL ? items[k] : "");
            }
            lit(w, "]");
            continue;
        }
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)at;
            if (sub == NULL)
                continue;
            key(w, fd->name);
            options_object(w, sub);
            w->first = 0;
            continue;
        }
        if (!*(const protobuf_c_boolean *)(base + fd->quantifier_offset))
            continue;
        char buf[40];
        switch (fd->type) {
        case PROTOBUF_C_TYPE_BOOL:
            key(w, fd->name);
            lit(w, *(const protobuf_c_boolean *)at ? "true" : "false");
            break;
        case PROTOBUF_C_TYPE_UINT32:
            key(w, fd->name);
            snprintf(buf, sizeof buf, "%u", *(const uint32_t *)at);
            lit(w, buf);
            break;
        case PROTOBUF_C_TYPE_DOUBLE: {
            /* JSON has no infinities: those are strings, as lock_read.c takes them. */
            double x = *(const double *)at;
            key(w, fd->name);
            snprintf(buf, sizeof buf, "%.17g", x);
            if (isfinite(x))
                lit(w, buf);
            else
                jstr(w, isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
            break;
        }
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
                (const ProtobufCEnumDescriptor *)fd->descriptor, *(const int *)at);
            key(w, fd->name);
            if (v != NULL)
                jstr(w, v->name);
            else {
                snprintf(buf, sizeof buf, "%d", *(const int *)at);
                lit(w, buf);
            }
            break;
        }
        default:
            break;
        }
    }
    lit(w, "}");
}

/* A field's members after its name (an extension's too). */
static void field_members(jw *w, const fck_field *f)
{
    kint(w, "number", f->number);
    kstr(w, "type", fck_type_str(f->type));
    kstr(w, "type_name", f->type_name);
    if (f->label != FCK_LABEL_OPTIONAL)
        kstr(w, "label", f->label == FCK_LABEL_REQUIRED ? "required" : "repeated");
    kstr(w, "oneof", f->oneof);
    kbool(w, "packed", f->packed);
    kstr(w, "default", f->default_value);
    kstr(w, "json_name", f->json_name);
    kbool(w, "deprecated", f->deprecated);
    if (f->rules != NULL) {
        key(w, "rules");
        options_object(w, &f->rules->base);
        w->first = 0;
    }
    kint(w, "line", f->line);
}

static void field(jw *w, int indent, const fck_field *f)
{
    rec_begin(w, indent);
    kstr(w, "name", f->name);
    field_members(w, f);
    rec_end(w);
}

static void extension(jw *w, int indent, const fck_extension *x)
{
    rec_begin(w, indent);
    kstr(w, "name", relative(x->file, x->full_name));
    kstr(w, "extendee", x->extendee);
    field_members(w, &x->field);
    rec_end(w);
}

static void message(jw *w, int indent, const fck_message *m)
{
    rec_begin(w, indent);
    kstr(w, "name", relative(m->file, m->full_name));
    kbool(w, "map_entry", m->map_entry);
    kint(w, "line", m->line);
    if (m->n_fields > 0) {
        list_begin(w, "fields");
        for (size_t i = 0; i < m->n_fields; i++) {
            list_next(w, i);
            field(w, indent + 2, &m->fields[i]);
        }
        list_end(w, indent);
    }
    reserved(w, indent, m->reserved, m->n_reserved, m->reserved_names, m->n_reserved_names);
    rec_end(w);
}

static void enumeration(jw *w, int indent, const fck_enum *e)
{
    rec_begin(w, indent);
    kstr(w, "name", relative(e->file, e->full_name));
    kint(w, "line", e->line);
    if (e->n_values > 0) {
        list_begin(w, "values");
        for (size_t i = 0; i < e->n_values; i++) {
            list_next(w, i);
            rec_begin(w, indent + 2);
            kstr(w, "name", e->values[i].name);
            kint(w, "number", e->values[i].number);
            kint(w, "line", e->values[i].line);
            rec_end(w);
        }
        list_end(w, indent);
    }
    reserved(w, indent, e->reserved, e->n_reserved, e->reserved_names, e->n_reserved_names);
    rec_end(w);
}

static const char *const fallback_names[] = {"none", "empty", "default", "callback"};

static void method(jw *w, int indent, const fck_method *m)
{
    rec_begin(w, indent);
    kstr(w, "name", m->name);
    kstr(w, "input", m->input);
    kstr(w, "output", m->output);
    kint(w, "since", m->since);
    kbool(w, "deprecated", m->deprecated);
    if (m->deprecated_since != 0)
        kint(w, "deprecated_since", m->deprecated_since);
    kbool(w, "idempotent", m->idempotent);
    kbool(w, "read_only", m->read_only);
    if (m->deadline_ms != 0)
        kint(w, "deadline_ms", m->deadline_ms);
    if (m->fallback > 0 && m->fallback < 4)
        kstr(w, "fallback", fallback_names[m->fallback]);
    kstr(w, "fallback_default", m->fallback_default);
    if (m->n_roles > 0) {
        key(w, "roles");
        lit(w, "[");
        for (size_t i = 0; i < m->n_roles; i++) {
            if (i > 0)
                lit(w, ", ");
            jstr(w, m->roles[i]);
        }
        lit(w, "]");
    }
    if (m->id != 0)
        kint(w, "id", m->id);
    kint(w, "line", m->line);
    rec_end(w);
}

static void service(jw *w, int indent, const fck_service *s)
{
    rec_begin(w, indent);
    kstr(w, "name", relative(s->file, s->full_name));
    kint(w, "line", s->line);
    kint(w, "api_version", s->api_version);
    kint(w, "api_line", s->api_line);
    if (s->n_methods > 0) {
        list_begin(w, "methods");
        for (size_t i = 0; i < s->n_methods; i++) {
            list_next(w, i);
            method(w, indent + 2, &s->methods[i]);
        }
        list_end(w, indent);
    }
    rec_end(w);
}

static void file(jw *w, const fck_schema *s, const fck_file *f)
{
    rec_begin(w, 2);
    kstr(w, "name", f->name);
    kstr(w, "package", f->package);
    kint(w, "package_line", f->package_line);
    kstr(w, "syntax", f->syntax);
    size_t n = 0;
    for (size_t i = 0; i < s->n_messages; i++) {
        if (s->messages[i].file != f)
            continue;
        if (n == 0)
            list_begin(w, "messages");
        list_next(w, n++);
        message(w, 4, &s->messages[i]);
    }
    if (n > 0)
        list_end(w, 2);
    n = 0;
    for (size_t i = 0; i < s->n_enums; i++) {
        if (s->enums[i].file != f)
            continue;
        if (n == 0)
            list_begin(w, "enums");
        list_next(w, n++);
        enumeration(w, 4, &s->enums[i]);
    }
    if (n > 0)
        list_end(w, 2);
    n = 0;
    for (size_t i = 0; i < s->n_extensions; i++) {
        if (s->extensions[i].file != f)
            continue;
        if (n == 0)
            list_begin(w, "extensions");
        list_next(w, n++);
        extension(w, 4, &s->extensions[i]);
    }
    if (n > 0)
        list_end(w, 2);
    n = 0;
    for (size_t i = 0; i < s->n_services; i++) {
        if (s->services[i].file != f)
            continue;
        if (n == 0)
            list_begin(w, "services");
        list_next(w, n++);
        service(w, 4, &s->services[i]);
    }
    if (n > 0)
        list_end(w, 2);
    rec_end(w);
}

char *ferry_schema_write_lock(const ferry_schema *s, size_t *len)
{
    jw w = {0};
    rec_begin(&w, 0);
    kstr(&w, "format", FCK_LOCK_FORMAT);
    kint(&w, "version", FCK_LOCK_VERSION);
    list_begin(&w, "files");
    for (size_t i = 0; i < s->n_files; i++) {
        list_next(&w, i);
        file(&w, s, &s->files[i]);
    }
    list_end(&w, 0);
    rec_end(&w);
    lit(&w, "\n");
    if (w.failed) {
        free(w.p);
        return NULL;
    }
    if (len != NULL)
        *len = w.len;
    return w.p;
}
