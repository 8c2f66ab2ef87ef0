/* test_run.c - the generator library end to end, on requests built from the
 * golden IDL's descriptor set: whole, hand-edited into hostile shapes,
 * truncated and corrupted. It must answer every one with generated files, a
 * clear error, or a refusal -- never a crash or a leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry_codegen.h"
#include "google/protobuf/compiler/plugin.pb-c.h"

typedef Google__Protobuf__Compiler__CodeGeneratorRequest request;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse response;

/* Memory of the unpacked descriptor set: freed all at once, so tests may
 * point its fields at string literals. */
typedef struct block {
    struct block *next;
    max_align_t data[];
} block;

static block *blocks;

static void *track_alloc(void *data, size_t size)
{
    (void)data;
    block *b = malloc(sizeof *b + size);
    assert_non_null(b);
    b->next = blocks;
    blocks = b;
    return b->data;
}

static void track_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

static ProtobufCAllocator tracked = {.alloc = track_alloc, .free = track_free};

static Google__Protobuf__FileDescriptorSet *set;
static char *to_generate[1];
static request req;

static int setup(void **state)
{
    (void)state;
    FILE *f = fopen(ECHO_DESCRIPTOR_SET, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof buf);
    set = google__protobuf__file_descriptor_set__unpack(&tracked, n, buf);
    assert_non_null(set);
    google__protobuf__compiler__code_generator_request__init(&req);
    to_generate[0] = "echo.proto";
    req.n_file_to_generate = 1;
    req.file_to_generate = to_generate;
    req.n_proto_file = set->n_file;
    req.proto_file = set->file;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    while (blocks != NULL) {
        block *next = blocks->next;
        free(blocks);
        blocks = next;
    }
    return 0;
}

static Google__Protobuf__FileDescriptorProto *file_named(const char *name)
{
    for (size_t i = 0; i < set->n_file; i++)
        if (strcmp(set->file[i]->name, name) == 0)
            return set->file[i];
    fail_msg("no %s in the descriptor set", name);
    return NULL;
}

static Google__Protobuf__MethodDescriptorProto *echo_method(size_t i)
{
    Google__Protobuf__FileDescriptorProto *f = file_named("echo.proto");
    assert_true(f->n_service == 1 && f->service[0]->n_method > i);
    return f->service[0]->method[i];
}

/* Packs `r`, runs the generator, unpacks its answer (NULL when refused). */
static response *run(const request *r, ferry_codegen_result *rc)
{
    size_t len = google__protobuf__compiler__code_generator_request__get_packed_size(r);
    uint8_t *bytes = malloc(len + 1);
    assert_non_null(bytes);
    google__protobuf__compiler__code_generator_request__pack(r, bytes);
    uint8_t *out = NULL;
    size_t out_len = 0;
    *rc = ferry_codegen_run(bytes, len, &out, &out_len);
    free(bytes);
    if (*rc != FERRY_CODEGEN_OK) {
        assert_null(out);
        return NULL;
    }
    response *resp =
        google__protobuf__compiler__code_generator_response__unpack(NULL, out_len, out);
    free(out);
    assert_non_null(resp);
    return resp;
}

static response *run_ok(const request *r)
{
    ferry_codegen_result rc;
    response *resp = run(r, &rc);
    assert_int_equal(rc, FERRY_CODEGEN_OK);
    return resp;
}

static void free_response(response *resp)
{
    google__protobuf__compiler__code_generator_response__free_unpacked(resp, NULL);
}

/* Runs `r` and checks that it fails with an error containing `want`. */
static void expect_error(const request *r, const char *want)
{
    response *resp = run_ok(r);
    if (resp->error == NULL || strstr(resp->error, want) == NULL)
        fail_msg("expected an error containing \"%s\", got \"%s\"", want,
                 resp->error != NULL ? resp->error : "(none)");
    assert_int_equal(resp->n_file, 0);
    free_response(resp);
}

