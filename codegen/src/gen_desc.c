/* gen_desc.c - the descriptor backend: the service descriptor and method
 * enum (header), the role lists, the encoded fallback responses and the
 * method table (source). Clients and servers route by these; their strings
 * come from the IDL and are written as escaped C literals. */
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"

void fcg_desc_declare(fcg_out *o, const fcg_service *svc)
{
    const fcg_service_names *c = &svc->c;
    fcg_out_printf(o, "extern const ferry_service_desc %s;\n\n", c->desc);
    fcg_out_commentf(o, "The methods of %s in declaration order: indexes into %s.methods.",
                     svc->full_name, c->desc);
    fcg_out_printf(o, "enum %s {\n", c->method_enum);
    fcg_out_indent(o);
    for (size_t i = 0; i < svc->n_methods; i++)
        fcg_out_printf(o, "%s = %zu,\n", svc->methods[i].c.constant, i);
    fcg_out_printf(o, "%s = %zu\n", c->n_methods, svc->n_methods);
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n");
}

static const char *fallback_name(int fallback)
{
    switch (fallback) {
    case 1:
        return "FERRY_FALLBACK_EMPTY";
    case 2:
        return "FERRY_FALLBACK_DEFAULT";
    case 3:
        return "FERRY_FALLBACK_CALLBACK";
    default:
        return "FERRY_FALLBACK_NONE";
    }
}

static void define_roles(fcg_out *o, const fcg_method *m)
{
    const fcg_method_opts *opts = &m->opts;
    if (opts->n_roles == 0)
        return;
    /* Each literal is kept in its own scratch buffer for fcg_out_params(). */
    fcg_out *lit = calloc(opts->n_roles, sizeof *lit);
    const char **params = calloc(opts->n_roles, sizeof *params);
    if (lit == NULL || params == NULL) {
        o->failed = 1;
        free(lit);
        free(params);
        return;
    }
    for (size_t i = 0; i < opts->n_roles; i++) {
        fcg_out_init(&lit[i]);
        params[i] = fcg_gen_literal(o, &lit[i], opts->roles[i]);
    }
    fcg_out head;
    fcg_out_init(&head);
    fcg_out_printf(&head, "static const char *const %s[] = {", m->c.roles);
    if (head.failed)
        o->failed = 1;
    else
        fcg_out_params(o, head.buf, params, opts->n_roles, "};\n");
    fcg_out_fini(&head);
    for (size_t i = 0; i < opts->n_roles; i++)
        fcg_out_fini(&lit[i]);
    free(lit);
    free(params);
}

/* The fallback response encoded at generation time, with its text above. */
static void define_fallback(fcg_out *o, const fcg_method *m)
{
    const fcg_method_opts *opts = &m->opts;
    if (opts->fallback_pb_len == 0)
        return;
    fcg_out_commentf(o, "The fallback response of %s (%s), encoded from its text:\n%s", m->name,
                     m->output->full_name + 1, opts->fallback_default);
    fcg_out_printf(o, "static const uint8_t %s[] = {\n", m->c.fallback);
    fcg_out_indent(o);
    enum { PER_LINE = 12 };
    for (size_t i = 0; i < opts->fallback_pb_len; i += PER_LINE) {
        char line[PER_LINE * 6 + 1];
        size_t n = 0;
        for (size_t k = i; k < opts->fallback_pb_len && k < i + PER_LINE; k++)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s0x%02x,", k > i ? " " : "",
                                  (unsigned)opts->fallback_pb[k]);
        fcg_out_printf(o, "%s\n", line);
    }
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n\n");
}

