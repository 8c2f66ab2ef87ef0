/* names.c - C names from proto names. The message-type rules follow protoc-c
 * (FullNameToC, FullNameToLower, CamelToLower in its c_helpers.cc) so that
 * ferry's code names the very types protoc-c declares. */
#include <stdlib.h>
#include <string.h>

#include "names.h"

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
    return is_lower(c) ? (char)(c - 'a' + 'A') : c;
}

/* Appends CamelToLower(s[0..n)) at dst; returns the new end. The state
 * starts as "after an upper-case letter", so no leading '_' is added. */
static char *put_camel_to_lower(char *dst, const char *s, size_t n)
{
    bool was_upper = true;
    for (size_t i = 0; i < n; i++) {
        bool up = is_upper(s[i]);
        if (up && !was_upper)
            *dst++ = '_';
        *dst++ = lower(s[i]);
        was_upper = up;
    }
    return dst;
}

/* Appends ToCamel(s[0..n)) at dst: '_' dropped, the letter after it and the
 * first letter upper-cased, everything else kept. */
static char *put_to_camel(char *dst, const char *s, size_t n)
{
    bool next_upper = true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            next_upper = true;
        } else if (next_upper) {
            *dst++ = upper(s[i]);
            next_upper = false;
        } else {
            *dst++ = s[i];
        }
    }
    return dst;
}

char *fcg_camel_to_lower(fcg_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = fcg_arena_alloc(a, 2 * n + 1);
    if (out != NULL)
        *put_camel_to_lower(out, s, n) = '\0';
    return out;
}

char *fcg_to_upper(fcg_arena *a, const char *s)
{
    char *out = fcg_arena_strdup(a, s);
    for (char *p = out; p != NULL && *p; p++)
        *p = upper(*p);
    return out;
}

/* Joins the non-empty '.'-separated pieces of `name`, each converted by
 * `put`, with "__" (protoc-c's FullNameToC / FullNameToLower). */
static char *join_pieces(fcg_arena *a, const char *name, char *(*put)(char *, const char *, size_t))
{
    size_t n = strlen(name);
    char *out = fcg_arena_alloc(a, 3 * n + 1);
    if (out == NULL)
        return NULL;
    char *dst = out;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (len > 0) {
            if (dst != out) {
                *dst++ = '_';
                *dst++ = '_';
            }
            dst = put(dst, p, len);
        }
        p += len;
        if (*p == '.')
            p++;
    }
    *dst = '\0';
    return out;
}

bool fcg_protoc_c_names(fcg_arena *a, const char *package, const char *c_package,
                        const char *full_name, char **c_name, char **c_lower)
{
    const char *name = full_name;
    if (c_package != NULL) {
        /* protoc-c swaps the package for c_package ("" drops it). */
        size_t plen = strlen(package);
        if (plen > 0 && strncmp(full_name, package, plen) == 0 && full_name[plen] == '.')
            name = fcg_arena_printf(a, "%s.%s", c_package, full_name + plen + 1);
        else
            name = fcg_arena_printf(a, "%s.%s", c_package, full_name);
        if (name == NULL)
            return false;
    }
    *c_name = join_pieces(a, name, put_to_camel);
    *c_lower = join_pieces(a, name, put_camel_to_lower);
    return *c_name != NULL && *c_lower != NULL;
}

char *fcg_service_prefix(fcg_arena *a, const char *package, const char *service)
{
    size_t plen = strlen(package);
    size_t slen = strlen(service);
    char *out = fcg_arena_alloc(a, plen + 1 + 2 * slen + 1);
    if (out == NULL)
        return NULL;
    char *dst = out;
    for (size_t i = 0; i < plen; i++)
        *dst++ = package[i] == '.' ? '_' : lower(package[i]);
    if (plen > 0)
        *dst++ = '_';
    *put_camel_to_lower(dst, service, slen) = '\0';
    return out;
}

bool fcg_is_identifier(const char *s)
{
    if (!(is_upper(*s) || is_lower(*s) || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!(is_upper(*s) || is_lower(*s) || is_digit(*s) || *s == '_'))
            return false;
    return true;
}

bool fcg_is_package(const char *s)
{
    if (*s == '\0')
        return true;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot != NULL ? (size_t)(dot - s) : strlen(s);
        if (len == 0 || !(is_upper(*s) || is_lower(*s) || *s == '_'))
            return false;
        for (size_t i = 1; i < len; i++)
            if (!(is_upper(s[i]) || is_lower(s[i]) || is_digit(s[i]) || s[i] == '_'))
                return false;
        if (dot == NULL)
            return true;
        s = dot + 1;
    }
}

/* Sorted for bsearch: C11, C23 and C++ keywords, and names that the headers
 * generated code includes, or GNU C modes, define as macros. */
