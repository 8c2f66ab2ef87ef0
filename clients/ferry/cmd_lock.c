/* cmd_lock.c - `ferry lock`: writes the lock file of a schema, the snapshot
 * that `ferry check --lock` later compares a changed schema against. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: ferry lock [OPTIONS] SCHEMA [-o FILE]\n"
                 "\n"
                 "Writes the lock file of SCHEMA (a directory of .proto files, one .proto file,\n"
                 "or a lock file): every message, field, enum, service and method with ferry's\n"
                 "options and the line it is declared on, one element per line, in a fixed\n"
                 "order. Commit it with each release and run `ferry check --lock FILE SCHEMA`\n"
                 "in CI.\n"
                 "\n"
                 "options:\n"
                 "  -I, --proto_path DIR  also look for imported files in DIR (repeatable)\n"
                 "  -o, --output FILE     write FILE (replaced whole, or left as it was on error)\n"
                 "                        instead of standard output\n"
                 "  -h, --help            print this help\n"
                 "\n"
                 "exit status: 0 written, 2 a usage, input, protoc or write error.\n");
}

static const struct option options[] = {
    {"proto_path", required_argument, NULL, 'I'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Writes `text` to `path` through a temporary file in the same directory
 * and a rename, so that readers never see half a lock file. */
static int write_file(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, "ferry lock: out of memory\n");
        return -1;
    }
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = fwrite(text, 1, len, f) == len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "ferry lock: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int cmd_lock(int argc, char **argv)
{
    cli_imports imp = {0};
    const char *output = NULL;
    int opt, rc = CLI_EXIT_ERROR;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "I:o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'I':
            if (cli_imports_add(&imp, optarg) != 0) {
                fprintf(stderr, "ferry lock: out of memory\n");
                goto done;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default:
            fprintf(stderr, "run ferry lock --help for the options\n");
            goto done;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "ferry lock: expected one SCHEMA, got %d arguments\n", argc - optind);
        usage(stderr);
        goto done;
    }
    ferry_schema *schema = NULL;
    if (cli_load_schema("lock", argv[optind], &imp, &schema) != 0)
        goto done;
    size_t len = 0;
    char *text = ferry_schema_write_lock(schema, &len);
    ferry_schema_free(schema);
    if (text == NULL) {
        fprintf(stderr, "ferry lock: out of memory\n");
        goto done;
    }
    if (output == NULL || strcmp(output, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
            fprintf(stderr, "ferry lock: cannot write to standard output\n");
        else
            rc = CLI_EXIT_OK;
    } else if (write_file(output, text, len) == 0) {
        rc = CLI_EXIT_OK;
    }
    free(text);
done:
    cli_imports_free(&imp);
    return rc;
}
