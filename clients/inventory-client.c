/* inventory-client.c - a short tour of the inventory service through the
 * generated v2 client: look up, page through, reserve, hit a shortage,
 * release, ask for an unknown item, one asynchronous call, and the same
 * server asked through the old v1 API.
 *
 *   inventory-client [--connect URL] [--deadline MS]
 *
 * Without --connect the address comes from FERRY_INVENTORY_ADDR, else
 * ipc://$TMPDIR/ferry-inventory.sock (where inventory-server listens by
 * default). Exits 1 when the server cannot be reached, 2 on bad arguments. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "examples/inventory/v1/inventory.ferry.h"
#include "examples/inventory/v2/inventory.ferry.h"

static ferry_call_opts opts;
static ferry_call_info info;

static void usage(FILE *out)
{
    fprintf(out, "usage: inventory-client [--connect URL] [--deadline MS] [--follow S]\n"
                 "  -c, --connect URL   server address (default: $FERRY_INVENTORY_ADDR, else\n"
                 "                      ipc://$TMPDIR/ferry-inventory.sock)\n"
                 "  -d, --deadline MS   deadline of each call (default: the IDL's)\n"
                 "  -f, --follow S      list items every 200 ms for up to S seconds, reporting\n"
                 "                      fallbacks while the server is away; exit 0 once it\n"
                 "                      has gone and come back\n"
                 "  -h, --help          this text\n");
}

static const char *category_name(Inventory__V2__Category c)
{
    switch (c) {
    case INVENTORY__V2__CATEGORY__CATEGORY_TOOLS:
        return "tools";
    case INVENTORY__V2__CATEGORY__CATEGORY_GARDEN:
        return "garden";
    case INVENTORY__V2__CATEGORY__CATEGORY_KITCHEN:
        return "kitchen";
    default:
        return "other";
    }
}

static void print_item(const Inventory__V2__Item *it)
{
    const Inventory__V2__Money *p = it->price != NULL ? it->price->amount : NULL;
    printf("    %-8s %-28s %7.2f %s  ", it->sku, it->name,
           p != NULL ? (double)p->minor_units / 100.0 : 0.0, p != NULL ? p->currency : "");
    if (it->availability_case == INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK)
        printf("%3u in stock", it->quantity);
    else
        printf("back in %u days", it->restock_in_days);
    for (size_t i = 0; i < it->n_tags; i++)
        printf("%s%s", i == 0 ? "  [" : ", ", it->tags[i]);
    printf("%s\n", it->n_tags > 0 ? "]" : "");
}

static void print_error(const char *what, ferry_status st)
{
    printf("    %s: %s: %s\n", what, ferry_status_str(st), info.message);
}

/* ---- the asynchronous call ---- */

typedef struct pending {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} pending;