static const char *const reserved_words[] = {
    "NULL",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_BitInt",
    "_Bool",
    "_Complex",
    "_Decimal128",
    "_Decimal32",
    "_Decimal64",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "assert",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "complex",
    "concept",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "errno",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "i386",
    "if",
    "imaginary",
    "inline",
    "int",
    "linux",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "offsetof",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "stderr",
    "stdin",
    "stdout",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "typeof",
    "typeof_unqual",
    "union",
    "unix",
    "unsigned",
    "using",
    "va_arg",
    "va_copy",
    "va_end",
    "va_start",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
};

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool fcg_is_reserved(const char *s)
{
    return bsearch(s, reserved_words, sizeof reserved_words / sizeof reserved_words[0],
                   sizeof reserved_words[0], cmp_word) != NULL;
}

/* Appends `suffix` to `stem`. */
static const char *cat(fcg_arena *a, const char *stem, const char *suffix)
{
    return fcg_arena_printf(a, "%s%s", stem, suffix);
}

static bool name_method(fcg_arena *a, const fcg_service *svc, fcg_method *m)
{
    const char *lower = fcg_camel_to_lower(a, m->name);
    if (lower == NULL)
        return false;
    fcg_method_names *c = &m->c;
    c->fn = cat(a, svc->c.prefix, "_");
    c->fn = c->fn != NULL ? cat(a, c->fn, lower) : NULL;
    if (c->fn == NULL)
        return false;
    c->async_fn = cat(a, c->fn, "_async");
    c->cb_type = cat(a, c->fn, "_cb");
    c->constant = fcg_to_upper(a, c->fn);
    c->member = fcg_is_reserved(lower) ? cat(a, lower, "_") : lower;
    c->invoke = cat(a, c->fn, "_invoke");
    c->done = cat(a, c->fn, "_done");
    c->roles = cat(a, c->fn, "_roles");
    c->fallback = cat(a, c->fn, "_fallback_pb");
    c->mock_check = cat(a, c->fn, "_mock_check");
    c->mock_fn = cat(a, c->fn, "_mock_fn");
    c->mock_check_glue = cat(a, c->fn, "_mock_check_invoke");
    c->mock_fn_glue = cat(a, c->fn, "_mock_fn_invoke");
    const char *p = svc->c.prefix;
    c->mock_expect = fcg_arena_printf(a, "%s_mock_expect_%s", p, lower);
    c->mock_expect_req = fcg_arena_printf(a, "%s_mock_expect_%s_request", p, lower);
    c->mock_will_return = fcg_arena_printf(a, "%s_mock_will_return_%s", p, lower);
    c->mock_will_fall_back = fcg_arena_printf(a, "%s_mock_will_fall_back_%s", p, lower);
    c->mock_will_fail = fcg_arena_printf(a, "%s_mock_will_fail_%s", p, lower);
    c->mock_will_call = fcg_arena_printf(a, "%s_mock_will_call_%s", p, lower);
    return c->async_fn != NULL && c->cb_type != NULL && c->constant != NULL && c->member != NULL &&
           c->invoke != NULL && c->done != NULL && c->roles != NULL && c->fallback != NULL &&
           c->mock_check != NULL && c->mock_fn != NULL && c->mock_check_glue != NULL &&
           c->mock_fn_glue != NULL && c->mock_expect != NULL && c->mock_expect_req != NULL &&
           c->mock_will_return != NULL && c->mock_will_fall_back != NULL &&
           c->mock_will_fail != NULL && c->mock_will_call != NULL;
}

bool fcg_name_service(fcg_arena *a, fcg_service *svc, const char *package)
{
    fcg_service_names *c = &svc->c;
    c->prefix = fcg_service_prefix(a, package, svc->name);
    if (c->prefix == NULL)
        return false;
    const char *upper = fcg_to_upper(a, c->prefix);
    c->desc = cat(a, c->prefix, "_desc");
    c->method_enum = cat(a, c->prefix, "_method");
    c->n_methods = upper != NULL ? cat(a, upper, "_N_METHODS") : NULL;
    c->handlers = cat(a, c->prefix, "_handlers");
    c->impl = cat(a, c->prefix, "_impl");
    c->reg = cat(a, c->prefix, "_register");
    c->local_open = cat(a, c->prefix, "_local_open");
    c->methods = cat(a, c->prefix, "_methods");
    c->invoke_table = cat(a, c->prefix, "_invoke");
    c->mock_open = cat(a, c->prefix, "_mock_open");
    c->fake_start = cat(a, c->prefix, "_fake_start");
    c->dispatcher_open = cat(a, c->prefix, "_dispatcher_open");
    c->dispatch_env = upper != NULL ? cat(a, upper, "_DISPATCH_ENV") : NULL;
    c->dispatch_env_value = upper != NULL ? cat(a, "FERRY_DISPATCH_", upper) : NULL;
    if (c->dispatcher_open == NULL || c->dispatch_env == NULL || c->dispatch_env_value == NULL)
        return false;
    if (c->desc == NULL || c->method_enum == NULL || c->n_methods == NULL || c->handlers == NULL ||
        c->impl == NULL || c->reg == NULL || c->local_open == NULL || c->methods == NULL ||
        c->invoke_table == NULL || c->mock_open == NULL || c->fake_start == NULL)
        return false;
    for (size_t i = 0; i < svc->n_methods; i++)
        if (!name_method(a, svc, &svc->methods[i]))
            return false;
    return true;
}
