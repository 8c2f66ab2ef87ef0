/* metrics.h - how a server's own figures reach a metrics registry without
 * the registry calling the server: server.c hands it a function that reads
 * them (ferry_metrics_watch_server() is server.c's). */
#ifndef FERRYI_METRICS_H
#define FERRYI_METRICS_H

#include "ferry/metrics.h"
#include "ferry/server.h"

/* Reads the figures of the server `arg` into `c` and `a`. */
typedef void (*ferryi_metrics_reader)(void *arg, ferry_server_counters *c, ferry_auth_counters *a);

/* Adds a source of server figures, read at every scrape: FERRY_OK, or
 * FERRY_RESOURCE_EXHAUSTED when `m` watches as many as it can. */
ferry_status ferryi_metrics_watch(ferry_metrics *m, ferryi_metrics_reader read, void *arg);

/* Removes the source whose argument is `arg`; nothing when there is none. */
void ferryi_metrics_unwatch(ferry_metrics *m, void *arg);

#endif
