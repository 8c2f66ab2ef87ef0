/* test_cases.c - the checker's suite of schema pairs. Each directory of
 * cases/ holds old/ and new/ (.proto files) and `expected`, the exact
 * output of `ferry check old new`; the exit status must be 1 when a line
 * is breaking, else 0. Every pair is also checked through lock files (old
 * as a lock, and both as locks), which must give the same output: a lock
 * keeps all the checker needs. The repository's own inventory v1 -> v2 is
 * the last case. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "support.h"

typedef struct pair {
    char *name;
    char *old_dir, *new_dir, *expected;
} pair;

/* Whether some line of `text` starts with "breaking ". */
static int has_breaking(const char *text)
{
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, "breaking ", 9) == 0)
            return 1;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return 0;
}

/* Runs `ferry check OLD NEW` and compares everything it printed. */
static void check_output(const char *old_path, const char *new_path, const char *expected,
                         int status)
{
    run_result r;
    run_ferry((const char *[]){"check", old_path, new_path, NULL}, &r);
    if (strcmp(r.out, expected) != 0)
        print_error("ferry check %s %s printed:\n%s\nexpected:\n%s\n", old_path, new_path, r.out,
                    expected);
    assert_string_equal(r.out, expected);
    assert_string_equal(r.err, "");
    assert_int_equal(r.status, status);
    run_result_free(&r);
}

static void lock(const char *schema, const char *out)
{
    run_result r;
    run_ferry((const char *[]){"lock", schema, "-o", out, NULL}, &r);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, "");
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

static void check_pair(void **state)
{
    const pair *p = *state;
    char *expected = file_read(p->expected, NULL);
    assert_non_null(expected);
    int status = has_breaking(expected);

    check_output(p->old_dir, p->new_dir, expected, status);

    char *dir = tmpdir_make();
    char *old_lock = path_join(dir, "old.lock"), *new_lock = path_join(dir, "new.lock");
    lock(p->old_dir, old_lock);
    lock(p->new_dir, new_lock);
    check_output(old_lock, p->new_dir, expected, status);
    check_output(old_lock, new_lock, expected, status);

    /* --lock FILE NEW is the same comparison. */
    run_result r;
    run_ferry((const char *[]){"check", "--lock", old_lock, p->new_dir, NULL}, &r);
    assert_string_equal(r.out, expected);
    assert_int_equal(r.status, status);
    run_result_free(&r);

    /* A lock of a lock is the same bytes, and so is a second lock of the
     * same tree, written to stdout this time. */
    char *again = path_join(dir, "again.lock");
    lock(new_lock, again);
    char *a = file_read(new_lock, NULL), *b = file_read(again, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    run_ferry((const char *[]){"lock", p->new_dir, NULL}, &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, a);
    run_result_free(&r);

    free(a);
    free(b);
    free(again);
    free(old_lock);
    free(new_lock);
    tmpdir_remove(dir);
    free(expected);
}

static int cmp_name(const void *x, const void *y)
{
    return strcmp(((const pair *)x)->name, ((const pair *)y)->name);
}

int main(void)
{
    pair pairs[128];
    size_t n = 0;
    DIR *d = opendir(CASES_DIR);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == sizeof pairs / sizeof pairs[0] - 1) {
            fprintf(stderr, "too many cases in %s\n", CASES_DIR);
            return 1;
        }
        char *dir = path_join(CASES_DIR, e->d_name);
        pairs[n++] = (pair){
            .name = strdup(e->d_name),
            .old_dir = path_join(dir, "old"),
            .new_dir = path_join(dir, "new"),
            .expected = path_join(dir, "expected"),
        };
        free(dir);
    }
    closedir(d);
    qsort(pairs, n, sizeof *pairs, cmp_name);
    pairs[n++] = (pair){
        .name = strdup("inventory_v1_v2"),
        .old_dir = strdup(INVENTORY_V1),
        .new_dir = strdup(INVENTORY_V2),
        .expected = strdup(INVENTORY_EXPECTED),
    };

    struct CMUnitTest tests[128];
    for (size_t i = 0; i < n; i++)
        tests[i] = (struct CMUnitTest){
            .name = pairs[i].name, .test_func = check_pair, .initial_state = &pairs[i]};
    int failed = _cmocka_run_group_tests("check_cases", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].old_dir);
        free(pairs[i].new_dir);
        free(pairs[i].expected);
    }
    return failed;
}
