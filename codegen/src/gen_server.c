/* gen_server.c - the server backend: the typed handler table and the impl
 * and register functions (header); the invoke glue that turns the runtime's
 * untyped call into a typed handler call, and its table (source). */
#include "gen.h"

/* "ferry_status (*get_item)(void *user, ferry_call *call, const Req *req,
 * Resp *resp)" followed by `tail`. */
static void handler_member(fcg_out *o, const fcg_method *m, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status (*%s)(", m->c.member);
    fcg_strs_add(&p, "void *user");
    fcg_strs_add(&p, "ferry_call *call");
    fcg_strs_add(&p, "const %s *req", m->input->c_name);
    fcg_strs_add(&p, "%s *resp", m->output->c_name);
    fcg_gen_params(o, &p, tail);
}

/* The signature of the impl or register function, then `tail`. */
static void service_fn(fcg_out *o, const fcg_service *svc, int reg, const char *tail)
{
    fcg_strs p = {0};
    if (reg) {
        fcg_strs_add(&p, "ferry_status %s(", svc->c.reg);
        fcg_strs_add(&p, "ferry_server *srv");
    } else {
        fcg_strs_add(&p, "void %s(", svc->c.impl);
        fcg_strs_add(&p, "ferry_service_impl *impl");
    }
    fcg_strs_add(&p, "const %s *h", svc->c.handlers);
    fcg_strs_add(&p, "void *user");
    fcg_gen_params(o, &p, tail);
}

void fcg_server_declare(fcg_out *o, const fcg_service *svc)
{
    const fcg_service_names *c = &svc->c;
    fcg_gen_section(o, "server side");
    fcg_out_printf(o, "\n");
    fcg_out_commentf(o,
                     "The handlers of %s. Each gets the decoded request and an initialised "
                     "response to fill, and returns FERRY_OK or an error status (see "
                     "ferry_call_fail()). The response's strings, bytes and repeated fields may "
                     "use memory from ferry_call_alloc(), which lives until the reply is sent. A "
                     "NULL handler answers FERRY_UNIMPLEMENTED. Handlers run on the server's "
                     "threads, several at once.",
                     svc->full_name);
    fcg_out_printf(o, "typedef struct %s {\n", c->handlers);
    fcg_out_indent(o);
    for (size_t i = 0; i < svc->n_methods; i++) {
        fcg_out_comment(o, svc->methods[i].doc);
        handler_member(o, &svc->methods[i], ");\n");
    }
    fcg_out_dedent(o);
    fcg_out_printf(o, "} %s;\n\n", c->handlers);

    fcg_out_commentf(o,
                     "Fills `impl` to serve %s with the handlers `h`, which get `user`. `h` must "
                     "outlive every server and channel the impl is added to.",
                     svc->full_name);
    service_fn(o, svc, 0, ");\n\n");
    fcg_out_commentf(o, "Hosts %s on `srv`: %s(), then ferry_server_add().", svc->full_name,
                     c->impl);
    service_fn(o, svc, 1, ");\n");
}

static void define_invoke(fcg_out *o, fcg_out *tmp, const fcg_service *svc, const fcg_method *m)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "static ferry_status %s(", m->c.invoke);
    fcg_strs_add(&p, "const void *handlers");
    fcg_strs_add(&p, "void *user");
    fcg_strs_add(&p, "ferry_call *call");
    fcg_strs_add(&p, "const ProtobufCMessage *req");
    fcg_strs_add(&p, "ProtobufCMessage *resp");
    fcg_gen_params(o, &p, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "const %s *h = handlers;\n", svc->c.handlers);
    fcg_out_printf(o, "if (h->%s == NULL)\n", m->c.member);
    fcg_out_indent(o);
    /* Names are identifiers (load.c checks), so no '%' reaches the format. */
    fcg_out msg;
    fcg_out_init(&msg);
    fcg_out_printf(&msg, "method %s is not implemented by this server", m->full_name);
    if (msg.failed)
        o->failed = 1;
    fcg_strs_add(&p, "return ferry_call_fail(");
    fcg_strs_add(&p, "call");
    fcg_strs_add(&p, "FERRY_UNIMPLEMENTED");
    fcg_strs_add(&p, "%s", fcg_gen_literal(o, tmp, msg.buf != NULL ? msg.buf : ""));
    fcg_out_fini(&msg);
    fcg_gen_params(o, &p, ");\n");
    fcg_out_dedent(o);
    fcg_strs_add(&p, "return h->%s(", m->c.member);
    fcg_strs_add(&p, "user");
    fcg_strs_add(&p, "call");
    fcg_strs_add(&p, "(const %s *)req", m->input->c_name);
    fcg_strs_add(&p, "(%s *)resp", m->output->c_name);
    fcg_gen_params(o, &p, ");\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n\n");
}

void fcg_server_define(fcg_out *o, const fcg_service *svc)
{
    const fcg_service_names *c = &svc->c;
    fcg_out tmp;
    fcg_out_init(&tmp);
    fcg_gen_section(o, "server side");
    fcg_out_printf(o, "\n");
    for (size_t i = 0; i < svc->n_methods; i++)
        define_invoke(o, &tmp, svc, &svc->methods[i]);
    fcg_out_fini(&tmp);

    fcg_out_printf(o, "static const ferry_invoke_fn %s[%s] = {\n", c->invoke_table, c->n_methods);
    fcg_out_indent(o);
    for (size_t i = 0; i < svc->n_methods; i++)
        fcg_out_printf(o, "[%s] = %s,\n", svc->methods[i].c.constant, svc->methods[i].c.invoke);
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n\n");

    service_fn(o, svc, 0, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "*impl = (ferry_service_impl){\n");
    fcg_out_indent(o);
    fcg_out_printf(o, ".desc = &%s,\n", c->desc);
    fcg_out_printf(o, ".invoke = %s,\n", c->invoke_table);
    fcg_out_printf(o, ".handlers = h,\n");
    fcg_out_printf(o, ".user = user,\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n\n");

    service_fn(o, svc, 1, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "ferry_service_impl impl;\n");
    fcg_out_printf(o, "%s(&impl, h, user);\n", c->impl);
    fcg_out_printf(o, "return ferry_server_add(srv, &impl);\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}
