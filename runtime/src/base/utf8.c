/* utf8.c - text that is always valid UTF-8 (utf8.h). */
#include "base/utf8.h"

#include <stdint.h>

/* The length of the well-formed UTF-8 sequence at `s` (1 to 4), or 0 when
 * the bytes there are not one. Follows the table of RFC 3629, section 4. */
static size_t sequence_len(const unsigned char *s)
{
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        if (b == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (b == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
            hi = 0x8f; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

size_t ferryi_utf8_copy(char *dst, size_t cap, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t out = 0;
    while (*s != '\0') {
        /* A NUL inside a sequence makes it malformed, so the reads of
         * sequence_len() never pass the terminator. */
        size_t n = sequence_len(s);
        const unsigned char *from = n > 0 ? s : (const unsigned char *)"?";
        size_t len = n > 0 ? n : 1;
        if (out + len >= cap)
            break;
        for (size_t i = 0; i < len; i++)
            dst[out++] = (char)from[i];
        s += n > 0 ? n : 1;
    }
    dst[out] = '\0';
    return out;
}
