/* inventory-client.c - a short tour of the inventory service through the
 * generated v2 client: look up, page through, reserve, hit a shortage,
 * release, ask for an unknown item, one asynchronous call, and the same
 * server asked through the old v1 API. The tour itself is in
 * inventory_tour.c, where its tests can call it; this file is the program,
 * which ends with a call that needs the role "admin".
 *
 *   inventory-client [--connect URL] [--deadline MS] [--follow S]
 *
 * Without --connect the address comes from FERRY_INVENTORY_ADDR, else
 * ipc://$TMPDIR/ferry-inventory.sock (where inventory-server listens by
 * default). The client's identity comes from the environment: FERRY_KEY (its
 * secret key file), FERRY_SERVER_KEY (the server's public key file, pinned)
 * and FERRY_PROOF ("signed" or "mac"; mac when a server key is pinned, else
 * signed). A tls+tcp:// address takes its TLS files from FERRY_TLS_CA (the
 * CA that signed the server's certificate), FERRY_TLS_SERVER_NAME (the name
 * the certificate must carry; default: the URL's host) and, for mutual TLS,
 * FERRY_TLS_CERT and FERRY_TLS_KEY. Exits 1 when the server cannot be
 * reached, 2 on bad arguments or a bad key or TLS file. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/inventory/v2/inventory.ferry.h"
#include "inventory_tour.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: inventory-client [--connect URL] [--deadline MS] [--follow S]\n"
                 "  -c, --connect URL   server address (default: $FERRY_INVENTORY_ADDR, else\n"
                 "                      ipc://$TMPDIR/ferry-inventory.sock)\n"
                 "  -d, --deadline MS   deadline of each call (default: the IDL's)\n"
                 "  -f, --follow S      list items every 200 ms for up to S seconds, reporting\n"
                 "                      fallbacks while the server is away; exit 0 once it\n"
                 "                      has gone and come back\n"
                 "  -h, --help          this text\n"
                 "\n"
                 "Environment:\n"
                 "  FERRY_KEY           this client's secret key file (ferry keygen)\n"
                 "  FERRY_SERVER_KEY    the server's public key file; replies must prove\n"
                 "                      they come from it\n"
                 "  FERRY_PROOF         signed or mac (default: mac with FERRY_SERVER_KEY)\n"
                 "  FERRY_TLS_CA        for tls+tcp://: the CA certificates (PEM) that check\n"
                 "                      the server's certificate\n"
                 "  FERRY_TLS_SERVER_NAME  the name that certificate must carry (default: "
                 "the host)\n"
                 "  FERRY_TLS_CERT      for mutual TLS: this client's certificate (PEM) and\n"
                 "  FERRY_TLS_KEY       its private key (PEM, mode 0600)\n");
}

/* The identity the environment asks for: FERRY_KEY, FERRY_SERVER_KEY and
 * FERRY_PROOF. Fills `id` (the keys are the caller's to free) and returns 0,
 * or prints what is wrong and returns 2. */
static int load_identity(ferry_client_identity *id, ferry_key **key, ferry_key **server_key)
{
    const char *key_path = getenv("FERRY_KEY");
    const char *server_path = getenv("FERRY_SERVER_KEY");
    const char *proof = getenv("FERRY_PROOF");
    *key = *server_key = NULL;
    if (key_path != NULL && *key_path != '\0' && ferry_key_load_secret(key, key_path) != FERRY_OK) {
        fprintf(stderr, "inventory-client: FERRY_KEY: %s\n", ferry_last_error());
        return 2;
    }
    if (server_path != NULL && *server_path != '\0' &&
        ferry_key_load_public(server_key, server_path) != FERRY_OK) {
        fprintf(stderr, "inventory-client: FERRY_SERVER_KEY: %s\n", ferry_last_error());
        return 2;
    }
    ferry_proof how = *server_key != NULL ? FERRY_PROOF_MAC : FERRY_PROOF_SIGNED;
    if (proof != NULL && *proof != '\0') {
        if (strcmp(proof, "signed") == 0) {
            how = FERRY_PROOF_SIGNED;
        } else if (strcmp(proof, "mac") == 0) {
            how = FERRY_PROOF_MAC;
        } else {
            fprintf(stderr, "inventory-client: FERRY_PROOF '%s' is neither 'signed' nor 'mac'\n",
                    proof);
            return 2;
        }
    }
    if (*key == NULL && (*server_key != NULL || (proof != NULL && *proof != '\0'))) {
        fprintf(stderr, "inventory-client: FERRY_SERVER_KEY and FERRY_PROOF need FERRY_KEY "
                        "(this client's secret key)\n");
        return 2;
    }
    if (how == FERRY_PROOF_MAC && *key != NULL && *server_key == NULL) {
        fprintf(stderr, "inventory-client: FERRY_PROOF=mac needs FERRY_SERVER_KEY (the "
                        "server's public key)\n");
        return 2;
    }
    id->key = *key;
    id->server_key = *server_key;
    id->proof = *key != NULL ? how : FERRY_PROOF_NONE;
    return 0;
}

/* $name, or NULL when it is unset or empty. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* TLS for `url` from FERRY_TLS_CA, FERRY_TLS_SERVER_NAME, FERRY_TLS_CERT and
 * FERRY_TLS_KEY into `tls`; returns 0, or 2 after saying what is wrong. */