static void define_method(fcg_out *o, fcg_out *tmp, const fcg_service *svc, const fcg_method *m)
{
    const fcg_method_opts *opts = &m->opts;
    fcg_out_printf(o, "[%s] = {\n", m->c.constant);
    fcg_out_indent(o);
    fcg_out_printf(o, ".service = &%s,\n", svc->c.desc);
    fcg_out_printf(o, ".index = %s,\n", m->c.constant);
    fcg_out_printf(o, ".name = %s,\n", fcg_gen_literal(o, tmp, m->name));
    fcg_out_printf(o, ".full_name = %s,\n", fcg_gen_literal(o, tmp, m->full_name));
    fcg_out_printf(o, ".input = &%s,\n", m->input->descriptor);
    fcg_out_printf(o, ".output = &%s,\n", m->output->descriptor);
    fcg_out_printf(o, ".opts = {\n");
    fcg_out_indent(o);
    fcg_out_printf(o, ".since = %u,\n", (unsigned)opts->since);
    fcg_out_printf(o, ".deprecated_since = %u,\n", (unsigned)opts->deprecated_since);
    fcg_out_printf(o, ".deprecated = %d,\n", opts->deprecated ? 1 : 0);
    fcg_out_printf(o, ".idempotent = %d,\n", opts->idempotent ? 1 : 0);
    fcg_out_printf(o, ".read_only = %d,\n", opts->read_only ? 1 : 0);
    fcg_out_printf(o, ".deadline_ms = %u,\n", (unsigned)opts->deadline_ms);
    fcg_out_printf(o, ".fallback = %s,\n", fallback_name(opts->fallback));
    if (opts->fallback_default != NULL)
        fcg_out_printf(o, ".fallback_default = %s,\n",
                       fcg_gen_literal(o, tmp, opts->fallback_default));
    else
        fcg_out_printf(o, ".fallback_default = NULL,\n");
    if (opts->fallback_pb_len > 0) {
        fcg_out_printf(o, ".fallback_default_pb = %s,\n", m->c.fallback);
        fcg_out_printf(o, ".fallback_default_len = sizeof %s,\n", m->c.fallback);
    } else {
        fcg_out_printf(o, ".fallback_default_pb = NULL,\n");
        fcg_out_printf(o, ".fallback_default_len = 0,\n");
    }
    if (opts->n_roles > 0)
        fcg_out_printf(o, ".roles = %s,\n", m->c.roles);
    else
        fcg_out_printf(o, ".roles = NULL,\n");
    fcg_out_printf(o, ".n_roles = %zu,\n", opts->n_roles);
    fcg_out_printf(o, ".id = %u,\n", (unsigned)opts->id);
    fcg_out_dedent(o);
    fcg_out_printf(o, "},\n");
    const char *validate = fcg_validate_fn(m->input);
    fcg_out_printf(o, ".validate = %s,\n", validate != NULL ? validate : "NULL");
    fcg_out_dedent(o);
    fcg_out_printf(o, "},\n");
}

void fcg_desc_define(fcg_out *o, const fcg_service *svc)
{
    const fcg_service_names *c = &svc->c;
    fcg_out tmp;
    fcg_out_init(&tmp);
    fcg_gen_section(o, "descriptor");
    fcg_out_printf(o, "\n");
    int any_roles = 0;
    for (size_t i = 0; i < svc->n_methods; i++) {
        define_roles(o, &svc->methods[i]);
        any_roles |= svc->methods[i].opts.n_roles > 0;
    }
    if (any_roles)
        fcg_out_printf(o, "\n");
    for (size_t i = 0; i < svc->n_methods; i++)
        define_fallback(o, &svc->methods[i]);

    fcg_out_printf(o, "static const ferry_method %s[%s] = {\n", c->methods, c->n_methods);
    fcg_out_indent(o);
    for (size_t i = 0; i < svc->n_methods; i++)
        define_method(o, &tmp, svc, &svc->methods[i]);
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n\n");

    fcg_out_printf(o, "const ferry_service_desc %s = {\n", c->desc);
    fcg_out_indent(o);
    fcg_out_printf(o, ".name = %s,\n", fcg_gen_literal(o, &tmp, svc->name));
    fcg_out_printf(o, ".full_name = %s,\n", fcg_gen_literal(o, &tmp, svc->full_name));
    fcg_out_printf(o, ".package = %s,\n", fcg_gen_literal(o, &tmp, svc->file->package));
    fcg_out_printf(o, ".source = %s,\n", fcg_gen_literal(o, &tmp, svc->file->name));
    fcg_out_printf(o, ".api_version = %u,\n", (unsigned)svc->api_version);
    fcg_out_printf(o, ".n_methods = %s,\n", c->n_methods);
    fcg_out_printf(o, ".methods = %s,\n", c->methods);
    const char *files = svc->file->services[0].c.prefix;
    fcg_out_printf(o, ".n_files = sizeof %s_files / sizeof %s_files[0],\n", files, files);
    fcg_out_printf(o, ".files = %s_files,\n", files);
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n");
    fcg_out_fini(&tmp);
}
