/* stats_metrics.h - `ferry stats` reading a metrics endpoint. */
#ifndef FERRY_CLI_STATS_METRICS_H
#define FERRY_CLI_STATS_METRICS_H

#include <stddef.h>
#include <stdio.h>

#define CLI_METRICS_ROWS    256
#define CLI_METRICS_CODES   24
#define CLI_METRICS_BUCKETS 32

/* One (side, method) of a ferry metrics text: its calls by status code
 * and its call_seconds histogram (cumulative, `le` -1 for +Inf). */
typedef struct cli_metrics_row {
    char side[8], method[160];
    struct {
        char code[32];
        double n;
    } codes[CLI_METRICS_CODES];
    size_t n_codes;
    double le[CLI_METRICS_BUCKETS], cum[CLI_METRICS_BUCKETS];
    size_t n_buckets;
} cli_metrics_row;

typedef struct cli_metrics_table {
    cli_metrics_row rows[CLI_METRICS_ROWS];
    size_t n;
} cli_metrics_table;

/* Reads the Prometheus text `body` (cut into lines in place) into `t`,
 * which starts zeroed: ferry's calls_total and call_seconds samples, any
 * other line ignored, at most the limits above. */
void cli_metrics_read(char *body, cli_metrics_table *t);

/* The q-quantile (0 < q < 1) of a row's call_seconds histogram,
 * interpolated within its bucket as Prometheus's histogram_quantile()
 * does; -1 when it has no observations. */
double cli_metrics_quantile(const cli_metrics_row *r, double q);

/* Prints to `out` per method and side the calls, errors by status and
 * latency quantiles served at `url` (http://...), names as the endpoint
 * sent them (the caller escapes them); 0, or after a message on stderr
 * an exit status of cli.h: 1 when the endpoint answered with an HTTP error,
 * 2 for a bad URL, 3 when it cannot be reached within `timeout_ms`. */
int cli_stats_metrics(const char *url, long timeout_ms, FILE *out);

#endif
