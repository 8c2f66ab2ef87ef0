/* support.h - helpers the inventory service tests share: a temp ipc://
 * address, and comparing two messages by their encoding. */
#ifndef INVENTORY_TEST_SUPPORT_H
#define INVENTORY_TEST_SUPPORT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* A fresh directory under $TMPDIR (else /tmp) and an ipc:// URL inside it,
 * unique to this process. support_ipc_free() removes both. */
typedef struct support_ipc {
    char dir[200];
    char url[240];
} support_ipc;

void support_ipc_make(support_ipc *ipc);
void support_ipc_free(support_ipc *ipc);

/* Fails the test unless `a` and `b` encode to the same bytes. */
void support_assert_same(const ProtobufCMessage *a, const ProtobufCMessage *b);

#endif
