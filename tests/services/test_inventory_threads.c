/* test_inventory_threads.c - the inventory module's thread-safety promise:
 * many threads reserving, cancelling, restocking and reading one stock
 * through v1 and v2 at once leave it consistent. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inventory.h"

enum { RESERVERS = 4, ROUNDS = 200, RESTOCKS = 50 };

typedef struct shared {
    ferry_channel *v1, *v2;
    int failures; /* calls that did not answer as expected; under mu */
    pthread_mutex_t mu;
} shared;

typedef struct worker {
    shared *s;
    int n;
} worker;

static void count_failure(shared *s, const char *what, ferry_status st)
{
    pthread_mutex_lock(&s->mu);
    if (s->failures++ == 0)
        fprintf(stderr, "first failure: %s: %s\n", what, ferry_status_str(st));
    pthread_mutex_unlock(&s->mu);
}

/* Reserves 1 x PAN-28 + 1 x HAM-16 and cancels it, ROUNDS times; odd
 * workers go through v1. At most RESERVERS units of each are out at once,
 * fewer than on hand, so every reservation must succeed. */
static void *reserver(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < ROUNDS; i++) {
        char order[32], id[32] = "";
        snprintf(order, sizeof order, "w%d-%d", w->n, i);
        ferry_status st;
        if (w->n % 2 == 0) {
            Inventory__V2__ReserveRequest__Line a = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
            Inventory__V2__ReserveRequest__Line b = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
            a.sku = "PAN-28";
            a.quantity = 1;
            b.sku = "HAM-16";
            b.quantity = 1;
            Inventory__V2__ReserveRequest__Line *lines[] = {&a, &b};
            Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
            req.order_id = order;
            req.lines = lines;
            req.n_lines = 2;
            Inventory__V2__ReserveReply *r = NULL;
            st = inventory_v2_stock_reserve(w->s->v2, &req, &r, NULL);
            if (st == FERRY_OK &&
                r->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID)
                snprintf(id, sizeof id, "%s", r->reservation_id);
            if (r != NULL)
                ferry_message_free(&r->base);
        } else {
            Inventory__V1__ReserveRequest__Line a = INVENTORY__V1__RESERVE_REQUEST__LINE__INIT;
            Inventory__V1__ReserveRequest__Line b = INVENTORY__V1__RESERVE_REQUEST__LINE__INIT;
            a.sku = "PAN-28";
            a.quantity = 1;
            b.sku = "HAM-16";
            b.quantity = 1;
            Inventory__V1__ReserveRequest__Line *lines[] = {&a, &b};
            Inventory__V1__ReserveRequest req = INVENTORY__V1__RESERVE_REQUEST__INIT;
            req.order_id = order;
            req.lines = lines;
            req.n_lines = 2;
            Inventory__V1__ReserveReply *r = NULL;
            st = inventory_v1_stock_reserve(w->s->v1, &req, &r, NULL);
            if (st == FERRY_OK &&
                r->result_case == INVENTORY__V1__RESERVE_REPLY__RESULT_RESERVATION_ID)
                snprintf(id, sizeof id, "%s", r->reservation_id);
            if (r != NULL)
                ferry_message_free(&r->base);
        }
        if (id[0] == '\0') {
            count_failure(w->s, "reserve", st);
            continue;
        }
        Inventory__V2__CancelReservationRequest c = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
        c.reservation_id = id;
        Inventory__V2__CancelReservationReply *cr = NULL;
        st = inventory_v2_stock_cancel_reservation(w->s->v2, &c, &cr, NULL);
        if (st != FERRY_OK || cr->lines_released != 2)
            count_failure(w->s, "cancel", st);
        if (cr != NULL)
            ferry_message_free(&cr->base);
    }
    return NULL;
}

/* Restocks TAP-5M one unit at a time and lists everything in between. */
static void *restocker(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < RESTOCKS; i++) {
        Inventory__V2__RestockRequest req = INVENTORY__V2__RESTOCK_REQUEST__INIT;
        req.sku = "TAP-5M";
        req.quantity = 1;
        Inventory__V2__RestockReply *r = NULL;
        ferry_status st = inventory_v2_stock_restock(s->v2, &req, &r, NULL);
        if (st != FERRY_OK)
            count_failure(s, "restock", st);
        ferry_message_free(r != NULL ? &r->base : NULL);

        Inventory__V2__ListItemsRequest l = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        l.page_size = 100;
        Inventory__V2__ListItemsReply *lr = NULL;
        st = inventory_v2_stock_list_items(s->v2, &l, &lr, NULL);
        if (st != FERRY_OK || lr->n_items != 12)
            count_failure(s, "list", st);
        ferry_message_free(lr != NULL ? &lr->base : NULL);
    }
    return NULL;
}

static uint32_t quantity(ferry_channel *v2, const char *sku)
{
    Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    req.sku = (char *)sku;
    Inventory__V2__GetItemReply *r = NULL;
    assert_int_equal(inventory_v2_stock_get_item(v2, &req, &r, NULL), FERRY_OK);
    uint32_t q = r->item->quantity;
    ferry_message_free(&r->base);
    return q;
}

static void test_many_threads(void **state)
{
    (void)state;
    inventory *inv = NULL;
    assert_int_equal(inventory_new(&inv), FERRY_OK);
    shared s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    assert_int_equal(inventory_v1_stock_local_open(&s.v1, inventory_v1_handlers(), inv), FERRY_OK);
    assert_int_equal(inventory_v2_stock_local_open(&s.v2, inventory_v2_handlers(), inv), FERRY_OK);

    pthread_t threads[RESERVERS + 1];
    worker workers[RESERVERS];
    for (int i = 0; i < RESERVERS; i++) {
        workers[i] = (worker){.s = &s, .n = i};
        assert_int_equal(pthread_create(&threads[i], NULL, reserver, &workers[i]), 0);
    }
    assert_int_equal(pthread_create(&threads[RESERVERS], NULL, restocker, &s), 0);
    for (int i = 0; i <= RESERVERS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);

    assert_int_equal(s.failures, 0);
    assert_int_equal(quantity(s.v2, "PAN-28"), 12);
    assert_int_equal(quantity(s.v2, "HAM-16"), 42);
    assert_int_equal(quantity(s.v2, "TAP-5M"), 120 + RESTOCKS);

    /* Every reservation got its own id: the next is number ROUNDS x RESERVERS + 1. */
    Inventory__V2__ReserveRequest__Line a = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    a.sku = "RAK-LF";
    a.quantity = 1;
    Inventory__V2__ReserveRequest__Line *lines[] = {&a};
    Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
    req.order_id = "last";
    req.lines = lines;
    req.n_lines = 1;
    Inventory__V2__ReserveReply *r = NULL;
    assert_int_equal(inventory_v2_stock_reserve(s.v2, &req, &r, NULL), FERRY_OK);
    char want[32];
    snprintf(want, sizeof want, "R-%06d", ROUNDS * RESERVERS + 1);
    assert_string_equal(r->reservation_id, want);
    ferry_message_free(&r->base);

    ferry_channel_close(s.v1);
    ferry_channel_close(s.v2);
    inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
