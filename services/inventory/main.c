/* main.c - inventory-server: serves inventory.v1 and inventory.v2 on one
 * ferry server until SIGINT or SIGTERM.
 *
 *   inventory-server [--listen URL]... [--workers N] [--grace MS] [--admin] [--health]
 *                    [--reflection]
 *
 * Without --listen the address comes from FERRY_INVENTORY_ADDR, else
 * ipc://$TMPDIR/ferry-inventory.sock. Prints "inventory-server: listening on
 * URL" per address once it serves, so scripts can wait for it.
 *
 * With FERRY_KEY (the server's secret key file) and FERRY_KEYRING (the
 * clients it trusts) in the environment, every request must prove which
 * client sent it, and methods with roles check them; SIGHUP reads the
 * keyring again. With --admin it also hosts ferry's admin service, which
 * `ferry stats` reads (callers need the role ferry.admin when identity is
 * on). With FERRY_TLS_CERT and FERRY_TLS_KEY (and optionally FERRY_TLS_CA,
 * which makes clients show a certificate that CA signed) it can listen on
 * tls+tcp:// addresses. With --health it hosts ferry's health service, which
 * `ferry health` asks (DRAINING while it stops). With --reflection it hosts
 * ferry's reflection service, which `ferry list`, `ferry describe` and
 * `ferry call` read. Exits 0 after a clean stop, 1 when it cannot
 * start, 2 on bad arguments or a bad key, keyring or TLS file. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

#define MAX_LISTEN 8

/* inventory-server-drift is this program built with INVENTORY_DRIFT: the
 * migration demo's deliberately different remote build (drift.c). */
#ifdef INVENTORY_DRIFT
#define V2_HANDLERS inventory_v2_drift_handlers
#else
#define V2_HANDLERS inventory_v2_handlers
#endif

/* Prints the usage text to `out`. */
static void usage(FILE *out)
{
    fprintf(out,
            "usage: inventory-server [--listen URL]... [--workers N] [--grace MS] [--admin]\n"
            "                        [--health] [--reflection]\n"
            "\n"
            "Serves the example inventory service, API versions 1 and 2.\n"
            "  -l, --listen URL   address to serve on (repeatable; ipc://, tcp://, tls+tcp://)\n"
            "                     default: $FERRY_INVENTORY_ADDR, else "
            "ipc://$TMPDIR/ferry-inventory.sock\n"
            "  -w, --workers N    handler threads (default: $FERRY_WORKERS, else 4)\n"
            "  -g, --grace MS     on SIGINT/SIGTERM, let calls in flight finish for MS ms "
            "(default 5000)\n"
            "  -a, --admin        host the admin service `ferry stats` reads (with identity,\n"
            "                     callers need the role " FERRY_ADMIN_ROLE ")\n"
            "  -H, --health       host the health service `ferry health` asks\n"
            "  -R, --reflection   host the reflection service `ferry list`, `ferry describe`\n"
            "                     and `ferry call` read\n"
            "  -h, --help         this text\n"
            "\n"
            "Environment:\n"
            "  FERRY_KEY          the server's secret key file (ferry keygen); with\n"
            "  FERRY_KEYRING      the keyring of trusted clients: requests must prove who\n"
            "                     sent them. SIGHUP reads the keyring again.\n"
            "  FERRY_TLS_CERT     for tls+tcp://: the server's certificate (PEM) and\n"
            "  FERRY_TLS_KEY      its private key (PEM, mode 0600)\n"
            "  FERRY_TLS_CA       CA certificates (PEM): clients must show a certificate\n"
            "                     one of them signed (mutual TLS)\n"
            "  FERRY_SERVE_ROLES_WITHOUT_IDENTITY=1\n"
            "                     without FERRY_KEY and FERRY_KEYRING, serve the methods\n"
            "                     that require roles to every caller (else the server\n"
            "                     refuses to start)\n");
}

/* $name, or NULL when it is unset or empty. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* TLS from FERRY_TLS_CERT, FERRY_TLS_KEY and FERRY_TLS_CA into `tls`;
 * returns 0, or 2 after saying what is wrong with them. */
static int tls_from_env(ferry_tls_opts *tls)
{
    *tls = (ferry_tls_opts){
        .cert_file = env_value("FERRY_TLS_CERT"),
        .key_file = env_value("FERRY_TLS_KEY"),
        .ca_file = env_value("FERRY_TLS_CA"),
    };
    if (ferry_tls_is_set(tls) && ferry_tls_check(tls, FERRY_TLS_SERVER) != FERRY_OK) {
        fprintf(stderr, "inventory-server: TLS (FERRY_TLS_CERT, FERRY_TLS_KEY, FERRY_TLS_CA): %s\n",
                ferry_last_error());
        return 2;
    }
    return 0;
}

/* Parses a whole decimal number in [lo, hi]; -1 when `s` is not one. */
static long parse_number(const char *s, long lo, long hi)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

/* The address to serve on when no --listen is given: $FERRY_INVENTORY_ADDR,
 * else ipc://$TMPDIR/ferry-inventory.sock (TMPDIR unset: /tmp). */
static void default_url(char *buf, size_t len)
{
    const char *env = getenv("FERRY_INVENTORY_ADDR");
    if (env != NULL && *env != '\0') {
        snprintf(buf, len, "%s", env);
        return;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "ipc://%s/ferry-inventory.sock", tmp != NULL && *tmp ? tmp : "/tmp");
}

/* Turns identity on when FERRY_KEY or FERRY_KEYRING is set (both must be).
 * Returns 0 when done or not asked for, 2 with a message when a file is bad
 * or only one of the two is set. */
