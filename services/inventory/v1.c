/* v1.c - inventory.v1.Stock as a thin adapter over the v2 handlers.
 *
 * Each v1 handler turns its request into the v2 request, runs the v2
 * handler on the same call (so the same arena, deadline and caller), and
 * turns the v2 reply into the v1 reply. v1's Item.price is v2's
 * Item.price.amount; the fields v1 does not know (warehouse, VAT) are left
 * out; v1 sees every item, as v1 had no in_stock_only filter. */
#include <string.h>

#include "inventory.h"

static ferry_status oom(ferry_call *call)
{
    return ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED, "out of memory building the reply");
}

/* A v1 Item from a v2 Item; strings and bytes are shared (both live in the
 * call's arena or in static data). NULL when out of memory. */
static Inventory__V1__Item *item_to_v1(ferry_call *call, const Inventory__V2__Item *in)
{
    Inventory__V1__Item *m = ferry_call_alloc(call, sizeof *m);
    if (m == NULL)
        return NULL;
    inventory__v1__item__init(m);
    m->sku = in->sku;
    m->name = in->name;
    m->category = (Inventory__V1__Category)in->category;
    if (in->price != NULL && in->price->amount != NULL) {
        Inventory__V1__Money *money = ferry_call_alloc(call, sizeof *money);
        if (money == NULL)
            return NULL;
        inventory__v1__money__init(money);
        money->currency = in->price->amount->currency;
        money->minor_units = in->price->amount->minor_units;
        m->price = money;
    }
    m->quantity = in->quantity;
    m->n_tags = in->n_tags;
    m->tags = in->tags;
    if (in->n_attributes > 0) {
        m->attributes = ferry_call_alloc(call, in->n_attributes * sizeof *m->attributes);
        if (m->attributes == NULL)
            return NULL;
        for (size_t i = 0; i < in->n_attributes; i++) {
            Inventory__V1__Item__AttributesEntry *e = ferry_call_alloc(call, sizeof *e);
            if (e == NULL)
                return NULL;
            inventory__v1__item__attributes_entry__init(e);
            e->key = in->attributes[i]->key;
            e->value = in->attributes[i]->value;
            m->attributes[i] = e;
        }
        m->n_attributes = in->n_attributes;
    }
    m->thumbnail = in->thumbnail;
    switch (in->availability_case) {
    case INVENTORY__V2__ITEM__AVAILABILITY_IN_STOCK:
        m->availability_case = INVENTORY__V1__ITEM__AVAILABILITY_IN_STOCK;
        m->in_stock = in->in_stock;
        break;
    case INVENTORY__V2__ITEM__AVAILABILITY_RESTOCK_IN_DAYS:
        m->availability_case = INVENTORY__V1__ITEM__AVAILABILITY_RESTOCK_IN_DAYS;
        m->restock_in_days = in->restock_in_days;
        break;
    default:
        break;
    }
    return m;
}

/* GetItem: v2 GetItem, the item in v1's shape; the same errors. */
static ferry_status get_item(void *user, ferry_call *call, const Inventory__V1__GetItemRequest *req,
                             Inventory__V1__GetItemReply *resp)
{
    Inventory__V2__GetItemRequest r2 = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    Inventory__V2__GetItemReply a2 = INVENTORY__V2__GET_ITEM_REPLY__INIT;
    r2.sku = req->sku;
    ferry_status st = inventory_v2_handlers()->get_item(user, call, &r2, &a2);
    if (st != FERRY_OK)
        return st;
    resp->item = item_to_v1(call, a2.item);
    return resp->item != NULL ? FERRY_OK : oom(call);
}

