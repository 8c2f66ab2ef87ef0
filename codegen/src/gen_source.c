/* gen_source.c - the skeleton of <stem>.ferry.c: banner, the include of its
 * header, then each service's definitions. */
#include "gen.h"

void fcg_gen_source(fcg_out *o, const fcg_file *f)
{
    fcg_gen_banner(o, f, NULL);
    fcg_out_printf(o, "#include \"%s.ferry.h\"\n", f->stem);
    fcg_validate_define(o, f);
    fcg_reflect_define(o, f);
    for (size_t i = 0; i < f->n_services; i++) {
        const fcg_service *svc = &f->services[i];
        fcg_out_printf(o, "\n/* ==== service %s ==== */\n", svc->full_name);
        fcg_desc_define(o, svc);
        fcg_server_define(o, svc);
        fcg_client_define(o, svc);
        fcg_local_define(o, svc);
        fcg_dispatch_define(o, svc);
    }
}
