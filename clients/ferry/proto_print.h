/* proto_print.h - a service of a run-time schema (pbschema.h) written back
 * as a .proto file that protoc accepts: what `ferry describe` prints.
 *
 * The file declares the service's package and holds the service (all its
 * methods, or one) and every message and enum of the service's own file
 * the methods reach, whole (nested types, oneofs, maps, reserved numbers,
 * ferry's options); types of any other file, of the same package or not,
 * are imported from the file that declares them, by the name the schema
 * gives it (google/protobuf/timestamp.proto, ...), and
 * ferry/options.proto when a ferry option is printed. Saved, it compiles
 * with protoc given ferry's IDL directory (and the directories of any
 * other imported files) as import paths.
 *
 * The schema is untrusted (a server sends it): a name that is not a .proto
 * identifier is refused, so the output stays a .proto file.
 *
 * Thread safety: none; one thread uses it. */
#ifndef FERRY_CLI_PROTO_PRINT_H
#define FERRY_CLI_PROTO_PRINT_H

#include <stdio.h>

#include "pbschema.h"

/* Writes the .proto text of `svc` (of `s`) to `out`: every method, or only
 * `only` when not NULL. 0, or -1 with the reason in `err` (nothing useful
 * was written then). */
int cli_proto_print(FILE *out, const pb_schema *s, const pbs_svc *svc, const pbs_method *only,
                    char *err, size_t errlen);

#endif
