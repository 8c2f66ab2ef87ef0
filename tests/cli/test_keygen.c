/* test_keygen.c - `ferry keygen` writes key files the runtime loads, with
 * the secret one private; it refuses to replace keys and bad names; and the
 * runtime refuses damaged key files and keyrings with a message that names
 * the file (and line) and what is wrong. */
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

#include "ferry/identity.h"

#include "cli_run.h"

typedef struct fixture {
    char dir[256];
    char out[8192]; /* stdout of the last run */
    char err[8192]; /* stderr of the last run */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    cli_tmpdir(f->dir, sizeof f->dir, "ferry-keygen");
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

static void path_in(const fixture *f, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0); /* whatever the umask */
    close(fd);
}

/* Runs `ferry ARGS...` (NULL-terminated) and returns its exit status, with
 * its output in f->out and f->err. */
static int run_ferry(fixture *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int status = cli_runv(f->dir, f->out, sizeof f->out, f->err, sizeof f->err, NULL, ap);
    va_end(ap);
    return status;
}

/* ---- keygen ---- */

static void test_writes_loadable_private_keys(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_ferry(f, "keygen", "shop", "-o", f->dir, "--roles", "shop,audit", NULL),
                     0);
    char sk_path[300], pk_path[300];
    path_in(f, "shop.key", sk_path, sizeof sk_path);
    path_in(f, "shop.pub", pk_path, sizeof pk_path);

    struct stat sb;
    assert_int_equal(stat(sk_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    ferry_key *sk = NULL, *pk = NULL;
    assert_int_equal(ferry_key_load_secret(&sk, sk_path), FERRY_OK);
    assert_int_equal(ferry_key_load_public(&pk, pk_path), FERRY_OK);
    assert_string_equal(ferry_key_name(sk), "shop");
    assert_true(ferry_key_has_secret(sk));
    assert_false(ferry_key_has_secret(pk));
    assert_memory_equal(ferry_key_public(sk), ferry_key_public(pk), FERRY_PUBLIC_KEY_BYTES);

    /* The printed keyring line is one a server accepts. */
    char b64[FERRY_PUBLIC_KEY_B64], line[256];
    ferry_key_public_b64(pk, b64);
    snprintf(line, sizeof line, "shop %s roles=shop,audit\n", b64);
    assert_contains(f->out, line);
    char kr_path[300];
    path_in(f, "keyring", kr_path, sizeof kr_path);
    write_file(kr_path, line, 0644);
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, kr_path), FERRY_OK);
    assert_int_equal(ferry_keyring_size(kr), 1);
    ferry_keyring_free(kr);
    ferry_key_free(sk);
    ferry_key_free(pk);
}

static void test_refuses_to_overwrite(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_ferry(f, "keygen", "srv", "-o", f->dir, NULL), 0);
    char sk_path[300], before[512], after[512];
    path_in(f, "srv.key", sk_path, sizeof sk_path);
    cli_slurp(sk_path, before, sizeof before);

    assert_int_equal(run_ferry(f, "keygen", "srv", "-o", f->dir, NULL), 2);
    assert_contains(f->err, sk_path);
    assert_contains(f->err, "already exists");
    cli_slurp(sk_path, after, sizeof after);
    assert_string_equal(before, after);

    /* A public key left alone is not replaced either. */
    char other[300];
    path_in(f, "srv.key", other, sizeof other);
    unlink(other);
    assert_int_equal(run_ferry(f, "keygen", "srv", "-o", f->dir, NULL), 2);
    assert_contains(f->err, "srv.pub");

    /* --force makes a new one. */
    assert_int_equal(run_ferry(f, "keygen", "srv", "-o", f->dir, "--force", NULL), 0);
    cli_slurp(sk_path, after, sizeof after);
    assert_string_not_equal(before, after);
}

static void test_bad_usage(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_ferry(f, "keygen", "../evil", "-o", f->dir, NULL), 2);
    assert_contains(f->err, "bad key name '../evil'");
    assert_int_equal(run_ferry(f, "keygen", "", "-o", f->dir, NULL), 2);
    /* Names that would be hidden files, the directory itself or its
     * parent, or read as an option. */
    const char *leading[] = {".", "..", ".hidden", "-x"};
    for (size_t i = 0; i < sizeof leading / sizeof leading[0]; i++) {
        assert_int_equal(run_ferry(f, "keygen", "-o", f->dir, "--", leading[i], NULL), 2);
        assert_contains(f->err, "must not start with '.' or '-'");
    }
    assert_contains(f->err, "bad key name");
    assert_int_equal(run_ferry(f, "keygen", "ok", "--roles", "a,,b", "-o", f->dir, NULL), 2);
    assert_contains(f->err, "bad --roles 'a,,b'");
    assert_int_equal(run_ferry(f, "keygen", NULL), 2);
    assert_contains(f->err, "no key name given");
    assert_int_equal(run_ferry(f, "keygen", "a", "b", NULL), 2);
    assert_contains(f->err, "unexpected argument 'b'");
    assert_int_equal(run_ferry(f, "keygen", "--bogus", NULL), 2);
    assert_int_equal(run_ferry(f, "nosuch", NULL), 2);
    assert_contains(f->err, "no command 'nosuch'");
    assert_int_equal(run_ferry(f, "keygen", "--help", NULL), 0);
    assert_contains(f->out, "usage: ferry keygen");

    /* A missing parent of -o DIR is not made. */
    char missing[300];
    path_in(f, "missing/sub", missing, sizeof missing);
    assert_int_equal(run_ferry(f, "keygen", "k", "-o", missing, NULL), 2);
    assert_contains(f->err, "cannot create");
    assert_contains(f->err, "missing/sub/: parent ");
    assert_contains(f->err, "/missing does not exist");

    /* -o naming a file. */
    char file[300];
    path_in(f, "file", file, sizeof file);
    write_file(file, "x", 0600);
    assert_int_equal(run_ferry(f, "keygen", "k", "-o", file, NULL), 2);
    assert_contains(f->err, "exists and is not a directory");
}

