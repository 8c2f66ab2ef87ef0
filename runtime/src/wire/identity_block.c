/* identity_block.c - the identity block packed and read by hand
 * (identity_block.h says why, and what it promises). */
#include <stdlib.h>
#include <string.h>

#include "wire/identity_block.h"

/* The block's fields (idl/ferry/wire.proto) and their tags. */
enum {
    TAG_KEY_ID = FERRYI_PB_TAG(1, 2),
    TAG_TIMESTAMP_MS = FERRYI_PB_TAG(2, 0),
    TAG_NONCE = FERRYI_PB_TAG(3, 2),
    TAG_SCHEME = FERRYI_PB_TAG(4, 0),
    TAG_PROOF = FERRYI_PB_TAG(5, 2),
    TAG_REPLY_MAC = FERRYI_PB_TAG(6, 0),
    TAG_REPLY_NONCE = FERRYI_PB_TAG(7, 2),
    TAG_ACCEPT_MAC2 = FERRYI_PB_TAG(8, 0),
    TAG_COVERS_STATE = FERRYI_PB_TAG(9, 0),
};

/* ---- packing ------------------------------------------------------------ */

/* An enum is an int32 on the wire, and protobuf-c writes a negative one as
 * its 64-bit two's complement: ten bytes. */
static uint64_t enum_value(int32_t v)
{
    return (uint64_t)(int64_t)v;
}

/* The fields' bytes, without the block's own tag and length. */
static size_t fields_size(const Ferry__Wire__Identity *id)
{
    /* protobuf-c writes a true bool as the one byte 1 */
    return ferryi_pb_bytes_size(&id->key_id) + ferryi_pb_number_size(id->timestamp_ms) +
           ferryi_pb_bytes_size(&id->nonce) +
           ferryi_pb_number_size(enum_value((int32_t)id->scheme)) +
           ferryi_pb_bytes_size(&id->proof) + (id->reply_mac ? 2 : 0) +
           ferryi_pb_bytes_size(&id->reply_nonce) + (id->accept_mac2 ? 2 : 0) +
           (id->covers_state ? 2 : 0);
}

size_t ferryi_identity_block_size(const Ferry__Wire__Identity *id)
{
    if (id == NULL)
        return 0;
    if (id->base.n_unknown_fields != 0)
        return ferryi_pb_message_size(&id->base);
    size_t n = fields_size(id);
    return 1 + ferryi_pb_varint_size(n) + n;
}

uint8_t *ferryi_identity_block_put(uint8_t *p, uint8_t tag, const Ferry__Wire__Identity *id)
{
    if (id == NULL)
        return p;
    /* Blocks ferry builds have no unknown fields; protobuf-c keeps them. */
    if (id->base.n_unknown_fields != 0)
        return ferryi_pb_put_message(p, tag, &id->base);
    *p++ = tag;
    p = ferryi_pb_put_varint(p, fields_size(id));
    p = ferryi_pb_put_bytes(p, TAG_KEY_ID, &id->key_id);
    p = ferryi_pb_put_number(p, TAG_TIMESTAMP_MS, id->timestamp_ms);
    p = ferryi_pb_put_bytes(p, TAG_NONCE, &id->nonce);
    p = ferryi_pb_put_number(p, TAG_SCHEME, enum_value((int32_t)id->scheme));
    p = ferryi_pb_put_bytes(p, TAG_PROOF, &id->proof);
    p = ferryi_pb_put_number(p, TAG_REPLY_MAC, id->reply_mac ? 1 : 0);
    p = ferryi_pb_put_bytes(p, TAG_REPLY_NONCE, &id->reply_nonce);
    p = ferryi_pb_put_number(p, TAG_ACCEPT_MAC2, id->accept_mac2 ? 1 : 0);
    return ferryi_pb_put_number(p, TAG_COVERS_STATE, id->covers_state ? 1 : 0);
}

/* ---- reading ------------------------------------------------------------ */

/* One of the block's fields into `into` (the block); 0 for anything that
 * is not as ferry's peers send it. */
static int get_field(ferryi_pb_reader *r, uint8_t tag, void *into)
{
    Ferry__Wire__Identity *id = into;
    uint32_t v;
    switch (tag) {
    case TAG_KEY_ID:
        return ferryi_pb_bytes(r, &id->key_id);
    case TAG_TIMESTAMP_MS:
        return ferryi_pb_varint(r, &id->timestamp_ms);
    case TAG_NONCE:
        return ferryi_pb_bytes(r, &id->nonce);
    case TAG_SCHEME:
        /* an int32: the varint's low 32 bits, as protobuf-c reads one */
        if (!ferryi_pb_u32(r, &v))
            return 0;
        id->scheme = (Ferry__Wire__ProofScheme)(int32_t)v;
        return 1;
    case TAG_PROOF:
        return ferryi_pb_bytes(r, &id->proof);
    case TAG_REPLY_MAC:
        return ferryi_pb_bool(r, &id->reply_mac);
    case TAG_REPLY_NONCE:
        return ferryi_pb_bytes(r, &id->reply_nonce);
    case TAG_ACCEPT_MAC2:
        return ferryi_pb_bool(r, &id->accept_mac2);
    case TAG_COVERS_STATE:
        return ferryi_pb_bool(r, &id->covers_state);
    default: /* a known field with another wire type */
        return 0;
    }
}

Ferry__Wire__Identity *ferryi_identity_block_get(ferryi_pb_reader *outer)
{
    static const Ferry__Wire__Identity init = FERRY__WIRE__IDENTITY__INIT;
    ferryi_pb_reader r;
    Ferry__Wire__Identity *id = ferryi_pb_sub(outer, &r, &init, sizeof init);
    if (id == NULL)
        return NULL;
    if (!ferryi_pb_fields(&r, 9, 0, get_field, id)) {
        ferry__wire__identity__free_unpacked(id, r.alloc);
        return NULL;
    }
    return id;
}
