/* v2.c - the inventory.v2.Stock handlers: the module's real implementation.
 *
 * Every handler takes the stock's mutex, reads or changes the store, and
 * copies what the reply needs into the call's arena before it lets go, so a
 * reply never points into the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "store.h"

#define DEFAULT_PAGE 5u
#define MAX_PAGE     100u

/* Copies `it` into a new v2 Item in the call's arena; NULL when out of memory. */
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
    m->sku = ferry_call_strdup(call, it->sku);
    m->name = ferry_call_strdup(call, it->name);
    m->warehouse = ferry_call_strdup(call, it->warehouse);
    amount->currency = ferry_call_strdup(call, it->currency);
    if (m->sku == NULL || m->name == NULL || m->warehouse == NULL || amount->currency == NULL)
        return NULL;
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
            m->tags[i] = (char *)it->tags[i]; /* static seed strings */
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

static ferry_status get_item(void *user, ferry_call *call, const Inventory__V2__GetItemRequest *req,
                             Inventory__V2__GetItemReply *resp)
{
    inventory *inv = user;
    if (req->sku[0] == '\0')
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "sku is empty");
    pthread_mutex_lock(&inv->mu);
    long i = store_find(inv, req->sku);
    Inventory__V2__Item *m = i >= 0 ? item_to_v2(call, &inv->items[i]) : NULL;
    pthread_mutex_unlock(&inv->mu);
    if (i < 0)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "no item with sku '%s'", req->sku);
    if (m == NULL)
        return oom(call);
    resp->item = m;
    return FERRY_OK;
}

/* Reads a page token: the decimal index of the next item; "" is 0. */
static int parse_token(const char *token, size_t n_items, size_t *start)
{
    if (token[0] == '\0') {
        *start = 0;
        return 0;
    }
    char *end = NULL;
    unsigned long v = strtoul(token, &end, 10);
    if (*end != '\0' || token[0] < '0' || token[0] > '9' || v > n_items)
        return -1;
    *start = v;
    return 0;
}

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
                               "page_token '%s' is not one this "
                               "server gave out",
                               req->page_token);
    resp->items = ferry_call_alloc(call, page * sizeof *resp->items);
    if (resp->items == NULL)
        return oom(call);

    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&inv->mu);
    size_t i = start;
    for (; i < inv->n_items && resp->n_items < page; i++) {
        const store_item *it = &inv->items[i];
        if (req->category != INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED &&
            it->category != (int)req->category)
            continue;
        if (req->in_stock_only && it->quantity == 0)
            continue;
        Inventory__V2__Item *m = item_to_v2(call, it);
        if (m == NULL) {
            st = oom(call);
            break;
        }
        resp->items[resp->n_items++] = m;
    }
    /* More to come only if a matching item remains after this page. */
    size_t next = i;
    for (; next < inv->n_items; next++) {
        const store_item *it = &inv->items[next];
        if ((req->category == INVENTORY__V2__CATEGORY__CATEGORY_UNSPECIFIED ||
             it->category == (int)req->category) &&
            (!req->in_stock_only || it->quantity > 0))
            break;
    }
    pthread_mutex_unlock(&inv->mu);
    if (st != FERRY_OK)
        return st;
    if (next < inv->n_items) {
        char token[24];
        snprintf(token, sizeof token, "%zu", next);
        resp->next_page_token = ferry_call_strdup(call, token);
        if (resp->next_page_token == NULL)
            return oom(call);
    }
    return FERRY_OK;
}

