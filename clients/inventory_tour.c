/* inventory_tour.c - the inventory client's tour and follow loop, on any
 * channel (see inventory_tour.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "examples/inventory/v1/inventory.ferry.h"
#include "examples/inventory/v2/inventory.ferry.h"
#include "inventory_tour.h"

/* One tour: the channel, where it prints, and the options and info every
 * call uses. */
typedef struct tour {
    ferry_channel *ch;
    FILE *out;
    ferry_call_opts opts;
    ferry_call_info info;
} tour;

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

static void print_item(FILE *out, const Inventory__V2__Item *it)
{
    const Inventory__V2__Money *p = it->price != NULL ? it->price->amount : NULL;
    fprintf(out, "    %-8s %-28s %7.2f %s  ", it->sku, it->name,
            p != NULL ? (double)p->minor_units / 100.0 : 0.0, p != NULL ? p->currency : "");
    if (it->availability_case == INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK)
        fprintf(out, "%3u in stock", it->quantity);
    else
        fprintf(out, "back in %u days", it->restock_in_days);
    for (size_t i = 0; i < it->n_tags; i++)
        fprintf(out, "%s%s", i == 0 ? "  [" : ", ", it->tags[i]);
    fprintf(out, "%s\n", it->n_tags > 0 ? "]" : "");
}

static void print_error(tour *t, const char *what, ferry_status st)
{
    fprintf(t->out, "    %s: %s: %s\n", what, ferry_status_str(st), t->info.message);
}

/* ---- the asynchronous call ---- */

typedef struct pending {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    FILE *out;
    int done;
} pending;

static void on_item(void *arg, ferry_status st, Inventory__V2__GetItemReply *resp,
                    const ferry_call_info *ci)
{
    pending *p = arg;
    if (st == FERRY_OK) {
        fprintf(p->out, "  callback:\n");
        print_item(p->out, resp->item);
        ferry_message_free(&resp->base);
    } else {
        fprintf(p->out, "    (callback) %s: %s\n", ferry_status_str(st), ci->message);
    }
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* ---- the steps ---- */

static inventory_tour_result look_up(tour *t)
{
    ferry_status st;
    fprintf(t->out, "1. Look up one item (GetItem HAM-16)\n");
    Inventory__V2__GetItemRequest get = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    get.sku = "HAM-16";
    Inventory__V2__GetItemReply *item = NULL;
    if ((st = inventory_v2_stock_get_item(t->ch, &get, &item, &t->opts)) != FERRY_OK) {
        print_error(t, "GetItem", st);
        return st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED ? INVENTORY_TOUR_UNREACHABLE
                                                                        : INVENTORY_TOUR_FAILED;
    }
    print_item(t->out, item->item);
    for (size_t i = 0; i < item->item->n_attributes; i++)
        fprintf(t->out, "      %s: %s\n", item->item->attributes[i]->key,
                item->item->attributes[i]->value);
    ferry_message_free(&item->base);
    return INVENTORY_TOUR_DONE;
}

static inventory_tour_result list_garden(tour *t)
{
    fprintf(t->out, "2. List the garden category, two items a page\n");
    Inventory__V2__ListItemsRequest list = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    list.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
    list.page_size = 2;
    char token[32] = "";
    for (int page = 1;; page++) {
        list.page_token = token;
        Inventory__V2__ListItemsReply *items = NULL;
        ferry_status st = inventory_v2_stock_list_items(t->ch, &list, &items, &t->opts);
        if (st != FERRY_OK) {
            /* A fallback is not the list: say so rather than print it. */
            if (items != NULL)
                ferry_message_free(&items->base);
            print_error(t, "ListItems", st);
            return INVENTORY_TOUR_FAILED;
        }
        fprintf(t->out, "  page %d (%s):\n", page, category_name(list.category));
        for (size_t i = 0; i < items->n_items; i++)
            print_item(t->out, items->items[i]);
        snprintf(token, sizeof token, "%s", items->next_page_token);
        ferry_message_free(&items->base);
        if (token[0] == '\0')
            return INVENTORY_TOUR_DONE;
    }
}

/* Steps 3 to 5: reserve an order twice, hit a shortage, cancel. */
static inventory_tour_result reserve_and_cancel(tour *t)
{
    ferry_status st;
    fprintf(t->out, "3. Reserve an order (2 x HAM-16, 1 x KNF-CHF)\n");
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
    if ((st = inventory_v2_stock_reserve(t->ch, &order, &res, &t->opts)) != FERRY_OK) {
        print_error(t, "Reserve", st);
        return INVENTORY_TOUR_FAILED;
    }
    char reservation[32] = "";
    if (res->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID) {
        snprintf(reservation, sizeof reservation, "%s", res->reservation_id);
        fprintf(t->out, "    reserved: %s\n", reservation);
    }
    ferry_message_free(&res->base);
    /* Reserve is not idempotent, so ferry never retries it; the order id is
     * what makes sending it again (say, after a lost reply) harmless. */
    if ((st = inventory_v2_stock_reserve(t->ch, &order, &res, &t->opts)) != FERRY_OK) {
        print_error(t, "Reserve", st);
        return INVENTORY_TOUR_FAILED;
    }
    if (res->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID)
        fprintf(t->out, "    the same order again: %s, nothing reserved twice\n",
                res->reservation_id);
    ferry_message_free(&res->base);

    fprintf(t->out, "4. Reserve more than there is (50 x DRL-CRD)\n");
    l1.sku = "DRL-CRD";
    l1.quantity = 50;
    order.order_id = "order-1002";
    order.n_lines = 1;
    if ((st = inventory_v2_stock_reserve(t->ch, &order, &res, &t->opts)) != FERRY_OK) {
        print_error(t, "Reserve", st);
        return INVENTORY_TOUR_FAILED;
    }
    if (res->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE)
        fprintf(t->out, "    shortage: %s, only %u available; nothing reserved\n",
                res->shortage->sku, res->shortage->available);
    ferry_message_free(&res->base);

    fprintf(t->out, "5. Cancel the reservation %s\n", reservation);
    Inventory__V2__CancelReservationRequest cancel =
        INVENTORY__V2__CANCEL_RESERVATION_REQUEST__INIT;
    cancel.reservation_id = reservation;
    cancel.reason = "customer changed their mind";
    Inventory__V2__CancelReservationReply *cancelled = NULL;
    st = inventory_v2_stock_cancel_reservation(t->ch, &cancel, &cancelled, &t->opts);
    if (st != FERRY_OK) {
        print_error(t, "CancelReservation", st);
        return INVENTORY_TOUR_FAILED;
    }
    fprintf(t->out, "    released %u lines\n", cancelled->lines_released);
    ferry_message_free(&cancelled->base);
    return INVENTORY_TOUR_DONE;
}

/* Steps 6 to 8: a missing item, an asynchronous call, the v1 API. */
static inventory_tour_result missing_async_v1(tour *t)
{
    ferry_status st;
    fprintf(t->out, "6. Ask for an item that does not exist (GetItem NOPE-1)\n");
    Inventory__V2__GetItemRequest get = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    get.sku = "NOPE-1";
    Inventory__V2__GetItemReply *item = NULL;
    st = inventory_v2_stock_get_item(t->ch, &get, &item, &t->opts);
    if (st == FERRY_OK) {
        fprintf(t->out, "    unexpected: found it\n");
        ferry_message_free(&item->base);
        return INVENTORY_TOUR_FAILED;
    }
    print_error(t, "GetItem", st);

    fprintf(t->out, "7. Look up an item asynchronously (GetItem PAN-28)\n");
    pending p = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .out = t->out};
    get.sku = "PAN-28";
    if ((st = inventory_v2_stock_get_item_async(t->ch, &get, &t->opts, on_item, &p)) != FERRY_OK) {
        print_error(t, "GetItem (async)", st);
        return INVENTORY_TOUR_FAILED;
    }
    pthread_mutex_lock(&p.mu);
    while (!p.done)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);

    fprintf(t->out, "8. The same item through the old v1 API, on the same server\n");
    Inventory__V1__GetItemRequest get1 = INVENTORY__V1__GET_ITEM_REQUEST__INIT;
    get1.sku = "PAN-28";
    Inventory__V1__GetItemReply *item1 = NULL;
    if ((st = inventory_v1_stock_get_item(t->ch, &get1, &item1, &t->opts)) != FERRY_OK) {
        print_error(t, "v1 GetItem", st);
        return INVENTORY_TOUR_FAILED;
    }
    const Inventory__V1__Money *price1 = item1->item->price;
    fprintf(t->out, "    %-8s %-28s %7.2f %s (v1 has no VAT or warehouse)\n", item1->item->sku,
            item1->item->name, price1 != NULL ? (double)price1->minor_units / 100.0 : 0.0,
            price1 != NULL ? price1->currency : "");
    ferry_message_free(&item1->base);
    return INVENTORY_TOUR_DONE;
}

