/* client_ep.h - the whole interface between the remote channel of one
 * server (client/remote.c) and the channel that balances calls over many
 * (balance.c). Nothing else of either is seen by the other.
 *
 * What client.c provides:
 *  - a remote channel opened as one endpoint of a balancer: one attempt per
 *    call, no circuit breaker, no fallback (the balancer does all three,
 *    across endpoints);
 *  - its connection state: whether a connection is up, and how many have
 *    been made, so a balancer sees a restarted server come back;
 *  - in every call's ferry_call_info, `server_draining` (the reply said the
 *    server shuts down) and `not_run` (the request ran nowhere: it was
 *    never taken by a connection, or the server refused it before any
 *    handler). client.c sets `not_run` only where nng's req0 guarantees
 *    it: a send completes once a connection has taken the request, so a
 *    failed send, or a call failed fast while no connection is up, never
 *    reached a server; a lost reply proves nothing and is not marked.
 *
 * Neither calls the other's way up: open.c holds ferry_client_open() and
 * ferry_client_set_fallback(), which hand a target naming many servers
 * (ferryi_balance_target) to ferry_balance_open() and a balancing channel
 * to ferryi_balance_set_fallback(), and everything else to remote.c's
 * ferryi_client_open_one() and ferryi_client_set_fallback_one(). balance.c
 * opens its endpoints through client.c; client.c never calls balance.c.
 *
 * Thread safety: ferryi_client_link() may be called from any thread while
 * calls are in flight. */
#ifndef FERRYI_CLIENT_EP_H
#define FERRYI_CLIENT_EP_H

#include <stdint.h>

#include "ferry/balance.h"
#include "ferry/channel.h"

/* Refuses client options no channel can work with (a size limit past the
 * transport's, say), naming the option. */
ferry_status ferryi_client_opts_check(const ferry_client_opts *o);

/* ferry_client_open() and ferry_client_set_fallback() for one server
 * (open.c calls them for every target that is not a balancer's). */
FERRY_NODISCARD ferry_status ferryi_client_open_one(ferry_channel **out, const char *url,
                                                    const ferry_client_opts *opts);
ferry_status ferryi_client_set_fallback_one(ferry_channel *ch, const ferry_method *m,
                                            ferry_fallback_fn fn, void *arg);

/* Opens the remote channel of one endpoint, `url` a single nng URL. */
FERRY_NODISCARD ferry_status ferryi_client_open_endpoint(ferry_channel **out, const char *url,
                                                         const ferry_client_opts *opts);

/* Whether `ch` (a channel ferryi_client_open_endpoint() opened) has a
 * connection up, and how many it has made since it opened. */
void ferryi_client_link(ferry_channel *ch, int *up, uint64_t *links);

/* ferry_client_set_fallback() for a balancing channel;
 * FERRY_INVALID_ARGUMENT when `ch` is not one. */
ferry_status ferryi_balance_set_fallback(ferry_channel *ch, const ferry_method *m,
                                         ferry_fallback_fn fn, void *arg);

/* Whether `target` names many servers (a list or a dns scheme), which
 * ferry_client_open() then hands to ferry_balance_open(). */
int ferryi_balance_target(const char *target);

#endif
