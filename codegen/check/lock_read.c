/* lock_read.c - a lock file back into a schema. The file is untrusted:
 * every member is checked for its type and range, unknown members are
 * refused (a typo must not silently drop a rule), and every rejection names
 * the member, e.g. "api.lock: files[0].messages[2].fields[1].number: must
 * be an integer from 1 to 536870911". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check_internal.h"

/* A lock file larger than this is refused unread. */
#define MAX_LOCK_SIZE (64L * 1024 * 1024)

typedef struct rd {
    fck_schema *s;
    fcg_arena *a;
    const char *name; /* the lock file, for messages */
    char *err;        /* the first error, malloc'd */
} rd;

/* `where` names the JSON member; "" is the whole file. */
static int fail(rd *r, const char *where, const char *what)
{
    if (r->err == NULL)
        r->err = where[0] ? fck_strdup_printf("%s: %s: %s", r->name, where, what)
                          : fck_strdup_printf("%s: %s", r->name, what);
    return -1;
}

/* Refuses members of `obj` not in `allowed` (NULL-terminated). */
static int known_keys(rd *r, json_t *obj, const char *where, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        (void)v;
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], k) != 0)
            i++;
        if (allowed[i] == NULL) {
            char what[160];
            snprintf(what, sizeof what, "unknown member \"%.100s\"", k);
            return fail(r, where, fck_printable(r->a, what));
        }
    }
    return 0;
}

/* What a string member may hold. */
enum { S_ANY, S_IDENT, S_PATH, S_PATH_OR_EMPTY, S_FILE };

static int get_str(rd *r, json_t *obj, const char *key, const char *where, int kind, int required,
                   const char **out)
{
    char at[512];
    snprintf(at, sizeof at, "%s%s%s", where, where[0] ? "." : "", key);
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL)
        return required ? fail(r, at, "is missing") : 0;
    if (!json_is_string(v))
        return fail(r, at, "must be a string");
    const char *s = json_string_value(v);
    int ok = 1;
    switch (kind) {
    case S_IDENT:
        ok = fck_is_ident_path(s) && strchr(s, '.') == NULL;
        break;
    case S_PATH:
        ok = fck_is_ident_path(s);
        break;
    case S_PATH_OR_EMPTY:
        ok = s[0] == '\0' || fck_is_ident_path(s);
        break;
    case S_FILE:
        ok = fck_is_file_name(s);
        break;
    default:
        break;
    }
    if (!ok)
        return fail(r, at,
                    kind == S_IDENT  ? "must be a protobuf identifier"
                    : kind == S_FILE ? "must be a file name without control characters"
                                     : "must be a protobuf name (identifiers joined by dots)");
    *out = fcg_arena_strndup(r->a, s, json_string_length(v));
    return *out != NULL ? 0 : fail(r, "", "out of memory");
}

static int get_int(rd *r, json_t *obj, const char *key, const char *where, long long lo,
                   long long hi, long long dflt, int required, long long *out)
{
    char at[512];
    snprintf(at, sizeof at, "%s%s%s", where, where[0] ? "." : "", key);
    json_t *v = json_object_get(obj, key);
    *out = dflt;
    if (v == NULL)
        return required ? fail(r, at, "is missing") : 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char what[96];
        snprintf(what, sizeof what, "must be an integer from %lld to %lld", lo, hi);
        return fail(r, at, what);
    }
    *out = json_integer_value(v);
    return 0;
}

static int get_bool(rd *r, json_t *obj, const char *key, const char *where, int *out)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v)) {
        char at[512];
        snprintf(at, sizeof at, "%s.%s", where, key);
        return fail(r, at, "must be true or false");
    }
    *out = json_is_true(v);
    return 0;
}

/* The array member `key` (an empty one when absent). */
static int get_array(rd *r, json_t *obj, const char *key, const char *where, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    *out = v;
    if (v == NULL || json_is_array(v))
        return 0;
    char at[512];
    snprintf(at, sizeof at, "%s%s%s", where, where[0] ? "." : "", key);
    return fail(r, at, "must be an array");
}

