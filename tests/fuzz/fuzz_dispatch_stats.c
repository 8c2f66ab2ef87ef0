/* fuzz_dispatch_stats.c - fuzz target for `ferry dispatch --check FILE`
 * (clients/ferry/cmd_dispatch.c), which reads a dispatcher's stats as JSON
 * with jansson: each input is written to a file and given to the command.
 *
 * Its exit status must agree with a second reading of the same JSON against
 * the stats' documented shape: an object with "service" and "spec" strings
 * and a "methods" array; each method an object with a "method" string and a
 * "stages" array; each stage an object with a "stage" string, the nine
 * counters as whole numbers from 0, and "local" and "remote" objects with
 * "count", "p50_us" and "p99_us" likewise. A file that is not JSON, or not of
 * that shape, exits 2; one that is exits 1 when some stage counted
 * mismatches or remote errors, else 0. Any disagreement aborts, for the
 * fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_dispatch_stats: %s\n", what);
    abort();
}

static char dir[64], in_path[96];
static FILE *devnull;

static void teardown(void)
{
    unlink(in_path);
    rmdir(dir);
    if (devnull != NULL)
        fclose(devnull);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/fuzz_dispatch_stats.XXXXXX");
    if (mkdtemp(dir) == NULL)
        fail("cannot make a scratch directory");
    snprintf(in_path, sizeof in_path, "%s/stats.json", dir);
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL)
        fail("cannot open /dev/null");
    atexit(teardown);
}

static const char *const counters[] = {
    "calls",      "answered_local", "answered_remote", "shadowed",  "matches",
    "mismatches", "shadow_skipped", "remote_errors",   "fallbacks",
};

static int count_ok(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int latency_ok(json_t *row, const char *side)
{
    json_t *l = json_object_get(row, side);
    return json_is_object(l) && count_ok(l, "count") && count_ok(l, "p50_us") &&
           count_ok(l, "p99_us");
}

/* The second reading: the exit status the stats in `root` call for. */
static int expected_exit(json_t *root)
{
    if (!json_is_object(root) || !json_is_string(json_object_get(root, "service")) ||
        !json_is_string(json_object_get(root, "spec")))
        return CLI_EXIT_ERROR;
    json_t *methods = json_object_get(root, "methods");
    if (!json_is_array(methods))
        return CLI_EXIT_ERROR;
    int bad = 0;
    for (size_t i = 0; i < json_array_size(methods); i++) {
        json_t *m = json_array_get(methods, i);
        if (!json_is_object(m) || !json_is_string(json_object_get(m, "method")))
            return CLI_EXIT_ERROR;
        json_t *stages = json_object_get(m, "stages");
        if (!json_is_array(stages))
            return CLI_EXIT_ERROR;
        for (size_t j = 0; j < json_array_size(stages); j++) {
            json_t *row = json_array_get(stages, j);
            if (!json_is_object(row) || !json_is_string(json_object_get(row, "stage")))
                return CLI_EXIT_ERROR;
            for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++)
                if (!count_ok(row, counters[k]))
                    return CLI_EXIT_ERROR;
            if (!latency_ok(row, "local") || !latency_ok(row, "remote"))
                return CLI_EXIT_ERROR;
            if (json_integer_value(json_object_get(row, "mismatches")) > 0 ||
                json_integer_value(json_object_get(row, "remote_errors")) > 0)
                bad = 1;
        }
    }
    return bad ? CLI_EXIT_NO : CLI_EXIT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (devnull == NULL)
        setup();
    int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        fail("cannot write the input file");

    /* The command's table and messages go nowhere; the sanitizers write to
     * file descriptor 2 directly, so their reports still show. */
    FILE *out = stdout, *err = stderr;
    stdout = devnull;
    stderr = devnull;
    char *argv[] = {"dispatch", "--check", in_path, NULL};
    int rc = cmd_dispatch(3, argv);
    stdout = out;
    stderr = err;

    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    int want = root != NULL ? expected_exit(root) : CLI_EXIT_ERROR;
    json_decref(root);
    if (rc != want) {
        fprintf(stderr, "fuzz_dispatch_stats: exit %d where the stats call for %d\n", rc, want);
        fail("ferry dispatch disagrees with a second reading of the stats");
    }
    return 0;
}
