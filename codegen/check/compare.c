/* compare.c - one comparison of two schemas: which way each type travels,
 * packages and how old names map to new ones, services and methods. The
 * messages and enums are compared in compare_types.c. */
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* ---- sides ------------------------------------------------------------------ */

/* Marks the message or enum `name` of `s`, and every type it reaches,
 * with `bit`. `stack` has room for every message of `s`. */
static void mark(const fck_schema *s, unsigned char *msg_side, unsigned char *enum_side,
                 const char *name, unsigned bit, size_t *stack)
{
    const fck_enum *e = fck_find_enum(s, name);
    if (e != NULL) {
        enum_side[e - s->enums] |= (unsigned char)bit;
        return;
    }
    const fck_message *m = fck_find_message(s, name);
    if (m == NULL || (msg_side[m - s->messages] & bit))
        return;
    size_t top = 0;
    msg_side[m - s->messages] |= (unsigned char)bit;
    stack[top++] = (size_t)(m - s->messages);
    while (top > 0) {
        m = &s->messages[stack[--top]];
        for (size_t i = 0; i < m->n_fields; i++) {
            const char *t = m->fields[i].type_name;
            if (t == NULL)
                continue;
            if (m->fields[i].type == FCK_TYPE_ENUM) {
                e = fck_find_enum(s, t);
                if (e != NULL)
                    enum_side[e - s->enums] |= (unsigned char)bit;
                continue;
            }
            const fck_message *sub = fck_find_message(s, t);
            if (sub != NULL && !(msg_side[sub - s->messages] & bit)) {
                msg_side[sub - s->messages] |= (unsigned char)bit;
                stack[top++] = (size_t)(sub - s->messages);
            }
        }
    }
}

static int compute_sides(fck_cmp *c, const fck_schema *s, unsigned char **msg_side,
                         unsigned char **enum_side)
{
    *msg_side = fcg_arena_alloc(c->a, s->n_messages + 1);
    *enum_side = fcg_arena_alloc(c->a, s->n_enums + 1);
    size_t *stack = malloc((s->n_messages + 1) * sizeof *stack);
    if (*msg_side == NULL || *enum_side == NULL || stack == NULL) {
        free(stack);
        return -1;
    }
    for (size_t i = 0; i < s->n_services; i++) {
        const fck_service *svc = &s->services[i];
        for (size_t k = 0; k < svc->n_methods; k++) {
            mark(s, *msg_side, *enum_side, svc->methods[k].input, FCK_SIDE_REQUEST, stack);
            mark(s, *msg_side, *enum_side, svc->methods[k].output, FCK_SIDE_RESPONSE, stack);
        }
    }
    free(stack);
    return 0;
}

/* ---- packages ---------------------------------------------------------------- */

