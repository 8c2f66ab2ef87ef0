/* gen_validate.c - the validators backend: for each message a method of the
 * file takes that has (ferry.field) rules, or holds a message that has, a
 * static function that checks them and records each violation
 * (ferry/validate.h); each enum a defined_only rule names gets a test of
 * its values. Rules become plain comparisons a reader can follow; formats,
 * lengths in characters, lists of strings and duplicates call libferry. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "rules.h"

/* ---- which messages and enums ---------------------------------------------- */

typedef struct collect {
    const fcg_type **types;
    size_t n_types, cap_types;
    const fcg_venum **enums;
    size_t n_enums, cap_enums;
    int failed;
} collect;

static int needed(const fcg_type *t)
{
    return t != NULL && t->v != NULL && t->v->needed;
}

static void add_enum(collect *c, const fcg_venum *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < c->n_enums; i++)
        if (c->enums[i] == e)
            return;
    if (c->n_enums == c->cap_enums) {
        size_t cap = c->cap_enums ? 2 * c->cap_enums : 8;
        const fcg_venum **p = realloc(c->enums, cap * sizeof *p);
        if (p == NULL) {
            c->failed = 1;
            return;
        }
        c->enums = p;
        c->cap_enums = cap;
    }
    c->enums[c->n_enums++] = e;
}

static void add_type(collect *c, const fcg_type *t)
{
    if (!needed(t))
        return;
    for (size_t i = 0; i < c->n_types; i++)
        if (c->types[i] == t)
            return;
    if (c->n_types == c->cap_types) {
        size_t cap = c->cap_types ? 2 * c->cap_types : 8;
        const fcg_type **p = realloc(c->types, cap * sizeof *p);
        if (p == NULL) {
            c->failed = 1;
            return;
        }
        c->types = p;
        c->cap_types = cap;
    }
    c->types[c->n_types++] = t;
    for (size_t k = 0; k < t->v->n_fields; k++) {
        const fcg_vfield *f = &t->v->fields[k];
        add_enum(c, f->value.defined);
        add_enum(c, f->item.defined);
        add_enum(c, f->key.defined);
        add_enum(c, f->val.defined);
        add_type(c, f->value.msg);
        if (f->has_items)
            add_type(c, f->item.msg);
        if (f->has_val)
            add_type(c, f->val.msg);
    }
}

static int cmp_type(const void *a, const void *b)
{
    return strcmp((*(const fcg_type *const *)a)->full_name,
                  (*(const fcg_type *const *)b)->full_name);
}

static int cmp_enum(const void *a, const void *b)
{
    return strcmp((*(const fcg_venum *const *)a)->full_name,
                  (*(const fcg_venum *const *)b)->full_name);
}

/* ---- one value ----------------------------------------------------------- */

/* How a check of one value reports: the call up to the reason, and what the
 * reason starts with ("key " for map keys). The names in them are as long as
 * the IDL's, so they are made in the arena of the validators being written. */
typedef struct site {
    fcg_arena *a;
    const char *head;   /* "ferry_v_fail_index(v, \"tags\", i, " */
    const char *prefix; /* "" or "key " */
    const char *arrays; /* stem of static list names: "tags__items" */
} site;

