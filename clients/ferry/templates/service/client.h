/* @name@_client.h - the @Svc@ service's client library: what other
 * programs link (CMake target @name@_client) to call the service.
 *
 * The generated functions (@prefix@_get_note(), ...) are declared in
 * @stem@.ferry.h, included here; this library adds a channel configured
 * from the environment and calls written once for every caller.
 *
 * Ownership: @name@_client_open() gives a channel the caller closes with
 * ferry_channel_close(). @name@_note_text() writes into the caller's buffer.
 * Thread safety: a channel may be used from any number of threads. */
#ifndef @NAME@_CLIENT_H
#define @NAME@_CLIENT_H

#include <stddef.h>

#include "@stem@.ferry.h"

/* Opens a channel to the @Svc@ service at `url`; NULL means $@NAME@_ADDR,
 * else ipc://$TMPDIR/@name@.sock. With FERRY_CLIENT_KEY (this client's
 * secret key file) every request proves who sent it; with FERRY_SERVER_KEY
 * (the server's public key file) too, every reply must prove it came from
 * that server. FERRY_TLS_CA (and FERRY_TLS_CERT, FERRY_TLS_KEY) configure
 * TLS for a tls+tcp:// address. On failure ferry_last_error() says why (the
 * key file, the URL or the TLS option, and what is wrong with it). */
ferry_status @name@_client_open(ferry_channel **out, const char *url);

/* The text of note `id` into `buf` (truncated to `len`). FERRY_NOT_FOUND
 * when there is no such note. When the service cannot be reached, the
 * method's fallback (an empty reply) answers: FERRY_FALLBACK, and the text
 * is "". */
ferry_status @name@_note_text(ferry_channel *ch, const char *id, char *buf, size_t len);

#endif /* @NAME@_CLIENT_H */
