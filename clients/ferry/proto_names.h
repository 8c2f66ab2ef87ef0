/* proto_names.h - names and string literals as a .proto file writes them,
 * for proto_print.c: identifiers checked, type names that protoc resolves
 * to the type meant, the option name of ferry's extensions, strings that
 * keep every byte.
 *
 * protoc resolves a relative name by looking up its first part in the
 * innermost scope, then each enclosing one; the first symbol found wins,
 * even when the rest of the name is not in it. These functions write a
 * name relative only when no scope nearer than the one meant holds its
 * first part (taking every type, service and package of the schema as a
 * possible capture, which is more than protoc sees but never less), else
 * fully qualified with a leading dot.
 *
 * Thread safety: none needed; they keep no state. */
#ifndef FERRY_CLI_PROTO_NAMES_H
#define FERRY_CLI_PROTO_NAMES_H

#include <stddef.h>
#include <stdio.h>

#include "pbschema.h"

/* Whether `s` is a .proto identifier: a letter or '_', then letters,
 * digits and '_'. A server's name that is not one would break (or forge)
 * syntax. */
int proto_is_ident(const char *s);
/* Whether `s` is identifiers joined by dots (a package). */
int proto_is_dotted(const char *s);

/* How a field or method in `scope` (the message's full name, or the
 * service's for a method: its methods are then in scope too, `svc`) of a
 * file in package `pkg` ("" for none) names type `t`: relative to the
 * package where that resolves to `t`, else ".full.name". Names over 400
 * characters are the caller's to refuse before. */
void proto_type_ref(const pb_schema *s, const char *pkg, const char *scope, const pbs_svc *svc,
                    const pbs_type *t, char *buf, size_t len);

/* "ferry", or ".ferry" when a symbol named ferry in `scope` or an
 * enclosing one (a type q.ferry, a package a.ferry.b) would capture the
 * option name "(ferry.field)" of an option given in `scope`. */
const char *proto_ferry_name(const pb_schema *s, const char *scope);

/* `s` as a quoted string literal that protoc (and protobuf's text format)
 * reads back to the same bytes: '"' and '\' escaped, control characters
 * as \ooo octal escapes, and so every byte past ASCII when `s` is not
 * valid UTF-8 (valid UTF-8 stays as it is, readable). */
void proto_put_string(FILE *out, const char *s);

#endif