static void fail(fcg_out *o, const site *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(fcg_out *o, const site *s, const char *fmt, ...)
{
    char reason[512];
    int n = snprintf(reason, sizeof reason, "%s", s->prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason + n, sizeof reason - (size_t)n, fmt, ap);
    va_end(ap);
    fcg_out_indent(o);
    fcg_out_printf(o, "%s", s->head);
    fcg_out_cstring(o, reason);
    fcg_out_printf(o, ");\n");
    fcg_out_dedent(o);
}

/* The libferry test of a string format, and its second argument if any. */
static const char *format_test(int format, const char **arg)
{
    *arg = "";
    switch (format) {
    case FERRY__STRING_FORMAT__FORMAT_UUID:
        return "ferry_v_is_uuid";
    case FERRY__STRING_FORMAT__FORMAT_EMAIL:
        return "ferry_v_is_email";
    case FERRY__STRING_FORMAT__FORMAT_HOSTNAME:
        return "ferry_v_is_hostname";
    case FERRY__STRING_FORMAT__FORMAT_URI:
        return "ferry_v_is_uri";
    case FERRY__STRING_FORMAT__FORMAT_IP:
        *arg = ", 0";
        return "ferry_v_is_ip";
    case FERRY__STRING_FORMAT__FORMAT_IPV4:
        *arg = ", 4";
        return "ferry_v_is_ip";
    default:
        *arg = ", 6";
        return "ferry_v_is_ip";
    }
}

static const char *format_name(int format)
{
    static const char *const names[] = {"",
                                        "a UUID",
                                        "an e-mail address",
                                        "a hostname",
                                        "an absolute URI",
                                        "an IP address",
                                        "an IPv4 address",
                                        "an IPv6 address"};
    return format >= 1 && format <= 7 ? names[format] : "?";
}

/* The list as a reason shows it: "1, 2, 3" or "\"a\", \"b\"", or a count
 * when it would be long. */
static void list_text(char *out, size_t size, const fcg_vrule *r, char *const *texts, size_t n)
{
    size_t len = 0;
    int quoted = r->kind == FCG_V_STRING || r->kind == FCG_V_BYTES;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        /* Quotes and backslashes in a listed string are escaped, so the
         * reason shows where each value ends. */
        char item[64];
        size_t k = 0;
        for (const char *p = texts[i]; *p != '\0' && k + 2 < sizeof item; p++) {
            if (quoted && (*p == '"' || *p == '\\'))
                item[k++] = '\\';
            item[k++] = *p;
        }
        item[k] = '\0';
        int w = snprintf(out + len, size - len, quoted ? "%s\"%s\"" : "%s%s", i ? ", " : "", item);
        if (w < 0 || (size_t)w >= size - len || len + (size_t)w > 60) {
            snprintf(out, size, "the %zu values the schema lists", n);
            return;
        }
        len += (size_t)w;
    }
}

static void static_list(fcg_out *o, const char *name, const char *const *vals, size_t n)
{
    fcg_out_printf(o, "static const char *const %s[] = {", name);
    for (size_t i = 0; i < n; i++) {
        fcg_out_printf(o, "%s", i ? ", " : "");
        fcg_out_cstring(o, vals[i]);
    }
    fcg_out_printf(o, "};\n");
}

/* Numbers: "E == a || E == b". */
static void any_equal(fcg_out *o, const char *e, const char *const *vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fcg_out_printf(o, "%s%s == %s", i ? " || " : "", e, vals[i]);
}

/* The checks of value `e` against rule r, except `required` when the
 * presence test already said it (skip_required). */
