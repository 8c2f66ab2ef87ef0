/* compare_types.c - messages, their fields and reserved numbers, and enums
 * with their values, compared between the old and the new schema. Fields
 * match by number, values by number, types by full name (under the new
 * package of a new major version). */
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* ---- deploy orders ------------------------------------------------------------ */

static const char *field_deleted_order(unsigned side)
{
    switch (side) {
    case FCK_SIDE_REQUEST:
        return "deploy servers first (they must no longer need it), then clients";
    case FCK_SIDE_RESPONSE:
        return "deploy clients first (they must no longer need it), then servers";
    case FCK_SIDE_BOTH:
        return "upgrade every reader not to need it before any writer stops sending it";
    default:
        return "any order, once no reader needs it";
    }
}

/* A new enum value or oneof member: readers must know it before writers
 * send it. */
static const char *readers_first_order(unsigned side)
{
    switch (side) {
    case FCK_SIDE_REQUEST:
        return "deploy servers before clients send it";
    case FCK_SIDE_RESPONSE:
        return "deploy clients before servers send it";
    case FCK_SIDE_BOTH:
        return "upgrade servers and clients before either sends it";
    default:
        return "upgrade every reader before any writer sends it";
    }
}

/* A deleted enum value: writers must stop sending it before readers
 * forget it. */
static const char *writers_first_order(unsigned side)
{
    switch (side) {
    case FCK_SIDE_REQUEST:
        return "deploy clients first (they must stop sending it), then servers";
    case FCK_SIDE_RESPONSE:
        return "deploy servers first (they must stop sending it), then clients";
    default:
        return "stop every writer sending it before upgrading readers";
    }
}

/* ---- reserved numbers and names ------------------------------------------------------ */

/* How many distinct numbers of `numbers` (sorted, n of them) lie in
 * [lo, hi]. */
static int64_t count_in(const int32_t *numbers, size_t n, int64_t lo, int64_t hi)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (numbers[mid] < lo)
            a = mid + 1;
        else
            b = mid;
    }
    int64_t count = 0;
    for (size_t i = a; i < n && numbers[i] <= hi; i++)
        if (i == a || numbers[i] != numbers[i - 1])
            count++;
    return count;
}

/* Reports each reserved range of the old element (`old_r`, merged) that the
 * new one (`new_r`, merged) no longer reserves, unless the numbers freed
 * are all taken by the new element's fields or values (`used`, sorted;
 * those are reported where they are declared). Both lists are sorted and
 * disjoint, so one pass over them does. */
static void ranges_removed(fck_cmp *c, const fck_file *file, const char *kind, const char *owner,
                           const fck_range *old_r, size_t n_old, const fck_range *new_r,
                           size_t n_new, const int32_t *used, size_t n_used)
{
    size_t k = 0;
    for (size_t i = 0; i < n_old; i++) {
        const fck_range *r = &old_r[i];
        int64_t at = r->start;
        while (at <= r->end) {
            while (k < n_new && new_r[k].end < at)
                k++;
            if (k < n_new && new_r[k].start <= at) {
                at = (int64_t)new_r[k].end + 1;
                continue;
            }
            int64_t gap_end = k < n_new && (int64_t)new_r[k].start - 1 < r->end
                                  ? (int64_t)new_r[k].start - 1
                                  : r->end;
            if (count_in(used, n_used, at, gap_end) < gap_end - at + 1) {
                const char *nums = at == gap_end ? fck_fmt(c, "number %lld is", (long long)at)
                                                 : fck_fmt(c, "numbers %lld to %lld are",
                                                           (long long)at, (long long)gap_end);
                const char *elem =
                    r->start == r->end
                        ? fck_fmt(c, "reserved %d in %s %s", r->start, kind, owner)
                        : fck_fmt(c, "reserved %d to %d in %s %s", r->start, r->end, kind, owner);
                fck_add(c, FERRY_CHECK_BREAKING, "RESERVED_REMOVED", file, r->line, elem,
                        "%s no longer reserved: a new %s may take a number old peers still send",
                        nums, strcmp(kind, "enum") == 0 ? "value" : "field");
                break;
            }
            at = gap_end + 1;
        }
    }
}

/* `taken(owner, name)` says what in the new element now has the name, or
 * NULL. */
