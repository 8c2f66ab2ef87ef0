/* envelope.c - splitting, sizing and writing ferry wire frames. */
#include <stdio.h>
#include <string.h>

#include "wire/envelope.h"
#include "wire/headers.h"

ferry_status ferryi_frame_split(const uint8_t *buf, size_t len, unsigned want_kind,
                                ferryi_frame *out, char *why, size_t why_len)
{
    if (len < FERRYI_FRAME_PREFIX) {
        snprintf(why, why_len, "frame of %zu bytes is shorter than the %d-byte prefix", len,
                 FERRYI_FRAME_PREFIX);
        return FERRY_PROTOCOL_ERROR;
    }
    if (buf[0] != 'F' || buf[1] != 'Y') {
        snprintf(why, why_len, "bad magic 0x%02x%02x (want \"FY\"): not a ferry frame", buf[0],
                 buf[1]);
        return FERRY_PROTOCOL_ERROR;
    }
    if (buf[2] != FERRYI_WIRE_VERSION) {
        snprintf(why, why_len, "wire version %u is not supported (this peer speaks %d)", buf[2],
                 FERRYI_WIRE_VERSION);
        return FERRY_PROTOCOL_ERROR;
    }
    if (buf[3] != want_kind) {
        snprintf(why, why_len, "frame kind %u where a %s (kind %u) was expected", buf[3],
                 want_kind == FERRYI_KIND_REQUEST ? "request" : "reply", want_kind);
        return FERRY_PROTOCOL_ERROR;
    }
    uint32_t hlen =
        (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | (uint32_t)buf[7];
    if (hlen > len - FERRYI_FRAME_PREFIX) {
        snprintf(why, why_len, "header length %u runs past the end of a %zu-byte frame", hlen, len);
        return FERRY_PROTOCOL_ERROR;
    }
    if (hlen > FERRYI_HEADER_MAX) {
        snprintf(why, why_len, "header length %u exceeds the limit of %d bytes", hlen,
                 FERRYI_HEADER_MAX);
        return FERRY_PROTOCOL_ERROR;
    }
    out->kind = buf[3];
    out->header = buf + FERRYI_FRAME_PREFIX;
    out->header_len = hlen;
    out->body = out->header + hlen;
    out->body_len = len - FERRYI_FRAME_PREFIX - hlen;
    return FERRY_OK;
}

/* The two frame headers are packed by hand (headers.h says why),
 * any other message by protobuf-c; the bytes are the same. */
static size_t header_size(const ProtobufCMessage *hdr)
{
    if (hdr->descriptor == &ferry__wire__request_header__descriptor)
        return ferryi_request_header_size((const Ferry__Wire__RequestHeader *)hdr);
    if (hdr->descriptor == &ferry__wire__reply_header__descriptor)
        return ferryi_reply_header_size((const Ferry__Wire__ReplyHeader *)hdr);
    return protobuf_c_message_get_packed_size(hdr);
}

static size_t header_pack(const ProtobufCMessage *hdr, uint8_t *out)
{
    if (hdr->descriptor == &ferry__wire__request_header__descriptor)
        return ferryi_request_header_pack((const Ferry__Wire__RequestHeader *)hdr, out);
    if (hdr->descriptor == &ferry__wire__reply_header__descriptor)
        return ferryi_reply_header_pack((const Ferry__Wire__ReplyHeader *)hdr, out);
    return protobuf_c_message_pack(hdr, out);
}

size_t ferryi_frame_size(const ProtobufCMessage *hdr, const ProtobufCMessage *body,
                         size_t *body_len)
{
    size_t h = header_size(hdr);
    size_t b = body != NULL ? protobuf_c_message_get_packed_size(body) : 0;
    if (body_len != NULL)
        *body_len = b;
    if (h > UINT32_MAX)
        return 0;
    return FERRYI_FRAME_PREFIX + h + b;
}

void ferryi_frame_write(uint8_t *dst, size_t dst_len, unsigned kind, const ProtobufCMessage *hdr,
                        const ProtobufCMessage *body)
{
    dst[0] = 'F';
    dst[1] = 'Y';
    dst[2] = FERRYI_WIRE_VERSION;
    dst[3] = (uint8_t)kind;
    size_t h = header_pack(hdr, dst + FERRYI_FRAME_PREFIX);
    dst[4] = (uint8_t)(h >> 24);
    dst[5] = (uint8_t)(h >> 16);
    dst[6] = (uint8_t)(h >> 8);
    dst[7] = (uint8_t)h;
    if (body != NULL)
        protobuf_c_message_pack(body, dst + FERRYI_FRAME_PREFIX + h);
    (void)dst_len;
}

void ferryi_frame_write_raw(uint8_t *dst, unsigned kind, const ProtobufCMessage *hdr,
                            const uint8_t *body, size_t body_len)
{
    ferryi_frame_write(dst, 0, kind, hdr, NULL);
    size_t h = (size_t)dst[4] << 24 | (size_t)dst[5] << 16 | (size_t)dst[6] << 8 | dst[7];
    if (body_len > 0)
        memcpy(dst + FERRYI_FRAME_PREFIX + h, body, body_len);
}

ferry_status ferryi_request_header_decode(const ferryi_frame *f, ProtobufCAllocator *alloc,
                                          Ferry__Wire__RequestHeader **out, char *why,
                                          size_t why_len)
{
    int nul;
    Ferry__Wire__RequestHeader *h =
        ferryi_request_header_unpack_strict(alloc, f->header_len, f->header, &nul);
    if (nul) {
        snprintf(why, why_len,
                 "request header holds a NUL byte in its method, a metadata key or "
                 "the client's name or version");
        return FERRY_PROTOCOL_ERROR;
    }
    if (h == NULL) {
        snprintf(why, why_len, "request header (%zu bytes) is not a valid ferry.wire.RequestHeader",
                 f->header_len);
        return FERRY_PROTOCOL_ERROR;
    }
    size_t mlen = strlen(h->method);
    if (mlen == 0 || mlen > FERRYI_METHOD_MAX || strchr(h->method, '/') == NULL) {
        snprintf(why, why_len, "request header names no method of the form package.Service/Method");
        ferry__wire__request_header__free_unpacked(h, alloc);
        return FERRY_PROTOCOL_ERROR;
    }
    /* A header limit like the method's length: a peer that exceeds it does
     * not speak this wire format, and is refused before its identity is
     * checked or its method looked up. */
    if (h->n_metadata > FERRYI_METADATA_MAX) {
        snprintf(why, why_len, "request header carries %zu metadata entries; the limit is %u",
                 h->n_metadata, FERRYI_METADATA_MAX);
        ferry__wire__request_header__free_unpacked(h, alloc);
        return FERRY_PROTOCOL_ERROR;
    }
    *out = h;
    return FERRY_OK;
}
