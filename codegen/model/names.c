/* names.c - C names from proto names. The message-type rules follow protoc-c
 * (FullNameToC, FullNameToLower, CamelToLower in its c_helpers.cc) so that
 * ferry's code names the very types protoc-c declares. */
#include <stdlib.h>
#include <string.h>

#include "ferry/identity.h"

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

char *fcg_to_lower(fcg_arena *a, const char *s)
{
    char *out = fcg_arena_strdup(a, s);
    for (char *p = out; p != NULL && *p; p++)
        *p = lower(*p);
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

bool fcg_is_key_name(const char *s, size_t len)
{
    if (len == 0 || len > FERRY_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(is_upper(s[i]) || is_lower(s[i]) || is_digit(s[i]) || s[i] == '.' || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

/* Why a word cannot name something in generated code. */
#define WHY_C_CXX   "a keyword of C and C++"
#define WHY_C       "a keyword of C"
#define WHY_C23     "a keyword of C23"
#define WHY_C23_CXX "a keyword of C23 and C++"
#define WHY_C23_GNU "a keyword of C23 and GNU C"
#define WHY_CXX     "a keyword of C++"
#define WHY_CXX_GNU "a keyword of C++ and GNU C"
#define WHY_STDDEF  "a macro of <stddef.h>"
#define WHY_ASSERT  "a macro of <assert.h>"
#define WHY_ERRNO   "a macro of <errno.h>"
#define WHY_STDIO   "a macro of <stdio.h>"
#define WHY_STDARG  "a macro of <stdarg.h>"
#define WHY_COMPLEX "a macro of <complex.h>"
#define WHY_GNU     "a macro GNU C compilers predefine"

/* What else is known of a reserved word. */
enum {
    FN_MACRO = 1, /* a function-like macro: only a '(' after the name expands it */
    PROTOC_C = 2, /* protoc-c 1.4 appends '_' to a field (lower-cased) of this name */
};

typedef struct reserved_word {
    const char *word;
    const char *why;
    int flags;
} reserved_word;

/* Sorted for bsearch: C11, C23 and C++ keywords, and names that the headers
 * generated code includes, or GNU C modes, define as macros. The PROTOC_C
 * marks are protoc-c's own keyword list (the C++98 keywords and alternative
 * tokens): it leaves every other name of this table as it is. */
static const reserved_word reserved_words[] = {
    {"NULL", WHY_STDDEF, 0},
    {"_Alignas", WHY_C, 0},
    {"_Alignof", WHY_C, 0},
    {"_Atomic", WHY_C, 0},
    {"_BitInt", WHY_C, 0},
    {"_Bool", WHY_C, 0},
    {"_Complex", WHY_C, 0},
    {"_Decimal128", WHY_C, 0},
    {"_Decimal32", WHY_C, 0},
    {"_Decimal64", WHY_C, 0},
    {"_Generic", WHY_C, 0},
    {"_Imaginary", WHY_C, 0},
    {"_Noreturn", WHY_C, 0},
    {"_Static_assert", WHY_C, 0},
    {"_Thread_local", WHY_C, 0},
    {"alignas", WHY_C23_CXX, 0},
    {"alignof", WHY_C23_CXX, 0},
    {"and", WHY_CXX, PROTOC_C},
    {"and_eq", WHY_CXX, PROTOC_C},
    {"asm", WHY_CXX_GNU, PROTOC_C},
    {"assert", WHY_ASSERT, FN_MACRO},
    {"auto", WHY_C_CXX, PROTOC_C},
    {"bitand", WHY_CXX, PROTOC_C},
    {"bitor", WHY_CXX, PROTOC_C},
    {"bool", WHY_C23_CXX, PROTOC_C},
    {"break", WHY_C_CXX, PROTOC_C},
    {"case", WHY_C_CXX, PROTOC_C},
    {"catch", WHY_CXX, PROTOC_C},
    {"char", WHY_C_CXX, PROTOC_C},
    {"char16_t", WHY_CXX, 0},
    {"char32_t", WHY_CXX, 0},
    {"char8_t", WHY_CXX, 0},
    {"class", WHY_CXX, PROTOC_C},
    {"co_await", WHY_CXX, 0},
    {"co_return", WHY_CXX, 0},
    {"co_yield", WHY_CXX, 0},
    {"compl", WHY_CXX, PROTOC_C},
    {"complex", WHY_COMPLEX, 0},
    {"concept", WHY_CXX, 0},
    {"const", WHY_C_CXX, PROTOC_C},
    {"const_cast", WHY_CXX, PROTOC_C},
    {"consteval", WHY_CXX, 0},
    {"constexpr", WHY_C23_CXX, 0},
    {"constinit", WHY_CXX, 0},
    {"continue", WHY_C_CXX, PROTOC_C},
    {"decltype", WHY_CXX, 0},
    {"default", WHY_C_CXX, PROTOC_C},
    {"delete", WHY_CXX, PROTOC_C},
    {"do", WHY_C_CXX, PROTOC_C},
    {"double", WHY_C_CXX, PROTOC_C},
    {"dynamic_cast", WHY_CXX, PROTOC_C},
    {"else", WHY_C_CXX, PROTOC_C},
    {"enum", WHY_C_CXX, PROTOC_C},
    {"errno", WHY_ERRNO, 0},
    {"explicit", WHY_CXX, PROTOC_C},
    {"export", WHY_CXX, 0},
    {"extern", WHY_C_CXX, PROTOC_C},
    {"false", WHY_C23_CXX, PROTOC_C},
    {"float", WHY_C_CXX, PROTOC_C},
    {"for", WHY_C_CXX, PROTOC_C},
    {"friend", WHY_CXX, PROTOC_C},
    {"goto", WHY_C_CXX, PROTOC_C},
    {"i386", WHY_GNU, 0},
    {"if", WHY_C_CXX, PROTOC_C},
    {"imaginary", WHY_COMPLEX, 0},
    {"inline", WHY_C_CXX, PROTOC_C},
    {"int", WHY_C_CXX, PROTOC_C},
    {"linux", WHY_GNU, 0},
    {"long", WHY_C_CXX, PROTOC_C},
    {"mutable", WHY_CXX, PROTOC_C},
    {"namespace", WHY_CXX, PROTOC_C},
    {"new", WHY_CXX, PROTOC_C},
    {"noexcept", WHY_CXX, 0},
    {"not", WHY_CXX, PROTOC_C},
    {"not_eq", WHY_CXX, PROTOC_C},
    {"nullptr", WHY_C23_CXX, 0},
    {"offsetof", WHY_STDDEF, FN_MACRO},
    {"operator", WHY_CXX, PROTOC_C},
    {"or", WHY_CXX, PROTOC_C},
    {"or_eq", WHY_CXX, PROTOC_C},
    {"private", WHY_CXX, PROTOC_C},
    {"protected", WHY_CXX, PROTOC_C},
    {"public", WHY_CXX, PROTOC_C},
    {"register", WHY_C_CXX, PROTOC_C},
    {"reinterpret_cast", WHY_CXX, PROTOC_C},
    {"requires", WHY_CXX, 0},
    {"restrict", WHY_C, 0},
    {"return", WHY_C_CXX, PROTOC_C},
    {"short", WHY_C_CXX, PROTOC_C},
    {"signed", WHY_C_CXX, PROTOC_C},
    {"sizeof", WHY_C_CXX, PROTOC_C},
    {"static", WHY_C_CXX, PROTOC_C},
    {"static_assert", WHY_C23_CXX, 0},
    {"static_cast", WHY_CXX, PROTOC_C},
    {"stderr", WHY_STDIO, 0},
    {"stdin", WHY_STDIO, 0},
    {"stdout", WHY_STDIO, 0},
    {"struct", WHY_C_CXX, PROTOC_C},
    {"switch", WHY_C_CXX, PROTOC_C},
    {"template", WHY_CXX, PROTOC_C},
    {"this", WHY_CXX, PROTOC_C},
    {"thread_local", WHY_C23_CXX, 0},
    {"throw", WHY_CXX, PROTOC_C},
    {"true", WHY_C23_CXX, PROTOC_C},
    {"try", WHY_CXX, PROTOC_C},
    {"typedef", WHY_C_CXX, PROTOC_C},
    {"typeid", WHY_CXX, PROTOC_C},
    {"typename", WHY_CXX, PROTOC_C},
    {"typeof", WHY_C23_GNU, 0},
    {"typeof_unqual", WHY_C23, 0},
    {"union", WHY_C_CXX, PROTOC_C},
    {"unix", WHY_GNU, 0},
    {"unsigned", WHY_C_CXX, PROTOC_C},
    {"using", WHY_CXX, PROTOC_C},
    {"va_arg", WHY_STDARG, FN_MACRO},
    {"va_copy", WHY_STDARG, FN_MACRO},
    {"va_end", WHY_STDARG, FN_MACRO},
    {"va_start", WHY_STDARG, FN_MACRO},
    {"virtual", WHY_CXX, PROTOC_C},
    {"void", WHY_C_CXX, PROTOC_C},
    {"volatile", WHY_C_CXX, PROTOC_C},
    {"wchar_t", WHY_CXX, PROTOC_C},
    {"while", WHY_C_CXX, PROTOC_C},
    {"xor", WHY_CXX, PROTOC_C},
    {"xor_eq", WHY_CXX, PROTOC_C},
};

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, ((const reserved_word *)elem)->word);
}

static const reserved_word *find_reserved(const char *s)
{
    return bsearch(s, reserved_words, sizeof reserved_words / sizeof reserved_words[0],
                   sizeof reserved_words[0], cmp_word);
}

bool fcg_is_reserved(const char *s)
{
    return find_reserved(s) != NULL;
}

const char *fcg_reserved_member(const char *s)
{
    const reserved_word *r = find_reserved(s);
    return r != NULL && !(r->flags & FN_MACRO) ? r->why : NULL;
}

const char *fcg_reserved_field(const char *lower)
{
    const reserved_word *r = find_reserved(lower);
    return r != NULL && !(r->flags & (FN_MACRO | PROTOC_C)) ? r->why : NULL;
}

bool fcg_protoc_c_renames(const char *lower)
{
    const reserved_word *r = find_reserved(lower);
    return r != NULL && (r->flags & PROTOC_C);
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