static const fck_file *find_file(const fck_schema *s, const char *name)
{
    size_t lo = 0, hi = s->n_files;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(s->files[mid].name, name);
        if (d == 0)
            return &s->files[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void package_changed(fck_cmp *c, const char *from, const fck_file *to)
{
    int known = 0;
    for (size_t i = 0; i < c->n_maps; i++)
        known |= strcmp(c->maps[i].from, from) == 0;
    if (!known)
        c->maps[c->n_maps++] = (fck_pkg_map){from, to->package};
    fck_add(c, FERRY_CHECK_BREAKING, "PACKAGE_CHANGED", to, to->package_line,
            fck_fmt(c, "package %s", to->package[0] ? to->package : "(none)"),
            "was %s: the full name of every type and method changes, so old clients call "
            "methods that new servers do not have; this starts a new major version, which "
            "servers host next to the old one",
            from[0] ? from : "(none)");
}

/* The package every file of `s` shares, or NULL when they have several. */
static const char *only_package(const fck_schema *s)
{
    if (s->n_files == 0)
        return NULL;
    for (size_t i = 1; i < s->n_files; i++)
        if (strcmp(s->files[i].package, s->files[0].package) != 0)
            return NULL;
    return s->files[0].package;
}

/* Files of one name in both schemas whose package differs map the old
 * package to the new one; failing that, two schemas of one package each
 * map that package. Elements are then matched under the new names, so that
 * the report of a new major version says what else changed in it. */
static int packages(fck_cmp *c)
{
    c->maps = fcg_arena_alloc(c->a, (c->o->n_files + 1) * sizeof *c->maps);
    if (c->maps == NULL)
        return -1;
    for (size_t i = 0; i < c->o->n_files; i++) {
        const fck_file *fo = &c->o->files[i];
        const fck_file *fn = find_file(c->n, fo->name);
        if (fn != NULL && strcmp(fo->package, fn->package) != 0)
            package_changed(c, fo->package, fn);
    }
    if (c->n_maps > 0)
        return 0;
    const char *po = only_package(c->o), *pn = only_package(c->n);
    if (po != NULL && pn != NULL && strcmp(po, pn) != 0)
        package_changed(c, po, &c->n->files[0]);
    return 0;
}

/* ---- services and methods ------------------------------------------------------ */

static const char *fallback_name(int f)
{
    switch (f) {
    case 0:
        return "FALLBACK_NONE";
    case 1:
        return "FALLBACK_EMPTY";
    case 2:
        return "FALLBACK_DEFAULT";
    case 3:
        return "FALLBACK_CALLBACK";
    default:
        return "an unknown fallback";
    }
}

/* "role \"a\"" or "roles \"a\", \"b\"" for the roles of `m` that `other`
 * lacks (the first few of them); NULL when there is none. */
static const char *roles_missing(fck_cmp *c, const fck_method *m, const fck_method *other)
{
    enum { SHOWN = 4 };
    const char *list = NULL;
    size_t count = 0;
    for (size_t i = 0; i < m->n_roles; i++) {
        if (fck_has_role(other, m->roles[i]))
            continue;
        if (count < SHOWN)
            list = list == NULL ? fck_fmt(c, "\"%s\"", m->roles[i])
                                : fck_fmt(c, "%s, \"%s\"", list, m->roles[i]);
        else if (count == SHOWN)
            list = fck_fmt(c, "%s and more", list);
        count++;
    }
    return count == 0 ? NULL : fck_fmt(c, "%s %s", count == 1 ? "role" : "roles", list);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void method_options(fck_cmp *c, const fck_file *f, const fck_method *om,
                           const fck_method *nm, const char *elem)
{
    const char *what = NULL;
    if (om->deadline_ms != nm->deadline_ms)
        what = fck_fmt(c, "deadline_ms %u -> %u", om->deadline_ms, nm->deadline_ms);
    if (om->fallback != nm->fallback) {
        const char *s = fck_fmt(c, "fallback %s -> %s", fallback_name(om->fallback),
                                fallback_name(nm->fallback));
        what = what != NULL ? fck_fmt(c, "%s, %s", what, s) : s;
    }
    if (!same_str(om->fallback_default, nm->fallback_default))
        what = what != NULL ? fck_fmt(c, "%s, fallback_default", what) : "fallback_default";
    if (what != NULL)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_OPTIONS_CHANGED", f, nm->line, elem,
                "%s: client-side options, which each client applies on its own; any order", what);

    const char *added = roles_missing(c, nm, om), *removed = roles_missing(c, om, nm);
    if (added != NULL)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_ROLES_CHANGED", f, nm->line, elem,
                "now requires %s: servers refuse callers without it; give every caller's key the "
                "role in the servers' keyrings before deploying servers",
                added);
    else if (removed != NULL)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_ROLES_CHANGED", f, nm->line, elem,
                "no longer requires %s: any order", removed);

    if (om->id != nm->id && om->id == 0)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_ID_CHANGED", f, nm->line, elem,
                "stable id %u assigned: any order", nm->id);
    else if (om->id != nm->id && nm->id != 0)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_ID_CHANGED", f, nm->line, elem,
                "stable id %u is now %u: peers that call it by its id reach another method or "
                "none",
                om->id, nm->id);
    else if (om->id != nm->id)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_ID_CHANGED", f, nm->line, elem,
                "stable id %u removed: peers that call it by its id reach no method", om->id);
}