static int setup_identity(ferry_server *srv)
{
    const char *key_path = getenv("FERRY_KEY");
    const char *keyring_path = getenv("FERRY_KEYRING");
    int have_key = key_path != NULL && *key_path != '\0';
    int have_keyring = keyring_path != NULL && *keyring_path != '\0';
    if (!have_key && !have_keyring)
        return 0;
    if (!have_key || !have_keyring) {
        fprintf(stderr,
                "inventory-server: identity needs both FERRY_KEY (the server's secret key) "
                "and FERRY_KEYRING (the trusted clients); %s is not set\n",
                have_key ? "FERRY_KEYRING" : "FERRY_KEY");
        return 2;
    }
    ferry_key *key = NULL;
    if (ferry_key_load_secret(&key, key_path) != FERRY_OK) {
        fprintf(stderr, "inventory-server: FERRY_KEY: %s\n", ferry_last_error());
        return 2;
    }
    ferry_server_identity id = {.key = key, .keyring_path = keyring_path};
    ferry_status st = ferry_server_set_identity(srv, &id);
    ferry_key_free(key); /* the server keeps its own copy */
    if (st != FERRY_OK) {
        fprintf(stderr, "inventory-server: FERRY_KEYRING: %s\n", ferry_last_error());
        return 2;
    }
    printf("inventory-server: identity on: key %s, keyring %s\n", key_path, keyring_path);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'}, {"workers", required_argument, NULL, 'w'},
        {"grace", required_argument, NULL, 'g'},  {"admin", no_argument, NULL, 'a'},
        {"health", no_argument, NULL, 'H'},       {"reflection", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *urls[MAX_LISTEN];
    size_t n_urls = 0;
    long workers = 0, grace = 5000;
    int c, admin = 0, health = 0, reflection = 0;
    while ((c = getopt_long(argc, argv, "l:w:g:aHRh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (n_urls == MAX_LISTEN) {
                fprintf(stderr, "inventory-server: at most %d --listen addresses\n", MAX_LISTEN);
                return 2;
            }
            urls[n_urls++] = optarg;
            break;
        case 'w':
            if ((workers = parse_number(optarg, 1, 1024)) < 0) {
                fprintf(stderr,
                        "inventory-server: --workers '%s' is not a number from 1 to "
                        "1024\n",
                        optarg);
                return 2;
            }
            break;
        case 'g':
            if ((grace = parse_number(optarg, 0, 3600000)) < 0) {
                fprintf(stderr,
                        "inventory-server: --grace '%s' is not a number of "
                        "milliseconds from 0 to 3600000\n",
                        optarg);
                return 2;
            }
            break;
        case 'a':
            admin = 1;
            break;
        case 'H':
            health = 1;
            break;
        case 'R':
            reflection = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "inventory-server: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    char fallback[PATH_MAX + 8];
    if (n_urls == 0) {
        default_url(fallback, sizeof fallback);
        urls[n_urls++] = fallback;
    }

    /* Block the signals handled here before any thread starts, so that only
     * sigwait() below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    inventory *inv = NULL;
    ferry_server *srv = NULL;
    int rc = 1;
    ferry_server_opts opts = {.workers = (unsigned)workers};
    ferry_status st;
    if (tls_from_env(&opts.tls) != 0)
        return 2;
    if ((st = inventory_new(&inv)) != FERRY_OK ||
        (st = ferry_server_new(&srv, &opts)) != FERRY_OK ||
        (st = inventory_v1_stock_register(srv, inventory_v1_handlers(), inv)) != FERRY_OK ||
        (st = inventory_v2_stock_register(srv, V2_HANDLERS(), inv)) != FERRY_OK ||
        (admin && (st = ferry_server_add_admin(srv)) != FERRY_OK) ||
        (health && (st = ferry_server_add_health(srv)) != FERRY_OK) ||
        (reflection && (st = ferry_server_add_reflection(srv)) != FERRY_OK)) {
        fprintf(stderr, "inventory-server: cannot start: %s\n", ferry_last_error());
        goto out;
    }
    if ((rc = setup_identity(srv)) != 0)
        goto out;
    rc = 1;
    for (size_t i = 0; i < n_urls; i++) {
        char bound[PATH_MAX + 8];
        if ((st = ferry_server_listen(srv, urls[i], bound, sizeof bound)) != FERRY_OK) {
            /* The reason names the cause; the hint says which of this
             * program's settings fixes it. */
            const char *why = ferry_last_error();
            fprintf(stderr, "inventory-server: %s%s\n", why,
                    strstr(why, "no TLS certificate") != NULL
                        ? " (set FERRY_TLS_CERT and FERRY_TLS_KEY)"
                    : strstr(why, "requires roles") != NULL
                        ? " (here: set FERRY_KEY and FERRY_KEYRING)"
                        : "");
            if (st == FERRY_INVALID_ARGUMENT || st == FERRY_FAILED_PRECONDITION)
                rc = 2; /* a bad --listen or FERRY_INVENTORY_ADDR */
            goto out;
        }
        printf("inventory-server: listening on %s\n", bound);
    }
    fflush(stdout);

    int sig = 0;
    for (;;) {
        sigwait(&stop, &sig);
        if (sig != SIGHUP)
            break;
        if (ferry_server_reload_keyring(srv) == FERRY_OK)
            printf("inventory-server: SIGHUP, keyring reloaded\n");
        else
            printf("inventory-server: SIGHUP, keyring not reloaded (the old one stays): %s\n",
                   ferry_last_error());
        fflush(stdout);
    }
    printf("inventory-server: %s, finishing calls in flight (up to %ld ms)\n",
           sig == SIGINT ? "SIGINT" : "SIGTERM", grace);
    fflush(stdout);
    ferry_server_shutdown(srv, (uint32_t)grace);
    rc = 0;
out:
    ferry_server_free(srv);
    inventory_free(inv);
    return rc;
}