static void names_removed(fck_cmp *c, const fck_file *file, const char *kind, const char *owner,
                          const fck_name *old_n, size_t n_old, const fck_name *const *new_sorted,
                          size_t n_new, const char *(*taken)(fck_cmp *, const void *, const char *),
                          const void *new_owner)
{
    for (size_t i = 0; i < n_old; i++) {
        if (fck_name_reserved(new_sorted, n_new, old_n[i].name))
            continue;
        const char *user = taken(c, new_owner, old_n[i].name);
        const char *elem = fck_fmt(c, "reserved \"%s\" in %s %s", old_n[i].name, kind, owner);
        if (user != NULL)
            fck_add(c, FERRY_CHECK_BREAKING, "RESERVED_REMOVED", file, old_n[i].line, elem,
                    "the name is no longer reserved and now names %s: JSON and text from old "
                    "peers fill it with what the retired element meant",
                    user);
        else
            fck_add(c, FERRY_CHECK_BREAKING, "RESERVED_REMOVED", file, old_n[i].line, elem,
                    "the name is no longer reserved: a new element may take it, and JSON and text "
                    "from old peers would fill it");
    }
}

static const char *field_taking(fck_cmp *c, const void *owner, const char *name)
{
    const fck_field *f = fck_field_by_name(owner, name);
    return f != NULL ? fck_fmt(c, "field %s = %d", f->name, f->number) : NULL;
}

static const char *value_taking(fck_cmp *c, const void *owner, const char *name)
{
    const fck_value *v = fck_value_by_name(owner, name);
    return v != NULL ? fck_fmt(c, "value %s = %d", v->name, v->number) : NULL;
}

/* ---- fields -------------------------------------------------------------------- */

/* "repeated string", "inventory.v1.Money": a field's declaration. */
static const char *decl_text(fck_cmp *c, const fck_schema *s, const fck_field *f)
{
    const char *t = fck_type_text(c, s, f);
    if (f->label == FCK_LABEL_OPTIONAL)
        return t;
    return fck_fmt(c, "%s %s", fck_label_name(f), t);
}

/* What the other version of a message knows of the members of one oneof:
 * `a` and `a2`, its first two members that also exist there, and `b`, the
 * first whose oneof there differs from a's (a field in no oneof differs
 * from every field). One view per oneof, made once per message. */
typedef struct oneof_view {
    const char *oneof;
    const fck_field *a, *a2, *b;
} oneof_view;

/* The oneof of the field numbered like `x` in `other` (which has one). */
static const char *key_of(const fck_message *other, const fck_field *x)
{
    const fck_field *y = fck_field_by_number(other, x->number);
    return y != NULL ? y->oneof : NULL;
}

static int same_key(const char *x, const char *y)
{
    return x != NULL && y != NULL && strcmp(x, y) == 0;
}

/* The views of every oneof of `m`, sorted by oneof name; *n of them. */
static oneof_view *views(fck_cmp *c, const fck_message *m, const fck_message *other, size_t *n)
{
    oneof_view *v = fcg_arena_alloc(c->a, (m->n_by_oneof + 1) * sizeof *v);
    *n = 0;
    if (v == NULL) {
        fck_oom(c);
        return NULL;
    }
    for (size_t i = 0; i < m->n_by_oneof;) {
        size_t count;
        const fck_field *const *mem = fck_oneof_members(m, m->by_oneof[i]->oneof, &count);
        oneof_view *w = &v[(*n)++];
        w->oneof = mem[0]->oneof;
        const char *ka = NULL;
        for (size_t k = 0; k < count && w->b == NULL; k++) {
            const fck_field *x = fck_field_by_number(other, mem[k]->number);
            if (x == NULL)
                continue;
            if (w->a == NULL) {
                w->a = mem[k];
                ka = x->oneof;
                continue;
            }
            if (w->a2 == NULL)
                w->a2 = mem[k];
            if (!same_key(ka, x->oneof))
                w->b = mem[k];
        }
        i += count;
    }
    return v;
}