static void compare_method(fck_cmp *c, const fck_service *ns, const fck_method *om,
                           const fck_method *nm)
{
    const fck_file *f = ns->file;
    const char *elem = fck_fmt(c, "method %s/%s", ns->full_name, nm->name);
    const char *in = fck_tr(c, om->input), *out = fck_tr(c, om->output);
    if (strcmp(in, nm->input) != 0)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_REQUEST_TYPE_CHANGED", f, nm->line, elem,
                "request type %s is now %s: new servers read what old clients send as the other "
                "type",
                om->input, nm->input);
    if (strcmp(out, nm->output) != 0)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_RESPONSE_TYPE_CHANGED", f, nm->line, elem,
                "response type %s is now %s: old clients read what new servers send as the "
                "other type",
                om->output, nm->output);

    if (om->idempotent && !nm->idempotent)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_IDEMPOTENCY_CHANGED", f, nm->line, elem,
                "no longer idempotent: old clients still retry it after failures and may run it "
                "twice");
    else if (!om->idempotent && nm->idempotent)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_IDEMPOTENCY_CHANGED", f, nm->line, elem,
                "now idempotent, so new clients retry it: deploy servers (whose handler must be "
                "safe to repeat) before clients");
    if (om->read_only && !nm->read_only)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_IDEMPOTENCY_CHANGED", f, nm->line, elem,
                "no longer read-only: old clients may still shadow or retry it as a call without "
                "side effects");
    else if (!om->read_only && nm->read_only)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_IDEMPOTENCY_CHANGED", f, nm->line, elem,
                "now read-only: deploy servers (whose handler must have no side effects) before "
                "clients");

    if (om->since != nm->since)
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_SINCE_CHANGED", f, nm->line, elem,
                "since %u is now %u: peers disagree about which API versions have the method; "
                "since records when it appeared and never changes",
                om->since, nm->since);
    if (!om->deprecated && nm->deprecated)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_DEPRECATED", f, nm->line, elem,
                "deprecated: any order; it keeps working for old clients, so remove it only in a "
                "new major version, once ferry stats shows no caller");
    else if (om->deprecated && !nm->deprecated)
        fck_add(c, FERRY_CHECK_SAFE, "METHOD_DEPRECATED", f, nm->line, elem,
                "no longer deprecated: any order");
    method_options(c, f, om, nm, elem);
}

static void compare_service(fck_cmp *c, const fck_service *os, const fck_service *ns)
{
    const char *elem = fck_fmt(c, "service %s", ns->full_name);
    if (ns->api_version < os->api_version)
        fck_add(c, FERRY_CHECK_BREAKING, "API_VERSION_DECREASED", ns->file, ns->api_line, elem,
                "API version %u is now %u: clients of version %u are refused by servers that "
                "serve only up to %u",
                os->api_version, ns->api_version, os->api_version, ns->api_version);
    else if (ns->api_version > os->api_version)
        fck_add(c, FERRY_CHECK_SAFE, "API_VERSION_RAISED", ns->file, ns->api_line, elem,
                "API version %u is now %u: deploy servers before clients that announce version "
                "%u (older servers refuse them as an unsupported version)",
                os->api_version, ns->api_version, ns->api_version);

    for (size_t i = 0; i < os->n_methods; i++) {
        const fck_method *om = &os->methods[i];
        const fck_method *nm = fck_method_by_name(ns, om->name);
        if (nm != NULL) {
            compare_method(c, ns, om, nm);
            continue;
        }
        fck_add(c, FERRY_CHECK_BREAKING, "METHOD_DELETED", os->file, om->line,
                fck_fmt(c, "method %s/%s", os->full_name, om->name),
                "old clients calling it get unimplemented; deprecate it instead and remove it in "
                "a new major version");
    }
    for (size_t i = 0; i < ns->n_methods; i++) {
        const fck_method *nm = &ns->methods[i];
        if (fck_method_by_name(os, nm->name) != NULL)
            continue;
        const char *melem = fck_fmt(c, "method %s/%s", ns->full_name, nm->name);
        if (nm->since > os->api_version)
            fck_add(c, FERRY_CHECK_SAFE, "METHOD_ADDED", ns->file, nm->line, melem,
                    "new method (since %u): deploy servers before clients call it; older servers "
                    "answer unimplemented",
                    nm->since);
        else /* old peers keep working: versioning advice, not a break */
            fck_add(c, FERRY_CHECK_WARNING, "METHOD_ADDED", ns->file, nm->line, melem,
                    "new method: deploy servers before clients call it (older servers answer "
                    "unimplemented); with since %u, while servers of API version %u exist "
                    "without it, clients cannot tell old servers from new ones: raise the API "
                    "version and set since to it to let them",
                    nm->since, os->api_version);
    }
}

