/* test_inventory_served.c - inventory.v1 and inventory.v2 served together by
 * one ferry_server on a temp ipc:// address: the same script of calls, run
 * over the network on one stock and in process on another, gives the same
 * replies byte for byte and the same errors. */
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
#include "support.h"

typedef struct fixture {
    support_ipc ipc;
    inventory *served, *local; /* two stocks in the same seeded state */
    ferry_server *srv;
    ferry_channel *remote; /* to srv: both versions over one channel */
    ferry_channel *inproc; /* v2 and v1 on `local` */
    ferry_service_impl v1_impl;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    support_ipc_make(&f->ipc);
    assert_int_equal(inventory_new(&f->served), FERRY_OK);
    assert_int_equal(inventory_new(&f->local), FERRY_OK);

    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&f->srv, &so), FERRY_OK);
    assert_int_equal(inventory_v1_stock_register(f->srv, inventory_v1_handlers(), f->served),
                     FERRY_OK);
    assert_int_equal(inventory_v2_stock_register(f->srv, inventory_v2_handlers(), f->served),
                     FERRY_OK);
    char bound[256];
    assert_int_equal(ferry_server_listen(f->srv, f->ipc.url, bound, sizeof bound), FERRY_OK);
    assert_string_equal(bound, f->ipc.url);
    ferry_client_opts co = {.client_name = "test_inventory_served", .connect_timeout_ms = 30000};
    assert_int_equal(ferry_client_open(&f->remote, f->ipc.url, &co), FERRY_OK);

    assert_int_equal(inventory_v2_stock_local_open(&f->inproc, inventory_v2_handlers(), f->local),
                     FERRY_OK);
    inventory_v1_stock_impl(&f->v1_impl, inventory_v1_handlers(), f->local);
    assert_int_equal(ferry_local_add(f->inproc, &f->v1_impl), FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->remote);
    /* As a real server stops: let the last replies finish sending first.
     * ferry_server_free() alone closes the socket at once, which can race a
     * worker still inside nng_ctx_send() for a reply the client already has. */
    ferry_server_shutdown(f->srv, 2000);
    ferry_server_free(f->srv);
    ferry_channel_close(f->inproc);
    inventory_free(f->served);
    inventory_free(f->local);
    support_ipc_free(&f->ipc);
    free(f);
    return 0;
}

/* Calls method `index` of `svc` with `req` over the network and in process,
 * and checks both give the same status, message and reply. Returns the
 * status; on FERRY_OK, the remote reply in *out when `out` is not NULL (the
 * caller frees it). Deadlines are generous: this checks answers, not speed. */
static ferry_status both(fixture *f, const ferry_service_desc *svc, size_t index,
                         const ProtobufCMessage *req, ProtobufCMessage **out)
{
    const ferry_method *m = &svc->methods[index];
    assert_ptr_equal(req->descriptor, m->input);
    ferry_call_info ri, li;
    ferry_call_opts ro = {.deadline_ms = 30000, .info = &ri};
    ferry_call_opts lo = {.deadline_ms = 30000, .info = &li};
    ProtobufCMessage *rr = NULL, *lr = NULL;
    ferry_status rs = ferry_channel_call(f->remote, m, req, &rr, &ro);
    ferry_status ls = ferry_channel_call(f->inproc, m, req, &lr, &lo);
    if (rs != ls)
        fail_msg("%s: remote %s (%s), local %s (%s)", m->full_name, ferry_status_str(rs),
                 ri.message, ferry_status_str(ls), li.message);
    if (rs == FERRY_OK) {
        support_assert_same(rr, lr);
    } else {
        assert_null(rr);
        assert_null(lr);
        assert_string_equal(ri.message, li.message);
    }
    ferry_message_free(lr);
    if (out != NULL)
        *out = rr;
    else
        ferry_message_free(rr);
    return rs;
}