static const oneof_view *find_view(const oneof_view *v, size_t n, const char *oneof)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(v[mid].oneof, oneof);
        if (d == 0)
            return &v[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A member of the oneof `v` describes, other than `self`, that exists in
 * `other` outside the oneof `self_key` that self's counterpart has there:
 * a field the other version may set together with self. NULL when none. */
static const fck_field *partner(const oneof_view *v, const fck_field *self, const char *self_key,
                                const fck_message *other)
{
    if (v == NULL || v->a == NULL)
        return NULL;
    if (v->a != self)
        return !same_key(key_of(other, v->a), self_key) ? v->a : v->b;
    return self_key == NULL ? v->a2 : v->b;
}

/* The oneof views of both versions of a message. */
typedef struct msg_views {
    oneof_view *nv, *ov; /* of the new message against the old, and the reverse */
    size_t n_nv, n_ov;
} msg_views;

static void oneof_changes(fck_cmp *c, const msg_views *mv, const fck_message *om,
                          const fck_field *f, const fck_message *nm, const fck_field *g,
                          const char *elem)
{
    const fck_file *file = nm->file;
    /* Joined: a new sibling that old peers may set together with it. */
    const fck_field *h =
        g->oneof ? partner(find_view(mv->nv, mv->n_nv, g->oneof), g, f->oneof, om) : NULL;
    if (h != NULL) {
        fck_add(c, FERRY_CHECK_BREAKING, "FIELD_ONEOF_CHANGED", file, g->line, elem,
                "moved into oneof %s with field %s, which old peers may set at the same time: new "
                "peers keep only one of them",
                g->oneof, h->name);
        return;
    }
    /* Left: an old sibling that new peers may now set together with it. */
    h = f->oneof ? partner(find_view(mv->ov, mv->n_ov, f->oneof), f, g->oneof, nm) : NULL;
    if (h != NULL) {
        fck_add(c, FERRY_CHECK_BREAKING, "FIELD_ONEOF_CHANGED", file, g->line, elem,
                "moved out of oneof %s, apart from field %s: new peers may set both, and old "
                "peers keep only one of them",
                f->oneof, h->name);
        return;
    }
    if (f->oneof == NULL && g->oneof != NULL)
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_ONEOF_CHANGED", file, g->line, elem,
                "moved into oneof %s, whose other fields are new: the encoding is the same; any "
                "order",
                g->oneof);
    else if (f->oneof != NULL && g->oneof == NULL)
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_ONEOF_CHANGED", file, g->line, elem,
                "moved out of oneof %s, which kept no other field: the encoding is the same; any "
                "order",
                f->oneof);
}

