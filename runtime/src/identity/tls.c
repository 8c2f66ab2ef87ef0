/* tls.c - TLS configurations from ferry_tls_opts: the rules between its
 * members, reading and checking certificate, key and CA files with messages
 * that name them, and explaining failed handshakes to a client.
 *
 * nng's TLS engine answers every bad input with "Cryptographic error", so
 * the files are read here and each part is handed to nng on its own: a
 * failure then says which file is wrong, and how.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/error.h"
#include "identity/files.h"
#include "identity/keys.h"
#include "identity/tls.h"

int ferryi_tls_url(const char *url)
{
    return url != NULL && strncmp(url, "tls+", 4) == 0;
}

int ferry_tls_is_set(const ferry_tls_opts *tls)
{
    return tls != NULL && (tls->cert_file != NULL || tls->key_file != NULL ||
                           tls->key_password != NULL || tls->ca_file != NULL ||
                           tls->server_name != NULL || tls->auth != FERRY_TLS_AUTH_DEFAULT);
}

/* ------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------- */

/* A PEM file read into memory, NUL-terminated. A private key's text lives in
 * sodium_malloc() memory and is wiped when freed. */
typedef struct pem_file {
    char *text;
    int secret;
} pem_file;

static void pem_free(pem_file *f)
{
    if (f->text == NULL)
        return;
    if (f->secret)
        sodium_free(f->text);
    else
        free(f->text);
    f->text = NULL;
}

/* Reads `path`, which holds `what` ("TLS certificate file", ...). */
static ferry_status pem_read(pem_file *f, const char *path, const char *what, int secret)
{
    f->text = NULL;
    f->secret = secret;
    int fd = -1;
    size_t size = 0;
    char the[64];
    snprintf(the, sizeof the, "the %s", what);
    ferry_status st = ferryi_file_open(path, the, secret, &fd, &size);
    if (st != FERRY_OK)
        return st;
    if (size == 0)
        st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s: the %s is empty", path, what);
    else if ((uintmax_t)size > FERRY_TLS_FILE_MAX)
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the %s is larger than %u bytes; not a PEM file", path, what,
                          FERRY_TLS_FILE_MAX);
    if (st != FERRY_OK) {
        close(fd);
        return st;
    }
    f->text = secret ? sodium_malloc(size + 1) : malloc(size + 1);
    if (f->text == NULL) {
        close(fd);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, f->text + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    f->text[got] = '\0';
    if (got != size)
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the %s could not be read in full (%zu of %zu bytes)", path, what,
                          got, size);
    else if (memchr(f->text, '\0', size) != NULL)
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the %s holds a NUL byte; PEM text expected (DER files are not read)",
                          path, what);
    else if (strstr(f->text, "-----BEGIN ") == NULL)
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the %s holds no PEM block ('-----BEGIN ...')", path, what);
    if (st != FERRY_OK)
        pem_free(f);
    return st;
}

/* Hands the CA certificates of `path` to `cfg`. */
static ferry_status load_ca(nng_tls_config *cfg, const char *path)
{
    pem_file f;
    ferry_status st = pem_read(&f, path, "TLS CA file", 0);
    if (st != FERRY_OK)
        return st;
    if (strstr(f.text, "-----BEGIN CERTIFICATE-----") == NULL)
        st = ferryi_error(
            FERRY_INVALID_ARGUMENT,
            "%s: the TLS CA file holds no certificate ('-----BEGIN CERTIFICATE-----')", path);
    else if (nng_tls_config_ca_chain(cfg, f.text, NULL) != 0)
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the TLS CA file holds a certificate that cannot be parsed", path);
    pem_free(&f);
    return st;
}

/* Why key `path` did not load, given its text. */
static ferry_status key_failed(const char *path, const char *text, const char *password)
{
    int pkcs8_encrypted = strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL;
    int pem_encrypted = strstr(text, "Proc-Type: 4,ENCRYPTED") != NULL;
    if ((pkcs8_encrypted || pem_encrypted) && password == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s: the TLS private key is encrypted and no tls.key_password is given",
                            path);
    if (pkcs8_encrypted)
        return ferryi_error(
            FERRY_INVALID_ARGUMENT,
            "%s: the TLS private key cannot be decrypted: wrong tls.key_password, or a "
            "PKCS#8 encryption mbed TLS cannot read (use 'openssl ec -aes256' or "
            "'openssl rsa -aes256' to re-encrypt it)",
            path);
    if (pem_encrypted)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s: the TLS private key cannot be decrypted with tls.key_password",
                            path);
    if (strstr(text, "PRIVATE KEY-----") == NULL)
        return ferryi_error(
            FERRY_INVALID_ARGUMENT,
            "%s: the TLS private key file holds no private key ('-----BEGIN ... PRIVATE "
            "KEY-----')",
            path);
    return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: the TLS private key cannot be parsed", path);
}