static size_t count(json_t *array)
{
    return array != NULL ? json_array_size(array) : 0;
}

/* The i-th element of `array`, which must be an object; its name in *at. */
static json_t *element(rd *r, json_t *array, size_t i, const char *where, const char *key, char *at,
                       size_t at_len)
{
    snprintf(at, at_len, "%s%s%s[%zu]", where, where[0] ? "." : "", key, i);
    json_t *v = json_array_get(array, i);
    if (!json_is_object(v)) {
        fail(r, at, "must be an object");
        return NULL;
    }
    return v;
}

static int line(rd *r, json_t *obj, const char *where, int *out)
{
    long long v;
    if (get_int(r, obj, "line", where, 0, INT32_MAX, 0, 0, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static const char *full(rd *r, const fck_file *f, const char *name)
{
    return f->package[0] ? fcg_arena_printf(r->a, "%s.%s", f->package, name) : name;
}

/* ---- reserved ------------------------------------------------------------------- */

static int read_reserved(rd *r, json_t *obj, const char *where, long long lo, long long hi,
                         fck_range **ranges, size_t *n_ranges, fck_name **names, size_t *n_names)
{
    static const char *const range_keys[] = {"start", "end", "line", NULL};
    static const char *const name_keys[] = {"name", "line", NULL};
    json_t *arr, *narr;
    if (get_array(r, obj, "reserved", where, &arr) != 0 ||
        get_array(r, obj, "reserved_names", where, &narr) != 0)
        return -1;
    *ranges = fcg_arena_alloc(r->a, (count(arr) + 1) * sizeof **ranges);
    *names = fcg_arena_alloc(r->a, (count(narr) + 1) * sizeof **names);
    if (*ranges == NULL || *names == NULL)
        return fail(r, "", "out of memory");
    char at[512];
    for (size_t i = 0; i < count(arr); i++) {
        json_t *e = element(r, arr, i, where, "reserved", at, sizeof at);
        long long start, end;
        fck_range *rg = &(*ranges)[i];
        if (e == NULL || known_keys(r, e, at, range_keys) != 0 ||
            get_int(r, e, "start", at, lo, hi, 0, 1, &start) != 0 ||
            get_int(r, e, "end", at, start, hi, 0, 1, &end) != 0 || line(r, e, at, &rg->line) != 0)
            return -1;
        rg->start = (int32_t)start;
        rg->end = (int32_t)end;
    }
    *n_ranges = count(arr);
    for (size_t i = 0; i < count(narr); i++) {
        json_t *e = element(r, narr, i, where, "reserved_names", at, sizeof at);
        fck_name *nm = &(*names)[i];
        if (e == NULL || known_keys(r, e, at, name_keys) != 0 ||
            get_str(r, e, "name", at, S_IDENT, 1, &nm->name) != 0 || line(r, e, at, &nm->line) != 0)
            return -1;
    }
    *n_names = count(narr);
    return 0;
}

/* ---- messages ---------------------------------------------------------------------- */

static const char *const field_keys[] = {
    "name",   "number",  "type",      "type_name",  "label", "oneof", "proto3_optional",
    "packed", "default", "json_name", "deprecated", "rules", "line",  NULL};

/* A JSON object written by lock_write.c's options_object() back into a
 * message of descriptor `d` in the arena: each member a field of the
 * message, of the kinds ferry.FieldOptions uses, checked. */
static int read_options(rd *r, json_t *obj, const char *at, const ProtobufCMessageDescriptor *d,
                        ProtobufCMessage **out, int depth)
{
    if (!json_is_object(obj))
        return fail(r, at, "must be an object");
    if (depth > 8)
        return fail(r, at, "nests rules more than 8 deep");
    ProtobufCMessage *m = fcg_arena_alloc(r->a, d->sizeof_message);
    if (m == NULL)
        return fail(r, "", "out of memory");
    protobuf_c_message_init(d, m);
    char *base = (char *)m;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        char where[600];
        snprintf(where, sizeof where, "%s.%.100s", at, k);
        const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, k);
        if (fd == NULL)
            return fail(r, fck_printable(r->a, where), "is not a validation rule");
        void *p = base + fd->offset;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = json_is_array(v) ? json_array_size(v) : 0;
            char **items = fcg_arena_alloc(r->a, (n ? n : 1) * sizeof *items);
            if (fd->type != PROTOBUF_C_TYPE_STRING || !json_is_array(v))
                return fail(r, where, "must be an array of strings");
            if (items == NULL)
                return fail(r, "", "out of memory");
            for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(v, i);
                if (!json_is_string(e))
                    return fail(r, where, "must be an array of strings");
                items[i] = fcg_arena_strndup(r->a, json_string_value(e), json_string_length(e));
                if (items[i] == NULL)
                    return fail(r, "", "out of memory");
            }
            *(size_t *)(base + fd->quantifier_offset) = n;
            *(char ***)p = items;
            continue;
        }
        switch (fd->type) {
        case PROTOBUF_C_TYPE_MESSAGE:
            if (read_options(r, v, where, fd->descriptor, (ProtobufCMessage **)p, depth + 1) != 0)
                return -1;
            continue;
        case PROTOBUF_C_TYPE_BOOL:
            if (!json_is_boolean(v))
                return fail(r, where, "must be true or false");
            *(protobuf_c_boolean *)p = json_is_true(v);
            break;
        case PROTOBUF_C_TYPE_UINT32:
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > (json_int_t)UINT32_MAX)
                return fail(r, where, "must be an integer from 0 to 4294967295");
            *(uint32_t *)p = (uint32_t)json_integer_value(v);
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            if (json_is_number(v))
                *(double *)p = json_number_value(v);
            else if (json_is_string(v) && strcmp(json_string_value(v), "inf") == 0)
                *(double *)p = HUGE_VAL;
            else if (json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0)
                *(double *)p = -HUGE_VAL;
            else if (json_is_string(v) && strcmp(json_string_value(v), "nan") == 0)
                *(double *)p = NAN;
            else
                return fail(r, where, "must be a number");
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumValue *ev =
                json_is_string(v)
                    ? protobuf_c_enum_descriptor_get_value_by_name(
                          (const ProtobufCEnumDescriptor *)fd->descriptor, json_string_value(v))
                    : NULL;
            if (ev == NULL)
                return fail(r, where, "must name a value of its enum");
            *(int *)p = ev->value;
            break;
        }
        default:
            return fail(r, where, "is of a kind lock files do not hold");
        }
        *(protobuf_c_boolean *)(base + fd->quantifier_offset) = 1;
    }
    *out = m;
    return 0;
}

