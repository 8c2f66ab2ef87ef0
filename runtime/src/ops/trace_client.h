/* trace_client.h - the client side of a traced call (trace.c), for
 * channel.c: the span and the options it sends with `traceparent`. */
#ifndef FERRYI_TRACE_CLIENT_H
#define FERRYI_TRACE_CLIENT_H

#include "wire/envelope.h"
#include "ops/trace.h"

typedef struct ferryi_client_span {
    ferryi_trace t;
    int shadow;
    char header[64]; /* the traceparent value sent */
    /* The metadata sent: in `inline_md` when it fits (most calls carry
     * little), else malloc'd; ferryi_trace_client_end() frees it. */
    ferry_metadata *md;
    ferry_metadata inline_md[4];
    ferry_call_opts opts;
    ferry_call_info info; /* when the caller asked for none */
} ferryi_client_span;

/* Starts the span of a call made with `opts` and returns the options to
 * make it with: `opts` with this span's traceparent (the caller's one, if
 * any, is its parent; else opts->parent's call). They point into `s`,
 * which must outlive the call's start. */
const ferry_call_opts *ferryi_trace_client_begin(ferryi_client_span *s,
                                                 const ferry_call_opts *opts);

/* Ends the span with the call's outcome and hands it to the sink; frees
 * what begin allocated. */
void ferryi_trace_client_end(ferryi_client_span *s, const char *method, ferry_status st,
                             const ferry_call_info *info);

#endif
