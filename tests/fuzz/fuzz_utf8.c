/* fuzz_utf8.c - fuzz target for ferryi_utf8_copy() (runtime/src/utf8.c), the
 * copy that makes text valid UTF-8 before it goes into a reply header's
 * string fields: a handler's message, or a method name a client sent.
 *
 * The first input byte is the copy's capacity (1 to 256), the rest, up to a
 * NUL, the text. What the copy writes must agree with a second decoder,
 * glibc's iconv from UTF-8: it converts the copy in full (the copy is valid
 * UTF-8); the copy is NUL-terminated within the capacity and as long as the
 * length returned; and text that iconv converts in full and that fits is
 * copied unchanged. Any disagreement aborts, for the fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_utf8: %s\n", what);
    abort();
}

static iconv_t cd = (iconv_t)-1;

/* Whether iconv reads all `len` bytes of `s` as UTF-8. */
static int valid(const char *s, size_t len)
{
    if (cd == (iconv_t)-1) {
        cd = iconv_open("UTF-32LE", "UTF-8");
        if (cd == (iconv_t)-1)
            fail("iconv has no UTF-8");
    }
    iconv(cd, NULL, NULL, NULL, NULL);
    char out[4 * 512];
    char *in = (char *)s, *o = out;
    size_t in_left = len, out_left = sizeof out;
    return iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1 && in_left == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t cap = (size_t)data[0] + 1;
    char src[512];
    size_t n = size - 1 < sizeof src - 1 ? size - 1 : sizeof src - 1;
    memcpy(src, data + 1, n);
    src[n] = '\0';
    size_t text_len = strlen(src);

    char dst[258];
    memset(dst, 0x55, sizeof dst);
    size_t got = ferryi_utf8_copy(dst, cap, src);
    if (got >= cap || dst[got] != '\0' || strlen(dst) != got)
        fail("the copy is not NUL-terminated within its capacity at the length returned");
    if (dst[cap] != 0x55)
        fail("the copy wrote past its capacity");
    if (!valid(dst, got))
        fail("the copy is not valid UTF-8 to iconv");
    if (got > text_len)
        fail("the copy is longer than the text");
    if (text_len < cap && valid(src, text_len) && (got != text_len || memcmp(dst, src, got) != 0))
        fail("valid UTF-8 that fits was not copied unchanged");
    return 0;
}