static void compare_field(fck_cmp *c, const msg_views *mv, const fck_message *om,
                          const fck_field *f, const fck_message *nm, const fck_field *g)
{
    const fck_file *file = nm->file;
    const char *elem = fck_fmt(c, "field %s.%s = %d", nm->full_name, g->name, g->number);
    const char *why = NULL;
    unsigned side = fck_msg_side(c, c->o, om) | fck_msg_side(c, c->n, nm);
    fck_compat res = fck_type_compat(c, f, g, side, &why);
    const char *json_o = fck_json_name(c->a, f), *json_n = fck_json_name(c->a, g);
    int json_same = strcmp(json_o, json_n) == 0;
    if (strcmp(f->name, g->name) != 0) {
        if (res == FCK_BREAKING || f->label != g->label) {
            fck_add(c, FERRY_CHECK_BREAKING, "FIELD_NUMBER_REUSED", file, g->line, elem,
                    "number %d belonged to %s (%s) in the old schema: old peers read %s as %s",
                    g->number, f->name, decl_text(c, c->o, f), g->name, f->name);
            return;
        }
        const fck_field *moved = fck_field_by_name(nm, f->name);
        if (moved != NULL)
            fck_add(c, FERRY_CHECK_BREAKING, "FIELD_RENUMBERED", file, moved->line,
                    fck_fmt(c, "field %s.%s = %d", nm->full_name, moved->name, moved->number),
                    "was number %d, which is now %s: old peers send their %s as %d, and new "
                    "peers read it as %s; code, JSON and text that name %s now mean number %d",
                    f->number, g->name, f->name, f->number, g->name, f->name, moved->number);
        else if (json_same)
            fck_add(c, FERRY_CHECK_SAFE, "FIELD_RENAMED", file, g->line, elem,
                    "renamed from %s: the encoding carries numbers, not names, so any order; "
                    "code and text that name the field change (its JSON name stays \"%s\")",
                    f->name, json_n);
        else
            fck_add(c, FERRY_CHECK_SAFE, "FIELD_RENAMED", file, g->line, elem,
                    "renamed from %s: the encoding carries numbers, not names, so any order; "
                    "code, JSON and text that name the field change",
                    f->name);
    }
    /* A rename of a field whose JSON name is protobuf's default says so
     * above; a chosen [json_name] that changes is worth a line of its own. */
    if (!json_same && (f->json_name != NULL || g->json_name != NULL))
        fck_add(c, FERRY_CHECK_WARNING, "FIELD_JSON_NAME_CHANGED", file, g->line, elem,
                "JSON name \"%s\" is now \"%s\": ferry's peers are not affected (the binary "
                "encoding carries numbers), but JSON written by one version puts the field "
                "under a name the other does not read",
                json_o, json_n);
    if (res != FCK_SAME)
        fck_add(c, res == FCK_BREAKING ? FERRY_CHECK_BREAKING : FERRY_CHECK_SAFE,
                "FIELD_TYPE_CHANGED", file, g->line, elem, "%s", why);
    if (f->label != g->label)
        fck_add(c, FERRY_CHECK_BREAKING, "FIELD_LABEL_CHANGED", file, g->line, elem, "%s -> %s: %s",
                fck_label_name(f), fck_label_name(g), fck_label_why(f, g));
    oneof_changes(c, mv, om, f, nm, g, elem);
    if (f->label == g->label && f->packed != g->packed)
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_PACKED_CHANGED", file, g->line, elem,
                "%s: parsers accept both encodings; any order",
                g->packed ? "now packed" : "no longer packed");
    if ((f->default_value == NULL) != (g->default_value == NULL) ||
        (f->default_value != NULL && strcmp(f->default_value, g->default_value) != 0))
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_DEFAULT_CHANGED", file, g->line, elem,
                "default %s -> %s: defaults are not sent, so old and new peers read an absent "
                "field differently until all are upgraded; any order",
                f->default_value ? fck_fmt(c, "\"%s\"", f->default_value) : "(none)",
                g->default_value ? fck_fmt(c, "\"%s\"", g->default_value) : "(none)");
    if (f->deprecated != g->deprecated)
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_DEPRECATED", file, g->line, elem, "%s",
                g->deprecated ? "deprecated: any order; delete it (reserving its number) once no "
                                "peer reads it"
                              : "no longer deprecated: any order");
    fck_compare_rules(c, side, file, g->line, elem, f, g);
}

static void field_deleted(fck_cmp *c, const fck_message *om, const fck_field *f,
                          const fck_message *nm)
{
    const char *elem = fck_fmt(c, "field %s.%s = %d", om->full_name, f->name, f->number);
    if (fck_in_ranges(nm->merged, nm->n_merged, f->number)) {
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_DELETED", om->file, f->line, elem,
                "deleted and its number reserved: %s%s",
                field_deleted_order(fck_msg_side(c, c->o, om)),
                fck_name_reserved(nm->names_sorted, nm->n_reserved_names, f->name)
                    ? ""
                    : " (reserve its name too, for JSON and text)");
        return;
    }
    const fck_field *same_name = fck_field_by_name(nm, f->name);
    fck_add(c, FERRY_CHECK_BREAKING, "FIELD_DELETED", om->file, f->line, elem,
            "deleted without reserved %d: a later field may take the number, and old peers would "
            "read it as %s%s",
            f->number, f->name,
            same_name != NULL ? fck_fmt(c,
                                        " (the name now has number %d, which old peers do not "
                                        "know)",
                                        same_name->number)
                              : "");
}

