/* cmd_new.c - `ferry new`: writes a new project that uses ferry, from the
 * templates in clients/ferry/templates/ (compiled in: new_templates.h).
 *
 *   ferry new service NAME [--package PKG] [--dir DIR]
 *   ferry new client NAME --proto FILE [-I DIR]... [--service SVC] [--dir DIR]
 *
 * Every name is checked before anything is written, the project is written
 * into a hidden directory next to DIR and renamed to DIR only when it is
 * whole, so a failure leaves nothing behind. The C names in the templates
 * (@prefix@, @C@, ...) come from the generator's own naming functions, so
 * they are the names protoc-gen-ferry and protoc-c will give. */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/version.h"
#include "cli.h"
#include "names.h"
#include "new_templates.h"
#include "schema.h"

enum { MAX_NAME = 40, MAX_VARS = 32 };

/* A template variable: @key@ becomes value. */
typedef struct var {
    const char *key;
    const char *value;
} var;

typedef struct vars {
    var v[MAX_VARS];
    size_t n;
} vars;

static void set_var(vars *vs, const char *key, const char *value)
{
    if (vs->n < MAX_VARS)
        vs->v[vs->n++] = (var){key, value};
}

static const char *find_var(const vars *vs, const char *key, size_t len)
{
    for (size_t i = 0; i < vs->n; i++)
        if (strlen(vs->v[i].key) == len && strncmp(vs->v[i].key, key, len) == 0)
            return vs->v[i].value;
    return NULL;
}

/* `text` with every @key@ replaced, malloc'd; NULL when a placeholder has
 * no value (`*bad` points at it) or memory runs out. */
