/* test_key_format.c - the key file format as docs/security.md states it,
 * written by hand as another tool would write it: standard base64 with '='
 * padding, a secret key of 64 bytes (seed, then public key). Keys in another
 * base64 variant or layout are refused with what was expected. */
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

/* The client key of docs/wire.md's identity vectors (seed 00 01 ... 1f). */
#define SEED_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define PK_B64   "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
#define SK_B64   SEED_B64 "DoQe/884Qvh1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuA=="
/* The same 64 bytes in URL-safe base64. */
#define SK_B64_URL SEED_B64 "DoQe_884Qvh1w3RjnS8CZZ-TWMJulDV8d3IZkElUxuA=="

static const uint8_t vector_pk[FERRY_PUBLIC_KEY_BYTES] = {
    0x03, 0xa1, 0x07, 0xbf, 0xf3, 0xce, 0x10, 0xbe, 0x1d, 0x70, 0xdd, 0x18, 0xe7, 0x4b, 0xc0, 0x99,
    0x67, 0xe4, 0xd6, 0x30, 0x9b, 0xa5, 0x0d, 0x5f, 0x1d, 0xdc, 0x86, 0x64, 0x12, 0x55, 0x31, 0xb8};

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-keyfmt-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/k", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes `text` to the fixture's file with mode 0600. */
static void write_key(fixture *f, const char *text)
{
    unlink(f->path);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(f->path, 0600), 0);
}

static ferry_status load(fixture *f, int secret, const char *text)
{
    write_key(f, text);
    ferry_key *k = NULL;
    ferry_status st =
        secret ? ferry_key_load_secret(&k, f->path) : ferry_key_load_public(&k, f->path);
    if (st == FERRY_OK) {
        assert_memory_equal(ferry_key_public(k), vector_pk, FERRY_PUBLIC_KEY_BYTES);
        assert_int_equal(ferry_key_has_secret(k), secret);
    } else {
        assert_null(k);
    }
    ferry_key_free(k);
    return st;
}

static void assert_says(const fixture *f, const char *what)
{
    (void)f;
    if (strstr(ferry_last_error(), what) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", ferry_last_error(), what);
}

static void documented_secret_file_loads(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, 1, "ferry-secret-key-v1 client " SK_B64 "\n"), FERRY_OK);
}

static void documented_public_file_loads(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, 0, "ferry-public-key-v1 client " PK_B64 "\n"), FERRY_OK);
}

static void url_safe_base64_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, 1, "ferry-secret-key-v1 client " SK_B64_URL "\n"),
                     FERRY_INVALID_ARGUMENT);
    assert_says(f, "URL-safe base64");
    assert_says(f, "want 88 characters of standard base64 (A-Z a-z 0-9 + /) with '=' padding");
}

static void missing_padding_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        load(f, 0, "ferry-public-key-v1 client A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg\n"),
        FERRY_INVALID_ARGUMENT);
    assert_says(f, "'=' padding is missing");
    assert_says(f, "want 44 characters");
}

static void bare_seed_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, 1, "ferry-secret-key-v1 client " SEED_B64 "=\n"),
                     FERRY_INVALID_ARGUMENT);
    assert_says(f, "a bare seed rather than the 64-byte secret key");
    assert_says(f, "(the 32-byte seed, then the public key)");
}

static void crlf_line_end_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, 0, "ferry-public-key-v1 client " PK_B64 "\r\n"),
                     FERRY_INVALID_ARGUMENT);
    assert_says(f, "CRLF line ends");
}

static void stray_character_named(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        load(f, 0, "ferry-public-key-v1 client A6EHv/POEL4dcN0Y50vAmWfk1j*bpQ1fHdyGZBJVMbg=\n"),
        FERRY_INVALID_ARGUMENT);
    assert_says(f, "character 27 (0x2a) is not base64");
}

static void wrong_length_says_both(void **state)
{
    fixture *f = *state;
    assert_int_equal(load(f, 0, "ferry-public-key-v1 client " SEED_B64 "DoQe\n"),
                     FERRY_INVALID_ARGUMENT);
    assert_says(f, "it holds 35 bytes in 47 characters");
    assert_says(f, "a 32-byte Ed25519 public key");
}

static void non_canonical_end_refused(void **state)
{
    fixture *f = *state;
    /* "...Mbh=": the last character carries bits that no 32-byte key has. */
    assert_int_equal(
        load(f, 0, "ferry-public-key-v1 client A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbh=\n"),
        FERRY_INVALID_ARGUMENT);
    assert_says(f, "not canonical");
}

static void keyring_line_says_why(void **state)
{
    fixture *f = *state;
    write_key(f, "# trusted\nalice " SK_B64_URL "\n");
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, f->path), FERRY_INVALID_ARGUMENT);
    assert_null(kr);
    assert_says(f, ":2: the key is not the base64 of a 32-byte Ed25519 public key");
    assert_says(f, "URL-safe");
}

/* Writes `len` bytes to the fixture's file with mode 0600: text with NULs. */
static void write_bytes(fixture *f, const char *bytes, size_t len)
{
    unlink(f->path);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(f->path, 0600), 0);
}

/* A key file whose line goes on after a NUL byte is refused, not loaded as
 * the text before the NUL (found by fuzz_keyfile). */
static void key_file_with_nul_refused(void **state)
{
    fixture *f = *state;
    static const char text[] = "ferry-public-key-v1 client " PK_B64 "\0 more\n";
    write_bytes(f, text, sizeof text - 1);
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, f->path), FERRY_INVALID_ARGUMENT);
    assert_null(k);
    assert_says(f, "holds a NUL byte at byte 72");
}

/* A keyring line that goes on after a NUL byte is refused, naming the line,
 * rather than read as the text before the NUL, which would drop the roles
 * after it (found by fuzz_keyring). */
static void keyring_line_with_nul_refused(void **state)
{
    fixture *f = *state;
    static const char text[] = "alice " PK_B64 " roles=reader\0,admin\n";
    write_bytes(f, text, sizeof text - 1);
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, f->path), FERRY_INVALID_ARGUMENT);
    assert_null(kr);
    assert_says(f, ":1: holds a NUL byte");
}

/* A keyring line too long to read is refused even when a NUL byte early in
 * it hides its length, instead of its tail being read as a line of its own
 * (here one that would trust a key with the role admin). */
static void long_keyring_line_with_nul_refused(void **state)
{
    fixture *f = *state;
    char text[5000];
    memset(text, 'x', sizeof text);
    memcpy(text, "# \0", 3);
    static const char tail[] = "\nbob " PK_B64 " roles=admin\n";
    size_t at = 4096 - 1;
    memcpy(text + at, tail + 1, sizeof tail - 2);
    write_bytes(f, text, at + sizeof tail - 2);
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, f->path), FERRY_INVALID_ARGUMENT);
    assert_null(kr);
    assert_says(f, ":1: line is too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(documented_secret_file_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(documented_public_file_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(url_safe_base64_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_padding_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(bare_seed_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(crlf_line_end_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(stray_character_named, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_length_says_both, setup, teardown),
        cmocka_unit_test_setup_teardown(non_canonical_end_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(keyring_line_says_why, setup, teardown),
        cmocka_unit_test_setup_teardown(key_file_with_nul_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(keyring_line_with_nul_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(long_keyring_line_with_nul_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
