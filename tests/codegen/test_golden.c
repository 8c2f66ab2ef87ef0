/* test_golden.c - the golden IDL's generated code, compiled with -Werror:
 * its descriptor must hold exactly what echo.proto declares -- the escaped
 * strings reading back byte for byte -- and its stubs must call through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "echo.ferry.h"

static const ferry_method *method(unsigned i)
{
    assert_true(i < echo_v1_echo_desc.n_methods);
    const ferry_method *m = &echo_v1_echo_desc.methods[i];
    assert_int_equal(m->index, i);
    assert_ptr_equal(m->service, &echo_v1_echo_desc);
    return m;
}

static void test_service(void **state)
{
    (void)state;
    assert_string_equal(echo_v1_echo_desc.name, "Echo");
    assert_string_equal(echo_v1_echo_desc.full_name, "echo.v1.Echo");
    assert_string_equal(echo_v1_echo_desc.package, "echo.v1");
    assert_string_equal(echo_v1_echo_desc.source, "echo.proto");
    assert_int_equal(echo_v1_echo_desc.api_version, 3); /* the service's, not the file's 2 */
    assert_int_equal(echo_v1_echo_desc.n_methods, ECHO_V1_ECHO_N_METHODS);
    assert_int_equal(ECHO_V1_ECHO_N_METHODS, 4);
    assert_ptr_equal(ferry_service_find_method(&echo_v1_echo_desc, "echo.v1.Echo/Shout"),
                     method(ECHO_V1_ECHO_SHOUT));
}

static void test_say(void **state)
{
    (void)state;
    const ferry_method *m = method(ECHO_V1_ECHO_SAY);
    assert_string_equal(m->name, "Say");
    assert_string_equal(m->full_name, "echo.v1.Echo/Say");
    assert_ptr_equal(m->input, &echo__v1__say_request__descriptor);
    assert_ptr_equal(m->output, &echo__v1__say__reply__descriptor);
    assert_int_equal(m->opts.since, 1);
    assert_true(m->opts.idempotent);
    assert_true(m->opts.read_only);
    assert_int_equal(m->opts.deadline_ms, 250);
    assert_int_equal(m->opts.fallback, FERRY_FALLBACK_NONE);
    assert_null(m->opts.fallback_default);
    assert_null(m->opts.fallback_default_pb);
    assert_int_equal(m->opts.fallback_default_len, 0);
    assert_int_equal(m->opts.n_roles, 0);
    assert_int_equal(m->opts.id, 1);
}

static void test_shout_strings_read_back(void **state)
{
    (void)state;
    const ferry_method *m = method(ECHO_V1_ECHO_SHOUT);
    assert_int_equal(m->opts.since, 2);
    assert_false(m->opts.idempotent);
    assert_int_equal(m->opts.fallback, FERRY_FALLBACK_DEFAULT);
    /* As echo.proto wrote it, quotes, newline, tab, UTF-8 and trigraph. */
    assert_string_equal(m->opts.fallback_default,
                        "text: \"unavailable \\\"*/\\\"\"\n# caf\xc3\xa9\t?\?/ end");
    /* The text encoded by the generator, as the runtime unpacks it. */
    assert_non_null(m->opts.fallback_default_pb);
    Echo__V1__SayReply *reply = echo__v1__say__reply__unpack(NULL, m->opts.fallback_default_len,
                                                             m->opts.fallback_default_pb);
    assert_non_null(reply);
    assert_string_equal(reply->text, "unavailable \"*/\"");
    echo__v1__say__reply__free_unpacked(reply, NULL);
    assert_int_equal(m->opts.n_roles, 2);
    assert_string_equal(m->opts.roles[0], "admin");
    assert_string_equal(m->opts.roles[1], "ops.night-shift");
    assert_int_equal(m->opts.id, 2);
}

static void test_forget_and_replay(void **state)
{
    (void)state;
    const ferry_method *m = method(ECHO_V1_ECHO_FORGET);
    assert_ptr_equal(m->input, &echo__v1__memory__entry__descriptor);
    assert_ptr_equal(m->output, &echo__v1__memory__entry__receipt__descriptor);
    assert_int_equal(m->opts.deprecated_since, 3);
    assert_int_equal(m->opts.fallback, FERRY_FALLBACK_EMPTY);

    /* idempotency_level = NO_SIDE_EFFECTS makes it idempotent and read-only. */
    m = method(ECHO_V1_ECHO_REPLAY_HTTPLOG);
    assert_string_equal(m->name, "ReplayHTTPLog");
    assert_true(m->opts.idempotent);
    assert_true(m->opts.read_only);
    assert_int_equal(m->opts.since, 1);
}

static int user_marker;

static ferry_status say(void *user, ferry_call *call, const Echo__V1__SayRequest *req,
                        Echo__V1__SayReply *resp)
{
    (void)call;
    assert_ptr_equal(user, &user_marker);
    resp->text = (char *)req->text; /* the request outlives the reply */
    return FERRY_OK;
}

static void test_local_calls(void **state)
{
    (void)state;
    static const echo_v1_echo_handlers handlers = {.say = say};
    ferry_channel *ch = NULL;
    assert_int_equal(echo_v1_echo_local_open(&ch, &handlers, &user_marker), FERRY_OK);

    Echo__V1__SayRequest req = ECHO__V1__SAY_REQUEST__INIT;
    req.text = "hello";
    Echo__V1__SayReply *resp = NULL;
    assert_int_equal(echo_v1_echo_say(ch, &req, &resp, NULL), FERRY_OK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "hello");
    ferry_message_free(&resp->base);

    /* No handler: unimplemented, with the generated message. */
    ferry_call_info info;
    const ferry_call_opts opts = {.info = &info};
    resp = (Echo__V1__SayReply *)&req; /* must be reset to NULL */
    assert_int_equal(echo_v1_echo_shout(ch, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
    assert_null(resp);
    assert_string_equal(info.message,
                        "method echo.v1.Echo/Shout is not implemented by this server");

    /* Bad arguments reach the runtime's checks, not a crash. */
    assert_int_equal(echo_v1_echo_say(ch, NULL, &resp, NULL), FERRY_INVALID_ARGUMENT);
    assert_int_equal(echo_v1_echo_say(ch, &req, NULL, NULL), FERRY_INVALID_ARGUMENT);
    assert_int_equal(echo_v1_echo_say_async(ch, &req, NULL, NULL, NULL), FERRY_INVALID_ARGUMENT);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_say),
        cmocka_unit_test(test_shout_strings_read_back),
        cmocka_unit_test(test_forget_and_replay),
        cmocka_unit_test(test_local_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
