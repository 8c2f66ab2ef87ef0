/* pbdepth.c - the nesting of protobuf bytes, walked with a stack of our own
 * (pbdepth.h). */
#include "pbdepth.h"

/* A varint at *p, below `end`; 0 when it runs past `end` or over 10 bytes. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return 1;
        }
    }
    return 0;
}

/* Whether `d` has a field of message type: without one nothing nests. */
static int has_message_field(const ProtobufCMessageDescriptor *d)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
            return 1;
    return 0;
}

int ferry_pb_depth_ok(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len)
{
    if (d == NULL || data == NULL || !has_message_field(d))
        return 1;
    /* The messages being walked, outermost first: each one's type and
     * where its bytes end. */
    struct {
        const ProtobufCMessageDescriptor *d;
        const uint8_t *end;
    } open[FERRY_PB_DEPTH_MAX + 1];
    unsigned top = 0;
    open[0].d = d;
    open[0].end = data + len;
    const uint8_t *p = data;
    for (;;) {
        if (p >= open[top].end) {
            if (top == 0)
                return 1;
            top--;
            continue;
        }
        uint64_t key, n;
        if (!varint(&p, open[top].end, &key))
            return 1;
        switch (key & 7) {
        case 0: /* varint */
            if (!varint(&p, open[top].end, &n))
                return 1;
            break;
        case 1: /* 64-bit */
        case 5: /* 32-bit */ {
            size_t size = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(open[top].end - p) < size)
                return 1;
            p += size;
            break;
        }
        case 2: { /* length-delimited: a nested message, or bytes to skip */
            if (!varint(&p, open[top].end, &n) || n > (uint64_t)(open[top].end - p))
                return 1;
            const ProtobufCFieldDescriptor *f =
                key >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(open[top].d, (unsigned)(key >> 3))
                    : NULL;
            if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor != NULL &&
                has_message_field(f->descriptor)) {
                if (top == FERRY_PB_DEPTH_MAX)
                    return 0;
                top++;
                open[top].d = f->descriptor;
                open[top].end = p + n;
                continue; /* into it */
            }
            /* A message with no message field nests nothing below it. */
            p += n;
            break;
        }
        default: /* groups (3, 4) and wire types 6, 7: protobuf-c refuses them */
            return 1;
        }
    }
}
