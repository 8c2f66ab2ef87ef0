/* test_pbdepth.c - the nesting check that runs before protobuf-c reads
 * untrusted bytes (idl/pbdepth/pbdepth.h), on google.protobuf.DescriptorProto,
 * whose nested_type holds DescriptorProtos: the shape of a hostile schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pbdepth.h>

#include "google/protobuf/descriptor.pb-c.h"

/* A DescriptorProto with `levels` DescriptorProtos nested below it through
 * nested_type (field 3); *len its size. */
static uint8_t *nested(size_t levels, size_t *len)
{
    size_t cap = levels * 6 + 16, n = 0;
    uint8_t *buf = malloc(cap), *tmp = malloc(cap);
    assert_non_null(buf);
    assert_non_null(tmp);
    for (size_t i = 0; i < levels; i++) {
        size_t o = 0;
        tmp[o++] = 0x1a; /* nested_type */
        uint64_t v = n;
        do {
            tmp[o] = (uint8_t)(v & 0x7f);
            v >>= 7;
            tmp[o] |= v != 0 ? 0x80 : 0;
            o++;
        } while (v != 0);
        memcpy(tmp + o, buf, n);
        n += o;
        uint8_t *t = buf;
        buf = tmp;
        tmp = t;
    }
    free(tmp);
    *len = n;
    return buf;
}

static const ProtobufCMessageDescriptor *const msg =
    &google__protobuf__descriptor_proto__descriptor;

/* FERRY_PB_DEPTH_MAX levels below the top are read; one more is not. */
static void test_limit_edge(void **state)
{
    (void)state;
    size_t len;
    uint8_t *ok = nested(FERRY_PB_DEPTH_MAX, &len);
    assert_true(ferry_pb_depth_ok(msg, ok, len));
    ProtobufCMessage *m = protobuf_c_message_unpack(msg, NULL, len, ok);
    assert_non_null(m);
    protobuf_c_message_free_unpacked(m, NULL);
    free(ok);
    uint8_t *deep = nested(FERRY_PB_DEPTH_MAX + 1, &len);
    assert_false(ferry_pb_depth_ok(msg, deep, len));
    free(deep);
}

/* Deep enough to overflow protobuf-c's recursion (tens of thousands of
 * levels): refused, without any recursion of its own. */
static void test_very_deep(void **state)
{
    (void)state;
    size_t len;
    uint8_t *deep = nested(200000, &len);
    assert_false(ferry_pb_depth_ok(msg, deep, len));
    free(deep);
}

/* Malformed bytes are left to protobuf-c, which refuses them; a message
 * next to another at the same level is not deeper. */
static void test_malformed_and_siblings(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = nested(50, &len);
    assert_true(ferry_pb_depth_ok(msg, b, len - 1)); /* cut short */
    assert_null(protobuf_c_message_unpack(msg, NULL, len - 1, b));
    uint8_t bad_len[] = {0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_true(ferry_pb_depth_ok(msg, bad_len, sizeof bad_len));
    uint8_t group[] = {0x1b}; /* field 3 as a group */
    assert_true(ferry_pb_depth_ok(msg, group, sizeof group));
    free(b);
    /* 150 empty nested_types side by side: one level each. */
    uint8_t flat[300];
    for (size_t i = 0; i < 150; i++) {
        flat[2 * i] = 0x1a;
        flat[2 * i + 1] = 0;
    }
    assert_true(ferry_pb_depth_ok(msg, flat, sizeof flat));
    assert_true(ferry_pb_depth_ok(msg, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_edge),
        cmocka_unit_test(test_very_deep),
        cmocka_unit_test(test_malformed_and_siblings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
