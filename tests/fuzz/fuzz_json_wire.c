/* fuzz_json_wire.c - fuzz target for `ferry call`'s JSON to protobuf
 * encoder (clients/ferry/pbjson_encode.c) and its way back, over the rich
 * schema of the CLI tests (tests/cli/rich/). Each input is JSON text for a
 * ferrytest.rich.v1.Everything. When the encoder accepts it, its bytes must
 * decode; the JSON they decode to must encode again, to bytes that decode
 * to the same JSON (one round reaches the canonical form: names, number
 * forms and map keys settle); the printed reply must read back as JSON that
 * encodes to those bytes. A refusal must say which field it is about. Never
 * a crash, a hang or a leak.
 *
 * A libFuzzer target with FERRY_FUZZ=ON, else a replay program ctest runs
 * over corpus/json_wire/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "ferrytest.rich.v1.Everything"

static pb_schema schema;
static int loaded;

static void free_schema(void)
{
    pbs_fini(&schema);
}

static void load_schema(void)
{
    FILE *f = fopen(RICH_DESCSET, "rb");
    static uint8_t buf[1 << 20];
    size_t n = f != NULL ? fread(buf, 1, sizeof buf, f) : 0;
    if (f != NULL)
        fclose(f);
    char err[512] = "";
    pbs_init(&schema);
    if (n == 0 || pbs_add_set(&schema, buf, n, err, sizeof err) != 0 ||
        pbs_index(&schema, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_json_wire: %s: not a usable descriptor set: %s\n", RICH_DESCSET, err);
        abort();
    }
    loaded = 1;
    atexit(free_schema);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_json_wire: %s: %s\n", what, detail);
    abort();
}

/* decode(bytes), which must succeed. */
static json_t *decode(const pbbuf *b, const char *what)
{
    json_t *j = NULL;
    char err[768];
    if (pbjson_decode(&schema, ROOT, b->data, b->len, "reply", &j, err, sizeof err) != 0)
        die(what, err);
    return j;
}

/* encode(json), which must succeed. */
static void encode(const json_t *j, pbbuf *out, const char *what)
{
    char err[768];
    if (pbjson_encode(&schema, ROOT, j, "request", out, err, sizeof err) != 0)
        die(what, err);
}

static int same(const pbbuf *a, const pbbuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The printed JSON reads back and encodes to `want`. */
static void check_print(const json_t *j, const pbbuf *want)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    pbjson_print(mem, j);
    fclose(mem);
    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    if (back == NULL)
        die("the printed reply is not JSON", text);
    pbbuf again = {0};
    encode(back, &again, "the printed reply does not encode");
    if (!same(&again, want))
        die("the printed reply encodes to other bytes", text);
    pbbuf_fini(&again);
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded)
        load_schema();
    json_error_t jerr;
    json_t *in =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (in == NULL)
        return 0;
    pbbuf first = {0};
    char err[768];
    if (pbjson_encode(&schema, ROOT, in, "request", &first, err, sizeof err) != 0) {
        if (strncmp(err, "request", 7) != 0)
            die("a refusal names no field", err);
    } else {
        json_t *j1 = decode(&first, "accepted JSON encodes to bytes that do not decode");
        pbbuf second = {0};
        encode(j1, &second, "decoded JSON does not encode");
        json_t *j2 = decode(&second, "re-encoded bytes do not decode");
        if (!json_equal(j1, j2))
            die("JSON changes on its second round", "");
        pbbuf third = {0};
        encode(j2, &third, "decoded JSON does not encode");
        if (!same(&third, &second))
            die("bytes change on their second round", "");
        check_print(j1, &second);
        pbbuf_fini(&third);
        json_decref(j2);
        pbbuf_fini(&second);
        json_decref(j1);
    }
    pbbuf_fini(&first);
    json_decref(in);
    return 0;
}