static void emit_value(fcg_out *o, const fcg_vrule *r, const char *e, const site *s,
                       int skip_required)
{
    const Ferry__FieldOptions *opt = r->r;
    int str = r->kind == FCG_V_STRING, bytes = r->kind == FCG_V_BYTES;
    if (opt->has_required && opt->required && !skip_required) {
        if (str) {
            fcg_out_printf(o, "if (ferry_v_empty(%s))\n", e);
            fail(o, s, "must not be empty");
        } else if (bytes) {
            fcg_out_printf(o, "if (%s.len == 0)\n", e);
            fail(o, s, "must not be empty");
        } else if (r->kind == FCG_V_BOOL) {
            fcg_out_printf(o, "if (!%s)\n", e);
            fail(o, s, "must be true");
        } else if (r->kind == FCG_V_MESSAGE) {
            fcg_out_printf(o, "if (%s == NULL)\n", e);
            fail(o, s, "is required");
        } else {
            fcg_out_printf(o, "if (%s == 0)\n", e);
            fail(o, s, "must not be zero");
        }
    } else if (opt->has_required && opt->required && str && skip_required) {
        /* Present is not enough for a string: it must say something. */
        fcg_out_printf(o, "if (ferry_v_empty(%s))\n", e);
        fail(o, s, "must not be empty");
    } else if (opt->has_required && opt->required && bytes && skip_required) {
        fcg_out_printf(o, "if (%s.len == 0)\n", e);
        fail(o, s, "must not be empty");
    }
    if (r->gt.lit != NULL) {
        fcg_out_printf(o, "if (!(%s > %s))\n", e, r->gt.lit);
        fail(o, s, "must be greater than %s", r->gt.text);
    }
    if (r->gte.lit != NULL) {
        fcg_out_printf(o, "if (!(%s >= %s))\n", e, r->gte.lit);
        fail(o, s, "must be at least %s", r->gte.text);
    }
    if (r->lt.lit != NULL) {
        fcg_out_printf(o, "if (!(%s < %s))\n", e, r->lt.lit);
        fail(o, s, "must be less than %s", r->lt.text);
    }
    if (r->lte.lit != NULL) {
        fcg_out_printf(o, "if (!(%s <= %s))\n", e, r->lte.lit);
        fail(o, s, "must be at most %s", r->lte.text);
    }
    const char *unit = str ? "character" : "byte";
    if (opt->has_min_len) {
        if (str)
            fcg_out_printf(o, "if (ferry_v_chars_less(%s, %uu))\n", e, opt->min_len);
        else
            fcg_out_printf(o, "if (%s.len < %uu)\n", e, opt->min_len);
        fail(o, s, "must be at least %u %s%s long", opt->min_len, unit,
             opt->min_len == 1 ? "" : "s");
    }
    if (opt->has_max_len) {
        if (str)
            fcg_out_printf(o, "if (ferry_v_chars_more(%s, %uu))\n", e, opt->max_len);
        else
            fcg_out_printf(o, "if (%s.len > %uu)\n", e, opt->max_len);
        fail(o, s, "must be at most %u %s%s long", opt->max_len, unit,
             opt->max_len == 1 ? "" : "s");
    }
    if (str && opt->has_format && opt->format != 0) {
        const char *arg;
        const char *test = format_test(opt->format, &arg);
        fcg_out_printf(o, "if (!%s(%s%s))\n", test, e, arg);
        fail(o, s, "must be %s", format_name(opt->format));
    }
    char text[128];
    for (int neg = 0; neg < 2; neg++) {
        const char *const *vals = neg ? r->not_in : r->in;
        size_t n = neg ? r->n_not_in : r->n_in;
        if (n == 0)
            continue;
        list_text(text, sizeof text, r, neg ? opt->not_in : opt->in, n);
        const char *verb = neg ? (n == 1 ? "must not be" : "must not be one of")
                               : (n == 1 ? "must be" : "must be one of");
        if (str || bytes) {
            const char *name = fcg_arena_printf(s->a, "%s__%s", s->arrays, neg ? "not_in" : "in");
            if (name == NULL) {
                o->failed = 1;
                return;
            }
            static_list(o, name, vals, n);
            fcg_out_printf(o, "if (%s%s(%s%s, %s, %zu))\n", neg ? "" : "!",
                           str ? "ferry_v_str_in" : "ferry_v_bytes_in", str ? "" : "&", e, name, n);
        } else {
            fcg_out_printf(o, "if (%s", neg ? "" : "!(");
            any_equal(o, e, vals, n);
            fcg_out_printf(o, "%s)\n", neg ? "" : ")");
        }
        fail(o, s, "%s %s", verb, text);
    }
    if (r->defined != NULL) {
        fcg_out_printf(o, "if (!%s(%s))\n", r->defined->fn, e);
        fail(o, s, "must be a value %s defines", r->defined->full_name);
    }
}

