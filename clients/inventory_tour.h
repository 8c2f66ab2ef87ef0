/* inventory_tour.h - what the inventory-client program does, as a library
 * its tests call: the tour of the inventory service and the follow loop.
 * Both take any channel -- remote, local, a mock or a fake -- and print to
 * the stream they are given.
 *
 * Thread safety: one tour or follow per channel and stream at a time.
 */
#ifndef INVENTORY_TOUR_H
#define INVENTORY_TOUR_H

#include <stdint.h>
#include <stdio.h>

#include <ferry/ferry.h>

/* What inventory_tour() returns. */
typedef enum inventory_tour_result {
    INVENTORY_TOUR_DONE = 0,        /* every step answered as expected */
    INVENTORY_TOUR_FAILED = 1,      /* a step failed; it printed why */
    INVENTORY_TOUR_UNREACHABLE = 2, /* the first call found no server */
} inventory_tour_result;

/* Takes the tour of inventory.v2.Stock (and v1 at the end) on `ch`:
 * look up an item, page through a category, reserve an order twice (to
 * show the order id makes it harmless), hit a shortage, cancel, ask for a
 * missing item, one asynchronous call, and the v1 API. Prints each step to
 * `out`. `deadline_ms` is each call's deadline (0: the IDL's). Stops at the
 * first step that fails. */
inventory_tour_result inventory_tour(ferry_channel *ch, FILE *out, uint32_t deadline_ms);

/* Lists the garden items on `ch` up to `max_calls` times, `interval_ms`
 * apart, each call with a 500 ms deadline, and prints to `out` each change
 * between real answers and fallbacks. Returns 0 as soon as it has seen the
 * service go away (a fallback) and come back (a real answer), 1 when
 * `max_calls` ran out first. */
int inventory_follow(ferry_channel *ch, FILE *out, unsigned max_calls, uint32_t interval_ms);

#endif