static ferry_status reserve(void *user, ferry_call *call, const Inventory__V2__ReserveRequest *req,
                            Inventory__V2__ReserveReply *resp)
{
    inventory *inv = user;
    if (req->order_id[0] == '\0')
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "order_id is empty");
    if (req->n_lines == 0)
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "order %s has no lines",
                               req->order_id);
    store_line *lines = calloc(req->n_lines, sizeof *lines);
    if (lines == NULL)
        return oom(call);

    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&inv->mu);
    for (size_t i = 0; i < req->n_lines && st == FERRY_OK; i++) {
        const Inventory__V2__ReserveRequest__Line *l = req->lines[i];
        long idx = store_find(inv, l->sku);
        if (idx < 0)
            st = ferry_call_fail(call, FERRY_NOT_FOUND, "line %zu: no item with sku '%s'", i + 1,
                                 l->sku);
        else if (l->quantity == 0)
            st = ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "line %zu (%s): quantity is 0",
                                 i + 1, l->sku);
        lines[i] = (store_line){.item = (size_t)idx, .quantity = l->quantity};
    }
    /* All or nothing: the first line the stock cannot cover is the answer. */
    for (size_t i = 0; i < req->n_lines && st == FERRY_OK; i++) {
        uint32_t want = 0;
        for (size_t j = 0; j < req->n_lines; j++)
            if (lines[j].item == lines[i].item)
                want += lines[j].quantity;
        const store_item *it = &inv->items[lines[i].item];
        if (want > it->quantity) {
            Inventory__V2__ReserveReply__Shortage *s = ferry_call_alloc(call, sizeof *s);
            if (s == NULL) {
                st = oom(call);
                break;
            }
            inventory__v2__reserve_reply__shortage__init(s);
            s->sku = ferry_call_strdup(call, it->sku);
            s->available = it->quantity;
            resp->result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE;
            resp->shortage = s;
            break;
        }
    }
    if (st == FERRY_OK && resp->result_case == INVENTORY__V2__RESERVE_REPLY__RESULT__NOT_SET) {
        if (inv->n_reservations == inv->cap_reservations) {
            size_t cap = inv->cap_reservations ? inv->cap_reservations * 2 : 16;
            store_reservation *r = realloc(inv->reservations, cap * sizeof *r);
            if (r == NULL)
                st = oom(call);
            else {
                inv->reservations = r;
                inv->cap_reservations = cap;
            }
        }
        if (st == FERRY_OK) {
            store_reservation *r = &inv->reservations[inv->n_reservations];
            snprintf(r->id, sizeof r->id, "R-%06zu", inv->n_reservations + 1);
            r->lines = lines;
            r->n_lines = req->n_lines;
            r->released = 0;
            lines = NULL;
            for (size_t i = 0; i < r->n_lines; i++)
                inv->items[r->lines[i].item].quantity -= r->lines[i].quantity;
            inv->n_reservations++;
            resp->result_case = INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID;
            resp->reservation_id = ferry_call_strdup(call, r->id);
            if (resp->reservation_id == NULL)
                st = oom(call);
        }
    }
    pthread_mutex_unlock(&inv->mu);
    free(lines);
    return st;
}

/* Releases reservation `id`; 0 lines when it was released already. */
static ferry_status release_id(inventory *inv, ferry_call *call, const char *id, uint32_t *n)
{
    *n = 0;
    pthread_mutex_lock(&inv->mu);
    store_reservation *r = NULL;
    for (size_t i = 0; i < inv->n_reservations; i++)
        if (strcmp(inv->reservations[i].id, id) == 0)
            r = &inv->reservations[i];
    if (r != NULL && !r->released) {
        for (size_t i = 0; i < r->n_lines; i++)
            inv->items[r->lines[i].item].quantity += r->lines[i].quantity;
        r->released = 1;
        *n = (uint32_t)r->n_lines;
    }
    pthread_mutex_unlock(&inv->mu);
    if (r == NULL)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "no reservation '%s'", id);
    return FERRY_OK;
}

static ferry_status release(void *user, ferry_call *call, const Inventory__V2__ReleaseRequest *req,
                            Inventory__V2__ReleaseReply *resp)
{
    return release_id(user, call, req->reservation_id, &resp->lines_released);
}

static ferry_status cancel_reservation(void *user, ferry_call *call,
                                       const Inventory__V2__CancelReservationRequest *req,
                                       Inventory__V2__CancelReservationReply *resp)
{
    return release_id(user, call, req->reservation_id, &resp->lines_released);
}

static ferry_status restock(void *user, ferry_call *call, const Inventory__V2__RestockRequest *req,
                            Inventory__V2__RestockReply *resp)
{
    inventory *inv = user;
    if (req->quantity == 0)
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "quantity is 0");
    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&inv->mu);
    long i = store_find(inv, req->sku);
    if (i < 0)
        st = ferry_call_fail(call, FERRY_NOT_FOUND, "no item with sku '%s'", req->sku);
    else if (inv->items[i].quantity > UINT32_MAX - req->quantity)
        st = ferry_call_fail(call, FERRY_OUT_OF_RANGE, "restocking %u of %s would overflow",
                             req->quantity, req->sku);
    else
        resp->quantity = inv->items[i].quantity += req->quantity;
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
