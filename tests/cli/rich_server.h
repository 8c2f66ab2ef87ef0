/* rich_server.h - what the tests of `ferry call`, `list` and `describe`
 * share: a server of the rich schema (rich/ferrytest/rich/v1/rich.proto)
 * on a temporary ipc:// address, the tool run against it, and JSON
 * compared by value. */
#ifndef FERRY_TEST_RICH_SERVER_H
#define FERRY_TEST_RICH_SERVER_H

#include <stddef.h>

#include "ferry/ferry.h"

typedef struct rich_server {
    char dir[128];
    char url[200];
    ferry_server *srv;
    char out[65536];
    char err[8192];
} rich_server;

/* Starts a server hosting ferrytest.rich.v1.Rich and the health service,
 * and the reflection service unless `reflection` is 0. Asserts success. */
rich_server *rich_start(int reflection);
/* rich_start(1) with identity switched on: the server's key and a
 * keyring trusting "tester" (role tester) and "other" (no role), whose key
 * files are tester.key, other.key and server.pub in rs->dir. */
rich_server *rich_start_identity(void);

/* The path of file `name` in rs->dir, in `path`. */
void rich_path(const rich_server *rs, const char *name, char *path, size_t len);

/* Stops it and removes its directory; accepts NULL. */
void rich_stop(rich_server *rs);

/* Runs `ferry CMD ARGS...` (NULL-terminated) with its stdin from the file
 * `in_path` (NULL: none given); its exit status, output in rs->out and
 * rs->err. */
int rich_run(rich_server *rs, const char *in_path, const char *cmd, ...);

/* Writes `text` to the file `name` in rs->dir; its path in `path`. */
void rich_write(rich_server *rs, const char *name, const char *text, char *path, size_t len);

/* Fails the test unless `actual` is JSON equal in value to `expected`
 * (key order aside), showing both. */
void assert_json_equal(const char *actual, const char *expected);

/* Where the rich schema's .proto files are (an -I directory), and the
 * schema file itself. */
#define RICH_PROTO RICH_PROTO_ROOT "/ferrytest/rich/v1/rich.proto"

#endif