static char *expand(const char *text, const vars *vs, const char **bad)
{
    size_t cap = strlen(text) * 2 + 256, n = 0;
    char *out = malloc(cap);
    *bad = NULL;
    for (const char *p = text; out != NULL && *p != '\0';) {
        const char *val = NULL;
        size_t skip = 1;
        if (*p == '@') {
            const char *end = p + 1;
            while ((*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') || *end == '_')
                end++;
            if (*end == '@' && end > p + 1) {
                if ((val = find_var(vs, p + 1, (size_t)(end - p - 1))) == NULL) {
                    *bad = p;
                    free(out);
                    return NULL;
                }
                skip = (size_t)(end - p) + 1;
            }
        }
        size_t add = val != NULL ? strlen(val) : 1;
        if (n + add + 1 > cap) {
            cap = (n + add + 1) * 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + n, val != NULL ? val : p, add);
        n += add;
        p += skip;
    }
    if (out != NULL)
        out[n] = '\0';
    return out;
}

/* ---- names -------------------------------------------------------------- */

/* Why `s` cannot be a lower_snake_case C identifier that is no keyword (a
 * project name, a part of a package), or NULL when it can. */
static const char *bad_ident(const char *s)
{
    size_t len = strlen(s);
    if (len == 0)
        return "it is empty";
    if (len > MAX_NAME)
        return "it is longer than 40 characters";
    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return "it must start with a lower-case letter (a-z)";
    for (const char *p = s; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return "it may hold only a-z, 0-9 and '_' (it names C functions and files)";
        if (*p == '_' && (p[1] == '_' || p[1] == '\0'))
            return "'_' may not be doubled or come last (protoc-c's names would collide)";
    }
    if (fcg_is_reserved(s))
        return "it is a keyword or macro of C or C++";
    return NULL;
}

/* Why `s` cannot name a project (bad_ident(), and not a package every
 * project imports), or NULL when it can. */
static const char *bad_name(const char *s)
{
    const char *why = bad_ident(s);
    if (why != NULL)
        return why;
    if (strcmp(s, "ferry") == 0 || strcmp(s, "google") == 0 || strcmp(s, "protobuf") == 0)
        return "ferry, google and protobuf name packages that every project imports";
    return NULL;
}

/* Why `pkg` cannot be the new service's package, or NULL: lower-case parts
 * joined by dots, the last one its major version (v1, v2, ...). */
static const char *bad_package(const char *pkg, char *why, size_t why_len)
{
    if (strlen(pkg) > 100)
        return "it is longer than 100 characters";
    const char *part = pkg;
    for (;;) {
        const char *dot = strchr(part, '.');
        size_t len = dot != NULL ? (size_t)(dot - part) : strlen(part);
        char buf[128];
        if (len == 0 || len >= sizeof buf)
            return "it must be parts joined by single dots, e.g. notes.v1";
        memcpy(buf, part, len);
        buf[len] = '\0';
        const char *b = bad_ident(buf);
        if (b != NULL) {
            snprintf(why, why_len, "its part '%s': %s", buf, b);
            return why;
        }
        if (part == pkg && (strcmp(buf, "ferry") == 0 || strcmp(buf, "google") == 0))
            return "ferry.* and google.* are taken";
        if (dot == NULL) {
            const char *v = buf;
            int version = v[0] == 'v' && v[1] >= '1' && v[1] <= '9';
            for (const char *q = v + 1; version && *q != '\0'; q++)
                version = *q >= '0' && *q <= '9';
            if (!version || part == pkg)
                return "its last part must be the API's major version, as in notes.v1";
            return NULL;
        }
        part = dot + 1;
    }
}

/* "order_book" -> "OrderBook" (the service's proto name). */
static char *camel(fcg_arena *a, const char *s)
{
    char *out = fcg_arena_strdup(a, s);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    int up = 1;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        out[n++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        up = 0;
    }
    out[n] = '\0';
    return out;
}

/* The messages the service template's schema declares, joined by ", ", and
 * whether `svc` is one of them: a service cannot share a name with a message
 * of its package (protoc refuses the schema), so `ferry new service note`
 * would write a project that does not build. NULL when out of memory. */
static const char *template_messages(fcg_arena *a, const char *svc, int *taken)
{
    const char *list = "";
    *taken = 0;
    for (size_t i = 0; i < ferry_new_service_n; i++) {
        if (strcmp(ferry_new_service_files[i].path, "proto/@proto@") != 0)
            continue;
        for (const char *p = ferry_new_service_files[i].text; p != NULL && *p != '\0';) {
            if (strncmp(p, "message ", 8) == 0) {
                size_t n = strcspn(p + 8, " {\n");
                *taken |= strlen(svc) == n && strncmp(p + 8, svc, n) == 0;
                list = fcg_arena_printf(a, "%s%s%.*s", list, list[0] != '\0' ? ", " : "", (int)n,
                                        p + 8);
                if (list == NULL)
                    return NULL;
            }
            p = strchr(p, '\n');
            p = p != NULL ? p + 1 : NULL;
        }
    }
    return list;
}

/* The prefixes protoc-c gives the types of package `pkg`: "Notes__V1__" for
 * their C names and "NOTES__V1__" for their INIT macros (also right for an
 * empty package: ""). */
static int c_type_prefixes(fcg_arena *a, const char *pkg, char **c, char **cu)
{
    char *full = fcg_arena_printf(a, "%s%sX", pkg, pkg[0] != '\0' ? "." : "");
    char *c_name = NULL, *c_lower = NULL;
    if (full == NULL || !fcg_protoc_c_names(a, pkg, NULL, full, &c_name, &c_lower))
        return -1;
    c_name[strlen(c_name) - 1] = '\0'; /* drop the "X" */
    c_lower[strlen(c_lower) - 1] = '\0';
    *c = c_name;
    *cu = fcg_to_upper(a, c_lower);
    return *cu != NULL ? 0 : -1;
}

/* ---- writing the project ------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Makes every directory of `path` up to its last '/'. */
static int make_parents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
        *p = '\0';
        int r = mkdir(path, 0777);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* Writes `text` to the file `path`, making its directories; 0, or -1 after
 * saying why on stderr. */
static int write_file(char *path, const char *text)
{
    FILE *f = NULL;
    if (make_parents(path) != 0 || (f = fopen(path, "w")) == NULL) {
        fprintf(stderr, "ferry new: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    int bad = fputs(text, f) == EOF;
    bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "ferry new: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes every file of `files` (paths and texts expanded with `vs`), and
 * `verbatim` (when not NULL) as the file `verbatim_path`, under the new
 * directory `dir`: all of them, or none and an error on stderr. */
static int write_project(const char *dir, const ferry_new_file *files, size_t n, const vars *vs,
                         const char *verbatim_path, const char *verbatim)
{
    char tmp[PATH_MAX];
    const char *slash = strrchr(dir, '/');
    int plen = slash != NULL ? (int)(slash - dir) + 1 : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.ferry-new-XXXXXX", plen, dir,
                 slash != NULL ? slash + 1 : dir) >= (int)sizeof tmp) {
        fprintf(stderr, "ferry new: %s: the path is too long\n", dir);
        return -1;
    }
    if (mkdtemp(tmp) == NULL) {
        fprintf(stderr, "ferry new: cannot create a directory next to %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    /* mkdtemp makes it 0700: give it the mode mkdir would. */
    mode_t mask = umask(0);
    umask(mask);
    chmod(tmp, 0777 & ~mask);
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        const char *bad = NULL;
        char *rel = expand(files[i].path, vs, &bad);
        char *text = rel != NULL ? expand(files[i].text, vs, &bad) : NULL;
        char path[PATH_MAX];
        if (text == NULL) {
            if (bad != NULL)
                fprintf(stderr, "ferry new: template %s: no value for %.20s\n", files[i].path, bad);
            else
                fprintf(stderr, "ferry new: out of memory\n");
            free(rel);
            goto out;
        }
        int too_long = snprintf(path, sizeof path, "%s/%s", tmp, rel) >= (int)sizeof path;
        free(rel);
        int bad_write = too_long ? -1 : write_file(path, text);
        free(text);
        if (too_long)
            fprintf(stderr, "ferry new: %s/...: the path is too long\n", tmp);
        if (bad_write != 0)
            goto out;
    }
    if (verbatim != NULL) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", tmp, verbatim_path) >= (int)sizeof path) {
            fprintf(stderr, "ferry new: %s/%s: the path is too long\n", tmp, verbatim_path);
            goto out;
        }
        if (write_file(path, verbatim) != 0)
            goto out;
    }
    if (rename(tmp, dir) != 0) {
        fprintf(stderr, "ferry new: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* The prefix ferry is installed in when this program runs from one
 * (PREFIX/bin/ferry next to PREFIX/share/ferry/idl), else "". */
static const char *install_prefix(fcg_arena *a)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return "";
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return "";
    *slash = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL || strcmp(slash, "/bin") != 0)
        return "";
    *slash = '\0';
    char idl[PATH_MAX + 64];
    snprintf(idl, sizeof idl, "%s/share/ferry/idl/ferry/options.proto", exe);
    if (access(idl, R_OK) != 0)
        return "";
    return fcg_arena_strdup(a, exe[0] != '\0' ? exe : "/");
}

/* The variables every template uses. */
static int common_vars(fcg_arena *a, vars *vs, const char *name, const char *pkg, const char *svc)
{
    char *NAME = fcg_to_upper(a, name);
    char *prefix = fcg_service_prefix(a, pkg, svc);
    char *c = NULL, *cu = NULL;
    const char *inst = install_prefix(a);
    char *prefix_arg = inst[0] != '\0' && strcmp(inst, "/usr") != 0
                           ? fcg_arena_printf(a, " -DCMAKE_PREFIX_PATH=%s", inst)
                           : fcg_arena_strdup(a, "");
    char *version_mm = fcg_arena_strdup(a, FERRY_VERSION_STRING);
    if (NAME == NULL || prefix == NULL || prefix_arg == NULL || version_mm == NULL ||
        c_type_prefixes(a, pkg, &c, &cu) != 0)
        return -1;
    char *dot = strchr(version_mm, '.');
    if (dot != NULL && (dot = strchr(dot + 1, '.')) != NULL)
        *dot = '\0';
    set_var(vs, "name", name);
    set_var(vs, "NAME", NAME);
    set_var(vs, "pkg", pkg);
    set_var(vs, "Svc", svc);
    set_var(vs, "prefix", prefix);
    set_var(vs, "C", c);
    set_var(vs, "CU", cu);
    set_var(vs, "version", FERRY_VERSION_STRING);
    set_var(vs, "version_mm", version_mm);
    set_var(vs, "prefix_path_arg", prefix_arg);
    return 0;
}

/* Refuses a DIR that exists (of any kind) or whose parent does not. */
static int check_dir(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) == 0) {
        fprintf(stderr, "ferry new: %s already exists; not writing into it\n", dir);
        return -1;
    }
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, ".");
    if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "ferry new: %s: no such directory to create %s in\n", parent, dir);
        return -1;
    }
    return 0;
}

