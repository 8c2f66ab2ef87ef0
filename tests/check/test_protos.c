/* test_protos.c - a schema from a tree of .proto files: which files below
 * a directory are read (nested directories yes; hidden ones and links to
 * directories no), and how each way protoc can fail is told to the user:
 * not found, killed, failing to compile, or leaving no output. The protoc
 * stand-ins are small shell scripts written for the test. */
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

#include "ferry_check.h"

typedef struct tree {
    char root[64];
    char path[512];
} tree;

/* Writes `text` to root/rel, making the directories on the way. */
static void put(tree *t, const char *rel, const char *text)
{
    snprintf(t->path, sizeof t->path, "%s/%s", t->root, rel);
    for (char *p = t->path + strlen(t->root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(t->path, 0700);
        *p = '/';
    }
    FILE *f = fopen(t->path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* A protoc stand-in: a shell script with body `body`, made executable. */
static const char *fake_protoc(tree *t, const char *body)
{
    char text[256];
    snprintf(text, sizeof text, "#!/bin/sh\n%s\n", body);
    put(t, "bin/protoc", text);
    assert_int_equal(chmod(t->path, 0700), 0);
    return t->path;
}

static int setup(void **state)
{
    tree *t = calloc(1, sizeof *t);
    assert_non_null(t);
    snprintf(t->root, sizeof t->root, "/tmp/ferry-protos-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tree *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static ferry_check_status load(const char *path, const char *protoc, ferry_schema **s)
{
    ferry_protoc_opts opts = {.protoc = protoc != NULL ? protoc : FERRY_PROTOC};
    return ferry_schema_load_protos(path, &opts, s);
}

/* The schema's lock file text, for looking at what was read. */
static char *lock_text(const ferry_schema *s)
{
    size_t len = 0;
    char *text = ferry_schema_write_lock(s, &len);
    assert_non_null(text);
    return text;
}

/* Files in nested directories are read, named relative to the root; a
 * hidden directory and a link to a directory are not (a link would read
 * the same file twice under two names). */
static void test_nested_tree(void **state)
{
    tree *t = *state;
    put(t, "src/top.proto", "syntax = \"proto3\";\npackage top;\nmessage Top { int32 a = 1; }\n");
    put(t, "src/a/b/deep.proto",
        "syntax = \"proto3\";\npackage deep;\nmessage Deep { string s = 1; }\n");
    put(t, "src/.hidden/broken.proto", "this is not a proto file\n");
    put(t, "src/notes.txt", "not a .proto file\n");
    char dir[160], link[160];
    snprintf(dir, sizeof dir, "%s/src/a", t->root);
    snprintf(link, sizeof link, "%s/src/again", t->root);
    assert_int_equal(symlink(dir, link), 0);

    snprintf(dir, sizeof dir, "%s/src", t->root);
    ferry_schema *s = NULL;
    assert_int_equal(load(dir, NULL, &s), FERRY_CHECK_OK);
    char *text = lock_text(s);
    assert_non_null(strstr(text, "a/b/deep.proto"));
    assert_non_null(strstr(text, "top.proto"));
    assert_non_null(strstr(text, "\"name\": \"Deep\""));
    assert_null(strstr(text, "again/"));
    assert_null(strstr(text, "broken"));
    free(text);
    ferry_schema_free(s);
}

/* One .proto file is read on its own, named relative to its directory. */
static void test_single_file(void **state)
{
    tree *t = *state;
    put(t, "one/only.proto", "syntax = \"proto3\";\npackage only;\nmessage Only {}\n");
    ferry_schema *s = NULL;
    assert_int_equal(load(t->path, NULL, &s), FERRY_CHECK_OK);
    char *text = lock_text(s);
    assert_non_null(strstr(text, "only.proto"));
    assert_null(strstr(text, "one/only.proto"));
    free(text);
    ferry_schema_free(s);
}

/* A directory with no .proto file below it is bad input, said so. */
static void test_empty_tree(void **state)
{
    tree *t = *state;
    put(t, "empty/README", "nothing here\n");
    char dir[160];
    snprintf(dir, sizeof dir, "%s/empty", t->root);
    ferry_schema *s = NULL;
    assert_int_equal(load(dir, NULL, &s), FERRY_CHECK_BAD_INPUT);
    assert_null(s);
    assert_non_null(strstr(ferry_check_last_error(), "no .proto files below it"));
}

/* Each way protoc can fail is its own message: a program that cannot be
 * run (exit status 127), one killed by a signal, a schema it cannot
 * compile (bad input, not a system failure), and an exit with success but
 * no descriptor set written. */
static void test_protoc_failures(void **state)
{
    tree *t = *state;
    put(t, "src/x.proto", "syntax = \"proto3\";\npackage x;\nmessage X {}\n");
    char dir[160];
    snprintf(dir, sizeof dir, "%s/src", t->root);
    ferry_schema *s = NULL;

    assert_int_equal(load(dir, fake_protoc(t, "exit 127"), &s), FERRY_CHECK_SYSTEM);
    assert_non_null(strstr(ferry_check_last_error(), "it exited with status 127 (not found)"));

    assert_int_equal(load(dir, fake_protoc(t, "kill -KILL $$"), &s), FERRY_CHECK_SYSTEM);
    assert_non_null(strstr(ferry_check_last_error(), "was killed by signal 9"));

    assert_int_equal(load(dir, fake_protoc(t, "exit 1"), &s), FERRY_CHECK_BAD_INPUT);
    assert_non_null(strstr(ferry_check_last_error(), "protoc could not compile it (exit status 1"));

    assert_int_equal(load(dir, fake_protoc(t, "exit 0"), &s), FERRY_CHECK_SYSTEM);
    assert_non_null(strstr(ferry_check_last_error(), "cannot read protoc's output"));
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nested_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protoc_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
