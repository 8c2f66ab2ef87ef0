/* schema_src.h - where `ferry describe` and `ferry call` get a schema
 * (pbschema.h): from the server's reflection service, or from local .proto
 * files compiled by protoc (--proto FILE, -I DIR).
 *
 * Ownership: the caller owns the schema it passes in (pbs_init()/
 * pbs_fini()). */
#ifndef FERRY_CLI_SCHEMA_SRC_H
#define FERRY_CLI_SCHEMA_SRC_H

#include "cli.h"
#include "conn.h"
#include "pbschema.h"

/* Asks the server on `ch` for the files of `service` and adds them to `s`,
 * then indexes it. 0, or -1 after a message on stderr ("ferry CMD: ...");
 * *info is the reflection call's (its status FERRY_OK when the call
 * succeeded, even if its answer was then refused). */
int cli_schema_reflect(const cli_conn *c, ferry_channel *ch, const char *service, pb_schema *s,
                       ferry_call_info *info);

/* Compiles `protos` with protoc (import paths: `imp`, else each file's
 * directory; then ferry's IDL and protobuf's include directory) and adds
 * every file and import to `s`, then indexes it. 0, or -1 after a message
 * on stderr. */
int cli_schema_protos(const char *cmd, const char *const *protos, size_t n, const cli_imports *imp,
                      pb_schema *s);

/* Splits "pkg.Svc/Method" (or "pkg.Svc.Method") at its last '/' (else
 * '.') into a malloc'd service name and a pointer to the method name
 * within `arg`. 0, or -1 after a message. */
int cli_split_method(const char *cmd, const char *arg, char **service, const char **method);

#endif