static void on_item(void *arg, ferry_status st, Inventory__V2__GetItemReply *resp,
                    const ferry_call_info *ci)
{
    pending *p = arg;
    if (st == FERRY_OK) {
        printf("  callback:\n");
        print_item(resp->item);
        ferry_message_free(&resp->base);
    } else {
        printf("    (callback) %s: %s\n", ferry_status_str(st), ci->message);
    }
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static int tour(ferry_channel *ch)
{
    ferry_status st;

    printf("1. Look up one item (GetItem HAM-16)\n");
    Inventory__V2__GetItemRequest get = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    get.sku = "HAM-16";
    Inventory__V2__GetItemReply *item = NULL;
    if ((st = inventory_v2_stock_get_item(ch, &get, &item, &opts)) != FERRY_OK) {
        print_error("GetItem", st);
        return st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED ? -1 : 1;
    }
    print_item(item->item);
    for (size_t i = 0; i < item->item->n_attributes; i++)
        printf("      %s: %s\n", item->item->attributes[i]->key, item->item->attributes[i]->value);
    ferry_message_free(&item->base);

    printf("2. List the garden category, two items a page\n");
    Inventory__V2__ListItemsRequest list = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    list.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
    list.page_size = 2;
    char token[32] = "";
    for (int page = 1;; page++) {
        list.page_token = token;
        Inventory__V2__ListItemsReply *items = NULL;
        if ((st = inventory_v2_stock_list_items(ch, &list, &items, &opts)) != FERRY_OK) {
            print_error("ListItems", st);
            return 1;
        }
        printf("  page %d (%s):\n", page, category_name(list.category));
        for (size_t i = 0; i < items->n_items; i++)
            print_item(items->items[i]);
        snprintf(token, sizeof token, "%s", items->next_page_token);
        ferry_message_free(&items->base);
        if (token[0] == '\0')
            break;
    }

    printf("3. Reserve an order (2 x HAM-16, 1 x KNF-CHF)\n");
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
    Inventory__V2__ReserveReply *res = NULL;
    if ((st = inventory_v2_stock_reserve(ch, &order, &res, &opts)) != FERRY_OK) {
        print_error("Reserve", st);
        return 1;
    }
    char reservation[32] = "";
    if (res->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID) {
        snprintf(reservation, sizeof reservation, "%s", res->reservation_id);
        printf("    reserved: %s\n", reservation);
    }
    ferry_message_free(&res->base);
    /* Reserve is not idempotent, so ferry never retries it; the order id is
     * what makes sending it again (say, after a lost reply) harmless. */
    if ((st = inventory_v2_stock_reserve(ch, &order, &res, &opts)) != FERRY_OK) {
        print_error("Reserve", st);
        return 1;
    }
    if (res->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID)
        printf("    the same order again: %s, nothing reserved twice\n", res->reservation_id);
    ferry_message_free(&res->base);

    printf("4. Reserve more than there is (50 x DRL-CRD)\n");
    l1.sku = "DRL-CRD";
    l1.quantity = 50;
    order.order_id = "order-1002";
    order.n_lines = 1;
    if ((st = inventory_v2_stock_reserve(ch, &order, &res, &opts)) != FERRY_OK) {
        print_error("Reserve", st);
        return 1;
    }
    if (res->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE)
        printf("    shortage: %s, only %u available; nothing reserved\n", res->shortage->sku,
               res->shortage->available);
    ferry_message_free(&res->base);

    printf("5. Cancel the reservation %s\n", reservation);
    Inventory__V2__CancelReservationRequest cancel =
        INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    cancel.reservation_id = reservation;
    cancel.reason = "customer changed their mind";
    Inventory__V2__CancelReservationReply *cancelled = NULL;
    if ((st = inventory_v2_stock_cancel_reservation(ch, &cancel, &cancelled, &opts)) != FERRY_OK) {
        print_error("CancelReservation", st);
        return 1;
    }
    printf("    released %u lines\n", cancelled->lines_released);
    ferry_message_free(&cancelled->base);

    printf("6. Ask for an item that does not exist (GetItem NOPE-1)\n");
    get.sku = "NOPE-1";
    st = inventory_v2_stock_get_item(ch, &get, &item, &opts);
    if (st == FERRY_OK) {
        printf("    unexpected: found it\n");
        ferry_message_free(&item->base);
        return 1;
    }
    print_error("GetItem", st);

    printf("7. Look up an item asynchronously (GetItem PAN-28)\n");
    pending p = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    get.sku = "PAN-28";
    if ((st = inventory_v2_stock_get_item_async(ch, &get, &opts, on_item, &p)) != FERRY_OK) {
        print_error("GetItem (async)", st);
        return 1;
    }
    pthread_mutex_lock(&p.mu);
    while (!p.done)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);

    printf("8. The same item through the old v1 API, on the same server\n");
    Inventory__V1__GetItemRequest get1 = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    get1.sku = "PAN-28";
    Inventory__V1__GetItemReply *item1 = NULL;
    if ((st = inventory_v1_stock_get_item(ch, &get1, &item1, &opts)) != FERRY_OK) {
        print_error("v1 GetItem", st);
        return 1;
    }
    const Inventory__V1__Money *price1 = item1->item->price;
    printf("    %-8s %-28s %7.2f %s (v1 has no VAT or warehouse)\n", item1->item->sku,
           item1->item->name, price1 != NULL ? (double)price1->minor_units / 100.0 : 0.0,
           price1 != NULL ? price1->currency : "");
    ferry_message_free(&item1->base);
    return 0;
}

