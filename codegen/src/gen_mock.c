/* gen_mock.c - the test doubles backend: <stem>.ferry-mock.h and .c, typed
 * wrappers over the runtime's mock (ferry/mock.h) and fake server
 * (ferry/fake.h). Per service an open and a fake-start function; per method
 * a check type and an answer type, the static glue that calls them from the
 * runtime's untyped side, and one function per thing a test can queue.
 * What a test calls are macros over those functions that add the caller's
 * __FILE__ and __LINE__, so that a failure names the test's line. */
#include <string.h>

#include "gen.h"
#include "names.h"

/* "#define name(a, b) name_at((a), (b), __FILE__, __LINE__)", on two lines. */
static void at_macro(fcg_out *o, const char *name, const char *const *args, size_t n)
{
    fcg_out_printf(o, "#define %s(", name);
    for (size_t i = 0; i < n; i++)
        fcg_out_printf(o, "%s%s", i > 0 ? ", " : "", args[i]);
    fcg_out_printf(o, ") \\\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "%s%s(", name, FCG_AT_SUFFIX);
    for (size_t i = 0; i < n; i++)
        fcg_out_printf(o, "(%s), ", args[i]);
    fcg_out_printf(o, "__FILE__, __LINE__)\n");
    fcg_out_dedent(o);
}

/* ---- declarations (and the signatures definitions repeat) ---- */

static void mock_open_fn(fcg_out *o, const fcg_service *svc, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status %s%s(", svc->c.mock_open, FCG_AT_SUFFIX);
    fcg_strs_add(&p, "ferry_channel **out");
    fcg_strs_add(&p, "const char *file");
    fcg_strs_add(&p, "int line");
    fcg_gen_params(o, &p, tail);
}

static void fake_start_fn(fcg_out *o, const fcg_service *svc, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "ferry_status %s(", svc->c.fake_start);
    fcg_strs_add(&p, "ferry_fake **out");
    fcg_strs_add(&p, "const %s *h", svc->c.handlers);
    fcg_strs_add(&p, "void *user");
    fcg_gen_params(o, &p, tail);
}

/* Which queueing function of a method. */
enum queue_fn { EXPECT, EXPECT_REQUEST, WILL_RETURN, WILL_FALL_BACK, WILL_FAIL, WILL_CALL };

/* The parameters of each, before file and line: the macro's arguments. */
static const struct {
    const char *args[3];
    size_t n;
} queue_args[] = {
    [EXPECT] = {{"ch", "check", "arg"}, 3}, [EXPECT_REQUEST] = {{"ch", "want"}, 2},
    [WILL_RETURN] = {{"ch", "resp"}, 2},    [WILL_FALL_BACK] = {{"ch", "resp", "why"}, 3},
    [WILL_FAIL] = {{"ch", "st", "msg"}, 3}, [WILL_CALL] = {{"ch", "fn", "arg"}, 3},
};

/* The macro's name. */
static const char *queue_name(const fcg_method *m, enum queue_fn which)
{
    switch (which) {
    case EXPECT:
        return m->c.mock_expect;
    case EXPECT_REQUEST:
        return m->c.mock_expect_req;
    case WILL_RETURN:
        return m->c.mock_will_return;
    case WILL_FALL_BACK:
        return m->c.mock_will_fall_back;
    case WILL_FAIL:
        return m->c.mock_will_fail;
    case WILL_CALL:
        break;
    }
    return m->c.mock_will_call;
}

/* The function behind the macro: its head and parameters, then `tail`. */
static void queue_fn(fcg_out *o, const fcg_method *m, enum queue_fn which, const char *tail)
{
    fcg_strs p = {0};
    fcg_strs_add(&p, "void %s%s(", queue_name(m, which), FCG_AT_SUFFIX);
    fcg_strs_add(&p, "ferry_channel *ch");
    switch (which) {
    case EXPECT:
        fcg_strs_add(&p, "%s check", m->c.mock_check);
        fcg_strs_add(&p, "void *arg");
        break;
    case EXPECT_REQUEST:
        fcg_strs_add(&p, "const %s *want", m->input->c_name);
        break;
    case WILL_RETURN:
        fcg_strs_add(&p, "const %s *resp", m->output->c_name);
        break;
    case WILL_FALL_BACK:
        fcg_strs_add(&p, "const %s *resp", m->output->c_name);
        fcg_strs_add(&p, "const char *why");
        break;
    case WILL_FAIL:
        fcg_strs_add(&p, "ferry_status st");
        fcg_strs_add(&p, "const char *msg");
        break;
    case WILL_CALL:
        fcg_strs_add(&p, "%s fn", m->c.mock_fn);
        fcg_strs_add(&p, "void *arg");
        break;
    }
    fcg_strs_add(&p, "const char *file");
    fcg_strs_add(&p, "int line");
    fcg_gen_params(o, &p, tail);
}

static void declare_method(fcg_out *o, const fcg_method *m)
{
    fcg_out_printf(o, "\n");
    fcg_out_commentf(o, "%s (%s)", m->name, m->full_name);
    fcg_strs p = {0};
    fcg_strs_add(&p, "typedef bool (*%s)(", m->c.mock_check);
    fcg_strs_add(&p, "void *arg");
    fcg_strs_add(&p, "const %s *req", m->input->c_name);
    fcg_strs_add(&p, "char *why");
    fcg_strs_add(&p, "size_t why_len");
    fcg_gen_params(o, &p, ");\n");
    fcg_strs_add(&p, "typedef ferry_status (*%s)(", m->c.mock_fn);
    fcg_strs_add(&p, "void *arg");
    fcg_strs_add(&p, "ferry_call *call");
    fcg_strs_add(&p, "const %s *req", m->input->c_name);
    fcg_strs_add(&p, "%s *resp", m->output->c_name);
    fcg_gen_params(o, &p, ");\n");
    for (int which = EXPECT; which <= WILL_CALL; which++) {
        queue_fn(o, m, (enum queue_fn)which, ");\n");
        at_macro(o, queue_name(m, (enum queue_fn)which), queue_args[which].args,
                 queue_args[which].n);
    }
}

static void declare_service(fcg_out *o, const fcg_service *svc)
{
    const fcg_service_names *c = &svc->c;
    fcg_gen_section(o, "mock");
    fcg_out_printf(o, "\n");
    fcg_out_commentf(o,
                     "Opens a mock channel (ferry_mock_open()) for calls of %s. The test "
                     "queues, per method, what the calls must look like and what they get "
                     "back; close the channel with ferry_channel_close(), which fails the test "
                     "when something queued was not used (ferry_mock_verify()).",
                     svc->full_name);
    mock_open_fn(o, svc, ");\n");
    static const char *const out_arg[] = {"out"};
    at_macro(o, c->mock_open, out_arg, 1);
    fcg_out_printf(o, "\n");
    fcg_out_commentf(
        o,
        "With P = %s and M a method's name in lower_snake_case, a test queues on a mock "
        "channel `ch` (ferry/mock.h has the rules):\n"
        "  P_mock_expect_M(ch, check, arg)    a call whose request `check` accepts (NULL: any)\n"
        "  P_mock_expect_M_request(ch, want)  a call whose request has the fields `want` sets\n"
        "  P_mock_will_return_M(ch, resp)     answer a call: FERRY_OK, a copy of `resp`\n"
        "  P_mock_will_fall_back_M(ch, resp, why)  FERRY_FALLBACK, a copy of `resp`\n"
        "  P_mock_will_fail_M(ch, st, msg)    the error `st`, `msg` in info.message\n"
        "  P_mock_will_call_M(ch, fn, arg)    run `fn` as the method's handler\n"
        "ferry_mock_times(ch, n) makes the last one count for n calls. A check returns true "
        "for a good request, else false after writing why into `why`. An answer function has "
        "a handler's shape, so a real handler fits. Each is a macro that passes the caller's "
        "__FILE__ and __LINE__ to the function of its name with \"_at\" appended, so that a "
        "failure names the test's line.",
        c->prefix);
    for (size_t i = 0; i < svc->n_methods; i++)
        declare_method(o, &svc->methods[i]);

    fcg_gen_section(o, "fake server");
    fcg_out_printf(o, "\n");
    fcg_out_commentf(o,
                     "Serves %s with the handlers `h` (which get `user`) on a fresh inproc:// "
                     "address and opens a channel to it: ferry_fake_start() with %s(). Call "
                     "through ferry_fake_channel(*out); stop with ferry_fake_stop(). `h` must "
                     "outlive the fake.",
                     svc->full_name, c->impl);
    fake_start_fn(o, svc, ");\n");
}

void fcg_gen_mock_header(fcg_out *o, const fcg_file *f)
{
    fcg_gen_banner(o, f,
                   "Test doubles of its services: mock channels driven by cmocka (ferry/mock.h) "
                   "and fake servers (ferry/fake.h). Only tests link them: ferry_generate() "
                   "builds them as the library <TARGET>_mock.");
    fcg_out_printf(o, "#ifndef %s\n#define %s\n\n", f->mock_guard, f->mock_guard);
    fcg_out_printf(o, "#include <stdbool.h>\n#include <stddef.h>\n\n");
    fcg_out_printf(o, "#include <ferry/fake.h>\n#include <ferry/mock.h>\n\n");
    fcg_out_printf(o, "#include \"%s.ferry.h\"\n\n", f->stem);
    fcg_out_printf(o, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    for (size_t i = 0; i < f->n_services; i++) {
        const fcg_service *svc = &f->services[i];
        fcg_out_printf(o, "\n/* ==== service %s ==== */\n", svc->full_name);
        declare_service(o, svc);
    }
    fcg_out_printf(o, "\n#ifdef __cplusplus\n}\n#endif\n");
    fcg_out_printf(o, "#endif /* %s */\n", f->mock_guard);
}

/* ---- definitions ---- */

/* "type var = (type)expr;", broken after the '=' when the line would be
 * too long. */
static void cast_fn(fcg_out *o, const char *type, const char *var, const char *expr)
{
    size_t len = 4 * 1 + 2 * strlen(type) + strlen(var) + strlen(expr) + 8;
    if (len <= FCG_OUT_COLUMNS) {
        fcg_out_printf(o, "%s %s = (%s)%s;\n", type, var, type, expr);
        return;
    }
    fcg_out_printf(o, "%s %s =\n", type, var);
    fcg_out_indent(o);
    fcg_out_printf(o, "(%s)%s;\n", type, expr);
    fcg_out_dedent(o);
}

/* The static functions through which the runtime calls the typed check and
 * answer function: the runtime holds them as `void (*)(void)`. */
static void define_glue(fcg_out *o, const fcg_method *m)
{
    const char *in = m->input->c_name, *out = m->output->c_name;
    fcg_strs p = {0};
    fcg_strs_add(&p, "static bool %s(", m->c.mock_check_glue);
    fcg_strs_add(&p, "const ferry_mock_check *c");
    fcg_strs_add(&p, "const ProtobufCMessage *req");
    fcg_strs_add(&p, "char *why");
    fcg_strs_add(&p, "size_t why_len");
    fcg_gen_params(o, &p, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    cast_fn(o, m->c.mock_check, "check", "c->fn");
    fcg_strs_add(&p, "return check(");
    fcg_strs_add(&p, "c->arg");
    fcg_strs_add(&p, "(const %s *)req", in);
    fcg_strs_add(&p, "why");
    fcg_strs_add(&p, "why_len");
    fcg_gen_params(o, &p, ");\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n\n");

    fcg_strs_add(&p, "static ferry_status %s(", m->c.mock_fn_glue);
    fcg_strs_add(&p, "const ferry_mock_handler *h");
    fcg_strs_add(&p, "ferry_call *call");
    fcg_strs_add(&p, "const ProtobufCMessage *req");
    fcg_strs_add(&p, "ProtobufCMessage *resp");
    fcg_gen_params(o, &p, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    cast_fn(o, m->c.mock_fn, "fn", "h->fn");
    fcg_strs_add(&p, "return fn(");
    fcg_strs_add(&p, "h->arg");
    fcg_strs_add(&p, "call");
    fcg_strs_add(&p, "(const %s *)req", in);
    fcg_strs_add(&p, "(%s *)resp", out);
    fcg_gen_params(o, &p, ");\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

/* `{ .invoke = glue, .fn = (void (*)(void))fn_name, .arg = arg }` as the
 * const local `var` of type `type`. */
static void closure(fcg_out *o, const char *type, const char *var, const char *glue,
                    const char *fn_name)
{
    fcg_out_printf(o, "const %s %s = {\n", type, var);
    fcg_out_indent(o);
    fcg_out_printf(o, ".invoke = %s,\n", glue);
    fcg_out_printf(o, ".fn = (void (*)(void))%s,\n", fn_name);
    fcg_out_printf(o, ".arg = arg,\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n");
}

static void define_queue_fn(fcg_out *o, const fcg_method *m, enum queue_fn which)
{
    const char *in_base = m->input->base, *out_base = m->output->base;
    fcg_strs p = {0};
    fcg_out_printf(o, "\n");
    queue_fn(o, m, which, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    switch (which) {
    case EXPECT:
        closure(o, "ferry_mock_check", "c", m->c.mock_check_glue, "check");
        fcg_strs_add(&p, "ferry_mock_expect_at(");
        fcg_strs_add(&p, "ch");
        fcg_strs_add(&p, "&%s.methods[%s]", m->service->c.desc, m->c.constant);
        fcg_strs_add(&p, "check != NULL ? &c : NULL");
        break;
    case EXPECT_REQUEST:
        fcg_strs_add(&p, "ferry_mock_expect_request_at(");
        fcg_strs_add(&p, "ch");
        fcg_strs_add(&p, "&%s.methods[%s]", m->service->c.desc, m->c.constant);
        fcg_strs_add(&p, "want != NULL ? &want->%s : NULL", in_base);
        break;
    case WILL_RETURN:
        fcg_strs_add(&p, "ferry_mock_will_return_at(");
        fcg_strs_add(&p, "ch");
        fcg_strs_add(&p, "&%s.methods[%s]", m->service->c.desc, m->c.constant);
        fcg_strs_add(&p, "resp != NULL ? &resp->%s : NULL", out_base);
        break;
    case WILL_FALL_BACK:
        fcg_strs_add(&p, "ferry_mock_will_fall_back_at(");
        fcg_strs_add(&p, "ch");
        fcg_strs_add(&p, "&%s.methods[%s]", m->service->c.desc, m->c.constant);
        fcg_strs_add(&p, "resp != NULL ? &resp->%s : NULL", out_base);
        fcg_strs_add(&p, "why");
        break;
    case WILL_FAIL:
        fcg_strs_add(&p, "ferry_mock_will_fail_at(");
        fcg_strs_add(&p, "ch");
        fcg_strs_add(&p, "&%s.methods[%s]", m->service->c.desc, m->c.constant);
        fcg_strs_add(&p, "st");
        fcg_strs_add(&p, "msg");
        break;
    case WILL_CALL:
        closure(o, "ferry_mock_handler", "h", m->c.mock_fn_glue, "fn");
        fcg_strs_add(&p, "ferry_mock_will_call_at(");
        fcg_strs_add(&p, "ch");
        fcg_strs_add(&p, "&%s.methods[%s]", m->service->c.desc, m->c.constant);
        fcg_strs_add(&p, "fn != NULL ? &h : NULL");
        break;
    }
    fcg_strs_add(&p, "file");
    fcg_strs_add(&p, "line");
    fcg_gen_params(o, &p, ");\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

static void define_service(fcg_out *o, const fcg_service *svc)
{
    fcg_gen_section(o, "mock");
    fcg_out_printf(o, "\n");
    mock_open_fn(o, svc, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "return ferry_mock_open_at(out, file, line);\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
    for (size_t i = 0; i < svc->n_methods; i++) {
        const fcg_method *m = &svc->methods[i];
        fcg_out_printf(o, "\n");
        fcg_out_commentf(o, "%s (%s)", m->name, m->full_name);
        fcg_out_printf(o, "\n");
        define_glue(o, m);
        for (int which = EXPECT; which <= WILL_CALL; which++)
            define_queue_fn(o, m, (enum queue_fn)which);
    }

    fcg_gen_section(o, "fake server");
    fcg_out_printf(o, "\n");
    fake_start_fn(o, svc, ")\n");
    fcg_out_printf(o, "{\n");
    fcg_out_indent(o);
    fcg_out_printf(o, "ferry_service_impl impl;\n");
    fcg_out_printf(o, "%s(&impl, h, user);\n", svc->c.impl);
    fcg_out_printf(o, "return ferry_fake_start(out, &impl, 1, NULL);\n");
    fcg_out_dedent(o);
    fcg_out_printf(o, "}\n");
}

void fcg_gen_mock_source(fcg_out *o, const fcg_file *f)
{
    fcg_gen_banner(o, f, NULL);
    fcg_out_printf(o, "#include \"%s.ferry-mock.h\"\n", f->stem);
    for (size_t i = 0; i < f->n_services; i++) {
        const fcg_service *svc = &f->services[i];
        fcg_out_printf(o, "\n/* ==== service %s ==== */\n", svc->full_name);
        define_service(o, svc);
    }
}
