/* fuzz_codegen.c - fuzz target for protoc-gen-ferry as a library
 * (ferry_codegen_run()): a CodeGeneratorRequest in, with the descriptors of
 * the IDL and ferry's options in their unknown fields, a response out.
 *
 * The run must agree with a second decoder, protobuf-c's unpack of the same
 * bytes as a CodeGeneratorRequest: it refuses, with a reason, exactly the
 * inputs that are not one. Otherwise its response unpacks as a
 * CodeGeneratorResponse that holds an error or files, not both; each file is
 * named after a requested .proto (.ferry.h, .ferry.c, .ferry-mock.h,
 * .ferry-mock.c) and has content; and a second run on the same bytes gives
 * the same response byte for byte (the output is deterministic).
 * Any disagreement aborts, for the fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry_codegen.h"
#include "google/protobuf/compiler/plugin.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_codegen: %s\n", what);
    abort();
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Whether `name` is one of the files the generator writes for a .proto the
 * request names. */
static int named_for_request(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                             const char *name)
{
    static const char *const kinds[] = {".ferry.h", ".ferry.c", ".ferry-mock.h", ".ferry-mock.c"};
    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        const char *proto = req->file_to_generate[i];
        size_t stem = strlen(proto);
        if (ends_with(proto, ".proto"))
            stem -= strlen(".proto");
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strncmp(name, proto, stem) == 0 && strcmp(name + stem, kinds[k]) == 0)
                return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Google__Protobuf__Compiler__CodeGeneratorRequest *req =
        google__protobuf__compiler__code_generator_request__unpack(NULL, size, data);
    uint8_t *out = NULL;
    size_t out_len = 0;
    ferry_codegen_result rc = ferry_codegen_run(data, size, &out, &out_len);
    if (rc == FERRY_CODEGEN_NO_MEMORY)
        fail("memory ran out");
    if ((rc == FERRY_CODEGEN_BAD_REQUEST) != (req == NULL))
        fail(req == NULL ? "bytes protobuf-c refuses as a request were taken for one"
                         : "a request protobuf-c reads was refused");
    if (rc != FERRY_CODEGEN_OK) {
        if (out != NULL || ferry_codegen_last_error()[0] == '\0')
            fail("a refused request left a response or gave no reason");
        return 0;
    }

    Google__Protobuf__Compiler__CodeGeneratorResponse *resp =
        google__protobuf__compiler__code_generator_response__unpack(NULL, out_len, out);
    if (resp == NULL)
        fail("the response does not unpack");
    int has_error = resp->error != NULL && resp->error[0] != '\0';
    if (has_error && resp->n_file > 0)
        fail("a response holds both an error and files");
    for (size_t i = 0; i < resp->n_file; i++) {
        const Google__Protobuf__Compiler__CodeGeneratorResponse__File *f = resp->file[i];
        if (f->name == NULL || !named_for_request(req, f->name))
            fail("a generated file is not named after a requested .proto");
        if (f->content == NULL)
            fail("a generated file has no content");
    }

    uint8_t *again = NULL;
    size_t again_len = 0;
    if (ferry_codegen_run(data, size, &again, &again_len) != FERRY_CODEGEN_OK ||
        again_len != out_len || memcmp(again, out, out_len) != 0)
        fail("a second run on the same request gives another response");
    free(again);
    google__protobuf__compiler__code_generator_response__free_unpacked(resp, NULL);
    google__protobuf__compiler__code_generator_request__free_unpacked(req, NULL);
    free(out);
    return 0;
}
