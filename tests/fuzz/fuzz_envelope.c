/* fuzz_envelope.c - fuzz target for everything that reads untrusted frame
 * bytes: the frame prefix, the request and reply headers, and a method body.
 *
 * Each input is read as a request frame and as a reply frame, and must agree
 * with a second reading:
 *   - ferryi_frame_split() accepts exactly the frames a plain reading of the
 *     prefix (magic, version, kind, big-endian length within the frame and
 *     the header limit) accepts, and its parts cover the frame;
 *   - ferryi_request_header_decode() accepts exactly the headers protobuf-c
 *     unpacks whose method has 1 to FERRYI_METHOD_MAX bytes and a '/', with at
 *     most FERRYI_METADATA_MAX metadata entries, and whose method, client
 *     name and version and metadata keys hold no NUL byte (read here from
 *     the header's bytes, field by field); decoded into a call's arena
 *     (as the server does) and with malloc, it gives the same message;
 *   - a header and body that were read write a frame (ferryi_frame_write_raw)
 *     that splits and decodes to the same header and the same body bytes, of
 *     the size ferryi_frame_size() names;
 *   - a body the probe's EchoRequest reads packs to bytes that read back the
 *     same.
 *   - a reply header protobuf-c reads holds a NUL in a string field (which
 *     a client refuses) exactly when a reading field by field finds one.
 * Any disagreement aborts, for the fuzzer to report.
 *
 * Built two ways: with clang -fsanitize=fuzzer (FERRY_FUZZ=ON) as a libFuzzer
 * target, and otherwise with replay_main.c as a replay program that runs the
 * target over files given on the command line, which ctest does with the
 * seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "wire/envelope.h"
#include "wire/headers.h"
#include "ferrytest/v1/probe.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_envelope: %s\n", what);
    abort();
}

/* One varint at *p (before end), as protobuf's wire format writes it; 0
 * when there is none. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; *p < end && shift < 70; shift += 7) {
        uint8_t b = *(*p)++;
        if (shift < 64)
            *v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            return 1;
    }
    return 0;
}

/* The string fields of a header, and of its one repeated message field's
 * entries, as field numbers. */
typedef struct strings {
    unsigned top[3], n_top; /* string fields of the header */
    unsigned entry_field;   /* the field of the entries */
    unsigned inner[2], n_inner;
} strings;

/* A request's: method (1), client name (3) and version (4), a metadata
 * entry's (7) key (1); a reply's: message (3), a violation's (9) path (1)
 * and reason (2). */
static const strings request_strings = {{1, 3, 4}, 3, 7, {1}, 1};
static const strings reply_strings = {{3}, 1, 9, {1, 2}, 2};

static int one_of(const unsigned *v, unsigned n, unsigned field)
{
    for (unsigned i = 0; i < n; i++)
        if (v[i] == field)
            return 1;
    return 0;
}

/* Whether the header in p[0..n) holds a NUL in a string field `k` names
 * (inside an entry when `in_entry`). Stops at anything that is not well
 * formed. */
static int string_holds_nul(const uint8_t *p, size_t n, const strings *k, int in_entry)
{
    const uint8_t *end = p + n;
    uint64_t tag, len;
    while (p < end && varint(&p, end, &tag)) {
        unsigned field = (unsigned)(tag >> 3);
        switch (tag & 7) {
        case 0:
            if (!varint(&p, end, &len))
                return 0;
            break;
        case 1:
        case 5: {
            size_t skip = (tag & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < skip)
                return 0;
            p += skip;
            break;
        }
        case 2:
            if (!varint(&p, end, &len) || len > (uint64_t)(end - p))
                return 0;
            if (in_entry ? one_of(k->inner, k->n_inner, field) : one_of(k->top, k->n_top, field)) {
                for (uint64_t i = 0; i < len; i++)
                    if (p[i] == 0)
                        return 1;
            } else if (!in_entry && field == k->entry_field &&
                       string_holds_nul(p, (size_t)len, k, 1)) {
                return 1;
            }
            p += len;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

/* The prefix read by hand: whether the bytes are a frame of `kind`. */
static int prefix_ok(const uint8_t *data, size_t size, unsigned kind)
{
    if (size < 8 || data[0] != 'F' || data[1] != 'Y' || data[2] != 1 || data[3] != kind)
        return 0;
    uint64_t hlen =
        ((uint64_t)data[4] << 24) | ((uint64_t)data[5] << 16) | ((uint64_t)data[6] << 8) | data[7];
    return hlen <= size - 8 && hlen <= FERRYI_HEADER_MAX;
}

/* `msg` packed into fresh memory (the caller frees it); its length in *len. */
static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf == NULL)
        fail("out of memory");
    if (protobuf_c_message_pack(msg, buf) != *len)
        fail("a message packs to a size other than its packed size");
    return buf;
}

/* Whether two messages pack to the same bytes. */
static int same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t la, lb;
    uint8_t *pa = pack(a, &la), *pb = pack(b, &lb);
    int same = la == lb && memcmp(pa, pb, la) == 0;
    free(pa);
    free(pb);
    return same;
}

