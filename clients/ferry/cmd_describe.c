/* cmd_describe.c - `ferry describe ADDRESS pkg.Svc[/Method]`: a service's
 * methods with ferry's options (deadline, idempotency, roles, ...), and the
 * messages and enums they carry, with each field's validation rules; read
 * from the server's reflection service, or from --proto files. Printed as
 * a .proto file (proto_print.h) that protoc compiles again. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conn.h"
#include "proto_print.h"
#include "schema_src.h"

#define MAX_PROTOS 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry describe ADDRESS SERVICE[/METHOD] [--proto FILE]... [-I DIR]...\n"
            "                      [--key FILE] [--server-key FILE] [--proof signed|mac]\n"
            "                      [--timeout MS] [--tls-ca FILE]...\n"
            "\n"
            "Prints SERVICE (all its methods, or one METHOD) as a .proto file protoc\n"
            "compiles (-I ferry's idl/ for ferry/options.proto): the package, imports,\n"
            "the service with ferry's options, then the messages and enums of the\n"
            "package the methods use, fields with their validation rules. The schema\n"
            "comes from the server's reflection service, or from --proto files.\n"
            "  --proto FILE          a .proto file defining SERVICE (repeatable): no reflection\n"
            "  -I, --import DIR      where --proto's imports are (repeatable)\n" CLI_CONN_USAGE
            "  -h, --help            this text\n"
            "Exit status: 0 described; 1 the server answered with an error, or lacks\n"
            "SERVICE or METHOD; 2 bad usage, keys, or a schema that cannot be written as\n"
            "a .proto file; 3 the server could not be reached.\n");
}

static int describe(const pb_schema *s, const char *service, const char *method, int lacks)
{
    const pbs_svc *svc = pbs_service_find(s, service);
    if (svc == NULL) {
        fprintf(stderr, "ferry describe: the schema has no service '%s'\n", service);
        return lacks;
    }
    const pbs_method *only = method != NULL ? pbs_method_find(svc, method) : NULL;
    if (method != NULL && only == NULL) {
        fprintf(stderr, "ferry describe: %s has no method '%s'\n", service, method);
        return lacks;
    }
    /* Written into memory first, so that what a server named can be cleaned
     * of control characters before it reaches the terminal, and nothing is
     * printed of a schema that cannot be written as a .proto file. */
    char *text = NULL, err[256];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL) {
        fprintf(stderr, "ferry describe: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    int rc = cli_proto_print(out, s, svc, only, err, sizeof err);
    if (fclose(out) != 0 && rc == 0) {
        rc = -1;
        snprintf(err, sizeof err, "out of memory");
    }
    if (rc == 0)
        cli_put_text(stdout, text, len, 1);
    else
        fprintf(stderr, "ferry describe: %s: %s\n", service, err);
    free(text);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

/* SERVICE or SERVICE/METHOD. */
/* `lacks`: the exit status when the schema lacks the target: 1 when a
 * server sent it (the server's "no"), 2 for --proto files (bad input). */
static int describe_target(const pb_schema *s, const char *target, int lacks)
{
    if (strchr(target, '/') == NULL)
        return describe(s, target, NULL, lacks);
    char *service = NULL;
    const char *method = NULL;
    if (cli_split_method("describe", target, &service, &method) != 0)
        return CLI_EXIT_ERROR;
    int rc = describe(s, service, method, lacks);
    free(service);
    return rc;
}

/* The service to ask reflection for: TARGET up to its '/', or whole. */
static char *service_of(const char *target)
{
    const char *slash = strchr(target, '/');
    return slash != NULL ? strndup(target, (size_t)(slash - target)) : strdup(target);
}

static int load(cli_conn *conn, const char *target, const char *const *protos, size_t n,
                const cli_imports *imp, pb_schema *s)
{
    if (n > 0)
        return cli_schema_protos("describe", protos, n, imp, s) == 0 ? 0 : CLI_EXIT_ERROR;
    ferry_channel *ch = NULL;
    int rc = cli_conn_open(conn, "ferry-describe", &ch);
    if (rc != CLI_EXIT_OK)
        return rc;
    char *service = service_of(target);
    ferry_call_info info = {0};
    rc = service != NULL ? cli_schema_reflect(conn, ch, service, s, &info) : -1;
    free(service);
    ferry_channel_close(ch);
    if (rc == 0)
        return CLI_EXIT_OK;
    /* The reflection call's failure is the server's answer; descriptors it
     * sent that cannot be read are a schema that cannot be used, as for
     * `ferry call`. */
    return info.status != FERRY_OK ? cli_conn_exit(info.status, &info) : CLI_EXIT_ERROR;
}

int cmd_describe(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_CONN_LONGOPTS,
        {"proto", required_argument, NULL, 'P'},
        {"import", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_conn conn;
    cli_conn_init(&conn, "describe");
    cli_imports imp = {0};
    const char *protos[MAX_PROTOS];
    size_t n_protos = 0;
    int c, rc = CLI_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "I:h" CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        int taken = cli_conn_option(&conn, c, optarg);
        if (taken < 0)
            goto out;
        if (taken > 0)
            continue;
        if (c == 'P' && n_protos < MAX_PROTOS) {
            protos[n_protos++] = optarg;
        } else if (c == 'I' && cli_imports_add(&imp, optarg) == 0) {
            continue;
        } else {
            usage(c == 'h' ? stdout : stderr);
            rc = c == 'h' ? CLI_EXIT_OK : CLI_EXIT_ERROR;
            goto out;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "ferry describe: give ADDRESS and SERVICE[/METHOD]\n");
        usage(stderr);
        goto out;
    }
    conn.url = argv[optind];
    pb_schema s;
    pbs_init(&s);
    if (cli_conn_load(&conn) == 0) {
        rc = load(&conn, argv[optind + 1], protos, n_protos, &imp, &s);
        if (rc == 0)
            rc = describe_target(&s, argv[optind + 1], n_protos > 0 ? CLI_EXIT_ERROR : CLI_EXIT_NO);
    }
    pbs_fini(&s);
out:
    cli_imports_free(&imp);
    cli_conn_fini(&conn);
    return rc;
}