static void field_added(fck_cmp *c, const msg_views *mv, const fck_message *om,
                        const fck_message *nm, const fck_field *g)
{
    const char *elem = fck_fmt(c, "field %s.%s = %d", nm->full_name, g->name, g->number);
    unsigned side = fck_msg_side(c, c->n, nm);
    const oneof_view *v = g->oneof != NULL ? find_view(mv->nv, mv->n_nv, g->oneof) : NULL;
    if (fck_in_ranges(om->merged, om->n_merged, g->number))
        fck_add(c, FERRY_CHECK_BREAKING, "FIELD_NUMBER_REUSED", nm->file, g->line, elem,
                "number %d was reserved in the old schema: old peers may still send the field "
                "that had it",
                g->number);
    else if (g->label == FCK_LABEL_REQUIRED)
        fck_add(c, FERRY_CHECK_BREAKING, "REQUIRED_FIELD_ADDED", nm->file, g->line, elem,
                "old peers never send it, so new peers refuse their messages as incomplete");
    else if (v != NULL && v->a != NULL) /* the oneof has members old peers know */
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_ADDED", nm->file, g->line, elem,
                "new member of oneof %s: setting it clears the others, and old peers then see "
                "none of them; %s",
                g->oneof, readers_first_order(side));
    else
        fck_add(c, FERRY_CHECK_SAFE, "FIELD_ADDED", nm->file, g->line, elem, "%s",
                fck_field_added_order(side));
}

/* The numbers of `m`'s fields, sorted. */
static int32_t *field_numbers(fck_cmp *c, const fck_message *m)
{
    int32_t *n = fcg_arena_alloc(c->a, (m->n_fields + 1) * sizeof *n);
    if (n == NULL)
        return NULL;
    for (size_t i = 0; i < m->n_fields; i++)
        n[i] = m->by_number[i]->number;
    return n;
}

static void compare_message(fck_cmp *c, const fck_message *om, const fck_message *nm)
{
    msg_views mv;
    mv.nv = views(c, nm, om, &mv.n_nv);
    mv.ov = views(c, om, nm, &mv.n_ov);
    for (size_t i = 0; i < om->n_fields; i++) {
        const fck_field *f = &om->fields[i];
        const fck_field *g = fck_field_by_number(nm, f->number);
        if (g != NULL)
            compare_field(c, &mv, om, f, nm, g);
        else
            field_deleted(c, om, f, nm);
    }
    for (size_t i = 0; i < nm->n_fields; i++)
        if (fck_field_by_number(om, nm->fields[i].number) == NULL)
            field_added(c, &mv, om, nm, &nm->fields[i]);
    int32_t *used = field_numbers(c, nm);
    if (used != NULL)
        ranges_removed(c, om->file, "message", om->full_name, om->merged, om->n_merged, nm->merged,
                       nm->n_merged, used, nm->n_fields);
    names_removed(c, om->file, "message", om->full_name, om->reserved_names, om->n_reserved_names,
                  nm->names_sorted, nm->n_reserved_names, field_taking, nm);
}

/* ---- deleted and added types ------------------------------------------------------ */

static int cmp_use(const void *x, const void *y)
{
    const fck_use *a = x, *b = y;
    int d = strcmp(a->type, b->type);
    return d != 0 ? d : (a->order > b->order) - (a->order < b->order);
}

static void add_use(fck_cmp *c, size_t cap, const char *type, const char *user)
{
    if (c->n_uses == cap)
        return;
    c->uses[c->n_uses] = (fck_use){type, user, c->n_uses};
    c->n_uses++;
}

/* Every reference of the old schema to a type that the new schema still
 * makes: by a method that remains, or by a field whose message and number
 * remain and whose new type does not read what old peers send there. */
static void build_uses(fck_cmp *c)
{
    c->uses_built = 1;
    size_t cap = 0;
    for (size_t i = 0; i < c->o->n_messages; i++)
        cap += c->o->messages[i].n_fields;
    for (size_t i = 0; i < c->o->n_services; i++)
        cap += 2 * c->o->services[i].n_methods;
    c->uses = fcg_arena_alloc(c->a, (cap + 1) * sizeof *c->uses);
    if (c->uses == NULL) {
        fck_oom(c);
        return;
    }
    for (size_t i = 0; i < c->o->n_messages; i++) {
        const fck_message *m = &c->o->messages[i];
        const fck_message *nm = fck_find_message(c->n, fck_tr(c, m->full_name));
        for (size_t k = 0; nm != NULL && k < m->n_fields; k++) {
            const fck_field *f = &m->fields[k];
            const fck_field *g = f->type_name != NULL ? fck_field_by_number(nm, f->number) : NULL;
            const char *why;
            unsigned side = fck_msg_side(c, c->o, m) | fck_msg_side(c, c->n, nm);
            if (g != NULL && fck_type_compat(c, f, g, side, &why) == FCK_BREAKING)
                add_use(c, cap, f->type_name,
                        fck_fmt(c, "field %s.%s = %d", m->full_name, f->name, f->number));
        }
    }
    for (size_t i = 0; i < c->o->n_services; i++) {
        const fck_service *s = &c->o->services[i];
        const fck_service *ns = fck_find_service(c->n, fck_tr(c, s->full_name));
        for (size_t k = 0; ns != NULL && k < s->n_methods; k++) {
            const fck_method *m = &s->methods[k];
            if (fck_method_by_name(ns, m->name) == NULL)
                continue;
            const char *user = fck_fmt(c, "method %s/%s", s->full_name, m->name);
            add_use(c, cap, m->input, user);
            add_use(c, cap, m->output, user);
        }
    }
    qsort(c->uses, c->n_uses, sizeof *c->uses, cmp_use);
}

