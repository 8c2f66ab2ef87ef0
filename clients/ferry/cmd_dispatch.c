/* cmd_dispatch.c - `ferry dispatch`: reads the stats a dispatcher wrote as
 * JSON (ferry_dispatcher_write_stats(), e.g. `shop --stats-file`) and prints
 * them as a table; with --check, says whether a migration stage is clean.
 *
 *   ferry dispatch [--check] FILE
 *
 * FILE "-" is standard input. Exits 0; with --check 1 when some method had
 * shadow mismatches or remote errors (each is named); 2 on bad usage or a
 * file that is not a dispatcher's stats. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry dispatch [--check] FILE\n"
            "\n"
            "Prints the stats a ferry dispatcher wrote as JSON (ferry_dispatcher_write_stats()):\n"
            "per method and stage, the calls each side answered, shadow matches and mismatches,\n"
            "remote errors, fallbacks and latencies. FILE - reads standard input.\n"
            "  -c, --check   exit 1 when a method had mismatches or remote errors, naming them:\n"
            "                the gate before moving a migration to its next stage\n"
            "  -h, --help    this text\n");
}

/* The counters of one stage row, in the table's column order. */
static const char *const counters[] = {
    "calls",      "answered_local", "answered_remote", "shadowed",  "matches",
    "mismatches", "shadow_skipped", "remote_errors",   "fallbacks",
};
#define N_COUNTERS (sizeof counters / sizeof counters[0])

typedef struct reader {
    const char *file;
    char where[160];
} reader;

/* A member of `obj` that must be a string; NULL after printing why not. */
static const char *need_string(reader *r, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        fprintf(stderr, "ferry dispatch: %s: %s: \"%s\" is missing or not a string\n", r->file,
                r->where, key);
        return NULL;
    }
    return json_string_value(v);
}