/* Hands certificate `cert_path` and its key `key_path` to `cfg`. */
static ferry_status load_own(nng_tls_config *cfg, const ferry_tls_opts *o)
{
    pem_file cert, key = {0};
    ferry_status st = pem_read(&cert, o->cert_file, "TLS certificate file", 0);
    if (st != FERRY_OK)
        return st;
    /* The certificate alone first, on a scratch configuration, so that a
     * failure below is the key's. */
    nng_tls_config *scratch = NULL;
    if (strstr(cert.text, "-----BEGIN CERTIFICATE-----") == NULL) {
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the TLS certificate file holds no certificate "
                          "('-----BEGIN CERTIFICATE-----')",
                          o->cert_file);
    } else if (nng_tls_config_alloc(&scratch, NNG_TLS_MODE_CLIENT) != 0) {
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "out of memory");
    } else if (nng_tls_config_ca_chain(scratch, cert.text, NULL) != 0) {
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: the TLS certificate file holds a certificate that cannot be parsed",
                          o->cert_file);
    }
    if (scratch != NULL)
        nng_tls_config_free(scratch);
    if (st == FERRY_OK)
        st = pem_read(&key, o->key_file, "TLS private key file", 1);
    if (st == FERRY_OK && nng_tls_config_own_cert(cfg, cert.text, key.text, o->key_password) != 0)
        st = key_failed(o->key_file, key.text, o->key_password);
    pem_free(&key);
    pem_free(&cert);
    return st;
}

/* ------------------------------------------------------------------------
 * Configurations
 * ---------------------------------------------------------------------- */

/* The rules between the members of `o` for `side`; sets *mode. */
static ferry_status check_members(const ferry_tls_opts *o, ferry_tls_side side,
                                  nng_tls_auth_mode *mode)
{
    if (o->auth < FERRY_TLS_AUTH_DEFAULT || o->auth > FERRY_TLS_AUTH_REQUIRED)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "tls.auth %d is not a ferry_tls_auth",
                            (int)o->auth);
    if ((o->cert_file == NULL) != (o->key_file == NULL))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "tls.cert_file and tls.key_file go together; only tls.%s is set",
                            o->cert_file != NULL ? "cert_file" : "key_file");
    if (o->key_password != NULL && o->key_file == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "tls.key_password is set but there is no tls.key_file");
    if (side == FERRY_TLS_SERVER) {
        if (o->cert_file == NULL)
            return ferryi_error(
                FERRY_INVALID_ARGUMENT,
                "a TLS server needs a certificate: set tls.cert_file and tls.key_file");
        if (o->server_name != NULL)
            return ferryi_error(
                FERRY_INVALID_ARGUMENT,
                "tls.server_name is for clients; a server's names are in its certificate");
        ferry_tls_auth a = o->auth;
        if (a == FERRY_TLS_AUTH_DEFAULT)
            a = o->ca_file != NULL ? FERRY_TLS_AUTH_REQUIRED : FERRY_TLS_AUTH_NONE;
        if (a != FERRY_TLS_AUTH_NONE && o->ca_file == NULL)
            return ferryi_error(
                FERRY_INVALID_ARGUMENT,
                "tls.auth asks for client certificates but no tls.ca_file says which CAs "
                "vouch for them");
        *mode = a == FERRY_TLS_AUTH_REQUIRED   ? NNG_TLS_AUTH_MODE_REQUIRED
                : a == FERRY_TLS_AUTH_OPTIONAL ? NNG_TLS_AUTH_MODE_OPTIONAL
                                               : NNG_TLS_AUTH_MODE_NONE;
        return FERRY_OK;
    }
    if (o->auth == FERRY_TLS_AUTH_OPTIONAL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "FERRY_TLS_AUTH_OPTIONAL is for servers; a client checks the server's "
                            "certificate (the default) or, for tests only, not at all "
                            "(FERRY_TLS_AUTH_NONE)");
    if (o->auth != FERRY_TLS_AUTH_NONE && o->ca_file == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "tls.ca_file is needed to check the server's certificate "
                            "(FERRY_TLS_AUTH_NONE skips the check, for tests only)");
    *mode = o->auth == FERRY_TLS_AUTH_NONE ? NNG_TLS_AUTH_MODE_NONE : NNG_TLS_AUTH_MODE_REQUIRED;
    return FERRY_OK;
}

