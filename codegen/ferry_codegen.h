/* ferry_codegen.h - protoc-gen-ferry as a library: turns a serialized
 * CodeGeneratorRequest into a serialized CodeGeneratorResponse holding
 * <stem>.ferry.h and <stem>.ferry.c for every requested .proto that has
 * services. protoc-gen-ferry's main() is a thin wrapper around it; tests
 * and other tools can call it directly.
 *
 * Thread safety: calls share no state and may run in parallel.
 */
#ifndef FERRY_CODEGEN_H
#define FERRY_CODEGEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ferry_codegen_result {
    FERRY_CODEGEN_OK = 0,          /* a response was produced (it may report IDL errors) */
    FERRY_CODEGEN_BAD_REQUEST = 1, /* the input is not a CodeGeneratorRequest */
    FERRY_CODEGEN_NO_MEMORY = 2,   /* memory ran out */
} ferry_codegen_result;

/* Runs the generator on the `in_len` bytes at `in`.
 *
 * On FERRY_CODEGEN_OK, *out (malloc'd, freed by the caller with free()) and
 * *out_len hold the serialized CodeGeneratorResponse to give protoc. Errors
 * in the IDL -- unsupported constructs, bad ferry options, colliding names,
 * unknown parameters -- are reported in the response's `error` field, one
 * per line, as "file.proto:LINE: service S, method M: what is wrong"; the
 * response then holds no files.
 *
 * On any other result *out is NULL and ferry_codegen_last_error() says why,
 * as ferry's runtime does (ferry/status.h). */
ferry_codegen_result ferry_codegen_run(const uint8_t *in, size_t in_len, uint8_t **out,
                                       size_t *out_len);

/* Why the last ferry_codegen_run() on this thread failed, one line; "" when
 * it succeeded or none ran. Never NULL; valid until the next run on this
 * thread. */
const char *ferry_codegen_last_error(void);

/* "protoc-gen-ferry 0.2.0": the name and version written into every
 * generated file. Static storage. */
const char *ferry_codegen_version(void);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_CODEGEN_H */
