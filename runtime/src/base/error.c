/* error.c - the thread's last error reason behind ferry_last_error() (error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

/* One buffer per thread: a failure on one thread never changes what another
 * reads, and no lock is needed. */
static _Thread_local char last_error[FERRY_ERROR_MAX];

/* Formats the reason into `text` on one line: a newline in a file name or
 * a system message would otherwise split what callers print as a single
 * line. It is formatted aside, not in place, so that a new reason may quote
 * the one it replaces (ferry_last_error() as an argument). */
static void format(char text[FERRY_ERROR_MAX], const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void format(char text[FERRY_ERROR_MAX], const char *fmt, va_list ap)
{
    vsnprintf(text, FERRY_ERROR_MAX, fmt, ap);
    for (char *p = text; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

ferry_status ferryi_error(ferry_status st, const char *fmt, ...)
{
    char text[FERRY_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    format(text, fmt, ap);
    va_end(ap);
    memcpy(last_error, text, strlen(text) + 1);
    return st;
}

ferry_status ferryi_error_log(ferryi_log_level level, const char *where, ferry_status st,
                              const char *fmt, ...)
{
    char text[FERRY_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    format(text, fmt, ap);
    va_end(ap);
    /* Logged before it is recorded: a log sink that calls ferry cannot
     * empty the reason the caller is about to read. */
    ferryi_log(level, where, "%s", text);
    memcpy(last_error, text, strlen(text) + 1);
    return st;
}

void ferryi_error_clear(void)
{
    last_error[0] = '\0';
}

void ferryi_error_restore(const char *saved)
{
    snprintf(last_error, sizeof last_error, "%s", saved);
}

ferry_status ferryi_error_ensure(ferry_status st, const char *what)
{
    if (st != FERRY_OK && last_error[0] == '\0')
        ferryi_error(st, "%s: %s", what, ferry_status_str(st));
    return st;
}

const char *ferry_last_error(void)
{
    return last_error;
}