/* Lexes generated C just enough to prove that IDL text stayed inside its
 * string literal or comment: every literal closes on its line, every comment
 * closes at the end of a line (as the generator writes them), and no "??"
 * (the start of a trigraph) appears anywhere. */
static void assert_lexically_sound(const char *text)
{
    enum { CODE, STRING, COMMENT } state = CODE;
#define NEAR(p) ((p)-text > 30 ? (p)-30 : text)
    assert_null(strstr(text, "??"));
    for (const char *p = text; *p; p++) {
        switch (state) {
        case CODE:
            if (p[0] == '/' && p[1] == '*') {
                state = COMMENT;
                p++;
            } else if (p[0] == '"') {
                state = STRING;
            }
            break;
        case STRING:
            if (p[0] == '\\' && p[1] != '\0' && p[1] != '\n')
                p++;
            else if (p[0] == '"')
                state = CODE;
            else if (p[0] == '\n')
                fail_msg("string literal not closed on its line: ...%.60s", NEAR(p));
            break;
        case COMMENT:
            if (p[0] == '*' && p[1] == '/') {
                if (p[2] != '\n')
                    fail_msg("comment closed mid-line: ...%.60s", NEAR(p));
                state = CODE;
                p++;
            }
            break;
        }
    }
    assert_int_equal(state, CODE);
#undef NEAR
}

static void test_generates_api_and_mock_files(void **state)
{
    (void)state;
    response *resp = run_ok(&req);
    assert_null(resp->error);
    assert_true(resp->has_supported_features);
    assert_int_equal(resp->n_file, 4);
    assert_string_equal(resp->file[0]->name, "echo.ferry.h");
    assert_string_equal(resp->file[1]->name, "echo.ferry.c");
    assert_string_equal(resp->file[2]->name, "echo.ferry-mock.h");
    assert_string_equal(resp->file[3]->name, "echo.ferry-mock.c");
    char banner[128];
    snprintf(banner, sizeof banner, "/* Generated by %s from echo.proto. DO NOT EDIT.",
             ferry_codegen_version());
    for (size_t i = 0; i < 4; i++) {
        assert_memory_equal(resp->file[i]->content, banner, strlen(banner));
        assert_lexically_sound(resp->file[i]->content);
    }
    assert_non_null(strstr(resp->file[0]->content, "#if FERRY_ABI_VERSION != 6\n#error"));
    free_response(resp);
}

static void test_output_is_deterministic(void **state)
{
    (void)state;
    response *a = run_ok(&req);
    response *b = run_ok(&req);
    assert_int_equal(a->n_file, b->n_file);
    for (size_t i = 0; i < a->n_file; i++)
        assert_string_equal(a->file[i]->content, b->file[i]->content);
    free_response(a);
    free_response(b);
}

static void test_parameters(void **state)
{
    (void)state;
    req.parameter = " , ";
    response *resp = run_ok(&req);
    assert_null(resp->error);
    free_response(resp);
    req.parameter = "mock";
    expect_error(&req, "unknown parameter \"mock\"");
}

static void test_file_without_services(void **state)
{
    (void)state;
    to_generate[0] = "ferry/options.proto";
    response *resp = run_ok(&req);
    assert_null(resp->error);
    assert_int_equal(resp->n_file, 0);
    free_response(resp);
}

static void test_file_not_in_request(void **state)
{
    (void)state;
    to_generate[0] = "missing.proto";
    expect_error(&req, "missing.proto: the request asks for this file but does not contain it");
}

static void test_invalid_names(void **state)
{
    (void)state;
    echo_method(1)->name = "Sh%sout";
    expect_error(&req, "echo.proto:50: service Echo: method #2 has an invalid name \"Sh%sout\"");
    echo_method(1)->name = "Shout";

    file_named("echo.proto")->package = "echo..v1";
    expect_error(&req, "echo.proto: the package name \"echo..v1\" is not valid");
    file_named("echo.proto")->package = "echo.v1";

    file_named("echo.proto")->name = "ec\"ho.proto";
    to_generate[0] = "ec\"ho.proto";
    expect_error(&req, "the file name cannot be used in a C #include");
}