/* ---- ferry new service -------------------------------------------------- */

static int new_service(const char *name, const char *pkg_opt, const char *dir_opt)
{
    fcg_arena a;
    fcg_arena_init(&a);
    int rc = CLI_EXIT_ERROR;
    const char *why = bad_name(name);
    char pkg_why[256];
    if (why != NULL) {
        fprintf(stderr, "ferry new: '%s' cannot name a service: %s\n", name, why);
        goto out;
    }
    const char *pkg = pkg_opt != NULL ? pkg_opt : fcg_arena_printf(&a, "%s.v1", name);
    const char *dir = dir_opt != NULL ? dir_opt : name;
    if (pkg == NULL)
        goto oom;
    if ((why = bad_package(pkg, pkg_why, sizeof pkg_why)) != NULL) {
        fprintf(stderr, "ferry new: --package '%s': %s\n", pkg, why);
        goto out;
    }
    if (check_dir(dir) != 0)
        goto out;
    char *svc = camel(&a, name);
    char *pkgdir = fcg_arena_strdup(&a, pkg);
    int taken;
    const char *messages = svc != NULL ? template_messages(&a, svc, &taken) : NULL;
    if (svc == NULL || pkgdir == NULL || messages == NULL)
        goto oom;
    if (taken) {
        fprintf(stderr,
                "ferry new: '%s' cannot name a service: the schema it writes declares a message "
                "%s, and a service cannot have the name of a message of its package (the "
                "messages are %s); pick another name\n",
                name, svc, messages);
        goto out;
    }
    for (char *p = pkgdir; *p != '\0'; p++)
        if (*p == '.')
            *p = '/';
    vars vs = {.n = 0};
    char *proto = fcg_arena_printf(&a, "%s/%s.proto", pkgdir, name);
    char *stem = fcg_arena_printf(&a, "%s/%s", pkgdir, name);
    if (proto == NULL || stem == NULL || common_vars(&a, &vs, name, pkg, svc) != 0)
        goto oom;
    set_var(&vs, "proto", proto);
    set_var(&vs, "stem", stem);
    if (write_project(dir, ferry_new_service_files, ferry_new_service_n, &vs, NULL, NULL) != 0)
        goto out;
    printf("ferry new: wrote the %s service (package %s) in %s\n", svc, pkg, dir);
    printf("Build and test it: cd %s && cmake -S . -B build%s && cmake --build build && "
           "ctest --test-dir build\n",
           dir, find_var(&vs, "prefix_path_arg", strlen("prefix_path_arg")));
    rc = CLI_EXIT_OK;
    goto out;
oom:
    fprintf(stderr, "ferry new: out of memory\n");
out:
    fcg_arena_fini(&a);
    return rc;
}

