/* fuzz_wire_json.c - fuzz target for `ferry call`'s and `ferry describe`'s
 * reading of what a server sends: the descriptors of its reflection
 * service (a hostile schema) and the reply's bytes (clients/ferry/
 * pbschema.c, pbjson_decode.c, proto_print.c). An input is a little-endian
 * 16-bit length L, L bytes of a FileDescriptorSet, one byte choosing a
 * message type of it, and the message's bytes. A schema must be refused or
 * indexed; each of its services is written as .proto or refused with a
 * reason; bytes must be refused with the field's path, or decoded to JSON
 * that encodes again and decodes back to the same JSON. Never a crash, a
 * hang or a leak.
 *
 * A libFuzzer target with FERRY_FUZZ=ON, else a replay program ctest runs
 * over corpus/wire_json/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "proto_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_wire_json: %s: %s\n", what, detail);
    abort();
}

/* The chosen message type (`pick` modulo their count), or NULL. */
static const pbs_type *message_type(const pb_schema *s, uint8_t pick)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_types; i++)
        n += s->types[i].msg != NULL;
    for (size_t i = 0, k = 0; n > 0 && i < s->n_types; i++)
        if (s->types[i].msg != NULL && k++ == pick % n)
            return &s->types[i];
    return NULL;
}

static void round_trip(const pb_schema *s, const char *type, const json_t *j)
{
    pbbuf b = {0};
    char err[768];
    if (pbjson_encode(s, type, j, "request", &b, err, sizeof err) != 0)
        die("decoded JSON does not encode", err);
    json_t *back = NULL;
    if (pbjson_decode(s, type, b.data, b.len, "reply", &back, err, sizeof err) != 0)
        die("re-encoded bytes do not decode", err);
    if (!json_equal(j, back))
        die("decoded JSON changes when encoded and decoded again", type);
    json_decref(back);
    pbbuf_fini(&b);
}

/* Every service of the schema as `ferry describe` prints it: written, or
 * refused with a reason. */
static void describe_all(const pb_schema *s)
{
    for (size_t i = 0; i < s->n_svcs; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        if (out == NULL)
            die("open_memstream", "out of memory");
        char err[512] = "";
        int rv = cli_proto_print(out, s, &s->svcs[i], NULL, err, sizeof err);
        fclose(out);
        if (rv != 0 && err[0] == '\0')
            die("a .proto refusal gives no reason", "");
        if (rv == 0 && strlen(text) != len)
            die("the .proto text holds a NUL byte", "");
        free(text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t set_len = (size_t)data[0] | (size_t)data[1] << 8;
    if (set_len > size - 3)
        return 0;
    pb_schema s;
    pbs_init(&s);
    char err[768];
    if (pbs_add_set(&s, data + 2, set_len, err, sizeof err) == 0 &&
        pbs_index(&s, err, sizeof err) == 0) {
        describe_all(&s);
        const pbs_type *t = message_type(&s, data[2 + set_len]);
        const uint8_t *msg = data + 3 + set_len;
        size_t msg_len = size - 3 - set_len;
        json_t *j = NULL;
        if (t != NULL &&
            pbjson_decode(&s, t->full, msg, msg_len, "reply", &j, err, sizeof err) == 0) {
            round_trip(&s, t->full, j);
            json_decref(j);
        } else if (t != NULL && strncmp(err, "reply", 5) != 0) {
            die("a refusal names no field", err);
        }
    }
    pbs_fini(&s);
    return 0;
}
