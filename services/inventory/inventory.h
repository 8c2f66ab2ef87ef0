/* inventory.h - the example inventory module: a shop's stock, in memory.
 *
 * The module implements inventory.v2.Stock; inventory.v1.Stock is a thin
 * adapter over the same code and the same stock, so v1 and v2 callers see
 * each other's reservations. Use it in process through the generated local
 * bindings, or serve it (services/inventory/main.c):
 *
 *   inventory *inv;
 *   inventory_new(&inv);
 *   inventory_v2_stock_register(srv, inventory_v2_handlers(), inv);
 *   inventory_v1_stock_register(srv, inventory_v1_handlers(), inv);
 *
 * Thread safety: the handlers of both tables may run on many threads at
 * once, on one `inventory`; one mutex inside it guards the stock. Create and
 * free it from one thread, while no call runs on it.
 */
#ifndef INVENTORY_H
#define INVENTORY_H

#include <ferry/ferry.h>

#include "examples/inventory/v1/inventory.ferry.h"
#include "examples/inventory/v2/inventory.ferry.h"

typedef struct inventory inventory;

/* Creates a stock seeded with the example shop's twelve items, no
 * reservations. On FERRY_OK *out is the caller's, to free with
 * inventory_free(); on FERRY_RESOURCE_EXHAUSTED (out of memory) *out is
 * NULL. */
FERRY_NODISCARD ferry_status inventory_new(inventory **out);

/* Frees the stock and its reservations; accepts NULL. Every server and
 * channel serving it must be shut down or closed first. */
void inventory_free(inventory *inv);

/* The handler tables, static and valid for the life of the program. Pass
 * the `inventory *` as their `user` argument. The v2 table implements every
 * method; the v1 table answers v1's four methods through it. */
const inventory_v2_stock_handlers *inventory_v2_handlers(void);
const inventory_v1_stock_handlers *inventory_v1_handlers(void);

/* A deliberately different v2 table (drift.c): prices rounded up to whole
 * units and an extra attribute, for the migration demo's shadow run. Call
 * it first from one thread. */
const inventory_v2_stock_handlers *inventory_v2_drift_handlers(void);

#endif
