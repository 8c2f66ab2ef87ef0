/* fuzz_request_header.c - fuzz target for the request header read and
 * packed by hand (runtime/src/wire/request_header.c) against protobuf-c,
 * which it stands in for on every call.
 *
 * The input is a header's bytes. Properties, each an abort when broken:
 *  - what the hand reader accepts, protobuf-c accepts too, and reads the
 *    same: every field, each metadata entry byte for byte, the identity;
 *  - whatever protobuf-c accepts, ferryi_request_header_unpack() accepts;
 *  - a header protobuf-c read packs by hand to protobuf-c's bytes, and the
 *    hand reader takes those bytes back itself (ferry's peers send no
 *    other kind) unless they carry more metadata entries than a request may.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/envelope.h"
#include "wire/request_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_request_header: %s\n", what);
    abort();
}

static int same_bytes(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
    return a->len == b->len && (a->data == NULL) == (b->data == NULL) &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Both NULL, or both packing to the same bytes. */
static int same_identity(const Ferry__Wire__Identity *a, const Ferry__Wire__Identity *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    size_t na = protobuf_c_message_get_packed_size(&a->base);
    if (na != protobuf_c_message_get_packed_size(&b->base))
        return 0;
    uint8_t *pa = malloc(na + 1), *pb = malloc(na + 1);
    if (pa == NULL || pb == NULL)
        fail("out of memory");
    protobuf_c_message_pack(&a->base, pa);
    protobuf_c_message_pack(&b->base, pb);
    int same = memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

static void check_same(const Ferry__Wire__RequestHeader *a, const Ferry__Wire__RequestHeader *b)
{
    if (strcmp(a->method, b->method) != 0 || strcmp(a->client_name, b->client_name) != 0 ||
        strcmp(a->client_version, b->client_version) != 0)
        fail("a string field read differently");
    if (a->api_version != b->api_version || a->call_id != b->call_id ||
        a->deadline_ms != b->deadline_ms || a->method_id != b->method_id ||
        a->max_reply != b->max_reply)
        fail("a number read differently");
    if (a->n_metadata != b->n_metadata)
        fail("metadata entries counted differently");
    for (size_t i = 0; i < a->n_metadata; i++)
        if (strcmp(a->metadata[i]->key, b->metadata[i]->key) != 0 ||
            !same_bytes(&a->metadata[i]->value, &b->metadata[i]->value))
            fail("a metadata entry read differently");
    if (!same_identity(a->identity, b->identity))
        fail("the identity read differently");
    if (a->base.n_unknown_fields != 0)
        fail("the hand reader kept unknown fields");
}

/* Whether `h` is a header ferry's peers send: no unknown fields in it or
 * its metadata entries, no more entries than a request may carry. */
static int usual(const Ferry__Wire__RequestHeader *h)
{
    if (h->base.n_unknown_fields != 0 || h->n_metadata > FERRYI_METADATA_MAX)
        return 0;
    for (size_t i = 0; i < h->n_metadata; i++)
        if (h->metadata[i]->base.n_unknown_fields != 0)
            return 0;
    return 1;
}

/* Packs `h` by hand and by protobuf-c: the bytes must be the same. */
static void check_pack(const Ferry__Wire__RequestHeader *h)
{
    size_t n = protobuf_c_message_get_packed_size(&h->base);
    if (ferryi_request_header_size(h) != n)
        fail("packed sizes differ");
    uint8_t *mine = malloc(n + 1), *theirs = malloc(n + 1);
    if (mine == NULL || theirs == NULL)
        fail("out of memory");
    if (ferryi_request_header_pack(h, mine) != n || protobuf_c_message_pack(&h->base, theirs) != n)
        fail("packed lengths differ from the size");
    if (memcmp(mine, theirs, n) != 0)
        fail("packed bytes differ");
    if (usual(h)) {
        Ferry__Wire__RequestHeader *back = ferryi_request_header_unpack_fast(NULL, n, mine);
        if (back == NULL)
            fail("the hand reader left a header as protobuf-c packs it to protobuf-c");
        check_same(back, h);
        ferry__wire__request_header__free_unpacked(back, NULL);
    }
    free(mine);
    free(theirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Ferry__Wire__RequestHeader *fast = ferryi_request_header_unpack_fast(NULL, size, data);
    Ferry__Wire__RequestHeader *ref = ferry__wire__request_header__unpack(NULL, size, data);
    if (fast != NULL && ref == NULL)
        fail("the hand reader accepted what protobuf-c refuses");
    if (fast != NULL)
        check_same(fast, ref);
    Ferry__Wire__RequestHeader *any = ferryi_request_header_unpack(NULL, size, data);
    if ((any == NULL) != (ref == NULL))
        fail("ferryi_request_header_unpack() and protobuf-c disagree on accepting");
    if (ref != NULL)
        check_pack(ref);
    ferry__wire__request_header__free_unpacked(fast, NULL);
    ferry__wire__request_header__free_unpacked(ref, NULL);
    ferry__wire__request_header__free_unpacked(any, NULL);
    return 0;
}
