/* gen_dispatch.c - the dispatcher backend: P_DISPATCH_ENV, the variable the
 * routes of a service come from, and P_dispatcher_open(), a dispatcher over
 * the local binding and a remote channel (ferry/dispatch.h). */
#include "gen.h"

static void dispatcher_open_fn(fcg_out *o, const fcg_service *svc, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status %s(", svc->c.dispatcher_open);
    fcg_strs_add(&p, "ferry_channel **out");
    fcg_strs_add(&p, "const %s *h", svc->c.handlers);
    fcg_strs_add(&p, "void *user");
    fcg_strs_add(&p, "ferry_channel *remote");
    fcg_strs_add(&p, "const ferry_dispatch_opts *opts");
    fcg_gen_params(o, &p, tail);
}

void fcg_dispatch_declare(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "dispatcher");
    fcg_out_printf(o, "\n");
    fcg_out_commentf(o,
                     "The environment variable whose routes %s() applies, e.g. "
                     "%s=\"shadow,%s=local\" (ferry/dispatch.h has the syntax).",
                     svc->c.dispatcher_open, svc->c.dispatch_env_value,
                     svc->n_methods > 0 ? svc->methods[0].name : "Method");
    fcg_out_printf(o, "#define %s \"%s\"\n\n", svc->c.dispatch_env, svc->c.dispatch_env_value);
    fcg_out_commentf(o,
                     "Opens a dispatcher (ferry_dispatcher_open()) that routes each call of %s to "
                     "the handlers `h` in process (as %s() runs them) or to `remote`, method by "
                     "method, by the routes in %s, else opts->spec, else every method local. "
                     "opts->env_name, when set, names another variable; `opts` may be NULL. On "
                     "FERRY_OK the dispatcher owns `remote` and closes it with itself; otherwise "
                     "the caller still owns it and ferry_last_error() says what was wrong. Once "
                     "every method runs remote, replace the dispatcher by `remote` itself: the "
                     "call sites stay as they are.",
                     svc->full_name, svc->c.local_open, svc->c.dispatch_env);
    dispatcher_open_fn(o, svc, ");\n");
}

void fcg_dispatch_define(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "dispatcher");
    fcg_out_printf(o, "\n");
    dispatcher_open_fn(o, svc, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "ferry_dispatch_opts o = {0};\n");
    fcg_out_printf(o, "if (opts != NULL)\n");
    fcg_out_printf(o, "    o = *opts;\n");
    fcg_out_printf(o, "if (o.env_name == NULL)\n");
    fcg_out_printf(o, "    o.env_name = %s;\n", svc->c.dispatch_env);
    fcg_out_printf(o, "if (out != NULL)\n");
    fcg_out_printf(o, "    *out = NULL;\n");
    fcg_out_printf(o, "ferry_channel *local = NULL;\n");
    fcg_out_printf(o, "ferry_status st = %s(&local, h, user);\n", svc->c.local_open);
    fcg_out_printf(o, "if (st != FERRY_OK)\n");
    fcg_out_printf(o, "    return st;\n");
    fcg_out_printf(o, "st = ferry_dispatcher_open(out, &%s, local, remote, &o);\n", svc->c.desc);
    fcg_out_printf(o, "if (st != FERRY_OK)\n");
    fcg_out_printf(o, "    ferry_channel_close(local);\n");
    fcg_out_printf(o, "return st;\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}
