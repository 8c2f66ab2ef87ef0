/* mock_match.c - ferry_mock_match(): does a message have every field another
 * one sets? Walks both through protobuf-c's reflection (fields read with
 * pbfield.h) and names the first difference by its field path, for the
 * mock's failure messages. */
#include <stdio.h>
#include <string.h>

#include "ferry/mock.h"
#include "base/pbfield.h"

/* Where the walk is, as a field path: "lines[1].quantity". */
typedef struct path {
    char buf[192];
} path;

static void path_field(path *out, const path *in, const char *name)
{
    snprintf(out->buf, sizeof out->buf, "%s%s%s", in->buf, in->buf[0] ? "." : "", name);
}

static void path_index(path *out, const path *in, size_t i)
{
    snprintf(out->buf, sizeof out->buf, "%s[%zu]", in->buf, i);
}

/* Whether a singular value holds something other than its zero value. */
static bool nonzero(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return s != NULL && s[0] != '\0';
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len > 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p != NULL;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)p != 0.0f;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)p != 0.0;
    default: {
        static const uint8_t zero[8];
        return memcmp(p, zero, ferryi_pb_value_size(f->type)) != 0;
    }
    }
}

/* Whether the singular field `f` of `m` is set, by the rule of
 * ferry_mock_match(). */
static bool is_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = ferryi_pb_value(m, f);
    if (ferryi_pb_has_presence(f)) {
        /* An optional string left at its default points at the default. */
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->type == PROTOBUF_C_TYPE_STRING &&
            *(char *const *)p == (const char *)f->default_value)
            return false;
        return ferryi_pb_present(m, f);
    }
    return f->label == PROTOBUF_C_LABEL_REQUIRED || nonzero(f, p);
}

/* A string as it is, cut short past 60 bytes (NULL as NULL), bytes as
 * their count. */
static void describe_bytes(const uint8_t *s, size_t len, bool is_string, char *out, size_t n)
{
    if (!is_string)
        snprintf(out, n, "%zu bytes", len);
    else if (s == NULL)
        snprintf(out, n, "NULL");
    else if (len > 60)
        snprintf(out, n, "\"%.57s...\"", (const char *)s);
    else
        snprintf(out, n, "\"%s\"", (const char *)s);
}

/* Values in a failure message: short, for a person to read. */
static const ferryi_pb_text mock_text = {
    .exact = false,
    .bytes = describe_bytes,
    .message_set = "a message",
    .message_unset = "not set",
};

static bool match_message(const ProtobufCMessage *msg, const ProtobufCMessage *want, const path *at,
                          char *why, size_t why_len);

/* Compares one value of field `f`: equal, or for messages matching. */
static bool match_value(const ProtobufCFieldDescriptor *f, const void *got, const void *exp,
                        const path *at, char *why, size_t why_len)
{
    bool same;
    switch (f->type) {
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *g = *(ProtobufCMessage *const *)got;
        const ProtobufCMessage *e = *(ProtobufCMessage *const *)exp;
        if (e == NULL)
            return true;
        if (g == NULL) {
            snprintf(why, why_len, "%s is not set, expected a message", at->buf);
            return false;
        }
        return match_message(g, e, at, why, why_len);
    }
    case PROTOBUF_C_TYPE_STRING: {
        /* Here NULL is equal to NULL only, not to "". */
        const char *g = *(char *const *)got, *e = *(char *const *)exp;
        same = (g == NULL || e == NULL) ? g == e : strcmp(g, e) == 0;
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *g = got, *e = exp;
        same = ferryi_pb_value_cmp(f->type, got, exp) == 0;
        if (!same && g->len == e->len) {
            snprintf(why, why_len, "%s differs from the %zu bytes expected", at->buf, e->len);
            return false;
        }
        break;
    }
    /* Numbers compare as C does: NaN is equal to nothing, not even NaN. */
    case PROTOBUF_C_TYPE_FLOAT:
        same = *(const float *)got == *(const float *)exp;
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        same = *(const double *)got == *(const double *)exp;
        break;
    default:
        same = ferryi_pb_value_cmp(f->type, got, exp) == 0;
        break;
    }
    if (!same) {
        char g[80], e[80];
        ferryi_pb_value_str(f, got, &mock_text, g, sizeof g);
        ferryi_pb_value_str(f, exp, &mock_text, e, sizeof e);
        snprintf(why, why_len, "%s is %s, expected %s", at->buf, g, e);
    }
    return same;
}

static bool match_repeated(const ProtobufCMessage *msg, const ProtobufCMessage *want,
                           const ProtobufCFieldDescriptor *f, const path *at, char *why,
                           size_t why_len)
{
    size_t n_got = ferryi_pb_count(msg, f), n_exp = ferryi_pb_count(want, f);
    if (n_exp == 0)
        return true;
    if (n_got != n_exp) {
        snprintf(why, why_len, "%s has %zu entr%s, expected %zu", at->buf, n_got,
                 n_got == 1 ? "y" : "ies", n_exp);
        return false;
    }
    for (size_t i = 0; i < n_exp; i++) {
        path item;
        path_index(&item, at, i);
        const void *g = ferryi_pb_entry(msg, f, i), *e = ferryi_pb_entry(want, f, i);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *gm = *(ProtobufCMessage *const *)g;
            const ProtobufCMessage *em = *(ProtobufCMessage *const *)e;
            if (em != NULL && gm != NULL && !match_message(gm, em, &item, why, why_len))
                return false;
        } else if (!match_value(f, g, e, &item, why, why_len)) {
            return false;
        }
    }
    return true;
}

static bool match_message(const ProtobufCMessage *msg, const ProtobufCMessage *want, const path *at,
                          char *why, size_t why_len)
{
    const ProtobufCMessageDescriptor *d = want->descriptor;
    if (msg->descriptor != d) {
        snprintf(why, why_len, "%s is of type %s, expected %s",
                 at->buf[0] ? at->buf : "the message", msg->descriptor->name, d->name);
        return false;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        path here;
        path_field(&here, at, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!match_repeated(msg, want, f, &here, why, why_len))
                return false;
            continue;
        }
        if (!is_set(want, f))
            continue;
        const void *exp = ferryi_pb_value(want, f);
        /* Only fields with presence can be "not set"; a proto3 scalar holds
         * its zero value, which the comparison below reports. */
        if (ferryi_pb_has_presence(f) && !is_set(msg, f)) {
            char e[80];
            ferryi_pb_value_str(f, exp, &mock_text, e, sizeof e);
            snprintf(why, why_len, "%s is not set, expected %s", here.buf, e);
            return false;
        }
        if (!match_value(f, ferryi_pb_value(msg, f), exp, &here, why, why_len))
            return false;
    }
    return true;
}

bool ferry_mock_match(const ProtobufCMessage *msg, const ProtobufCMessage *want, char *why,
                      size_t why_len)
{
    char scratch[8];
    if (why == NULL || why_len == 0) {
        why = scratch;
        why_len = sizeof scratch;
    }
    why[0] = '\0';
    if (want == NULL)
        return true;
    if (msg == NULL) {
        snprintf(why, why_len, "the message is NULL, expected a %s", want->descriptor->name);
        return false;
    }
    const path root = {.buf = ""};
    return match_message(msg, want, &root, why, why_len);
}
