/* test_inventory_compat.c - clients and servers of different versions of the
 * inventory example, over real sockets (temp ipc:// addresses), for every
 * method:
 *  - a v1 client and a v2 client against the current server (v2, and v1 as
 *    an adapter over it);
 *  - a v2 client against an older server: one at API version 1 of
 *    inventory.v2 (without CancelReservation and Restock), and one that only
 *    serves inventory.v1;
 *  - the statistics of the admin service naming the old clients.
 * Every call that works carries fields the other side does not know, both
 * ways: requests carry unknown fields, as a newer client's would, and the
 * tested servers add unknown fields to every reply, as a newer server's
 * would. The handler sees the request's unknown fields kept and is not
 * disturbed by them; the client keeps the reply's; and every answer equals,
 * byte for byte once the unknown fields are set aside, the answer of a
 * reference server on its own stock to the plain request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/admin/v1/admin.ferry.h"
#include "inventory.h"
#include "support.h"

/* ---- unknown fields, as a newer peer sends them ---- */

/* protobuf-c keeps an unknown field's bytes as they came: a varint's
 * encoding, a length-delimited field's length prefix and bytes. */
static const uint8_t varint_bytes[] = {0xac, 0x02}; /* 300 */
static const uint8_t text_bytes[] = {12,  'f', 'r', 'o', 'm', ' ', 't',
                                     'h', 'e', ' ', 'f', 'u', 't'};
static const ProtobufCMessageUnknownField newer_fields[2] = {
    {.tag = 1000,
     .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT,
     .len = sizeof varint_bytes,
     .data = (uint8_t *)varint_bytes},
    {.tag = 1001,
     .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
     .len = sizeof text_bytes,
     .data = (uint8_t *)text_bytes},
};

static void assert_newer_fields(const ProtobufCMessage *m)
{
    assert_int_equal(m->n_unknown_fields, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(m->unknown_fields[i].tag, newer_fields[i].tag);
        assert_int_equal(m->unknown_fields[i].wire_type, newer_fields[i].wire_type);
        assert_int_equal(m->unknown_fields[i].len, newer_fields[i].len);
        assert_memory_equal(m->unknown_fields[i].data, newer_fields[i].data, newer_fields[i].len);
    }
}

/* ---- a server that adds unknown fields to its replies ---- */

#define MAX_METHODS 8

/* A service implementation wrapped so that every reply carries
 * newer_fields, and the unknown fields of each request are counted. */
typedef struct wrapped {
    ferry_service_impl real, impl;
    ferry_invoke_fn invoke[MAX_METHODS];
    atomic_size_t last_unknown; /* unknown fields of the last request */
} wrapped;

static ferry_status wrap_invoke(const void *handlers, void *user, ferry_call *call,
                                const ProtobufCMessage *req, ProtobufCMessage *resp)
{
    (void)handlers;
    wrapped *w = user;
    const ferry_method *m = ferry_call_method(call);
    atomic_store(&w->last_unknown, req->n_unknown_fields);
    ferry_status st = w->real.invoke[m->index](w->real.handlers, w->real.user, call, req, resp);
    if (st == FERRY_OK) {
        resp->n_unknown_fields = 2;
        resp->unknown_fields = (ProtobufCMessageUnknownField *)newer_fields;
    }
    return st;
}

static void wrap(wrapped *w, const ferry_service_impl *real)
{
    assert_true(real->desc->n_methods <= MAX_METHODS);
    w->real = *real;
    for (size_t i = 0; i < MAX_METHODS; i++)
        w->invoke[i] = wrap_invoke;
    w->impl = (ferry_service_impl){
        .desc = real->desc, .invoke = w->invoke, .handlers = real->handlers, .user = w};
    atomic_store(&w->last_unknown, SIZE_MAX);
}

/* inventory.v2 as it was at API version 1: the methods since 1, none
 * deprecated yet. */
typedef struct old_v2 {
    ferry_service_desc desc;
    ferry_method methods[INVENTORY_V2_STOCK_N_METHODS];
} old_v2;

static void old_v2_make(old_v2 *o)
{
    o->desc = inventory_v2_stock_desc;
    o->desc.api_version = 1;
    o->desc.methods = o->methods;
    o->desc.n_methods = 0;
    for (size_t i = 0; i < INVENTORY_V2_STOCK_N_METHODS; i++) {
        const ferry_method *m = &inventory_v2_stock_desc.methods[i];
        if (m->opts.since > 1)
            continue;
        assert_int_equal(m->index, o->desc.n_methods); /* the since-1 methods come first */
        o->methods[o->desc.n_methods] = *m;
        o->methods[o->desc.n_methods].service = &o->desc;
        o->methods[o->desc.n_methods].opts.deprecated = 0;
        o->methods[o->desc.n_methods].opts.deprecated_since = 0;
        o->desc.n_methods++;
    }
    assert_int_equal(o->desc.n_methods, 4);
}