static void test_unresolved_types(void **state)
{
    (void)state;
    echo_method(0)->input_type = NULL;
    expect_error(&req, "service Echo, method Say: the method has no input type");
    echo_method(0)->input_type = ".echo.v1.Nope";
    expect_error(&req, "input type .echo.v1.Nope is not a message of the request");
}

static void test_hostile_role_is_refused(void **state)
{
    (void)state;
    /* Shout has roles; make one as hostile as a string can be: no keyring
     * could give it, and the message shows it without its control bytes. */
    Google__Protobuf__MethodDescriptorProto *m = echo_method(1);
    ProtobufCMessageUnknownField *uf = &m->options->base.unknown_fields[0];
    static const char role[] = "x\"*/\n?\?/\\\x01";
    /* A MethodOptions with a single role: field 6, length, bytes. */
    static uint8_t data[64];
    size_t n = sizeof role - 1;
    data[0] = (uint8_t)(2 + n);
    data[1] = 6 << 3 | 2;
    data[2] = (uint8_t)n;
    memcpy(data + 3, role, n);
    uf->data = data;
    uf->len = 3 + n;
    expect_error(&req, "method Shout: (ferry.method).roles[0] \"x\"*/?\?\?/\\?\" is not a role a "
                       "keyring can give");
}

static void test_malformed_ferry_option(void **state)
{
    (void)state;
    ProtobufCMessageUnknownField *uf = &echo_method(0)->options->base.unknown_fields[0];
    assert_int_equal(uf->tag, 51000);
    static uint8_t junk[] = {3, 0xff, 0xff, 0xff};
    uf->data = junk;
    uf->len = sizeof junk;
    expect_error(&req, "method Say: option (ferry.method) is malformed: its bytes do not parse");

    static uint8_t varint[] = {5};
    uf->wire_type = PROTOBUF_C_WIRE_TYPE_VARINT;
    uf->data = varint;
    uf->len = sizeof varint;
    expect_error(&req, "option (ferry.method) is malformed: it is not encoded as a message");
}

/* The generator's answer to damaged bytes: a refusal, or a response. */
static void run_damaged(const uint8_t *bytes, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    ferry_codegen_result rc = ferry_codegen_run(bytes, len, &out, &out_len);
    assert_true(rc == FERRY_CODEGEN_OK || rc == FERRY_CODEGEN_BAD_REQUEST);
    /* A refusal says why; a run that succeeds leaves no reason. */
    if (rc == FERRY_CODEGEN_BAD_REQUEST)
        assert_non_null(strstr(ferry_codegen_last_error(), "is not a CodeGeneratorRequest"));
    else
        assert_string_equal(ferry_codegen_last_error(), "");
    if (rc == FERRY_CODEGEN_OK) {
        response *resp =
            google__protobuf__compiler__code_generator_response__unpack(NULL, out_len, out);
        assert_non_null(resp);
        for (size_t i = 0; i < resp->n_file; i++)
            assert_lexically_sound(resp->file[i]->content);
        free_response(resp);
    }
    free(out);
}

static uint8_t *packed(size_t *len)
{
    *len = google__protobuf__compiler__code_generator_request__get_packed_size(&req);
    uint8_t *bytes = malloc(*len);
    assert_non_null(bytes);
    google__protobuf__compiler__code_generator_request__pack(&req, bytes);
    return bytes;
}

static void test_truncated_requests(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = packed(&len);
    for (size_t n = 0; n < len; n += n < 512 ? 1 : 61)
        run_damaged(bytes, n);
    free(bytes);
}

static void test_corrupted_requests(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = packed(&len);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    uint32_t x = 2463534242u; /* xorshift32: the same damage on every run */
    for (int round = 0; round < 300; round++) {
        memcpy(copy, bytes, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            copy[x % len] ^= (uint8_t)(1u << (x >> 29));
        }
        run_damaged(copy, len);
    }
    free(copy);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generates_api_and_mock_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_is_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_without_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_not_in_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unresolved_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_role_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_ferry_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
