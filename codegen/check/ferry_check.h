/* ferry_check.h - ferry's schema checker as a library. It loads two versions
 * of a schema -- from .proto files through protoc, from a serialized
 * google.protobuf.FileDescriptorSet, or from a lock file that
 * ferry_schema_write_lock() wrote -- compares them, and classifies every
 * difference as safe or as breaking for peers that still run the old
 * version. The `ferry check` and `ferry lock` commands are thin wrappers
 * around it; docs/versioning.md describes every rule.
 *
 * Errors follow ferry's convention (ferry/status.h) with the checker's own
 * status: a function that returns anything but FERRY_CHECK_OK has recorded
 * a one-line reason, naming the file (and line) and what is wrong, which
 * ferry_check_last_error() gives on the same thread; a function that
 * succeeds empties it.
 *
 * Ownership: every function that returns an object or a string through a
 * pointer gives it to the caller, who frees it with the matching _free()
 * function or free(); the _free() functions accept NULL.
 *
 * Thread safety: functions share no state; distinct objects may be used
 * from different threads at once, and a schema may be compared from several
 * threads at once.
 */
#ifndef FERRY_CHECK_H
#define FERRY_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ferry_check_status {
    FERRY_CHECK_OK = 0,
    FERRY_CHECK_BAD_INPUT = 1, /* the schema or lock file is not valid; the reason says where */
    FERRY_CHECK_SYSTEM = 2,    /* a file could not be read or written, protoc could not be
                                  run, or memory ran out */
} ferry_check_status;

/* A loaded schema: its files, messages, enums and services with ferry's
 * options and the file and line of each element. Immutable once loaded. */
typedef struct ferry_schema ferry_schema;

/* The reason of the last failure of a function of this library on this
 * thread, one line; "" when the last one called succeeded, or none was
 * called. Never NULL; valid until the next call of one of them on this
 * thread. */
const char *ferry_check_last_error(void);

/* How ferry_schema_load_protos() runs protoc. */
typedef struct ferry_protoc_opts {
    const char *protoc;             /* the protoc program; NULL: "protoc" on PATH */
    const char *const *import_dirs; /* more -I directories, searched after the root */
    size_t n_import_dirs;
} ferry_protoc_opts;

/* Loads the schema at `path`: a directory (every .proto file below it,
 * named relative to it; hidden directories are skipped) or one .proto file
 * (named relative to its directory). It runs protoc with the root and then
 * `opts->import_dirs` as import paths, --include_imports and
 * --include_source_info. protoc's own messages go to this process's
 * stderr; then the reason says that protoc failed. The files of the
 * packages `google.protobuf` and `ferry` are the toolchain's and are not
 * part of the schema. On success *out holds the schema, else *out is NULL
 * and ferry_check_last_error() says why. */
ferry_check_status ferry_schema_load_protos(const char *path, const ferry_protoc_opts *opts,
                                            ferry_schema **out);

/* Loads a schema from the `len` bytes of a serialized FileDescriptorSet
 * (ideally with source info: without it every line is 0). */
ferry_check_status ferry_schema_from_descriptor_set(const uint8_t *data, size_t len,
                                                    ferry_schema **out);

/* Reads a lock file from its `len` bytes of text; `name` names it in error
 * messages ("api.lock:12: ..."). The text is untrusted: anything that is
 * not a lock file of a version this library reads is refused with a
 * message, never a crash. */
ferry_check_status ferry_schema_read_lock(const char *text, size_t len, const char *name,
                                          ferry_schema **out);

/* ferry_schema_read_lock() on the file at `path` (at most 64 MiB). */
ferry_check_status ferry_schema_load_lock(const char *path, ferry_schema **out);

/* The lock file text of `s` (malloc'd, NUL-terminated; *len gets its
 * length when `len` is not NULL), or NULL when memory runs out. The text is
 * deterministic: the same schema always gives the same bytes. */
char *ferry_schema_write_lock(const ferry_schema *s, size_t *len);

void ferry_schema_free(ferry_schema *s);

/* ---- comparing ----------------------------------------------------------- */

typedef enum ferry_check_class {
    FERRY_CHECK_SAFE = 0,     /* old and new peers keep working, in the deploy order given */
    FERRY_CHECK_BREAKING = 1, /* some old peer breaks whatever the deploy order */
    FERRY_CHECK_WARNING = 2,  /* old and new peers keep working, but the change deserves a
                                 look: versioning advice, or what changes outside the binary
                                 encoding (JSON); `ferry check` fails on it only with --strict */
} ferry_check_class;

/* One difference between two schemas. The strings belong to the report. */
typedef struct ferry_check_finding {
    ferry_check_class cls;
    const char *rule;    /* "FIELD_DELETED"; docs/versioning.md lists them */
    const char *file;    /* the .proto as protoc names it: in the new schema, or in the
                            old one for what was deleted */
    int line;            /* 1-based; 0 when unknown */
    const char *element; /* "field inventory.v1.Item.price = 4" */
    const char *message; /* for a breaking change, why it breaks old peers; for a safe
                            one, what changed and the deploy order it needs */
} ferry_check_finding;

typedef struct ferry_check_report ferry_check_report;

/* Compares `old_schema` with `new_schema`. *out receives the findings,
 * breaking ones first, then warnings, then safe ones, each by file, line,
 * rule and element. Fails only
 * when memory runs out. */
ferry_check_status ferry_check_compare(const ferry_schema *old_schema,
                                       const ferry_schema *new_schema, ferry_check_report **out);

size_t ferry_check_report_count(const ferry_check_report *r);
size_t ferry_check_report_breaking(const ferry_check_report *r);
size_t ferry_check_report_warnings(const ferry_check_report *r);
/* The i-th finding, i < ferry_check_report_count(r). */
const ferry_check_finding *ferry_check_report_get(const ferry_check_report *r, size_t i);

/* Writes `f` as one line, its class first ("breaking", "warning", "safe"):
 *   breaking FIELD_DELETED shop.proto:12: field shop.v1.Item.price = 4: <message>
 * Returns 0, or -1 when writing fails. */
int ferry_check_finding_print(const ferry_check_finding *f, FILE *out);

void ferry_check_report_free(ferry_check_report *r);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_CHECK_H */