/* ListItems: v2 ListItems without in_stock_only; the page tokens are v2's. */
static ferry_status list_items(void *user, ferry_call *call,
                               const Inventory__V1__ListItemsRequest *req,
                               Inventory__V1__ListItemsReply *resp)
{
    Inventory__V2__ListItemsRequest r2 = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
    Inventory__V2__ListItemsReply a2 = INVENTORY__V2__LIST_ITEMS_REPLY__INIT;
    r2.category = (Inventory__V2__Category)req->category;
    r2.page_size = req->page_size;
    r2.page_token = req->page_token;
    ferry_status st = inventory_v2_handlers()->list_items(user, call, &r2, &a2);
    if (st != FERRY_OK)
        return st;
    if (a2.n_items > 0) {
        resp->items = ferry_call_alloc(call, a2.n_items * sizeof *resp->items);
        if (resp->items == NULL)
            return oom(call);
        for (size_t i = 0; i < a2.n_items; i++)
            if ((resp->items[i] = item_to_v1(call, a2.items[i])) == NULL)
                return oom(call);
        resp->n_items = a2.n_items;
    }
    resp->next_page_token = a2.next_page_token;
    return FERRY_OK;
}

/* Reserve: v2 Reserve, line for line; the same shortage, id and errors. */
static ferry_status reserve(void *user, ferry_call *call, const Inventory__V1__ReserveRequest *req,
                            Inventory__V1__ReserveReply *resp)
{
    Inventory__V2__ReserveRequest r2 = INVENTORY__V2__RESERVE_REQUEST__INIT;
    Inventory__V2__ReserveReply a2 = INVENTORY__V2__RESERVE_REPLY__INIT;
    r2.order_id = req->order_id;
    if (req->n_lines > 0) {
        r2.lines = ferry_call_alloc(call, req->n_lines * sizeof *r2.lines);
        if (r2.lines == NULL)
            return oom(call);
        for (size_t i = 0; i < req->n_lines; i++) {
            Inventory__V2__ReserveRequest__Line *l = ferry_call_alloc(call, sizeof *l);
            if (l == NULL)
                return oom(call);
            inventory__v2__reserve_request__line__init(l);
            l->sku = req->lines[i]->sku;
            l->quantity = req->lines[i]->quantity;
            r2.lines[i] = l;
        }
        r2.n_lines = req->n_lines;
    }
    ferry_status st = inventory_v2_handlers()->reserve(user, call, &r2, &a2);
    if (st != FERRY_OK)
        return st;
    if (a2.result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_RESERVATION_ID) {
        resp->result_case = INVENTORY__V1__RESERVE_REPLY__RESULT_RESERVATION_ID;
        resp->reservation_id = a2.reservation_id;
    } else if (a2.result_case == INVENTORY__V2__RESERVE_REPLY__RESULT_SHORTAGE) {
        Inventory__V1__ReserveReply__Shortage *s = ferry_call_alloc(call, sizeof *s);
        if (s == NULL)
            return oom(call);
        inventory__v1__reserve_reply__shortage__init(s);
        s->sku = a2.shortage->sku;
        s->available = a2.shortage->available;
        resp->result_case = INVENTORY__V1__RESERVE_REPLY__RESULT_SHORTAGE;
        resp->shortage = s;
    }
    return FERRY_OK;
}

/* Release: v2 Release (CancelReservation without a reason). */
static ferry_status release(void *user, ferry_call *call, const Inventory__V1__ReleaseRequest *req,
                            Inventory__V1__ReleaseReply *resp)
{
    Inventory__V2__ReleaseRequest r2 = INVENTORY__V2__RELEASE_REQUEST__INIT;
    Inventory__V2__ReleaseReply a2 = INVENTORY__V2__RELEASE_REPLY__INIT;
    r2.reservation_id = req->reservation_id;
    ferry_status st = inventory_v2_handlers()->release(user, call, &r2, &a2);
    resp->lines_released = a2.lines_released;
    return st;
}

static const inventory_v1_stock_handlers v1_handlers = {
    .get_item = get_item,
    .list_items = list_items,
    .reserve = reserve,
    .release = release,
};

const inventory_v1_stock_handlers *inventory_v1_handlers(void)
{
    return &v1_handlers;
}