/* A method's versions must lie within its service's API version. */
static void check_since(fck_cmp *c, const fck_service *ns)
{
    for (size_t i = 0; i < ns->n_methods; i++) {
        const fck_method *m = &ns->methods[i];
        const char *elem = fck_fmt(c, "method %s/%s", ns->full_name, m->name);
        if (m->since > ns->api_version)
            fck_add(c, FERRY_CHECK_BREAKING, "METHOD_SINCE_TOO_NEW", ns->file, m->line, elem,
                    "since %u is newer than the service's API version %u: servers of version %u "
                    "would announce a method of a version they do not serve; raise the API "
                    "version",
                    m->since, ns->api_version, ns->api_version);
        if (m->deprecated_since > ns->api_version)
            fck_add(c, FERRY_CHECK_BREAKING, "METHOD_SINCE_TOO_NEW", ns->file, m->line, elem,
                    "deprecated_since %u is newer than the service's API version %u; raise the "
                    "API version",
                    m->deprecated_since, ns->api_version);
    }
}

static int compare_services(fck_cmp *c)
{
    unsigned char *matched = fcg_arena_alloc(c->a, c->n->n_services + 1);
    if (matched == NULL)
        return -1;
    for (size_t i = 0; i < c->o->n_services; i++) {
        const fck_service *os = &c->o->services[i];
        const fck_service *ns = fck_find_service(c->n, fck_tr(c, os->full_name));
        if (ns == NULL) {
            fck_add(c, FERRY_CHECK_BREAKING, "SERVICE_DELETED", os->file, os->line,
                    fck_fmt(c, "service %s", os->full_name),
                    "old clients calling it get unimplemented; keep serving it until ferry stats "
                    "shows no caller, and drop it only in a new major version");
            continue;
        }
        matched[ns - c->n->services] = 1;
        compare_service(c, os, ns);
    }
    for (size_t i = 0; i < c->n->n_services; i++) {
        const fck_service *ns = &c->n->services[i];
        if (!matched[i])
            fck_add(c, FERRY_CHECK_SAFE, "SERVICE_ADDED", ns->file, ns->line,
                    fck_fmt(c, "service %s", ns->full_name),
                    "new service: deploy servers before clients call it");
        check_since(c, ns);
    }
    return 0;
}

/* ---- the run ------------------------------------------------------------------ */

ferry_check_status ferry_check_compare(const ferry_schema *old_schema,
                                       const ferry_schema *new_schema, ferry_check_report **out)
{
    fck_error_clear();
    *out = NULL;
    ferry_check_report *r = fck_report_new();
    if (r == NULL)
        return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
    fck_cmp c = {.o = old_schema, .n = new_schema, .r = r};
    c.a = fck_report_arena(r);
    if (compute_sides(&c, c.o, &c.o_msg_side, &c.o_enum_side) != 0 ||
        compute_sides(&c, c.n, &c.n_msg_side, &c.n_enum_side) != 0 || packages(&c) != 0)
        goto oom;
    fck_compare_messages(&c);
    fck_compare_enums(&c);
    fck_compare_extensions(&c);
    if (compare_services(&c) != 0 || fck_report_finish(r) != 0)
        goto oom;
    *out = r;
    return FERRY_CHECK_OK;
oom:
    ferry_check_report_free(r);
    return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
}
