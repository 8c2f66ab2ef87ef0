/* test_ping.c - a service from a .proto without a package: generated as
 * pinger_..., compiled with -Werror and called through the local binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ping.ferry.h"

static ferry_status ping(void *user, ferry_call *call, const PingRequest *req, PingReply *resp)
{
    (void)user;
    (void)call;
    resp->payload = req->payload;
    resp->hops = 1;
    return FERRY_OK;
}

static void test_ping_without_package(void **state)
{
    (void)state;
    assert_string_equal(pinger_desc.full_name, "Pinger");
    assert_string_equal(pinger_desc.package, "");
    assert_string_equal(pinger_desc.methods[PINGER_PING].full_name, "Pinger/Ping");
    assert_int_equal(pinger_desc.api_version, 1);

    static const pinger_handlers handlers = {.ping = ping};
    ferry_channel *ch = NULL;
    assert_int_equal(pinger_local_open(&ch, &handlers, NULL), FERRY_OK);
    uint8_t bytes[] = {0, 1, 2, 0xff};
    PingRequest req = PING_REQUEST__INIT;
    req.payload.data = bytes;
    req.payload.len = sizeof bytes;
    PingReply *resp = NULL;
    assert_int_equal(pinger_ping(ch, &req, &resp, NULL), FERRY_OK);
    assert_int_equal(resp->hops, 1);
    assert_int_equal(resp->payload.len, sizeof bytes);
    assert_memory_equal(resp->payload.data, bytes, sizeof bytes);
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_without_package),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
