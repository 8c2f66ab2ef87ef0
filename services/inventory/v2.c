/* v2.c - the inventory.v2.Stock handlers: the module's real implementation.
 *
 * Each handler checks its request, takes the stock's mutex, reads or changes
 * the store, and copies what the reply needs into the call's arena (or points
 * at static seed data) before it lets go, so a reply never points into
 * memory the store may change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "store.h"

#define DEFAULT_PAGE    5u
#define MAX_PAGE        100u
#define MAX_ORDER_LINES 1000u /* the max_items of ReserveRequest.lines in the IDL */

_Static_assert((int)STORE_TOOLS == (int)INVENTORY__V2__CATEGORY__CATEGORY_TOOLS &&
                   (int)STORE_GARDEN == (int)INVENTORY__V2__CATEGORY__CATEGORY_GARDEN &&
                   (int)STORE_KITCHEN == (int)INVENTORY__V2__CATEGORY__CATEGORY_KITCHEN &&
                   (int)STORE_KITCHEN == (int)INVENTORY__V1__CATEGORY__CATEGORY_KITCHEN &&
                   (int)STORE_TOOLS == (int)INVENTORY__V1__CATEGORY__CATEGORY_TOOLS &&
                   (int)STORE_GARDEN == (int)INVENTORY__V1__CATEGORY__CATEGORY_GARDEN,
               "the store's categories are the IDL's, in v1 and v2");

/* Copies `it` into a new v2 Item in the call's arena; NULL when out of memory.
 * Tags, attributes and the thumbnail point at the static seed data. */
static Inventory__V2__Item *item_to_v2(ferry_call *call, const store_item *it)
{
    Inventory__V2__Item *m = ferry_call_alloc(call, sizeof *m);
    Inventory__V2__Price *price = ferry_call_alloc(call, sizeof *price);
    Inventory__V2__Money *amount = ferry_call_alloc(call, sizeof *amount);
    if (m == NULL || price == NULL || amount == NULL)
        return NULL;
    inventory__v2__item__init(m);
    inventory__v2__price__init(price);
    inventory__v2__money__init(amount);
    m->sku = (char *)it->sku;
    m->name = (char *)it->name;
    m->warehouse = (char *)it->warehouse;
    amount->currency = (char *)it->currency;
    amount->minor_units = it->minor_units;
    price->amount = amount;
    price->vat_percent = it->vat_percent;
    m->price = price;
    m->category = (Inventory__V2__Category)it->category;
    m->quantity = it->quantity;
    if (it->quantity > 0) {
        m->availability_case = INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK;
        m->in_stock = 1;
    } else {
        m->availability_case = INVENTORY__V2__ITEM__AVAILABILITY_RESTOCK_IN_DAYS;
        m->restock_in_days = it->restock_in_days;
    }

    size_t n_tags = 0, n_attrs = 0;
    while (n_tags < STORE_MAX_TAGS && it->tags[n_tags] != NULL)
        n_tags++;
    while (n_attrs < STORE_MAX_ATTRS && it->attr_keys[n_attrs] != NULL)
        n_attrs++;
    if (n_tags > 0) {
        m->tags = ferry_call_alloc(call, n_tags * sizeof *m->tags);
        if (m->tags == NULL)
            return NULL;
        for (size_t i = 0; i < n_tags; i++)
            m->tags[i] = (char *)it->tags[i];
        m->n_tags = n_tags;
    }
    if (n_attrs > 0) {
        m->attributes = ferry_call_alloc(call, n_attrs * sizeof *m->attributes);
        if (m->attributes == NULL)
            return NULL;
        for (size_t i = 0; i < n_attrs; i++) {
            Inventory__V2__Item__AttributesEntry *e = ferry_call_alloc(call, sizeof *e);
            if (e == NULL)
                return NULL;
            inventory__v2__item__attributes_entry__init(e);
            e->key = (char *)it->attr_keys[i];
            e->value = (char *)it->attr_values[i];
            m->attributes[i] = e;
        }
        m->n_attributes = n_attrs;
    }
    m->thumbnail.data = (uint8_t *)it->thumbnail;
    m->thumbnail.len = it->thumbnail_len;
    return m;
}

static ferry_status oom(ferry_call *call)
{
    return ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED, "out of memory building the reply");
}

/* GetItem: the item `req->sku`; NOT_FOUND for one the shop does not carry.
 * (An empty or overlong sku never gets here: the IDL's rules refuse it.) */
static ferry_status get_item(void *user, ferry_call *call, const Inventory__V2__GetItemRequest *req,
                             Inventory__V2__GetItemReply *resp)
{
    inventory *inv = user;
    long i = store_find(inv, req->sku);
    if (i < 0)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "no item with sku '%s'", req->sku);
    pthread_mutex_lock(&inv->mu);
    Inventory__V2__Item *m = item_to_v2(call, &inv->items[i]);
    pthread_mutex_unlock(&inv->mu);
    if (m == NULL)
        return oom(call);
    resp->item = m;
    return FERRY_OK;
}

