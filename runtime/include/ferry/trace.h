/* ferry/trace.h - traces that cross services: every call carries W3C trace
 * context (the `traceparent` metadata entry), a server continues its
 * caller's trace, a call a handler makes with ferry_call_opts.parent is a
 * child of the call it handles, and each finished call, client side and
 * server side, is a span handed to a sink the application sets
 * (docs/operations.md, "Tracing").
 *
 * Tracing is off until a sink is set (or FERRY_TRACE=log, which sets
 * ferry_trace_log_sink): then clients add `traceparent` to the calls they
 * make, unless the caller already put one in the call's metadata, and
 * servers read it. A call without a parent and without incoming context
 * starts a new trace. A dispatcher's shadow call is a span of its own,
 * marked `shadow`, beside the one that answers. Spans are sampled all: the
 * sink decides what to keep; `traceparent`'s sampled flag is passed on as
 * it came and set on new traces.
 *
 * Plugging in OpenTelemetry: the sink receives every field an OTLP span
 * needs (trace and span ids, parent id, kind from `side`, name, start and
 * duration, status); export from it, or queue to an exporter thread.
 *
 * Ownership: a span and its strings belong to ferry for the sink's call.
 * Thread safety: the sink is called from whichever thread ends a call,
 * several at once; it must not block for long and may not call
 * ferry_trace_set_sink().
 */
#ifndef FERRY_TRACE_H
#define FERRY_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/intercept.h"
#include "ferry/service.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One finished call on one side. */
typedef struct ferry_span {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_id[8]; /* all zero: the root of its trace */
    ferry_call_side side;
    const char *method_name; /* "pkg.Service/Method" */
    uint64_t start_unix_us;  /* wall clock, microseconds since the Unix epoch */
    uint64_t duration_us;
    ferry_status status;
    const char *message; /* "" on success */
    int shadow;          /* a dispatcher's shadow call */
} ferry_span;

typedef void (*ferry_span_sink)(void *arg, const ferry_span *span);

/* Turns tracing on with `sink` (and `arg`), or off with NULL. */
void ferry_trace_set_sink(ferry_span_sink sink, void *arg);

/* A sink that logs each span as one line (ferry/log.h, level info,
 * where=trace) with its ids, side, status and duration. */
void ferry_trace_log_sink(void *arg, const ferry_span *span);

/* Writes `n` id bytes as lower-case hex into `out` (2n + 1 bytes). */
void ferry_trace_hex(const uint8_t *id, size_t n, char *out);

/* The trace id of the call a handler is handling, as 32 hex digits in
 * `out`, for the application's own log lines; 0 when tracing is off or the
 * call has no trace. */
int ferry_call_trace_id(const ferry_call *call, char out[33]);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_TRACE_H */
