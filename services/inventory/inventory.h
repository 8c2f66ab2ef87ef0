/* inventory.h - the example inventory module: a shop's stock, in memory.
 *
 * The module implements inventory.v2.Stock; inventory.v1.Stock is a thin
 * adapter over the same code. Use it in process through the generated local
 * bindings, or serve it (services/inventory/main.c).
 *
 * Thread safety: every handler may run on many threads at once; the stock is
 * guarded by one mutex inside `inventory`.
 */
#ifndef INVENTORY_H
#define INVENTORY_H

#include <ferry/ferry.h>

#include "examples/inventory/v1/inventory.ferry.h"
#include "examples/inventory/v2/inventory.ferry.h"

typedef struct inventory inventory;

/* Creates a stock seeded with the example shop's items. */
ferry_status inventory_new(inventory **out);

/* Frees the stock; accepts NULL. No call may be running on it. */
void inventory_free(inventory *inv);

/* The handler tables; pass the `inventory *` as their `user` argument. */
const inventory_v2_stock_handlers *inventory_v2_handlers(void);
const inventory_v1_stock_handlers *inventory_v1_handlers(void);

#endif
