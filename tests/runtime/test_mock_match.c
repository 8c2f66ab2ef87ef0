/* test_mock_match.c - ferry_mock_match(), which the mock's expected requests
 * use: which fields count as set, and the field path each mismatch names.
 * The inventory.v2 messages have every kind of field: strings, numbers, an
 * enum, bytes, nested and repeated messages, a map and a oneof. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ferry/mock.h>

#include "examples/inventory/v2/inventory.pb-c.h"

/* Asserts that `msg` does not match `want`, with exactly `why`. */
static void assert_mismatch(const ProtobufCMessage *msg, const ProtobufCMessage *want,
                            const char *why)
{
    char got[256];
    assert_false(ferry_mock_match(msg, want, got, sizeof got));
    assert_string_equal(got, why);
}

static void test_unset_fields_match_anything(void **state)
{
    (void)state;
    Inventory__V2__Item want = INVENTORY__V2__ITEM__INIT;
    Inventory__V2__Item item = INVENTORY__V2__ITEM__INIT;
    item.sku = "HAM-16";
    item.quantity = 12;
    item.category = INVENTORY__V2__CATEGORY__CATEGORY_TOOLS;
    char why[64] = "untouched";
    assert_true(ferry_mock_match(&item.base, &want.base, why, sizeof why));
    assert_string_equal(why, "");
    /* A NULL `want` matches everything; a NULL reason buffer is allowed. */
    assert_true(ferry_mock_match(&item.base, NULL, NULL, 0));
    want.sku = "HAM-16";
    assert_true(ferry_mock_match(&item.base, &want.base, NULL, 0));
}

static void test_scalars_strings_enums_bytes(void **state)
{
    (void)state;
    Inventory__V2__Item want = INVENTORY__V2__ITEM__INIT;
    Inventory__V2__Item item = INVENTORY__V2__ITEM__INIT;
    item.sku = "NOPE-1";
    want.sku = "HAM-16";
    assert_mismatch(&item.base, &want.base, "sku is \"NOPE-1\", expected \"HAM-16\"");

    want = (Inventory__V2__Item)INVENTORY__V2__ITEM__INIT;
    want.quantity = 2;
    item.quantity = 3;
    assert_mismatch(&item.base, &want.base, "quantity is 3, expected 2");
    item.quantity = 0;
    assert_mismatch(&item.base, &want.base, "quantity is 0, expected 2");

    want = (Inventory__V2__Item)INVENTORY__V2__ITEM__INIT;
    want.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
    item.category = INVENTORY__V2__CATEGORY__CATEGORY_KITCHEN;
    assert_mismatch(&item.base, &want.base,
                    "category is CATEGORY_KITCHEN, expected CATEGORY_GARDEN");

    want = (Inventory__V2__Item)INVENTORY__V2__ITEM__INIT;
    uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 4};
    want.thumbnail = (ProtobufCBinaryData){.len = 3, .data = a};
    item.thumbnail = (ProtobufCBinaryData){.len = 3, .data = b};
    assert_mismatch(&item.base, &want.base, "thumbnail differs from the 3 bytes expected");
    item.thumbnail.len = 2;
    assert_mismatch(&item.base, &want.base, "thumbnail is 2 bytes, expected 3 bytes");
    item.thumbnail = want.thumbnail;
    assert_true(ferry_mock_match(&item.base, &want.base, NULL, 0));
}

static void test_nested_messages_by_path(void **state)
{
    (void)state;
    Inventory__V2__Money want_money = INVENTORY__V2__MONEY__INIT;
    want_money.currency = "EUR";
    Inventory__V2__Price want_price = INVENTORY__V2__PRICE__INIT;
    want_price.amount = &want_money;
    Inventory__V2__Item want = INVENTORY__V2__ITEM__INIT;
    want.price = &want_price;

    Inventory__V2__Item item = INVENTORY__V2__ITEM__INIT;
    assert_mismatch(&item.base, &want.base, "price is not set, expected a message");

    Inventory__V2__Money money = INVENTORY__V2__MONEY__INIT;
    money.currency = "USD";
    money.minor_units = 1299; /* not in `want`: ignored */
    Inventory__V2__Price price = INVENTORY__V2__PRICE__INIT;
    price.amount = &money;
    item.price = &price;
    assert_mismatch(&item.base, &want.base, "price.amount.currency is \"USD\", expected \"EUR\"");
    money.currency = "EUR";
    assert_true(ferry_mock_match(&item.base, &want.base, NULL, 0));
}