/* ---- ferry new client --------------------------------------------------- */

/* The one file of protobuf's a client project can import: ferry::idl has
 * its C code (options.proto imports it). */
#define DESCRIPTOR_PROTO "google/protobuf/descriptor.proto"

/* The import lines of the .proto at `path` that name a file the client
 * project could not build with: the first is copied into `first`. The
 * project copies one file and generates its code alone, so it can import
 * ferry's own files (their code is in libferry) and
 * google/protobuf/descriptor.proto, but no
 * file of its own and none of protobuf's other files, whose C code no
 * package installs. Returns 1 when there is one, 0 when none, -1 when the
 * file cannot be read. */
static int other_import(const char *path, char *first, size_t len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        const char *p = line + strspn(line, " \t");
        if (strncmp(p, "import", 6) != 0 || (p[6] != ' ' && p[6] != '\t' && p[6] != '"'))
            continue;
        const char *q = strchr(p, '"');
        const char *end = q != NULL ? strchr(q + 1, '"') : NULL;
        if (end == NULL)
            continue;
        q++;
        if (strncmp(q, "ferry/", 6) == 0 ||
            ((size_t)(end - q) == strlen(DESCRIPTOR_PROTO) &&
             strncmp(q, DESCRIPTOR_PROTO, strlen(DESCRIPTOR_PROTO)) == 0))
            continue;
        snprintf(first, len, "%.*s", (int)(end - q), q);
        found = 1;
    }
    fclose(f);
    return found;
}