/* Goes into the message `e` (a pointer) when its type has a validator. */
static void emit_nested(fcg_out *o, const fcg_type *msg, const char *enter, const char *e)
{
    if (!needed(msg))
        return;
    fcg_out_printf(o, "if (%s) {\n", enter);
    fcg_out_indent(o);
    fcg_out_printf(o, "%s(v, &%s->%s);\n", msg->v->fn, e, msg->base);
    fcg_out_printf(o, "ferry_v_leave(v);\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

/* ---- one field ----------------------------------------------------------- */

static void emit_singular(fcg_out *o, fcg_arena *a, const fcg_vfield *f)
{
    site s = {.a = a, .prefix = "", .arrays = f->member};
    s.head = fcg_arena_printf(a, "ferry_v_fail(v, \"%s\", ", f->name);
    const char *e = fcg_arena_printf(a, "m->%s", f->member);
    const char *enter = fcg_arena_printf(a, "ferry_v_enter(v, \"%s\")", f->name);
    if (s.head == NULL || e == NULL || enter == NULL) {
        o->failed = 1;
        return;
    }
    const fcg_vrule *r = &f->value;
    int required = r->r->has_required && r->r->required;
    if (f->presence == FCG_PRES_ALWAYS) {
        emit_value(o, r, e, &s, 0);
        return;
    }
    if (f->presence == FCG_PRES_HAS)
        fcg_out_printf(o, "if (m->has_%s) {\n", f->member);
    else if (f->presence == FCG_PRES_PTR && f->default_value != NULL)
        fcg_out_printf(o, "if (m->%s != NULL && m->%s != %s) {\n", f->member, f->member,
                       f->default_value);
    else if (f->presence == FCG_PRES_PTR)
        fcg_out_printf(o, "if (m->%s != NULL) {\n", f->member);
    else
        fcg_out_printf(o, "if ((int)m->%s == %d) {\n", f->oneof_case, (int)f->number);
    fcg_out_indent(o);
    emit_value(o, r, e, &s, 1);
    if (r->kind == FCG_V_MESSAGE)
        emit_nested(o, r->msg, enter, e);
    fcg_out_dedent(o);
    if (required) {
        fcg_out_printf(o, "} else {\n");
        fail(o, &s, "is required");
    }
    fcg_out_printf(o, "}\n");
}

static void emit_count(fcg_out *o, fcg_arena *a, const fcg_vfield *f)
{
    const Ferry__FieldOptions *r = f->value.r;
    site s = {.a = a, .prefix = ""};
    s.head = fcg_arena_printf(a, "ferry_v_fail(v, \"%s\", ", f->name);
    if (s.head == NULL) {
        o->failed = 1;
        return;
    }
    if (r->has_required && r->required) {
        fcg_out_printf(o, "if (m->n_%s == 0)\n", f->member);
        fail(o, &s, "must not be empty");
    }
    if (r->has_min_items) {
        fcg_out_printf(o, "if (m->n_%s < %uu)\n", f->member, r->min_items);
        fail(o, &s, "must have at least %u item%s", r->min_items, r->min_items == 1 ? "" : "s");
    }
    if (r->has_max_items) {
        fcg_out_printf(o, "if (m->n_%s > %uu)\n", f->member, r->max_items);
        fail(o, &s, "must have at most %u item%s", r->max_items, r->max_items == 1 ? "" : "s");
    }
    if (r->has_unique && r->unique) {
        if (f->value.kind == FCG_V_STRING)
            fcg_out_printf(o, "ferry_v_unique_str(v, \"%s\", m->%s, m->n_%s);\n", f->name,
                           f->member, f->member);
        else if (f->value.kind == FCG_V_BYTES)
            fcg_out_printf(o, "ferry_v_unique_bytes(v, \"%s\", m->%s, m->n_%s);\n", f->name,
                           f->member, f->member);
        else
            fcg_out_printf(o, "ferry_v_unique(v, \"%s\", m->%s, m->n_%s, sizeof *m->%s);\n",
                           f->name, f->member, f->member, f->member);
    }
}

static void emit_repeated(fcg_out *o, fcg_arena *a, const fcg_vfield *f)
{
    emit_count(o, a, f);
    if (!f->has_items)
        return;
    site s = {.a = a, .prefix = ""};
    s.head = fcg_arena_printf(a, "ferry_v_fail_index(v, \"%s\", i, ", f->name);
    s.arrays = fcg_arena_printf(a, "%s__items", f->member);
    const char *e = fcg_arena_printf(a, "m->%s[i]", f->member);
    const char *enter = fcg_arena_printf(a, "ferry_v_enter_index(v, \"%s\", i)", f->name);
    if (s.head == NULL || s.arrays == NULL || e == NULL || enter == NULL) {
        o->failed = 1;
        return;
    }
    fcg_out_printf(o, "for (size_t i = 0; i < m->n_%s; i++) {\n", f->member);
    fcg_out_indent(o);
    emit_value(o, &f->item, e, &s, f->item.kind == FCG_V_MESSAGE);
    if (f->item.kind == FCG_V_MESSAGE)
        emit_nested(o, f->item.msg, enter, e);
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

static void emit_map(fcg_out *o, fcg_arena *a, const fcg_vfield *f)
{
    emit_count(o, a, f);
    if (!f->has_key && !f->has_val)
        return;
    const char *fail_fn, *enter_fn, *cast;
    switch (f->key.kind) {
    case FCG_V_STRING:
        fail_fn = "ferry_v_fail_key", enter_fn = "ferry_v_enter_key", cast = "";
        break;
    case FCG_V_UINT32:
    case FCG_V_UINT64:
        fail_fn = "ferry_v_fail_ukey", enter_fn = "ferry_v_enter_ukey", cast = "(uint64_t)";
        break;
    default:
        fail_fn = "ferry_v_fail_ikey", enter_fn = "ferry_v_enter_ikey", cast = "(int64_t)";
        break;
    }
    site ks = {.a = a, .prefix = "key "}, vs = {.a = a, .prefix = ""};
    ks.head = fcg_arena_printf(a, "%s(v, \"%s\", %se->key, ", fail_fn, f->name, cast);
    vs.head = ks.head;
    ks.arrays = fcg_arena_printf(a, "%s__keys", f->member);
    vs.arrays = fcg_arena_printf(a, "%s__values", f->member);
    const char *enter =
        fcg_arena_printf(a, "e->value != NULL && %s(v, \"%s\", %se->key)", enter_fn, f->name, cast);
    if (ks.head == NULL || ks.arrays == NULL || vs.arrays == NULL || enter == NULL) {
        o->failed = 1;
        return;
    }
    fcg_out_printf(o, "for (size_t i = 0; i < m->n_%s; i++) {\n", f->member);
    fcg_out_indent(o);
    fcg_out_printf(o, "const %s *e = m->%s[i];\n", f->entry->c_name, f->member);
    if (f->has_key)
        emit_value(o, &f->key, "e->key", &ks, 0);
    if (f->has_val) {
        emit_value(o, &f->val, "e->value", &vs, 0);
        if (f->val.kind == FCG_V_MESSAGE)
            emit_nested(o, f->val.msg, enter, "e->value");
    }
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

static int field_has_code(const fcg_vfield *f)
{
    if (f->repeated)
        return f->has_items || f->has_key || f->has_val ||
               (f->value.r->has_required && f->value.r->required) || f->value.r->has_min_items ||
               f->value.r->has_max_items || (f->value.r->has_unique && f->value.r->unique);
    const fcg_vrule *r = &f->value;
    const Ferry__FieldOptions *o = r->r;
    return (o->has_required && o->required) || r->gt.lit || r->gte.lit || r->lt.lit || r->lte.lit ||
           o->has_min_len || o->has_max_len || (o->has_format && o->format) || r->n_in ||
           r->n_not_in || r->defined || needed(r->msg);
}

/* ---- whole validators -------------------------------------------------------- */

static void define_enum(fcg_out *o, const fcg_venum *e)
{
    fcg_out_commentf(o, "Whether `value` is a value %s defines.", e->full_name);
    fcg_out_printf(o, "static int %s(int value)\n{\n", e->fn);
    fcg_out_indent(o);
    fcg_out_printf(o, "switch (value) {\n");
    for (size_t i = 0; i < e->n_values; i++)
        fcg_out_printf(o, "case %d:\n", (int)e->values[i]);
    fcg_out_indent(o);
    fcg_out_printf(o, "return 1;\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "default:\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "return 0;\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

/* Whether the validator of `t` reads a field the schema deprecates. */
static int reads_deprecated(const fcg_type *t)
{
    for (size_t k = 0; k < t->v->n_fields; k++)
        if (t->v->fields[k].deprecated && field_has_code(&t->v->fields[k]))
            return 1;
    return 0;
}

static void define_validator(fcg_out *o, fcg_arena *a, const fcg_type *t)
{
    fcg_out_commentf(o, "The rules of %s.", t->full_name + 1);
    /* protoc-c declares a deprecated field's members deprecated, and the
     * rules still hold while the field is deprecated. */
    int deprecated = reads_deprecated(t);
    if (deprecated)
        fcg_out_printf(o, "#pragma GCC diagnostic push\n"
                          "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"\n");
    fcg_out_printf(o, "static void %s(ferry_validation *v, const ProtobufCMessage *msg)\n{\n",
                   t->v->fn);
    fcg_out_indent(o);
    fcg_out_printf(o, "const %s *m = (const %s *)msg;\n", t->c_name, t->c_name);
    for (size_t k = 0; k < t->v->n_fields; k++) {
        const fcg_vfield *f = &t->v->fields[k];
        if (!field_has_code(f))
            continue;
        fcg_out_printf(o, "\n");
        fcg_out_commentf(o, "%s", f->name);
        if (f->map)
            emit_map(o, a, f);
        else if (f->repeated)
            emit_repeated(o, a, f);
        else
            emit_singular(o, a, f);
    }
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
    if (deprecated)
        fcg_out_printf(o, "#pragma GCC diagnostic pop\n");
}

void fcg_validate_define(fcg_out *o, const fcg_file *f)
{
    collect c = {0};
    for (size_t s = 0; s < f->n_services; s++)
        for (size_t m = 0; m < f->services[s].n_methods; m++)
            add_type(&c, f->services[s].methods[m].input);
    if (c.failed)
        o->failed = 1;
    if (c.n_types > 0 && !c.failed) {
        qsort(c.types, c.n_types, sizeof *c.types, cmp_type);
        if (c.n_enums > 0)
            qsort(c.enums, c.n_enums, sizeof *c.enums, cmp_enum);
        fcg_out_printf(o, "\n/* ==== validators: the (ferry.field) rules ==== */\n\n");
        for (size_t i = 0; i < c.n_types; i++)
            fcg_out_printf(o, "static void %s(ferry_validation *v, const ProtobufCMessage *msg);\n",
                           c.types[i]->v->fn);
        for (size_t i = 0; i < c.n_enums; i++) {
            fcg_out_printf(o, "\n");
            define_enum(o, c.enums[i]);
        }
        fcg_arena a;
        fcg_arena_init(&a);
        for (size_t i = 0; i < c.n_types; i++) {
            fcg_out_printf(o, "\n");
            define_validator(o, &a, c.types[i]);
        }
        if (a.failed)
            o->failed = 1;
        fcg_arena_fini(&a);
    }
    free(c.types);
    free(c.enums);
}

const char *fcg_validate_fn(const fcg_type *t)
{
    return needed(t) ? t->v->fn : NULL;
}
