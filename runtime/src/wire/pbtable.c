/* pbtable.c - what the table walks (pbtable.h) do not inline: a header's
 * bytes searched for a NUL in a string field, and a header left to
 * protobuf-c. */
#include <string.h>

#include "wire/pbtable.h"

int ferryi_pb_strings_hold_nul(const ferryi_pb_table *t, const uint8_t *data, size_t len)
{
    ferryi_pb_reader r = {.at = data, .end = data + len};
    uint64_t tag;
    while (r.at < r.end && ferryi_pb_varint(&r, &tag)) {
        uint64_t field = tag >> 3;
        int kind = field >= 1 && field <= t->n_fields ? t->fields[field - 1].kind : FERRYI_PB_NONE;
        const uint8_t *span;
        size_t n;
        uint64_t skip;
        switch (tag & 7) {
        case 0:
            if (!ferryi_pb_varint(&r, &skip))
                return 0;
            break;
        case 1:
        case 5:
            n = (tag & 7) == 1 ? 8 : 4;
            if ((size_t)(r.end - r.at) < n)
                return 0;
            r.at += n;
            break;
        case 2:
            if (!ferryi_pb_span(&r, &span, &n))
                return 0;
            if (kind == FERRYI_PB_STRING && memchr(span, 0, n) != NULL)
                return 1;
            if (kind == FERRYI_PB_ENTRIES && ferryi_pb_strings_hold_nul(t->entries, span, n))
                return 1;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

void *ferryi_pb_header_left(const ferryi_pb_table *t, ProtobufCAllocator *alloc, size_t len,
                            const uint8_t *data, int *holds_nul)
{
    if (holds_nul != NULL && (*holds_nul = ferryi_pb_strings_hold_nul(t, data, len)) != 0)
        return NULL;
    return protobuf_c_message_unpack(t->init->descriptor, alloc, len, data);
}