/* The whole file at `from`, malloc'd (at most 64 MiB); NULL on failure. */
static char *read_all(const char *from)
{
    FILE *f = fopen(from, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf != NULL && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *grown = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static int new_client(const char *name, const char *proto_path, const cli_imports *imp,
                      const char *svc_opt, const char *dir_opt)
{
    fcg_arena a;
    fcg_arena_init(&a);
    int rc = CLI_EXIT_ERROR;
    ferry_schema *s = NULL;
    char *schema_text = NULL;
    const char *why = bad_name(name);
    if (why != NULL) {
        fprintf(stderr, "ferry new: '%s' cannot name a client: %s\n", name, why);
        goto out;
    }
    const char *dir = dir_opt != NULL ? dir_opt : name;
    size_t plen = strlen(proto_path);
    if (plen < 7 || strcmp(proto_path + plen - 6, ".proto") != 0) {
        fprintf(stderr, "ferry new: --proto '%s' is not a .proto file\n", proto_path);
        goto out;
    }
    char other[512];
    int imports = other_import(proto_path, other, sizeof other);
    if (imports < 0) {
        fprintf(stderr, "ferry new: --proto %s: %s\n", proto_path, strerror(errno));
        goto out;
    }
    if (imports > 0 && strncmp(other, "google/protobuf/", 16) == 0) {
        fprintf(stderr,
                "ferry new: --proto %s imports \"%s\": the C code of protobuf's well-known "
                "types is installed by no package and a client project does not generate it "
                "(of protobuf's files only %s can be imported); declare the messages you need "
                "in the file instead\n",
                proto_path, other, DESCRIPTOR_PROTO);
        goto out;
    }
    if (imports > 0) {
        fprintf(stderr,
                "ferry new: --proto %s imports \"%s\": a client project holds one .proto "
                "(importing only ferry's files and %s); merge the file into it first\n",
                proto_path, other, DESCRIPTOR_PROTO);
        goto out;
    }
    if (check_dir(dir) != 0)
        goto out;
    if (cli_load_schema("new", proto_path, imp, &s) != 0)
        goto out;
    const fck_service *svc = NULL;
    for (size_t i = 0; i < s->n_services; i++) {
        const char *short_name = strrchr(s->services[i].full_name, '.');
        short_name = short_name != NULL ? short_name + 1 : s->services[i].full_name;
        if (svc_opt == NULL || strcmp(short_name, svc_opt) == 0 ||
            strcmp(s->services[i].full_name, svc_opt) == 0) {
            if (svc != NULL && svc_opt == NULL) {
                fprintf(stderr,
                        "ferry new: %s has more than one service; pick one with --service\n",
                        proto_path);
                goto out;
            }
            svc = &s->services[i];
        }
    }
    if (svc == NULL || svc->n_methods == 0) {
        fprintf(stderr, "ferry new: %s has %s\n", proto_path,
                svc_opt != NULL ? "no such service" : "no service with a method");
        goto out;
    }
    const char *pkg = svc->file->package;
    const char *svc_name = svc->full_name + (pkg[0] != '\0' ? strlen(pkg) + 1 : 0);
    /* The project keeps the file where protoc names it, so that its
     * generated headers have the include paths the service's have; a file
     * named without a directory goes where its package says (pkg/v1/). */
    const char *file = svc->file->name;
    if (strchr(file, '/') == NULL && pkg[0] != '\0') {
        char *dir_of_pkg = fcg_arena_strdup(&a, pkg);
        if (dir_of_pkg == NULL)
            goto oom;
        for (char *p = dir_of_pkg; *p != '\0'; p++)
            if (*p == '.')
                *p = '/';
        file = fcg_arena_printf(&a, "%s/%s", dir_of_pkg, file);
        if (file == NULL)
            goto oom;
    }
    size_t flen = strlen(file);
    char *stem = fcg_arena_strndup(&a, file, flen - strlen(".proto"));
    /* The example call: the first read-only method, else the first one. */
    const fck_method *m = &svc->methods[0];
    for (size_t i = 0; i < svc->n_methods; i++)
        if (svc->methods[i].read_only) {
            m = &svc->methods[i];
            break;
        }
    char *in_c = NULL, *in_lower = NULL, *out_c = NULL, *out_lower = NULL;
    vars vs = {.n = 0};
    if (stem == NULL || common_vars(&a, &vs, name, pkg, svc_name) != 0 ||
        !fcg_protoc_c_names(&a, pkg, NULL, m->input, &in_c, &in_lower) ||
        !fcg_protoc_c_names(&a, pkg, NULL, m->output, &out_c, &out_lower))
        goto oom;
    char *method = fcg_camel_to_lower(&a, m->name);
    char *in_init = fcg_to_upper(&a, in_lower);
    char *out_init = fcg_to_upper(&a, out_lower);
    schema_text = read_all(proto_path);
    if (method == NULL || in_init == NULL || out_init == NULL || schema_text == NULL)
        goto oom;
    set_var(&vs, "proto", file);
    set_var(&vs, "stem", stem);
    set_var(&vs, "method", method);
    set_var(&vs, "Method", m->name);
    set_var(&vs, "In", in_c);
    set_var(&vs, "IN_INIT", in_init);
    set_var(&vs, "Out", out_c);
    set_var(&vs, "OUT_INIT", out_init);
    /* The schema is copied as it is: no placeholders in it. */
    char *dest = fcg_arena_printf(&a, "proto/%s", file);
    if (dest == NULL)
        goto oom;
    if (write_project(dir, ferry_new_client_files, ferry_new_client_n, &vs, dest, schema_text) != 0)
        goto out;
    printf("ferry new: wrote a client of %s in %s (its example calls %s)\n", svc->full_name, dir,
           m->name);
    printf("Build and test it: cd %s && cmake -S . -B build%s && cmake --build build && "
           "ctest --test-dir build\n",
           dir, find_var(&vs, "prefix_path_arg", strlen("prefix_path_arg")));
    rc = CLI_EXIT_OK;
    goto out;
oom:
    fprintf(stderr, "ferry new: out of memory\n");
out:
    free(schema_text);
    ferry_schema_free(s);
    fcg_arena_fini(&a);
    return rc;
}

/* ---- the command -------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry new service NAME [--package PKG] [--dir DIR]\n"
            "       ferry new client NAME --proto FILE [-I DIR]... [--service SVC] [--dir DIR]\n"
            "\n"
            "Writes a new CMake project that builds against the installed ferry\n"
            "(find_package(ferry), ferry_generate()) and passes its tests as written.\n"
            "\n"
            "service: a schema (package PKG, default NAME.v1; service NAME in\n"
            "  CamelCase) with a read method that is safe to retry, with a deadline and\n"
            "  a fallback, and a write method that needs a role; the handlers in their\n"
            "  own file; a server configured from the environment that drains on\n"
            "  SIGTERM; a client library; tests of a caller with the generated mock, of\n"
            "  the handlers in process and of the real server over ipc://.\n"
            "client: a client library and an example program for a service of an\n"
            "  existing .proto (one file: it may import only ferry's files and\n"
            "  google/protobuf/descriptor.proto), with a test of its caller using the\n"
            "  generated mock.\n"
            "\n"
            "NAME names the project, its directory, targets and C functions: a-z, 0-9\n"
            "and '_', starting with a letter; for a service, not the name of one of the\n"
            "schema's messages (note, get_note_request, ...).\n"
            "  -p, --package PKG   the service's proto package; its last part is the\n"
            "                      API's major version (default NAME.v1)\n"
            "  -d, --dir DIR       where to write it (default ./NAME); must not exist\n"
            "  --proto FILE        (client) the service's schema\n"
            "  -I DIR              (client) where FILE's imports are found\n"
            "  -s, --service SVC   (client) the service, when FILE has several\n");
}

int cmd_new(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"package", required_argument, NULL, 'p'}, {"dir", required_argument, NULL, 'd'},
        {"proto", required_argument, NULL, 'P'},   {"service", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *pkg = NULL, *proto = NULL, *svc = NULL;
    char *dir = NULL;
    cli_imports imp = {0};
    int c, rc = CLI_EXIT_ERROR;
    while ((c = getopt_long(argc, argv, "p:d:s:I:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            pkg = optarg;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'P':
            proto = optarg;
            break;
        case 's':
            svc = optarg;
            break;
        case 'I':
            if (cli_imports_add(&imp, optarg) != 0) {
                fprintf(stderr, "ferry new: out of memory\n");
                goto out;
            }
            break;
        case 'h':
            usage(stdout);
            rc = CLI_EXIT_OK;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "ferry new: %s\n",
                argc - optind < 2 ? "needs what to make (service or client) and its NAME"
                                  : "too many arguments");
        usage(stderr);
        goto out;
    }
    const char *kind = argv[optind], *name = argv[optind + 1];
    if (dir != NULL && dir[0] == '\0') {
        fprintf(stderr, "ferry new: --dir is empty\n");
        goto out;
    }
    /* "out/" and "out" name one directory, which the project is written
     * next to and renamed to: the trailing slashes go ("/" stays, and is
     * refused as existing). */
    for (size_t n = dir != NULL ? strlen(dir) : 0; n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    if (strcmp(kind, "service") == 0) {
        if (proto != NULL || svc != NULL || imp.n > 0) {
            fprintf(stderr, "ferry new service: --proto, --service and -I are for clients\n");
            goto out;
        }
        rc = new_service(name, pkg, dir);
    } else if (strcmp(kind, "client") == 0) {
        if (pkg != NULL) {
            fprintf(stderr, "ferry new client: --package comes from the .proto file\n");
            goto out;
        }
        if (proto == NULL) {
            fprintf(stderr, "ferry new client: needs --proto FILE, the service's schema\n");
            goto out;
        }
        rc = new_client(name, proto, &imp, svc, dir);
    } else {
        fprintf(stderr, "ferry new: '%s' is not something it makes: service or client\n", kind);
    }
out:
    cli_imports_free(&imp);
    return rc;
}