/* A field, or (with their `keys` and a name of kind S_PATH) an extension. */
static int read_field(rd *r, json_t *obj, const char *at, const char *const *keys, int name_kind,
                      fck_field *f)
{
    const char *type, *label;
    long long number;
    int proto3_optional;
    if (known_keys(r, obj, at, keys) != 0 ||
        get_str(r, obj, "name", at, name_kind, 1, &f->name) != 0 ||
        get_int(r, obj, "number", at, 1, FCK_FIELD_MAX, 0, 1, &number) != 0 ||
        get_str(r, obj, "type", at, S_ANY, 1, &type) != 0 ||
        get_str(r, obj, "type_name", at, S_PATH, 0, &f->type_name) != 0 ||
        get_str(r, obj, "label", at, S_ANY, 0, &label) != 0 ||
        get_str(r, obj, "oneof", at, S_IDENT, 0, &f->oneof) != 0 ||
        get_bool(r, obj, "proto3_optional", at, &proto3_optional) != 0 ||
        get_bool(r, obj, "packed", at, &f->packed) != 0 ||
        get_str(r, obj, "default", at, S_ANY, 0, &f->default_value) != 0 ||
        get_str(r, obj, "json_name", at, S_ANY, 0, &f->json_name) != 0 ||
        get_bool(r, obj, "deprecated", at, &f->deprecated) != 0 || line(r, obj, at, &f->line) != 0)
        return -1;
    f->number = (int32_t)number;
    json_t *rules = json_object_get(obj, "rules");
    char rules_at[600];
    snprintf(rules_at, sizeof rules_at, "%s.rules", at);
    if (rules != NULL && read_options(r, rules, rules_at, &ferry__field_options__descriptor,
                                      (ProtobufCMessage **)&f->rules, 0) != 0)
        return -1;
    /* Older locks may hold what ferry now refuses, as the generator does. */
    char where[600];
    snprintf(where, sizeof where, "%s.proto3_optional", at);
    if (proto3_optional)
        return fail(r, where,
                    "proto3 `optional` is not supported: protobuf-c 1.4, which generates "
                    "ferry's messages, cannot generate it");
    if (f->json_name != NULL) { /* kept only when it is not the default */
        const char *chosen = f->json_name;
        f->json_name = NULL;
        if (strcmp(chosen, fck_json_name(r->a, f)) != 0)
            f->json_name = chosen;
    }
    snprintf(where, sizeof where, "%s.type", at);
    f->type = fck_type_parse(type);
    if (f->type == 0)
        return fail(r, where, "must be a protobuf field type such as \"int32\" or \"message\"");
    int named =
        f->type == FCK_TYPE_MESSAGE || f->type == FCK_TYPE_GROUP || f->type == FCK_TYPE_ENUM;
    if (named != (f->type_name != NULL))
        return fail(r, at,
                    named ? "a message, group or enum field needs \"type_name\""
                          : "only message, group and enum fields have a \"type_name\"");
    f->label = FCK_LABEL_OPTIONAL;
    if (label != NULL) {
        snprintf(where, sizeof where, "%s.label", at);
        if (strcmp(label, "required") == 0)
            f->label = FCK_LABEL_REQUIRED;
        else if (strcmp(label, "repeated") == 0)
            f->label = FCK_LABEL_REPEATED;
        else if (strcmp(label, "optional") != 0)
            return fail(r, where, "must be \"optional\", \"required\" or \"repeated\"");
    }
    return 0;
}

