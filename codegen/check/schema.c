/* schema.c - the checker's schema model: its life cycle, indexes, lookups
 * and the names of field types; the error messages the library returns. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

static const char *const type_names[FCK_TYPE_MAX + 1] = {
    [FCK_TYPE_DOUBLE] = "double",     [FCK_TYPE_FLOAT] = "float",
    [FCK_TYPE_INT64] = "int64",       [FCK_TYPE_UINT64] = "uint64",
    [FCK_TYPE_INT32] = "int32",       [FCK_TYPE_FIXED64] = "fixed64",
    [FCK_TYPE_FIXED32] = "fixed32",   [FCK_TYPE_BOOL] = "bool",
    [FCK_TYPE_STRING] = "string",     [FCK_TYPE_GROUP] = "group",
    [FCK_TYPE_MESSAGE] = "message",   [FCK_TYPE_BYTES] = "bytes",
    [FCK_TYPE_UINT32] = "uint32",     [FCK_TYPE_ENUM] = "enum",
    [FCK_TYPE_SFIXED32] = "sfixed32", [FCK_TYPE_SFIXED64] = "sfixed64",
    [FCK_TYPE_SINT32] = "sint32",     [FCK_TYPE_SINT64] = "sint64",
};

const char *fck_type_str(int type)
{
    return type >= 1 && type <= FCK_TYPE_MAX ? type_names[type] : NULL;
}

int fck_type_parse(const char *name)
{
    for (int t = 1; t <= FCK_TYPE_MAX; t++)
        if (strcmp(type_names[t], name) == 0)
            return t;
    return 0;
}

const char *fck_json_name(fcg_arena *a, const fck_field *f)
{
    if (f->json_name != NULL)
        return f->json_name;
    char *out = fcg_arena_alloc(a, strlen(f->name) + 1);
    if (out == NULL)
        return "";
    size_t k = 0;
    int upper = 0;
    for (const char *p = f->name; *p != '\0'; p++) {
        if (*p == '_') {
            upper = 1;
            continue;
        }
        out[k++] = upper && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        upper = 0;
    }
    out[k] = '\0';
    return out;
}

int fck_is_ident_path(const char *name)
{
    int start = 1; /* at the start of a part */
    if (*name == '\0')
        return 0;
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;
        if (c == '.') {
            if (start)
                return 0;
            start = 1;
            continue;
        }
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        int digit = c >= '0' && c <= '9';
        if (!letter && !(digit && !start))
            return 0;
        start = 0;
    }
    return !start;
}

size_t fck_utf8_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len;
    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

const char *fck_utf8_clean(fcg_arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), bad = 0;
    for (size_t i = 0; i < n;) {
        size_t len = fck_utf8_len(u + i, n - i);
        bad += len == 0;
        i += len ? len : 1;
    }
    if (bad == 0)
        return s;
    char *out = fcg_arena_alloc(a, n + 2 * bad + 1); /* U+FFFD takes 3 bytes */
    if (out == NULL)
        return s;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len = fck_utf8_len(u + i, n - i);
        if (len == 0) {
            memcpy(out + k, "\xef\xbf\xbd", 3);
            k += 3;
            i++;
        } else {
            memcpy(out + k, u + i, len);
            k += len;
            i += len;
        }
    }
    out[k] = '\0';
    return out;
}

