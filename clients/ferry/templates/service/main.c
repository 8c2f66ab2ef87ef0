/* main.c - @name@-server: serves @pkg@.@Svc@ until SIGINT or SIGTERM, then
 * lets the calls in flight finish. Configured from the environment:
 *
 *   @NAME@_LISTEN    address to serve on (default ipc://$TMPDIR/@name@.sock);
 *                    ipc://, tcp://HOST:PORT or tls+tcp://HOST:PORT
 *   @NAME@_WORKERS   handler threads (default 4)
 *   @NAME@_GRACE_MS  how long a stop waits for calls in flight (default 5000)
 *   FERRY_KEY, FERRY_KEYRING   the server's secret key file and the keyring
 *                    of the clients it trusts (`ferry keygen`): requests
 *                    must then prove who sent them; SIGHUP rereads the keyring
 *   FERRY_TLS_CERT, FERRY_TLS_KEY, FERRY_TLS_CA   TLS for tls+tcp://
 *   @NAME@_HEALTH    0 to not host ferry's health service (`ferry health
 *                    URL` asks it; it says DRAINING while the server stops)
 *   @NAME@_REFLECTION  1 to host ferry's reflection service, so that
 *                    `ferry list`, `ferry describe` and `ferry call` find
 *                    the schema on the server (it shows the API to every
 *                    caller the server admits)
 *   FERRY_METRICS_URL  e.g. http://127.0.0.1:9464/metrics: Prometheus metrics
 *   FERRY_LOG, FERRY_LOG_FORMAT, FERRY_TRACE   ferry's logs and traces
 *
 * Prints "@name@-server: listening on URL" once it serves, so scripts and
 * tests can wait for it. Exits 0 after a clean stop, 1 when it cannot
 * start, 2 on bad configuration. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

#define LOG(...) (fprintf(stderr, "@name@-server: " __VA_ARGS__), fputc('\n', stderr))

/* $name, or NULL when unset or empty. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* $name as a whole number in [lo, hi], `def` when unset; -1 when it is not
 * one (said on stderr). */
static long env_number(const char *name, long def, long lo, long hi)
{
    const char *s = env(name);
    if (s == NULL)
        return def;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        LOG("%s='%s' is not a number from %ld to %ld", name, s, lo, hi);
        return -1;
    }
    return v;
}

/* Identity from FERRY_KEY and FERRY_KEYRING (both or neither); 0, or 2
 * after saying what is wrong. */
static int setup_identity(ferry_server *srv)
{
    const char *key_path = env("FERRY_KEY"), *keyring = env("FERRY_KEYRING");
    if (key_path == NULL && keyring == NULL)
        return 0;
    if (key_path == NULL || keyring == NULL) {
        LOG("identity needs both FERRY_KEY and FERRY_KEYRING; %s is not set",
            key_path == NULL ? "FERRY_KEY" : "FERRY_KEYRING");
        return 2;
    }
    ferry_key *key = NULL;
    if (ferry_key_load_secret(&key, key_path) != FERRY_OK) {
        LOG("FERRY_KEY: %s", ferry_last_error());
        return 2;
    }
    ferry_server_identity id = {.key = key, .keyring_path = keyring};
    ferry_status st = ferry_server_set_identity(srv, &id);
    ferry_key_free(key); /* the server keeps its own copy */
    if (st != FERRY_OK) {
        LOG("FERRY_KEYRING: %s", ferry_last_error());
        return 2;
    }
    LOG("identity on: key %s, keyring %s", key_path, keyring);
    return 0;
}

int main(void)
{
    char url[PATH_MAX + 16];
    const char *listen = env("@NAME@_LISTEN");
    const char *tmp = env("TMPDIR");
    if (listen != NULL)
        snprintf(url, sizeof url, "%s", listen);
    else
        snprintf(url, sizeof url, "ipc://%s/@name@.sock", tmp != NULL ? tmp : "/tmp");
    long workers = env_number("@NAME@_WORKERS", 4, 1, 1024);
    long grace = env_number("@NAME@_GRACE_MS", 5000, 0, 3600000);
    long health = env_number("@NAME@_HEALTH", 1, 0, 1);
    long reflection = env_number("@NAME@_REFLECTION", 0, 0, 1);
    if (workers < 0 || grace < 0 || health < 0 || reflection < 0)
        return 2;
    ferry_server_opts opts = {
        .workers = (unsigned)workers,
        .tls = {.cert_file = env("FERRY_TLS_CERT"),
                .key_file = env("FERRY_TLS_KEY"),
                .ca_file = env("FERRY_TLS_CA")},
    };
    if (ferry_tls_is_set(&opts.tls) && ferry_tls_check(&opts.tls, FERRY_TLS_SERVER) != FERRY_OK) {
        LOG("TLS (FERRY_TLS_CERT, FERRY_TLS_KEY, FERRY_TLS_CA): %s", ferry_last_error());
        return 2;
    }

    /* Only sigwait() below sees these: block them before any thread starts. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    int rc = 1;
    ferry_server *srv = NULL;
    @name@_store *store = @name@_store_new();
    if (store == NULL) {
        LOG("cannot start: out of memory");
        goto out;
    }
    ferry_status st = ferry_server_new(&srv, &opts);
    if (st == FERRY_OK)
        st = @prefix@_register(srv, @name@_handlers(), store);
    if (st == FERRY_OK && health)
        st = ferry_server_add_health(srv);
    if (st == FERRY_OK && reflection)
        st = ferry_server_add_reflection(srv);
    if (st != FERRY_OK) {
        LOG("cannot start: %s", ferry_last_error());
        goto out;
    }
    if ((rc = setup_identity(srv)) != 0)
        goto out;
    char bound[PATH_MAX + 16];
    if ((st = ferry_server_listen(srv, url, bound, sizeof bound)) != FERRY_OK) {
        LOG("%s", ferry_last_error());
        rc = st == FERRY_INVALID_ARGUMENT || st == FERRY_FAILED_PRECONDITION ? 2 : 1;
        goto out;
    }
    printf("@name@-server: listening on %s\n", bound);
    fflush(stdout);

    int sig = 0;
    for (;;) {
        sigwait(&stop, &sig);
        if (sig != SIGHUP)
            break;
        if (ferry_server_reload_keyring(srv) == FERRY_OK)
            LOG("SIGHUP: keyring reloaded");
        else
            LOG("SIGHUP: keyring not reloaded, the old one stays: %s", ferry_last_error());
    }
    LOG("%s: finishing the calls in flight (up to %ld ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
        grace);
    ferry_server_shutdown(srv, (uint32_t)grace);
    rc = 0;
out:
    ferry_server_free(srv);
    @name@_store_free(store);
    return rc;
}
