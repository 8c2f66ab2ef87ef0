/* intercept.h - a chain of interceptors (ferry/intercept.h), run by the
 * intercepting channel (intercept.c) and by the server (server.c). */
#ifndef FERRYI_INTERCEPT_H
#define FERRYI_INTERCEPT_H

#include "ferry/intercept.h"

typedef struct ferryi_hooks {
    ferry_interceptor ics[FERRY_INTERCEPTORS_MAX];
    size_t n;
} ferryi_hooks;

/* Appends `ic`; FERRY_INVALID_ARGUMENT without a hook,
 * FERRY_RESOURCE_EXHAUSTED when the chain is full. */
ferry_status ferryi_hooks_add(ferryi_hooks *h, const ferry_interceptor *ic);

/* Runs the before hooks in order until one refuses: returns its status
 * (never FERRY_OK or FERRY_FALLBACK then) with its reason in `why`, else
 * FERRY_OK. *ran is how many interceptors the call got to, the refusing
 * one included: their after hooks see the call as admitted. */
ferry_status ferryi_hooks_before(const ferryi_hooks *h, const ferry_call_event *ev, char *why,
                                 size_t why_len, size_t *ran);

/* Runs the after hooks, last added first, with `ev` (changed as they go):
 * `admitted` set for those of the `ran` interceptors the before hooks got
 * to (0: none, as for a call refused before them), clear for the rest. */
void ferryi_hooks_after(const ferryi_hooks *h, ferry_call_event *ev, size_t ran);

#endif
