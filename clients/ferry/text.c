/* text.c - text that came from the network (status messages, violation
 * reasons, names from reflection, stats), made safe to print (cli.h). */
#include <stdio.h>
#include <string.h>

#include "text.h"

/* The length of the valid UTF-8 sequence at s[0..len) (its code point in
 * *cp), or 0 when it is not one: overlong forms, surrogates and code
 * points past U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        *cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        *cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        *cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (n > len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

void cli_put_text(FILE *out, const char *text, size_t len, int keep_lines)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; s != NULL && i < len;) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7f) {
            putc((int)c, out);
            i++;
            continue;
        }
        if (c < 0x80) { /* a control character */
            if (keep_lines && (c == '\n' || c == '\t'))
                putc((int)c, out);
            else if (c == '\n')
                fputs("\\n", out);
            else if (c == '\r')
                fputs("\\r", out);
            else if (c == '\t')
                fputs("\\t", out);
            else
                fprintf(out, "\\x%02x", c);
            i++;
            continue;
        }
        unsigned cp = 0;
        size_t n = utf8_seq(s + i, len - i, &cp);
        if (n == 0) {
            fputs("\xEF\xBF\xBD", out); /* U+FFFD for each byte that is not UTF-8 */
            i++;
        } else if (cp < 0xA0) { /* C1 controls: some terminals obey them too */
            fprintf(out, "\\u%04x", cp);
            i += n;
        } else {
            fwrite(s + i, 1, n, out);
            i += n;
        }
    }
}

void cli_put_str(FILE *out, const char *s)
{
    if (s != NULL)
        cli_put_text(out, s, strlen(s), 0);
}