static void test_v2_same_answers(void **state)
{
    fixture *f = *state;
    const ferry_service_desc *v2 = &inventory_v2_stock_desc;

    const char *skus[] = {"HAM-16", "SAW-HND", "SEC-PRO", "BRD-OAK", "NOPE", ""};
    const ferry_status want[] = {FERRY_OK, FERRY_OK,        FERRY_OK,
                                 FERRY_OK, FERRY_NOT_FOUND, FERRY_INVALID_ARGUMENT};
    for (size_t i = 0; i < sizeof skus / sizeof skus[0]; i++) {
        Inventory__V2__GetItemRequest g = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
        g.sku = (char *)skus[i];
        assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_GET_ITEM, &g.base, NULL), want[i]);
    }

    /* Page through the garden, in stock only, one item a page. */
    char token[32] = "";
    int pages = 0;
    do {
        Inventory__V2__ListItemsRequest l = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        l.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
        l.in_stock_only = 1;
        l.page_size = 1;
        l.page_token = token;
        ProtobufCMessage *out = NULL;
        assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_LIST_ITEMS, &l.base, &out), FERRY_OK);
        Inventory__V2__ListItemsReply *r = (Inventory__V2__ListItemsReply *)out;
        snprintf(token, sizeof token, "%s", r->next_page_token);
        ferry_message_free(out);
        pages++;
    } while (token[0] != '\0' && pages < 10);
    assert_int_equal(pages, 3);
    Inventory__V2__ListItemsRequest bad = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    bad.page_token = "x";
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_LIST_ITEMS, &bad.base, NULL),
                     FERRY_INVALID_ARGUMENT);

    /* Reserve, a shortage, a repeat, a conflict, then cancel. */
    Inventory__V2__ReserveRequest__Line a = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    Inventory__V2__ReserveRequest__Line b = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    a.sku = "HAM-16";
    a.quantity = 2;
    b.sku = "KNF-CHF";
    b.quantity = 1;
    Inventory__V2__ReserveRequest__Line *lines[] = {&a, &b};
    Inventory__V2__ReserveRequest rq = INVENTORY__V2__RESERVE_REQUEST__INIT;
    rq.order_id = "order-1";
    rq.lines = lines;
    rq.n_lines = 2;
    ProtobufCMessage *out = NULL;
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESERVE, &rq.base, &out), FERRY_OK);
    char id[32];
    snprintf(id, sizeof id, "%s", ((Inventory__V2__ReserveReply *)out)->reservation_id);
    ferry_message_free(out);
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESERVE, &rq.base, NULL), FERRY_OK);
    b.quantity = 100;
    rq.order_id = "order-2";
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESERVE, &rq.base, NULL), FERRY_OK);
    rq.order_id = "order-1";
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESERVE, &rq.base, NULL), FERRY_ALREADY_EXISTS);
    b.quantity = 0;
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESERVE, &rq.base, NULL),
                     FERRY_INVALID_ARGUMENT);

    Inventory__V2__CancelReservationRequest c = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    c.reservation_id = id;
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_CANCEL_RESERVATION, &c.base, NULL), FERRY_OK);
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_CANCEL_RESERVATION, &c.base, NULL), FERRY_OK);
    Inventory__V2__ReleaseRequest rel = INVENTORY__V2__RELEASE_REQUEST__INIT;
    rel.reservation_id = "R-999";
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RELEASE, &rel.base, NULL), FERRY_NOT_FOUND);

    Inventory__V2__RestockRequest rs = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    rs.sku = "SAW-HND";
    rs.quantity = 3;
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESTOCK, &rs.base, NULL), FERRY_OK);
    rs.quantity = UINT32_MAX;
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_RESTOCK, &rs.base, NULL), FERRY_OUT_OF_RANGE);

    /* After all that, both stocks agree on every item. */
    Inventory__V2__ListItemsRequest all = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    all.page_size = 100;
    assert_int_equal(both(f, v2, INVENTORY_V2_STOCK_LIST_ITEMS, &all.base, NULL), FERRY_OK);
}

static void test_v1_same_answers(void **state)
{
    fixture *f = *state;
    const ferry_service_desc *v1 = &inventory_v1_stock_desc;

    Inventory__V1__GetItemRequest g = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    g.sku = "PAN-28";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_GET_ITEM, &g.base, NULL), FERRY_OK);
    g.sku = "SAW-HND";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_GET_ITEM, &g.base, NULL), FERRY_OK);
    g.sku = "NOPE";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_GET_ITEM, &g.base, NULL), FERRY_NOT_FOUND);

    Inventory__V1__ListItemsRequest l = INVENTORY__V1__LIST_ITEMS_REQUEST__INIT;
    l.category = INVENTORY__V1__CATEGORY__CATEGORY_TOOLS;
    l.page_size = 3;
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_LIST_ITEMS, &l.base, NULL), FERRY_OK);
    l.page_token = "3";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_LIST_ITEMS, &l.base, NULL), FERRY_OK);

    Inventory__V1__ReserveRequest__Line a = INVENTORY__V1__RESERVE_REQUEST__LINE__INIT;
    a.sku = "TAP-5M";
    a.quantity = 7;
    Inventory__V1__ReserveRequest__Line *lines[] = {&a};
    Inventory__V1__ReserveRequest rq = INVENTORY__V1__RESERVE_REQUEST__INIT;
    rq.order_id = "v1-order";
    rq.lines = lines;
    rq.n_lines = 1;
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_RESERVE, &rq.base, NULL), FERRY_OK);
    a.quantity = 1000;
    rq.order_id = "v1-big";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_RESERVE, &rq.base, NULL), FERRY_OK);

    Inventory__V1__ReleaseRequest rel = INVENTORY__V1__RELEASE_REQUEST__INIT;
    rel.reservation_id = "R-000001";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_RELEASE, &rel.base, NULL), FERRY_OK);
    rel.reservation_id = "";
    assert_int_equal(both(f, v1, INVENTORY_V1_STOCK_RELEASE, &rel.base, NULL),
                     FERRY_INVALID_ARGUMENT);
}

/* ---- the asynchronous client over the network ---- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    Inventory__V2__GetItemReply *resp;
} waiter;

static void on_item(void *arg, ferry_status st, Inventory__V2__GetItemReply *resp,
                    const ferry_call_info *ci)
{
    (void)ci;
    waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->resp = resp;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void test_async_matches_local(void **state)
{
    fixture *f = *state;
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Inventory__V2__GetItemRequest g = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    g.sku = "DRL-CRD";
    ferry_call_opts o = {.deadline_ms = 30000};
    assert_int_equal(inventory_v2_stock_get_item_async(f->remote, &g, &o, on_item, &w), FERRY_OK);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.st, FERRY_OK);

    Inventory__V2__GetItemReply *local = NULL;
    assert_int_equal(inventory_v2_stock_get_item(f->inproc, &g, &local, &o), FERRY_OK);
    support_assert_same(&w.resp->base, &local->base);
    ferry_message_free(&w.resp->base);
    ferry_message_free(&local->base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2_same_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_same_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_matches_local, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
