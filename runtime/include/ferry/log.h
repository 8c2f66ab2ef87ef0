/* ferry/log.h - where ferry's own log lines go, how much of them, and in
 * which shape (docs/operations.md, "Logs").
 *
 * ferry logs what the application cannot see from its calls' statuses: a
 * server that cannot listen, a connection muted for not reading its
 * replies, a call refused before its handler, a retry. By default the lines
 * go to stderr in logfmt,
 *   ferry level=warn where=server method=inventory.v2.Stock/GetItem call_id=42 msg="..."
 * at level warn and above; the environment variables FERRY_LOG (error,
 * warn, info, debug) and FERRY_LOG_FORMAT (logfmt, json) change that
 * without recompiling. An application that has its own logging sets a sink
 * and receives each line as a record instead.
 *
 * Ownership: a record and its strings belong to ferry and live only for the
 * sink's call; copy what must outlive it.
 * Thread safety: the setters may be called from any thread at any time; a
 * sink is called from whichever thread logs (handler workers, nng's I/O
 * threads, the caller's), possibly from several at once, and must not
 * block for long. A sink may not call the setters.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ferry_log_level {
    FERRY_LOG_ERROR = 0, /* something failed that the program should hear of */
    FERRY_LOG_WARN = 1,  /* the default: a misbehaving peer, a setting ignored */
    FERRY_LOG_INFO = 2,  /* life-cycle events: listening, connections lost */
    FERRY_LOG_DEBUG = 3, /* per-call events: refusals, retries */
} ferry_log_level;

typedef enum ferry_log_format {
    FERRY_LOG_LOGFMT = 0, /* key=value pairs; msg quoted */
    FERRY_LOG_JSON = 1,   /* one JSON object per line */
} ferry_log_format;

/* One log line. */
typedef struct ferry_log_record {
    ferry_log_level level;
    const char *where;   /* the part of ferry: "server", "client", "dispatch", ... */
    const char *message; /* UTF-8 text, no newline */
    /* The call the line is about, when there is one: its method
     * ("pkg.Service/Method", else NULL) and call id (else 0). */
    const char *method;
    uint64_t call_id;
} ferry_log_record;

/* Receives each line that passes the level. */
typedef void (*ferry_log_sink)(void *arg, const ferry_log_record *rec);

/* Sends ferry's lines to `sink` (with `arg`); NULL restores stderr. Returns
 * once no call of the previous sink is still running (other threads may
 * have been in it): its `arg` may be freed then. Do not call it holding a
 * lock the previous sink takes. */
void ferry_log_set_sink(ferry_log_sink sink, void *arg);

/* Lines of `level` and more severe are logged (default: FERRY_LOG, else
 * warn). */
void ferry_log_set_level(ferry_log_level level);
ferry_log_level ferry_log_get_level(void);

/* The shape of the lines written to stderr (default: FERRY_LOG_FORMAT, else
 * logfmt). */
void ferry_log_set_format(ferry_log_format format);
ferry_log_format ferry_log_get_format(void);

/* Writes `rec` as one line in `format`, with its newline, into `buf` (cut to
 * fit, always NUL-terminated when len > 0): what the stderr sink writes,
 * for a sink that writes lines elsewhere. Returns the length of the whole
 * line, as snprintf does. */
size_t ferry_log_format_record(const ferry_log_record *rec, ferry_log_format format, char *buf,
                               size_t len);

/* "error", "warn", "info", "debug"; "unknown" for any other value. */
const char *ferry_log_level_str(ferry_log_level level);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_LOG_H */
