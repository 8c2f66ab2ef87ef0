/* @name@_client.h - a client of the @Svc@ service: what other programs link
 * (CMake target @name@_client) to call it.
 *
 * The generated functions (@prefix@_@method@(), ...) are declared in
 * @stem@.ferry.h, included here.
 *
 * Ownership: @name@_client_open() gives a channel the caller closes with
 * ferry_channel_close().
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

/* Calls @Method@ with an empty request, to see that the service answers:
 * FERRY_OK, or FERRY_FALLBACK when the method's fallback answered for a
 * service that could not be reached, or the call's error. `info` (may be
 * NULL) gets the call's details and message. */
ferry_status @name@_try_@method@(ferry_channel *ch, ferry_call_info *info);

#endif /* @NAME@_CLIENT_H */
