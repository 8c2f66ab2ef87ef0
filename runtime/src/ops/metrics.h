/* metrics.h - how a server's own figures, and a balancing channel's
 * endpoints, reach a metrics registry without the registry calling the
 * server or the channel: each hands it a function that reads them
 * (ferry_metrics_watch_server() is server.c's, ferry_metrics_watch_balancer()
 * balance.c's). */
#ifndef FERRYI_METRICS_H
#define FERRYI_METRICS_H

#include "ferry/balance.h"
#include "ferry/metrics.h"
#include "ferry/server.h"

/* Reads the figures of the server `arg` into `c` and `a`. */
typedef void (*ferryi_metrics_reader)(void *arg, ferry_server_counters *c, ferry_auth_counters *a);

/* Adds a source of server figures, read at every scrape: FERRY_OK, or
 * FERRY_RESOURCE_EXHAUSTED when `m` watches as many as it can. */
ferry_status ferryi_metrics_watch(ferry_metrics *m, ferryi_metrics_reader read, void *arg);

/* Removes the source, server or channel, whose argument is `arg`; nothing
 * when there is none. */
void ferryi_metrics_unwatch(ferry_metrics *m, void *arg);

/* Copies the figures of up to `max` endpoints of the channel `arg` into
 * `out`; returns how many it has in all (which may exceed `max`). */
typedef size_t (*ferryi_metrics_endpoints)(void *arg, ferry_endpoint_stats *out, size_t max);

/* Adds a balancing channel whose endpoints every scrape reads, labelled
 * with `target` (cut to 200 bytes): FERRY_OK; FERRY_ALREADY_EXISTS when `m`
 * watches `arg`, or a channel with the same label, already;
 * FERRY_RESOURCE_EXHAUSTED when it watches as many as it can. */
ferry_status ferryi_metrics_watch_endpoints(ferry_metrics *m, ferryi_metrics_endpoints read,
                                            void *arg, const char *target);

#endif