static int read_message(rd *r, json_t *obj, const char *at, const fck_file *file, fck_message *m)
{
    static const char *const keys[] = {"name",     "map_entry",      "line", "fields",
                                       "reserved", "reserved_names", NULL};
    const char *name;
    json_t *fields;
    if (known_keys(r, obj, at, keys) != 0 || get_str(r, obj, "name", at, S_PATH, 1, &name) != 0 ||
        get_bool(r, obj, "map_entry", at, &m->map_entry) != 0 || line(r, obj, at, &m->line) != 0 ||
        get_array(r, obj, "fields", at, &fields) != 0 ||
        read_reserved(r, obj, at, 1, FCK_FIELD_MAX, &m->reserved, &m->n_reserved,
                      &m->reserved_names, &m->n_reserved_names) != 0)
        return -1;
    m->full_name = full(r, file, name);
    m->file = file;
    m->fields = fcg_arena_alloc(r->a, (count(fields) + 1) * sizeof *m->fields);
    if (m->full_name == NULL || m->fields == NULL)
        return fail(r, "", "out of memory");
    char fat[512];
    for (size_t i = 0; i < count(fields); i++) {
        json_t *e = element(r, fields, i, at, "fields", fat, sizeof fat);
        if (e == NULL || read_field(r, e, fat, field_keys, S_IDENT, &m->fields[i]) != 0)
            return -1;
    }
    m->n_fields = count(fields);
    return 0;
}

