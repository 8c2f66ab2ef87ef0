/* drift.c - a deliberately different build of the inventory.v2.Stock
 * handlers, for the migration demo: the server program built with it
 * (inventory-server-drift) rounds prices up to whole units and adds an
 * "origin" attribute to every item, the kind of quiet change a shadow run
 * exists to catch. The other methods are the real ones. */
#include <string.h>

#include "inventory.h"

/* Rounds the price of `m` up to whole units and adds attribute origin=EU, in
 * the call's arena. Returns FERRY_OK or FERRY_RESOURCE_EXHAUSTED. */
static ferry_status drift_item(ferry_call *call, Inventory__V2__Item *m)
{
    if (m->price != NULL && m->price->amount != NULL) {
        int64_t *units = &m->price->amount->minor_units;
        if (*units % 100 != 0)
            *units += 100 - *units % 100;
    }
    Inventory__V2__Item__AttributesEntry **v =
        ferry_call_alloc(call, (m->n_attributes + 1) * sizeof *v);
    Inventory__V2__Item__AttributesEntry *e = ferry_call_alloc(call, sizeof *e);
    if (v == NULL || e == NULL)
        return ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED, "out of memory");
    inventory__v2__item__attributes_entry__init(e);
    e->key = "origin";
    e->value = "EU";
    if (m->n_attributes > 0)
        memcpy(v, m->attributes, m->n_attributes * sizeof *v);
    v[m->n_attributes] = e;
    m->attributes = v;
    m->n_attributes++;
    return FERRY_OK;
}

static ferry_status get_item(void *user, ferry_call *call, const Inventory__V2__GetItemRequest *req,
                             Inventory__V2__GetItemReply *resp)
{
    ferry_status st = inventory_v2_handlers()->get_item(user, call, req, resp);
    if (st == FERRY_OK && resp->item != NULL)
        st = drift_item(call, resp->item);
    return st;
}

static ferry_status list_items(void *user, ferry_call *call,
                               const Inventory__V2__ListItemsRequest *req,
                               Inventory__V2__ListItemsReply *resp)
{
    ferry_status st = inventory_v2_handlers()->list_items(user, call, req, resp);
    for (size_t i = 0; st == FERRY_OK && i < resp->n_items; i++)
        st = drift_item(call, resp->items[i]);
    return st;
}

const inventory_v2_stock_handlers *inventory_v2_drift_handlers(void)
{
    static inventory_v2_stock_handlers h;
    static int ready;
    if (!ready) { /* first call from main, before any thread runs */
        h = *inventory_v2_handlers();
        h.get_item = get_item;
        h.list_items = list_items;
        ready = 1;
    }
    return &h;
}
