/* test_inventory_tour_mock.c - the inventory client against the generated
 * mocks, with no server at all: the requests each step sends, what it
 * prints for the answers, and how it behaves when a call fails or falls
 * back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "examples/inventory/v1/inventory.ferry-mock.h"
#include "examples/inventory/v2/inventory.ferry-mock.h"
#include "inventory_tour.h"
#include "support.h"

static int setup(void **state)
{
    ferry_channel *ch = NULL;
    /* One mock takes the calls of both versions. */
    assert_int_equal(inventory_v2_stock_mock_open(&ch), FERRY_OK);
    *state = ch;
    return 0;
}

static int teardown(void **state)
{
    ferry_channel_close(*state); /* fails the test if a queued call did not come */
    return 0;
}

/* ---- canned data ---- */

static Inventory__V2__Money eur(int64_t cents)
{
    Inventory__V2__Money m = INVENTORY__V2__MONEY__INIT;
    m.currency = "EUR";
    m.minor_units = cents;
    return m;
}

/* An item in stock with one tag; `price` and `tags` must outlive it. */
static Inventory__V2__Item item(const char *sku, const char *name, Inventory__V2__Price *price,
                                uint32_t quantity, char **tags)
{
    Inventory__V2__Item it = INVENTORY__V2__ITEM__INIT;
    it.sku = (char *)sku;
    it.name = (char *)name;
    it.price = price;
    it.availability_case = INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK;
    it.in_stock = 1;
    it.quantity = quantity;
    it.tags = tags;
    it.n_tags = tags != NULL ? 1 : 0;
    return it;
}

static void expect_get_item(ferry_channel *ch, const char *sku)
{
    Inventory__V2__GetItemRequest want = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    want.sku = (char *)sku;
    inventory_v2_stock_mock_expect_get_item_request(ch, &want);
}

/* The answer to the tour's CancelReservation, from a function: it checks
 * what a request check cannot see, the deadline the tour gave the call. */
static ferry_status cancel_within_deadline(void *arg, ferry_call *call,
                                           const Inventory__V2__CancelReservationRequest *req,
                                           Inventory__V2__CancelReservationReply *resp)
{
    uint32_t deadline = *(const uint32_t *)arg;
    uint32_t left = ferry_call_remaining_ms(call);
    assert_true(left > 0 && left <= deadline);
    assert_string_equal(req->reason, "customer changed their mind");
    resp->lines_released = 2;
    return FERRY_OK;
}

/* The request of CancelReservation must name the reservation Reserve gave. */
static bool cancels_reservation(void *arg, const Inventory__V2__CancelReservationRequest *req,
                                char *why, size_t why_len)
{
    if (strcmp(req->reservation_id, arg) == 0)
        return true;
    snprintf(why, why_len, "reservation_id is \"%s\", not the \"%s\" Reserve returned",
             req->reservation_id, (const char *)arg);
    return false;
}

