/* test_stats.c - `ferry stats ADDRESS` run as a program against an inventory
 * server in this process (v1, v2 and the admin service on a temp ipc://
 * address): the table names the old clients, --json gives the same facts to
 * scripts, --fail-if-old turns them into exit status 1, and every way of
 * failing (usage, addresses, no server, no admin service, identity) exits 2
 * with a message saying what to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "inventory.h"

#include "cli_run.h"

typedef struct fixture {
    char dir[128];
    char url[200];
    inventory *inv;
    ferry_server *srv;
    char out[32768];
    char err[4096];
} fixture;

static void path_in(const fixture *f, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, name);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    cli_tmpdir(f->dir, sizeof f->dir, "ferry-stats");
    snprintf(f->url, sizeof f->url, "ipc://%s/s.sock", f->dir);
    assert_int_equal(inventory_new(&f->inv), FERRY_OK);
    assert_int_equal(
        ferry_server_new(&f->srv,
                         &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1}),
        FERRY_OK);
    assert_int_equal(inventory_v1_stock_register(f->srv, inventory_v1_handlers(), f->inv),
                     FERRY_OK);
    assert_int_equal(inventory_v2_stock_register(f->srv, inventory_v2_handlers(), f->inv),
                     FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_server_shutdown(f->srv, 2000);
    ferry_server_free(f->srv);
    inventory_free(f->inv);
    cli_rmdir(f->dir);
    free(f);
    return 0;
}

static void serve(fixture *f, int admin)
{
    if (admin)
        assert_int_equal(ferry_server_add_admin(f->srv), FERRY_OK);
    assert_int_equal(ferry_server_listen(f->srv, f->url, NULL, 0), FERRY_OK);
}

/* Runs `ferry stats ARGS...` (NULL-terminated); returns its exit status,
 * its output in f->out and f->err. */
static int run_stats(fixture *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int status = cli_runv(f->dir, f->out, sizeof f->out, f->err, sizeof f->err, "stats", ap);
    va_end(ap);
    return status;
}

/* A v1 client "legacy-till" 0.9 reads an item; a v2 client "till" 2.0
 * reads one and calls the deprecated Release. */
static void old_and_new_calls(fixture *f)
{
    ferry_channel *legacy = NULL, *till = NULL;
    ferry_client_opts lo = {
        .client_name = "legacy-till", .client_version = "0.9", .connect_timeout_ms = 5000};
    ferry_client_opts to = {
        .client_name = "till", .client_version = "2.0", .connect_timeout_ms = 5000};
    assert_int_equal(ferry_client_open(&legacy, f->url, &lo), FERRY_OK);
    assert_int_equal(ferry_client_open(&till, f->url, &to), FERRY_OK);
    ferry_call_opts o = {.deadline_ms = 10000};
    Inventory__V1__GetItemRequest g1 = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    g1.sku = "HAM-16";
    Inventory__V1__GetItemReply *r1 = NULL;
    assert_int_equal(inventory_v1_stock_get_item(legacy, &g1, &r1, &o), FERRY_OK);
    ferry_message_free(&r1->base);
    Inventory__V2__GetItemRequest g2 = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    g2.sku = "HAM-16";
    Inventory__V2__GetItemReply *r2 = NULL;
    assert_int_equal(inventory_v2_stock_get_item(till, &g2, &r2, &o), FERRY_OK);
    ferry_message_free(&r2->base);
    Inventory__V2__ReleaseRequest rel = INVENTORY__V2__RELEASE_REQUEST__INIT;
    rel.reservation_id = "R-404";
    Inventory__V2__ReleaseReply *rr = NULL;
    assert_int_equal(inventory_v2_stock_release(till, &rel, &rr, &o), FERRY_NOT_FOUND);
    ferry_channel_close(legacy);
    ferry_channel_close(till);
}

static void test_table(void **state)
{
    fixture *f = *state;
    serve(f, 1);
    old_and_new_calls(f);
    assert_int_equal(run_stats(f, f->url, NULL), 0);
    assert_contains(f->out, "inventory.v1.Stock      1  1-1     old major version: "
                            "inventory.v2.Stock is served");
    assert_contains(f->out, "inventory.v2.Stock      2  1-2\n");
    assert_contains(f->out, "legacy-till 0.9");
    assert_contains(f->out, "old major version\n");
    assert_contains(f->out, "deprecated since 2\n");
    assert_contains(f->out, "2 client rows still call deprecated methods or old versions.");
    /* Methods nobody called are listed; called ones are not. */
    assert_contains(f->out, "Never called since counting started:");
    assert_contains(f->out, "\n  inventory.v2.Stock/ListItems\n");
    assert_null(strstr(f->out, "\n  inventory.v2.Stock/GetItem\n"));
    assert_string_equal(f->err, "");
    /* The same, as a gate before removing v1. */
    assert_int_equal(run_stats(f, "--fail-if-old", f->url, NULL), 1);
}