/* ---- fixture ---- */

typedef struct server {
    support_ipc ipc;
    inventory *inv;
    ferry_server *srv;
    wrapped v1, v2;
    old_v2 old;
} server;

enum kind { CURRENT, REFERENCE, OLD_V2, OLD_V2_WIDE, V1_ONLY };

static void serve(server *s, enum kind kind)
{
    support_ipc_make(&s->ipc);
    assert_int_equal(inventory_new(&s->inv), FERRY_OK);
    assert_int_equal(
        ferry_server_new(&s->srv,
                         &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1}),
        FERRY_OK);
    ferry_service_impl v1, v2;
    inventory_v1_stock_impl(&v1, inventory_v1_handlers(), s->inv);
    inventory_v2_stock_impl(&v2, inventory_v2_handlers(), s->inv);
    wrap(&s->v1, &v1);
    switch (kind) {
    case REFERENCE:
        assert_int_equal(ferry_server_add(s->srv, &v1), FERRY_OK);
        assert_int_equal(ferry_server_add(s->srv, &v2), FERRY_OK);
        break;
    case CURRENT:
        wrap(&s->v2, &v2);
        assert_int_equal(ferry_server_add(s->srv, &s->v1.impl), FERRY_OK);
        assert_int_equal(ferry_server_add(s->srv, &s->v2.impl), FERRY_OK);
        assert_int_equal(ferry_server_add_admin(s->srv), FERRY_OK);
        break;
    case OLD_V2:
    case OLD_V2_WIDE:
        old_v2_make(&s->old);
        v2.desc = &s->old.desc;
        wrap(&s->v2, &v2);
        assert_int_equal(ferry_server_add(s->srv, &s->v2.impl), FERRY_OK);
        if (kind == OLD_V2_WIDE)
            assert_int_equal(ferry_server_set_api_range(s->srv, "inventory.v2.Stock", 1, 2),
                             FERRY_OK);
        break;
    case V1_ONLY:
        assert_int_equal(ferry_server_add(s->srv, &s->v1.impl), FERRY_OK);
        break;
    }
    assert_int_equal(ferry_server_listen(s->srv, s->ipc.url, NULL, 0), FERRY_OK);
}

static void stop(server *s)
{
    ferry_server_shutdown(s->srv, 2000);
    ferry_server_free(s->srv);
    inventory_free(s->inv);
    support_ipc_free(&s->ipc);
}

typedef struct fixture {
    server tested, ref;
    ferry_channel *to_tested, *to_ref;
} fixture;

static ferry_channel *open_as(const server *s, const char *name, const char *version)
{
    ferry_client_opts o = {
        .client_name = name, .client_version = version, .connect_timeout_ms = 5000};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, s->ipc.url, &o), FERRY_OK);
    return ch;
}

static fixture *fixture_new(enum kind kind)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    serve(&f->tested, kind);
    serve(&f->ref, REFERENCE);
    f->to_tested = open_as(&f->tested, "compat-test", "1.0");
    f->to_ref = open_as(&f->ref, "compat-test", "1.0");
    return f;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->to_tested);
    ferry_channel_close(f->to_ref);
    stop(&f->tested);
    stop(&f->ref);
    free(f);
    return 0;
}

static int setup_current(void **state)
{
    *state = fixture_new(CURRENT);
    return 0;
}

static int setup_old_v2(void **state)
{
    *state = fixture_new(OLD_V2);
    return 0;
}

static int setup_old_v2_wide(void **state)
{
    *state = fixture_new(OLD_V2_WIDE);
    return 0;
}

static int setup_v1_only(void **state)
{
    *state = fixture_new(V1_ONLY);
    return 0;
}

/* ---- one call, both ways ---- */

/* Calls `m` on the tested server with `req` plus newer_fields, and on the
 * reference server with `req` alone. Checks that both give the same status
 * and message, that the tested handler saw the request's unknown fields,
 * and that the tested reply carries newer_fields and otherwise equals the
 * reference's. Returns the status; the reference reply in *out when asked
 * (the caller frees it). */