/* Reads a page token: the decimal index of the next item to look at; "" is
 * the first. Returns -1 for anything this server would not have given out. */
static int parse_token(const char *token, size_t n_items, size_t *start)
{
    if (token[0] == '\0') {
        *start = 0;
        return 0;
    }
    if (token[0] < '0' || token[0] > '9')
        return -1;
    char *end = NULL;
    unsigned long v = strtoul(token, &end, 10);
    if (*end != '\0' || v >= n_items) /* the server names an item that is left */
        return -1;
    *start = v;
    return 0;
}

/* Whether `it` passes the filters of `req`. */
static int matches(const Inventory__V2__ListItemsRequest *req, const store_item *it)
{
    if (req->category != INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED &&
        (int)it->category != (int)req->category)
        return 0;
    return !req->in_stock_only || it->quantity > 0;
}

/* ListItems: up to page_size items (0: DEFAULT_PAGE; at most MAX_PAGE) of
 * `category` (UNSPECIFIED: all), only those with units on hand when
 * in_stock_only, in catalogue order from `page_token`. next_page_token is ""
 * when no matching item is left, so there is never an empty last page.
 * INVALID_ARGUMENT for a token this server did not give out (the IDL's rules
 * refuse a category it does not define). */
static ferry_status list_items(void *user, ferry_call *call,
                               const Inventory__V2__ListItemsRequest *req,
                               Inventory__V2__ListItemsReply *resp)
{
    inventory *inv = user;
    uint32_t page = req->page_size == 0 ? DEFAULT_PAGE : req->page_size;
    if (page > MAX_PAGE)
        page = MAX_PAGE;
    size_t start = 0;
    if (parse_token(req->page_token, inv->n_items, &start) != 0)
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT,
                               "page_token '%s' is not one this server gave out", req->page_token);
    resp->items = ferry_call_alloc(call, page * sizeof *resp->items);
    if (resp->items == NULL)
        return oom(call);

    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&inv->mu);
    size_t i = start;
    for (; i < inv->n_items && resp->n_items < page; i++) {
        if (!matches(req, &inv->items[i]))
            continue;
        Inventory__V2__Item *m = item_to_v2(call, &inv->items[i]);
        if (m == NULL) {
            st = oom(call);
            break;
        }
        resp->items[resp->n_items++] = m;
    }
    while (i < inv->n_items && !matches(req, &inv->items[i]))
        i++;
    pthread_mutex_unlock(&inv->mu);
    if (st != FERRY_OK)
        return st;
    if (i < inv->n_items) {
        char token[24];
        snprintf(token, sizeof token, "%zu", i);
        resp->next_page_token = ferry_call_strdup(call, token);
        if (resp->next_page_token == NULL)
            return oom(call);
    }
    return FERRY_OK;
}

/* Checks the lines of `req` and adds up the units wanted per item into
 * `want` (inv->n_items entries, zeroed). Needs no lock: SKUs never change.
 * The IDL's rules have refused an empty order id, no lines or more than
 * MAX_ORDER_LINES of them, and lines without a sku or units. */
static ferry_status order_totals(ferry_call *call, const inventory *inv,
                                 const Inventory__V2__ReserveRequest *req, uint64_t *want)
{
    for (size_t i = 0; i < req->n_lines; i++) {
        const Inventory__V2__ReserveRequest__Line *l = req->lines[i];
        long idx = store_find(inv, l->sku);
        if (idx < 0)
            return ferry_call_fail(call, FERRY_NOT_FOUND, "line %zu: no item with sku '%s'", i + 1,
                                   l->sku);
        want[idx] += l->quantity; /* at most MAX_ORDER_LINES x UINT32_MAX: no overflow */
    }
    return FERRY_OK;
}

