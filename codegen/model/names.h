/* names.h - C names from proto names: protoc-c's mangling of message types
 * (which ferry's code must match exactly) and ferry's own prefixes. */
#ifndef FCG_NAMES_H
#define FCG_NAMES_H

#include <stdbool.h>

#include "arena.h"
#include "model.h"

/* protoc-c's CamelToLower: a '_' before each upper-case letter that follows a
 * non-upper-case one, then everything lower case: "GetItem" -> "get_item",
 * "HTTPRequest" -> "httprequest", "get_Item" -> "get__item". */
char *fcg_camel_to_lower(fcg_arena *a, const char *s);

/* ASCII upper case of `s`. */
char *fcg_to_upper(fcg_arena *a, const char *s);

/* ASCII lower case of `s`: how protoc-c names a field's struct member
 * (before it appends '_' to the C++ keywords it knows). */
char *fcg_to_lower(fcg_arena *a, const char *s);

/* The C struct name and the lower-case stem protoc-c gives to the message
 * `full_name` ("pkg.Outer.Inner", no leading dot) of a file with proto
 * package `package` ("" for none). `c_package`, when not NULL, is the file's
 * (pb_c_file).c_package and replaces the package. For "inventory.v1.Item":
 * *c_name = "Inventory__V1__Item", *c_lower = "inventory__v1__item" (the
 * descriptor is c_lower + "__descriptor"). Returns false when out of memory. */
bool fcg_protoc_c_names(fcg_arena *a, const char *package, const char *c_package,
                        const char *full_name, char **c_name, char **c_lower);

/* ferry's prefix for the service `service` of package `package` ("" for
 * none): the package lower-cased with '.' -> '_', then '_', then the service
 * in lower_snake_case: ("inventory.v1", "Stock") -> "inventory_v1_stock".
 * Without a package it is the service alone: "stock". */
char *fcg_service_prefix(fcg_arena *a, const char *package, const char *service);

/* True when `s` is a proto identifier: [A-Za-z_][A-Za-z0-9_]*. */
bool fcg_is_identifier(const char *s);

/* True when `s` is "" or identifiers joined by single dots. */
bool fcg_is_package(const char *s);

/* True when the `len` bytes at `s` are a name a keyring gives a key or a
 * role: 1 to FERRY_NAME_MAX (64) characters of A-Z a-z 0-9 . _ -, the rule
 * of libferry's keyrings (ferry/identity.h) and of `ferry keygen`. */
bool fcg_is_key_name(const char *s, size_t len);

/* True when `s` cannot name a struct member in C or C++: a keyword of either
 * language, or a name the usual headers and compilers define as a macro. */
bool fcg_is_reserved(const char *s);

/* Why `s` cannot be the name of a member of a struct that protoc-c declares
 * and C and C++ compilers must both accept ("a keyword of C++", "a macro of
 * <errno.h>", ...), or NULL when it can. A function-like macro (assert,
 * offsetof) is harmless there: only a '(' after its name expands it. This is
 * the rule for method names, which protoc-c writes unchanged (in
 * lower_snake_case) into its service struct. */
const char *fcg_reserved_member(const char *s);

/* The same for the lower-cased name of a field, which protoc-c writes with a
 * '_' appended when it is a C++98 keyword and unchanged otherwise: why the
 * member protoc-c declares would not compile, or NULL ("switch" becomes
 * "switch_" and is fine; "restrict" and "requires" are not). */
const char *fcg_reserved_field(const char *lower);

/* True when protoc-c names the member of a field of this lower-cased name
 * with a '_' appended (its C++98 keywords: "switch" becomes "switch_"). */
bool fcg_protoc_c_renames(const char *lower);

/* The generated mock wrappers are macros, so that a failure names the test's
 * line: P_mock_expect_M(...) expands to P_mock_expect_M_at(..., __FILE__,
 * __LINE__), and P_mock_open(out) to P_mock_open_at(out, __FILE__, __LINE__).
 * The functions' names are the macros' with this suffix. */
#define FCG_AT_SUFFIX "_at"

/* Fills svc->c from its package and name, then m->c of each method:
 * prefix_desc, prefix_handlers, prefix_method_name, PREFIX_METHOD_NAME, ...
 * as listed in model.h. Returns false when out of memory. Whether the names
 * collide is checked by symbols.c. */
bool fcg_name_service(fcg_arena *a, fcg_service *svc, const char *package);

#endif /* FCG_NAMES_H */
