/* test_idempotency_level.c - the generator's reading of protobuf's own
 * MethodOptions.idempotency_level into ferry's idempotent and read_only, on
 * method descriptors built in memory (ferry's own option beside it is
 * covered by the golden IDL and codegen_reject_idempotency_contradiction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "options.h"

typedef Google__Protobuf__MethodOptions__IdempotencyLevel level;

/* Reads the options of a method whose MethodOptions say `lvl` (or have no
 * level, when `has_level` is 0); asserts they are accepted. */
static fcg_method_opts read_level(int has_level, level lvl)
{
    fcg_arena arena;
    fcg_diag diag;
    fcg_arena_init(&arena);
    fcg_diag_init(&diag);
    Google__Protobuf__FileDescriptorProto file = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    file.name = "levels.proto";
    Google__Protobuf__MethodOptions po = GOOGLE__PROTOBUF__METHOD_OPTIONS__INIT;
    po.has_idempotency_level = has_level != 0;
    po.idempotency_level = lvl;
    Google__Protobuf__MethodDescriptorProto md = GOOGLE__PROTOBUF__METHOD_DESCRIPTOR_PROTO__INIT;
    md.name = "Put";
    md.options = &po;
    const fcg_loc loc = {.file = &file, .where = {.file = "levels.proto", .method = "Put"}};
    fcg_method_opts out;
    assert_int_equal(fcg_method_options(&arena, &md, 1, &loc, &diag, &out), 0);
    assert_string_equal(fcg_diag_text(&diag), "");
    fcg_diag_fini(&diag);
    fcg_arena_fini(&arena);
    out.roles = NULL; /* they lived in the arena */
    return out;
}

/* IDEMPOTENT makes a method idempotent (retried), not read-only. */
static void test_idempotent(void **state)
{
    (void)state;
    fcg_method_opts o =
        read_level(1, GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENT);
    assert_true(o.idempotent);
    assert_false(o.read_only);
}

/* NO_SIDE_EFFECTS makes a method idempotent and read-only. */
static void test_no_side_effects(void **state)
{
    (void)state;
    fcg_method_opts o =
        read_level(1, GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__NO_SIDE_EFFECTS);
    assert_true(o.idempotent);
    assert_true(o.read_only);
}

/* IDEMPOTENCY_UNKNOWN set explicitly is neither. */
static void test_unknown(void **state)
{
    (void)state;
    fcg_method_opts o =
        read_level(1, GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENCY_UNKNOWN);
    assert_false(o.idempotent);
    assert_false(o.read_only);
}

/* A level value present in the options but unset (has_ 0) is not read. */
static void test_level_not_set(void **state)
{
    (void)state;
    fcg_method_opts o =
        read_level(0, GOOGLE__PROTOBUF__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__NO_SIDE_EFFECTS);
    assert_false(o.idempotent);
    assert_false(o.read_only);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_no_side_effects),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_level_not_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
