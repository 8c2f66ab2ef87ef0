/* test_inventory.c - the example inventory service: every v2 method through
 * the local binding, the v1 adapter, and both versions served by one server
 * over ipc giving the same answers as in process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "inventory.h"

typedef struct fixture {
    inventory *inv;
    ferry_channel *v1, *v2;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
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

static ferry_call_info info;
static ferry_call_opts opts = {.info = &info};

/* Quantity on hand of `sku` through v2 GetItem. */
static uint32_t quantity(ferry_channel *v2, const char *sku)
{
    Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    req.sku = (char *)sku;
    Inventory__V2__GetItemReply *r = NULL;
    assert_int_equal(inventory_v2_stock_get_item(v2, &req, &r, &opts), FERRY_OK);
    uint32_t q = r->item->quantity;
    ferry_message_free(&r->base);
    return q;
}

static void test_get_item(void **state)
{
    fixture *f = *state;
    Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    req.sku = "HAM-16";
    Inventory__V2__GetItemReply *r = NULL;
    assert_int_equal(inventory_v2_stock_get_item(f->v2, &req, &r, &opts), FERRY_OK);
    const Inventory__V2__Item *it = r->item;
    assert_string_equal(it->name, "Claw hammer 16 oz");
    assert_int_equal(it->category, INVENTORY__V2__CATEGORY__CATEGORY_TOOLS);
    assert_string_equal(it->price->amount->currency, "EUR");
    assert_int_equal(it->price->amount->minor_units, 1990);
    assert_int_equal(it->price->vat_percent, 19);
    assert_int_equal(it->n_tags, 2);
    assert_string_equal(it->tags[1], "bestseller");
    assert_int_equal(it->n_attributes, 1);
    assert_string_equal(it->attributes[0]->key, "weight");
    assert_int_equal(it->thumbnail.len, 8);
    assert_int_equal(it->availability_case, INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK);
    assert_string_equal(it->warehouse, "north");
    ferry_message_free(&r->base);

    req.sku = "SAW-HND"; /* out of stock */
    assert_int_equal(inventory_v2_stock_get_item(f->v2, &req, &r, &opts), FERRY_OK);
    assert_int_equal(r->item->availability_case, INVENTORY__V2__ITEM__AVAILABILITY_RESTOCK_IN_DAYS);
    assert_int_equal(r->item->restock_in_days, 7);
    ferry_message_free(&r->base);

    req.sku = "NOPE";
    assert_int_equal(inventory_v2_stock_get_item(f->v2, &req, &r, &opts), FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no item with sku 'NOPE'");
    req.sku = "";
    assert_int_equal(inventory_v2_stock_get_item(f->v2, &req, &r, &opts), FERRY_INVALID_ARGUMENT);
}

/* Pages through ListItems and returns how many items came back. */
static size_t list_all(ferry_channel *v2, Inventory__V2__Category cat, int in_stock_only,
                       uint32_t page_size, int *pages)
{
    char token[32] = "";
    size_t total = 0;
    *pages = 0;
    for (;;) {
        Inventory__V2__ListItemsRequest req = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        req.category = cat;
        req.in_stock_only = in_stock_only;
        req.page_size = page_size;
        req.page_token = token;
        Inventory__V2__ListItemsReply *r = NULL;
        assert_int_equal(inventory_v2_stock_list_items(v2, &req, &r, &opts), FERRY_OK);
        assert_true(r->n_items <= page_size);
        for (size_t i = 0; i < r->n_items; i++) {
            if (cat != INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED)
                assert_int_equal(r->items[i]->category, cat);
            if (in_stock_only)
                assert_true(r->items[i]->quantity > 0);
        }
        total += r->n_items;
        (*pages)++;
        snprintf(token, sizeof token, "%s", r->next_page_token);
        ferry_message_free(&r->base);
        if (token[0] == '\0')
            return total;
        assert_true(*pages < 100);
    }
}

static void test_list_items(void **state)
{
    fixture *f = *state;
    int pages = 0;
    assert_int_equal(list_all(f->v2, INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED, 0, 5, &pages),
                     12);
    assert_int_equal(pages, 3);
    assert_int_equal(list_all(f->v2, INVENTORY__V2__CATEGORY__CATEGORY_GARDEN, 0, 2, &pages), 4);
    assert_int_equal(pages, 2); /* no empty last page */
    assert_int_equal(list_all(f->v2, INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED, 1, 100, &pages),
                     10);

    Inventory__V2__ListItemsRequest req = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    req.page_token = "not-a-token";
    Inventory__V2__ListItemsReply *r = NULL;
    assert_int_equal(inventory_v2_stock_list_items(f->v2, &req, &r, &opts), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "not-a-token"));
}

