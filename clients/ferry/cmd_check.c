/* cmd_check.c - `ferry check`: compares two versions of a schema and prints
 * every difference, breaking or safe, one per line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry check [OPTIONS] OLD NEW\n"
            "       ferry check [OPTIONS] --lock FILE NEW\n"
            "\n"
            "Compares two versions of a schema and prints one line per difference:\n"
            "  breaking|warning|safe RULE FILE:LINE: ELEMENT: why old peers break, what to\n"
            "  mind, or the deploy order\n"
            "OLD and NEW are each a directory of .proto files, one .proto file, or a lock\n"
            "file written by `ferry lock`. Lines name the new schema, or the old one for\n"
            "what was deleted.\n"
            "\n"
            "options:\n"
            "  -I, --proto_path DIR  also look for imported files in DIR (repeatable); ferry's\n"
            "                        own IDL and protobuf's are always found\n"
            "  -l, --lock FILE       compare NEW against the lock file FILE\n"
            "  -q, --quiet           print breaking changes and warnings only\n"
            "  -s, --strict          warnings fail the check too (exit status 1)\n"
            "  -h, --help            print this help\n"
            "\n"
            "exit status: 0 nothing breaks (warnings are advice), 1 something breaks (or,\n"
            "with --strict, a warning), 2 a usage, input or protoc\n"
            "error. docs/versioning.md describes every rule.\n");
}

static const struct option options[] = {
    {"proto_path", required_argument, NULL, 'I'},
    {"lock", required_argument, NULL, 'l'},
    {"quiet", no_argument, NULL, 'q'},
    {"strict", no_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

int cmd_check(int argc, char **argv)
{
    cli_imports imp = {0};
    const char *lock = NULL;
    int quiet = 0, strict = 0, opt, rc = CLI_EXIT_ERROR;
    optind = 0; /* getopt_long may have run before in this process */
    while ((opt = getopt_long(argc, argv, "I:l:qsh", options, NULL)) != -1) {
        switch (opt) {
        case 'I':
            if (cli_imports_add(&imp, optarg) != 0) {
                fprintf(stderr, "ferry check: out of memory\n");
                goto done;
            }
            break;
        case 'l':
            lock = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 's':
            strict = 1;
            break;
        case 'h':
            usage(stdout);
            rc = CLI_EXIT_OK;
            goto done;
        default:
            fprintf(stderr, "run ferry check --help for the options\n");
            goto done;
        }
    }
    int want = lock != NULL ? 1 : 2;
    if (argc - optind != want) {
        fprintf(stderr, "ferry check: expected %s, got %d argument%s\n",
                lock != NULL ? "NEW after --lock FILE" : "OLD and NEW", argc - optind,
                plural((size_t)(argc - optind)));
        usage(stderr);
        goto done;
    }
    const char *old_path = lock != NULL ? lock : argv[optind];
    const char *new_path = argv[argc - 1];

    ferry_schema *old_schema = NULL, *new_schema = NULL;
    ferry_check_report *report = NULL;
    if (cli_load_schema("check", old_path, &imp, &old_schema) != 0 ||
        cli_load_schema("check", new_path, &imp, &new_schema) != 0)
        goto free;
    if (ferry_check_compare(old_schema, new_schema, &report) != FERRY_CHECK_OK) {
        fprintf(stderr, "ferry check: out of memory\n");
        goto free;
    }
    size_t n = ferry_check_report_count(report), breaking = ferry_check_report_breaking(report);
    size_t warnings = ferry_check_report_warnings(report), safe = n - breaking - warnings;
    for (size_t i = 0; i < n; i++) {
        const ferry_check_finding *f = ferry_check_report_get(report, i);
        if (!quiet || f->cls != FERRY_CHECK_SAFE)
            ferry_check_finding_print(f, stdout);
    }
    if (n == 0)
        printf("no changes\n");
    else if (warnings == 0)
        printf("%zu breaking change%s, %zu safe change%s\n", breaking, plural(breaking), safe,
               plural(safe));
    else
        printf("%zu breaking change%s, %zu warning%s, %zu safe change%s\n", breaking,
               plural(breaking), warnings, plural(warnings), safe, plural(safe));
    if (fflush(stdout) != 0) {
        fprintf(stderr, "ferry check: cannot write to standard output\n");
        goto free;
    }
    rc = breaking > 0 || (strict && warnings > 0) ? CLI_EXIT_NO : CLI_EXIT_OK;
free:
    ferry_check_report_free(report);
    ferry_schema_free(old_schema);
    ferry_schema_free(new_schema);
done:
    cli_imports_free(&imp);
    return rc;
}
