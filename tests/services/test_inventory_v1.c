/* test_inventory_v1.c - inventory.v1.Stock, the adapter over the v2 code,
 * through its local binding: every v1 method, the mapping of v2's items into
 * v1's shape, the errors, and one stock shared with v2 callers. */
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
    ferry_channel *v1, *v2;
} fixture;

static ferry_call_info info;
static const ferry_call_opts opts = {.info = &info};

static const char *const skus[] = {"HAM-16", "SCR-SET", "SAW-HND", "DRL-CRD", "TAP-5M", "HOS-25",
                                   "RAK-LF", "SEC-PRO", "WTC-10L", "KNF-CHF", "PAN-28", "BRD-OAK"};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(inventory_new(&f->inv), FERRY_OK);
    assert_int_equal(inventory_v1_stock_local_open(&f->v1, inventory_v1_handlers(), f->inv),
                     FERRY_OK);
    assert_int_equal(inventory_v2_stock_local_open(&f->v2, inventory_v2_handlers(), f->inv),
                     FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->v1);
    ferry_channel_close(f->v2);
    inventory_free(f->inv);
    free(f);
    return 0;
}

static Inventory__V1__GetItemReply *get1(ferry_channel *v1, const char *sku)
{
    Inventory__V1__GetItemRequest req = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    req.sku = (char *)sku;
    Inventory__V1__GetItemReply *r = NULL;
    assert_int_equal(inventory_v1_stock_get_item(v1, &req, &r, &opts), FERRY_OK);
    assert_non_null(r->item);
    return r;
}

static uint32_t quantity(ferry_channel *v1, const char *sku)
{
    Inventory__V1__GetItemReply *r = get1(v1, sku);
    uint32_t q = r->item->quantity;
    ferry_message_free(&r->base);
    return q;
}

/* Reserve through v1 of one line. */
static ferry_status reserve1(ferry_channel *v1, const char *order, const char *sku, uint32_t n,
                             Inventory__V1__ReserveReply **r)
{
    Inventory__V1__ReserveRequest__Line line = INVENTORY__V1__RESERVE_REQUEST__LINE__INIT;
    line.sku = (char *)sku;
    line.quantity = n;
    Inventory__V1__ReserveRequest__Line *lines[] = {&line};
    Inventory__V1__ReserveRequest req = INVENTORY__V1__RESERVE_REQUEST__INIT;
    req.order_id = (char *)order;
    req.lines = lines;
    req.n_lines = sku != NULL ? 1 : 0;
    *r = NULL;
    return inventory_v1_stock_reserve(v1, &req, r, &opts);
}

static ferry_status release1(ferry_channel *v1, const char *id, uint32_t *lines)
{
    Inventory__V1__ReleaseRequest req = INVENTORY__V1__RELEASE_REQUEST__INIT;
    req.reservation_id = (char *)id;
    Inventory__V1__ReleaseReply *r = NULL;
    ferry_status st = inventory_v1_stock_release(v1, &req, &r, &opts);
    if (st == FERRY_OK) {
        *lines = r->lines_released;
        ferry_message_free(&r->base);
    }
    return st;
}

