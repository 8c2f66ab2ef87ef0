/* test_new.c - `ferry new`, run as a user would: the files it writes and the
 * names it refuses before writing anything. (tests/install/run_new.cmake
 * builds and tests what it writes against an installed ferry.) */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <dirent.h>
#include <ftw.h>
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
    char work[300]; /* where projects are written: dir/work */
    char out[8192];
    char err[8192];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    cli_tmpdir(f->dir, sizeof f->dir, "ferry-new");
    snprintf(f->work, sizeof f->work, "%s/work", f->dir);
    assert_int_equal(mkdir(f->work, 0700), 0);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    assert_int_equal(nftw(f->work, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    cli_rmdir(f->dir);
    free(f);
    return 0;
}

/* Runs `ferry new ARGS...` (NULL-terminated); its exit status. */
static int run_new(fixture *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int status = cli_runv(f->dir, f->out, sizeof f->out, f->err, sizeof f->err, "new", ap);
    va_end(ap);
    return status;
}

/* How many entries f->work has (hidden ones included). */
static int entries(const fixture *f)
{
    DIR *d = opendir(f->work);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char file_text[65536];

/* The text of `rel` in the project at `proj`; asserts it exists. */
static const char *project_file(const char *proj, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", proj, rel);
    cli_slurp(path, file_text, sizeof file_text);
    return file_text;
}

/* Fails when `text` still holds a template placeholder (@word@). */
static void assert_expanded(const char *rel, const char *text)
{
    for (const char *p = strchr(text, '@'); p != NULL; p = strchr(p + 1, '@')) {
        const char *q = p + 1;
        while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_')
            q++;
        if (*q == '@' && q > p + 1)
            fail_msg("%s still holds the placeholder %.*s", rel, (int)(q - p + 1), p);
    }
}

/* `ferry new service` writes the whole project, every placeholder filled
 * with names that follow the package and the generator's naming. */
static void test_service_project_written(void **state)
{
    fixture *f = *state;
    char proj[512];
    snprintf(proj, sizeof proj, "%s/orders", f->work);
    assert_int_equal(
        run_new(f, "service", "order_book", "--package", "shop.orders.v2", "--dir", proj, NULL), 0);
    assert_contains(f->out, "OrderBook");
    const char *files[] = {
        "CMakeLists.txt",
        "README.md",
        ".gitignore",
        "proto/shop/orders/v2/order_book.proto",
        "src/handlers.h",
        "src/handlers.c",
        "src/main.c",
        "client/order_book_client.h",
        "client/order_book_client.c",
        "tests/test_client_mock.c",
        "tests/test_handlers_local.c",
        "tests/test_server_ipc.c",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_expanded(files[i], project_file(proj, files[i]));
    const char *proto = project_file(proj, "proto/shop/orders/v2/order_book.proto");
    assert_contains(proto, "package shop.orders.v2;");
    assert_contains(proto, "service OrderBook {");
    assert_contains(proto, "roles: \"writer\"");
    const char *handlers = project_file(proj, "src/handlers.c");
    assert_contains(handlers, "shop_orders_v2_order_book_handlers");
    assert_contains(handlers, "Shop__Orders__V2__GetNoteRequest");
    assert_contains(project_file(proj, "client/order_book_client.c"),
                    "SHOP__ORDERS__V2__GET_NOTE_REQUEST__INIT");
    assert_contains(project_file(proj, "src/main.c"), "ORDER_BOOK_LISTEN");
    assert_contains(project_file(proj, "CMakeLists.txt"), "find_package(ferry");
}

/* Without --package the package is NAME.v1, and without --dir the project
 * goes to ./NAME. */
static void test_service_defaults(void **state)
{
    fixture *f = *state;
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->work), 0);
    int status = run_new(f, "service", "notes", NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(status, 0);
    char proj[512];
    snprintf(proj, sizeof proj, "%s/notes", f->work);
    assert_contains(project_file(proj, "proto/notes/v1/notes.proto"), "package notes.v1;");
}

/* A NAME that would make a bad C identifier or file name is refused with
 * its reason, and nothing is written. */
static void test_bad_names_refused(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name, *why;
    } cases[] = {
        {"Notes", "lower-case letter"},
        {"9lives", "lower-case letter"},
        {"order-book", "a-z, 0-9 and '_'"},
        {"order__book", "doubled"},
        {"notes_", "come last"},
        {"switch", "keyword"},
        {"errno", "macro"},
        {"ferry", "every project imports"},
        {"", "empty"},
        {"a_name_that_goes_on_far_longer_than_forty_chars", "longer than 40"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char proj[512];
        snprintf(proj, sizeof proj, "%s/p%zu", f->work, i);
        assert_int_equal(run_new(f, "service", cases[i].name, "--dir", proj, NULL), 2);
        assert_contains(f->err, cases[i].why);
        assert_int_equal(entries(f), 0);
    }
}

/* A NAME whose service would have the name of a message the schema
 * declares (protoc refuses the schema) is refused, naming the message, and
 * nothing is written. */
static void test_template_message_names_refused(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name, *message;
    } cases[] = {
        {"note", "a message Note,"},
        {"get_note_request", "a message GetNoteRequest,"},
        {"put_note_reply", "a message PutNoteReply,"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char proj[512];
        snprintf(proj, sizeof proj, "%s/p%zu", f->work, i);
        assert_int_equal(run_new(f, "service", cases[i].name, "--dir", proj, NULL), 2);
        assert_contains(f->err, "cannot name a service");
        assert_contains(f->err, cases[i].message);
        assert_int_equal(entries(f), 0);
    }
}

/* A package that is not versioned, not lower-case dotted parts, or one of
 * ferry's or protobuf's is refused, and nothing is written. */
static void test_bad_packages_refused(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *pkg, *why;
    } cases[] = {
        {"notes", "major version"},
        {"notes.v0", "major version"},
        {"notes.version1", "major version"},
        {"Notes.v1", "lower-case letter"},
        {".v1", "single dots"},
        {"notes..v1", "single dots"},
        {"ferry.notes.v1", "taken"},
        {"google.v1", "taken"},
        {"shop.default.v1", "keyword"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char proj[512];
        snprintf(proj, sizeof proj, "%s/p%zu", f->work, i);
        assert_int_equal(
            run_new(f, "service", "notes", "--package", cases[i].pkg, "--dir", proj, NULL), 2);
        assert_contains(f->err, cases[i].why);
        assert_int_equal(entries(f), 0);
    }
}

/* An existing directory, even an empty one, is never written into. */
static void test_existing_dir_refused(void **state)
{
    fixture *f = *state;
    char proj[512];
    snprintf(proj, sizeof proj, "%s/notes", f->work);
    assert_int_equal(mkdir(proj, 0700), 0);
    assert_int_equal(run_new(f, "service", "notes", "--dir", proj, NULL), 2);
    assert_contains(f->err, "already exists");
    assert_int_equal(entries(f), 1);
    DIR *d = opendir(proj);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n++;
    closedir(d);
    assert_int_equal(n, 2); /* . and .. */
}

/* A --dir written with a trailing slash names the same directory. */
static void test_dir_with_trailing_slash(void **state)
{
    fixture *f = *state;
    char proj[512];
    snprintf(proj, sizeof proj, "%s/notes//", f->work);
    assert_int_equal(run_new(f, "service", "notes", "--dir", proj, NULL), 0);
    snprintf(proj, sizeof proj, "%s/notes", f->work);
    assert_contains(project_file(proj, "proto/notes/v1/notes.proto"), "package notes.v1;");
    assert_int_equal(entries(f), 1);
}

/* A --dir whose parent does not exist is refused, naming the parent. */
static void test_missing_parent_refused(void **state)
{
    fixture *f = *state;
    char proj[512];
    snprintf(proj, sizeof proj, "%s/no/such/notes", f->work);
    assert_int_equal(run_new(f, "service", "notes", "--dir", proj, NULL), 2);
    assert_contains(f->err, "no such directory");
    assert_int_equal(entries(f), 0);
}

/* Usage errors: nothing to make, an unknown kind, options of the other kind. */
static void test_bad_usage(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_new(f, NULL), 2);
    assert_contains(f->err, "service or client");
    assert_int_equal(run_new(f, "widget", "notes", NULL), 2);
    assert_contains(f->err, "service or client");
    assert_int_equal(run_new(f, "service", "notes", "--proto", "x.proto", NULL), 2);
    assert_contains(f->err, "for clients");
    assert_int_equal(run_new(f, "client", "notes", NULL), 2);
    assert_contains(f->err, "--proto");
    assert_int_equal(run_new(f, "client", "notes", "--package", "a.v1", "--proto", "x.proto", NULL),
                     2);
    assert_int_equal(entries(f), 0);
}

/* `ferry new client` writes a client project of the service in a .proto,
 * with the schema at its package's path and its example calling the
 * service's read-only method. */
static void test_client_project_written(void **state)
{
    fixture *f = *state;
    char svc[512], cli[512], proto[600];
    snprintf(svc, sizeof svc, "%s/notes", f->work);
    snprintf(cli, sizeof cli, "%s/reader", f->work);
    snprintf(proto, sizeof proto, "%s/proto/notes/v1/notes.proto", svc);
    assert_int_equal(run_new(f, "service", "notes", "--dir", svc, NULL), 0);
    assert_int_equal(run_new(f, "client", "reader", "--proto", proto, "--dir", cli, NULL), 0);
    assert_contains(f->out, "GetNote");
    const char *files[] = {"CMakeLists.txt",
                           "README.md",
                           ".gitignore",
                           "client/reader_client.h",
                           "client/reader_client.c",
                           "src/main.c",
                           "tests/test_client_mock.c"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_expanded(files[i], project_file(cli, files[i]));
    assert_contains(project_file(cli, "proto/notes/v1/notes.proto"), "service Notes {");
    assert_contains(project_file(cli, "client/reader_client.c"), "notes_v1_notes_get_note(");
    assert_contains(project_file(cli, "client/reader_client.h"), "notes/v1/notes.ferry.h");
}

/* A client project holds one .proto: a schema that imports others of its
 * own is refused with the import named, and nothing is written. */
static void test_client_refuses_other_imports(void **state)
{
    fixture *f = *state;
    char proto[512], cli[512];
    snprintf(proto, sizeof proto, "%s/two.proto", f->dir);
    FILE *p = fopen(proto, "w");
    assert_non_null(p);
    fputs("syntax = \"proto3\";\npackage two.v1;\nimport \"one/v1/one.proto\";\n", p);
    assert_int_equal(fclose(p), 0);
    snprintf(cli, sizeof cli, "%s/two", f->work);
    assert_int_equal(run_new(f, "client", "two", "--proto", proto, "--dir", cli, NULL), 2);
    assert_contains(f->err, "one/v1/one.proto");
    assert_int_equal(entries(f), 0);
    remove(proto);
}

/* A schema importing one of protobuf's well-known types, whose C code the
 * project could not build, is refused with the import named, and nothing is
 * written. */
static void test_client_refuses_well_known_types(void **state)
{
    fixture *f = *state;
    char proto[512], cli[512];
    snprintf(proto, sizeof proto, "%s/clock.proto", f->dir);
    FILE *p = fopen(proto, "w");
    assert_non_null(p);
    fputs("syntax = \"proto3\";\npackage clock.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
          p);
    assert_int_equal(fclose(p), 0);
    snprintf(cli, sizeof cli, "%s/clock", f->work);
    assert_int_equal(run_new(f, "client", "clock", "--proto", proto, "--dir", cli, NULL), 2);
    assert_contains(f->err, "imports \"google/protobuf/timestamp.proto\"");
    assert_contains(f->err, "well-known types");
    assert_int_equal(entries(f), 0);
    remove(proto);
}

/* A .proto protoc cannot compile is refused with protoc's words. */
static void test_client_bad_schema_refused(void **state)
{
    fixture *f = *state;
    char proto[512], cli[512];
    snprintf(proto, sizeof proto, "%s/bad.proto", f->dir);
    FILE *p = fopen(proto, "w");
    assert_non_null(p);
    fputs("syntax = \"proto3\";\nmessage {\n", p);
    assert_int_equal(fclose(p), 0);
    snprintf(cli, sizeof cli, "%s/bad", f->work);
    assert_int_equal(run_new(f, "client", "bad", "--proto", proto, "--dir", cli, NULL), 2);
    assert_contains(f->err, "bad.proto");
    assert_int_equal(entries(f), 0);
    remove(proto);
}

/* What `ferry new` writes is C as the project formats it (clang-format with
 * the repository's .clang-format), for names of an everyday length. */
static void test_written_code_is_formatted(void **state)
{
    fixture *f = *state;
#ifdef FERRY_CLANG_FORMAT
    char svc[512], cli[512], proto[600];
    snprintf(svc, sizeof svc, "%s/notes", f->work);
    snprintf(cli, sizeof cli, "%s/reader", f->work);
    snprintf(proto, sizeof proto, "%s/proto/notes/v1/notes.proto", svc);
    assert_int_equal(run_new(f, "service", "notes", "--dir", svc, NULL), 0);
    assert_int_equal(run_new(f, "client", "reader", "--proto", proto, "--dir", cli, NULL), 0);
    const char *files[] = {"notes/src/handlers.c",
                           "notes/src/handlers.h",
                           "notes/src/main.c",
                           "notes/client/notes_client.c",
                           "notes/client/notes_client.h",
                           "notes/tests/test_client_mock.c",
                           "notes/tests/test_handlers_local.c",
                           "notes/tests/test_server_ipc.c",
                           "reader/client/reader_client.c",
                           "reader/client/reader_client.h",
                           "reader/src/main.c",
                           "reader/tests/test_client_mock.c"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "'%s' --style=file:'%s/.clang-format' '%s/%s' | cmp -s - '%s/%s'",
                 FERRY_CLANG_FORMAT, FERRY_SOURCE_DIR, f->work, files[i], f->work, files[i]);
        if (system(cmd) != 0)
            fail_msg("%s is not as clang-format writes it", files[i]);
    }
#else
    (void)f;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_service_project_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_template_message_names_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_packages_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_with_trailing_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_parent_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_project_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_refuses_other_imports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_refuses_well_known_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_bad_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_written_code_is_formatted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