/* The default server name of a client: the host of `url`. */
static ferry_status url_host(nng_tls_config *cfg, const char *url)
{
    nng_url *u = NULL;
    if (url == NULL || nng_url_parse(&u, url) != 0 || u->u_hostname == NULL ||
        u->u_hostname[0] == '\0') {
        nng_url_free(u);
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s has no host to check the server's certificate against; set "
                            "tls.server_name",
                            url != NULL ? url : "(no URL)");
    }
    int rv = nng_tls_config_server_name(cfg, u->u_hostname);
    nng_url_free(u);
    return rv == 0 ? FERRY_OK : ferryi_error(FERRY_RESOURCE_EXHAUSTED, "out of memory");
}

ferry_status ferryi_tls_config(nng_tls_config **out, const ferry_tls_opts *o, ferry_tls_side side,
                               const char *url)
{
    *out = NULL;
    static const ferry_tls_opts none;
    if (o == NULL)
        o = &none;
    if (!ferryi_sodium_ready())
        return ferryi_error(FERRY_INTERNAL, "libsodium failed to initialise");
    nng_tls_auth_mode mode = NNG_TLS_AUTH_MODE_NONE;
    ferry_status st = check_members(o, side, &mode);
    if (st != FERRY_OK)
        return st;
    nng_tls_config *cfg;
    if (nng_tls_config_alloc(&cfg, side == FERRY_TLS_SERVER ? NNG_TLS_MODE_SERVER
                                                            : NNG_TLS_MODE_CLIENT) != 0)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "cannot make a TLS configuration");
    if (nng_tls_config_auth_mode(cfg, mode) != 0)
        st = ferryi_error(FERRY_INTERNAL, "the TLS library refused the auth mode");
    if (st == FERRY_OK && o->ca_file != NULL)
        st = load_ca(cfg, o->ca_file);
    if (st == FERRY_OK && o->cert_file != NULL)
        st = load_own(cfg, o);
    if (st == FERRY_OK && side == FERRY_TLS_CLIENT && mode != NNG_TLS_AUTH_MODE_NONE) {
        if (o->server_name != NULL) {
            if (o->server_name[0] == '\0')
                st = ferryi_error(FERRY_INVALID_ARGUMENT, "tls.server_name is empty");
            else if (nng_tls_config_server_name(cfg, o->server_name) != 0)
                st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "out of memory");
        } else if (url != NULL) {
            st = url_host(cfg, url);
        }
    }
    if (st != FERRY_OK) {
        nng_tls_config_free(cfg);
        return st;
    }
    *out = cfg;
    return FERRY_OK;
}

ferry_status ferry_tls_check(const ferry_tls_opts *tls, ferry_tls_side side)
{
    ferryi_error_clear();
    if (side != FERRY_TLS_CLIENT && side != FERRY_TLS_SERVER)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "side %d is not a ferry_tls_side", (int)side);
    nng_tls_config *cfg;
    ferry_status st = ferryi_tls_config(&cfg, tls, side, NULL);
    if (st == FERRY_OK)
        nng_tls_config_free(cfg);
    return st;
}

/* ------------------------------------------------------------------------
 * Failed handshakes
 * ---------------------------------------------------------------------- */

/* The value of counter `name` among the statistics of `scope`, or 0. */
static uint64_t stat_value(nng_stat *scope, const char *name)
{
    for (nng_stat *s = nng_stat_child(scope); s != NULL; s = nng_stat_next(s))
        if (strcmp(nng_stat_name(s), name) == 0 &&
            (nng_stat_type(s) == NNG_STAT_COUNTER || nng_stat_type(s) == NNG_STAT_LEVEL))
            return nng_stat_value(s);
    return 0;
}

int ferryi_tls_dial_trouble(nng_dialer d, char *buf, size_t len)
{
    nng_stat *all;
    if (nng_stats_get(&all) != 0)
        return 0;
    nng_stat *ds = nng_stat_find_dialer(all, d);
    uint64_t auth = ds != NULL ? stat_value(ds, "auth") : 0;
    uint64_t other = ds != NULL ? stat_value(ds, "other") : 0;
    nng_stats_free(all);
    if (auth > 0)
        snprintf(buf, len,
                 "%llu TLS handshakes failed: the server's certificate was not accepted (check "
                 "tls.ca_file and tls.server_name)",
                 (unsigned long long)auth);
    else if (other > 0)
        snprintf(buf, len,
                 "%llu TLS handshakes failed: the server ended them (does it want a client "
                 "certificate, tls.cert_file? does it speak TLS?)",
                 (unsigned long long)other);
    return auth > 0 || other > 0;
}
