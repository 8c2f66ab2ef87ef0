/* test_client_mock.c - the client library's caller, tested with the
 * generated mock of the @Svc@ service: no server, every reply scripted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "@name@_client.h"
#include "@stem@.ferry-mock.h"

/* An answer from the service is FERRY_OK for the caller. */
static void test_answer_is_ok(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(@prefix@_mock_open(&ch), FERRY_OK);
    @Out@ reply = @OUT_INIT@__INIT;
    @prefix@_mock_will_return_@method@(ch, &reply);
    assert_int_equal(@name@_try_@method@(ch, NULL), FERRY_OK);
    ferry_channel_close(ch);
}

/* A failure reaches the caller with its status and message. */
static void test_failure_reaches_the_caller(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(@prefix@_mock_open(&ch), FERRY_OK);
    @prefix@_mock_will_fail_@method@(ch, FERRY_UNAVAILABLE, "the service is down");
    ferry_call_info info;
    assert_int_equal(@name@_try_@method@(ch, &info), FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "the service is down"));
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_is_ok),
        cmocka_unit_test(test_failure_reaches_the_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
