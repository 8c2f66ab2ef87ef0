/* ferry/versions.h - a server's side of API versions: the range of client API
 * versions each hosted service serves, the calls it counts per method, client
 * API version and client software, and the admin service that shows them
 * (docs/versioning.md, "Run-time negotiation and ferry stats").
 *
 * Every call that names a hosted method is checked against its service's
 * range before its handler runs: a client API version outside it is refused
 * with FERRY_UNSUPPORTED_VERSION and a message naming the range, which the
 * reply header carries as well (ferry_call_info.server_api_min/max). A
 * request that states no API version (0) is not checked. A call of a method
 * the server does not host gets FERRY_UNIMPLEMENTED; when the client's API
 * version of that service is above the server's, the message says that the
 * method is newer than the server.
 *
 * Thread safety: configure before ferry_server_listen(), from the thread
 * that set the server up. Counting is done by the server's own threads.
 */
#ifndef FERRY_VERSIONS_H
#define FERRY_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The role the admin service's methods require on a server with identity. */
#define FERRY_ADMIN_ROLE "ferry.admin"

/* Distinct (method, client API version, client name, client version) rows a
 * server counts by default; calls beyond are still counted per method. */
#define FERRY_STATS_DEFAULT_LIMIT 1024u

/* Sets the client API versions hosted service `service` (its full name,
 * "inventory.v2.Stock") serves: min..max, with min <= the service's own API
 * version <= max. The default is 1..the service's API version: older clients
 * of the same package are served, newer ones are refused, so servers are
 * deployed before clients that announce a new API version. A max above the
 * service's API version serves newer clients the methods the server has.
 * FERRY_NOT_FOUND when the service is not hosted, FERRY_INVALID_ARGUMENT for
 * a range that breaks the rule above, FERRY_FAILED_PRECONDITION once the
 * server listens. */
FERRY_NODISCARD ferry_status ferry_server_set_api_range(ferry_server *srv, const char *service,
                                                        uint32_t min, uint32_t max);

/* The range `service` serves, in *min and *max; FERRY_NOT_FOUND when it is not
 * hosted. */
FERRY_NODISCARD ferry_status ferry_server_get_api_range(ferry_server *srv, const char *service,
                                                        uint32_t *min, uint32_t *max);

/* Sets how many distinct (method, API version, client name, client version)
 * rows the server keeps, 1 to 1048576; 0 = FERRY_STATS_DEFAULT_LIMIT. The
 * table bounds the memory a flood of invented client names can take; calls
 * that would need a row beyond it are counted as overflow. Before listening
 * (FERRY_FAILED_PRECONDITION after). */
FERRY_NODISCARD ferry_status ferry_server_set_stats_limit(ferry_server *srv, size_t rows);

/* Hosts the admin service ferry.admin.v1.Admin (idl/ferry/admin/v1/admin.proto)
 * on `srv`, which `ferry stats ADDRESS` reads: the version range of every
 * hosted service and the counted calls. It is opt-in because it shows
 * operational data: on a server with identity switched on, only callers
 * holding the role FERRY_ADMIN_ROLE may call it; on a server without
 * identity, anyone who can reach the address can. Call before
 * ferry_server_listen(); FERRY_ALREADY_EXISTS when added twice. */
FERRY_NODISCARD ferry_status ferry_server_add_admin(ferry_server *srv);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_VERSIONS_H */
