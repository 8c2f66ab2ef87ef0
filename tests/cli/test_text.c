/* test_text.c - cli_put_text(), through which the `ferry` tool prints any
 * text a server supplied: control characters escaped so that a message
 * cannot drive the terminal or forge a line, C1 controls shown, bytes that
 * are not UTF-8 replaced, valid UTF-8 kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

/* What cli_put_text() prints for `len` bytes of `in`, compared to `want`. */
static void expect(const char *in, size_t len, int keep_lines, const char *want)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    cli_put_text(f, in, len, keep_lines);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, want);
    free(buf);
}

#define EXPECT(in, keep, want) expect(in, sizeof in - 1, keep, want)

static void test_plain_text_unchanged(void **state)
{
    (void)state;
    EXPECT("no item with sku 'HAM-16'", 0, "no item with sku 'HAM-16'");
    EXPECT("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\xA8", 0,
           "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\xA8");
    EXPECT("", 0, "");
}

static void test_controls_escaped(void **state)
{
    (void)state;
    /* The trial's message: a clear-screen sequence and a forged line. */
    EXPECT("x\x1b[2Jy\nferry call: FAKE", 0, "x\\x1b[2Jy\\nferry call: FAKE");
    EXPECT("a\rb\tc\x7f\x01", 0, "a\\rb\\tc\\x7f\\x01");
    EXPECT("a\nb\tc\x1b", 1, "a\nb\tc\\x1b"); /* laid-out text keeps its lines */
    EXPECT("a\0b", 0, "a\\x00b");             /* a length, not a NUL, ends it */
    EXPECT("\xC2\x9B"
           "2J",
           0, "\\u009b2J"); /* C1 CSI */
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
#define FFFD "\xEF\xBF\xBD"
    EXPECT("\xff\xfe", 0, FFFD FFFD);
    EXPECT("\xC0\xAF", 0, FFFD FFFD);                   /* overlong '/' */
    EXPECT("\xE0\x80\xAF", 0, FFFD FFFD FFFD);          /* overlong, 3 bytes */
    EXPECT("\xED\xA0\x80", 0, FFFD FFFD FFFD);          /* a surrogate */
    EXPECT("\xF4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD); /* past U+10FFFF */
    EXPECT("ab\xE2\x82", 0, "ab" FFFD FFFD);            /* cut short */
    EXPECT("\xC3"
           "A",
           0, FFFD "A");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_controls_escaped),
        cmocka_unit_test(test_invalid_utf8_replaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
