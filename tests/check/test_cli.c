/* test_cli.c - the `ferry` command line: help and usage errors, exit
 * statuses, and what `ferry check` and `ferry lock` say about input they
 * cannot use (a missing file, a .proto protoc refuses, invalid ferry
 * options, a corrupt lock file, an unwritable output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support.h"

#define CASE(name, side) CASES_DIR "/" name "/" side
#define INPUT(name)      INPUTS_DIR "/" name

/* Runs ferry with `args`; checks the status and that stdout and stderr
 * contain the given texts (NULL: anything; "": must be empty). */
static void expect_run(const char *const *args, int status, const char *out, const char *err)
{
    run_result r;
    run_ferry(args, &r);
    if (r.status != status || (out != NULL && strstr(r.out, out) == NULL) ||
        (out != NULL && out[0] == '\0' && r.out[0] != '\0') ||
        (err != NULL && strstr(r.err, err) == NULL) ||
        (err != NULL && err[0] == '\0' && r.err[0] != '\0'))
        print_error("status %d\nstdout:\n%s\nstderr:\n%s\n", r.status, r.out, r.err);
    assert_int_equal(r.status, status);
    if (out != NULL) {
        assert_non_null(strstr(r.out, out));
        if (out[0] == '\0')
            assert_string_equal(r.out, "");
    }
    if (err != NULL) {
        assert_non_null(strstr(r.err, err));
        if (err[0] == '\0')
            assert_string_equal(r.err, "");
    }
    for (const char *p = r.err; *p != '\0'; p++)
        assert_true(*p == '\n' || ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f));
    run_result_free(&r);
}

static void test_help(void **state)
{
    (void)state;
    expect_run((const char *[]){NULL}, 2, "", "usage: ferry COMMAND");
    expect_run((const char *[]){"--help", NULL}, 0, "check", "");
    expect_run((const char *[]){"help", NULL}, 0, "lock", "");
    expect_run((const char *[]){"--version", NULL}, 0, "ferry ", "");
    expect_run((const char *[]){"check", "--help", NULL}, 0, "usage: ferry check", "");
    expect_run((const char *[]){"help", "lock", NULL}, 0, "usage: ferry lock", "");
    expect_run((const char *[]){"help", "frobnicate", NULL}, 2, "", "no command 'frobnicate'");
    expect_run((const char *[]){"frobnicate", NULL}, 2, "", "ferry: no command 'frobnicate'");
}

static void test_usage_errors(void **state)
{
    (void)state;
    expect_run((const char *[]){"check", CASE("no_changes", "old"), NULL}, 2, "",
               "ferry check: expected OLD and NEW, got 1 argument");
    expect_run((const char *[]){"check", "a", "b", "c", NULL}, 2, "",
               "expected OLD and NEW, got 3 arguments");
    expect_run((const char *[]){"check", "--lock", "x.lock", NULL}, 2, "",
               "expected NEW after --lock FILE, got 0 arguments");
    expect_run((const char *[]){"check", "--colour", "a", "b", NULL}, 2, "", "unrecognized option");
    expect_run((const char *[]){"check", "-I", NULL}, 2, "", "requires an argument");
    expect_run((const char *[]){"lock", NULL}, 2, "", "ferry lock: expected one SCHEMA");
    expect_run((const char *[]){"lock", "a", "b", NULL}, 2, "", "got 2 arguments");
}

static void test_exit_status(void **state)
{
    (void)state;
    expect_run(
        (const char *[]){"check", CASE("no_changes", "old"), CASE("no_changes", "old"), NULL}, 0,
        "no changes\n", "");
    expect_run(
        (const char *[]){"check", CASE("safe_renames", "old"), CASE("safe_renames", "new"), NULL},
        0, "0 breaking changes, 3 safe changes\n", "");
    expect_run(
        (const char *[]){"check", CASE("field_deleted", "old"), CASE("field_deleted", "new"), NULL},
        1, "2 breaking changes, 3 safe changes\n", "");
    /* One .proto file on each side compares like the directories. */
    expect_run((const char *[]){"check", CASE("package_changed", "old") "/greeter.proto",
                                CASE("package_changed", "new") "/greeter.proto", NULL},
               1, "breaking PACKAGE_CHANGED greeter.proto:2: package greeter.v2", "");
}

static void test_quiet(void **state)
{
    (void)state;
    run_result r;
    run_ferry((const char *[]){"check", "-q", CASE("field_deleted", "old"),
                               CASE("field_deleted", "new"), NULL},
              &r);
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.out, "safe FIELD"));
    assert_non_null(
        strstr(r.out, "breaking FIELD_DELETED shop.proto:8: field shop.v1.Item.price = 3"));
    assert_non_null(strstr(r.out, "2 breaking changes, 3 safe changes\n"));
    run_result_free(&r);
}

/* A warning is advice: it fails the check only with --strict, and -q,
 * which hides safe lines, keeps it. */
