/* support.c - helpers the inventory service tests share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"

void support_ipc_make(support_ipc *ipc)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    int n = snprintf(ipc->dir, sizeof ipc->dir, "%s/ferry-inventory-test.XXXXXX", tmp);
    /* A Unix socket path holds at most 107 bytes; leave room for the name. */
    assert_true(n > 0 && (size_t)n < sizeof ipc->dir && n < 90);
    assert_non_null(mkdtemp(ipc->dir));
    snprintf(ipc->url, sizeof ipc->url, "ipc://%s/inventory.sock", ipc->dir);
}

void support_ipc_free(support_ipc *ipc)
{
    unlink(ipc->url + strlen("ipc://")); /* may be gone already */
    assert_int_equal(rmdir(ipc->dir), 0);
}

void support_assert_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_equal(a->descriptor, b->descriptor);
    size_t na = protobuf_c_message_get_packed_size(a);
    size_t nb = protobuf_c_message_get_packed_size(b);
    assert_int_equal(na, nb);
    uint8_t *ba = malloc(na + 1), *bb = malloc(nb + 1);
    assert_non_null(ba);
    assert_non_null(bb);
    protobuf_c_message_pack(a, ba);
    protobuf_c_message_pack(b, bb);
    assert_memory_equal(ba, bb, na);
    free(ba);
    free(bb);
}