/* Drops the unknown fields numbered 0 from `m` and the messages in it.
 * protobuf-c 1.4 reads such a field when its tag is written in more than one
 * byte (0x80 0x00), keeps it, and packs it again as the one byte 0x00, which
 * it then refuses: its own quirk, not ferry's, and ferry never packs a header
 * it read. Without them a header read and written back must read the same. */
static void drop_field_zero(ProtobufCMessage *m)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->n_unknown_fields; i++) {
        if (m->unknown_fields[i].tag == 0)
            free(m->unknown_fields[i].data);
        else
            m->unknown_fields[kept++] = m->unknown_fields[i];
    }
    m->n_unknown_fields = kept;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        void *at = (char *)m + fd->offset;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *)((char *)m + fd->quantifier_offset);
            for (size_t i = 0; i < n; i++)
                drop_field_zero((*(ProtobufCMessage ***)at)[i]);
        } else if (*(ProtobufCMessage **)at != NULL) {
            drop_field_zero(*(ProtobufCMessage **)at);
        }
    }
}

/* Writes header `hdr` and the body `f` carried into a frame of `kind` (in
 * *frame, which the caller frees), splits it again into `again` and checks
 * that the body came through unchanged. Returns *frame, or NULL when the
 * header packed again is over the limit (the frame is then not written). */
static uint8_t *rewrite(unsigned kind, const ProtobufCMessage *hdr, const ferryi_frame *f,
                        ferryi_frame *again, uint8_t **frame)
{
    size_t size = ferryi_frame_size(hdr, NULL, NULL) + f->body_len;
    if (size - FERRYI_FRAME_PREFIX - f->body_len > FERRYI_HEADER_MAX)
        return NULL; /* packed again, the header outgrew the limit: not comparable */
    *frame = malloc(size);
    if (*frame == NULL)
        fail("out of memory");
    ferryi_frame_write_raw(*frame, kind, hdr, f->body, f->body_len);
    char why[FERRY_MESSAGE_MAX];
    if (ferryi_frame_split(*frame, size, kind, again, why, sizeof why) != FERRY_OK)
        fail("a frame written from a read header and body does not split");
    if (again->body_len != f->body_len || memcmp(again->body, f->body, f->body_len) != 0)
        fail("a written frame does not carry the body it was given");
    return *frame;
}

