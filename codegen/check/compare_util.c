/* compare_util.c - what every part of the comparison uses (compare.h):
 * which side of a call a type is on, old names under a new package, and the
 * words for fields' labels and the order to deploy a new field in. The
 * comparisons themselves (compare.c, compare_types.c, compare_ext.c,
 * compat.c) only call down into this file, never into each other's. */
#include <string.h>

#include "compare.h"

unsigned fck_msg_side(const fck_cmp *c, const fck_schema *s, const fck_message *m)
{
    const unsigned char *side = s == c->o ? c->o_msg_side : c->n_msg_side;
    return side[m - s->messages];
}

unsigned fck_enum_side(const fck_cmp *c, const fck_schema *s, const fck_enum *e)
{
    const unsigned char *side = s == c->o ? c->o_enum_side : c->n_enum_side;
    return side[e - s->enums];
}

const char *fck_tr(const fck_cmp *c, const char *old_name)
{
    const fck_pkg_map *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < c->n_maps; i++) {
        const char *from = c->maps[i].from;
        size_t len = strlen(from);
        int match = len == 0 || (strncmp(old_name, from, len) == 0 && old_name[len] == '.');
        if (match && (best == NULL || len > best_len)) {
            best = &c->maps[i];
            best_len = len;
        }
    }
    if (best == NULL)
        return old_name;
    const char *rest = old_name + best_len + (best_len > 0); /* after "from." */
    if (best->to[0] == '\0')
        return rest;
    const char *s = fcg_arena_printf(c->a, "%s.%s", best->to, rest);
    return s != NULL ? s : old_name;
}

const char *fck_field_added_order(unsigned side)
{
    switch (side) {
    case FCK_SIDE_REQUEST:
        return "new request field: deploy servers before clients set it (old servers ignore it; "
               "new servers read its default from old clients)";
    case FCK_SIDE_RESPONSE:
        return "new response field: any order (old clients ignore it; new clients read its "
               "default from old servers)";
    case FCK_SIDE_BOTH:
        return "new field in requests and responses: deploy servers before clients set it (old "
               "peers ignore it; new peers read its default from old ones)";
    default:
        return "new field: any order (old readers ignore it; new readers see its default from "
               "old writers)";
    }
}

const char *fck_label_name(const fck_field *f)
{
    return f->label == FCK_LABEL_REQUIRED   ? "required"
           : f->label == FCK_LABEL_REPEATED ? "repeated"
                                            : "singular";
}

const char *fck_label_why(const fck_field *f, const fck_field *g)
{
    if (f->label == FCK_LABEL_OPTIONAL && g->label == FCK_LABEL_REQUIRED)
        return "old peers may leave it out, and new peers refuse such messages as incomplete";
    if (f->label == FCK_LABEL_REQUIRED && g->label == FCK_LABEL_OPTIONAL)
        return "new peers may leave it out, and old peers refuse such messages as incomplete";
    if (g->label == FCK_LABEL_REPEATED)
        return "old peers keep only one of the values new peers send, and may refuse packed "
               "values";
    return "new peers keep only one of the values old peers send, and may refuse packed values";
}
