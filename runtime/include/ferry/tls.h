/* ferry/tls.h - encrypted connections over nng's tls+tcp:// transport
 * (docs/security.md, "TLS").
 *
 * TLS keeps what travels between a client and a server confidential and
 * tells the client that it reached the server its CA vouches for. It is set
 * with file paths in ferry_server_opts.tls and ferry_client_opts.tls and is
 * used for tls+tcp:// addresses. ferry's own identity (signed or mac proofs)
 * works the same on top of it: TLS protects the connection, the proofs say
 * who sent each request.
 *
 * Files are PEM text, read when the server is created or the channel opened;
 * nothing is read again later. A private key file must not be accessible by
 * others (no world read or write bits). The TLS library is nng's (mbed TLS
 * 2.28 on Debian 12): an encrypted private key must be in the traditional
 * PEM form ("Proc-Type: 4,ENCRYPTED", as `openssl ec -aes256` writes it);
 * PKCS#8 "ENCRYPTED PRIVATE KEY" files with AES are not readable by it.
 *
 * Thread safety: ferry_tls_check() is safe to call from any thread.
 */
#ifndef FERRY_TLS_H
#define FERRY_TLS_H

#include <stddef.h>

#include "ferry/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest certificate, key or CA file read, bytes. */
#define FERRY_TLS_FILE_MAX (1024u * 1024u)

/* Which peers' certificates are checked. */
typedef enum ferry_tls_auth {
    /* Client: FERRY_TLS_AUTH_REQUIRED. Server: FERRY_TLS_AUTH_NONE. */
    FERRY_TLS_AUTH_DEFAULT = 0,
    /* The peer's certificate is not checked. On a client this gives up the
     * server's authentication (anyone on the path can pose as the server):
     * for tests only. */
    FERRY_TLS_AUTH_NONE = 1,
    /* Server only: a client certificate is checked against ca_file when the
     * client shows one; a client without one is let in. */
    FERRY_TLS_AUTH_OPTIONAL = 2,
    /* The peer must show a certificate signed by a CA in ca_file (on a
     * client: issued for server_name); else the handshake fails. On a server
     * this is mutual TLS: clients without such a certificate are refused. */
    FERRY_TLS_AUTH_REQUIRED = 3,
} ferry_tls_auth;

/* The TLS side of a server or client. All zero: no TLS. Strings are read
 * when the server is created or the channel opened, not kept. */
typedef struct ferry_tls_opts {
    /* PEM certificate, or chain (own certificate first), this side shows.
     * A server needs one; a client needs one only for mutual TLS. */
    const char *cert_file;
    /* PEM private key of cert_file; needed exactly when cert_file is set. */
    const char *key_file;
    /* Password of an encrypted key_file; NULL for a key that is not. */
    const char *key_password;
    /* PEM certificates of the CAs that vouch for the peer. Needed unless
     * auth is FERRY_TLS_AUTH_NONE (client) or NONE/DEFAULT (server). */
    const char *ca_file;
    /* Client: the name the server's certificate must be issued for (a DNS
     * name; mbed TLS 2.28 does not match IP address entries). NULL: the
     * host of the URL. Server: must be NULL. */
    const char *server_name;
    ferry_tls_auth auth;
} ferry_tls_opts;

/* Which end of a connection a configuration is for. */
typedef enum ferry_tls_side {
    FERRY_TLS_CLIENT = 0,
    FERRY_TLS_SERVER = 1,
} ferry_tls_side;

/* Nonzero when any member of `tls` is set (NULL: zero). */
int ferry_tls_is_set(const ferry_tls_opts *tls);

/* Checks `tls` for `side` as ferry_server_new() and ferry_client_open() do:
 * the members needed are there, and every file named is readable and holds
 * what it should (certificates, a private key that opens with key_password).
 * On failure the reason (ferry_last_error()) names the member or file and
 * the problem, in the words those functions give; they fail with the same
 * status. */
FERRY_NODISCARD ferry_status ferry_tls_check(const ferry_tls_opts *tls, ferry_tls_side side);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_TLS_H */
