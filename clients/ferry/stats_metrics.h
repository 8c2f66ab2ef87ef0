/* stats_metrics.h - `ferry stats` reading a metrics endpoint. */
#ifndef FERRY_CLI_STATS_METRICS_H
#define FERRY_CLI_STATS_METRICS_H

/* Prints per method and side the calls, errors by status and latency
 * quantiles served at `url` (http://...); 0, or 2 after a message when the
 * endpoint cannot be read within `timeout_ms`. */
int cli_stats_metrics(const char *url, long timeout_ms);

#endif
