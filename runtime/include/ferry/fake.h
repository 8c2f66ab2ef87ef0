/* ferry/fake.h - a fake server for tests: real handler tables served over
 * inproc:// with a client channel to them, in one call.
 *
 * Where a mock (ferry/mock.h) replaces the service, a fake runs it: calls go
 * through the whole client path -- the remote channel, the envelope, the
 * size limits, deadlines, retries, the breaker and fallbacks -- and a real
 * ferry_server, but inside the test's process and without a socket file or
 * port. It can also be taken down and brought back, to test how the caller
 * lives through an outage. It is part of the ferry::mock library; the
 * generated P_fake_start() starts one for a single service.
 *
 * Thread safety: start, take down, bring up and stop a fake from one
 * thread. Calls on its channel may be in flight, from any threads, while it
 * goes down or comes up -- that is an outage -- but none when it stops.
 */
#ifndef FERRY_FAKE_H
#define FERRY_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/ferry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ferry_fake ferry_fake;

/* Options of the fake's server and channel; zeroes are the defaults of
 * ferry_server_new() and ferry_client_open(), except that the client's name
 * is "ferry-fake" unless set, and that the server always serves methods that
 * declare roles (server.serve_roles_without_identity): a fake's callers have
 * no identity. */
typedef struct ferry_fake_opts {
    ferry_server_opts server;
    ferry_client_opts client;
} ferry_fake_opts;

/* Serves the `n_impls` implementations of `impls` on a server listening on
 * a fresh inproc:// URL unique in the process, and opens a remote channel to
 * it. The impls are copied (their descriptors, invoke tables and handlers
 * must outlive the fake). `opts` may be NULL. On FERRY_OK *out is the
 * caller's, to stop with ferry_fake_stop(); on failure nothing is left
 * running and *out is NULL. */
FERRY_NODISCARD ferry_status ferry_fake_start(ferry_fake **out, const ferry_service_impl *impls,
                                              size_t n_impls, const ferry_fake_opts *opts);

/* The channel to the fake's server, owned by the fake: do not close it. */
ferry_channel *ferry_fake_channel(const ferry_fake *fake);

/* The inproc:// URL the server listens on; other channels may be opened
 * to it with ferry_client_open(). */
const char *ferry_fake_url(const ferry_fake *fake);

/* The server, for its counters (ferry_server_get_counters()); NULL while the
 * fake is down. Owned by the fake. */
ferry_server *ferry_fake_server(const ferry_fake *fake);

/* Takes the server down as a real one goes: calls in flight get up to
 * `grace_ms` to finish, then the socket closes. The channel stays open:
 * its calls now fail with FERRY_UNAVAILABLE, or get their fallback. Does
 * nothing when already down. */
void ferry_fake_down(ferry_fake *fake, uint32_t grace_ms);

/* Serves the same implementations again, on the same URL, after
 * ferry_fake_down(); the channel reconnects on its own within moments (calls
 * made before it has may still fail). FERRY_OK when already up. */
FERRY_NODISCARD ferry_status ferry_fake_up(ferry_fake *fake);

/* Closes the channel, shuts the server down (as ferry_fake_down() with a
 * grace of 2 s, which ends as soon as no call is in flight) and frees the
 * fake; accepts NULL. */
void ferry_fake_stop(ferry_fake *fake);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_FAKE_H */