static int tls_from_env(const char *url, ferry_tls_opts *tls)
{
    *tls = (ferry_tls_opts){
        .ca_file = env_value("FERRY_TLS_CA"),
        .server_name = env_value("FERRY_TLS_SERVER_NAME"),
        .cert_file = env_value("FERRY_TLS_CERT"),
        .key_file = env_value("FERRY_TLS_KEY"),
    };
    int is_tls = strncmp(url, "tls+", 4) == 0;
    if (!is_tls && ferry_tls_is_set(tls)) {
        fprintf(stderr,
                "inventory-client: FERRY_TLS_* are set but %s is not a tls+tcp:// "
                "address; not connecting in the clear\n",
                url);
        return 2;
    }
    if (is_tls && ferry_tls_check(tls, FERRY_TLS_CLIENT) != FERRY_OK) {
        fprintf(stderr, "inventory-client: TLS (FERRY_TLS_*): %s\n", ferry_last_error());
        return 2;
    }
    return 0;
}

/* The last step: Restock, which the IDL allows only callers with the role
 * "admin". A server that checks identity refuses it to "shop"; one that
 * does not serves it. Returns 0 for either answer, 1 for anything else. */
static int restock_step(ferry_channel *ch, uint32_t deadline_ms)
{
    printf("9. Restock 5 x DRL-CRD, a method that needs the role \"admin\"\n");
    Inventory__V2__RestockRequest req = INVENTORY__V2__RESTOCK_REQUEST__INIT;
    req.sku = "DRL-CRD";
    req.quantity = 5;
    Inventory__V2__RestockReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = deadline_ms, .info = &info};
    ferry_status st = inventory_v2_stock_restock(ch, &req, &resp, &opts);
    if (st == FERRY_OK) {
        printf("    restocked: %u on hand (this server checks no identity)\n", resp->quantity);
        ferry_message_free(&resp->base);
        return 0;
    }
    printf("    Restock: %s: %s\n", ferry_status_str(st), info.message);
    return st == FERRY_PERMISSION_DENIED ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"connect", required_argument, NULL, 'c'},
        {"deadline", required_argument, NULL, 'd'},
        {"follow", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines in order when mixed with other programs' */
    char url[PATH_MAX + 8] = "";
    uint32_t deadline_ms = 0;
    unsigned follow_s = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:d:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            snprintf(url, sizeof url, "%s", optarg);
            break;
        case 'd': {
            char *end = NULL;
            errno = 0;
            unsigned long ms = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' || ms == 0 ||
                ms > 3600000) {
                fprintf(stderr,
                        "inventory-client: --deadline '%s' is not a number of "
                        "milliseconds from 1 to 3600000\n",
                        optarg);
                return 2;
            }
            deadline_ms = (uint32_t)ms;
            break;
        }
        case 'f': {
            char *end = NULL;
            errno = 0;
            unsigned long s = strtoul(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' || s == 0 ||
                s > 3600) {
                fprintf(stderr,
                        "inventory-client: --follow '%s' is not a number of seconds "
                        "from 1 to 3600\n",
                        optarg);
                return 2;
            }
            follow_s = (unsigned)s;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "inventory-client: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (url[0] == '\0') {
        const char *env = getenv("FERRY_INVENTORY_ADDR");
        const char *tmp = getenv("TMPDIR");
        if (env != NULL && *env != '\0')
            snprintf(url, sizeof url, "%s", env);
        else
            snprintf(url, sizeof url, "ipc://%s/ferry-inventory.sock",
                     tmp != NULL && *tmp ? tmp : "/tmp");
    }

    ferry_channel *ch = NULL;
    ferry_client_opts co = {.client_name = "inventory-client", .client_version = "1.0"};
    ferry_key *key = NULL, *server_key = NULL;
    if (tls_from_env(url, &co.tls) != 0)
        return 2;
    if (load_identity(&co.identity, &key, &server_key) != 0) {
        ferry_key_free(key);
        ferry_key_free(server_key);
        return 2;
    }
    char who[FERRY_NAME_MAX + 64] = "";
    if (key != NULL)
        snprintf(who, sizeof who, " as \"%s\" (%s proof%s)", ferry_key_name(key),
                 co.identity.proof == FERRY_PROOF_MAC ? "mac" : "signed",
                 server_key != NULL ? ", server key pinned" : "");
    ferry_status st = ferry_client_open(&ch, url, &co);
    ferry_key_free(key); /* the channel keeps its own copies */
    ferry_key_free(server_key);
    if (st != FERRY_OK) {
        fprintf(stderr, "inventory-client: cannot use address %s: %s\n", url, ferry_last_error());
        return 2;
    }
    if (follow_s > 0) {
        /* Five calls a second, 200 ms apart. */
        int frc = inventory_follow(ch, stdout, follow_s * 5, 200);
        ferry_channel_close(ch);
        return frc;
    }
    printf("inventory-client: calling inventory.v2.Stock at %s%s\n", url, who);
    inventory_tour_result rc = inventory_tour(ch, stdout, deadline_ms);
    if (rc == INVENTORY_TOUR_DONE && restock_step(ch, deadline_ms) != 0)
        rc = INVENTORY_TOUR_FAILED;
    ferry_channel_close(ch);
    if (rc == INVENTORY_TOUR_UNREACHABLE)
        fprintf(stderr, "inventory-client: the server at %s cannot be reached\n", url);
    return rc == INVENTORY_TOUR_DONE ? 0 : 1;
}
