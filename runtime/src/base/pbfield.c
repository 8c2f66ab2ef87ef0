/* pbfield.c - reading a protobuf-c message's fields through its descriptor
 * (pbfield.h): value addresses, presence, repeated entries, comparing and
 * writing single values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/pbfield.h"

size_t ferryi_pb_value_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

size_t ferryi_pb_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return *(const size_t *)(const void *)((const char *)m + f->quantifier_offset);
}

const void *ferryi_pb_entry(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i)
{
    const char *array = *(char *const *)ferryi_pb_value(m, f);
    return array + i * ferryi_pb_value_size(f->type);
}

bool ferryi_pb_has_presence(const ProtobufCFieldDescriptor *f)
{
    return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || f->label == PROTOBUF_C_LABEL_OPTIONAL;
}

bool ferryi_pb_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *q = (const char *)m + f->quantifier_offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)q == f->id;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)ferryi_pb_value(m, f) != NULL;
    return *(const protobuf_c_boolean *)q != 0;
}

/* -1, 0 or 1 as `x` is below, at or above `y`: the order every number
 * type shares, each widened to 64 bits (which keeps its order). */
static int order_signed(int64_t x, int64_t y)
{
    return (x > y) - (x < y);
}

static int order_unsigned(uint64_t x, uint64_t y)
{
    return (x > y) - (x < y);
}

/* Floats and doubles: NaN equal to NaN and above every number, so that
 * the order is total. */
static int order_real(double x, double y)
{
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y) ? 0 : isnan(x) ? 1 : -1;
    return (x > y) - (x < y);
}

/* An integer of signed (unsigned) type `t` at `v`, of either width,
 * widened to 64 bits: so that each use reads the two widths one way. */
static int64_t signed_at(ProtobufCType t, const void *v)
{
    return ferryi_pb_value_size(t) == sizeof(int32_t) ? *(const int32_t *)v : *(const int64_t *)v;
}

static uint64_t unsigned_at(ProtobufCType t, const void *v)
{
    return ferryi_pb_value_size(t) == sizeof(uint32_t) ? *(const uint32_t *)v
                                                       : *(const uint64_t *)v;
}

int ferryi_pb_value_cmp(ProtobufCType t, const void *a, const void *b)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return order_signed(signed_at(t, a), signed_at(t, b));
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return order_unsigned(unsigned_at(t, a), unsigned_at(t, b));
    case PROTOBUF_C_TYPE_FLOAT:
        return order_real(*(const float *)a, *(const float *)b);
    case PROTOBUF_C_TYPE_DOUBLE:
        return order_real(*(const double *)a, *(const double *)b);
    case PROTOBUF_C_TYPE_BOOL: {
        int x = *(const protobuf_c_boolean *)a != 0, y = *(const protobuf_c_boolean *)b != 0;
        return x - y;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *x = *(char *const *)a, *y = *(char *const *)b;
        return strcmp(x != NULL ? x : "", y != NULL ? y : "");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *x = a, *y = b;
        size_t n = x->len < y->len ? x->len : y->len;
        int r = n > 0 ? memcmp(x->data, y->data, n) : 0;
        return r != 0 ? r : order_unsigned(x->len, y->len);
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    return 0;
}

bool ferryi_pb_scalar_str(const ProtobufCFieldDescriptor *f, const void *v, bool exact, char *buf,
                          size_t size)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(buf, size, "%lld", (long long)signed_at(f->type, v));
        return true;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        snprintf(buf, size, "%llu", (unsigned long long)unsigned_at(f->type, v));
        return true;
    case PROTOBUF_C_TYPE_FLOAT:
        snprintf(buf, size, "%.*g", exact ? 9 : 6, (double)*(const float *)v);
        return true;
    case PROTOBUF_C_TYPE_DOUBLE:
        snprintf(buf, size, "%.*g", exact ? 17 : 6, *(const double *)v);
        return true;
    case PROTOBUF_C_TYPE_BOOL:
        snprintf(buf, size, "%s", *(const protobuf_c_boolean *)v ? "true" : "false");
        return true;
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t x = *(const int32_t *)v;
        const ProtobufCEnumValue *ev =
            f->descriptor != NULL ? protobuf_c_enum_descriptor_get_value(f->descriptor, x) : NULL;
        if (ev != NULL)
            snprintf(buf, size, "%s", ev->name);
        else
            snprintf(buf, size, "%ld", (long)x);
        return true;
    }
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    return false;
}

void ferryi_pb_value_str(const ProtobufCFieldDescriptor *f, const void *v,
                         const ferryi_pb_text *how, char *buf, size_t size)
{
    if (ferryi_pb_scalar_str(f, v, how->exact, buf, size))
        return;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)v;
        how->bytes((const uint8_t *)s, s != NULL ? strlen(s) : 0, true, buf, size);
        return;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = v;
        how->bytes(b->data, b->len, false, buf, size);
        return;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        snprintf(buf, size, "%s",
                 *(ProtobufCMessage *const *)v != NULL ? how->message_set : how->message_unset);
        return;
    default:
        snprintf(buf, size, "?");
        return;
    }
}
