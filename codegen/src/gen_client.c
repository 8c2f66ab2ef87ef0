/* gen_client.c - the client backend: one synchronous and one asynchronous
 * typed function per method, both calling through a ferry_channel, and the
 * trampoline that hands an async response to the typed callback. */
#include "gen.h"

static const char *fallback_text(int fallback)
{
    switch (fallback) {
    case 1:
        return "an empty response";
    case 2:
        return "the IDL's default response";
    case 3:
        return "the registered callback";
    default:
        return "none";
    }
}

/* The method's doc: its options in a line, then its IDL comment. */
static void method_doc(fcg_out *o, const fcg_method *m)
{
    const fcg_method_opts *opts = &m->opts;
    fcg_out t;
    fcg_out_init(&t);
    fcg_out_printf(&t, "%s: since API version %u", m->name, (unsigned)opts->since);
    if (opts->deprecated_since != 0)
        fcg_out_printf(&t, ", deprecated since %u", (unsigned)opts->deprecated_since);
    else if (opts->deprecated)
        fcg_out_printf(&t, ", deprecated");
    if (opts->idempotent)
        fcg_out_printf(&t, ", idempotent");
    if (opts->read_only)
        fcg_out_printf(&t, ", read-only");
    if (opts->deadline_ms != 0)
        fcg_out_printf(&t, ", deadline %u ms", (unsigned)opts->deadline_ms);
    if (opts->fallback != 0)
        fcg_out_printf(&t, ", fallback: %s", fallback_text(opts->fallback));
    for (size_t i = 0; i < opts->n_roles; i++) {
        const char *sep = ", ";
        if (i == 0)
            sep = opts->n_roles == 1 ? ", needs role " : ", needs roles ";
        else if (i + 1 == opts->n_roles)
            sep = " and ";
        fcg_out_printf(&t, "%s\"%s\"", sep, opts->roles[i]);
    }
    if (opts->id != 0)
        fcg_out_printf(&t, ", id %u", (unsigned)opts->id);
    fcg_out_printf(&t, ".\n%s", m->doc != NULL ? m->doc : "");
    if (t.failed)
        o->failed = 1;
    fcg_out_comment(o, t.buf);
    fcg_out_fini(&t);
}

static void sync_fn(fcg_out *o, const fcg_method *m, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status %s(", m->c.fn);
    fcg_strs_add(&p, "ferry_channel *ch");
    fcg_strs_add(&p, "const %s *req", m->input->c_name);
    fcg_strs_add(&p, "%s **resp", m->output->c_name);
    fcg_strs_add(&p, "const ferry_call_opts *opts");
    fcg_gen_params(o, &p, tail);
}

static void async_fn(fcg_out *o, const fcg_method *m, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status %s(", m->c.async_fn);
    fcg_strs_add(&p, "ferry_channel *ch");
    fcg_strs_add(&p, "const %s *req", m->input->c_name);
    fcg_strs_add(&p, "const ferry_call_opts *opts");
    fcg_strs_add(&p, "%s cb", m->c.cb_type);
    fcg_strs_add(&p, "void *arg");
    fcg_gen_params(o, &p, tail);
}

void fcg_client_declare(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "client side");
    fcg_out_printf(o, "\n");
    fcg_out_comment(o,
                    "Each method has a synchronous function: on FERRY_OK *resp is a new response "
                    "the caller frees with ferry_message_free(), else NULL. And an asynchronous "
                    "one: when it returns FERRY_OK the callback runs exactly once, on some "
                    "thread, and owns `resp` (NULL unless `st` is FERRY_OK); when it returns "
                    "anything else the callback never runs. `opts` may be NULL for the "
                    "defaults.");
    for (size_t i = 0; i < svc->n_methods; i++) {
        const fcg_method *m = &svc->methods[i];
        fcg_out_printf(o, "\n");
        method_doc(o, m);
        sync_fn(o, m, ");\n");
        fcg_strs p = {0};
        fcg_strs_add(&p, "typedef void (*%s)(", m->c.cb_type);
        fcg_strs_add(&p, "void *arg");
        fcg_strs_add(&p, "ferry_status st");
        fcg_strs_add(&p, "%s *resp", m->output->c_name);
        fcg_strs_add(&p, "const ferry_call_info *info");
        fcg_gen_params(o, &p, ");\n");
        async_fn(o, m, ");\n");
    }
}

static void define_method(fcg_out *o, const fcg_service *svc, const fcg_method *m)
{
    const char *in_base = m->input->base;
    fcg_strs p = {0};

    sync_fn(o, m, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "ProtobufCMessage *out = NULL;\n");
    fcg_strs_add(&p, "ferry_status st = ferry_channel_call(");
    fcg_strs_add(&p, "ch");
    fcg_strs_add(&p, "&%s[%s]", svc->c.methods, m->c.constant);
    fcg_strs_add(&p, "req != NULL ? &req->%s : NULL", in_base);
    fcg_strs_add(&p, "resp != NULL ? &out : NULL");
    fcg_strs_add(&p, "opts");
    fcg_gen_params(o, &p, ");\n");
    fcg_out_printf(o, "if (resp != NULL)\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "*resp = (%s *)out;\n", m->output->c_name);
    fcg_out_dedent(o);
    fcg_out_printf(o, "return st;\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n\n");

    fcg_strs_add(&p, "static void %s(", m->c.done);
    fcg_strs_add(&p, "const ferry_completion *c");
    fcg_strs_add(&p, "ferry_status st");
    fcg_strs_add(&p, "ProtobufCMessage *resp");
    fcg_strs_add(&p, "const ferry_call_info *info");
    fcg_gen_params(o, &p, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "%s cb = (%s)c->fn;\n", m->c.cb_type, m->c.cb_type);
    fcg_out_printf(o, "cb(c->arg, st, (%s *)resp, info);\n", m->output->c_name);
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n\n");

    async_fn(o, m, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "if (cb == NULL)\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "return FERRY_INVALID_ARGUMENT;\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "const ferry_completion done = {\n");
    fcg_out_indent(o);
    fcg_out_printf(o, ".invoke = %s,\n", m->c.done);
    fcg_out_printf(o, ".fn = (void (*)(void))cb,\n");
    fcg_out_printf(o, ".arg = arg,\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n");
    fcg_strs_add(&p, "return ferry_channel_call_async(");
    fcg_strs_add(&p, "ch");
    fcg_strs_add(&p, "&%s[%s]", svc->c.methods, m->c.constant);
    fcg_strs_add(&p, "req != NULL ? &req->%s : NULL", in_base);
    fcg_strs_add(&p, "opts");
    fcg_strs_add(&p, "&done");
    fcg_gen_params(o, &p, ");\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

void fcg_client_define(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "client side");
    for (size_t i = 0; i < svc->n_methods; i++) {
        fcg_out_printf(o, "\n");
        define_method(o, svc, &svc->methods[i]);
    }
}
