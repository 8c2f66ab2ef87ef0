/* check_internal.h - what the checker's files share: creating and freeing a
 * schema, and recording the reasons its public functions fail with. */
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

/* The longest reason ferry_check_last_error() holds, with its NUL. */
#define FCK_ERROR_MAX 1024

/* Records `msg` as this thread's last error (ferry_check_last_error()) and
 * returns `status`. */
ferry_check_status fck_fail(ferry_check_status status, const char *msg);

/* Like fck_fail() but takes `msg`, malloc'd, and frees it; a NULL msg means
 * memory ran out, and the status becomes FERRY_CHECK_SYSTEM. */
ferry_check_status fck_fail_take(ferry_check_status status, char *msg);

/* Empties this thread's reason: at the start of every public function that
 * can fail, so that a success leaves none. */
void fck_error_clear(void);

/* A malloc'd formatted string, or NULL when out of memory. */
char *fck_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of `s` in the arena with bytes outside printable ASCII replaced by
 * '?', so that names from untrusted input cannot control a terminal. */
const char *fck_printable(fcg_arena *a, const char *s);

#endif /* FCK_CHECK_INTERNAL_H */
