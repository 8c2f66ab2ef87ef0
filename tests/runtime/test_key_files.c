/* test_key_files.c - keyring lines and key files that are refused, each
 * with its reason and place: the roles of a keyring entry (the roles=
 * prefix, each role's name, at most 32 roles, none twice, at least one),
 * files that are not regular or have a line too long, missing arguments,
 * and key writes that cannot go where they are asked to. */
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

#include "ferry/ferry.h"

typedef struct fixture {
    char dir[64], path[128], sec[128], pub[128];
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key *key;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-keyfiles-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/file", f->dir);
    snprintf(f->sec, sizeof f->sec, "%s/k.key", f->dir);
    snprintf(f->pub, sizeof f->pub, "%s/k.pub", f->dir);
    assert_int_equal(ferry_key_generate(&f->key, "k"), FERRY_OK);
    ferry_key_public_b64(f->key, f->b64);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->path);
    unlink(f->sec);
    unlink(f->pub);
    rmdir(f->dir);
    ferry_key_free(f->key);
    free(f);
    return 0;
}

static void write_file(fixture *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(f->path, 0600), 0);
}

/* Loads the fixture's file as a keyring whose line 2 is alice's key with
 * `roles`; returns the status, the reason in ferry_last_error(). */
static ferry_status keyring_with_roles(fixture *f, const char *roles)
{
    char text[2048];
    snprintf(text, sizeof text, "# first line\nalice %s %s\n", f->b64, roles);
    write_file(f, text);
    ferry_keyring *kr = NULL;
    ferry_status st = ferry_keyring_load(&kr, f->path);
    if (st == FERRY_OK)
        assert_int_equal(ferry_keyring_size(kr), 1);
    else
        assert_null(kr);
    ferry_keyring_free(kr);
    return st;
}

static void assert_says(const fixture *f, const char *what)
{
    (void)f;
    if (strstr(ferry_last_error(), what) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", ferry_last_error(), what);
}

/* The third word of a keyring line must start with roles=; anything else
 * there is refused, naming the line. */
static void test_roles_need_their_prefix(void **state)
{
    fixture *f = *state;
    assert_int_equal(keyring_with_roles(f, "role=reader"), FERRY_INVALID_ARGUMENT);
    assert_says(f, ":2: expected roles=ROLE[,ROLE...] after the key");
}

/* Each role is a name of 1 to 64 characters from the name alphabet: a
 * role with another character, or one too long, is refused. */
static void test_bad_role_names_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(keyring_with_roles(f, "roles=reader,ad/min"), FERRY_INVALID_ARGUMENT);
    assert_says(f, ":2: bad role name");
    char roles[128];
    snprintf(roles, sizeof roles, "roles=%065d", 0);
    assert_int_equal(keyring_with_roles(f, roles), FERRY_INVALID_ARGUMENT);
    assert_says(f, "bad role name");
    snprintf(roles, sizeof roles, "roles=%064d", 0);
    assert_int_equal(keyring_with_roles(f, roles), FERRY_OK); /* 64 is the most */
}

/* An entry holds at most 32 roles: 32 load, 33 are refused. */
static void test_at_most_32_roles(void **state)
{
    fixture *f = *state;
    char roles[512] = "roles=r0";
    for (int i = 1; i < 32; i++)
        snprintf(roles + strlen(roles), sizeof roles - strlen(roles), ",r%d", i);
    assert_int_equal(keyring_with_roles(f, roles), FERRY_OK);
    strcat(roles, ",r32");
    assert_int_equal(keyring_with_roles(f, roles), FERRY_INVALID_ARGUMENT);
    assert_says(f, ":2: too many roles (at most 32)");
}

/* A role listed twice, and roles= with no role, are refused. */
static void test_duplicate_and_empty_roles_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(keyring_with_roles(f, "roles=reader,writer,reader"), FERRY_INVALID_ARGUMENT);
    assert_says(f, "a role is listed twice");
    assert_int_equal(keyring_with_roles(f, "roles=,"), FERRY_INVALID_ARGUMENT);
    assert_says(f, "roles= lists no role");
}

/* A key file whose first line goes on past 4 KiB is refused as too long,
 * rather than read in pieces. */
static void test_key_line_too_long(void **state)
{
    fixture *f = *state;
    static char text[5000];
    memset(text, 'A', sizeof text - 2);
    memcpy(text, "ferry-public-key-v1 k ", 22);
    text[sizeof text - 2] = '\n';
    write_file(f, text);
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, f->path), FERRY_INVALID_ARGUMENT);
    assert_null(k);
    assert_says(f, "first line is too long");
}

/* A directory is not a key file: as a secret key, a public key or a
 * keyring it is refused as not a regular file, before anything is read. */
static void test_directory_is_not_a_key_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->path, 0700), 0);
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_secret(&k, f->path), FERRY_INVALID_ARGUMENT);
    assert_says(f, "not a regular file");
    assert_int_equal(ferry_key_load_public(&k, f->path), FERRY_INVALID_ARGUMENT);
    assert_says(f, "not a regular file");
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, f->path), FERRY_INVALID_ARGUMENT);
    assert_says(f, "not a regular file");
    assert_null(k);
    assert_null(kr);
}

/* A public key file passed where a secret one is expected is named for
 * what it is. */
