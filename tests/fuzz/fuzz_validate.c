/* fuzz_validate.c - fuzz target for the generated validators and libferry's
 * violations (runtime/src/validate.c): any request a peer can encode, of
 * every rule kind (tests/codegen/validate/rules/v1/rules.proto).
 *
 * The first input byte picks the method, the rest is its request's bytes.
 * A request that decodes is validated with a list and without one; the two
 * must agree, the list must be within its bounds (count at most 16 and at
 * most total, every path and reason terminated inside its array), the one
 * line of them must be as long as it says, and the list must come back the
 * same through the reply header (written, packed, unpacked, read). Any
 * disagreement aborts, for the fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/v1/rules.ferry.h"
#include "call/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_validate: %s\n", what);
    abort();
}

static void check_list(const ferry_violations *v)
{
    if (v->count > FERRY_VIOLATIONS_MAX || v->count > v->total)
        fail("the list holds more than it may");
    if (v->count != (v->total < FERRY_VIOLATIONS_MAX ? v->total : FERRY_VIOLATIONS_MAX))
        fail("the list left out violations it had room for");
    for (size_t i = 0; i < v->count; i++)
        if (memchr(v->v[i].path, '\0', sizeof v->v[i].path) == NULL ||
            memchr(v->v[i].reason, '\0', sizeof v->v[i].reason) == NULL || v->v[i].path[0] == '\0')
            fail("a path or reason is empty or not terminated");
}

/* The list through the reply header and back. */
static void check_wire(const ferry_violations *v)
{
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    Ferry__Wire__Violation vs[FERRY_VIOLATIONS_MAX];
    Ferry__Wire__Violation *vp[FERRY_VIOLATIONS_MAX];
    static char text[FERRY_VIOLATIONS_MAX][FERRYI_VIOLATION_TEXT];
    ferryi_violations_to_wire(v, &h, vs, vp, text);
    size_t n = ferry__wire__reply_header__get_packed_size(&h);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return;
    ferry__wire__reply_header__pack(&h, buf);
    Ferry__Wire__ReplyHeader *back = ferry__wire__reply_header__unpack(NULL, n, buf);
    free(buf);
    if (back == NULL)
        fail("a reply header with violations does not decode");
    ferry_violations again;
    ferryi_violations_from_wire(back, &again);
    ferry__wire__reply_header__free_unpacked(back, NULL);
    if (again.count != v->count || again.total != v->total)
        fail("the reply header changed the list's counts");
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(again.v[i].path, text[i]) != 0 ||
            strcmp(again.v[i].reason, text[i] + strlen(text[i]) + 1) != 0)
            fail("the reply header changed a violation");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const ferry_method *m = &rules_v1_rules_desc.methods[data[0] % RULES_V1_RULES_N_METHODS];
    ProtobufCMessage *req = protobuf_c_message_unpack(m->input, NULL, size - 1, data + 1);
    if (req == NULL)
        return 0;
    ferry_violations v;
    ferry_status with = ferry_validate(m, req, &v);
    ferry_status without = ferry_validate(m, req, NULL);
    if (with != without)
        fail("validating with and without a list disagree");
    if ((with == FERRY_OK) != (v.total == 0))
        fail("the status and the count disagree");
    check_list(&v);
    char line[4096];
    size_t need = ferry_violations_format(&v, line, sizeof line);
    if (need < sizeof line && strlen(line) != need)
        fail("the line is not as long as it says");
    check_wire(&v);
    protobuf_c_message_free_unpacked(req, NULL);
    return 0;
}
