/* options.h - a server's options as ferry_server_new() uses them: the
 * defaults filled in, the environment read, and each value checked, with a
 * reason naming the option that is out of range. */
#ifndef FERRYI_SERVER_OPTIONS_H
#define FERRYI_SERVER_OPTIONS_H

#include "ferry/server.h"

/* Fills the zero members of `o` with their defaults (server.h), applies
 * FERRY_WORKERS, FERRY_INLINE_HANDLERS, FERRY_SERVE_ROLES_WITHOUT_IDENTITY
 * and FERRY_DRAIN_NOTICE_MS, and checks every value: FERRY_OK, or
 * FERRY_INVALID_ARGUMENT with the reason recorded (base/error.h). */
ferry_status ferryi_server_opts_resolve(ferry_server_opts *o);

#endif
