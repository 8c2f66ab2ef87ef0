/* listeners.h - a server's listeners, and a guard that reopens an IPC
 * listener nng has stopped.
 *
 * The nng ferry builds no longer stops (cmake/nng/03-*.patch); the guard
 * stays for an nng that does, such as Debian's own. Unpatched, nng 1.5's
 * IPC transport (ipc://, unix://, abstract://) hands the error of
 * a failed handshake to the listener's pending accept. When a client hangs
 * up before the server's greeting is written, that error is NNG_ECLOSED,
 * which nng's listener takes for its own closing: it never accepts again.
 * New connections still finish their handshake and then wait forever to be
 * taken, so their clients see a connection that never answers. Any local
 * process that connects and closes at once (a health check, a port scan)
 * can do this.
 *
 * The guard is a thread that looks at each IPC listener's error count in
 * nng's statistics every GUARD_PERIOD_MS. When the count has moved, it makes
 * a connection of its own; if the listener does not take it, the guard
 * closes the listener (nng closes the connections it accepted with it, which
 * clients see as a dropped connection and redial) and opens a new one on the
 * same path. nng keeps the stopped listener's socket open for good, so an
 * abstract:// address cannot be reopened: the guard says so in the log and
 * leaves the listener serving the clients it has. TCP and TLS listeners are
 * not guarded: a TCP client hanging
 * up early gives NNG_ECONNRESET or NNG_ECONNSHUT, after which nng's listener
 * goes on accepting.
 */
#ifndef FERRYI_LISTENERS_H
#define FERRYI_LISTENERS_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdint.h>

typedef struct ferryi_listeners ferryi_listeners;

/* Listeners for `sock`; `tls` (may be NULL) configures tls+tcp:// ones and
 * must outlive the set. NULL when out of memory. */
ferryi_listeners *ferryi_listeners_new(nng_socket sock, nng_tls_config *tls);

/* Starts a listener on `url` and, for an IPC address, guards it. Returns
 * nng's error; on 0, *out is the listener. */
int ferryi_listeners_open(ferryi_listeners *ls, const char *url, nng_listener *out);

/* Stops the guard and waits for it; call before the socket closes (closing
 * the socket closes the listeners). Safe to call twice. */
void ferryi_listeners_stop(ferryi_listeners *ls);

/* Stops the guard and frees the set; NULL is ignored. */
void ferryi_listeners_free(ferryi_listeners *ls);

#endif
