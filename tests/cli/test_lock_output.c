/* test_lock_output.c - `ferry lock -o FILE` replaces a regular file whole
 * through a rename, but writes into a FIFO or a device (and fails on
 * /dev/full) instead of replacing it with a regular file, and writes
 * through a symbolic link to the file it names, leaving the link. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

typedef struct fixture {
    char dir[256];
    char proto[300];
    char out[8192];
    char err[8192];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    cli_tmpdir(f->dir, sizeof f->dir, "ferry-lock");
    snprintf(f->proto, sizeof f->proto, "%s/a.proto", f->dir);
    FILE *fp = fopen(f->proto, "w");
    assert_non_null(fp);
    fputs("syntax = \"proto3\";\npackage a;\nmessage M { int32 x = 1; }\n", fp);
    assert_int_equal(fclose(fp), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cli_rmdir(f->dir);
    free(f);
    return 0;
}

static int run(fixture *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int status = cli_runv(f->dir, f->out, sizeof f->out, f->err, sizeof f->err, "lock", ap);
    va_end(ap);
    return status;
}

static void path_in(const fixture *f, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, name);
}

/* What `ferry lock` writes to standard output: the lock file expected. */
static void expected(fixture *f, char *buf, size_t len)
{
    assert_int_equal(run(f, f->proto, NULL), 0);
    assert_true(strlen(f->out) > 0 && strlen(f->out) < len);
    strcpy(buf, f->out);
}

static void test_regular_file_replaced(void **state)
{
    fixture *f = *state;
    char want[8192], path[512], got[8192];
    expected(f, want, sizeof want);
    path_in(f, "x.lock", path, sizeof path);
    assert_int_equal(run(f, f->proto, "-o", path, NULL), 0); /* missing */
    cli_slurp(path, got, sizeof got);
    assert_string_equal(got, want);
    assert_int_equal(run(f, f->proto, "-o", path, NULL), 0); /* existing */
    cli_slurp(path, got, sizeof got);
    assert_string_equal(got, want);
}

static void test_fifo_written_into(void **state)
{
    fixture *f = *state;
    char want[8192], path[512], got[8192];
    expected(f, want, sizeof want);
    path_in(f, "fifo", path, sizeof path);
    assert_int_equal(mkfifo(path, 0600), 0);
    /* A reader that is already there, so the tool's open does not wait;
     * the lock file fits in the pipe's buffer. */
    int rd = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(run(f, f->proto, "-o", path, NULL), 0);
    ssize_t n = read(rd, got, sizeof got - 1);
    close(rd);
    assert_true(n > 0);
    got[n] = '\0';
    assert_string_equal(got, want);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

static void test_symlink_followed(void **state)
{
    fixture *f = *state;
    char want[8192], target[512], link[512], dangling[512], got[8192];
    expected(f, want, sizeof want);
    path_in(f, "target.lock", target, sizeof target);
    path_in(f, "link.lock", link, sizeof link);
    FILE *fp = fopen(target, "w");
    assert_non_null(fp);
    fputs("old\n", fp);
    fclose(fp);
    assert_int_equal(symlink("target.lock", link), 0); /* relative */
    assert_int_equal(run(f, f->proto, "-o", link, NULL), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    cli_slurp(target, got, sizeof got);
    assert_string_equal(got, want);

    /* A link to a missing file: the file is made, the link stays. */
    path_in(f, "dangling.lock", dangling, sizeof dangling);
    assert_int_equal(symlink("made.lock", dangling), 0);
    assert_int_equal(run(f, f->proto, "-o", dangling, NULL), 0);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char made[512];
    path_in(f, "made.lock", made, sizeof made);
    cli_slurp(made, got, sizeof got);
    assert_string_equal(got, want);

    /* A link to /dev/full is written into: a write error. */
    struct stat full;
    if (stat("/dev/full", &full) == 0 && S_ISCHR(full.st_mode)) {
        char to_full[512];
        path_in(f, "full.lock", to_full, sizeof to_full);
        assert_int_equal(symlink("/dev/full", to_full), 0);
        assert_int_equal(run(f, f->proto, "-o", to_full, NULL), 2);
        assert_contains(f->err, "/dev/full: cannot write");
        assert_int_equal(stat("/dev/full", &full), 0);
        assert_true(S_ISCHR(full.st_mode));
    }
}

static void test_dev_full_fails(void **state)
{
    fixture *f = *state;
    struct stat st;
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode))
        skip();
    assert_int_equal(run(f, f->proto, "-o", "/dev/full", NULL), 2);
    assert_contains(f->err, "ferry lock: /dev/full: cannot write");
    assert_int_equal(stat("/dev/full", &st), 0);
    assert_true(S_ISCHR(st.st_mode)); /* still the device */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_regular_file_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_written_into, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dev_full_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