static void test_warnings(void **state)
{
    (void)state;
    const char *old_dir = CASE("method_added_unversioned", "old");
    const char *new_dir = CASE("method_added_unversioned", "new");
    const char *line = "warning METHOD_ADDED todo.proto:10: method todo.v1.Tasks/Complete: ";
    expect_run((const char *[]){"check", old_dir, new_dir, NULL}, 0, line, "");
    expect_run((const char *[]){"check", "--strict", old_dir, new_dir, NULL}, 1,
               "0 breaking changes, 1 warning, 0 safe changes\n", "");
    expect_run((const char *[]){"check", "-q", "-s", old_dir, new_dir, NULL}, 1, line, "");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const char *good = CASE("no_changes", "old");
    expect_run((const char *[]){"check", "/nonexistent/dir", good, NULL}, 2, "",
               "ferry check: /nonexistent/dir: No such file or directory");
    expect_run((const char *[]){"check", good, INPUT("empty"), NULL}, 2, "",
               "no .proto files below it");
    /* protoc's own message names the file and line, then ferry says who failed. */
    expect_run((const char *[]){"check", good, INPUT("bad_syntax"), NULL}, 2, "",
               "bad.proto:3:25: Expected \";\".");
    expect_run((const char *[]){"check", INPUT("bad_syntax"), good, NULL}, 2, "",
               "bad_syntax: protoc could not compile it");
    expect_run((const char *[]){"check", good, INPUT("missing_import"), NULL}, 2, "",
               "nowhere/missing.proto: File not found");
    /* ferry's options are checked as the generator checks them. */
    expect_run((const char *[]){"lock", INPUT("bad_option"), NULL}, 2, "",
               "ferry lock: svc.proto:6: service S, method M: (ferry.method).since is 0; API "
               "versions start at 1");
    /* What the generator cannot generate is refused with its message. */
    expect_run((const char *[]){"lock", INPUT("streaming"), NULL}, 2, "",
               "ferry lock: feed.proto:9: service Feed, method Latest: server streaming is not "
               "supported by ferry");
    expect_run((const char *[]){"check", good, INPUT("streaming"), NULL}, 2, "",
               "server streaming is not supported by ferry");
    expect_run((const char *[]){"lock", INPUT("proto3_optional"), NULL}, 2, "",
               "ferry lock: profile.proto:8: message profile.v1.Profile, field age: proto3 "
               "`optional` is not supported: protobuf-c 1.4, which generates ferry's messages, "
               "cannot generate it");
    expect_run((const char *[]){"check", INPUT("proto3_optional"), good, NULL}, 2, "",
               "field age: proto3 `optional` is not supported");
    /* Any other file is read as a lock file. */
    expect_run((const char *[]){"check", INPUT("empty") "/README", good, NULL}, 2, "",
               "ferry check: " INPUT("empty") "/README:1:2: not a ferry lock file");
}

static void test_corrupt_lock(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *lock = path_join(dir, "api.lock");
    const char *good = CASE("no_changes", "new");
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"", "api.lock:1:0: not a ferry lock file"},
        {"{\"format\": \"ferry-lock\", \"version\": 7}", "lock format version 7"},
        {"{\"format\": \"ferry-lock\", \"version\": 1, \"files\": [{\"name\": \"a.proto\", "
         "\"syntax\": \"proto3\", \"messages\": [{\"name\": \"M\", \"fields\": [{\"name\": \"x\", "
         "\"number\": -1, \"type\": \"int32\"}]}]}]}",
         "api.lock: files[0].messages[0].fields[0].number: must be an integer from 1"},
        {"\x1b[2J\x1b[31mgarbage\x07", "not a ferry lock file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        file_write(lock, cases[i].text, strlen(cases[i].text));
        expect_run((const char *[]){"check", "--lock", lock, good, NULL}, 2, "", cases[i].err);
        expect_run((const char *[]){"lock", lock, NULL}, 2, "", cases[i].err);
    }
    free(lock);
    tmpdir_remove(dir);
}

static void test_lock_output(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char *lock = path_join(dir, "schema.lock");
    expect_run((const char *[]){"lock", CASE("safe_methods", "new"), "-o", lock, NULL}, 0, "", "");
    size_t len = 0;
    char *text = file_read(lock, &len);
    assert_non_null(text);
    assert_true(strncmp(text, "{\"format\": \"ferry-lock\", \"version\": 1,", 38) == 0);
    /* The lock names the file, the element and its line. */
    assert_non_null(strstr(text,
                           "{\"name\": \"Restock\", \"input\": \"inventory.v1.Sku\", "
                           "\"output\": \"inventory.v1.Stock\", \"since\": 2, \"line\": 22}"));
    /* Writing over it again gives the same bytes; a failed write leaves it. */
    expect_run((const char *[]){"lock", CASE("safe_methods", "new"), "--output", lock, NULL}, 0, "",
               "");
    char *again = file_read(lock, NULL);
    assert_string_equal(text, again);
    expect_run((const char *[]){"lock", INPUT("bad_syntax"), "-o", lock, NULL}, 2, "",
               "protoc could not compile it");
    free(again);
    again = file_read(lock, NULL);
    assert_string_equal(text, again);
    /* A directory that does not exist cannot hold it. */
    expect_run((const char *[]){"lock", CASE("safe_methods", "new"), "-o",
                                "/nonexistent/dir/schema.lock", NULL},
               2, "", "ferry lock: /nonexistent/dir/schema.lock: No such file or directory");
    free(again);
    free(text);
    free(lock);
    tmpdir_remove(dir);
}

static void test_import_dirs(void **state)
{
    (void)state;
    const char *tree = INPUT("imports/tree");
    expect_run((const char *[]){"check", tree, tree, NULL}, 2, "",
               "common/money.proto: File not found");
    expect_run((const char *[]){"check", "-I", INPUT("imports/lib"), tree, tree, NULL}, 0,
               "no changes\n", "");
    /* The imported file is part of the schema: its messages are locked. */
    run_result r;
    run_ferry((const char *[]){"lock", "--proto_path", INPUT("imports/lib"), tree, NULL}, &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "{\"name\": \"common/money.proto\", \"package\": \"common.v1\""));
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),         cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_exit_status),  cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_warnings),     cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_corrupt_lock), cmocka_unit_test(test_lock_output),
        cmocka_unit_test(test_import_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
