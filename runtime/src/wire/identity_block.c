/* identity_block.c - the identity block packed and read by hand
 * (identity_block.h says why, and what it promises), from a table of its
 * fields (idl/ferry/wire.proto). */
#include "wire/identity_block.h"
#include "wire/pbtable.h"

/* FIELD() lists a field of the message type MESSAGE names. */
#define FIELD(number, kind, member) FERRYI_PB_FIELD(MESSAGE, number, FERRYI_PB_##kind, member)

#define MESSAGE Ferry__Wire__Identity

static const ferryi_pb_field fields[] = {
    FIELD(1, BYTES, key_id),      FIELD(2, U64, timestamp_ms), FIELD(3, BYTES, nonce),
    FIELD(4, ENUM, scheme),       FIELD(5, BYTES, proof),      FIELD(6, BOOL, reply_mac),
    FIELD(7, BYTES, reply_nonce), FIELD(8, BOOL, accept_mac2), FIELD(9, BOOL, covers_state),
};

static const ferryi_pb_table table =
    FERRYI_PB_TABLE(fields, MESSAGE, FERRY__WIRE__IDENTITY__INIT, NULL);

size_t ferryi_identity_block_size(const Ferry__Wire__Identity *id)
{
    return ferryi_pb_block_size(&table, (const ProtobufCMessage *)id);
}

uint8_t *ferryi_identity_block_put(uint8_t *p, uint8_t tag, const Ferry__Wire__Identity *id)
{
    return ferryi_pb_block_put(p, tag, &table, (const ProtobufCMessage *)id);
}

Ferry__Wire__Identity *ferryi_identity_block_get(ferryi_pb_reader *r)
{
    return (Ferry__Wire__Identity *)ferryi_pb_block_get(r, &table);
}
