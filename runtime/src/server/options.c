/* options.c - a server's options: defaults, environment, checks (options.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "ferry/channel.h"
#include "server/options.h"

#define DEFAULT_WORKERS         4u
#define DEFAULT_SEND_TIMEOUT_MS 10000u

static unsigned env_workers(void)
{
    const char *s = getenv("FERRY_WORKERS");
    if (s == NULL || *s == '\0')
        return DEFAULT_WORKERS;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > 1024) {
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "FERRY_WORKERS=%s is not a number from 1 to 1024; using %u", s, DEFAULT_WORKERS);
        return DEFAULT_WORKERS;
    }
    return (unsigned)v;
}

/* FERRY_DRAIN_NOTICE_MS as a number of ms (0 when unset); a value that is
 * not a number up to a day is not used, and the log says so. */
static uint32_t env_drain_notice(void)
{
    const char *s = getenv("FERRY_DRAIN_NOTICE_MS");
    if (s == NULL || *s == '\0')
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || *s == '-' || v > 86400000ul) {
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "FERRY_DRAIN_NOTICE_MS=%s is not a number of ms from 0 to 86400000; no drain "
                   "notice",
                   s);
        return 0;
    }
    return (uint32_t)v;
}

/* Whether the environment variable `name` is "1". */
static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && strcmp(v, "1") == 0;
}

ferry_status ferryi_server_opts_resolve(ferry_server_opts *o)
{
    if (o->workers == 0)
        o->workers = env_workers();
    if (o->max_in_flight == 0)
        o->max_in_flight = o->workers * 4 < 16 ? 16 : o->workers * 4;
    if (o->max_message == 0)
        o->max_message = FERRY_DEFAULT_MAX_MESSAGE;
    if (o->send_timeout_ms == 0)
        o->send_timeout_ms = DEFAULT_SEND_TIMEOUT_MS;
    if (o->max_call_memory == 0)
        o->max_call_memory = 8 * o->max_message;
    if (o->max_in_flight_per_connection == 0)
        o->max_in_flight_per_connection = o->max_in_flight / 2 < 1 ? 1 : o->max_in_flight / 2;
    o->serve_roles_without_identity =
        o->serve_roles_without_identity || env_flag("FERRY_SERVE_ROLES_WITHOUT_IDENTITY");
    o->inline_handlers = o->inline_handlers || env_flag("FERRY_INLINE_HANDLERS");
    if (o->drain_notice_ms == 0)
        o->drain_notice_ms = env_drain_notice();

    if (o->workers > 1024)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_opts.workers is %u; at most 1024 are allowed",
                            o->workers);
    if (o->max_in_flight > 65536)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_opts.max_in_flight is %u; at most 65536 are allowed",
                            o->max_in_flight);
    if (o->max_in_flight_per_connection > 65536)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_opts.max_in_flight_per_connection is %u; at most 65536 "
                            "are allowed",
                            o->max_in_flight_per_connection);
    if (o->max_message > FERRY_MAX_MESSAGE_LIMIT || o->max_message < 256)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_opts.max_message is %zu bytes; it must be from 256 to "
                            "%u",
                            o->max_message, FERRY_MAX_MESSAGE_LIMIT);
    if (o->send_timeout_ms > INT32_MAX)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_opts.send_timeout_ms is %u; at most %d are allowed",
                            o->send_timeout_ms, INT32_MAX);
    if (o->max_call_memory < o->max_message)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_opts.max_call_memory (%zu bytes) is below max_message "
                            "(%zu bytes): no request could be decoded",
                            o->max_call_memory, o->max_message);
    return FERRY_OK;
}