static void test_get_item(void **state)
{
    fixture *f = *state;
    Inventory__V1__GetItemReply *r = get1(f->v1, "KNF-CHF");
    const Inventory__V1__Item *it = r->item;
    assert_string_equal(it->sku, "KNF-CHF");
    assert_string_equal(it->name, "Chef's knife 20 cm");
    assert_int_equal(it->category, INVENTORY__V1__CATEGORY__CATEGORY_KITCHEN);
    assert_string_equal(it->price->currency, "EUR");
    assert_int_equal(it->price->minor_units, 5900);
    assert_int_equal(it->quantity, 8);
    assert_int_equal(it->n_tags, 2);
    assert_string_equal(it->tags[0], "steel");
    assert_int_equal(it->n_attributes, 1);
    assert_string_equal(it->attributes[0]->key, "blade");
    assert_string_equal(it->attributes[0]->value, "20 cm");
    assert_int_equal(it->thumbnail.len, 8);
    assert_int_equal(it->availability_case, INVENTORY__V1__ITEM__AVAILABILITY_IN_STOCK);
    assert_true(it->in_stock);
    ferry_message_free(&r->base);

    r = get1(f->v1, "SEC-PRO");
    assert_int_equal(r->item->availability_case, INVENTORY__V1__ITEM__AVAILABILITY_RESTOCK_IN_DAYS);
    assert_int_equal(r->item->restock_in_days, 14);
    ferry_message_free(&r->base);

    Inventory__V1__GetItemRequest req = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    Inventory__V1__GetItemReply *none = NULL;
    req.sku = "NOPE";
    assert_int_equal(inventory_v1_stock_get_item(f->v1, &req, &none, &opts), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no item with sku 'NOPE'");
    req.sku = "";
    assert_int_equal(inventory_v1_stock_get_item(f->v1, &req, &none, &opts),
                     FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message,
                        "invalid inventory.v1.GetItemRequest: sku: must not be empty");
    assert_null(none);
}

/* Every item reads the same through v1 as through v2, less what v1 lacks. */
static void test_items_match_v2(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof skus / sizeof skus[0]; i++) {
        Inventory__V1__GetItemReply *r1 = get1(f->v1, skus[i]);
        Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
        req.sku = (char *)skus[i];
        Inventory__V2__GetItemReply *r2 = NULL;
        assert_int_equal(inventory_v2_stock_get_item(f->v2, &req, &r2, &opts), FERRY_OK);
        const Inventory__V1__Item *a = r1->item;
        const Inventory__V2__Item *b = r2->item;
        assert_string_equal(a->sku, b->sku);
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->category, b->category);
        assert_string_equal(a->price->currency, b->price->amount->currency);
        assert_int_equal(a->price->minor_units, b->price->amount->minor_units);
        assert_int_equal(a->quantity, b->quantity);
        assert_int_equal(a->n_tags, b->n_tags);
        for (size_t t = 0; t < a->n_tags; t++)
            assert_string_equal(a->tags[t], b->tags[t]);
        assert_int_equal(a->n_attributes, b->n_attributes);
        for (size_t t = 0; t < a->n_attributes; t++) {
            assert_string_equal(a->attributes[t]->key, b->attributes[t]->key);
            assert_string_equal(a->attributes[t]->value, b->attributes[t]->value);
        }
        assert_int_equal(a->thumbnail.len, b->thumbnail.len);
        if (a->thumbnail.len > 0)
            assert_memory_equal(a->thumbnail.data, b->thumbnail.data, a->thumbnail.len);
        assert_int_equal(a->availability_case, b->availability_case);
        assert_int_equal(a->in_stock, b->in_stock);
        assert_int_equal(a->restock_in_days, b->restock_in_days);
        ferry_message_free(&r1->base);
        ferry_message_free(&r2->base);
    }
}

static void test_list_items(void **state)
{
    fixture *f = *state;
    /* v1 has no in_stock_only: it sees the out-of-stock SEC-PRO too. */
    Inventory__V1__ListItemsRequest req = INVENTORY__V1__LIST_ITEMS_REQUEST__INIT;
    req.category = INVENTORY__V1__CATEGORY__CATEGORY_GARDEN;
    req.page_size = 3;
    Inventory__V1__ListItemsReply *r = NULL;
    assert_int_equal(inventory_v1_stock_list_items(f->v1, &req, &r, &opts), FERRY_OK);
    assert_int_equal(r->n_items, 3);
    assert_string_equal(r->items[0]->sku, "HOS-25");
    assert_string_equal(r->items[2]->sku, "SEC-PRO");
    assert_string_not_equal(r->next_page_token, "");
    char token[32];
    snprintf(token, sizeof token, "%s", r->next_page_token);
    ferry_message_free(&r->base);
    req.page_token = token;
    assert_int_equal(inventory_v1_stock_list_items(f->v1, &req, &r, &opts), FERRY_OK);
    assert_int_equal(r->n_items, 1);
    assert_string_equal(r->items[0]->sku, "WTC-10L");
    assert_string_equal(r->next_page_token, "");
    ferry_message_free(&r->base);

    /* Every category, one page. */
    Inventory__V1__ListItemsRequest all = INVENTORY__V1__LIST_ITEMS_REQUEST__INIT;
    all.page_size = 50;
    assert_int_equal(inventory_v1_stock_list_items(f->v1, &all, &r, &opts), FERRY_OK);
    assert_int_equal(r->n_items, 12);
    for (size_t i = 0; i < r->n_items; i++)
        assert_string_equal(r->items[i]->sku, skus[i]);
    ferry_message_free(&r->base);

    all.page_token = "junk";
    assert_int_equal(inventory_v1_stock_list_items(f->v1, &all, &r, &opts), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "page_token 'junk' is not one this server gave out");
}

