/* inventory-client.c - a short tour of the inventory service through the
 * generated v2 client: look up, page through, reserve, hit a shortage,
 * release, ask for an unknown item, one asynchronous call, and the same
 * server asked through the old v1 API. The tour itself is in
 * inventory_tour.c, where its tests can call it; this file is the program.
 *
 *   inventory-client [--connect URL] [--deadline MS] [--follow S]
 *
 * Without --connect the address comes from FERRY_INVENTORY_ADDR, else
 * ipc://$TMPDIR/ferry-inventory.sock (where inventory-server listens by
 * default). Exits 1 when the server cannot be reached, 2 on bad arguments. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                 "  -h, --help          this text\n");
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
    ferry_status st = ferry_client_open(&ch, url, &co);
    if (st != FERRY_OK) {
        fprintf(stderr, "inventory-client: cannot use address %s: %s\n", url, ferry_status_str(st));
        return 2;
    }
    if (follow_s > 0) {
        /* Five calls a second, 200 ms apart. */
        int frc = inventory_follow(ch, stdout, follow_s * 5, 200);
        ferry_channel_close(ch);
        return frc;
    }
    printf("inventory-client: calling inventory.v2.Stock at %s\n", url);
    inventory_tour_result rc = inventory_tour(ch, stdout, deadline_ms);
    ferry_channel_close(ch);
    if (rc == INVENTORY_TOUR_UNREACHABLE)
        fprintf(stderr, "inventory-client: the server at %s cannot be reached\n", url);
    return rc == INVENTORY_TOUR_DONE ? 0 : 1;
}
