/* fuzz_traceparent.c - fuzz target for ferryi_traceparent_parse()
 * (runtime/src/trace.c), which reads the `traceparent` metadata entry a
 * peer sends on every traced call.
 *
 * The input is the entry's value. The parser must agree with a second,
 * plain reading of the W3C rules written here from the spec's text: the
 * dashes at 2, 35 and 52, lower-case hex fields, version not ff, version 00
 * exactly 55 characters, later versions followed by '-' (and at most
 * FERRYI_TRACEPARENT_MAX characters), ids not all zero. When it accepts,
 * the trace id, parent id and flags written back as hex must be the
 * input's fields. Any disagreement aborts, for the fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_traceparent: %s\n", what);
    abort();
}

static int lower_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

static int all_zero_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '0')
            return 0;
    return 1;
}

/* The rules, read plainly. */
static int plain_reading(const uint8_t *v, size_t len)
{
    if (len < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
        return 0;
    if (!lower_hex(v, 2) || !lower_hex(v + 3, 32) || !lower_hex(v + 36, 16) ||
        !lower_hex(v + 53, 2))
        return 0;
    if (v[0] == 'f' && v[1] == 'f')
        return 0;
    int v00 = v[0] == '0' && v[1] == '0';
    if (v00 ? len != 55 : len != 55 && (len > FERRYI_TRACEPARENT_MAX || v[55] != '-'))
        return 0;
    return !all_zero_digits(v + 3, 32) && !all_zero_digits(v + 36, 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t trace[16], parent[8], flags = 0;
    int got = ferryi_traceparent_parse(data, size, trace, parent, &flags);
    if (got != plain_reading(data, size))
        fail(got ? "accepted what the rules refuse" : "refused what the rules accept");
    if (got) {
        char back[56];
        ferry_trace_hex(trace, 16, back);
        if (memcmp(back, data + 3, 32) != 0)
            fail("the trace id read is not the input's");
        ferry_trace_hex(parent, 8, back);
        if (memcmp(back, data + 36, 16) != 0)
            fail("the parent id read is not the input's");
        ferry_trace_hex(&flags, 1, back);
        if (memcmp(back, data + 53, 2) != 0)
            fail("the flags read are not the input's");
    }
    return 0;
}