static void test_reserve_and_release(void **state)
{
    fixture *f = *state;
    Inventory__V1__ReserveReply *r = NULL;
    assert_int_equal(reserve1(f->v1, "v1-order", "BRD-OAK", 4, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V1__RESERVE_REPLY__RESULT_RESERVATION_ID);
    char id[32];
    snprintf(id, sizeof id, "%s", r->reservation_id);
    ferry_message_free(&r->base);
    assert_int_equal(quantity(f->v1, "BRD-OAK"), 0);
    Inventory__V1__GetItemReply *g = get1(f->v1, "BRD-OAK");
    assert_int_equal(g->item->availability_case, INVENTORY__V1__ITEM__AVAILABILITY_RESTOCK_IN_DAYS);
    ferry_message_free(&g->base);

    assert_int_equal(reserve1(f->v1, "v1-more", "BRD-OAK", 1, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V1__RESERVE_REPLY__RESULT_SHORTAGE);
    assert_string_equal(r->shortage->sku, "BRD-OAK");
    assert_int_equal(r->shortage->available, 0);
    ferry_message_free(&r->base);

    uint32_t lines = 0;
    assert_int_equal(release1(f->v1, id, &lines), FERRY_OK);
    assert_int_equal(lines, 1);
    assert_int_equal(quantity(f->v1, "BRD-OAK"), 4);
    assert_int_equal(release1(f->v1, id, &lines), FERRY_OK); /* twice is harmless */
    assert_int_equal(lines, 0);
    assert_int_equal(quantity(f->v1, "BRD-OAK"), 4);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    Inventory__V1__ReserveReply *r = NULL;
    assert_int_equal(reserve1(f->v1, "o", "NOPE", 1, &r), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "line 1: no item with sku 'NOPE'");
    assert_int_equal(reserve1(f->v1, "o", "PAN-28", 0, &r), FERRY_INVALID_ARGUMENT);
    assert_string_equal(
        info.message,
        "invalid inventory.v1.ReserveRequest: lines[0].quantity: must be greater than 0");
    assert_int_equal(reserve1(f->v1, "o", NULL, 0, &r), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message,
                        "invalid inventory.v1.ReserveRequest: lines: must not be empty");
    assert_int_equal(reserve1(f->v1, "", "PAN-28", 1, &r), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message,
                        "invalid inventory.v1.ReserveRequest: order_id: must not be empty");
    assert_null(r);

    uint32_t lines = 0;
    assert_int_equal(release1(f->v1, "R-424242", &lines), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no reservation 'R-424242'");
    assert_int_equal(release1(f->v1, "", &lines), FERRY_INVALID_ARGUMENT);
}

/* v1 and v2 callers share one stock: each sees the other's reservations. */
static void test_shared_with_v2(void **state)
{
    fixture *f = *state;
    Inventory__V1__ReserveReply *r = NULL;
    assert_int_equal(reserve1(f->v1, "shared", "DRL-CRD", 5, &r), FERRY_OK);
    char id[32];
    snprintf(id, sizeof id, "%s", r->reservation_id);
    ferry_message_free(&r->base);

    Inventory__V2__ListItemsRequest list = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    list.category = INVENTORY__V2__CATEGORY__CATEGORY_TOOLS;
    list.in_stock_only = 1;
    Inventory__V2__ListItemsReply *l = NULL;
    assert_int_equal(inventory_v2_stock_list_items(f->v2, &list, &l, &opts), FERRY_OK);
    for (size_t i = 0; i < l->n_items; i++)
        assert_string_not_equal(l->items[i]->sku, "DRL-CRD"); /* none left */
    ferry_message_free(&l->base);

    /* The order id is the same key in both versions. */
    assert_int_equal(reserve1(f->v1, "shared", "DRL-CRD", 5, &r), FERRY_OK);
    assert_string_equal(r->reservation_id, id);
    ferry_message_free(&r->base);

    Inventory__V2__CancelReservationRequest c = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    c.reservation_id = id;
    Inventory__V2__CancelReservationReply *cr = NULL;
    assert_int_equal(inventory_v2_stock_cancel_reservation(f->v2, &c, &cr, &opts), FERRY_OK);
    assert_int_equal(cr->lines_released, 1);
    ferry_message_free(&cr->base);
    assert_int_equal(quantity(f->v1, "DRL-CRD"), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items_match_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_and_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_with_v2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
