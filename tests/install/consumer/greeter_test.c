/* greeter_test.c - a cmocka test in the user's project: the generated mock
 * and fake server from the installed ferry::mock, through greeter_gen_mock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "greeter/v1/greeter.ferry-mock.h"

static void test_mock(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(greeter_v1_greeter_mock_open(&ch), FERRY_OK);
    Greeter__V1__HelloRequest want = GREETER__V1__HELLO_REQUEST__INIT;
    want.name = "ferry";
    greeter_v1_greeter_mock_expect_hello_request(ch, &want);
    Greeter__V1__HelloReply canned = GREETER__V1__HELLO_REPLY__INIT;
    canned.greeting = "hi from the mock";
    greeter_v1_greeter_mock_will_return_hello(ch, &canned);

    Greeter__V1__HelloReply *resp = NULL;
    assert_int_equal(greeter_v1_greeter_hello(ch, &want, &resp, NULL), FERRY_OK);
    assert_string_equal(resp->greeting, "hi from the mock");
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

static ferry_status hello(void *user, ferry_call *call, const Greeter__V1__HelloRequest *req,
                          Greeter__V1__HelloReply *resp)
{
    (void)user;
    (void)req;
    resp->greeting = ferry_call_strdup(call, "hi from the fake");
    return FERRY_OK;
}

static void test_fake(void **state)
{
    (void)state;
    static const greeter_v1_greeter_handlers handlers = {.hello = hello};
    ferry_fake *fake = NULL;
    assert_int_equal(greeter_v1_greeter_fake_start(&fake, &handlers, NULL), FERRY_OK);
    Greeter__V1__HelloRequest req = GREETER__V1__HELLO_REQUEST__INIT;
    Greeter__V1__HelloReply *resp = NULL;
    assert_int_equal(greeter_v1_greeter_hello(ferry_fake_channel(fake), &req, &resp, NULL),
                     FERRY_OK);
    assert_string_equal(resp->greeting, "hi from the fake");
    ferry_message_free(&resp->base);
    ferry_fake_stop(fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mock),
        cmocka_unit_test(test_fake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