static void test_json(void **state)
{
    fixture *f = *state;
    serve(f, 1);
    old_and_new_calls(f);
    assert_int_equal(run_stats(f, "--json", f->url, NULL), 0);
    json_error_t jerr;
    json_t *root = json_loads(f->out, 0, &jerr);
    if (root == NULL)
        fail_msg("not JSON: %s: %s", jerr.text, f->out);
    assert_int_equal(json_integer_value(json_object_get(root, "old_clients")), 2);
    json_t *clients = json_object_get(root, "clients");
    int legacy = 0, deprecated = 0;
    for (size_t i = 0; i < json_array_size(clients); i++) {
        json_t *c = json_array_get(clients, i);
        const char *name = json_string_value(json_object_get(c, "client_name"));
        const char *method = json_string_value(json_object_get(c, "method"));
        if (strcmp(name, "legacy-till") == 0) {
            assert_string_equal(method, "inventory.v1.Stock/GetItem");
            assert_true(json_is_true(json_object_get(c, "old_major")));
            assert_int_equal(json_integer_value(json_object_get(c, "api_version")), 1);
            assert_int_equal(json_integer_value(json_object_get(c, "calls")), 1);
            legacy++;
        }
        if (json_is_true(json_object_get(c, "deprecated_method"))) {
            assert_string_equal(method, "inventory.v2.Stock/Release");
            assert_string_equal(name, "till");
            deprecated++;
        }
    }
    assert_int_equal(legacy, 1);
    assert_int_equal(deprecated, 1);
    json_t *svcs = json_object_get(root, "services");
    assert_int_equal(json_array_size(svcs), 3);
    json_decref(root);
}

static void test_no_old_clients(void **state)
{
    fixture *f = *state;
    serve(f, 1);
    assert_int_equal(run_stats(f, "--fail-if-old", f->url, NULL), 0);
    assert_contains(f->out, "No client calls deprecated methods or old versions.");
}

static void test_errors(void **state)
{
    fixture *f = *state;
    serve(f, 0);
    assert_int_equal(run_stats(f, NULL), 2);
    assert_contains(f->err, "ferry stats: no ADDRESS given");
    assert_int_equal(run_stats(f, f->url, f->url, NULL), 2);
    assert_contains(f->err, "one ADDRESS, not several");
    assert_int_equal(run_stats(f, "--timeout", "soon", f->url, NULL), 2);
    assert_contains(f->err, "--timeout 'soon' is not a number");
    assert_int_equal(run_stats(f, "--bogus", f->url, NULL), 2);
    assert_int_equal(run_stats(f, "nope://where", NULL), 2);
    /* Said once, by the command, with the address and the reason: not also
     * logged by the runtime that found it. */
    assert_string_equal(f->err, "ferry stats: cannot dial nope://where: Not supported\n");
    char gone[300];
    snprintf(gone, sizeof gone, "ipc://%s/gone.sock", f->dir);
    assert_int_equal(run_stats(f, "--timeout", "200", gone, NULL), 3);
    assert_contains(f->err, "unavailable");
    assert_contains(f->err, "is the server running at that address?");
    /* This server does not host the admin service: an answer, an error. */
    assert_int_equal(run_stats(f, f->url, NULL), 1);
    assert_contains(f->err, "unimplemented");
    assert_contains(f->err, "the server does not host the admin service");
    assert_int_equal(run_stats(f, "--proof", "mac", f->url, NULL), 2);
    assert_contains(f->err, "needs this client's key");
    char missing[300];
    path_in(f, "missing.key", missing, sizeof missing);
    assert_int_equal(run_stats(f, "--key", missing, f->url, NULL), 2);
    assert_contains(f->err, "missing.key");
    assert_int_equal(run_stats(f, "--help", NULL), 0);
    assert_contains(f->out, "usage: ferry stats ADDRESS");
}

