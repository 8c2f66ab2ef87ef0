/* log.h - ferry's own log lines (ferry/log.h: level, sink, shape).
 *
 * Lines look like
 *   ferry level=warn where=server method=pkg.Svc/Method call_id=42 msg="..."
 * on stderr unless the application set a sink. A thread that handles or
 * makes a call names it with ferryi_log_context_set(), so that every line
 * it logs meanwhile carries the method and call id.
 * Thread-safe: each line is written with one fputs on a locked stream.
 */
#ifndef FERRYI_LOG_H
#define FERRYI_LOG_H

#include <stdint.h>

#include "ferry/log.h"

typedef enum ferryi_log_level {
    FERRYI_LOG_ERROR = FERRY_LOG_ERROR,
    FERRYI_LOG_WARN = FERRY_LOG_WARN,
    FERRYI_LOG_INFO = FERRY_LOG_INFO,
    FERRYI_LOG_DEBUG = FERRY_LOG_DEBUG,
} ferryi_log_level;

/* True when lines of `level` are written; test it before costly formatting. */
int ferryi_log_enabled(ferryi_log_level level);

/* The call this thread works on from now on: `method` ("pkg.Svc/Method",
 * may be NULL) must outlive the matching ferryi_log_context_clear(). */
void ferryi_log_context_set(const char *method, uint64_t call_id);
void ferryi_log_context_clear(void);

/* The same for a stretch of work that may run inside another call's (a
 * client call made from a handler): push returns the outer context, which
 * pop restores. */
typedef struct ferryi_log_context {
    const char *method;
    uint64_t call_id;
} ferryi_log_context;
ferryi_log_context ferryi_log_context_push(const char *method, uint64_t call_id);
void ferryi_log_context_pop(ferryi_log_context outer);

/* Writes one line if `level` is enabled; `where` names the module and
 * `call` the call the line is about: NULL for the one this thread works on
 * (ferryi_log() below), else that call whatever the thread's context (for
 * completions on nng's threads). */
void ferryi_log_call(ferryi_log_level level, const char *where, const ferryi_log_context *call,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A line about the call this thread works on. */
#define ferryi_log(level, where, ...) ferryi_log_call((level), (where), NULL, __VA_ARGS__)

#endif