static ferry_status both_ways(fixture *f, wrapped *w, const ferry_method *m, ProtobufCMessage *req,
                              ProtobufCMessage **out)
{
    ferry_call_info ti, ri;
    ferry_call_opts to = {.deadline_ms = 10000, .info = &ti};
    ferry_call_opts ro = {.deadline_ms = 10000, .info = &ri};
    ProtobufCMessage *tr = NULL, *rr = NULL;
    req->n_unknown_fields = 2;
    req->unknown_fields = (ProtobufCMessageUnknownField *)newer_fields;
    ferry_status ts = ferry_channel_call(f->to_tested, m, req, &tr, &to);
    req->n_unknown_fields = 0;
    req->unknown_fields = NULL;
    ferry_status rs = ferry_channel_call(f->to_ref, m, req, &rr, &ro);
    if (ts != rs)
        fail_msg("%s: tested %s (%s), reference %s (%s)", m->full_name, ferry_status_str(ts),
                 ti.message, ferry_status_str(rs), ri.message);
    assert_int_equal(atomic_load(&w->last_unknown), 2);
    if (ts == FERRY_OK) {
        assert_newer_fields(tr);
        size_t n = tr->n_unknown_fields;
        tr->n_unknown_fields = 0;
        support_assert_same(tr, rr);
        tr->n_unknown_fields = n;
    } else {
        assert_string_equal(ti.message, ri.message);
    }
    ferry_message_free(tr);
    if (out != NULL)
        *out = rr;
    else
        ferry_message_free(rr);
    return ts;
}

/* Every v1 method, through the v1 descriptors (a client built from v1). */
static void every_v1_method(fixture *f)
{
    const ferry_method *m = inventory_v1_stock_desc.methods;
    wrapped *w = &f->tested.v1;
    Inventory__V1__GetItemRequest g = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    g.sku = "HAM-16";
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V1_STOCK_GET_ITEM], &g.base, NULL), FERRY_OK);
    g.sku = "NOPE";
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V1_STOCK_GET_ITEM], &g.base, NULL),
                     FERRY_NOT_FOUND);

    Inventory__V1__ListItemsRequest l = INVENTORY__V1__LIST_ITEMS_REQUEST__INIT;
    l.category = INVENTORY__V1__CATEGORY__CATEGORY_TOOLS;
    l.page_size = 3;
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V1_STOCK_LIST_ITEMS], &l.base, NULL), FERRY_OK);

    Inventory__V1__ReserveRequest__Line a = INVENTORY__V1__RESERVE_REQUEST__LINE__INIT;
    a.sku = "TAP-5M";
    a.quantity = 2;
    Inventory__V1__ReserveRequest__Line *lines[] = {&a};
    Inventory__V1__ReserveRequest r = INVENTORY__V1__RESERVE_REQUEST__INIT;
    r.order_id = "v1-order";
    r.lines = lines;
    r.n_lines = 1;
    ProtobufCMessage *out = NULL;
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V1_STOCK_RESERVE], &r.base, &out), FERRY_OK);
    char id[32];
    snprintf(id, sizeof id, "%s", ((Inventory__V1__ReserveReply *)out)->reservation_id);
    ferry_message_free(out);

    Inventory__V1__ReleaseRequest rel = INVENTORY__V1__RELEASE_REQUEST__INIT;
    rel.reservation_id = id;
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V1_STOCK_RELEASE], &rel.base, NULL), FERRY_OK);
}

/* The v2 methods since API version 1; returns a reservation id in `id`. */
static void v2_methods_since_1(fixture *f, const ferry_method *m, char id[32])
{
    wrapped *w = &f->tested.v2;
    Inventory__V2__GetItemRequest g = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    g.sku = "SEC-PRO";
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V2_STOCK_GET_ITEM], &g.base, NULL), FERRY_OK);

    Inventory__V2__ListItemsRequest l = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    l.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
    l.in_stock_only = 1;
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V2_STOCK_LIST_ITEMS], &l.base, NULL), FERRY_OK);

    Inventory__V2__ReserveRequest__Line a = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
    a.sku = "HAM-16";
    a.quantity = 1;
    Inventory__V2__ReserveRequest__Line *lines[] = {&a};
    Inventory__V2__ReserveRequest r = INVENTORY__V2__RESERVE_REQUEST__INIT;
    r.order_id = "v2-order";
    r.lines = lines;
    r.n_lines = 1;
    ProtobufCMessage *out = NULL;
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V2_STOCK_RESERVE], &r.base, &out), FERRY_OK);
    snprintf(id, 32, "%s", ((Inventory__V2__ReserveReply *)out)->reservation_id);
    ferry_message_free(out);
    r.order_id = "v2-order-2";
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V2_STOCK_RESERVE], &r.base, &out), FERRY_OK);
    char id2[32];
    snprintf(id2, sizeof id2, "%s", ((Inventory__V2__ReserveReply *)out)->reservation_id);
    ferry_message_free(out);

    Inventory__V2__ReleaseRequest rel = INVENTORY__V2__RELEASE_REQUEST__INIT;
    rel.reservation_id = id2;
    assert_int_equal(both_ways(f, w, &m[INVENTORY_V2_STOCK_RELEASE], &rel.base, NULL), FERRY_OK);
}

