/* ferry/validate.h - the validation rules of the IDL at run time: the
 * violations a refused request reports, running a method's validator, and
 * the helpers the generated validators call.
 *
 * A .proto declares rules on fields with (ferry.field) (docs/validation.md);
 * protoc-gen-ferry writes a validator per message type from them and puts
 * the one of each method's request type in its ferry_method. Servers and
 * local channels run it on every request before the handler; a request that
 * breaks a rule gets FERRY_INVALID_ARGUMENT, every violation in the message
 * ("items[2].qty: must be greater than 0; sku: must not be empty") and, for
 * a caller that asks (ferry_call_opts.violations), as a ferry_violations.
 *
 * Ownership: a ferry_violations is the caller's, in memory the caller
 * provides (usually the stack); ferry fills it and keeps no pointer to it.
 * Its strings are arrays inside it, so it may be copied and kept freely.
 *
 * Thread safety: every function here is safe to call from many threads at
 * once on different ferry_violations; a ferry_validation belongs to the one
 * validator run that made it.
 */
#ifndef FERRY_VALIDATE_H
#define FERRY_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ferry/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest field path of a violation, and the longest reason, terminating
 * NUL included; longer ones are cut, ending in "...". */
#define FERRY_VIOLATION_PATH_MAX   128
#define FERRY_VIOLATION_REASON_MAX 96
/* The most violations one list holds; `total` counts the rest. */
#define FERRY_VIOLATIONS_MAX 16
/* How deep a validator follows nested messages; a request nested deeper
 * breaks a rule of its own there ("is nested deeper than 32 messages"). */
#define FERRY_VALIDATE_MAX_DEPTH 32

/* One broken rule: where and why. */
typedef struct ferry_violation {
    /* The field, as a path from the request: "sku", "items[2].qty",
     * "attrs[\"colour\"]" (map keys quoted and escaped, or as numbers). */
    char path[FERRY_VIOLATION_PATH_MAX];
    /* What is wrong, as a phrase that follows the path: "must be greater
     * than 0", "must not be empty", "key must be at most 8 characters". */
    char reason[FERRY_VIOLATION_REASON_MAX];
} ferry_violation;

/* The violations of one request, in the order the validator found them
 * (fields in declaration order, depth first). Zero-initialise it or let a
 * call fill it; a call that passes validation leaves count and total 0. */
typedef struct ferry_violations {
    size_t count; /* entries of v[] filled, at most FERRY_VIOLATIONS_MAX */
    size_t total; /* violations found; more than count when some did not fit */
    ferry_violation v[FERRY_VIOLATIONS_MAX];
} ferry_violations;

/* One run of a validator; opaque. */
typedef struct ferry_validation ferry_validation;

/* A message type's validator, as protoc-gen-ferry writes it: checks `msg`
 * and records each violation in `v`. */
typedef void (*ferry_validate_fn)(ferry_validation *v, const ProtobufCMessage *msg);

struct ferry_method; /* ferry/service.h */

/* Runs the validator of method `m` on request `req` (whose descriptor must be
 * m->input). Returns FERRY_OK when it breaks no rule, or when the method's
 * request type has no rules; else FERRY_INVALID_ARGUMENT, with the
 * violations in *out when `out` is not NULL (else they are only counted).
 * FERRY_INVALID_ARGUMENT also for a NULL `m` or `req` (then out->total 0). */
FERRY_NODISCARD ferry_status ferry_validate(const struct ferry_method *m,
                                            const ProtobufCMessage *req, ferry_violations *out);

/* Writes `list` as one line into buf[0..size): "path: reason; path: reason"
 * and, when some did not fit the list, "; and N more". Always terminates a
 * non-empty buffer; returns the length the whole line needs, as snprintf. */
size_t ferry_violations_format(const ferry_violations *list, char *buf, size_t size);

/* ------------------------------------------------------------------------
 * For generated validators only: their building blocks. Not for
 * applications; they change with the generator (FERRY_ABI_VERSION).
 * ---------------------------------------------------------------------- */

/* Records a violation of `field` in the current message: plain, of its
 * entry `index`, or of its map entry with a string, signed or unsigned key. */
void ferry_v_fail(ferry_validation *v, const char *field, const char *reason);
void ferry_v_fail_index(ferry_validation *v, const char *field, size_t index, const char *reason);
void ferry_v_fail_key(ferry_validation *v, const char *field, const char *key, const char *reason);
void ferry_v_fail_ikey(ferry_validation *v, const char *field, int64_t key, const char *reason);
void ferry_v_fail_ukey(ferry_validation *v, const char *field, uint64_t key, const char *reason);

/* Enters the message in `field` (its entry `index`, its map value under a
 * key) so that the violations found in it carry its path. Returns nonzero
 * when the validator may go in, then ferry_v_leave() must follow; 0 when the
 * message lies deeper than FERRY_VALIDATE_MAX_DEPTH (a violation then says
 * so, and the validator must not go in). */
int ferry_v_enter(ferry_validation *v, const char *field);
int ferry_v_enter_index(ferry_validation *v, const char *field, size_t index);
int ferry_v_enter_key(ferry_validation *v, const char *field, const char *key);
int ferry_v_enter_ikey(ferry_validation *v, const char *field, int64_t key);
int ferry_v_enter_ukey(ferry_validation *v, const char *field, uint64_t key);
void ferry_v_leave(ferry_validation *v);

/* Tests of one value; NULL strings count as "". */
int ferry_v_empty(const char *s);
/* Whether s has fewer, or more, than n characters (UTF-8 code points). */
int ferry_v_chars_less(const char *s, size_t n);
int ferry_v_chars_more(const char *s, size_t n);
int ferry_v_is_uuid(const char *s);
int ferry_v_is_email(const char *s);
int ferry_v_is_hostname(const char *s);
int ferry_v_is_uri(const char *s);
int ferry_v_is_ip(const char *s, int family); /* family 0: either; 4 or 6: that one */
/* Whether `s` (or the bytes b) equals one of list[0..n). */
int ferry_v_str_in(const char *s, const char *const *list, size_t n);
int ferry_v_bytes_in(const ProtobufCBinaryData *b, const char *const *list, size_t n);

/* Records a violation of repeated `field` when two of its n entries are
 * equal: scalars of `size` bytes each compared by value, strings, bytes. */
void ferry_v_unique(ferry_validation *v, const char *field, const void *items, size_t n,
                    size_t size);
void ferry_v_unique_str(ferry_validation *v, const char *field, char *const *items, size_t n);
void ferry_v_unique_bytes(ferry_validation *v, const char *field, const ProtobufCBinaryData *items,
                          size_t n);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_VALIDATE_H */
