/* ferry/metrics.h - call metrics in Prometheus's text format: per method
 * and side, calls by status, latency and size histograms, calls in flight,
 * retries and fallbacks, calls by client software, a server's connections
 * and identity refusals by reason; served over HTTP for Prometheus to
 * scrape (docs/operations.md, "Metrics").
 *
 * A server counts its calls when asked: ferry_server_opts.metrics_url, or
 * the environment variable FERRY_METRICS_URL (e.g.
 * http://127.0.0.1:9464/metrics), makes it keep a registry, count every
 * call with an interceptor and serve the registry at that URL; nothing is
 * counted or served otherwise. A client counts the calls of an intercepted
 * channel (ferry/intercept.h) whose interceptor is a registry's. Label
 * values are bounded: methods are the ones hosted or called (a name a
 * client invents is counted as "unknown"), client names and versions are
 * cut to 32 printable characters and, past 64 pairs, counted as "other".
 *
 * Ownership: ferry_metrics_new() gives a registry the caller frees with
 * ferry_metrics_free() once no server, channel or endpoint uses it; a
 * server's own registry (ferry_server_metrics()) is the server's.
 * ferry_metrics_write() gives text the caller frees with free().
 * Thread safety: everything may be called from any thread; counting is
 * done by the interceptor on the threads calls run on.
 */
#ifndef FERRY_METRICS_H
#define FERRY_METRICS_H

#include <stddef.h>

#include "ferry/intercept.h"
#include "ferry/server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ferry_metrics ferry_metrics;

FERRY_NODISCARD ferry_status ferry_metrics_new(ferry_metrics **out);

/* Stops its HTTP endpoint and frees it; accepts NULL. */
void ferry_metrics_free(ferry_metrics *m);

/* The interceptor that counts calls into `m`, for
 * ferry_server_add_interceptor() and ferry_channel_intercept(). */
ferry_interceptor ferry_metrics_interceptor(ferry_metrics *m);

/* Adds `srv`'s own figures (connections, frames refused, connections muted
 * for not reading, identity checks by outcome) to what `m` writes. `srv`
 * must outlive `m`'s use of it: call ferry_metrics_unwatch_server() (or
 * free `m`) before freeing the server. */
FERRY_NODISCARD ferry_status ferry_metrics_watch_server(ferry_metrics *m, ferry_server *srv);
void ferry_metrics_unwatch_server(ferry_metrics *m, ferry_server *srv);

/* The metrics in Prometheus's text exposition format (version 0.0.4), in
 * *text (malloc'd, NUL-terminated) and *len. */
FERRY_NODISCARD ferry_status ferry_metrics_write(ferry_metrics *m, char **text, size_t *len);

/* Serves the metrics to GET requests at `url` (http://HOST:PORT/PATH, host
 * and port required; port 0 picks a free one) until `m` is freed; writes
 * the URL served, port resolved, into `bound` (may be NULL).
 * FERRY_INVALID_ARGUMENT for any other URL, FERRY_ALREADY_EXISTS when `m`
 * serves already,
 * FERRY_UNAVAILABLE when the address cannot be listened on. */
FERRY_NODISCARD ferry_status ferry_metrics_serve(ferry_metrics *m, const char *url, char *bound,
                                                 size_t bound_len);

/* The URL `m` serves at, port resolved (valid until `m` is freed), or NULL
 * when it does not serve. */
const char *ferry_metrics_url(const ferry_metrics *m);

/* The registry of a server started with metrics (metrics_url or
 * FERRY_METRICS_URL), else NULL; a program may count its clients' calls
 * into it too. */
ferry_metrics *ferry_server_metrics(ferry_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_METRICS_H */
