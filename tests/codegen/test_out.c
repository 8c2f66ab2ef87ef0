/* test_out.c - the printer: IDL text must come out as C string literals and
 * comments that cannot break out of their quotes or comment, whatever bytes
 * it holds; indentation and wrapping must be as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "out.h"

static fcg_out o;

static int setup(void **state)
{
    (void)state;
    fcg_out_init(&o);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fcg_out_fini(&o);
    return 0;
}

static void test_cstring_plain(void **state)
{
    (void)state;
    fcg_out_cstring(&o, "inventory.v1.Stock/GetItem");
    assert_string_equal(o.buf, "\"inventory.v1.Stock/GetItem\"");
}

static void test_cstring_escapes(void **state)
{
    (void)state;
    fcg_out_cstring(&o, "q\" b\\ n\n t\t r\r bell\a del\x7f");
    assert_string_equal(o.buf, "\"q\\\" b\\\\ n\\n t\\t r\\r bell\\007 del\\177\"");
}

static void test_cstring_non_ascii(void **state)
{
    (void)state;
    /* "café" in UTF-8, then a byte that is not UTF-8 at all, then a digit
     * that must not extend the octal escape before it. */
    fcg_out_cstring(&o, "caf\xc3\xa9 \xff"
                        "1");
    assert_string_equal(o.buf, "\"caf\\303\\251 \\3771\"");
}

static void test_cstring_trigraphs(void **state)
{
    (void)state;
    /* "??/" would become a backslash in C11 and swallow the closing quote. */
    fcg_out_cstring(&o, "a?\?/\" ?\?\?= ?");
    assert_string_equal(o.buf, "\"a?\\?/\\\" ?\\?\\?= ?\"");
}

static void test_comment_cannot_close(void **state)
{
    (void)state;
    fcg_out_comment(&o, " ends */ here, /* opens, **/ and ?\?/");
    assert_string_equal(o.buf, "/* ends * / here, / * opens, ** / and ? ?/ */\n");
    assert_null(strstr(o.buf + 2, "/*"));
    assert_ptr_equal(strstr(o.buf, "*/"), o.buf + strlen(o.buf) - 3);
}

static void test_comment_controls_and_utf8(void **state)
{
    (void)state;
    fcg_out_comment(&o, "tab\there\x01 caf\xc3\xa9 bad\xc3(");
    assert_string_equal(o.buf, "/* tab here  caf\xc3\xa9 bad?( */\n");
}

static void test_comment_lines(void **state)
{
    (void)state;
    /* protoc's leading comment: a space after "//", a trailing newline;
     * blank lines at the ends vanish, blank lines inside stay. */
    fcg_out_indent(&o);
    fcg_out_comment(&o, "\n First line.\n\n Second line.\n\n");
    assert_string_equal(o.buf, "    /* First line.\n"
                               "     *\n"
                               "     * Second line. */\n");
}

static void test_comment_empty(void **state)
{
    (void)state;
    fcg_out_comment(&o, NULL);
    fcg_out_comment(&o, "");
    fcg_out_comment(&o, " \n\t\n");
    assert_int_equal(o.len, 0);
}

static void test_comment_wraps(void **state)
{
    (void)state;
    char text[300];
    memset(text, 0, sizeof text);
    for (size_t i = 0; i < 40; i++)
        strcat(text, "word ");
    fcg_out_comment(&o, text);
    /* Every line within the limit, the words all there. */
    size_t words = 0;
    for (const char *line = o.buf; *line;) {
        size_t n = strcspn(line, "\n");
        assert_true(n <= FCG_OUT_COLUMNS);
        for (const char *w = line; (w = strstr(w, "word")) != NULL && w < line + n; w += 4)
            words++;
        line += n + (line[n] == '\n');
    }
    assert_int_equal(words, 40);
}

static void test_indent(void **state)
{
    (void)state;
    fcg_out_printf(&o, "{\n");
    fcg_out_indent(&o);
    fcg_out_printf(&o, "a;\n\nb;\n");
    fcg_out_dedent(&o);
    fcg_out_printf(&o, "}\n");
    assert_string_equal(o.buf, "{\n    a;\n\n    b;\n}\n");
}

static void test_params_fit(void **state)
{
    (void)state;
    const char *params[] = {"int a", "int b"};
    fcg_out_params(&o, "void f(", params, 2, ");\n");
    assert_string_equal(o.buf, "void f(int a, int b);\n");
}

static void test_params_wrap_aligned(void **state)
{
    (void)state;
    const char *params[] = {
        "const Inventory__V1__GetItemRequest *req",
        "Inventory__V1__GetItemReply **resp",
        "const ferry_call_opts *opts",
    };
    fcg_out_params(&o, "ferry_status inventory_v1_stock_get_item(", params, 3, ");\n");
    assert_string_equal(o.buf, "ferry_status inventory_v1_stock_get_item(const "
                               "Inventory__V1__GetItemRequest *req,\n"
                               "                                         "
                               "Inventory__V1__GetItemReply **resp,\n"
                               "                                         "
                               "const ferry_call_opts *opts);\n");
}

static void test_params_wrap_deep(void **state)
{
    (void)state;
    /* Aligned after the '(' the longest parameter would overflow, so the
     * list starts on the next line, indented by four. */
    const char *params[] = {
        "ferry_channel *ch",
        "const Inventory__V2__CancelReservationRequest *req",
        "const ferry_call_opts *opts",
    };
    fcg_out_params(&o, "ferry_status inventory_v2_stock_cancel_reservation_async(", params, 3,
                   ");\n");
    assert_string_equal(o.buf, "ferry_status inventory_v2_stock_cancel_reservation_async(\n"
                               "    ferry_channel *ch, const "
                               "Inventory__V2__CancelReservationRequest *req,\n"
                               "    const ferry_call_opts *opts);\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cstring_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cstring_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cstring_non_ascii, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cstring_trigraphs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_cannot_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_controls_and_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_wrap_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_wrap_deep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