/* ---- the tests ---- */

static void test_v1_client_current_server(void **state)
{
    every_v1_method(*state);
}

static void test_v2_client_current_server(void **state)
{
    fixture *f = *state;
    const ferry_method *m = inventory_v2_stock_desc.methods;
    char id[32];
    v2_methods_since_1(f, m, id);
    Inventory__V2__CancelReservationRequest c = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    c.reservation_id = id;
    c.reason = "changed my mind";
    assert_int_equal(
        both_ways(f, &f->tested.v2, &m[INVENTORY_V2_STOCK_CANCEL_RESERVATION], &c.base, NULL),
        FERRY_OK);
    Inventory__V2__RestockRequest rs = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    rs.sku = "SAW-HND";
    rs.quantity = 4;
    assert_int_equal(both_ways(f, &f->tested.v2, &m[INVENTORY_V2_STOCK_RESTOCK], &rs.base, NULL),
                     FERRY_OK);
}

/* A v2 client (API version 2) on a server of inventory.v2 at API version 1
 * that serves clients up to version 2: the old methods work, the new ones
 * are newer than the server. */
static void test_v2_client_older_server(void **state)
{
    fixture *f = *state;
    const ferry_method *m = inventory_v2_stock_desc.methods;
    char id[32];
    v2_methods_since_1(f, m, id);
    Inventory__V2__CancelReservationRequest c = INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    c.reservation_id = id;
    Inventory__V2__CancelReservationReply *cr = NULL;
    ferry_call_info info;
    ferry_call_opts o = {.deadline_ms = 10000, .info = &info};
    assert_int_equal(inventory_v2_stock_cancel_reservation(f->to_tested, &c, &cr, &o),
                     FERRY_UNIMPLEMENTED);
    assert_string_equal(info.message,
                        "method inventory.v2.Stock/CancelReservation is newer than this server: "
                        "the client has API version 2 of inventory.v2.Stock, this server "
                        "implements version 1");
    Inventory__V2__RestockRequest rs = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    rs.sku = "SAW-HND";
    rs.quantity = 1;
    Inventory__V2__RestockReply *rr = NULL;
    assert_int_equal(inventory_v2_stock_restock(f->to_tested, &rs, &rr, &o), FERRY_UNIMPLEMENTED);
    assert_non_null(strstr(info.message, "Restock is newer than this server"));
    assert_int_equal(info.server_api_min, 1);
    assert_int_equal(info.server_api_max, 2);
}

/* The same older server with its default range refuses the newer client
 * on the methods it has, and says which versions it serves. */
static void test_v2_client_older_server_default_range(void **state)
{
    fixture *f = *state;
    Inventory__V2__GetItemRequest g = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    g.sku = "HAM-16";
    Inventory__V2__GetItemReply *gr = NULL;
    ferry_call_info info;
    ferry_call_opts o = {.deadline_ms = 10000, .info = &info};
    assert_int_equal(inventory_v2_stock_get_item(f->to_tested, &g, &gr, &o),
                     FERRY_UNSUPPORTED_VERSION);
    assert_string_equal(info.message,
                        "inventory.v2.Stock serves API versions 1 to 1; the client's version 2 is "
                        "newer than this server: deploy servers before clients that announce a "
                        "new version");
    assert_int_equal(info.server_api_min, 1);
    assert_int_equal(info.server_api_max, 1);
    Inventory__V2__RestockRequest rs = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    rs.sku = "SAW-HND";
    Inventory__V2__RestockReply *rr = NULL;
    assert_int_equal(inventory_v2_stock_restock(f->to_tested, &rs, &rr, &o), FERRY_UNIMPLEMENTED);
    assert_non_null(strstr(info.message, "(Restock came in API version 2)"));
}

/* A v2 client on a server that only serves inventory.v1: each v2 method is
 * refused with what the server serves instead, and the same server answers
 * every v1 method. */