/* What in the old schema still exists in the new one and needs type `name`
 * there (see build_uses); NULL when nothing does. */
static const char *survivor_using(fck_cmp *c, const char *name)
{
    if (!c->uses_built)
        build_uses(c);
    size_t lo = 0, hi = c->n_uses;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->uses[mid].type, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_uses && strcmp(c->uses[lo].type, name) == 0 ? c->uses[lo].user : NULL;
}

/* Whether the type `name` of the old schema is nested in a message that
 * is deleted too (reported once, for the outermost). */
static int parent_deleted(fck_cmp *c, const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return 0;
    const char *parent = fck_fmt(c, "%.*s", (int)(dot - name), name);
    return fck_find_message(c->o, parent) != NULL &&
           fck_find_message(c->n, fck_tr(c, parent)) == NULL;
}

static void type_deleted(fck_cmp *c, const char *kind, const char *name, const fck_file *file,
                         int line)
{
    if (parent_deleted(c, name))
        return;
    const char *user = survivor_using(c, name);
    const char *elem = fck_fmt(c, "%s %s", kind, name);
    if (user != NULL)
        fck_add(c, FERRY_CHECK_BREAKING, "TYPE_DELETED", file, line, elem,
                "deleted while %s, which remains, refers to it: old peers keep sending it there",
                user);
    else
        fck_add(c, FERRY_CHECK_SAFE, "TYPE_DELETED", file, line, elem,
                "deleted; nothing that remains reads it as this type: any order");
}

void fck_compare_messages(fck_cmp *c)
{
    unsigned char *matched = fcg_arena_alloc(c->a, c->n->n_messages + 1);
    if (matched == NULL) {
        fck_oom(c);
        return;
    }
    for (size_t i = 0; i < c->o->n_messages; i++) {
        const fck_message *om = &c->o->messages[i];
        const fck_message *nm = fck_find_message(c->n, fck_tr(c, om->full_name));
        if (nm != NULL) {
            matched[nm - c->n->messages] = 1;
            if (!om->map_entry)
                compare_message(c, om, nm);
        } else if (!om->map_entry) {
            type_deleted(c, "message", om->full_name, om->file, om->line);
        }
    }
    for (size_t i = 0; i < c->n->n_messages; i++) {
        const fck_message *nm = &c->n->messages[i];
        if (!matched[i] && !nm->map_entry)
            fck_add(c, FERRY_CHECK_SAFE, "TYPE_ADDED", nm->file, nm->line,
                    fck_fmt(c, "message %s", nm->full_name),
                    "new message: any order (old peers do not use it)");
    }
}

/* ---- enums ------------------------------------------------------------------ */

static int value_named(const fck_enum *e, int32_t number, const char *name)
{
    const fck_value *v = fck_value_by_name(e, name);
    return v != NULL && v->number == number;
}