static void test_the_whole_tour_without_a_server(void **state)
{
    ferry_channel *ch = *state;
    char *steel[] = {"steel"}, *summer[] = {"summer"};
    Inventory__V2__Money m1 = eur(1990), m2 = eur(3299), m3 = eur(1199), m4 = eur(3490);
    Inventory__V2__Price p1 = INVENTORY__V2__PRICE__INIT, p2 = p1, p3 = p1, p4 = p1;
    p1.amount = &m1;
    p2.amount = &m2;
    p3.amount = &m3;
    p4.amount = &m4;

    /* 1. GetItem HAM-16 */
    Inventory__V2__Item hammer = item("HAM-16", "Claw hammer", &p1, 42, steel);
    Inventory__V2__Item__AttributesEntry weight = INVENTORY__V2__ITEM__ATTRIBUTES_ENTRY__INIT;
    weight.key = "weight";
    weight.value = "450 g";
    Inventory__V2__Item__AttributesEntry *attrs[] = {&weight};
    hammer.attributes = attrs;
    hammer.n_attributes = 1;
    Inventory__V2__GetItemReply got_hammer = INVENTORY__V2__GET_ITEM_REPLY__INIT;
    got_hammer.item = &hammer;
    expect_get_item(ch, "HAM-16");
    inventory_v2_stock_mock_will_return_get_item(ch, &got_hammer);

    /* 2. ListItems, garden, two a page: the second page asks with the
     * first page's token. */
    Inventory__V2__ListItemsRequest page = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    page.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
    page.page_size = 2;
    inventory_v2_stock_mock_expect_list_items_request(ch, &page);
    page.page_token = "after-rake";
    inventory_v2_stock_mock_expect_list_items_request(ch, &page);
    Inventory__V2__Item hose = item("HOS-25", "Garden hose 25 m", &p2, 9, summer);
    Inventory__V2__Item rake = item("RAK-LF", "Leaf rake", &p3, 23, NULL);
    Inventory__V2__Item *first[] = {&hose, &rake};
    Inventory__V2__ListItemsReply page1 = INVENTORY__V2__LIST_ITEMS_REPLY__INIT;
    page1.items = first;
    page1.n_items = 2;
    page1.next_page_token = "after-rake";
    inventory_v2_stock_mock_will_return_list_items(ch, &page1);
    Inventory__V2__Item secateurs = item("SEC-PRO", "Pruning secateurs", &p3, 0, NULL);
    secateurs.availability_case = INVENTORY__V2__ITEM__AVAILABILITY_RESTOCK_IN_DAYS;
    secateurs.restock_in_days = 14;
    Inventory__V2__Item *second[] = {&secateurs};
    Inventory__V2__ListItemsReply page2 = INVENTORY__V2__LIST_ITEMS_REPLY__INIT;
    page2.items = second;
    page2.n_items = 1;
    inventory_v2_stock_mock_will_return_list_items(ch, &page2);

    /* 3. Reserve twice with one order id, 4. a shortage. */
    Inventory__V2__ReserveRequest__Line l1 = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    Inventory__V2__ReserveRequest__Line l2 = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    l1.sku = "HAM-16";
    l1.quantity = 2;
    l2.sku = "KNF-CHF";
    l2.quantity = 1;
    Inventory__V2__ReserveRequest__Line *lines[] = {&l1, &l2};
    Inventory__V2__ReserveRequest order = INVENTORY__V2__RESERVE_REQUEST__INIT;
    order.order_id = "order-1001";
    order.lines = lines;
    order.n_lines = 2;
    inventory_v2_stock_mock_expect_reserve_request(ch, &order);
    ferry_mock_times(ch, 2);
    Inventory__V2__ReserveReply reserved = INVENTORY__V2__RESERVE_REPLY__INIT;
    reserved.result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID;
    reserved.reservation_id = "R-7";
    inventory_v2_stock_mock_will_return_reserve(ch, &reserved);
    ferry_mock_times(ch, 2);
    l1.sku = "DRL-CRD";
    l1.quantity = 50;
    order.order_id = "order-1002";
    order.n_lines = 1;
    inventory_v2_stock_mock_expect_reserve_request(ch, &order);
    Inventory__V2__ReserveReply__Shortage shortage = INVENTORY__V2__RESERVE_REPLY__SHORTAGE__INIT;
    shortage.sku = "DRL-CRD";
    shortage.available = 5;
    Inventory__V2__ReserveReply short_reply = INVENTORY__V2__RESERVE_REPLY__INIT;
    short_reply.result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE;
    short_reply.shortage = &shortage;
    inventory_v2_stock_mock_will_return_reserve(ch, &short_reply);

    /* 5. CancelReservation of R-7, within the tour's deadline. */
    uint32_t deadline = 750;
    inventory_v2_stock_mock_expect_cancel_reservation(ch, cancels_reservation, "R-7");
    inventory_v2_stock_mock_will_call_cancel_reservation(ch, cancel_within_deadline, &deadline);

    /* 6. A missing item, 7. one asynchronously. */
    expect_get_item(ch, "NOPE-1");
    inventory_v2_stock_mock_will_fail_get_item(ch, FERRY_NOT_FOUND, "no item with sku 'NOPE-1'");
    Inventory__V2__Item pan = item("PAN-28", "Frying pan 28 cm", &p4, 12, NULL);
    Inventory__V2__GetItemReply got_pan = INVENTORY__V2__GET_ITEM_REPLY__INIT;
    got_pan.item = &pan;
    expect_get_item(ch, "PAN-28");
    inventory_v2_stock_mock_will_return_get_item(ch, &got_pan);

    /* 8. The v1 API on the same channel. */
    Inventory__V1__GetItemRequest want1 = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    want1.sku = "PAN-28";
    inventory_v1_stock_mock_expect_get_item_request(ch, &want1);
    Inventory__V1__Money v1_price = INVENTORY__V1__MONEY__INIT;
    v1_price.currency = "EUR";
    v1_price.minor_units = 3490;
    Inventory__V1__Item pan1 = INVENTORY__V1__ITEM__INIT;
    pan1.sku = "PAN-28";
    pan1.name = "Frying pan 28 cm";
    pan1.price = &v1_price;
    Inventory__V1__GetItemReply got_pan1 = INVENTORY__V1__GET_ITEM_REPLY__INIT;
    got_pan1.item = &pan1;
    inventory_v1_stock_mock_will_return_get_item(ch, &got_pan1);

    capture out;
    capture_open(&out);
    assert_int_equal(inventory_tour(ch, out.f, deadline), INVENTORY_TOUR_DONE);
    char *text = capture_text(&out);
    ferry_mock_verify(ch);

    assert_contains(text, "1. Look up one item (GetItem HAM-16)\n"
                          "    HAM-16   Claw hammer                    19.90 EUR   42 in stock  "
                          "[steel]\n"
                          "      weight: 450 g\n");
    assert_contains(text, "  page 1 (garden):\n"
                          "    HOS-25   Garden hose 25 m               32.99 EUR    9 in stock  "
                          "[summer]\n"
                          "    RAK-LF   Leaf rake                      11.99 EUR   23 in stock\n"
                          "  page 2 (garden):\n"
                          "    SEC-PRO  Pruning secateurs              11.99 EUR  back in 14 "
                          "days\n");
    assert_contains(text, "    reserved: R-7\n"
                          "    the same order again: R-7, nothing reserved twice\n");
    assert_contains(text, "    shortage: DRL-CRD, only 5 available; nothing reserved\n");
    assert_contains(text, "5. Cancel the reservation R-7\n    released 2 lines\n");
    assert_contains(text, "    GetItem: not found: no item with sku 'NOPE-1'\n");
    assert_contains(text, "  callback:\n    PAN-28   Frying pan 28 cm ");
    assert_contains(text, "    PAN-28   Frying pan 28 cm               34.90 EUR (v1 has no "
                          "VAT or warehouse)\n");
    free(text);
}