static void check_request(const uint8_t *data, size_t size)
{
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX] = "";
    int ok = ferryi_frame_split(data, size, FERRYI_KIND_REQUEST, &f, why, sizeof why) == FERRY_OK;
    if (ok != prefix_ok(data, size, FERRYI_KIND_REQUEST))
        fail("the request frame split disagrees with a reading of the prefix");
    if (!ok) {
        if (why[0] == '\0')
            fail("a refused request frame has no reason");
        return;
    }
    if (f.header != data + 8 || f.body != f.header + f.header_len ||
        8 + f.header_len + f.body_len != size)
        fail("the parts of a request frame do not cover it");

    /* The second reading: protobuf-c and the header rules. */
    Ferry__Wire__RequestHeader *plain =
        ferry__wire__request_header__unpack(NULL, f.header_len, f.header);
    int want = plain != NULL && plain->method[0] != '\0' &&
               strlen(plain->method) <= FERRYI_METHOD_MAX && strchr(plain->method, '/') != NULL &&
               plain->n_metadata <= FERRYI_METADATA_MAX &&
               !string_holds_nul(f.header, f.header_len, &request_strings, 0);

    /* Decoded as the server does: into a call's arena. */
    ferryi_arena arena;
    ferryi_arena_init(&arena);
    Ferry__Wire__RequestHeader *h = NULL;
    why[0] = '\0';
    int got = ferryi_request_header_decode(&f, &arena.pb, &h, why, sizeof why) == FERRY_OK;
    if (got != want)
        fail(got ? "a request header that breaks the rules was accepted"
                 : "a request header protobuf-c reads within the rules was refused");
    if (!got && why[0] == '\0')
        fail("a refused request header has no reason");
    if (got) {
        if (!same_message(&h->base, &plain->base))
            fail("a request header decodes differently into an arena and with malloc");
        ferryi_frame again;
        uint8_t *frame = NULL;
        drop_field_zero(&plain->base);
        if (rewrite(FERRYI_KIND_REQUEST, &plain->base, &f, &again, &frame) != NULL) {
            Ferry__Wire__RequestHeader *h2 = NULL;
            if (ferryi_request_header_decode(&again, NULL, &h2, why, sizeof why) != FERRY_OK)
                fail("a request header written back is refused");
            if (!same_message(&plain->base, &h2->base))
                fail("a request header written back reads differently");
            ferry__wire__request_header__free_unpacked(h2, NULL);
            free(frame);
        }

        /* The body, as the probe's Echo method reads it. */
        ProtobufCMessage *body = protobuf_c_message_unpack(&ferrytest__v1__echo_request__descriptor,
                                                           NULL, f.body_len, f.body);
        if (body != NULL) {
            drop_field_zero(body);
            size_t len;
            uint8_t *packed = pack(body, &len);
            ProtobufCMessage *body2 = protobuf_c_message_unpack(
                &ferrytest__v1__echo_request__descriptor, NULL, len, packed);
            if (body2 == NULL || !same_message(body, body2))
                fail("a request body packed again reads differently");
            protobuf_c_message_free_unpacked(body2, NULL);
            protobuf_c_message_free_unpacked(body, NULL);
            free(packed);
        }
    }
    ferryi_arena_fini(&arena);
    ferry__wire__request_header__free_unpacked(plain, NULL);
}

static void check_reply(const uint8_t *data, size_t size)
{
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    int ok = ferryi_frame_split(data, size, FERRYI_KIND_REPLY, &f, why, sizeof why) == FERRY_OK;
    if (ok != prefix_ok(data, size, FERRYI_KIND_REPLY))
        fail("the reply frame split disagrees with a reading of the prefix");
    if (!ok)
        return;
    if (8 + f.header_len + f.body_len != size)
        fail("the parts of a reply frame do not cover it");
    /* The client reads reply headers with protobuf-c alone. */
    Ferry__Wire__ReplyHeader *h = ferry__wire__reply_header__unpack(NULL, f.header_len, f.header);
    if (h == NULL)
        return;
    /* ...and refuses one with a NUL in a string field (client/client.c). */
    if (ferryi_reply_header_holds_nul(f.header, f.header_len) !=
        string_holds_nul(f.header, f.header_len, &reply_strings, 0))
        fail("a NUL in a reply header's string field read differently");
    ferryi_frame again;
    uint8_t *frame = NULL;
    drop_field_zero(&h->base);
    if (rewrite(FERRYI_KIND_REPLY, &h->base, &f, &again, &frame) != NULL) {
        Ferry__Wire__ReplyHeader *h2 =
            ferry__wire__reply_header__unpack(NULL, again.header_len, again.header);
        if (h2 == NULL || !same_message(&h->base, &h2->base))
            fail("a reply header written back reads differently");
        ferry__wire__reply_header__free_unpacked(h2, NULL);
        free(frame);
    }
    ferry__wire__reply_header__free_unpacked(h, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_request(data, size);
    check_reply(data, size);
    return 0;
}
