/* cmd_health.c - `ferry health ADDRESS [SERVICE]`: asks a server's health
 * service (ferry/health.h) whether it, or one of its services, is serving.
 * Meant as a probe (a Kubernetes exec probe, a deploy script): the exit
 * status is the answer, and one line says what was answered. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "conn.h"
#include "ferry/health/v1/health.ferry.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry health ADDRESS [SERVICE] [--key FILE] [--server-key FILE]\n"
            "                    [--proof signed|mac] [--timeout MS] [--quiet]\n"
            "\n"
            "Asks the server at ADDRESS whether it is serving: as a whole, or the hosted\n"
            "SERVICE (its full name, e.g. inventory.v2.Stock). The server must host the\n"
            "health service (ferry_server_add_health()); with identity on, the key must\n"
            "be one the server trusts (no role is needed).\n"
            "  ADDRESS               the server, e.g. ipc:///tmp/inventory.sock, tcp://host:port\n"
            "  SERVICE               a hosted service (default: the server)\n" CLI_CONN_USAGE
            "  -q, --quiet           print nothing; the exit status says it all\n"
            "  -h, --help            this text\n"
            "Exit status: 0 serving; 1 not serving, draining, or the server answered with\n"
            "an error (refused the probe, does not host SERVICE or the health service);\n"
            "2 bad usage or keys; 3 the server could not be reached (down, no such host).\n");
}

int cmd_health(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_CONN_LONGOPTS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_conn conn;
    cli_conn_init(&conn, "health");
    int c, quiet = 0, rc = CLI_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh" CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        int taken = cli_conn_option(&conn, c, optarg);
        if (taken < 0)
            goto out;
        if (taken > 0)
            continue;
        if (c == 'q') {
            quiet = 1;
        } else if (c == 'h') {
            usage(stdout);
            rc = CLI_EXIT_OK;
            goto out;
        } else {
            usage(stderr);
            goto out;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        fprintf(stderr, optind >= argc ? "ferry health: no ADDRESS given\n"
                                       : "ferry health: one ADDRESS and at most one SERVICE\n");
        usage(stderr);
        goto out;
    }
    conn.url = argv[optind];
    conn.quiet = quiet;
    const char *service = optind + 1 < argc ? argv[optind + 1] : "";
    ferry_channel *ch = NULL;
    if (cli_conn_load(&conn) != 0 ||
        (rc = cli_conn_open(&conn, "ferry-health", &ch)) != CLI_EXIT_OK)
        goto out;
    Ferry__Health__V1__CheckRequest req = FERRY__HEALTH__V1__CHECK_REQUEST__INIT;
    req.service = (char *)service;
    Ferry__Health__V1__CheckReply *resp = NULL;
    ferry_call_info info = {0};
    ferry_call_opts opts = {.deadline_ms = (uint32_t)conn.timeout_ms, .info = &info};
    ferry_status st = ferry_health_v1_health_check(ch, &req, &resp, &opts);
    ferry_channel_close(ch);
    if (st != FERRY_OK) {
        rc = cli_conn_exit(st, &info);
        if (!quiet)
            cli_conn_explain(&conn, st, &info,
                             "the server does not host the health service "
                             "(ferry_server_add_health())",
                             "");
        goto out;
    }
    ferry_health h = (ferry_health)resp->status;
    ferry_message_free(&resp->base);
    if (!quiet)
        printf("%s%s%s: %s\n", conn.url, service[0] != '\0' ? " " : "", service,
               ferry_health_str(h));
    rc = h == FERRY_HEALTH_SERVING ? CLI_EXIT_OK : CLI_EXIT_NO;
out:
    cli_conn_fini(&conn);
    return rc;
}
