/* gen_local.c - the local binding backend: a channel that serves a
 * service's calls from a handler table in the calling process. */
#include "gen.h"

static void local_open_fn(fcg_out *o, const fcg_service *svc, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status %s(", svc->c.local_open);
    fcg_strs_add(&p, "ferry_channel **out");
    fcg_strs_add(&p, "const %s *h", svc->c.handlers);
    fcg_strs_add(&p, "void *user");
    fcg_gen_params(o, &p, tail);
}

void fcg_local_declare(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "local binding");
    fcg_out_printf(o, "\n");
    fcg_out_commentf(o,
                     "Opens a channel that runs the calls of %s on the handlers `h`, in the "
                     "calling thread, encoding and decoding as a remote call would (see "
                     "ferry_local_open()). Close it with ferry_channel_close(); `h` must outlive "
                     "it.",
                     svc->full_name);
    local_open_fn(o, svc, ");\n");
}

void fcg_local_define(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "local binding");
    fcg_out_printf(o, "\n");
    local_open_fn(o, svc, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "ferry_service_impl impl;\n");
    fcg_out_printf(o, "%s(&impl, h, user);\n", svc->c.impl);
    fcg_out_printf(o, "return ferry_local_open(out, &impl);\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}
