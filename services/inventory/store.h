/* store.h - the stock itself, in the shop's own terms (no protobuf): items,
 * quantities and reservations behind one mutex.
 *
 * Thread safety: every store_ function but store_free() expects the caller
 * to hold `inv->mu`; the handlers (v2.c) take it around each whole request. */
#ifndef INVENTORY_STORE_H
#define INVENTORY_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_MAX_TAGS  3
#define STORE_MAX_ATTRS 2

/* Item categories; the numbers are those of the Category enum, the same in
 * inventory.v1 and inventory.v2 (v2.c checks it at compile time). */
enum store_category {
    STORE_TOOLS = 1,
    STORE_GARDEN = 2,
    STORE_KITCHEN = 3,
};

typedef struct store_item {
    const char *sku;
    const char *name;
    enum store_category category;
    const char *currency;
    int64_t minor_units; /* gross price */
    uint32_t vat_percent;
    uint32_t quantity;        /* units on hand, reservations taken off */
    uint32_t reserved;        /* units out on reservations; quantity + reserved fits */
    uint32_t restock_in_days; /* used when quantity is 0 */
    const char *warehouse;
    const char *tags[STORE_MAX_TAGS]; /* NULL-terminated when shorter */
    const char *attr_keys[STORE_MAX_ATTRS];
    const char *attr_values[STORE_MAX_ATTRS];
    const uint8_t *thumbnail;
    size_t thumbnail_len;
} store_item;

/* Units of one item held by a reservation. */
typedef struct store_line {
    size_t item; /* index into inventory.items */
    uint32_t quantity;
} store_line;

typedef struct store_reservation {
    char id[24];          /* "R-000001" */
    char *order_id;       /* the order it was made for; owned */
    store_line *lines;    /* one per item, in item order; owned */
    size_t n_lines;       /* entries in lines */
    uint32_t order_lines; /* lines of the order as the client sent them */
    int released;         /* nonzero once its units went back to stock */
} store_reservation;

typedef struct inventory {
    pthread_mutex_t mu;
    store_item *items; /* a copy of the seed; quantities change */
    size_t n_items;
    store_reservation *reservations; /* every reservation made, released or not */
    size_t n_reservations, cap_reservations;
} inventory;

/* Index of the item with `sku`, or -1. */
long store_find(const inventory *inv, const char *sku);

/* The reservation with `id`, or NULL. */
store_reservation *store_find_reservation(inventory *inv, const char *id);

/* The reservation of `order_id` that has not been released, or NULL. */
store_reservation *store_find_order(inventory *inv, const char *order_id);

/* Records a reservation of `n_lines` lines (one per item, in item order) for
 * `order_id` and takes its units off the stock; the caller has checked that
 * the stock covers them. Copies `lines` and `order_id`. Returns the new
 * reservation, or NULL when out of memory (then nothing changed). */
store_reservation *store_add_reservation(inventory *inv, const char *order_id,
                                         const store_line *lines, size_t n_lines,
                                         uint32_t order_lines);

/* Puts the units of `r` back into the stock and marks it released. Returns
 * the order lines released: 0 when it was released already. */
uint32_t store_release(inventory *inv, store_reservation *r);

#endif
