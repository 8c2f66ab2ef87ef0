/* compare_ext.c - extensions compared between the old and the new schema.
 * An extension travels as field `number` of the message it extends, so
 * what old peers read is decided by (extendee, number); it is matched by
 * full name, and by (extendee, number) when the name changed. */
#include <string.h>

#include "compare.h"

static const char *ext_elem(fck_cmp *c, const fck_extension *x)
{
    return fck_fmt(c, "extension %s = %d of %s", x->full_name, x->field.number, x->extendee);
}

/* The side of the message `x` extends in the new schema (0 when it is not
 * part of it, as for google.protobuf's options). */
static unsigned ext_side(fck_cmp *c, const fck_extension *x)
{
    const fck_message *m = fck_find_message(c->n, x->extendee);
    return m != NULL ? fck_msg_side(c, c->n, m) : 0;
}

/* Whether the old extension `ox` and the new `nx` extend one message with
 * one number: the same bytes on the wire. */
static int same_slot(fck_cmp *c, const fck_extension *ox, const fck_extension *nx)
{
    return ox->field.number == nx->field.number &&
           strcmp(fck_tr(c, ox->extendee), nx->extendee) == 0;
}

/* An extension of `s` whose matched[i] is clear (any, when `matched` is
 * NULL) in the slot of the old `ox` (s is then the new schema) or of the
 * new `nx` (s the old one); NULL when there is none. */
static const fck_extension *in_slot(fck_cmp *c, const fck_schema *s, const unsigned char *matched,
                                    const fck_extension *ox, const fck_extension *nx)
{
    for (size_t i = 0; i < s->n_extensions; i++) {
        const fck_extension *y = &s->extensions[i];
        if (matched != NULL && matched[i])
            continue;
        if (ox != NULL ? same_slot(c, ox, y) : same_slot(c, y, nx))
            return y;
    }
    return NULL;
}

static void compare_extension(fck_cmp *c, const fck_extension *ox, const fck_extension *nx)
{
    const char *elem = ext_elem(c, nx);
    const fck_file *file = nx->file;
    int line = nx->field.line;
    if (strcmp(fck_tr(c, ox->full_name), nx->full_name) != 0)
        fck_add(c, FERRY_CHECK_SAFE, "EXTENSION_RENAMED", file, line, elem,
                "renamed from %s: the encoding carries the number, so any order; code, text "
                "format and JSON that name the extension change",
                ox->full_name);
    if (strcmp(fck_tr(c, ox->extendee), nx->extendee) != 0) {
        fck_add(c, FERRY_CHECK_BREAKING, "EXTENSION_EXTENDEE_CHANGED", file, line, elem,
                "extended %s in the old schema: old peers send it in that message, where new "
                "peers do not read it as this extension",
                ox->extendee);
        return;
    }
    if (ox->field.number != nx->field.number) {
        fck_add(c, FERRY_CHECK_BREAKING, "EXTENSION_NUMBER_CHANGED", file, line, elem,
                "number %d is now %d: old peers send it as %d, which new peers do not read as "
                "this extension",
                ox->field.number, nx->field.number, ox->field.number);
        return;
    }
    const char *why;
    fck_compat res = fck_type_compat(c, &ox->field, &nx->field, ext_side(c, nx), &why);
    if (res != FCK_SAME)
        fck_add(c, res == FCK_BREAKING ? FERRY_CHECK_BREAKING : FERRY_CHECK_SAFE,
                "EXTENSION_TYPE_CHANGED", file, line, elem, "%s", why);
    if (ox->field.label != nx->field.label)
        fck_add(c, FERRY_CHECK_BREAKING, "EXTENSION_LABEL_CHANGED", file, line, elem,
                "%s -> %s: %s", fck_label_name(&ox->field), fck_label_name(&nx->field),
                fck_label_why(&ox->field, &nx->field));
}

void fck_compare_extensions(fck_cmp *c)
{
    const fck_schema *o = c->o, *n = c->n;
    unsigned char *o_done = fcg_arena_alloc(c->a, o->n_extensions + 1);
    unsigned char *n_done = fcg_arena_alloc(c->a, n->n_extensions + 1);
    if (o_done == NULL || n_done == NULL) {
        fck_oom(c);
        return;
    }
    /* By name first, then what is left by slot: a rename. */
    for (size_t i = 0; i < o->n_extensions; i++) {
        const fck_extension *nx = fck_find_extension(n, fck_tr(c, o->extensions[i].full_name));
        if (nx == NULL)
            continue;
        o_done[i] = n_done[nx - n->extensions] = 1;
        compare_extension(c, &o->extensions[i], nx);
    }
    for (size_t i = 0; i < o->n_extensions; i++) {
        const fck_extension *ox = &o->extensions[i];
        if (o_done[i])
            continue;
        const fck_extension *nx = in_slot(c, n, n_done, ox, NULL);
        if (nx != NULL) {
            o_done[i] = n_done[nx - n->extensions] = 1;
            compare_extension(c, ox, nx);
            continue;
        }
        fck_add(c, FERRY_CHECK_BREAKING, "EXTENSION_DELETED", ox->file, ox->field.line,
                ext_elem(c, ox),
                "deleted: old peers still send number %d of %s, and a later extension may take "
                "the number and read it as its own; keep it, deprecated, until a new major "
                "version",
                ox->field.number, ox->extendee);
    }
    for (size_t i = 0; i < n->n_extensions; i++) {
        const fck_extension *nx = &n->extensions[i];
        if (n_done[i])
            continue;
        const fck_extension *was = in_slot(c, o, NULL, NULL, nx);
        if (was != NULL)
            fck_add(c, FERRY_CHECK_BREAKING, "EXTENSION_NUMBER_REUSED", nx->file, nx->field.line,
                    ext_elem(c, nx),
                    "number %d of %s belonged to extension %s in the old schema: old peers read "
                    "this one as that",
                    nx->field.number, nx->extendee, was->full_name);
        else
            fck_add(c, FERRY_CHECK_SAFE, "EXTENSION_ADDED", nx->file, nx->field.line,
                    ext_elem(c, nx), "%s", fck_field_added_order(ext_side(c, nx)));
    }
}
