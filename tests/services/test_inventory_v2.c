/* test_inventory_v2.c - inventory.v2.Stock through its local binding: every
 * method, its happy path, its errors and their messages, and paging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inventory.h"

typedef struct fixture {
    inventory *inv;
    ferry_channel *ch;
} fixture;

static ferry_call_info info;
static const ferry_call_opts opts = {.info = &info};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(inventory_new(&f->inv), FERRY_OK);
    assert_int_equal(inventory_v2_stock_local_open(&f->ch, inventory_v2_handlers(), f->inv),
                     FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->ch);
    inventory_free(f->inv);
    free(f);
    return 0;
}

/* GetItem of `sku`; the reply, which the caller frees. Asserts FERRY_OK. */
static Inventory__V2__GetItemReply *get(ferry_channel *ch, const char *sku)
{
    Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    req.sku = (char *)sku;
    Inventory__V2__GetItemReply *r = NULL;
    assert_int_equal(inventory_v2_stock_get_item(ch, &req, &r, &opts), FERRY_OK);
    assert_non_null(r->item);
    return r;
}

/* Units on hand of `sku`. */
static uint32_t quantity(ferry_channel *ch, const char *sku)
{
    Inventory__V2__GetItemReply *r = get(ch, sku);
    uint32_t q = r->item->quantity;
    ferry_message_free(&r->base);
    return q;
}

/* Reserve of `n` lines (skus[i] x qty[i]) for `order`. */
static ferry_status reserve(ferry_channel *ch, const char *order, const char *const *skus,
                            const uint32_t *qty, size_t n, Inventory__V2__ReserveReply **r)
{
    Inventory__V2__ReserveRequest__Line *lines = calloc(n + 1, sizeof *lines);
    Inventory__V2__ReserveRequest__Line **ptrs = calloc(n + 1, sizeof *ptrs);
    assert_non_null(lines);
    assert_non_null(ptrs);
    for (size_t i = 0; i < n; i++) {
        inventory__v2__reserve_request__line__init(&lines[i]);
        lines[i].sku = (char *)skus[i];
        lines[i].quantity = qty[i];
        ptrs[i] = &lines[i];
    }
    Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
    req.order_id = (char *)order;
    req.lines = ptrs;
    req.n_lines = n;
    *r = NULL;
    ferry_status st = inventory_v2_stock_reserve(ch, &req, r, &opts);
    free(lines);
    free(ptrs);
    return st;
}

