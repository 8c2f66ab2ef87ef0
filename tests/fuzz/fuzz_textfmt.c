/* fuzz_textfmt.c - fuzz target for protoc-gen-ferry's text-format encoder,
 * which reads (ferry.method).fallback_default texts from the IDL. Each input
 * is parsed as two message types of tests/codegen/textfmt (textfmt.test.All,
 * proto3, and textfmt.legacy.Legacy, proto2). It must be refused with a
 * position inside the text, or encoded into bytes protobuf-c decodes as
 * that type -- never crash, hang or leak.
 *
 * Built like fuzz_envelope: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) ctest runs over the seed corpus and the
 * encoder's samples. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "all.pb-c.h"
#include "legacy.pb-c.h"
#include "textfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Google__Protobuf__FileDescriptorSet *set;
static fcg_arena schema_arena;
static fcg_textfmt_schema *schema;

/* Frees the schema at exit, so that a leak checker sees only real leaks. */
static void free_schema(void)
{
    fcg_arena_fini(&schema_arena);
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
}

/* The schema, loaded on first use and kept for the process's life. */
static void load_schema(void)
{
    FILE *f = fopen(TEXTFMT_DESCSET, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz_textfmt: cannot open %s\n", TEXTFMT_DESCSET);
        abort();
    }
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    set = google__protobuf__file_descriptor_set__unpack(NULL, n, buf);
    fcg_arena_init(&schema_arena);
    schema = set != NULL ? fcg_textfmt_schema_new(&schema_arena, set->file, set->n_file) : NULL;
    if (schema == NULL) {
        fprintf(stderr, "fuzz_textfmt: %s is not a usable descriptor set\n", TEXTFMT_DESCSET);
        abort();
    }
    atexit(free_schema);
}

static void try_type(const char *type, const ProtobufCMessageDescriptor *desc, const char *text,
                     size_t size)
{
    fcg_arena a;
    fcg_arena_init(&a);
    const uint8_t *out;
    size_t len;
    fcg_textfmt_error err;
    if (fcg_textfmt_encode(&a, schema, type, text, size, &out, &len, &err) == 0) {
        ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, len, out);
        if (msg == NULL) {
            fprintf(stderr, "fuzz_textfmt: accepted text encodes to bytes %s rejects\n", type);
            abort();
        }
        protobuf_c_message_free_unpacked(msg, NULL);
    } else if (err.line == 0 || err.column == 0 || err.what[0] == '\0') {
        fprintf(stderr, "fuzz_textfmt: refused without a position: %s\n", err.what);
        abort();
    }
    fcg_arena_fini(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (schema == NULL)
        load_schema();
    const char *text = (const char *)data;
    try_type(".textfmt.test.All", &textfmt__test__all__descriptor, text, size);
    try_type(".textfmt.legacy.Legacy", &textfmt__legacy__legacy__descriptor, text, size);
    return 0;
}
