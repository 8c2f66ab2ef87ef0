/* test_user_mock.c - the generated mocks of a user's project compile and
 * work for what makes C names and messages awkward: proto2 services with
 * required fields, defaults and presence, a method named Assert (a macro
 * of <assert.h>), and a service in a file without a package. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ping.ferry-mock.h"
#include "shop/v1/ledger.ferry-mock.h"

static void test_proto2_service(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(shop_v1_ledger_mock_open(&ch), FERRY_OK);

    /* The expected request sets only what matters: the account, the amount
     * and the kind (present, though CREDIT is the default); the memo keeps
     * its default, so any memo matches. */
    Shop__V1__Money amount = SHOP__V1__MONEY__INIT;
    amount.minor_units = 1250;
    Shop__V1__Entry want_entry = SHOP__V1__ENTRY__INIT;
    want_entry.account = "cash";
    want_entry.amount = &amount;
    want_entry.has_kind = 1;
    want_entry.kind = SHOP__V1__ENTRY__KIND__CREDIT;
    Shop__V1__Entry *want_entries[] = {&want_entry};
    Shop__V1__PostRequest want = SHOP__V1__POST_REQUEST__INIT;
    want.entries = want_entries;
    want.n_entries = 1;
    shop_v1_ledger_mock_expect_post_request(ch, &want);
    Shop__V1__PostReply posted = SHOP__V1__POST_REPLY__INIT;
    posted.journal_id = 7;
    shop_v1_ledger_mock_will_return_post(ch, &posted);
    shop_v1_ledger_mock_will_fail_assert(ch, FERRY_NOT_FOUND, "no journal 7");

    Shop__V1__Entry entry = want_entry;
    entry.memo = "lunch";
    Shop__V1__Entry *entries[] = {&entry};
    Shop__V1__PostRequest req = SHOP__V1__POST_REQUEST__INIT;
    req.entries = entries;
    req.n_entries = 1;
    Shop__V1__PostReply *resp = NULL;
    assert_int_equal(shop_v1_ledger_post(ch, &req, &resp, NULL), FERRY_OK);
    assert_int_equal(resp->journal_id, 7);
    assert_false(resp->has_balance_minor);
    assert_int_equal(resp->balance_minor, -1); /* the proto2 default survives the copy */
    ferry_message_free(&resp->base);

    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(shop_v1_ledger_assert(ch, &posted, &resp, &opts), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no journal 7");

    /* Presence decides for proto2: a kind not sent does not match. */
    char why[128];
    entry.has_kind = 0;
    assert_false(ferry_mock_match(&req.base, &want.base, why, sizeof why));
    assert_string_equal(why, "entries[0].kind is not set, expected CREDIT");
    ferry_channel_close(ch);
}

static ferry_status pong(void *arg, ferry_call *call, const PingRequest *req, PingReply *resp)
{
    (void)arg;
    (void)call;
    resp->payload = req->payload;
    resp->hops = 1;
    return FERRY_OK;
}

static void test_service_without_a_package(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(pinger_mock_open(&ch), FERRY_OK);
    pinger_mock_will_call_ping(ch, pong, NULL);
    uint8_t bytes[] = {1, 2, 3};
    PingRequest req = PING_REQUEST__INIT;
    req.payload.data = bytes;
    req.payload.len = sizeof bytes;
    PingReply *resp = NULL;
    assert_int_equal(pinger_ping(ch, &req, &resp, NULL), FERRY_OK);
    assert_int_equal(resp->hops, 1);
    assert_int_equal(resp->payload.len, 3);
    assert_memory_equal(resp->payload.data, bytes, 3);
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto2_service),
        cmocka_unit_test(test_service_without_a_package),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