static void test_repeated_fields_entry_by_entry(void **state)
{
    (void)state;
    Inventory__V2__ReserveRequest__Line w1 = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    Inventory__V2__ReserveRequest__Line w2 = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    w1.sku = "HAM-16";
    w1.quantity = 2;
    w2.sku = "KNF-CHF";
    w2.quantity = 1;
    Inventory__V2__ReserveRequest__Line *wl[] = {&w1, &w2};
    Inventory__V2__ReserveRequest want = INVENTORY__V2__RESERVE_REQUEST__INIT;
    want.lines = wl;
    want.n_lines = 2;

    Inventory__V2__ReserveRequest__Line g1 = w1, g2 = w2;
    Inventory__V2__ReserveRequest__Line *gl[] = {&g1, &g2};
    Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
    req.order_id = "order-1";
    req.lines = gl;
    req.n_lines = 1;
    assert_mismatch(&req.base, &want.base, "lines has 1 entry, expected 2");
    req.n_lines = 2;
    g2.quantity = 3;
    assert_mismatch(&req.base, &want.base, "lines[1].quantity is 3, expected 1");
    g2.quantity = 1;
    assert_true(ferry_mock_match(&req.base, &want.base, NULL, 0));

    Inventory__V2__Item wi = INVENTORY__V2__ITEM__INIT, gi = INVENTORY__V2__ITEM__INIT;
    char *wt[] = {"steel", "heavy"}, *gt[] = {"steel", "light"};
    wi.tags = wt;
    wi.n_tags = 2;
    gi.tags = gt;
    gi.n_tags = 2;
    assert_mismatch(&gi.base, &wi.base, "tags[1] is \"light\", expected \"heavy\"");

    /* A map is a repeated field of entries. */
    Inventory__V2__Item__AttributesEntry we = INVENTORY__V2__ITEM__ATTRIBUTES_ENTRY__INIT;
    Inventory__V2__Item__AttributesEntry ge = INVENTORY__V2__ITEM__ATTRIBUTES_ENTRY__INIT;
    we.key = ge.key = "weight";
    we.value = "450 g";
    ge.value = "500 g";
    Inventory__V2__Item__AttributesEntry *wa[] = {&we}, *ga[] = {&ge};
    wi = (Inventory__V2__Item)INVENTORY__V2__ITEM__INIT;
    gi = (Inventory__V2__Item)INVENTORY__V2__ITEM__INIT;
    wi.attributes = wa;
    wi.n_attributes = 1;
    gi.attributes = ga;
    gi.n_attributes = 1;
    assert_mismatch(&gi.base, &wi.base, "attributes[0].value is \"500 g\", expected \"450 g\"");
}

static void test_oneof_members(void **state)
{
    (void)state;
    Inventory__V2__ReserveReply want = INVENTORY__V2__RESERVE_REPLY__INIT;
    want.result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID;
    want.reservation_id = "R-1";

    Inventory__V2__ReserveReply__Shortage short_ = INVENTORY__V2__RESERVE_REPLY__SHORTAGE__INIT;
    short_.sku = "DRL-CRD";
    Inventory__V2__ReserveReply got = INVENTORY__V2__RESERVE_REPLY__INIT;
    got.result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE;
    got.shortage = &short_;
    assert_mismatch(&got.base, &want.base, "reservation_id is not set, expected \"R-1\"");

    got.result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID;
    got.reservation_id = "R-2";
    assert_mismatch(&got.base, &want.base, "reservation_id is \"R-2\", expected \"R-1\"");

    /* A oneof member holding its zero value is still set: presence counts. */
    Inventory__V2__Item wi = INVENTORY__V2__ITEM__INIT, gi = INVENTORY__V2__ITEM__INIT;
    wi.availability_case = INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK;
    wi.in_stock = 0;
    assert_mismatch(&gi.base, &wi.base, "in_stock is not set, expected false");
    gi.availability_case = INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK;
    gi.in_stock = 0;
    assert_true(ferry_mock_match(&gi.base, &wi.base, NULL, 0));
}

static void test_other_types_and_truncated_reasons(void **state)
{
    (void)state;
    Inventory__V2__Item want = INVENTORY__V2__ITEM__INIT;
    Inventory__V2__Money money = INVENTORY__V2__MONEY__INIT;
    assert_mismatch(&money.base, &want.base,
                    "the message is of type inventory.v2.Money, expected inventory.v2.Item");
    assert_false(ferry_mock_match(NULL, &want.base, NULL, 0));

    want.name = "a long name that will not fit in the reason buffer at all";
    Inventory__V2__Item item = INVENTORY__V2__ITEM__INIT;
    item.name = "x";
    char why[16];
    assert_false(ferry_mock_match(&item.base, &want.base, why, sizeof why));
    assert_int_equal(strlen(why), sizeof why - 1);
    assert_memory_equal(why, "name is \"x\", ex", sizeof why - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_fields_match_anything),
        cmocka_unit_test(test_scalars_strings_enums_bytes),
        cmocka_unit_test(test_nested_messages_by_path),
        cmocka_unit_test(test_repeated_fields_entry_by_entry),
        cmocka_unit_test(test_oneof_members),
        cmocka_unit_test(test_other_types_and_truncated_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
