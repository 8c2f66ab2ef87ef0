/* error.h - the reason behind a failed call of ferry's API, as
 * ferry_last_error() gives it to the caller (the convention is stated in
 * ferry/status.h).
 *
 * A public fallible function empties the reason when it starts
 * (ferryi_error_clear()) and every path that makes it fail records one
 * (ferryi_error()), naming the thing that was wrong and what was wrong with
 * it. Internal functions that fail record the reason themselves where they
 * know it best, so their callers can pass the status up unchanged.
 *
 * Thread-safe: the reason lives in thread-local storage.
 */
#ifndef FERRYI_ERROR_H
#define FERRYI_ERROR_H

#include "base/log.h"
#include "ferry/status.h"

/* Records the formatted reason (one line, truncated to FERRY_ERROR_MAX - 1
 * bytes) as this thread's last error and returns `st`, so that a failure
 * reads `return ferryi_error(FERRY_INVALID_ARGUMENT, "url %s: ...", url);`.
 * The arguments may include ferry_last_error(), to add context to an inner
 * function's reason. */
ferry_status ferryi_error(ferry_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ferryi_error(), and the same text as a log line of `level` from `where`:
 * for failures an operator should see in the log too. */
ferry_status ferryi_error_log(ferryi_log_level level, const char *where, ferry_status st,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Empties this thread's reason: at the start of every public fallible
 * function, and after a failure the function got over, so that a call that
 * returns FERRY_OK leaves no reason behind. */
void ferryi_error_clear(void);

/* Puts back a reason copied from ferry_last_error() before: for a function
 * that returns no status but calls fallible ones, which must leave the
 * caller's reason as it found it (ferry/status.h). */
void ferryi_error_restore(const char *saved);

/* Returns `st` after making sure a reason is recorded: when none is (a
 * failure that came from nng or the system without words of ferry's own),
 * records "`what`: STATUS". For paths that pass an inner status up. */
ferry_status ferryi_error_ensure(ferry_status st, const char *what);

#endif
