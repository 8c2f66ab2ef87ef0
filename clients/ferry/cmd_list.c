/* cmd_list.c - `ferry list ADDRESS`: the services a server hosts, as its
 * reflection service (ferry/reflection.h) lists them, one per line. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "conn.h"
#include "ferry/reflection/v1/reflection.ferry.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ferry list ADDRESS [--long] [--key FILE] [--server-key FILE]\n"
        "                  [--proof signed|mac] [--timeout MS] [--tls-ca FILE]...\n"
        "\n"
        "Prints the services the server at ADDRESS hosts, one full name a line. The\n"
        "server must host the reflection service (ferry_server_add_reflection()).\n"
        "  -l, --long            also each service's API version and .proto file\n" CLI_CONN_USAGE
        "  -h, --help            this text\n"
        "Exit status: 0 listed; 1 the server answered with an error (refused the\n"
        "call, or does not host reflection); 2 bad usage or keys; 3 the server could\n"
        "not be reached.\n");
}

/* A name from the server, escaped: a hostile server cannot move the
 * cursor, recolour the terminal or forge a line. */
static void put_name(const char *s)
{
    cli_put_str(stdout, s);
}

int cmd_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_CONN_LONGOPTS,
        {"long", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_conn conn;
    cli_conn_init(&conn, "list");
    int c, wide = 0, rc = CLI_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "lh" CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        int taken = cli_conn_option(&conn, c, optarg);
        if (taken < 0)
            goto out;
        if (taken > 0)
            continue;
        if (c == 'l') {
            wide = 1;
            continue;
        }
        usage(c == 'h' ? stdout : stderr);
        rc = c == 'h' ? CLI_EXIT_OK : CLI_EXIT_ERROR;
        goto out;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "ferry list: give one ADDRESS\n");
        usage(stderr);
        goto out;
    }
    conn.url = argv[optind];
    ferry_channel *ch = NULL;
    if (cli_conn_load(&conn) != 0 || (rc = cli_conn_open(&conn, "ferry-list", &ch)) != CLI_EXIT_OK)
        goto out;
    Ferry__Reflection__V1__ListServicesRequest req =
        FERRY__REFLECTION__V1__LIST_SERVICES_REQUEST__INIT;
    Ferry__Reflection__V1__ListServicesReply *resp = NULL;
    ferry_call_info info = {0};
    ferry_call_opts opts = {.deadline_ms = (uint32_t)conn.timeout_ms, .info = &info};
    ferry_status st = ferry_reflection_v1_reflection_list_services(ch, &req, &resp, &opts);
    ferry_channel_close(ch);
    if (st != FERRY_OK) {
        rc = cli_conn_exit(st, &info);
        cli_conn_explain(&conn, st, &info,
                         "the server does not host the reflection service "
                         "(ferry_server_add_reflection())",
                         "");
        goto out;
    }
    for (size_t i = 0; i < resp->n_services; i++) {
        const Ferry__Reflection__V1__ServiceInfo *s = resp->services[i];
        put_name(s->name);
        if (wide) {
            printf("\tAPI version %u\t", (unsigned)s->api_version);
            put_name(s->file);
        }
        putchar('\n');
    }
    ferry_message_free(&resp->base);
    rc = CLI_EXIT_OK;
out:
    cli_conn_fini(&conn);
    return rc;
}
