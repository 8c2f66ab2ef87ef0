/* log.h - ferry's levelled, structured log lines on stderr.
 *
 * The level comes from the environment variable FERRY_LOG (error, warn, info,
 * debug; default warn), read once. Lines look like
 *   ferry level=warn where=server msg="..."
 * Thread-safe: each line is written with one fputs on a locked stream.
 */
#ifndef FERRYI_LOG_H
#define FERRYI_LOG_H

typedef enum ferryi_log_level {
    FERRYI_LOG_ERROR = 0,
    FERRYI_LOG_WARN = 1,
    FERRYI_LOG_INFO = 2,
    FERRYI_LOG_DEBUG = 3,
} ferryi_log_level;

/* True when lines of `level` are written; test it before costly formatting. */
int ferryi_log_enabled(ferryi_log_level level);

/* Writes one line if `level` is enabled; `where` names the module. */
void ferryi_log(ferryi_log_level level, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
