/* store.h - the stock itself, in the shop's own terms (no protobuf): items,
 * quantities and reservations behind one mutex. */
#ifndef INVENTORY_STORE_H
#define INVENTORY_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_MAX_TAGS  3
#define STORE_MAX_ATTRS 2

typedef struct store_item {
    const char *sku;
    const char *name;
    int category; /* the Category enum's number (same in v1 and v2) */
    const char *currency;
    int64_t minor_units; /* gross price */
    uint32_t vat_percent;
    uint32_t quantity;
    uint32_t restock_in_days; /* used when quantity is 0 */
    const char *warehouse;
    const char *tags[STORE_MAX_TAGS];
    const char *attr_keys[STORE_MAX_ATTRS];
    const char *attr_values[STORE_MAX_ATTRS];
    const uint8_t *thumbnail;
    size_t thumbnail_len;
} store_item;

typedef struct store_line {
    size_t item; /* index into items */
    uint32_t quantity;
} store_line;

typedef struct store_reservation {
    char id[16];
    store_line *lines;
    size_t n_lines;
    int released;
} store_reservation;

typedef struct inventory {
    pthread_mutex_t mu;
    store_item *items;
    size_t n_items;
    store_reservation *reservations;
    size_t n_reservations, cap_reservations;
} inventory;

/* Index of the item with `sku`, or -1. Call with mu held. */
long store_find(const inventory *inv, const char *sku);

#endif