static int read_enum(rd *r, json_t *obj, const char *at, const fck_file *file, fck_enum *e)
{
    static const char *const keys[] = {"name",     "line",           "values",
                                       "reserved", "reserved_names", NULL};
    static const char *const value_keys[] = {"name", "number", "line", NULL};
    const char *name;
    json_t *values;
    if (known_keys(r, obj, at, keys) != 0 || get_str(r, obj, "name", at, S_PATH, 1, &name) != 0 ||
        line(r, obj, at, &e->line) != 0 || get_array(r, obj, "values", at, &values) != 0 ||
        read_reserved(r, obj, at, INT32_MIN, INT32_MAX, &e->reserved, &e->n_reserved,
                      &e->reserved_names, &e->n_reserved_names) != 0)
        return -1;
    e->full_name = full(r, file, name);
    e->file = file;
    e->values = fcg_arena_alloc(r->a, (count(values) + 1) * sizeof *e->values);
    if (e->full_name == NULL || e->values == NULL)
        return fail(r, "", "out of memory");
    char vat[512];
    for (size_t i = 0; i < count(values); i++) {
        json_t *v = element(r, values, i, at, "values", vat, sizeof vat);
        fck_value *val = &e->values[i];
        long long number;
        if (v == NULL || known_keys(r, v, vat, value_keys) != 0 ||
            get_str(r, v, "name", vat, S_IDENT, 1, &val->name) != 0 ||
            get_int(r, v, "number", vat, INT32_MIN, INT32_MAX, 0, 1, &number) != 0 ||
            line(r, v, vat, &val->line) != 0)
            return -1;
        val->number = (int32_t)number;
    }
    e->n_values = count(values);
    return 0;
}

/* ---- extensions ---------------------------------------------------------------------- */

/* An extension: its name below the package ("Outer.priority" when declared
 * in Outer), the message it extends, and a field's members. */
static int read_extension(rd *r, json_t *obj, const char *at, const fck_file *file,
                          fck_extension *x)
{
    static const char *const keys[] = {"name",  "extendee", "number",  "type",      "type_name",
                                       "label", "packed",   "default", "json_name", "deprecated",
                                       "rules", "line",     NULL};
    if (read_field(r, obj, at, keys, S_PATH, &x->field) != 0 ||
        get_str(r, obj, "extendee", at, S_PATH, 1, &x->extendee) != 0)
        return -1;
    x->full_name = full(r, file, x->field.name);
    x->file = file;
    const char *dot = strrchr(x->field.name, '.');
    if (dot != NULL)
        x->field.name = dot + 1;
    return x->full_name != NULL ? 0 : fail(r, "", "out of memory");
}

/* ---- services ------------------------------------------------------------------------ */

