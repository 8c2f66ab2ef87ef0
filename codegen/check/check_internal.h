/* check_internal.h - what the checker's files share: creating and freeing a
 * schema, and building the messages its public functions return. */
#ifndef FCK_CHECK_INTERNAL_H
#define FCK_CHECK_INTERNAL_H

#include "ferry_check.h"
#include "schema.h"

/* The lock file's "format" and the version of it this library writes and
 * reads. */
#define FCK_LOCK_FORMAT  "ferry-lock"
#define FCK_LOCK_VERSION 1

/* A new empty schema with its arena, or NULL when out of memory. */
fck_schema *fck_schema_new(void);

/* Sets *why (when `why` is not NULL) to a malloc'd copy of `msg` and
 * returns `status`. */
ferry_check_status fck_fail(char **why, ferry_check_status status, const char *msg);

/* Like fck_fail() but hands over `msg`, already malloc'd; a NULL msg means
 * memory ran out, and the status becomes FERRY_CHECK_SYSTEM. */
ferry_check_status fck_fail_take(char **why, ferry_check_status status, char *msg);

/* A malloc'd formatted string, or NULL when out of memory. */
char *fck_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of `s` in the arena with bytes outside printable ASCII replaced by
 * '?', so that names from untrusted input cannot control a terminal. */
const char *fck_printable(fcg_arena *a, const char *s);

#endif /* FCK_CHECK_INTERNAL_H */