int fck_is_file_name(const char *name)
{
    if (name[0] == '\0')
        return 0;
    for (const char *p = name; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

int fck_in_ranges(const fck_range *merged, size_t n, int32_t number)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (merged[mid].end < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && merged[lo].start <= number;
}

/* ---- sorting ------------------------------------------------------------ */

static int cmp_message(const void *a, const void *b)
{
    return strcmp((*(const fck_message *const *)a)->full_name,
                  (*(const fck_message *const *)b)->full_name);
}

static int cmp_enum(const void *a, const void *b)
{
    return strcmp((*(const fck_enum *const *)a)->full_name,
                  (*(const fck_enum *const *)b)->full_name);
}

static int cmp_service(const void *a, const void *b)
{
    return strcmp((*(const fck_service *const *)a)->full_name,
                  (*(const fck_service *const *)b)->full_name);
}

static int cmp_extension(const void *a, const void *b)
{
    return strcmp((*(const fck_extension *const *)a)->full_name,
                  (*(const fck_extension *const *)b)->full_name);
}

static int cmp_field_number(const void *a, const void *b)
{
    int32_t x = (*(const fck_field *const *)a)->number, y = (*(const fck_field *const *)b)->number;
    return (x > y) - (x < y);
}

static int cmp_field_name(const void *a, const void *b)
{
    return strcmp((*(const fck_field *const *)a)->name, (*(const fck_field *const *)b)->name);
}

static int cmp_method(const void *a, const void *b)
{
    return strcmp((*(const fck_method *const *)a)->name, (*(const fck_method *const *)b)->name);
}

static int cmp_value_name(const void *a, const void *b)
{
    return strcmp((*(const fck_value *const *)a)->name, (*(const fck_value *const *)b)->name);
}

static int cmp_reserved_name(const void *a, const void *b)
{
    return strcmp((*(const fck_name *const *)a)->name, (*(const fck_name *const *)b)->name);
}

static int cmp_role(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* By oneof, then by position in the declaration. */
static int cmp_oneof(const void *a, const void *b)
{
    const fck_field *x = *(const fck_field *const *)a, *y = *(const fck_field *const *)b;
    int d = strcmp(x->oneof, y->oneof);
    return d != 0 ? d : (x > y) - (x < y);
}

static int cmp_range_start(const void *a, const void *b)
{
    const fck_range *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* Sorted, disjoint copies of the n ranges `r` (ranges that overlap or
 * touch are joined; each keeps the line of its first part). */
static fck_range *merge_ranges(fcg_arena *a, const fck_range *r, size_t n, size_t *n_out)
{
    fck_range *m = fcg_arena_alloc(a, (n + 1) * sizeof *m);
    *n_out = 0;
    if (m == NULL)
        return NULL;
    if (n > 0)
        memcpy(m, r, n * sizeof *m);
    qsort(m, n, sizeof *m, cmp_range_start);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && (int64_t)m[i].start <= (int64_t)m[k - 1].end + 1) {
            if (m[i].end > m[k - 1].end)
                m[k - 1].end = m[i].end;
        } else {
            m[k++] = m[i];
        }
    }
    *n_out = k;
    return m;
}

/* By number, then by position in the declaration (the pointers are into
 * one array), so that the first alias comes first. */
static int cmp_value(const void *a, const void *b)
{
    const fck_value *x = *(const fck_value *const *)a, *y = *(const fck_value *const *)b;
    if (x->number != y->number)
        return (x->number > y->number) - (x->number < y->number);
    return (x > y) - (x < y);
}

/* An array of n pointers to the elements of `base` (each `size` bytes),
 * sorted with `cmp`; NULL when out of memory. */
static const void **sorted(fcg_arena *a, const void *base, size_t n, size_t size,
                           int (*cmp)(const void *, const void *))
{
    const void **p = fcg_arena_alloc(a, (n ? n : 1) * sizeof *p);
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = (const char *)base + i * size;
    qsort(p, n, sizeof *p, cmp);
    return p;
}

/* The first i with cmp(p[i], p[i+1]) == 0, or n. */
static size_t first_dup(const void **p, size_t n, int (*cmp)(const void *, const void *))
{
    for (size_t i = 0; i + 1 < n; i++)
        if (cmp(&p[i], &p[i + 1]) == 0)
            return i;
    return n;
}

static int index_message(fcg_arena *a, fck_message *m, const char **why)
{
    m->by_number =
        (const fck_field **)sorted(a, m->fields, m->n_fields, sizeof *m->fields, cmp_field_number);
    m->by_name =
        (const fck_field **)sorted(a, m->fields, m->n_fields, sizeof *m->fields, cmp_field_name);
    m->names_sorted = (const fck_name **)sorted(a, m->reserved_names, m->n_reserved_names,
                                                sizeof *m->reserved_names, cmp_reserved_name);
    m->merged = merge_ranges(a, m->reserved, m->n_reserved, &m->n_merged);
    m->by_oneof = fcg_arena_alloc(a, (m->n_fields + 1) * sizeof *m->by_oneof);
    if (m->by_number == NULL || m->by_name == NULL || m->names_sorted == NULL ||
        m->merged == NULL || m->by_oneof == NULL)
        return -1;
    m->n_by_oneof = 0;
    for (size_t k = 0; k < m->n_fields; k++)
        if (m->fields[k].oneof != NULL)
            m->by_oneof[m->n_by_oneof++] = &m->fields[k];
    qsort(m->by_oneof, m->n_by_oneof, sizeof *m->by_oneof, cmp_oneof);
    size_t i = first_dup((const void **)m->by_number, m->n_fields, cmp_field_number);
    if (i < m->n_fields) {
        *why = fcg_arena_printf(a, "message %s has two fields numbered %d", m->full_name,
                                m->by_number[i]->number);
        return -1;
    }
    i = first_dup((const void **)m->by_name, m->n_fields, cmp_field_name);
    if (i < m->n_fields) {
        *why = fcg_arena_printf(a, "message %s has two fields named %s", m->full_name,
                                m->by_name[i]->name);
        return -1;
    }
    return 0;
}

static int index_enum(fcg_arena *a, fck_enum *e, const char **why)
{
    e->by_number =
        (const fck_value **)sorted(a, e->values, e->n_values, sizeof *e->values, cmp_value);
    e->by_name =
        (const fck_value **)sorted(a, e->values, e->n_values, sizeof *e->values, cmp_value_name);
    e->names_sorted = (const fck_name **)sorted(a, e->reserved_names, e->n_reserved_names,
                                                sizeof *e->reserved_names, cmp_reserved_name);
    e->merged = merge_ranges(a, e->reserved, e->n_reserved, &e->n_merged);
    if (e->by_number == NULL || e->by_name == NULL || e->names_sorted == NULL || e->merged == NULL)
        return -1;
    size_t i = first_dup((const void **)e->by_name, e->n_values, cmp_value_name);
    if (i < e->n_values) {
        *why = fcg_arena_printf(a, "enum %s has two values named %s", e->full_name,
                                e->by_name[i]->name);
        return -1;
    }
    return 0;
}

static int index_service(fcg_arena *a, fck_service *s, const char **why)
{
    s->by_name =
        (const fck_method **)sorted(a, s->methods, s->n_methods, sizeof *s->methods, cmp_method);
    if (s->by_name == NULL)
        return -1;
    for (size_t k = 0; k < s->n_methods; k++) {
        fck_method *m = &s->methods[k];
        m->roles_sorted = fcg_arena_alloc(a, (m->n_roles + 1) * sizeof *m->roles_sorted);
        if (m->roles_sorted == NULL)
            return -1;
        if (m->n_roles > 0)
            memcpy(m->roles_sorted, m->roles, m->n_roles * sizeof *m->roles);
        qsort(m->roles_sorted, m->n_roles, sizeof *m->roles_sorted, cmp_role);
    }
    size_t i = first_dup((const void **)s->by_name, s->n_methods, cmp_method);
    if (i < s->n_methods) {
        *why = fcg_arena_printf(a, "service %s has two methods named %s", s->full_name,
                                s->by_name[i]->name);
        return -1;
    }
    return 0;
}

int fck_schema_index(fck_schema *s, const char **why)
{
    fcg_arena *a = &s->arena;
    *why = NULL;
    s->messages_by_name = (const fck_message **)sorted(a, s->messages, s->n_messages,
                                                       sizeof *s->messages, cmp_message);
    s->enums_by_name =
        (const fck_enum **)sorted(a, s->enums, s->n_enums, sizeof *s->enums, cmp_enum);
    s->services_by_name = (const fck_service **)sorted(a, s->services, s->n_services,
                                                       sizeof *s->services, cmp_service);
    s->extensions_by_name = (const fck_extension **)sorted(a, s->extensions, s->n_extensions,
                                                           sizeof *s->extensions, cmp_extension);
    if (s->messages_by_name == NULL || s->enums_by_name == NULL || s->services_by_name == NULL ||
        s->extensions_by_name == NULL)
        goto oom;
    size_t i = first_dup((const void **)s->messages_by_name, s->n_messages, cmp_message);
    if (i < s->n_messages) {
        *why =
            fcg_arena_printf(a, "message %s is defined twice", s->messages_by_name[i]->full_name);
        return -1;
    }
    i = first_dup((const void **)s->enums_by_name, s->n_enums, cmp_enum);
    if (i < s->n_enums) {
        *why = fcg_arena_printf(a, "enum %s is defined twice", s->enums_by_name[i]->full_name);
        return -1;
    }
    i = first_dup((const void **)s->services_by_name, s->n_services, cmp_service);
    if (i < s->n_services) {
        *why =
            fcg_arena_printf(a, "service %s is defined twice", s->services_by_name[i]->full_name);
        return -1;
    }
    i = first_dup((const void **)s->extensions_by_name, s->n_extensions, cmp_extension);
    if (i < s->n_extensions) {
        *why = fcg_arena_printf(a, "extension %s is defined twice",
                                s->extensions_by_name[i]->full_name);
        return -1;
    }
    for (i = 0; i < s->n_enums; i++) {
        if (fck_find_message(s, s->enums[i].full_name) != NULL) {
            *why = fcg_arena_printf(a, "%s is defined twice, as a message and as an enum",
                                    s->enums[i].full_name);
            return -1;
        }
    }
    for (i = 0; i < s->n_messages; i++)
        if (index_message(a, &s->messages[i], why) != 0)
            goto fail;
    for (i = 0; i < s->n_enums; i++)
        if (index_enum(a, &s->enums[i], why) != 0)
            goto fail;
    for (i = 0; i < s->n_services; i++)
        if (index_service(a, &s->services[i], why) != 0)
            goto fail;
    return 0;
fail:
    if (*why != NULL)
        return -1;
oom:
    *why = "out of memory";
    return -1;
}

/* ---- lookups ------------------------------------------------------------ */

const fck_message *fck_find_message(const fck_schema *s, const char *full_name)
{
    fck_message key = {.full_name = full_name};
    const fck_message *k = &key;
    const fck_message **hit =
        bsearch(&k, s->messages_by_name, s->n_messages, sizeof k, cmp_message);
    return hit != NULL ? *hit : NULL;
}

const fck_enum *fck_find_enum(const fck_schema *s, const char *full_name)
{
    fck_enum key = {.full_name = full_name};
    const fck_enum *k = &key;
    const fck_enum **hit = bsearch(&k, s->enums_by_name, s->n_enums, sizeof k, cmp_enum);
    return hit != NULL ? *hit : NULL;
}

const fck_service *fck_find_service(const fck_schema *s, const char *full_name)
{
    fck_service key = {.full_name = full_name};
    const fck_service *k = &key;
    const fck_service **hit =
        bsearch(&k, s->services_by_name, s->n_services, sizeof k, cmp_service);
    return hit != NULL ? *hit : NULL;
}

const fck_extension *fck_find_extension(const fck_schema *s, const char *full_name)
{
    fck_extension key = {.full_name = full_name};
    const fck_extension *k = &key;
    const fck_extension **hit =
        bsearch(&k, s->extensions_by_name, s->n_extensions, sizeof k, cmp_extension);
    return hit != NULL ? *hit : NULL;
}

const fck_field *fck_field_by_number(const fck_message *m, int32_t number)
{
    fck_field key = {.number = number};
    const fck_field *k = &key;
    const fck_field **hit = bsearch(&k, m->by_number, m->n_fields, sizeof k, cmp_field_number);
    return hit != NULL ? *hit : NULL;
}

const fck_field *fck_field_by_name(const fck_message *m, const char *name)
{
    fck_field key = {.name = name};
    const fck_field *k = &key;
    const fck_field **hit = bsearch(&k, m->by_name, m->n_fields, sizeof k, cmp_field_name);
    return hit != NULL ? *hit : NULL;
}

const fck_method *fck_method_by_name(const fck_service *s, const char *name)
{
    fck_method key = {.name = name};
    const fck_method *k = &key;
    const fck_method **hit = bsearch(&k, s->by_name, s->n_methods, sizeof k, cmp_method);
    return hit != NULL ? *hit : NULL;
}

const fck_value *fck_value_by_name(const fck_enum *e, const char *name)
{
    fck_value key = {.name = name};
    const fck_value *k = &key;
    const fck_value **hit = bsearch(&k, e->by_name, e->n_values, sizeof k, cmp_value_name);
    return hit != NULL ? *hit : NULL;
}

int fck_name_reserved(const fck_name *const *sorted_names, size_t n, const char *name)
{
    fck_name key = {.name = name};
    const fck_name *k = &key;
    return bsearch(&k, sorted_names, n, sizeof k, cmp_reserved_name) != NULL;
}

int fck_has_role(const fck_method *m, const char *role)
{
    return bsearch(&role, m->roles_sorted, m->n_roles, sizeof role, cmp_role) != NULL;
}

const fck_field *const *fck_oneof_members(const fck_message *m, const char *oneof, size_t *n)
{
    size_t lo = 0, hi = m->n_by_oneof;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->by_oneof[mid]->oneof, oneof) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = lo;
    while (k < m->n_by_oneof && strcmp(m->by_oneof[k]->oneof, oneof) == 0)
        k++;
    *n = k - lo;
    return m->by_oneof + lo;
}

const fck_value *fck_value_by_number(const fck_enum *e, int32_t number, size_t *count)
{
    /* Lower bound by number. */
    size_t lo = 0, hi = e->n_values;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->by_number[mid]->number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < e->n_values && e->by_number[lo + n]->number == number)
        n++;
    if (count != NULL)
        *count = n;
    return n > 0 ? e->by_number[lo] : NULL;
}

