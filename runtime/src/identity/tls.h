/* tls.h - TLS configurations for nng's tls+tcp:// transport, built from
 * ferry_tls_opts (ferry/tls.h), for the server's listeners and the client's
 * dialer. */
#ifndef FERRYI_TLS_H
#define FERRYI_TLS_H

#include <stddef.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "ferry/tls.h"

/* Whether `url` uses a TLS transport (tls+tcp://, tls+tcp4://, tls+tcp6://). */
int ferryi_tls_url(const char *url);

/* Builds the nng TLS configuration `o` describes for `side`, reading and
 * checking every file it names. `url`, for a client, gives the default
 * server name (its host). On success *out holds one reference, released
 * with nng_tls_config_free(); on failure *out is NULL and the recorded reason
 * (base/error.h) says which member or file is wrong and why. */
ferry_status ferryi_tls_config(nng_tls_config **out, const ferry_tls_opts *o, ferry_tls_side side,
                               const char *url);

/* After a client found no connection: when TLS handshakes on `d` have
 * failed, writes what that most likely means into `buf` and returns 1;
 * else returns 0. Reads nng's statistics: not for a hot path. */
int ferryi_tls_dial_trouble(nng_dialer d, char *buf, size_t len);

#endif
