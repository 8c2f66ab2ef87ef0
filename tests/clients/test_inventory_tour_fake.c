/* test_inventory_tour_fake.c - the inventory client against the real
 * inventory handlers on a fake server: the whole client path (remote
 * channel, envelope, deadlines, fallbacks) inside the test's process, no
 * server program, no socket file. The tour prints what the demo prints;
 * the follow loop sees an outage and the recovery. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "examples/inventory/v2/inventory.ferry-mock.h"
#include "inventory.h"
#include "inventory_tour.h"
#include "support.h"

typedef struct fixture {
    inventory *inv;
    ferry_fake *fake;
} fixture;

/* v1 and v2 on one fake, as inventory-server serves them; `breaker_ms` is
 * how long a tripped breaker stays open. */
static fixture *start(uint32_t breaker_ms)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(inventory_new(&f->inv), FERRY_OK);
    ferry_service_impl impls[2];
    inventory_v2_stock_impl(&impls[0], inventory_v2_handlers(), f->inv);
    inventory_v1_stock_impl(&impls[1], inventory_v1_handlers(), f->inv);
    ferry_fake_opts fo = {
        .server = {.workers = 2},
        .client = {.client_name = "inventory-client", .breaker = {.open_ms = breaker_ms}},
    };
    assert_int_equal(ferry_fake_start(&f->fake, impls, 2, &fo), FERRY_OK);
    return f;
}

static void stop(fixture *f)
{
    ferry_fake_stop(f->fake);
    inventory_free(f->inv);
    free(f);
}

/* What the tour prints against the seeded stock (the demo shows the same). */
static const char tour_transcript[] =
    "1. Look up one item (GetItem HAM-16)\n"
    "    HAM-16   Claw hammer 16 oz              19.90 EUR   42 in stock  [steel, bestseller]\n"
    "      weight: 450 g\n"
    "2. List the garden category, two items a page\n"
    "  page 1 (garden):\n"
    "    HOS-25   Garden hose 25 m               32.99 EUR    9 in stock  [summer]\n"
    "    RAK-LF   Leaf rake                      11.99 EUR   23 in stock  [autumn]\n"
    "  page 2 (garden):\n"
    "    SEC-PRO  Pruning secateurs              21.50 EUR  back in 14 days  [steel]\n"
    "    WTC-10L  Watering can 10 l               8.99 EUR   31 in stock\n"
    "3. Reserve an order (2 x HAM-16, 1 x KNF-CHF)\n"
    "    reserved: R-000001\n"
    "    the same order again: R-000001, nothing reserved twice\n"
    "4. Reserve more than there is (50 x DRL-CRD)\n"
    "    shortage: DRL-CRD, only 5 available; nothing reserved\n"
    "5. Cancel the reservation R-000001\n"
    "    released 2 lines\n"
    "6. Ask for an item that does not exist (GetItem NOPE-1)\n"
    "    GetItem: not found: no item with sku 'NOPE-1'\n"
    "7. Look up an item asynchronously (GetItem PAN-28)\n"
    "  callback:\n"
    "    PAN-28   Frying pan 28 cm               34.90 EUR   12 in stock  [induction]\n"
    "8. The same item through the old v1 API, on the same server\n"
    "    PAN-28   Frying pan 28 cm               34.90 EUR (v1 has no VAT or warehouse)\n";

static void test_the_tour_on_the_real_handlers(void **state)
{
    (void)state;
    fixture *f = start(0);
    capture out;
    capture_open(&out);
    assert_int_equal(inventory_tour(ferry_fake_channel(f->fake), out.f, 5000), INVENTORY_TOUR_DONE);
    char *text = capture_text(&out);
    assert_string_equal(text, tour_transcript);
    free(text);
    ferry_server_counters c;
    ferry_server_get_counters(ferry_fake_server(f->fake), &c);
    assert_int_equal(c.handled, 10); /* 1 + 2 pages + 3 reserves + 1 + 1 + 1 + 1 */
    stop(f);
}

static void test_the_tour_finds_no_server(void **state)
{
    (void)state;
    fixture *f = start(0);
    ferry_fake_down(f->fake, 1000);
    capture out;
    capture_open(&out);
    assert_int_equal(inventory_tour(ferry_fake_channel(f->fake), out.f, 2000),
                     INVENTORY_TOUR_UNREACHABLE);
    char *text = capture_text(&out);
    assert_contains(text, "1. Look up one item (GetItem HAM-16)\n    GetItem: ");
    assert_null(strstr(text, "2. List"));
    free(text);
    stop(f);
}

/* ---- follow through an outage ---- */

typedef struct follower {
    ferry_channel *ch;
    FILE *out;
    int rc;
} follower;

static void *run_follow(void *arg)
{
    follower *fl = arg;
    /* At most 2000 calls 10 ms apart: far longer than the test needs. */
    fl->rc = inventory_follow(fl->ch, fl->out, 2000, 10);
    fclose(fl->out);
    return NULL;
}

/* Reads lines from `in` until one contains `want`; fails at the end of
 * the stream. */
static void wait_for_line(FILE *in, const char *want)
{
    char line[512];
    while (fgets(line, sizeof line, in) != NULL)
        if (strstr(line, want) != NULL)
            return;
    fail_msg("the follow loop ended without printing \"%s\"", want);
}

static void test_follow_through_an_outage(void **state)
{
    (void)state;
    /* A short breaker wait: once the server is back the breaker lets a
     * trial call through soon. */
    fixture *f = start(100);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    follower fl = {.ch = ferry_fake_channel(f->fake), .out = fdopen(fds[1], "w")};
    FILE *in = fdopen(fds[0], "r");
    assert_non_null(fl.out);
    assert_non_null(in);
    setvbuf(fl.out, NULL, _IOLBF, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_follow, &fl), 0);

    /* Each step waits for the loop to report the last one: no timing. */
    wait_for_line(in, "garden items from the service");
    ferry_fake_down(f->fake, 1000);
    wait_for_line(in, "follow: fallback (0 items): ");
    assert_int_equal(ferry_fake_up(f->fake), FERRY_OK);
    wait_for_line(in, "the service is back; the same channel recovered");

    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(fl.rc, 0);
    fclose(in);
    stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_tour_on_the_real_handlers),
        cmocka_unit_test(test_the_tour_finds_no_server),
        cmocka_unit_test(test_follow_through_an_outage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
