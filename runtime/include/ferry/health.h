/* ferry/health.h - a server's health: the status of each hosted service and
 * of the server as a whole, and the health service that answers probes
 * (ferry.health.v1.Health, idl/ferry/health/v1/health.proto; `ferry health
 * ADDRESS [SERVICE]` exits 0 when it is serving, so it can be a Kubernetes
 * exec probe; docs/operations.md).
 *
 * A server starts with every status SERVING. The application sets a service
 * or the whole server NOT_SERVING when it should not be sent calls (a
 * dependency is down, a cache is still warming) and back to SERVING. From
 * the moment ferry_server_shutdown() begins, the server answers DRAINING for
 * everything, whatever was set: it still answers health checks while its
 * calls in flight finish (new calls of other methods are refused).
 *
 * Ownership: the server copies service names; nothing is handed over.
 * Thread safety: ferry_server_set_health() and ferry_server_get_health() may
 * be called from any thread at any time, handlers included, until
 * ferry_server_free().
 */
#ifndef FERRY_HEALTH_H
#define FERRY_HEALTH_H

#include "ferry/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The values of ferry.health.v1.ServingStatus. */
typedef enum ferry_health {
    FERRY_HEALTH_SERVING = 1,     /* takes calls */
    FERRY_HEALTH_NOT_SERVING = 2, /* up, but should not be sent calls */
    FERRY_HEALTH_DRAINING = 3,    /* shutting down: finishing its calls, taking no new ones */
} ferry_health;

/* The status's name as `ferry health` prints it ("serving", "not serving",
 * "draining"); "unknown" for any other value. Static storage. */
const char *ferry_health_str(ferry_health h);

/* Hosts the health service on `srv`. It needs no role: on a server with
 * identity switched on, a probe still proves which client it is, like any
 * call. Call before ferry_server_listen() (FERRY_FAILED_PRECONDITION
 * after); FERRY_ALREADY_EXISTS when added twice. */
FERRY_NODISCARD ferry_status ferry_server_add_health(ferry_server *srv);

/* Sets the status of hosted service `service` (its full name,
 * "inventory.v2.Stock"), or of the whole server when `service` is NULL or
 * "". FERRY_NOT_FOUND when the service is not hosted, FERRY_INVALID_ARGUMENT
 * for a status other than SERVING and NOT_SERVING (DRAINING is the
 * shutdown's), FERRY_RESOURCE_EXHAUSTED when out of memory. Works whether
 * or not the health service is hosted. */
FERRY_NODISCARD ferry_status ferry_server_set_health(ferry_server *srv, const char *service,
                                                     ferry_health status);

/* The status the health service answers for `service` (NULL or "": the
 * server), in *status: DRAINING once shutting down; else NOT_SERVING when
 * the server was set so, or for a service when it was; else SERVING.
 * FERRY_NOT_FOUND when the service is not hosted. */
FERRY_NODISCARD ferry_status ferry_server_get_health(ferry_server *srv, const char *service,
                                                     ferry_health *status);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_HEALTH_H */