static void write_key(fixture *f, const ferry_key *k, const char *name)
{
    char sec[300], pub[300];
    snprintf(sec, sizeof sec, "%s/%s.key", f->dir, name);
    snprintf(pub, sizeof pub, "%s/%s.pub", f->dir, name);
    assert_int_equal(ferry_key_write(k, sec, pub), FERRY_OK);
}

static void test_identity(void **state)
{
    fixture *f = *state;
    ferry_key *server = NULL, *ops = NULL, *shop = NULL;
    assert_int_equal(ferry_key_generate(&server, "server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&ops, "ops"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&shop, "shop"), FERRY_OK);
    write_key(f, server, "server");
    write_key(f, ops, "ops");
    write_key(f, shop, "shop");
    char keyring[300], a[FERRY_PUBLIC_KEY_B64], b[FERRY_PUBLIC_KEY_B64];
    path_in(f, "keyring", keyring, sizeof keyring);
    ferry_key_public_b64(ops, a);
    ferry_key_public_b64(shop, b);
    FILE *fp = fopen(keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "ops %s roles=" FERRY_ADMIN_ROLE "\nshop %s roles=shop\n", a, b);
    assert_int_equal(fclose(fp), 0);
    ferry_server_identity id = {.key = server, .keyring_path = keyring};
    assert_int_equal(ferry_server_set_identity(f->srv, &id), FERRY_OK);
    serve(f, 1);

    char ops_key[300], shop_key[300], server_pub[300];
    path_in(f, "ops.key", ops_key, sizeof ops_key);
    path_in(f, "shop.key", shop_key, sizeof shop_key);
    path_in(f, "server.pub", server_pub, sizeof server_pub);
    assert_int_equal(run_stats(f, f->url, NULL), 1);
    assert_contains(f->err, "unauthenticated");
    assert_contains(f->err, "pass --key");
    assert_int_equal(run_stats(f, "--key", shop_key, f->url, NULL), 1);
    assert_contains(f->err, "permission denied");
    assert_contains(f->err, "the key needs the role ferry.admin");
    assert_int_equal(run_stats(f, "--key", ops_key, f->url, NULL), 0);
    assert_contains(f->out, "ferry.admin.v1.Admin/GetStats");
    assert_int_equal(run_stats(f, "-k", ops_key, "-s", server_pub, "--proof", "mac", f->url, NULL),
                     0);
    assert_int_equal(run_stats(f, "-k", ops_key, "--proof", "sometimes", f->url, NULL), 2);
    assert_contains(f->err, "proof 'sometimes' is neither 'signed' nor 'mac'");
    ferry_key_free(server);
    ferry_key_free(ops);
    ferry_key_free(shop);
}

/* Given a metrics endpoint, the table shows per method its calls, errors
 * by status and latency quantiles. */
static void test_metrics_endpoint(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv); /* a server with metrics instead */
    ferry_server_opts so = {.workers = 2,
                            .serve_roles_without_identity = 1,
                            .metrics_url = "http://127.0.0.1:0/metrics"};
    assert_int_equal(ferry_server_new(&f->srv, &so), FERRY_OK);
    assert_int_equal(inventory_v1_stock_register(f->srv, inventory_v1_handlers(), f->inv),
                     FERRY_OK);
    assert_int_equal(inventory_v2_stock_register(f->srv, inventory_v2_handlers(), f->inv),
                     FERRY_OK);
    serve(f, 0);
    old_and_new_calls(f);
    const char *url = ferry_metrics_url(ferry_server_metrics(f->srv));
    assert_non_null(url);
    /* The server counts a call once its reply is on its way: wait for the
     * last one (bounded). */
    for (int i = 0; i < 200 && strstr(f->out, "not_found 1") == NULL; i++) {
        assert_int_equal(run_stats(f, url, NULL), 0);
        if (strstr(f->out, "not_found 1") == NULL) {
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    assert_contains(f->out, "server  inventory.v2.Stock/Release");
    assert_contains(f->out, "not_found 1");
    assert_contains(f->out, "inventory.v1.Stock/GetItem");
    assert_int_equal(run_stats(f, "--json", url, NULL), 2);
    assert_contains(f->err, "need a server's address");
    char closed[64];
    snprintf(closed, sizeof closed, "http://127.0.0.1:1/metrics");
    assert_int_equal(run_stats(f, "--timeout", "2000", closed, NULL), 3);
    assert_contains(f->err, "cannot connect");
    assert_int_equal(run_stats(f, "http://no-such-host.invalid:9464/metrics", NULL), 3);
    assert_contains(f->err, "cannot resolve the host name 'no-such-host.invalid'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_old_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