static void test_v2_client_v1_server(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < INVENTORY_V2_STOCK_N_METHODS; i++) {
        const ferry_method *m = &inventory_v2_stock_desc.methods[i];
        ProtobufCMessage *req = calloc(1, m->input->sizeof_message);
        assert_non_null(req);
        protobuf_c_message_init(m->input, req);
        ProtobufCMessage *resp = NULL;
        ferry_call_info info;
        ferry_call_opts o = {.deadline_ms = 10000, .info = &info};
        assert_int_equal(ferry_channel_call(f->to_tested, m, req, &resp, &o), FERRY_UNIMPLEMENTED);
        assert_null(resp);
        char want[FERRY_MESSAGE_MAX];
        snprintf(want, sizeof want,
                 "unknown method %s: this server does not serve inventory.v2.Stock; it serves "
                 "inventory.v1.Stock (API versions 1 to 1)",
                 m->full_name);
        assert_string_equal(info.message, want);
        free(req);
    }
    every_v1_method(f);
}

/* The admin service shows the old clients: a v1 client (an old major
 * version) and a v2 client still calling the deprecated Release. */
static void test_stats_show_old_clients(void **state)
{
    fixture *f = *state;
    ferry_channel *legacy = open_as(&f->tested, "legacy-till", "0.9");
    ferry_channel *till = open_as(&f->tested, "till", "2.0");
    ferry_call_opts o = {.deadline_ms = 10000};
    Inventory__V1__GetItemRequest g1 = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    g1.sku = "HAM-16";
    Inventory__V1__GetItemReply *r1 = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(inventory_v1_stock_get_item(legacy, &g1, &r1, &o), FERRY_OK);
        ferry_message_free(&r1->base);
    }
    Inventory__V2__ReleaseRequest rel = INVENTORY__V2__RELEASE_REQUEST__INIT;
    rel.reservation_id = "R-999";
    Inventory__V2__ReleaseReply *rr = NULL;
    assert_int_equal(inventory_v2_stock_release(till, &rel, &rr, &o), FERRY_NOT_FOUND);
    Inventory__V2__GetItemRequest g2 = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    g2.sku = "HAM-16";
    Inventory__V2__GetItemReply *r2 = NULL;
    assert_int_equal(inventory_v2_stock_get_item(till, &g2, &r2, &o), FERRY_OK);
    ferry_message_free(&r2->base);

    Ferry__Admin__V1__GetStatsRequest req = FERRY__ADMIN__V1__GET_STATS_REQUEST__INIT;
    Ferry__Admin__V1__GetStatsReply *s = NULL;
    assert_int_equal(ferry_admin_v1_admin_get_stats(till, &req, &s, &o), FERRY_OK);
    int seen = 0;
    for (size_t i = 0; i < s->n_services; i++)
        if (strcmp(s->services[i]->service, "inventory.v1.Stock") == 0) {
            assert_string_equal(s->services[i]->superseded_by, "inventory.v2.Stock");
            seen++;
        }
    for (size_t i = 0; i < s->n_clients; i++) {
        const Ferry__Admin__V1__ClientStats *c = s->clients[i];
        if (strcmp(c->client_name, "legacy-till") == 0) {
            assert_string_equal(c->method, "inventory.v1.Stock/GetItem");
            assert_string_equal(c->client_version, "0.9");
            assert_int_equal(c->api_version, 1);
            assert_int_equal(c->calls, 2);
            assert_true(c->old_major);
            assert_false(c->deprecated_method);
            seen++;
        } else if (strcmp(c->client_name, "till") == 0 &&
                   strcmp(c->method, "inventory.v2.Stock/Release") == 0) {
            assert_int_equal(c->calls, 1);
            assert_true(c->deprecated_method);
            assert_false(c->old_major);
            assert_false(c->old_api);
            seen++;
        } else if (strcmp(c->client_name, "till") == 0 &&
                   strcmp(c->method, "inventory.v2.Stock/GetItem") == 0) {
            assert_false(c->deprecated_method || c->old_major || c->old_api);
            seen++;
        }
    }
    assert_int_equal(seen, 4);
    for (size_t i = 0; i < s->n_methods; i++)
        if (strcmp(s->methods[i]->method, "inventory.v2.Stock/Release") == 0) {
            assert_true(s->methods[i]->deprecated);
            assert_int_equal(s->methods[i]->deprecated_since, 2);
            assert_int_equal(s->methods[i]->calls, 1);
        }
    ferry_message_free(&s->base);
    ferry_channel_close(legacy);
    ferry_channel_close(till);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v1_client_current_server, setup_current, teardown),
        cmocka_unit_test_setup_teardown(test_v2_client_current_server, setup_current, teardown),
        cmocka_unit_test_setup_teardown(test_v2_client_older_server, setup_old_v2_wide, teardown),
        cmocka_unit_test_setup_teardown(test_v2_client_older_server_default_range, setup_old_v2,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_v2_client_v1_server, setup_v1_only, teardown),
        cmocka_unit_test_setup_teardown(test_stats_show_old_clients, setup_current, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