/* -o DIR makes DIR (mode 0700) when it is missing, as README's step 8 does
 * on a fresh checkout. */
static void test_out_dir_made(void **state)
{
    fixture *f = *state;
    char keys[300], secret[320], pub[320];
    path_in(f, "keys", keys, sizeof keys);
    assert_int_equal(run_ferry(f, "keygen", "shop", "--roles", "shop", "-o", keys, NULL), 0);
    struct stat sb;
    assert_int_equal(stat(keys, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(secret, sizeof secret, "%s/shop.key", keys);
    snprintf(pub, sizeof pub, "%s/shop.pub", keys);
    assert_int_equal(stat(secret, &sb), 0);
    assert_int_equal(stat(pub, &sb), 0);
    /* Its report cannot be written: exit 2, though the files are there. */
    struct stat full;
    if (stat("/dev/full", &full) == 0 && S_ISCHR(full.st_mode)) {
        cli_set_stdout("/dev/full");
        assert_int_equal(run_ferry(f, "keygen", "other", "-o", keys, NULL), 2);
        cli_set_stdout(NULL);
        assert_contains(f->err, "ferry keygen: cannot write to standard output");
    }
    /* Again into the directory that now exists: refused, as for any key. */
    assert_int_equal(run_ferry(f, "keygen", "shop", "-o", keys, NULL), 2);
    assert_contains(f->err, "already exists");
    cli_rmdir(keys);
}

/* A directory nothing can be created in (not even by root): the write
 * itself fails, with the usage/system error status of every subcommand. */
static void test_write_failure(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_ferry(f, "keygen", "k", "-o", "/proc", NULL), 2);
    assert_contains(f->err, "/proc/k.key");
    assert_contains(f->err, "cannot create the secret key file");
}

/* ---- damaged key files ---- */

/* Writes `text` as a secret key file with `mode`, loads it, and asserts the
 * load fails with a message naming the file and containing `why`. */
static void assert_secret_refused(fixture *f, const char *text, mode_t mode, const char *why)
{
    char path[300];
    path_in(f, "bad.key", path, sizeof path);
    unlink(path);
    write_file(path, text, mode);
    ferry_key *k = (ferry_key *)(uintptr_t)1;
    assert_int_not_equal(ferry_key_load_secret(&k, path), FERRY_OK);
    assert_null(k);
    assert_contains(ferry_last_error(), path);
    assert_contains(ferry_last_error(), why);
}

static void test_damaged_secret_keys(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_ferry(f, "keygen", "good", "-o", f->dir, NULL), 0);
    char good_path[300], good[512];
    path_in(f, "good.key", good_path, sizeof good_path);
    cli_slurp(good_path, good, sizeof good);

    /* Readable by others. */
    assert_secret_refused(f, good, 0644, "accessible by others");
    /* Cut short: no newline, then half the key. */
    char cut[512];
    snprintf(cut, sizeof cut, "%.*s", (int)strlen(good) - 1, good);
    assert_secret_refused(f, cut, 0600, "truncated");
    snprintf(cut, sizeof cut, "%.*s\n", (int)strlen(good) / 2, good);
    assert_secret_refused(f, cut, 0600, "not the base64");
    assert_secret_refused(f, "ferry-secret-key-v1 good\n", 0600, "truncated");
    /* Not a key file at all, or the wrong kind. */
    assert_secret_refused(f, "hello world\n", 0600, "not a ferry key file");
    assert_secret_refused(f, "", 0600, "truncated");
    char pub_path[300], pub[512];
    path_in(f, "good.pub", pub_path, sizeof pub_path);
    cli_slurp(pub_path, pub, sizeof pub);
    assert_secret_refused(f, pub, 0600, "is a \"ferry-public-key-v1\" file");
    /* One flipped key byte: the halves no longer agree. */
    char *b64 = strrchr(good, ' ') + 1;
    char flipped[512];
    snprintf(flipped, sizeof flipped, "%s", good);
    char *c = flipped + (b64 - good) + 4;
    *c = *c == 'A' ? 'B' : 'A';
    assert_secret_refused(f, flipped, 0600, "corrupt secret key");
}

static void test_bad_keyring_line(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_ferry(f, "keygen", "shop", "-o", f->dir, NULL), 0);
    char *line = strstr(f->out, "shop ");
    assert_non_null(line);
    char text[1024], path[300];
    snprintf(text, sizeof text, "# trusted clients\n%s\nbroken-line-without-key\n", line);
    /* The printed line ends in '\n' already: lines 1, 2, (blank) 3, 4. */
    path_in(f, "keyring", path, sizeof path);
    write_file(path, text, 0644);
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, path), FERRY_INVALID_ARGUMENT);
    assert_null(kr);
    char want[400];
    snprintf(want, sizeof want, "%s:4: ", path);
    assert_contains(ferry_last_error(), want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_loadable_private_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_to_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_dir_made, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_secret_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keyring_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