/* ---- life cycle and messages ------------------------------------------------ */

fck_schema *fck_schema_new(void)
{
    fck_schema *s = calloc(1, sizeof *s);
    if (s != NULL)
        fcg_arena_init(&s->arena);
    return s;
}

void ferry_schema_free(ferry_schema *s)
{
    if (s == NULL)
        return;
    fcg_arena_fini(&s->arena);
    free(s);
}

/* The reason of this thread's last failure (ferry_check_last_error()): one
 * buffer per thread, so that threads checking schemas at once keep theirs. */
static _Thread_local char last_error[FCK_ERROR_MAX];

/* Messages quote untrusted input (JSON parser errors, names): bytes that
 * could control a terminal become '?', and the line break between two
 * errors "; ", so the reason stays one line. */
ferry_check_status fck_fail(ferry_check_status status, const char *msg)
{
    size_t n = 0;
    for (const char *p = msg; *p != '\0' && n + 2 < sizeof last_error; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n' && p[1] != '\0') {
            last_error[n++] = ';';
            last_error[n++] = ' ';
        } else if (c != '\n') {
            last_error[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
        }
    }
    last_error[n] = '\0';
    return status;
}

ferry_check_status fck_fail_take(ferry_check_status status, char *msg)
{
    if (msg == NULL)
        return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
    fck_fail(status, msg);
    free(msg);
    return status;
}

void fck_error_clear(void)
{
    last_error[0] = '\0';
}

const char *ferry_check_last_error(void)
{
    return last_error;
}

char *fck_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

const char *fck_printable(fcg_arena *a, const char *s)
{
    char *p = fcg_arena_strdup(a, s);
    if (p == NULL)
        return "?";
    for (char *c = p; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    return p;
}
