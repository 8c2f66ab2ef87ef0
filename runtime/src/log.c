/* log.c - levelled log lines on stderr, level from FERRY_LOG. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static int log_level = FERRYI_LOG_WARN;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static void log_init(void)
{
    const char *env = getenv("FERRY_LOG");
    if (env == NULL || *env == '\0')
        return;
    for (int i = 0; i < 4; i++) {
        if (strcmp(env, level_names[i]) == 0) {
            log_level = i;
            return;
        }
    }
    fprintf(stderr,
            "ferry level=warn where=log msg=\"FERRY_LOG=%s is not one of "
            "error, warn, info, debug; using warn\"\n",
            env);
}

int ferryi_log_enabled(ferryi_log_level level)
{
    pthread_once(&log_once, log_init);
    return (int)level <= log_level;
}

void ferryi_log(ferryi_log_level level, const char *where, const char *fmt, ...)
{
    if (!ferryi_log_enabled(level))
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Quotes inside the message would break the key="value" shape. */
    for (char *p = msg; *p; p++)
        if (*p == '"' || *p == '\n')
            *p = '\'';
    char line[640];
    snprintf(line, sizeof line, "ferry level=%s where=%s msg=\"%s\"\n", level_names[level], where,
             msg);
    fputs(line, stderr);
}