/* A member that must be a whole number from 0; -1 after printing why not. */
static int need_count(reader *r, json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        fprintf(stderr, "ferry dispatch: %s: %s: \"%s\" is missing or not a whole number\n",
                r->file, r->where, key);
        return -1;
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* "p50/p99" of a latency object, or "-" when it had no calls. */
static int latency(reader *r, json_t *row, const char *side, char *buf, size_t len)
{
    json_t *l = json_object_get(row, side);
    uint64_t count, p50, p99;
    size_t at = strlen(r->where);
    snprintf(r->where + at, sizeof r->where - at, ".%s", side);
    if (!json_is_object(l) || need_count(r, l, "count", &count) != 0 ||
        need_count(r, l, "p50_us", &p50) != 0 || need_count(r, l, "p99_us", &p99) != 0)
        return -1;
    r->where[at] = '\0';
    if (count == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%" PRIu64 "/%" PRIu64, p50, p99);
    return 0;
}

/* Prints the table; counts the rows --check objects to. */
static int print(reader *r, json_t *root, int check, unsigned *bad)
{
    snprintf(r->where, sizeof r->where, "the top level");
    if (!json_is_object(root)) {
        fprintf(stderr, "ferry dispatch: %s: not a JSON object\n", r->file);
        return -1;
    }
    const char *service = need_string(r, root, "service");
    const char *spec = service != NULL ? need_string(r, root, "spec") : NULL;
    json_t *methods = json_object_get(root, "methods");
    if (spec == NULL)
        return -1;
    if (!json_is_array(methods)) {
        fprintf(stderr, "ferry dispatch: %s: \"methods\" is missing or not an array\n", r->file);
        return -1;
    }
    printf("dispatcher %s, routes: %s\n", service, spec);
    printf("  %-18s %-7s %7s %7s %7s %7s %7s %7s %7s %7s %8s %13s %13s\n", "METHOD", "STAGE",
           "CALLS", "LOCAL", "REMOTE", "SHADOW", "MATCH", "DIFF", "SKIP", "R-ERR", "FALLBACK",
           "LOCAL p50/99", "REMOTE p50/99");
    size_t i;
    json_t *m;
    json_array_foreach(methods, i, m)
    {
        snprintf(r->where, sizeof r->where, "methods[%zu]", i);
        const char *name = json_is_object(m) ? need_string(r, m, "method") : NULL;
        json_t *stages = name != NULL ? json_object_get(m, "stages") : NULL;
        if (name == NULL) {
            if (!json_is_object(m))
                fprintf(stderr, "ferry dispatch: %s: %s is not an object\n", r->file, r->where);
            return -1;
        }
        if (!json_is_array(stages)) {
            fprintf(stderr, "ferry dispatch: %s: %s: \"stages\" is missing or not an array\n",
                    r->file, r->where);
            return -1;
        }
        size_t j;
        json_t *row;
        json_array_foreach(stages, j, row)
        {
            snprintf(r->where, sizeof r->where, "methods[%zu].stages[%zu]", i, j);
            const char *stage = json_is_object(row) ? need_string(r, row, "stage") : NULL;
            if (stage == NULL) {
                if (!json_is_object(row))
                    fprintf(stderr, "ferry dispatch: %s: %s is not an object\n", r->file, r->where);
                return -1;
            }
            uint64_t v[N_COUNTERS];
            for (size_t k = 0; k < N_COUNTERS; k++)
                if (need_count(r, row, counters[k], &v[k]) != 0)
                    return -1;
            char lat_l[32], lat_r[32];
            if (latency(r, row, "local", lat_l, sizeof lat_l) != 0 ||
                latency(r, row, "remote", lat_r, sizeof lat_r) != 0)
                return -1;
            printf("  %-18.64s %-7.16s", name, stage);
            for (size_t k = 0; k < N_COUNTERS; k++)
                printf(k == N_COUNTERS - 1 ? " %8" PRIu64 : " %7" PRIu64, v[k]);
            printf(" %13s %13s\n", lat_l, lat_r);
            if (check && (v[5] > 0 || v[7] > 0)) {
                (*bad)++;
                fprintf(stderr,
                        "ferry dispatch: %s at %s: %" PRIu64 " mismatches, %" PRIu64
                        " remote errors\n",
                        name, stage, v[5], v[7]);
            }
        }
        json_t *last = json_object_get(m, "last_mismatch");
        if (json_is_string(last) && json_string_length(last) > 0)
            printf("  last mismatch of %s: %s\n", name, json_string_value(last));
    }
    printf("  (latencies in microseconds)\n");
    return 0;
}

int cmd_dispatch(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"check", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int check = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ch", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            check = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_ERROR;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "ferry dispatch: %s\n",
                argc - optind == 0 ? "name the stats file (or - for standard input)"
                                   : "one stats file at a time");
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    reader r = {.file = argv[optind]};
    json_error_t jerr;
    int from_stdin = strcmp(r.file, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(r.file, "rb");
    if (f == NULL) {
        fprintf(stderr, "ferry dispatch: cannot open %s: %s\n", r.file, strerror(errno));
        return CLI_EXIT_ERROR;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ferry dispatch: %s: is a directory, not a stats file\n", r.file);
        if (!from_stdin)
            fclose(f);
        return CLI_EXIT_ERROR;
    }
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    if (!from_stdin)
        fclose(f);
    if (root == NULL) {
        fprintf(stderr, "ferry dispatch: %s: line %d: %s\n", r.file, jerr.line, jerr.text);
        return CLI_EXIT_ERROR;
    }
    unsigned bad = 0;
    int rc = print(&r, root, check, &bad);
    json_decref(root);
    if (rc != 0)
        return CLI_EXIT_ERROR;
    if (check && bad > 0)
        return CLI_EXIT_NO;
    if (check)
        printf("ferry dispatch: no mismatches and no remote errors\n");
    return CLI_EXIT_OK;
}