static int read_method(rd *r, json_t *obj, const char *at, fck_method *m)
{
    static const char *const keys[] = {"name",
                                       "input",
                                       "output",
                                       "client_streaming",
                                       "server_streaming",
                                       "since",
                                       "deprecated",
                                       "deprecated_since",
                                       "idempotent",
                                       "read_only",
                                       "deadline_ms",
                                       "fallback",
                                       "fallback_default",
                                       "roles",
                                       "id",
                                       "line",
                                       NULL};
    long long since, dep_since, deadline, id;
    const char *fallback;
    json_t *roles;
    int client_streaming, server_streaming;
    if (known_keys(r, obj, at, keys) != 0 ||
        get_str(r, obj, "name", at, S_IDENT, 1, &m->name) != 0 ||
        get_str(r, obj, "input", at, S_PATH, 1, &m->input) != 0 ||
        get_str(r, obj, "output", at, S_PATH, 1, &m->output) != 0 ||
        get_bool(r, obj, "client_streaming", at, &client_streaming) != 0 ||
        get_bool(r, obj, "server_streaming", at, &server_streaming) != 0 ||
        get_int(r, obj, "since", at, 1, UINT32_MAX, 1, 1, &since) != 0 ||
        get_bool(r, obj, "deprecated", at, &m->deprecated) != 0 ||
        get_int(r, obj, "deprecated_since", at, 0, UINT32_MAX, 0, 0, &dep_since) != 0 ||
        get_bool(r, obj, "idempotent", at, &m->idempotent) != 0 ||
        get_bool(r, obj, "read_only", at, &m->read_only) != 0 ||
        get_int(r, obj, "deadline_ms", at, 0, UINT32_MAX, 0, 0, &deadline) != 0 ||
        get_str(r, obj, "fallback", at, S_ANY, 0, &fallback) != 0 ||
        get_str(r, obj, "fallback_default", at, S_ANY, 0, &m->fallback_default) != 0 ||
        get_array(r, obj, "roles", at, &roles) != 0 ||
        get_int(r, obj, "id", at, 0, UINT32_MAX, 0, 0, &id) != 0 || line(r, obj, at, &m->line) != 0)
        return -1;
    if (client_streaming || server_streaming) {
        char where[600];
        snprintf(where, sizeof where, "%s.%s_streaming", at,
                 client_streaming ? "client" : "server");
        return fail(r, where, "streaming is not supported by ferry");
    }
    m->since = (uint32_t)since;
    m->deprecated_since = (uint32_t)dep_since;
    m->deadline_ms = (uint32_t)deadline;
    m->id = (uint32_t)id;
    if (fallback != NULL) {
        static const char *const names[] = {"none", "empty", "default", "callback"};
        m->fallback = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(fallback, names[i]) == 0)
                m->fallback = i;
        if (m->fallback < 0) {
            char where[600];
            snprintf(where, sizeof where, "%s.fallback", at);
            return fail(r, where, "must be \"none\", \"empty\", \"default\" or \"callback\"");
        }
    }
    m->roles = fcg_arena_alloc(r->a, (count(roles) + 1) * sizeof *m->roles);
    if (m->roles == NULL)
        return fail(r, "", "out of memory");
    for (size_t i = 0; i < count(roles); i++) {
        json_t *v = json_array_get(roles, i);
        char where[600];
        snprintf(where, sizeof where, "%s.roles[%zu]", at, i);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return fail(r, where, "must be a non-empty string");
        m->roles[i] = fcg_arena_strndup(r->a, json_string_value(v), json_string_length(v));
        if (m->roles[i] == NULL)
            return fail(r, "", "out of memory");
    }
    m->n_roles = count(roles);
    return 0;
}

static int read_service(rd *r, json_t *obj, const char *at, const fck_file *file, fck_service *s)
{
    static const char *const keys[] = {"name", "line", "api_version", "api_line", "methods", NULL};
    const char *name;
    long long api, api_line;
    json_t *methods;
    if (known_keys(r, obj, at, keys) != 0 || get_str(r, obj, "name", at, S_IDENT, 1, &name) != 0 ||
        line(r, obj, at, &s->line) != 0 ||
        get_int(r, obj, "api_version", at, 1, UINT32_MAX, 1, 1, &api) != 0 ||
        get_int(r, obj, "api_line", at, 0, INT32_MAX, 0, 0, &api_line) != 0 ||
        get_array(r, obj, "methods", at, &methods) != 0)
        return -1;
    s->full_name = full(r, file, name);
    s->file = file;
    s->api_version = (uint32_t)api;
    s->api_line = (int)api_line;
    s->methods = fcg_arena_alloc(r->a, (count(methods) + 1) * sizeof *s->methods);
    if (s->full_name == NULL || s->methods == NULL)
        return fail(r, "", "out of memory");
    char mat[512];
    for (size_t i = 0; i < count(methods); i++) {
        json_t *e = element(r, methods, i, at, "methods", mat, sizeof mat);
        if (e == NULL || read_method(r, e, mat, &s->methods[i]) != 0)
            return -1;
    }
    s->n_methods = count(methods);
    return 0;
}

/* ---- files -------------------------------------------------------------------------------- */

/* The file's members; its lists of messages, enums, services and
 * extensions go to parts[0..3]. */
