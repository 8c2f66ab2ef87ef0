/* fuzz_metrics_text.c - fuzz target for cli_metrics_read() and
 * cli_metrics_quantile() (clients/ferry/stats_metrics.c): `ferry stats`
 * reading a metrics endpoint, whose answer is whatever the address sends.
 *
 * The input is the body. Whatever it holds, the table stays within its
 * limits, every row names a side and a method, and each quantile is either
 * -1 (no observations) or lies within the row's finite bucket bounds (the
 * estimate never leaves the histogram it came from) and does not fall as q
 * rises. A text of ferry's own shape, appended, is read back whole: its
 * calls and its quantile are those written. Any disagreement aborts.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#define _GNU_SOURCE /* memmem() */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_metrics_text: %s\n", what);
    abort();
}

static void check_rows(const cli_metrics_table *t)
{
    if (t->n > CLI_METRICS_ROWS)
        fail("more rows than the table has");
    for (size_t i = 0; i < t->n; i++) {
        const cli_metrics_row *r = &t->rows[i];
        if (r->method[0] == '\0' ||
            (strcmp(r->side, "server") != 0 && strcmp(r->side, "client") != 0))
            fail("a row without a method or side");
        if (r->n_codes > CLI_METRICS_CODES || r->n_buckets > CLI_METRICS_BUCKETS)
            fail("a row over its limits");
        double lo = 0, hi = 0;
        for (size_t b = 0; b < r->n_buckets; b++)
            if (r->le[b] >= 0 && r->le[b] > hi)
                hi = r->le[b];
        double prev = -1;
        for (int k = 1; k < 100; k += 7) {
            double q = cli_metrics_quantile(r, k / 100.0);
            if (q == -1)
                continue;
            if (!(q >= lo - 1e-9 && q <= hi + 1e-9) && !(hi == 0 && q == 0))
                fail("a quantile outside the histogram's bounds");
            if (q < prev - 1e-9)
                fail("a quantile falls as q rises");
            prev = q;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char known[] =
        "\nferry_server_calls_total{method=\"fz.v1.S/M\",code=\"ok\"} 7\n"
        "ferry_server_call_seconds_bucket{method=\"fz.v1.S/M\",le=\"0.001\"} 0\n"
        "ferry_server_call_seconds_bucket{method=\"fz.v1.S/M\",le=\"0.002\"} 4\n"
        "ferry_server_call_seconds_bucket{method=\"fz.v1.S/M\",le=\"+Inf\"} 4\n";
    char *body = malloc(size + sizeof known);
    if (body == NULL)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    cli_metrics_table *t = calloc(1, sizeof *t);
    if (t == NULL) {
        free(body);
        return 0;
    }
    cli_metrics_read(body, t);
    check_rows(t);

    /* The same body with a known row after it (unless the body already
     * filled the table or named that method itself). */
    memcpy(body, data, size);
    body[size] = '\0';
    size_t len = strlen(body);
    memcpy(body + len, known, sizeof known);
    memset(t, 0, sizeof *t);
    cli_metrics_read(body, t);
    check_rows(t);
    int named = memmem(data, size, "fz.v1.S/M", 9) != NULL;
    if (!named && t->n < CLI_METRICS_ROWS) {
        const cli_metrics_row *r = NULL;
        for (size_t i = 0; i < t->n; i++)
            if (strcmp(t->rows[i].method, "fz.v1.S/M") == 0 &&
                strcmp(t->rows[i].side, "server") == 0)
                r = &t->rows[i];
        if (r == NULL || r->n_codes != 1 || r->codes[0].n != 7)
            fail("the known row's calls did not read back");
        double med = cli_metrics_quantile(r, 0.5);
        if (med < 0.001 - 1e-12 || med > 0.002 + 1e-12)
            fail("the known row's median is not in its bucket");
    }
    free(t);
    free(body);
    return 0;
}
