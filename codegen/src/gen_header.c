/* gen_header.c - the skeleton of <stem>.ferry.h: banner, include guard,
 * includes, the ABI check, then each service's declarations. */
#include "gen.h"

void fcg_gen_header(fcg_out *o, const fcg_file *f)
{
    fcg_gen_banner(o, f,
                   "The typed ferry API of its services: descriptors, server handler tables, "
                   "client functions, local bindings and dispatchers.");
    fcg_out_printf(o, "#ifndef %s\n#define %s\n\n", f->guard, f->guard);
    fcg_out_printf(o, "#include <ferry/ferry.h>\n\n");
    fcg_out_printf(o, "#include \"%s.pb-c.h\"\n\n", f->stem);
    fcg_out_printf(o, "#if FERRY_ABI_VERSION != %d\n", FCG_ABI_VERSION);
    fcg_out_printf(
        o, "#error \"generated for ferry ABI %d: regenerate with this ferry's protoc-gen-ferry\"\n",
        FCG_ABI_VERSION);
    fcg_out_printf(o, "#endif\n\n");
    fcg_out_printf(o, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");

    for (size_t i = 0; i < f->n_services; i++) {
        const fcg_service *svc = &f->services[i];
        fcg_out_printf(o, "\n/* ==== service %s (API version %u) ==== */\n\n", svc->full_name,
                       (unsigned)svc->api_version);
        fcg_out_comment(o, svc->doc);
        fcg_desc_declare(o, svc);
        fcg_server_declare(o, svc);
        fcg_client_declare(o, svc);
        fcg_local_declare(o, svc);
        fcg_dispatch_declare(o, svc);
    }

    fcg_out_printf(o, "\n#ifdef __cplusplus\n}\n#endif\n");
    fcg_out_printf(o, "#endif /* %s */\n", f->guard);
}