/* Reserves `order` and returns its reservation id in `id` (32 bytes). */
static void reserve_ok(ferry_channel *ch, const char *order, const char *const *skus,
                       const uint32_t *qty, size_t n, char *id)
{
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(reserve(ch, order, skus, qty, n, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID);
    snprintf(id, 32, "%s", r->reservation_id);
    ferry_message_free(&r->base);
}

static ferry_status cancel(ferry_channel *ch, const char *id, uint32_t *lines)
{
    Inventory__V2__CancelReservationRequest req = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    req.reservation_id = (char *)id;
    req.reason = "test";
    Inventory__V2__CancelReservationReply *r = NULL;
    ferry_status st = inventory_v2_stock_cancel_reservation(ch, &req, &r, &opts);
    if (st == FERRY_OK) {
        *lines = r->lines_released;
        ferry_message_free(&r->base);
    } else {
        assert_null(r);
    }
    return st;
}

static ferry_status restock(ferry_channel *ch, const char *sku, uint32_t n, uint32_t *on_hand)
{
    Inventory__V2__RestockRequest req = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    req.sku = (char *)sku;
    req.quantity = n;
    Inventory__V2__RestockReply *r = NULL;
    ferry_status st = inventory_v2_stock_restock(ch, &req, &r, &opts);
    if (st == FERRY_OK) {
        *on_hand = r->quantity;
        ferry_message_free(&r->base);
    }
    return st;
}

/* ---- GetItem ---- */

static void test_get_item(void **state)
{
    fixture *f = *state;
    Inventory__V2__GetItemReply *r = get(f->ch, "HAM-16");
    const Inventory__V2__Item *it = r->item;
    assert_string_equal(it->sku, "HAM-16");
    assert_string_equal(it->name, "Claw hammer 16 oz");
    assert_int_equal(it->category, INVENTORY__V2__CATEGORY__CATEGORY_TOOLS);
    assert_string_equal(it->price->amount->currency, "EUR");
    assert_int_equal(it->price->amount->minor_units, 1990);
    assert_int_equal(it->price->vat_percent, 19);
    assert_int_equal(it->quantity, 42);
    assert_int_equal(it->n_tags, 2);
    assert_string_equal(it->tags[0], "steel");
    assert_string_equal(it->tags[1], "bestseller");
    assert_int_equal(it->n_attributes, 1);
    assert_string_equal(it->attributes[0]->key, "weight");
    assert_string_equal(it->attributes[0]->value, "450 g");
    assert_int_equal(it->thumbnail.len, 8);
    assert_memory_equal(it->thumbnail.data, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(it->availability_case, INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK);
    assert_true(it->in_stock);
    assert_string_equal(it->warehouse, "north");
    ferry_message_free(&r->base);

    r = get(f->ch, "SAW-HND"); /* out of stock */
    assert_int_equal(r->item->quantity, 0);
    assert_int_equal(r->item->availability_case, INVENTORY__V2__ITEM__AVAILABILITY_RESTOCK_IN_DAYS);
    assert_int_equal(r->item->restock_in_days, 7);
    assert_int_equal(r->item->thumbnail.len, 0);
    assert_int_equal(r->item->n_attributes, 0);
    ferry_message_free(&r->base);
}

static void test_get_item_errors(void **state)
{
    fixture *f = *state;
    Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    Inventory__V2__GetItemReply *r = NULL;
    req.sku = "NOPE";
    assert_int_equal(inventory_v2_stock_get_item(f->ch, &req, &r, &opts), FERRY_NOT_FOUND);
    assert_null(r);
    assert_int_equal(info.status, FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no item with sku 'NOPE'");
    req.sku = "ham-16"; /* SKUs are case-sensitive */
    assert_int_equal(inventory_v2_stock_get_item(f->ch, &req, &r, &opts), FERRY_NOT_FOUND);
    req.sku = "";
    assert_int_equal(inventory_v2_stock_get_item(f->ch, &req, &r, &opts), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message,
                        "invalid inventory.v2.GetItemRequest: sku: must not be empty");
    assert_null(r);
}

/* ---- ListItems ---- */

/* Pages through ListItems and returns the SKUs seen, comma-separated, in
 * `out`; the number of pages in *pages. */
static void list_all(ferry_channel *ch, Inventory__V2__Category cat, int in_stock_only,
                     uint32_t page_size, char *out, size_t out_len, int *pages)
{
    char token[32] = "";
    out[0] = '\0';
    *pages = 0;
    uint32_t limit = page_size == 0 ? 5 : page_size > 100 ? 100 : page_size;
    for (;;) {
        Inventory__V2__ListItemsRequest req = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        req.category = cat;
        req.in_stock_only = in_stock_only;
        req.page_size = page_size;
        req.page_token = token;
        Inventory__V2__ListItemsReply *r = NULL;
        assert_int_equal(inventory_v2_stock_list_items(ch, &req, &r, &opts), FERRY_OK);
        assert_true(r->n_items <= limit);
        assert_true(r->n_items > 0); /* never an empty page */
        for (size_t i = 0; i < r->n_items; i++) {
            const Inventory__V2__Item *it = r->items[i];
            if (cat != INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED)
                assert_int_equal(it->category, cat);
            if (in_stock_only)
                assert_true(it->quantity > 0);
            size_t used = strlen(out);
            snprintf(out + used, out_len - used, "%s%s", used ? "," : "", it->sku);
        }
        (*pages)++;
        if (r->n_items < limit)
            assert_string_equal(r->next_page_token, "");
        snprintf(token, sizeof token, "%s", r->next_page_token);
        ferry_message_free(&r->base);
        if (token[0] == '\0')
            return;
        assert_true(*pages < 100);
    }
}

static void test_list_items_paging(void **state)
{
    fixture *f = *state;
    char all[512], paged[512];
    int pages = 0;
    const Inventory__V2__Category any = INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED;

    list_all(f->ch, any, 0, 100, all, sizeof all, &pages);
    assert_int_equal(pages, 1);
    assert_string_equal(all, "HAM-16,SCR-SET,SAW-HND,DRL-CRD,TAP-5M,HOS-25,RAK-LF,SEC-PRO,"
                             "WTC-10L,KNF-CHF,PAN-28,BRD-OAK");
    /* Pages put together give the same list, for any page size. */
    for (uint32_t size = 1; size <= 13; size++) {
        list_all(f->ch, any, 0, size, paged, sizeof paged, &pages);
        assert_string_equal(paged, all);
        assert_int_equal(pages, (12 + size - 1) / size);
    }
    list_all(f->ch, any, 0, 0, paged, sizeof paged, &pages); /* server default: 5 */
    assert_int_equal(pages, 3);
    list_all(f->ch, any, 0, 100000, paged, sizeof paged, &pages); /* capped at 100 */
    assert_int_equal(pages, 1);

    list_all(f->ch, INVENTORY__V2__CATEGORY__CATEGORY_GARDEN, 0, 2, paged, sizeof paged, &pages);
    assert_string_equal(paged, "HOS-25,RAK-LF,SEC-PRO,WTC-10L");
    assert_int_equal(pages, 2); /* no empty last page */
    list_all(f->ch, INVENTORY__V2__CATEGORY__CATEGORY_KITCHEN, 0, 5, paged, sizeof paged, &pages);
    assert_string_equal(paged, "KNF-CHF,PAN-28,BRD-OAK");

    list_all(f->ch, any, 1, 4, paged, sizeof paged, &pages);
    assert_string_equal(paged, "HAM-16,SCR-SET,DRL-CRD,TAP-5M,HOS-25,RAK-LF,WTC-10L,KNF-CHF,"
                               "PAN-28,BRD-OAK");
    list_all(f->ch, INVENTORY__V2__CATEGORY__CATEGORY_GARDEN, 1, 1, paged, sizeof paged, &pages);
    assert_string_equal(paged, "HOS-25,RAK-LF,WTC-10L");
    assert_int_equal(pages, 3);

    /* in_stock_only follows the stock: after a restock the item is listed. */
    uint32_t on_hand = 0;
    assert_int_equal(restock(f->ch, "SEC-PRO", 3, &on_hand), FERRY_OK);
    list_all(f->ch, INVENTORY__V2__CATEGORY__CATEGORY_GARDEN, 1, 10, paged, sizeof paged, &pages);
    assert_string_equal(paged, "HOS-25,RAK-LF,SEC-PRO,WTC-10L");
}

static void test_list_items_errors(void **state)
{
    fixture *f = *state;
    const char *bad[] = {"not-a-token", "-1", "+3", " 3", "3x", "12", "13", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Inventory__V2__ListItemsRequest req = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        req.page_token = (char *)bad[i];
        Inventory__V2__ListItemsReply *r = NULL;
        assert_int_equal(inventory_v2_stock_list_items(f->ch, &req, &r, &opts),
                         FERRY_INVALID_ARGUMENT);
        assert_null(r);
        char want[128];
        snprintf(want, sizeof want, "page_token '%s' is not one this server gave out", bad[i]);
        assert_string_equal(info.message, want);
    }
    /* A category a newer peer might send. */
    Inventory__V2__ListItemsRequest req = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    req.category = (Inventory__V2__Category)7;
    Inventory__V2__ListItemsReply *r = NULL;
    assert_int_equal(inventory_v2_stock_list_items(f->ch, &req, &r, &opts), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "invalid inventory.v2.ListItemsRequest: category: must be a "
                                      "value inventory.v2.Category defines");
}

/* ---- Reserve ---- */

static void test_reserve_all_or_nothing(void **state)
{
    fixture *f = *state;
    char id[32];
    const char *skus[] = {"HAM-16", "KNF-CHF"};
    const uint32_t qty[] = {2, 1};
    reserve_ok(f->ch, "o-1", skus, qty, 2, id);
    assert_string_equal(id, "R-000001");
    assert_int_equal(quantity(f->ch, "HAM-16"), 40);
    assert_int_equal(quantity(f->ch, "KNF-CHF"), 7);

    /* The second line cannot be covered: the first is not reserved either. */
    const char *skus2[] = {"HAM-16", "DRL-CRD", "SAW-HND"};
    const uint32_t qty2[] = {1, 50, 1};
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(reserve(f->ch, "o-2", skus2, qty2, 3, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE);
    assert_string_equal(r->shortage->sku, "DRL-CRD");
    assert_int_equal(r->shortage->available, 5);
    ferry_message_free(&r->base);
    assert_int_equal(quantity(f->ch, "HAM-16"), 40);
    assert_int_equal(quantity(f->ch, "DRL-CRD"), 5);

    /* An item with none on hand. */
    assert_int_equal(reserve(f->ch, "o-3", skus2 + 2, qty2 + 2, 1, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE);
    assert_string_equal(r->shortage->sku, "SAW-HND");
    assert_int_equal(r->shortage->available, 0);
    ferry_message_free(&r->base);

    /* Lines naming one item add up: 3 + 3 of 4 on hand is short. */
    const char *twice[] = {"BRD-OAK", "BRD-OAK"};
    const uint32_t three[] = {3, 3};
    assert_int_equal(reserve(f->ch, "o-4", twice, three, 2, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE);
    assert_int_equal(r->shortage->available, 4);
    ferry_message_free(&r->base);
    const uint32_t two[] = {2, 2};
    reserve_ok(f->ch, "o-5", twice, two, 2, id);
    assert_int_equal(quantity(f->ch, "BRD-OAK"), 0);

    /* Quantities whose sum wraps 32 bits are a shortage, not a bargain. */
    const char *hams[] = {"HAM-16", "HAM-16"};
    const uint32_t huge[] = {UINT32_MAX, 41};
    assert_int_equal(reserve(f->ch, "o-6", hams, huge, 2, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE);
    assert_int_equal(r->shortage->available, 40);
    ferry_message_free(&r->base);
    assert_int_equal(quantity(f->ch, "HAM-16"), 40);
}

static void expect_reserve_error(ferry_channel *ch, const char *order, const char *const *skus,
                                 const uint32_t *qty, size_t n, ferry_status want,
                                 const char *message)
{
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(reserve(ch, order, skus, qty, n, &r), want);
    assert_null(r);
    assert_string_equal(info.message, message);
}

static void test_reserve_errors(void **state)
{
    fixture *f = *state;
    const char *skus[] = {"PAN-28", "NOPE", "", "PAN-28"};
    const uint32_t qty[] = {1, 1, 1, 0};
    expect_reserve_error(f->ch, "", skus, qty, 1, FERRY_INVALID_ARGUMENT,
                         "invalid inventory.v2.ReserveRequest: order_id: must not be empty");
    expect_reserve_error(f->ch, "o-1", skus, qty, 0, FERRY_INVALID_ARGUMENT,
                         "invalid inventory.v2.ReserveRequest: lines: must not be empty");
    expect_reserve_error(f->ch, "o-1", skus, qty, 2, FERRY_NOT_FOUND,
                         "line 2: no item with sku 'NOPE'");
    expect_reserve_error(f->ch, "o-1", skus + 2, qty + 2, 1, FERRY_INVALID_ARGUMENT,
                         "invalid inventory.v2.ReserveRequest: lines[0].sku: must not be empty");
    expect_reserve_error(f->ch, "o-1", skus + 3, qty + 3, 1, FERRY_INVALID_ARGUMENT,
                         "invalid inventory.v2.ReserveRequest: lines[0].quantity: must be greater "
                         "than 0");

    enum { MANY = 1001 };
    const char **many = calloc(MANY, sizeof *many);
    uint32_t *ones = calloc(MANY, sizeof *ones);
    assert_non_null(many);
    assert_non_null(ones);
    for (size_t i = 0; i < MANY; i++) {
        many[i] = "TAP-5M";
        ones[i] = 1;
    }
    expect_reserve_error(
        f->ch, "o-1", many, ones, MANY, FERRY_INVALID_ARGUMENT,
        "invalid inventory.v2.ReserveRequest: lines: must have at most 1000 items");
    free(many);
    free(ones);
    /* None of them took anything. */
    assert_int_equal(quantity(f->ch, "PAN-28"), 12);
    assert_int_equal(quantity(f->ch, "TAP-5M"), 120);
}

/* The IDL's rules list every broken one, each with its line's path, and the
 * handler does not run: nothing of the order's valid line is reserved. */
static void test_reserve_lists_every_violation(void **state)
{
    fixture *f = *state;
    Inventory__V2__ReserveRequest__Line a = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    Inventory__V2__ReserveRequest__Line b = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    Inventory__V2__ReserveRequest__Line c = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    a.sku = "PAN-28";
    a.quantity = 2;
    b.quantity = 1;   /* no sku */
    c.sku = "TAP-5M"; /* no units */
    Inventory__V2__ReserveRequest__Line *lines[] = {&a, &b, &c};
    Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
    req.order_id = "o-9";
    req.lines = lines;
    req.n_lines = 3;
    ferry_violations list;
    ferry_call_opts with_list = {.info = &info, .violations = &list};
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(inventory_v2_stock_reserve(f->ch, &req, &r, &with_list),
                     FERRY_INVALID_ARGUMENT);
    assert_null(r);
    assert_int_equal(list.total, 2);
    assert_string_equal(list.v[0].path, "lines[1].sku");
    assert_string_equal(list.v[0].reason, "must not be empty");
    assert_string_equal(list.v[1].path, "lines[2].quantity");
    assert_string_equal(list.v[1].reason, "must be greater than 0");
    assert_int_equal(quantity(f->ch, "PAN-28"), 12);
}

static void test_reserve_repeat_order(void **state)
{
    fixture *f = *state;
    char id[32], again[32];
    const char *skus[] = {"PAN-28", "KNF-CHF", "PAN-28"};
    const uint32_t qty[] = {1, 2, 1};
    reserve_ok(f->ch, "order-7", skus, qty, 3, id);
    assert_int_equal(quantity(f->ch, "PAN-28"), 10);

    /* The same order again (a client retrying after a lost reply): the same
     * reservation, the stock taken once. The lines may come in another
     * split, as long as they add up to the same units per item. */
    const char *skus2[] = {"KNF-CHF", "PAN-28"};
    const uint32_t qty2[] = {2, 2};
    reserve_ok(f->ch, "order-7", skus2, qty2, 2, again);
    assert_string_equal(again, id);
    assert_int_equal(quantity(f->ch, "PAN-28"), 10);
    assert_int_equal(quantity(f->ch, "KNF-CHF"), 6);

    /* The same order with other lines is a conflict. */
    const uint32_t qty3[] = {2, 3};
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(reserve(f->ch, "order-7", skus2, qty3, 2, &r), FERRY_ALREADY_EXISTS);
    assert_null(r);
    assert_string_equal(info.message, "order 'order-7' is already reserved as R-000001, with "
                                      "other lines; cancel that first");

    /* Once cancelled, the order id is free again. */
    uint32_t lines = 0;
    assert_int_equal(cancel(f->ch, id, &lines), FERRY_OK);
    assert_int_equal(lines, 3);
    reserve_ok(f->ch, "order-7", skus2, qty3, 2, again);
    assert_string_equal(again, "R-000002");
    assert_int_equal(quantity(f->ch, "PAN-28"), 9);
}

/* ---- CancelReservation and Release ---- */

static void test_cancel_reservation(void **state)
{
    fixture *f = *state;
    char id[32];
    const char *skus[] = {"WTC-10L", "HOS-25"};
    const uint32_t qty[] = {30, 9};
    reserve_ok(f->ch, "o-1", skus, qty, 2, id);
    assert_int_equal(quantity(f->ch, "HOS-25"), 0);

    uint32_t lines = 99;
    assert_int_equal(cancel(f->ch, id, &lines), FERRY_OK);
    assert_int_equal(lines, 2);
    assert_int_equal(quantity(f->ch, "WTC-10L"), 31);
    assert_int_equal(quantity(f->ch, "HOS-25"), 9);
    /* Cancelling again is harmless. */
    assert_int_equal(cancel(f->ch, id, &lines), FERRY_OK);
    assert_int_equal(lines, 0);
    assert_int_equal(quantity(f->ch, "HOS-25"), 9);

    assert_int_equal(cancel(f->ch, "R-999999", &lines), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no reservation 'R-999999'");
    assert_int_equal(cancel(f->ch, "", &lines), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "invalid inventory.v2.CancelReservationRequest: "
                                      "reservation_id: must not be empty");
}

static void test_release_deprecated(void **state)
{
    fixture *f = *state;
    char id[32];
    const char *skus[] = {"RAK-LF"};
    const uint32_t qty[] = {3};
    reserve_ok(f->ch, "o-1", skus, qty, 1, id);

    Inventory__V2__ReleaseRequest req = INVENTORY__V2__RELEASE_REQUEST__INIT;
    req.reservation_id = id;
    Inventory__V2__ReleaseReply *r = NULL;
    assert_int_equal(inventory_v2_stock_release(f->ch, &req, &r, &opts), FERRY_OK);
    assert_int_equal(r->lines_released, 1);
    ferry_message_free(&r->base);
    assert_int_equal(quantity(f->ch, "RAK-LF"), 23);
    /* Release and CancelReservation act on the same reservations. */
    uint32_t lines = 99;
    assert_int_equal(cancel(f->ch, id, &lines), FERRY_OK);
    assert_int_equal(lines, 0);

    req.reservation_id = "R-nope";
    assert_int_equal(inventory_v2_stock_release(f->ch, &req, &r, &opts), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no reservation 'R-nope'");
}

/* ---- Restock ---- */

static void test_restock(void **state)
{
    fixture *f = *state;
    uint32_t on_hand = 0;
    assert_int_equal(restock(f->ch, "SAW-HND", 10, &on_hand), FERRY_OK);
    assert_int_equal(on_hand, 10);
    Inventory__V2__GetItemReply *r = get(f->ch, "SAW-HND");
    assert_int_equal(r->item->availability_case, INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK);
    ferry_message_free(&r->base);
    assert_int_equal(restock(f->ch, "SAW-HND", 5, &on_hand), FERRY_OK);
    assert_int_equal(on_hand, 15);

    assert_int_equal(restock(f->ch, "SAW-HND", 0, &on_hand), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message,
                        "invalid inventory.v2.RestockRequest: quantity: must be greater than 0");
    assert_int_equal(restock(f->ch, "", 1, &on_hand), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message,
                        "invalid inventory.v2.RestockRequest: sku: must not be empty");
    assert_int_equal(restock(f->ch, "NOPE", 1, &on_hand), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no item with sku 'NOPE'");
    assert_int_equal(quantity(f->ch, "SAW-HND"), 15);
}

static void test_restock_limit(void **state)
{
    fixture *f = *state;
    uint32_t on_hand = 0;
    assert_int_equal(restock(f->ch, "PAN-28", UINT32_MAX, &on_hand), FERRY_OUT_OF_RANGE);
    assert_string_equal(info.message, "restocking 4294967295 of PAN-28 would hold more than "
                                      "4294967295 units");

    /* Units out on a reservation count: once they come back, the total
     * must still fit. */
    char id[32];
    const char *skus[] = {"PAN-28"};
    const uint32_t qty[] = {2};
    reserve_ok(f->ch, "o-1", skus, qty, 1, id);
    assert_int_equal(restock(f->ch, "PAN-28", UINT32_MAX - 11, &on_hand), FERRY_OUT_OF_RANGE);
    assert_int_equal(restock(f->ch, "PAN-28", UINT32_MAX - 12, &on_hand), FERRY_OK);
    assert_int_equal(on_hand, UINT32_MAX - 2);
    uint32_t lines = 0;
    assert_int_equal(cancel(f->ch, id, &lines), FERRY_OK);
    assert_int_equal(quantity(f->ch, "PAN-28"), UINT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_item_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_items_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_items_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_lists_every_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_repeat_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_reservation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_deprecated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