static int read_file(rd *r, json_t *obj, const char *at, fck_file *f, json_t **parts)
{
    static const char *const keys[] = {"name",  "package",  "package_line", "syntax", "messages",
                                       "enums", "services", "extensions",   NULL};
    long long pline;
    const char *syntax;
    if (known_keys(r, obj, at, keys) != 0 ||
        get_str(r, obj, "name", at, S_FILE, 1, &f->name) != 0 ||
        get_str(r, obj, "package", at, S_PATH_OR_EMPTY, 0, &f->package) != 0 ||
        get_int(r, obj, "package_line", at, 0, INT32_MAX, 0, 0, &pline) != 0 ||
        get_str(r, obj, "syntax", at, S_ANY, 1, &syntax) != 0 ||
        get_array(r, obj, "messages", at, &parts[0]) != 0 ||
        get_array(r, obj, "enums", at, &parts[1]) != 0 ||
        get_array(r, obj, "services", at, &parts[2]) != 0 ||
        get_array(r, obj, "extensions", at, &parts[3]) != 0)
        return -1;
    if (f->package == NULL)
        f->package = "";
    f->package_line = (int)pline;
    if (strcmp(syntax, "proto2") != 0 && strcmp(syntax, "proto3") != 0) {
        char where[600];
        snprintf(where, sizeof where, "%s.syntax", at);
        return fail(r, where, "must be \"proto2\" or \"proto3\"");
    }
    f->syntax = strcmp(syntax, "proto2") == 0 ? "proto2" : "proto3";
    return 0;
}

static int read_root(rd *r, json_t *root)
{
    static const char *const keys[] = {"format", "version", "files", NULL};
    if (!json_is_object(root))
        return fail(r, "", "not a ferry lock file (the text is JSON, but not an object)");
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), FCK_LOCK_FORMAT) != 0)
        return fail(r, "", "not a ferry lock file (no \"format\": \"" FCK_LOCK_FORMAT "\")");
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) < 1)
        return fail(r, "version", "must be a positive integer");
    if (json_integer_value(ver) != FCK_LOCK_VERSION) {
        char what[160];
        snprintf(what, sizeof what,
                 "lock format version %lld is not one this ferry reads (version %d); it was "
                 "written by another ferry release",
                 (long long)json_integer_value(ver), FCK_LOCK_VERSION);
        return fail(r, "", what);
    }
    json_t *files;
    if (known_keys(r, root, "", keys) != 0 || get_array(r, root, "files", "", &files) != 0)
        return -1;

    fck_schema *s = r->s;
    enum { PARTS = 4 }; /* messages, enums, services, extensions */
    size_t nf = count(files), n_msg = 0, n_enum = 0, n_svc = 0, n_ext = 0;
    json_t **parts = fcg_arena_alloc(r->a, (PARTS * nf + 1) * sizeof *parts);
    s->files = fcg_arena_alloc(r->a, (nf + 1) * sizeof *s->files);
    if (parts == NULL || s->files == NULL)
        return fail(r, "", "out of memory");
    char at[512];
    for (size_t i = 0; i < nf; i++) {
        json_t *e = element(r, files, i, "", "files", at, sizeof at);
        if (e == NULL || read_file(r, e, at, &s->files[i], &parts[PARTS * i]) != 0)
            return -1;
        if (i > 0 && strcmp(s->files[i - 1].name, s->files[i].name) >= 0)
            return fail(r, at, "files must be sorted by name, each listed once");
        n_msg += count(parts[PARTS * i]);
        n_enum += count(parts[PARTS * i + 1]);
        n_svc += count(parts[PARTS * i + 2]);
        n_ext += count(parts[PARTS * i + 3]);
    }
    s->n_files = nf;
    s->messages = fcg_arena_alloc(r->a, (n_msg + 1) * sizeof *s->messages);
    s->enums = fcg_arena_alloc(r->a, (n_enum + 1) * sizeof *s->enums);
    s->services = fcg_arena_alloc(r->a, (n_svc + 1) * sizeof *s->services);
    s->extensions = fcg_arena_alloc(r->a, (n_ext + 1) * sizeof *s->extensions);
    if (s->messages == NULL || s->enums == NULL || s->services == NULL || s->extensions == NULL)
        return fail(r, "", "out of memory");
    for (size_t i = 0; i < nf; i++) {
        char fat[512];
        snprintf(fat, sizeof fat, "files[%zu]", i);
        const fck_file *f = &s->files[i];
        for (size_t k = 0; k < count(parts[PARTS * i]); k++) {
            json_t *e = element(r, parts[PARTS * i], k, fat, "messages", at, sizeof at);
            if (e == NULL || read_message(r, e, at, f, &s->messages[s->n_messages++]) != 0)
                return -1;
        }
        for (size_t k = 0; k < count(parts[PARTS * i + 1]); k++) {
            json_t *e = element(r, parts[PARTS * i + 1], k, fat, "enums", at, sizeof at);
            if (e == NULL || read_enum(r, e, at, f, &s->enums[s->n_enums++]) != 0)
                return -1;
        }
        for (size_t k = 0; k < count(parts[PARTS * i + 2]); k++) {
            json_t *e = element(r, parts[PARTS * i + 2], k, fat, "services", at, sizeof at);
            if (e == NULL || read_service(r, e, at, f, &s->services[s->n_services++]) != 0)
                return -1;
        }
        for (size_t k = 0; k < count(parts[PARTS * i + 3]); k++) {
            json_t *e = element(r, parts[PARTS * i + 3], k, fat, "extensions", at, sizeof at);
            if (e == NULL || read_extension(r, e, at, f, &s->extensions[s->n_extensions++]) != 0)
                return -1;
        }
    }
    const char *why;
    if (fck_schema_index(s, &why) != 0)
        return fail(r, "", why);
    return 0;
}