/* Whether reservation `r` holds exactly `lines`. */
static int same_lines(const store_reservation *r, const store_line *lines, size_t n)
{
    if (r->n_lines != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (r->lines[i].item != lines[i].item || r->lines[i].quantity != lines[i].quantity)
            return 0;
    return 1;
}

/* Reserve: every line of the order, or nothing. Lines naming the same item
 * add up. When the stock cannot cover a line, the reply is a Shortage naming
 * the first such line's item and what is on hand, and nothing is reserved.
 * The order id makes a repeat harmless: while an order's reservation is held,
 * reserving the same order with the same lines answers the same reservation
 * id, and with other lines ALREADY_EXISTS. INVALID_ARGUMENT for an empty
 * order id, no lines, too many lines, an empty sku or a zero quantity;
 * NOT_FOUND for an unknown sku. */
static ferry_status reserve(void *user, ferry_call *call, const Inventory__V2__ReserveRequest *req,
                            Inventory__V2__ReserveReply *resp)
{
    inventory *inv = user;
    uint64_t *want = calloc(inv->n_items, sizeof *want);
    store_line *lines = calloc(inv->n_items, sizeof *lines);
    if (want == NULL || lines == NULL) {
        free(want);
        free(lines);
        return oom(call);
    }
    ferry_status st = order_totals(call, inv, req, want);
    if (st != FERRY_OK) {
        free(want);
        free(lines);
        return st;
    }
    size_t n = 0;
    for (size_t i = 0; i < inv->n_items; i++)
        if (want[i] > 0)
            lines[n++] = (store_line){.item = i, .quantity = (uint32_t)want[i]};

    pthread_mutex_lock(&inv->mu);
    const store_reservation *held = store_find_order(inv, req->order_id);
    if (held != NULL && !same_lines(held, lines, n)) {
        st = ferry_call_fail(call, FERRY_ALREADY_EXISTS,
                             "order '%s' is already reserved as %s, with other lines; cancel "
                             "that first",
                             req->order_id, held->id);
    } else if (held == NULL) {
        for (size_t i = 0; i < req->n_lines; i++) {
            size_t idx = (size_t)store_find(inv, req->lines[i]->sku);
            if (want[idx] <= inv->items[idx].quantity)
                continue;
            Inventory__V2__ReserveReply__Shortage *s = ferry_call_alloc(call, sizeof *s);
            if (s == NULL) {
                st = oom(call);
                break;
            }
            inventory__v2__reserve_reply__shortage__init(s);
            s->sku = (char *)inv->items[idx].sku;
            s->available = inv->items[idx].quantity;
            resp->result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE;
            resp->shortage = s;
            break;
        }
        if (st == FERRY_OK && resp->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT__NOT_SET) {
            held = store_add_reservation(inv, req->order_id, lines, n, (uint32_t)req->n_lines);
            if (held == NULL)
                st = oom(call);
        }
    }
    if (st == FERRY_OK && held != NULL) {
        resp->result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID;
        resp->reservation_id = ferry_call_strdup(call, held->id);
        if (resp->reservation_id == NULL)
            st = oom(call);
    }
    pthread_mutex_unlock(&inv->mu);
    free(want);
    free(lines);
    return st;
}

/* Releases reservation `id` into *n (its order lines; 0 when it was released
 * already). NOT_FOUND for an unknown one (the IDL's rules refuse an empty id). */
static ferry_status release_id(inventory *inv, ferry_call *call, const char *id, uint32_t *n)
{
    pthread_mutex_lock(&inv->mu);
    store_reservation *r = store_find_reservation(inv, id);
    if (r != NULL)
        *n = store_release(inv, r);
    pthread_mutex_unlock(&inv->mu);
    if (r == NULL)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "no reservation '%s'", id);
    return FERRY_OK;
}

/* Release (deprecated in v2): CancelReservation without a reason. */
static ferry_status release(void *user, ferry_call *call, const Inventory__V2__ReleaseRequest *req,
                            Inventory__V2__ReleaseReply *resp)
{
    return release_id(user, call, req->reservation_id, &resp->lines_released);
}

/* CancelReservation: puts the units of a reservation back; cancelling twice
 * is harmless (0 lines the second time). The reason is not kept. */
static ferry_status cancel_reservation(void *user, ferry_call *call,
                                       const Inventory__V2__CancelReservationRequest *req,
                                       Inventory__V2__CancelReservationReply *resp)
{
    return release_id(user, call, req->reservation_id, &resp->lines_released);
}

/* Restock: adds `quantity` units of `sku` and answers the units on hand.
 * NOT_FOUND for an unknown sku (the IDL's rules refuse an empty one and a
 * zero quantity), OUT_OF_RANGE when the item's units (on hand and reserved)
 * would no longer fit in 32 bits. */
static ferry_status restock(void *user, ferry_call *call, const Inventory__V2__RestockRequest *req,
                            Inventory__V2__RestockReply *resp)
{
    inventory *inv = user;
    long i = store_find(inv, req->sku);
    if (i < 0)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "no item with sku '%s'", req->sku);
    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&inv->mu);
    store_item *it = &inv->items[i];
    if ((uint64_t)it->quantity + it->reserved + req->quantity > UINT32_MAX)
        st = ferry_call_fail(call, FERRY_OUT_OF_RANGE,
                             "restocking %u of %s would hold more than %u units", req->quantity,
                             req->sku, UINT32_MAX);
    else
        resp->quantity = it->quantity += req->quantity;
    pthread_mutex_unlock(&inv->mu);
    return st;
}

static const inventory_v2_stock_handlers v2_handlers = {
    .get_item = get_item,
    .list_items = list_items,
    .reserve = reserve,
    .release = release,
    .cancel_reservation = cancel_reservation,
    .restock = restock,
};

const inventory_v2_stock_handlers *inventory_v2_handlers(void)
{
    return &v2_handlers;
}