static void test_public_file_as_secret_named(void **state)
{
    fixture *f = *state;
    char text[128];
    snprintf(text, sizeof text, "ferry-public-key-v1 k %s\n", f->b64);
    write_file(f, text);
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_secret(&k, f->path), FERRY_INVALID_ARGUMENT);
    assert_says(f, "is a \"ferry-public-key-v1\" file, not \"ferry-secret-key-v1\"");
}

/* No path, or nowhere to put the result, is refused with a reason rather
 * than read from NULL; so is writing a key without a secret half or
 * without file names. */
static void test_missing_arguments_refused(void **state)
{
    fixture *f = *state;
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, NULL), FERRY_INVALID_ARGUMENT);
    assert_says(f, "no key file given");
    assert_int_equal(ferry_key_load_secret(NULL, f->path), FERRY_INVALID_ARGUMENT);
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, NULL), FERRY_INVALID_ARGUMENT);
    assert_says(f, "no keyring file given");
    assert_int_equal(ferry_key_write(f->key, NULL, f->pub), FERRY_INVALID_ARGUMENT);
    assert_says(f, "ferry_key_write: no file name given");

    assert_int_equal(ferry_key_write(f->key, f->sec, f->pub), FERRY_OK);
    assert_int_equal(ferry_key_load_public(&k, f->pub), FERRY_OK);
    char other_sec[160], other_pub[160];
    snprintf(other_sec, sizeof other_sec, "%s.2", f->sec);
    snprintf(other_pub, sizeof other_pub, "%s.2", f->pub);
    assert_int_equal(ferry_key_write(k, other_sec, other_pub), FERRY_INVALID_ARGUMENT);
    assert_int_equal(access(other_sec, F_OK), -1); /* nothing written */
    ferry_key_free(k);
}

/* A secret key file that exists is never overwritten; a public key file
 * that cannot be created is named in the error. */
static void test_key_write_refusals(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_key_write(f->key, f->sec, f->pub), FERRY_OK);
    assert_int_equal(ferry_key_write(f->key, f->sec, f->pub), FERRY_ALREADY_EXISTS);
    assert_says(f, "cannot create the secret key file");
    char pub[160];
    snprintf(pub, sizeof pub, "%s/no-such-dir/k.pub", f->dir);
    assert_int_equal(ferry_key_write(f->key, f->path, pub), FERRY_PERMISSION_DENIED);
    assert_says(f, "cannot create the public key file");
    assert_says(f, "no-such-dir/k.pub");
}

/* A write that fails at the public key file leaves no secret key file
 * behind: the pair is written whole or not at all, and writing it again
 * to a good place succeeds. */
static void test_failed_write_leaves_no_secret_file(void **state)
{
    fixture *f = *state;
    char pub[160];
    snprintf(pub, sizeof pub, "%s/no-such-dir/k.pub", f->dir);
    assert_int_equal(ferry_key_write(f->key, f->sec, pub), FERRY_PERMISSION_DENIED);
    assert_int_equal(access(f->sec, F_OK), -1);
    assert_int_equal(ferry_key_write(f->key, f->sec, "/dev/full"), FERRY_INTERNAL);
    assert_int_equal(access(f->sec, F_OK), -1);
    assert_int_equal(ferry_key_write(f->key, f->sec, f->pub), FERRY_OK);
    assert_int_equal(access(f->sec, F_OK), 0);
}

/* A public key file that cannot be written out (the disk is full) is a
 * failure naming the file, not a key written in half. */
static void test_public_key_write_failure_named(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_key_write(f->key, f->sec, "/dev/full"), FERRY_INTERNAL);
    assert_says(f, "/dev/full: writing failed");
}

/* A secret key file anyone but its owner may read or write is refused,
 * naming its mode: group or others, read or write, each alone. */
static void test_secret_file_open_to_others_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_key_write(f->key, f->sec, f->pub), FERRY_OK);
    static const mode_t modes[] = {0640, 0620, 0604, 0602, 0660};
    ferry_key *k = NULL;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(chmod(f->sec, modes[i]), 0);
        assert_int_equal(ferry_key_load_secret(&k, f->sec), FERRY_PERMISSION_DENIED);
        assert_null(k);
        assert_says(f, "secret key file is accessible by others");
    }
    assert_int_equal(chmod(f->sec, 0600), 0);
    assert_int_equal(ferry_key_load_secret(&k, f->sec), FERRY_OK);
    assert_memory_equal(ferry_key_public(k), ferry_key_public(f->key), FERRY_PUBLIC_KEY_BYTES);
    ferry_key_free(k);
}

/* A secret key file whose public half is not the one its seed derives
 * (one byte changed) is refused as corrupt: it would sign as one key and
 * claim to be another. */
static void test_secret_halves_must_match(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_key_write(f->key, f->sec, f->pub), FERRY_OK);
    char line[256] = {0};
    FILE *fp = fopen(f->sec, "r");
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    /* "ferry-secret-key-v1 k BASE64": the last base64 characters before
     * the padding encode the public half's last bytes. */
    char *end = strchr(line, '=');
    assert_non_null(end);
    end[-2] = end[-2] == 'A' ? 'B' : 'A';
    write_file(f, line);
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_secret(&k, f->path), FERRY_INVALID_ARGUMENT);
    assert_null(k);
    assert_says(f, "corrupt secret key (its public half does not match its seed)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roles_need_their_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_role_names_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_most_32_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_and_empty_roles_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_line_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_is_not_a_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_file_as_secret_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_arguments_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_write_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_key_write_failure_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_leaves_no_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file_open_to_others_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_halves_must_match, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
