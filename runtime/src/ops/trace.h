/* trace.h - trace context of calls (ferry/trace.h): the part of a call
 * that server.c and local.c keep, and what channel.c and dispatch_call.c
 * use. */
#ifndef FERRYI_TRACE_H
#define FERRYI_TRACE_H

#include <stdint.h>

#include "ferry/ferry.h"

typedef struct ferryi_trace {
    int on; /* the call has a trace */
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent_id[8];
    uint8_t flags; /* traceparent's trace-flags */
    uint64_t start_us, start_unix_us;
} ferryi_trace;

/* The longest traceparent value read (a later version may append
 * fields after the first four). */
#define FERRYI_TRACEPARENT_MAX 255

/* Reads a traceparent value: version 00, exactly 55 characters, or a later
 * version (not ff) whose first four fields are 00's, followed by '-'; ids
 * in lower-case hex, neither all zero. Returns 1 with the trace id, the
 * parent span id and the flags, else 0. */
int ferryi_traceparent_parse(const uint8_t *v, size_t len, uint8_t trace[16], uint8_t parent[8],
                             uint8_t *flags);

/* Whether a span sink is set. */
int ferryi_trace_on(void);

/* The server side of a call with incoming metadata `md` (n entries):
 * continues the trace its traceparent names, or starts one. */
void ferryi_trace_server_begin(ferryi_trace *t, const ferry_metadata *md, size_t n,
                               uint64_t start_us);

/* Ends the server side at `now_us` (ferryi_now_us(): the caller has read
 * it for its own figures already): hands its span to the sink. */
void ferryi_trace_server_end(const ferryi_trace *t, const char *method, ferry_status st,
                             const char *message, uint64_t now_us);

/* The trace of the call a handler runs (NULL for none); call.c keeps it in
 * the call. */
const ferryi_trace *ferryi_call_trace(const ferry_call *call);

/* Marks calls this thread starts as shadow calls until cleared (the
 * dispatcher, around its shadow call). */
void ferryi_trace_mark_shadow(int on);

#endif