ferry_check_status ferry_schema_read_lock(const char *text, size_t len, const char *name,
                                          ferry_schema **out)
{
    fck_error_clear();
    *out = NULL;
    if (name == NULL)
        name = "lock file";
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return fck_fail_take(FERRY_CHECK_BAD_INPUT,
                             fck_strdup_printf("%s:%d:%d: not a ferry lock file: %s", name,
                                               jerr.line, jerr.column, jerr.text));
    rd r = {.s = fck_schema_new(), .name = name};
    if (r.s == NULL) {
        json_decref(root);
        return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
    }
    r.a = &r.s->arena;
    int rc = read_root(&r, root);
    json_decref(root);
    if (rc != 0 || r.a->failed) {
        ferry_check_status st =
            r.a->failed || r.err == NULL ? FERRY_CHECK_SYSTEM : FERRY_CHECK_BAD_INPUT;
        ferry_schema_free(r.s);
        if (r.err == NULL)
            return fck_fail(st, "out of memory");
        return fck_fail_take(st, r.err);
    }
    *out = r.s;
    return FERRY_CHECK_OK;
}

ferry_check_status ferry_schema_load_lock(const char *path, ferry_schema **out)
{
    fck_error_clear();
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fck_fail_take(FERRY_CHECK_SYSTEM,
                             fck_strdup_printf("%s: cannot open: %s", path, strerror(errno)));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)MAX_LOCK_SIZE) {
                fclose(f);
                free(buf);
                return fck_fail_take(
                    FERRY_CHECK_BAD_INPUT,
                    fck_strdup_printf("%s: larger than 64 MiB: not a lock file", path));
            }
            cap = cap ? cap * 2 : 64 * 1024;
            char *p = realloc(buf, cap);
            if (p == NULL) {
                fclose(f);
                free(buf);
                return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
            }
            buf = p;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return fck_fail_take(FERRY_CHECK_SYSTEM, fck_strdup_printf("%s: cannot read", path));
    }
    ferry_check_status st = ferry_schema_read_lock(buf != NULL ? buf : "", len, path, out);
    free(buf);
    return st;
}