/* --follow: lists the garden items every 200 ms and reports each change
 * between real answers and fallbacks, until it has seen the service go away
 * and come back (exit 0) or `seconds` have passed (exit 1). */
static int follow(ferry_channel *ch, unsigned seconds)
{
    enum { NONE, REAL, DEGRADED } last = NONE;
    int went_away = 0;
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 200000000L};
    for (unsigned i = 0; i < seconds * 5; i++) {
        Inventory__V2__ListItemsRequest list = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        list.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
        Inventory__V2__ListItemsReply *items = NULL;
        ferry_call_opts o = {.deadline_ms = 500, .info = &info};
        ferry_status st = inventory_v2_stock_list_items(ch, &list, &items, &o);
        if (st == FERRY_OK && last != REAL) {
            printf("  follow: %zu garden items from the service\n", items->n_items);
            if (went_away) {
                printf("  follow: the service is back; the same channel recovered\n");
                ferry_message_free(&items->base);
                return 0;
            }
            last = REAL;
        } else if (st == FERRY_FALLBACK && last != DEGRADED) {
            printf("  follow: fallback (%zu items): %s\n", items->n_items, info.message);
            went_away = 1;
            last = DEGRADED;
        } else if (st != FERRY_OK && st != FERRY_FALLBACK) {
            printf("  follow: %s: %s\n", ferry_status_str(st), info.message);
        }
        if (items != NULL)
            ferry_message_free(&items->base);
        nanosleep(&tick, NULL);
    }
    return 1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"connect", required_argument, NULL, 'c'},
        {"deadline", required_argument, NULL, 'd'},
        {"follow", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines in order when mixed with other programs' */
    char url[PATH_MAX + 8] = "";
    unsigned follow_s = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:d:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            snprintf(url, sizeof url, "%s", optarg);
            break;
        case 'd': {
            char *end = NULL;
            errno = 0;
            unsigned long ms = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' || ms == 0 ||
                ms > 3600000) {
                fprintf(stderr,
                        "inventory-client: --deadline '%s' is not a number of "
                        "milliseconds from 1 to 3600000\n",
                        optarg);
                return 2;
            }
            opts.deadline_ms = (uint32_t)ms;
            break;
        }
        case 'f': {
            char *end = NULL;
            errno = 0;
            unsigned long s = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' || s == 0 ||
                s > 3600) {
                fprintf(stderr,
                        "inventory-client: --follow '%s' is not a number of seconds "
                        "from 1 to 3600\n",
                        optarg);
                return 2;
            }
            follow_s = (unsigned)s;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "inventory-client: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (url[0] == '\0') {
        const char *env = getenv("FERRY_INVENTORY_ADDR");
        const char *tmp = getenv("TMPDIR");
        if (env != NULL && *env != '\0')
            snprintf(url, sizeof url, "%s", env);
        else
            snprintf(url, sizeof url, "ipc://%s/ferry-inventory.sock",
                     tmp != NULL && *tmp ? tmp : "/tmp");
    }
    opts.info = &info;

    ferry_channel *ch = NULL;
    ferry_client_opts co = {.client_name = "inventory-client", .client_version = "1.0"};
    ferry_status st = ferry_client_open(&ch, url, &co);
    if (st != FERRY_OK) {
        fprintf(stderr, "inventory-client: cannot use address %s: %s\n", url, ferry_status_str(st));
        return 2;
    }
    if (follow_s > 0) {
        int frc = follow(ch, follow_s);
        ferry_channel_close(ch);
        return frc;
    }
    printf("inventory-client: calling inventory.v2.Stock at %s\n", url);
    int rc = tour(ch);
    ferry_channel_close(ch);
    if (rc < 0)
        fprintf(stderr, "inventory-client: the server at %s cannot be reached\n", url);
    return rc == 0 ? 0 : 1;
}
