/* store.c - the example shop's stock: the seeded items, the life cycle of an
 * `inventory`, and its reservations. No protobuf here: v2.c translates. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "store.h"

/* The PNG signature stands in for a thumbnail. */
static const uint8_t thumb[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static const store_item seed[] = {
    {.sku = "HAM-16",
     .name = "Claw hammer 16 oz",
     .category = STORE_TOOLS,
     .currency = "EUR",
     .minor_units = 1990,
     .vat_percent = 19,
     .quantity = 42,
     .warehouse = "north",
     .tags = {"steel", "bestseller"},
     .attr_keys = {"weight"},
     .attr_values = {"450 g"},
     .thumbnail = thumb,
     .thumbnail_len = sizeof thumb},
    {.sku = "SCR-SET",
     .name = "Screwdriver set, 6 pieces",
     .category = STORE_TOOLS,
     .currency = "EUR",
     .minor_units = 2450,
     .vat_percent = 19,
     .quantity = 17,
     .warehouse = "north",
     .tags = {"set"},
     .attr_keys = {"pieces"},
     .attr_values = {"6"},
     .thumbnail = thumb,
     .thumbnail_len = sizeof thumb},
    {.sku = "SAW-HND",
     .name = "Hand saw 500 mm",
     .category = STORE_TOOLS,
     .currency = "EUR",
     .minor_units = 1575,
     .vat_percent = 19,
     .quantity = 0,
     .restock_in_days = 7,
     .warehouse = "south",
     .tags = {"steel"}},
    {.sku = "DRL-CRD",
     .name = "Cordless drill 18 V",
     .category = STORE_TOOLS,
     .currency = "EUR",
     .minor_units = 8900,
     .vat_percent = 19,
     .quantity = 5,
     .warehouse = "north",
     .tags = {"battery", "bestseller"},
     .attr_keys = {"voltage"},
     .attr_values = {"18 V"},
     .thumbnail = thumb,
     .thumbnail_len = sizeof thumb},
    {.sku = "TAP-5M",
     .name = "Tape measure 5 m",
     .category = STORE_TOOLS,
     .currency = "EUR",
     .minor_units = 650,
     .vat_percent = 19,
     .quantity = 120,
     .warehouse = "south"},
    {.sku = "HOS-25",
     .name = "Garden hose 25 m",
     .category = STORE_GARDEN,
     .currency = "EUR",
     .minor_units = 3299,
     .vat_percent = 19,
     .quantity = 9,
     .warehouse = "south",
     .tags = {"summer"},
     .attr_keys = {"length"},
     .attr_values = {"25 m"}},
    {.sku = "RAK-LF",
     .name = "Leaf rake",
     .category = STORE_GARDEN,
     .currency = "EUR",
     .minor_units = 1199,
     .vat_percent = 19,
     .quantity = 23,
     .warehouse = "south",
     .tags = {"autumn"}},
    {.sku = "SEC-PRO",
     .name = "Pruning secateurs",
     .category = STORE_GARDEN,
     .currency = "EUR",
     .minor_units = 2150,
     .vat_percent = 19,
     .quantity = 0,
     .restock_in_days = 14,
     .warehouse = "north",
     .tags = {"steel"},
     .thumbnail = thumb,
     .thumbnail_len = sizeof thumb},
    {.sku = "WTC-10L",
     .name = "Watering can 10 l",
     .category = STORE_GARDEN,
     .currency = "EUR",
     .minor_units = 899,
     .vat_percent = 19,
     .quantity = 31,
     .warehouse = "south",
     .attr_keys = {"volume"},
     .attr_values = {"10 l"}},
    {.sku = "KNF-CHF",
     .name = "Chef's knife 20 cm",
     .category = STORE_KITCHEN,
     .currency = "EUR",
     .minor_units = 5900,
     .vat_percent = 19,
     .quantity = 8,
     .warehouse = "north",
     .tags = {"steel", "bestseller"},
     .attr_keys = {"blade"},
     .attr_values = {"20 cm"},
     .thumbnail = thumb,
     .thumbnail_len = sizeof thumb},
    {.sku = "PAN-28",
     .name = "Frying pan 28 cm",
     .category = STORE_KITCHEN,
     .currency = "EUR",
     .minor_units = 3490,
     .vat_percent = 19,
     .quantity = 12,
     .warehouse = "north",
     .tags = {"induction"}},
    {.sku = "BRD-OAK",
     .name = "Oak cutting board",
     .category = STORE_KITCHEN,
     .currency = "EUR",
     .minor_units = 2790,
     .vat_percent = 19,
     .quantity = 4,
     .warehouse = "south",
     .tags = {"wood"},
     .attr_keys = {"size"},
     .attr_values = {"40 x 25 cm"}},
};

ferry_status inventory_new(inventory **out)
{
    *out = NULL;
    inventory *inv = calloc(1, sizeof *inv);
    if (inv == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    inv->n_items = sizeof seed / sizeof seed[0];
    inv->items = malloc(sizeof seed);
    if (inv->items == NULL || pthread_mutex_init(&inv->mu, NULL) != 0) {
        free(inv->items);
        free(inv);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    memcpy(inv->items, seed, sizeof seed);
    *out = inv;
    return FERRY_OK;
}

void inventory_free(inventory *inv)
{
    if (inv == NULL)
        return;
    for (size_t i = 0; i < inv->n_reservations; i++) {
        free(inv->reservations[i].order_id);
        free(inv->reservations[i].lines);
    }
    free(inv->reservations);
    free(inv->items);
    pthread_mutex_destroy(&inv->mu);
    free(inv);
}

long store_find(const inventory *inv, const char *sku)
{
    for (size_t i = 0; i < inv->n_items; i++)
        if (strcmp(inv->items[i].sku, sku) == 0)
            return (long)i;
    return -1;
}

store_reservation *store_find_reservation(inventory *inv, const char *id)
{
    for (size_t i = 0; i < inv->n_reservations; i++)
        if (strcmp(inv->reservations[i].id, id) == 0)
            return &inv->reservations[i];
    return NULL;
}

store_reservation *store_find_order(inventory *inv, const char *order_id)
{
    for (size_t i = 0; i < inv->n_reservations; i++) {
        store_reservation *r = &inv->reservations[i];
        if (!r->released && strcmp(r->order_id, order_id) == 0)
            return r;
    }
    return NULL;
}

store_reservation *store_add_reservation(inventory *inv, const char *order_id,
                                         const store_line *lines, size_t n_lines,
                                         uint32_t order_lines)
{
    if (inv->n_reservations == inv->cap_reservations) {
        size_t cap = inv->cap_reservations ? inv->cap_reservations * 2 : 16;
        store_reservation *grown = realloc(inv->reservations, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        inv->reservations = grown;
        inv->cap_reservations = cap;
    }
    store_line *copy = malloc(n_lines * sizeof *copy);
    char *order = strdup(order_id);
    if (copy == NULL || order == NULL) {
        free(copy);
        free(order);
        return NULL;
    }
    memcpy(copy, lines, n_lines * sizeof *copy);
    store_reservation *r = &inv->reservations[inv->n_reservations];
    *r = (store_reservation){
        .order_id = order,
        .lines = copy,
        .n_lines = n_lines,
        .order_lines = order_lines,
    };
    snprintf(r->id, sizeof r->id, "R-%06zu", inv->n_reservations + 1);
    for (size_t i = 0; i < n_lines; i++) {
        store_item *it = &inv->items[copy[i].item];
        assert(it->quantity >= copy[i].quantity);
        it->quantity -= copy[i].quantity;
        it->reserved += copy[i].quantity;
    }
    inv->n_reservations++;
    return r;
}

uint32_t store_release(inventory *inv, store_reservation *r)
{
    if (r->released)
        return 0;
    for (size_t i = 0; i < r->n_lines; i++) {
        store_item *it = &inv->items[r->lines[i].item];
        assert(it->reserved >= r->lines[i].quantity);
        it->reserved -= r->lines[i].quantity;
        it->quantity += r->lines[i].quantity; /* no overflow: quantity + reserved fits */
    }
    r->released = 1;
    return r->order_lines;
}