inventory_tour_result inventory_tour(ferry_channel *ch, FILE *out, uint32_t deadline_ms)
{
    tour t = {.ch = ch, .out = out};
    t.opts.deadline_ms = deadline_ms;
    t.opts.info = &t.info;
    inventory_tour_result rc = look_up(&t);
    if (rc == INVENTORY_TOUR_DONE)
        rc = list_garden(&t);
    if (rc == INVENTORY_TOUR_DONE)
        rc = reserve_and_cancel(&t);
    if (rc == INVENTORY_TOUR_DONE)
        rc = missing_async_v1(&t);
    return rc;
}

/* ---- following the service through an outage ---- */

int inventory_follow(ferry_channel *ch, FILE *out, unsigned max_calls, uint32_t interval_ms)
{
    enum { NONE, REAL, DEGRADED } last = NONE;
    int went_away = 0;
    struct timespec tick = {.tv_sec = interval_ms / 1000,
                            .tv_nsec = (long)(interval_ms % 1000) * 1000000L};
    ferry_call_info info;
    for (unsigned i = 0; i < max_calls; i++) {
        Inventory__V2__ListItemsRequest list = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
        list.category = INVENTORY__V2__CATEGORY__CATEGORY_GARDEN;
        Inventory__V2__ListItemsReply *items = NULL;
        ferry_call_opts o = {.deadline_ms = 500, .info = &info};
        ferry_status st = inventory_v2_stock_list_items(ch, &list, &items, &o);
        if (st == FERRY_OK && last != REAL) {
            fprintf(out, "  follow: %zu garden items from the service\n", items->n_items);
            if (went_away) {
                fprintf(out, "  follow: the service is back; the same channel recovered\n");
                ferry_message_free(&items->base);
                return 0;
            }
            last = REAL;
        } else if (st == FERRY_FALLBACK && last != DEGRADED) {
            fprintf(out, "  follow: fallback (%zu items): %s\n", items->n_items, info.message);
            went_away = 1;
            last = DEGRADED;
        } else if (st != FERRY_OK && st != FERRY_FALLBACK) {
            fprintf(out, "  follow: %s: %s\n", ferry_status_str(st), info.message);
        }
        if (items != NULL)
            ferry_message_free(&items->base);
        if (interval_ms > 0 && i + 1 < max_calls) {
            struct timespec left = tick;
            while (nanosleep(&left, &left) != 0 && errno == EINTR)
                ;
        }
    }
    return 1;
}
