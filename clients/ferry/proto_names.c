/* proto_names.c - names and string literals as a .proto file writes them
 * (proto_names.h): what protoc would resolve a name to, and strings that
 * survive whatever bytes a server put in them. */
#include <string.h>

#include <jansson.h>

#include "proto_names.h"

int proto_is_ident(const char *s)
{
    if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

int proto_is_dotted(const char *s)
{
    char part[256];
    for (;;) {
        size_t n = strcspn(s, ".");
        if (n == 0 || n >= sizeof part)
            return 0;
        memcpy(part, s, n);
        part[n] = '\0';
        if (!proto_is_ident(part))
            return 0;
        if (s[n] == '\0')
            return 1;
        s += n + 1;
    }
}

/* Whether protoc could find something named `full` (a type, a service or a
 * package) while resolving a name: what would capture a relative name. */
static int symbol_exists(const pb_schema *s, const char *full)
{
    if (pbs_find(s, full) != NULL || pbs_service_find(s, full) != NULL)
        return 1;
    size_t n = strlen(full);
    for (size_t i = 0; i < s->n_files; i++) {
        const char *pkg = s->files[i]->package;
        if (pkg != NULL && strncmp(pkg, full, n) == 0 && (pkg[n] == '\0' || pkg[n] == '.'))
            return 1;
    }
    return 0;
}

/* Whether `full` is inside package `pkg` (or a sub-package of it). */
static int under(const char *pkg, const char *full)
{
    size_t n = strlen(pkg);
    return n > 0 && strncmp(full, pkg, n) == 0 && full[n] == '.';
}

/* Words the parser takes for something else where a type name stands as
 * the first part: a scalar type (a message named `string` would be read as
 * the scalar), a label or keyword before the type (`stream`, `map`...), or
 * a word that starts another statement in a message body where a proto3
 * field has no label (`message s = 1;` would open a nested message). */
static int is_type_keyword(const char *name, size_t n)
{
    static const char *const words[] = {
        "double",  "float",   "int32",   "int64",    "uint32",   "uint64",     "sint32",
        "sint64",  "fixed32", "fixed64", "sfixed32", "sfixed64", "bool",       "string",
        "bytes",   "stream",  "map",     "group",    "optional", "repeated",   "required",
        "message", "enum",    "oneof",   "option",   "reserved", "extensions", "extend",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncmp(words[i], name, n) == 0)
            return 1;
    return 0;
}

void proto_type_ref(const pb_schema *s, const char *pkg, const char *scope, const pbs_svc *svc,
                    const pbs_type *t, char *buf, size_t len)
{
    /* Relative to the package when inside it (a sub-package's type keeps
     * the sub-package's parts: `common.Money` in package acme), else the
     * full name, which protoc resolves from the root when no nearer scope
     * holds its first part. */
    size_t stop = 0;
    const char *name = t->full;
    if (under(pkg, t->full)) {
        stop = strlen(pkg);
        name = t->full + stop + 1;
    }
    size_t first = strcspn(name, ".");
    int qualify = is_type_keyword(name, first);
    /* A method's types are looked up from inside its service, where a
     * method of that name (rpc Foo(Foo)) is found before the message. */
    for (size_t i = 0; svc != NULL && !qualify && i < svc->svc->n_method; i++) {
        const char *m = svc->svc->method[i]->name;
        qualify = m != NULL && strlen(m) == first && strncmp(m, name, first) == 0;
    }
    for (size_t n = strlen(scope); n > stop && !qualify;) {
        char cand[600];
        snprintf(cand, sizeof cand, "%.*s.%.*s", (int)n, scope, (int)first, name);
        qualify = symbol_exists(s, cand);
        while (n > 0 && scope[n - 1] != '.')
            n--;
        n = n > 0 ? n - 1 : 0;
    }
    if (qualify)
        snprintf(buf, len, ".%s", t->full);
    else
        snprintf(buf, len, "%s", name);
}

const char *proto_ferry_name(const pb_schema *s, const char *scope)
{
    /* Every enclosing scope, innermost first: "a.b.M", "a.b", "a". */
    for (size_t n = strlen(scope); n > 0;) {
        char cand[600];
        snprintf(cand, sizeof cand, "%.*s.ferry", (int)n, scope);
        if (symbol_exists(s, cand))
            return ".ferry";
        while (n > 0 && scope[n - 1] != '.')
            n--;
        n = n > 0 ? n - 1 : 0;
    }
    return "ferry";
}

void proto_put_string(FILE *out, const char *s)
{
    if (s == NULL)
        s = "";
    json_t *j = json_string(s); /* NULL when s is not valid UTF-8 */
    int utf8 = j != NULL;
    json_decref(j);
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f || (*c >= 0x80 && !utf8))
            fprintf(out, "\\%03o", *c);
        else
            fputc(*c, out);
    }
    fputc('"', out);
}
