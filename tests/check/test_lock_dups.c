/* test_lock_dups.c - a lock file (untrusted input: it may come from a pull
 * request) that defines one name twice is refused with the name: two
 * messages, enums or services of one full name, two values of one enum or
 * two methods of one service with one name, whether in one file or in two.
 * The same file without the duplicate loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry_check.h"

#define HEAD "{\"format\": \"ferry-lock\", \"version\": 1, \"files\": ["

/* A file "name" of package "p" with the given messages, enums and services
 * (JSON array bodies, "" for none). */
static char *file(char *buf, size_t len, const char *name, const char *messages, const char *enums,
                  const char *services)
{
    snprintf(buf, len,
             "{\"name\": \"%s\", \"package\": \"p\", \"package_line\": 1, \"syntax\": \"proto3\", "
             "\"messages\": [%s], \"enums\": [%s], \"services\": [%s]}",
             name, messages, enums, services);
    return buf;
}

#define MSG(n) "{\"name\": \"" n "\", \"line\": 2, \"fields\": []}"
#define ENUM(n, v1, v2)                                                                            \
    "{\"name\": \"" n "\", \"line\": 3, \"values\": [{\"name\": \"" v1                             \
    "\", \"number\": 0, \"line\": 4}, {\"name\": \"" v2 "\", \"number\": 1, \"line\": 5}]}"
#define METHOD(n)                                                                                  \
    "{\"name\": \"" n "\", \"input\": \"p.M\", \"output\": \"p.M\", \"since\": 1, \"line\": 7}"
#define SVC(n, m1, m2)                                                                             \
    "{\"name\": \"" n                                                                              \
    "\", \"line\": 6, \"api_version\": 1, \"api_line\": 1, \"methods\": [" METHOD(m1) ", " METHOD( \
        m2) "]}"

/* Reads `files` (one or two file objects) as a lock; returns the status and
 * leaves the reason in ferry_check_last_error(). */
static ferry_check_status read_lock(const char *f1, const char *f2)
{
    char text[4096];
    snprintf(text, sizeof text, HEAD "%s%s%s]}", f1, f2 != NULL ? ", " : "", f2 != NULL ? f2 : "");
    ferry_schema *s = NULL;
    ferry_check_status st = ferry_schema_read_lock(text, strlen(text), "dups.lock", &s);
    if (st == FERRY_CHECK_OK)
        assert_non_null(s);
    else
        assert_null(s);
    ferry_schema_free(s);
    return st;
}

static void expect_refused(const char *f1, const char *f2, const char *says)
{
    assert_int_equal(read_lock(f1, f2), FERRY_CHECK_BAD_INPUT);
    if (strstr(ferry_check_last_error(), says) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", ferry_check_last_error(), says);
}

/* The well-formed file loads: what the refusals below change is the
 * duplicate alone. */
static void test_without_duplicates_loads(void **state)
{
    (void)state;
    char a[1024];
    assert_int_equal(read_lock(file(a, sizeof a, "a.proto", MSG("M"), ENUM("E", "E_A", "E_B"),
                                    SVC("S", "Get", "Put")),
                               NULL),
                     FERRY_CHECK_OK);
}

/* A message, enum or service defined twice, in two files, is refused with
 * its full name. */
static void test_types_defined_twice(void **state)
{
    (void)state;
    char a[1024], b[1024];
    expect_refused(file(a, sizeof a, "a.proto", MSG("M"), "", ""),
                   file(b, sizeof b, "b.proto", MSG("M"), "", ""), "message p.M is defined twice");
    expect_refused(file(a, sizeof a, "a.proto", MSG("M"), ENUM("E", "E_A", "E_B"), ""),
                   file(b, sizeof b, "b.proto", "", ENUM("E", "E_C", "E_D"), ""),
                   "enum p.E is defined twice");
    expect_refused(file(a, sizeof a, "a.proto", MSG("M"), "", SVC("S", "Get", "Put")),
                   file(b, sizeof b, "b.proto", "", "", SVC("S", "List", "Drop")),
                   "service p.S is defined twice");
}

/* Within one definition: an enum with two values of one name, a service
 * with two methods of one name. */
static void test_names_twice_within(void **state)
{
    (void)state;
    char a[1024];
    expect_refused(file(a, sizeof a, "a.proto", MSG("M"), ENUM("E", "E_A", "E_A"), ""), NULL,
                   "enum p.E has two values named E_A");
    expect_refused(file(a, sizeof a, "a.proto", MSG("M"), "", SVC("S", "Get", "Get")), NULL,
                   "service p.S has two methods named Get");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_duplicates_loads),
        cmocka_unit_test(test_types_defined_twice),
        cmocka_unit_test(test_names_twice_within),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