static ferry_status reserve(ferry_channel *v2, const char *order, const char *sku, uint32_t n,
                            Inventory__V2__ReserveReply **r)
{
    Inventory__V2__ReserveRequest__Line l = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    l.sku = (char *)sku;
    l.quantity = n;
    Inventory__V2__ReserveRequest__Line *lines[] = {&l, &l};
    Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
    req.order_id = (char *)order;
    req.lines = lines;
    req.n_lines = sku != NULL ? 2 : 0; /* the same line twice: 2 x n in all */
    return inventory_v2_stock_reserve(v2, &req, r, &opts);
}

static void test_reserve_and_cancel(void **state)
{
    fixture *f = *state;
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(reserve(f->v2, "o-1", "PAN-28", 3, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID);
    char id[32];
    snprintf(id, sizeof id, "%s", r->reservation_id);
    ferry_message_free(&r->base);
    assert_int_equal(quantity(f->v2, "PAN-28"), 12 - 6);

    /* Both lines together exceed the stock: nothing is reserved. */
    assert_int_equal(reserve(f->v2, "o-2", "PAN-28", 4, &r), FERRY_OK);
    assert_int_equal(r->result_case, INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE);
    assert_string_equal(r->shortage->sku, "PAN-28");
    assert_int_equal(r->shortage->available, 6);
    ferry_message_free(&r->base);
    assert_int_equal(quantity(f->v2, "PAN-28"), 6);

    assert_int_equal(reserve(f->v2, "o-3", "NOPE", 1, &r), FERRY_NOT_FOUND);
    assert_int_equal(reserve(f->v2, "o-3", "PAN-28", 0, &r), FERRY_INVALID_ARGUMENT);
    assert_int_equal(reserve(f->v2, "o-3", NULL, 0, &r), FERRY_INVALID_ARGUMENT);
    assert_int_equal(reserve(f->v2, "", "PAN-28", 1, &r), FERRY_INVALID_ARGUMENT);

    Inventory__V2__CancelReservationRequest c = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    c.reservation_id = id;
    Inventory__V2__CancelReservationReply *cr = NULL;
    assert_int_equal(inventory_v2_stock_cancel_reservation(f->v2, &c, &cr, &opts), FERRY_OK);
    assert_int_equal(cr->lines_released, 2);
    ferry_message_free(&cr->base);
    assert_int_equal(quantity(f->v2, "PAN-28"), 12);
    /* Cancelling again is harmless. */
    assert_int_equal(inventory_v2_stock_cancel_reservation(f->v2, &c, &cr, &opts), FERRY_OK);
    assert_int_equal(cr->lines_released, 0);
    ferry_message_free(&cr->base);
    assert_int_equal(quantity(f->v2, "PAN-28"), 12);
    c.reservation_id = "R-999999";
    assert_int_equal(inventory_v2_stock_cancel_reservation(f->v2, &c, &cr, &opts), FERRY_NOT_FOUND);
}

static void test_restock(void **state)
{
    fixture *f = *state;
    Inventory__V2__RestockRequest req = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    req.sku = "SAW-HND";
    req.quantity = 10;
    Inventory__V2__RestockReply *r = NULL;
    assert_int_equal(inventory_v2_stock_restock(f->v2, &req, &r, &opts), FERRY_OK);
    assert_int_equal(r->quantity, 10);
    ferry_message_free(&r->base);
    req.quantity = 0;
    assert_int_equal(inventory_v2_stock_restock(f->v2, &req, &r, &opts), FERRY_INVALID_ARGUMENT);
    req.quantity = UINT32_MAX;
    assert_int_equal(inventory_v2_stock_restock(f->v2, &req, &r, &opts), FERRY_OUT_OF_RANGE);
}

static void test_v1_adapter(void **state)
{
    fixture *f = *state;
    Inventory__V1__GetItemRequest get = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    get.sku = "KNF-CHF";
    Inventory__V1__GetItemReply *g = NULL;
    assert_int_equal(inventory_v1_stock_get_item(f->v1, &get, &g, &opts), FERRY_OK);
    assert_string_equal(g->item->name, "Chef's knife 20 cm");
    assert_string_equal(g->item->price->currency, "EUR");
    assert_int_equal(g->item->price->minor_units, 5900);
    assert_int_equal(g->item->n_attributes, 1);
    assert_string_equal(g->item->attributes[0]->value, "20 cm");
    ferry_message_free(&g->base);
    get.sku = "NOPE";
    assert_int_equal(inventory_v1_stock_get_item(f->v1, &get, &g, &opts), FERRY_NOT_FOUND);

    Inventory__V1__ListItemsRequest list = INVENTORY__V1__LIST_ITEMS_REQUEST__INIT;
    list.category = INVENTORY__V1__CATEGORY__CATEGORY_KITCHEN;
    Inventory__V1__ListItemsReply *l = NULL;
    assert_int_equal(inventory_v1_stock_list_items(f->v1, &list, &l, &opts), FERRY_OK);
    assert_int_equal(l->n_items, 3);
    assert_string_equal(l->next_page_token, "");
    ferry_message_free(&l->base);

    Inventory__V1__ReserveRequest__Line line = INVENTORY__V1__RESERVE_REQUEST__LINE__INIT;
    line.sku = "BRD-OAK";
    line.quantity = 4;
    Inventory__V1__ReserveRequest__Line *lines[] = {&line};
    Inventory__V1__ReserveRequest res = INVENTORY__V1__RESERVE_REQUEST__INIT;
    res.order_id = "v1-order";
    res.lines = lines;
    res.n_lines = 1;
    Inventory__V1__ReserveReply *rr = NULL;
    assert_int_equal(inventory_v1_stock_reserve(f->v1, &res, &rr, &opts), FERRY_OK);
    assert_int_equal(rr->result_case, INVENTORY__V1__RESERVE_REPLY__RESULT_RESERVATION_ID);
    Inventory__V1__ReleaseRequest rel = INVENTORY__V1__RELEASE_REQUEST__INIT;
    rel.reservation_id = rr->reservation_id;
    Inventory__V1__ReleaseReply *rl = NULL;
    assert_int_equal(inventory_v1_stock_release(f->v1, &rel, &rl, &opts), FERRY_OK);
    assert_int_equal(rl->lines_released, 1);
    ferry_message_free(&rl->base);
    ferry_message_free(&rr->base);
    assert_int_equal(quantity(f->v2, "BRD-OAK"), 4);
}

/* Packs a message for byte comparison. */
static size_t packed(const ProtobufCMessage *m, uint8_t *buf, size_t cap)
{
    assert_true(protobuf_c_message_get_packed_size(m) <= cap);
    return protobuf_c_message_pack(m, buf);
}

static void test_served_v1_and_v2_match_local(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/ferry-inventory-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "ipc://%s/inventory.sock", dir);
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, NULL), FERRY_OK);
    assert_int_equal(inventory_v1_stock_register(srv, inventory_v1_handlers(), f->inv), FERRY_OK);
    assert_int_equal(inventory_v2_stock_register(srv, inventory_v2_handlers(), f->inv), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, NULL, 0), FERRY_OK);
    ferry_channel *remote = NULL;
    assert_int_equal(ferry_client_open(&remote, url, NULL), FERRY_OK);

    const char *skus[] = {"HAM-16", "SAW-HND", "BRD-OAK"};
    for (size_t i = 0; i < 3; i++) {
        uint8_t a[2048], b[2048];
        Inventory__V2__GetItemRequest g2 = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
        g2.sku = (char *)skus[i];
        Inventory__V2__GetItemReply *r2 = NULL, *l2 = NULL;
        assert_int_equal(inventory_v2_stock_get_item(remote, &g2, &r2, &opts), FERRY_OK);
        assert_int_equal(inventory_v2_stock_get_item(f->v2, &g2, &l2, &opts), FERRY_OK);
        size_t na = packed(&r2->base, a, sizeof a), nb = packed(&l2->base, b, sizeof b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        ferry_message_free(&r2->base);
        ferry_message_free(&l2->base);

        Inventory__V1__GetItemRequest g1 = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
        g1.sku = (char *)skus[i];
        Inventory__V1__GetItemReply *r1 = NULL, *l1 = NULL;
        assert_int_equal(inventory_v1_stock_get_item(remote, &g1, &r1, &opts), FERRY_OK);
        assert_int_equal(inventory_v1_stock_get_item(f->v1, &g1, &l1, &opts), FERRY_OK);
        na = packed(&r1->base, a, sizeof a);
        nb = packed(&l1->base, b, sizeof b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        ferry_message_free(&r1->base);
        ferry_message_free(&l1->base);
    }
    /* A method v2 added is there for v2 callers only. */
    Inventory__V2__RestockRequest rs = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    rs.sku = "TAP-5M";
    rs.quantity = 1;
    Inventory__V2__RestockReply *rr = NULL;
    assert_int_equal(inventory_v2_stock_restock(remote, &rs, &rr, &opts), FERRY_OK);
    assert_int_equal(rr->quantity, 121);
    ferry_message_free(&rr->base);

    ferry_channel_close(remote);
    ferry_server_free(srv);
    unlink(url + 6);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_adapter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_served_v1_and_v2_match_local, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
