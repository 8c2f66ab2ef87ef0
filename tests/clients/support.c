/* support.c - what the inventory client tests share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support.h"

void capture_open(capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
}

char *capture_text(capture *c)
{
    assert_int_equal(fclose(c->f), 0);
    c->f = NULL;
    return c->text;
}

void assert_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("the output lacks\n%s\nit was:\n%s", want, text);
}
