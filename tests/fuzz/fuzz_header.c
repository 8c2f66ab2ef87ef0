/* fuzz_header.c - fuzz target for the frame headers read and
 * packed by hand (runtime/src/wire/headers.c, and the identity block
 * inside either, identity_block.c) against protobuf-c, which they stand in for
 * on every call.
 *
 * The input's first byte picks the header (even: a request's, odd: a
 * reply's); the rest is its bytes. Properties, each an abort when broken:
 *  - what the hand reader accepts, protobuf-c accepts too, and reads the
 *    same (both pack to the same bytes again), with no unknown fields;
 *  - whatever protobuf-c accepts, the reader with its fallback accepts;
 *  - a header protobuf-c read packs by hand to protobuf-c's bytes, and the
 *    hand reader takes those bytes back itself (ferry's peers send no
 *    other kind) unless they hold unknown fields or more repeated entries
 *    than a peer sends.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/envelope.h"
#include "wire/headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One header kind: its protobuf-c descriptor, the hand codec, and whether
 * a header of it is one ferry's peers send. */
typedef struct kind {
    const ProtobufCMessageDescriptor *desc;
    ProtobufCMessage *(*unpack_fast)(const uint8_t *data, size_t len);
    ProtobufCMessage *(*unpack)(const uint8_t *data, size_t len);
    size_t (*size)(const ProtobufCMessage *m);
    size_t (*pack)(const ProtobufCMessage *m, uint8_t *out);
    int (*usual)(const ProtobufCMessage *m);
} kind;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_header: %s\n", what);
    abort();
}

/* An identity block as ferry's peers send it, or none. */
static int identity_usual(const Ferry__Wire__Identity *id)
{
    return id == NULL || id->base.n_unknown_fields == 0;
}

static ProtobufCMessage *req_fast(const uint8_t *d, size_t n)
{
    return (ProtobufCMessage *)ferryi_request_header_unpack_fast(NULL, n, d);
}
static ProtobufCMessage *req_any(const uint8_t *d, size_t n)
{
    return (ProtobufCMessage *)ferryi_request_header_unpack(NULL, n, d);
}
static size_t req_size(const ProtobufCMessage *m)
{
    return ferryi_request_header_size((const Ferry__Wire__RequestHeader *)m);
}
static size_t req_pack(const ProtobufCMessage *m, uint8_t *out)
{
    return ferryi_request_header_pack((const Ferry__Wire__RequestHeader *)m, out);
}
static int req_usual(const ProtobufCMessage *m)
{
    const Ferry__Wire__RequestHeader *h = (const Ferry__Wire__RequestHeader *)m;
    if (h->base.n_unknown_fields != 0 || h->n_metadata > FERRYI_METADATA_MAX ||
        !identity_usual(h->identity))
        return 0;
    for (size_t i = 0; i < h->n_metadata; i++)
        if (h->metadata[i]->base.n_unknown_fields != 0)
            return 0;
    return 1;
}

static ProtobufCMessage *rep_fast(const uint8_t *d, size_t n)
{
    return (ProtobufCMessage *)ferryi_reply_header_unpack_fast(NULL, n, d);
}
static ProtobufCMessage *rep_any(const uint8_t *d, size_t n)
{
    return (ProtobufCMessage *)ferryi_reply_header_unpack(NULL, n, d);
}
static size_t rep_size(const ProtobufCMessage *m)
{
    return ferryi_reply_header_size((const Ferry__Wire__ReplyHeader *)m);
}
static size_t rep_pack(const ProtobufCMessage *m, uint8_t *out)
{
    return ferryi_reply_header_pack((const Ferry__Wire__ReplyHeader *)m, out);
}
static int rep_usual(const ProtobufCMessage *m)
{
    const Ferry__Wire__ReplyHeader *h = (const Ferry__Wire__ReplyHeader *)m;
    if (h->base.n_unknown_fields != 0 || h->n_violations > 64 || !identity_usual(h->identity))
        return 0;
    for (size_t i = 0; i < h->n_violations; i++)
        if (h->violations[i]->base.n_unknown_fields != 0)
            return 0;
    return 1;
}

static const kind kinds[2] = {
    {&ferry__wire__request_header__descriptor, req_fast, req_any, req_size, req_pack, req_usual},
    {&ferry__wire__reply_header__descriptor, rep_fast, rep_any, rep_size, rep_pack, rep_usual},
};

/* `m` packed by protobuf-c, in a block the caller frees. */
static uint8_t *pack_ref(const ProtobufCMessage *m, size_t *n)
{
    *n = protobuf_c_message_get_packed_size(m);
    uint8_t *out = malloc(*n + 1);
    if (out == NULL)
        fail("out of memory");
    if (protobuf_c_message_pack(m, out) != *n)
        fail("protobuf-c packed other than its size");
    return out;
}

/* Whether protobuf-c packs `a` and `b` to the same bytes. */
static int same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t na, nb;
    uint8_t *pa = pack_ref(a, &na), *pb = pack_ref(b, &nb);
    int eq = na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return eq;
}

/* Packs `m` by hand: protobuf-c's bytes; and reads them back by hand. */
static void check_pack(const kind *k, const ProtobufCMessage *m)
{
    size_t n;
    uint8_t *ref = pack_ref(m, &n);
    uint8_t *mine = malloc(n + 1);
    if (mine == NULL)
        fail("out of memory");
    if (k->size(m) != n || k->pack(m, mine) != n)
        fail("packed sizes differ");
    if (memcmp(mine, ref, n) != 0)
        fail("packed bytes differ");
    if (k->usual(m)) {
        ProtobufCMessage *back = k->unpack_fast(mine, n);
        if (back == NULL)
            fail("the hand reader left a header as protobuf-c packs it to protobuf-c");
        if (!same(back, m))
            fail("a header read back differs");
        protobuf_c_message_free_unpacked(back, NULL);
    }
    free(mine);
    free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const kind *k = &kinds[data[0] & 1];
    data++, size--;
    ProtobufCMessage *fast = k->unpack_fast(data, size);
    ProtobufCMessage *ref = protobuf_c_message_unpack(k->desc, NULL, size, data);
    if (fast != NULL && ref == NULL)
        fail("the hand reader accepted what protobuf-c refuses");
    if (fast != NULL && (!same(fast, ref) || fast->n_unknown_fields != 0))
        fail("the hand reader read a header differently");
    ProtobufCMessage *any = k->unpack(data, size);
    if ((any == NULL) != (ref == NULL))
        fail("the reader with its fallback and protobuf-c disagree on accepting");
    if (ref != NULL)
        check_pack(k, ref);
    protobuf_c_message_free_unpacked(fast, NULL);
    protobuf_c_message_free_unpacked(ref, NULL);
    protobuf_c_message_free_unpacked(any, NULL);
    return 0;
}