static void test_no_server_ends_the_tour_at_once(void **state)
{
    ferry_channel *ch = *state;
    inventory_v2_stock_mock_will_fail_get_item(ch, FERRY_UNAVAILABLE,
                                               "no connection to ipc:///nowhere");
    capture out;
    capture_open(&out);
    /* Any call after the first would be unexpected and fail the test. */
    assert_int_equal(inventory_tour(ch, out.f, 0), INVENTORY_TOUR_UNREACHABLE);
    char *text = capture_text(&out);
    assert_contains(text, "    GetItem: unavailable: no connection to ipc:///nowhere\n");
    free(text);

    inventory_v2_stock_mock_will_fail_get_item(ch, FERRY_DEADLINE_EXCEEDED, "too slow");
    capture_open(&out);
    assert_int_equal(inventory_tour(ch, out.f, 0), INVENTORY_TOUR_UNREACHABLE);
    free(capture_text(&out));
}

static void test_a_failing_step_stops_the_tour(void **state)
{
    ferry_channel *ch = *state;
    Inventory__V2__Item hammer = INVENTORY__V2__ITEM__INIT;
    hammer.sku = "HAM-16";
    Inventory__V2__GetItemReply got = INVENTORY__V2__GET_ITEM_REPLY__INIT;
    got.item = &hammer;
    inventory_v2_stock_mock_will_return_get_item(ch, &got);
    inventory_v2_stock_mock_will_fail_list_items(ch, FERRY_PERMISSION_DENIED,
                                                 "the caller lacks role shop");
    capture out;
    capture_open(&out);
    assert_int_equal(inventory_tour(ch, out.f, 0), INVENTORY_TOUR_FAILED);
    char *text = capture_text(&out);
    assert_contains(text, "    ListItems: permission denied: the caller lacks role shop\n");
    assert_null(strstr(text, "3. Reserve"));
    free(text);
}

