/* protoc-gen-ferry - the protoc plugin that writes ferry's C service code.
 *
 * protoc runs it with a CodeGeneratorRequest on stdin and reads a
 * CodeGeneratorResponse from stdout:
 *   protoc --plugin=protoc-gen-ferry=PATH --c_out=DIR --ferry_out=DIR x.proto
 * Problems in the IDL travel back to protoc in the response (protoc prints
 * them and fails); exit status 1 means the input was not a request at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry_codegen.h"

/* Stops reading at this size: no real request comes near it. */
#define MAX_REQUEST (512u * 1024u * 1024u)

/* Reads all of `f` into a malloc'd buffer; returns NULL on failure with a
 * message in `why`. */
static uint8_t *read_all(FILE *f, size_t *len, const char **why)
{
    size_t cap = 64 * 1024, n = 0;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        *why = "out of memory";
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_REQUEST) {
                *why = "the input is larger than 512 MiB";
                free(buf);
                return NULL;
            }
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                *why = "out of memory";
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                *why = "cannot read stdin";
                free(buf);
                return NULL;
            }
            break;
        }
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--version") == 0) {
            printf("%s\n", ferry_codegen_version());
            return 0;
        }
        fprintf(stderr,
                "%s: a protoc plugin; run it through protoc:\n"
                "  protoc --plugin=protoc-gen-ferry=%s --ferry_out=DIR file.proto\n",
                argv[0], argv[0]);
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }

    const char *why = NULL;
    size_t len = 0;
    uint8_t *in = read_all(stdin, &len, &why);
    if (in == NULL) {
        fprintf(stderr, "protoc-gen-ferry: %s\n", why);
        return 1;
    }
    if (len == 0) {
        free(in);
        fprintf(stderr, "protoc-gen-ferry: stdin is empty; protoc-gen-ferry is a protoc plugin: "
                        "run it as protoc --ferry_out=DIR file.proto\n");
        return 1;
    }

    uint8_t *out = NULL;
    size_t out_len = 0;
    ferry_codegen_result rc = ferry_codegen_run(in, len, &out, &out_len);
    free(in);
    if (rc != FERRY_CODEGEN_OK) {
        fprintf(stderr, "protoc-gen-ferry: %s\n", ferry_codegen_last_error());
        return 1;
    }
    int ok = fwrite(out, 1, out_len, stdout) == out_len && fflush(stdout) == 0;
    free(out);
    if (!ok) {
        fprintf(stderr, "protoc-gen-ferry: cannot write the response to stdout\n");
        return 1;
    }
    return 0;
}
