/* pbfield.h - a protobuf-c message's fields read through its descriptor:
 * where a value lives, whether a field is present, a repeated field's
 * entries, single values compared and written as text. The two walks over
 * messages, pbdiff.c (shadow answers) and mock_match.c (ferry::mock), read
 * fields only through these. Thread-safe: nothing here keeps state. */
#ifndef FERRYI_PBFIELD_H
#define FERRYI_PBFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The size of one value of type `t` as a message struct or a repeated
 * field's array holds it (a pointer for strings and messages). */
size_t ferryi_pb_value_size(ProtobufCType t);

/* Where the value of singular field `f` lives in `m`. */
static inline const void *ferryi_pb_value(const ProtobufCMessage *m,
                                          const ProtobufCFieldDescriptor *f)
{
    return (const char *)m + f->offset;
}

/* The number of entries of repeated field `f` in `m`. */
size_t ferryi_pb_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* Where entry `i` (below ferryi_pb_count()) of repeated field `f` lives in
 * `m`: for messages, a pointer to the entry's message pointer. */
const void *ferryi_pb_entry(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i);

/* Whether singular field `f` can be absent rather than hold a zero value:
 * oneof members and optional fields. */
bool ferryi_pb_has_presence(const ProtobufCFieldDescriptor *f);

/* For a field with presence, whether `m` has it: a oneof member when it is
 * its oneof's case, a string or message when its pointer is not NULL, any
 * other type by its has_ flag. */
bool ferryi_pb_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* Compares two number, bool, enum, string or bytes values of type `t`: 0
 * when equal, else below or above 0, an order (for sorting map keys). NaN
 * equals NaN and sorts above every number; a NULL string equals "". Message
 * values are not compared here (0). */
int ferryi_pb_value_cmp(ProtobufCType t, const void *a, const void *b);

/* Writes a number, bool or enum value of field `f` at `v` as text into
 * `buf`: enum values by name when `f`'s enum descriptor has one, floats with
 * `exact` in as many digits as tell any two values apart (9 for float, 17
 * for double), without it in %g's six. Returns false and writes nothing for
 * strings, bytes and messages: each caller shows those in its own way. */
bool ferryi_pb_scalar_str(const ProtobufCFieldDescriptor *f, const void *v, bool exact, char *buf,
                          size_t size);

/* How a walk shows the values ferryi_pb_scalar_str() leaves to it. */
typedef struct ferryi_pb_text {
    bool exact; /* floats as ferryi_pb_scalar_str() takes it */
    /* Writes a string value (`len` bytes at `s`, NULL for a NULL string)
     * or, when !is_string, a bytes value into `buf`. */
    void (*bytes)(const uint8_t *s, size_t len, bool is_string, char *buf, size_t size);
    const char *message_set, *message_unset; /* a message value, set or NULL */
} ferryi_pb_text;

/* Writes the value of field `f` at `v` as text into `buf`: numbers, bools
 * and enums as ferryi_pb_scalar_str() writes them, the rest as `how` says. */
void ferryi_pb_value_str(const ProtobufCFieldDescriptor *f, const void *v,
                         const ferryi_pb_text *how, char *buf, size_t size);

#endif