static void compare_enum(fck_cmp *c, const fck_enum *oe, const fck_enum *ne)
{
    for (size_t i = 0; i < oe->n_values; i++) {
        const fck_value *v = oe->by_number[i];
        if (i > 0 && oe->by_number[i - 1]->number == v->number)
            continue; /* an alias of the previous one */
        const fck_value *nv = fck_value_by_number(ne, v->number, NULL);
        if (nv == NULL) {
            const char *elem =
                fck_fmt(c, "enum value %s.%s = %d", oe->full_name, v->name, v->number);
            if (fck_in_ranges(ne->merged, ne->n_merged, v->number))
                fck_add(c, FERRY_CHECK_SAFE, "ENUM_VALUE_DELETED", oe->file, v->line, elem,
                        "deleted and its number reserved: %s",
                        writers_first_order(fck_enum_side(c, c->o, oe)));
            else
                fck_add(c, FERRY_CHECK_BREAKING, "ENUM_VALUE_DELETED", oe->file, v->line, elem,
                        "deleted without reserved %d: a later value may take the number, and old "
                        "peers would read it as %s",
                        v->number, v->name);
        } else if (!value_named(ne, v->number, v->name)) {
            const fck_value *moved = fck_value_by_name(ne, v->name);
            if (moved != NULL) {
                fck_add(
                    c, FERRY_CHECK_BREAKING, "ENUM_VALUE_RENUMBERED", ne->file, moved->line,
                    fck_fmt(c, "enum value %s.%s = %d", ne->full_name, moved->name, moved->number),
                    "was number %d, which is now %s: old peers send %s as %d, and new peers "
                    "read it as %s; the generated C constant, text format and JSON of %s now "
                    "mean number %d",
                    v->number, nv->name, v->name, v->number, nv->name, v->name, moved->number);
                continue;
            }
            fck_add(c, FERRY_CHECK_SAFE, "ENUM_VALUE_RENAMED", ne->file, nv->line,
                    fck_fmt(c, "enum value %s.%s = %d", ne->full_name, nv->name, nv->number),
                    "renamed from %s: the encoding carries the number, so any order; code, JSON "
                    "and text that name the value change",
                    v->name);
        }
    }
    unsigned side = fck_enum_side(c, c->n, ne);
    for (size_t i = 0; i < ne->n_values; i++) {
        const fck_value *v = ne->by_number[i];
        if ((i > 0 && ne->by_number[i - 1]->number == v->number) ||
            fck_value_by_number(oe, v->number, NULL) != NULL)
            continue;
        const char *elem = fck_fmt(c, "enum value %s.%s = %d", ne->full_name, v->name, v->number);
        if (fck_in_ranges(oe->merged, oe->n_merged, v->number))
            fck_add(c, FERRY_CHECK_BREAKING, "RESERVED_REMOVED", ne->file, v->line, elem,
                    "number %d was reserved in the old schema: old peers may still send the value "
                    "that had it",
                    v->number);
        else
            fck_add(c, FERRY_CHECK_SAFE, "ENUM_VALUE_ADDED", ne->file, v->line, elem,
                    "new value: %s", readers_first_order(side));
    }
    int32_t *used = fcg_arena_alloc(c->a, (ne->n_values + 1) * sizeof *used);
    if (used != NULL) {
        for (size_t i = 0; i < ne->n_values; i++)
            used[i] = ne->by_number[i]->number;
        ranges_removed(c, oe->file, "enum", oe->full_name, oe->merged, oe->n_merged, ne->merged,
                       ne->n_merged, used, ne->n_values);
    }
    names_removed(c, oe->file, "enum", oe->full_name, oe->reserved_names, oe->n_reserved_names,
                  ne->names_sorted, ne->n_reserved_names, value_taking, ne);
}

void fck_compare_enums(fck_cmp *c)
{
    unsigned char *matched = fcg_arena_alloc(c->a, c->n->n_enums + 1);
    if (matched == NULL) {
        fck_oom(c);
        return;
    }
    for (size_t i = 0; i < c->o->n_enums; i++) {
        const fck_enum *oe = &c->o->enums[i];
        const fck_enum *ne = fck_find_enum(c->n, fck_tr(c, oe->full_name));
        if (ne != NULL) {
            matched[ne - c->n->enums] = 1;
            compare_enum(c, oe, ne);
        } else {
            type_deleted(c, "enum", oe->full_name, oe->file, oe->line);
        }
    }
    for (size_t i = 0; i < c->n->n_enums; i++)
        if (!matched[i])
            fck_add(c, FERRY_CHECK_SAFE, "TYPE_ADDED", c->n->enums[i].file, c->n->enums[i].line,
                    fck_fmt(c, "enum %s", c->n->enums[i].full_name),
                    "new enum: any order (old peers do not use it)");
}