static void test_a_fallback_list_is_not_shown_as_the_list(void **state)
{
    ferry_channel *ch = *state;
    Inventory__V2__Item hammer = INVENTORY__V2__ITEM__INIT;
    hammer.sku = "HAM-16";
    Inventory__V2__GetItemReply got = INVENTORY__V2__GET_ITEM_REPLY__INIT;
    got.item = &hammer;
    inventory_v2_stock_mock_will_return_get_item(ch, &got);
    inventory_v2_stock_mock_will_fall_back_list_items(ch, NULL,
                                                      "fallback after unavailable: the "
                                                      "connection was lost");
    capture out;
    capture_open(&out);
    assert_int_equal(inventory_tour(ch, out.f, 0), INVENTORY_TOUR_FAILED);
    char *text = capture_text(&out);
    assert_contains(text, "    ListItems: fallback: fallback after unavailable: the connection "
                          "was lost\n");
    assert_null(strstr(text, "page 1"));
    free(text);
}

/* ---- the follow loop ---- */

static void list_answers(ferry_channel *ch, size_t n_items, int times)
{
    static Inventory__V2__Item items[3] = {INVENTORY__V2__ITEM__INIT, INVENTORY__V2__ITEM__INIT,
                                           INVENTORY__V2__ITEM__INIT};
    static Inventory__V2__Item *ptrs[] = {&items[0], &items[1], &items[2]};
    Inventory__V2__ListItemsReply reply = INVENTORY__V2__LIST_ITEMS_REPLY__INIT;
    reply.items = ptrs;
    reply.n_items = n_items;
    inventory_v2_stock_mock_will_return_list_items(ch, &reply);
    ferry_mock_times(ch, times);
}

static void test_follow_sees_an_outage_and_the_recovery(void **state)
{
    ferry_channel *ch = *state;
    list_answers(ch, 3, 2);
    inventory_v2_stock_mock_will_fall_back_list_items(ch, NULL,
                                                      "fallback after unavailable: "
                                                      "connection refused");
    ferry_mock_times(ch, 3);
    list_answers(ch, 3, 1);

    capture out;
    capture_open(&out);
    assert_int_equal(inventory_follow(ch, out.f, 100, 0), 0);
    char *text = capture_text(&out);
    /* Each change is reported once, and the loop stops at the recovery. */
    assert_string_equal(text, "  follow: 3 garden items from the service\n"
                              "  follow: fallback (0 items): fallback after unavailable: "
                              "connection refused\n"
                              "  follow: 3 garden items from the service\n"
                              "  follow: the service is back; the same channel recovered\n");
    free(text);
    assert_int_equal(
        ferry_mock_calls(ch, &inventory_v2_stock_desc.methods[INVENTORY_V2_STOCK_LIST_ITEMS]), 6);
}

static void test_follow_gives_up_after_its_calls(void **state)
{
    ferry_channel *ch = *state;
    list_answers(ch, 1, 2);
    inventory_v2_stock_mock_will_fail_list_items(ch, FERRY_INTERNAL, "broken");
    capture out;
    capture_open(&out);
    assert_int_equal(inventory_follow(ch, out.f, 3, 0), 1);
    char *text = capture_text(&out);
    assert_string_equal(text, "  follow: 1 garden items from the service\n"
                              "  follow: internal: broken\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_whole_tour_without_a_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_server_ends_the_tour_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_step_stops_the_tour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_fallback_list_is_not_shown_as_the_list, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_sees_an_outage_and_the_recovery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_follow_gives_up_after_its_calls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
