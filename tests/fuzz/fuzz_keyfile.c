/* fuzz_keyfile.c - fuzz target for key files (ferry_key_load_secret() and
 * ferry_key_load_public(), runtime/src/keys.c): each input is written to a
 * file of mode 0600 and loaded both ways.
 *
 * A file a loader accepts must agree with a second reading of its bytes: one
 * line ending in a newline, whose words (split at spaces and tabs, every
 * byte counted) are exactly the magic, a name and the canonical standard
 * base64 of the key that was loaded (so nothing in the file is ignored), and
 * a secret key's public half is the one its seed derives. The key written
 * back with ferry_key_write() loads again to the same name and bytes. Any
 * disagreement aborts, for the fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "identity/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_keyfile: %s\n", what);
    abort();
}

static char dir[64], in_path[96], sk_path[96], pk_path[96];

static void teardown(void)
{
    unlink(in_path);
    unlink(sk_path);
    unlink(pk_path);
    rmdir(dir);
}

static void setup(void)
{
    if (sodium_init() < 0)
        fail("libsodium failed to initialise");
    snprintf(dir, sizeof dir, "/tmp/fuzz_keyfile.XXXXXX");
    if (mkdtemp(dir) == NULL)
        fail("cannot make a scratch directory");
    snprintf(in_path, sizeof in_path, "%s/in.key", dir);
    snprintf(sk_path, sizeof sk_path, "%s/out.key", dir);
    snprintf(pk_path, sizeof pk_path, "%s/out.pub", dir);
    atexit(teardown);
}

static void write_input(const uint8_t *data, size_t size)
{
    int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        fail("cannot write the input file");
}

/* The second reading: the file is one line of exactly three words, the
 * magic, `name` and `b64`. */
static int reads_as(const uint8_t *data, size_t size, const char *magic, const char *name,
                    const char *b64)
{
    if (size == 0 || data[size - 1] != '\n' || memchr(data, '\n', size - 1) != NULL)
        return 0;
    const char *want[3] = {magic, name, b64};
    size_t i = 0, words = 0;
    while (i < size - 1) {
        while (i < size - 1 && (data[i] == ' ' || data[i] == '\t'))
            i++;
        if (i == size - 1)
            break;
        size_t start = i;
        while (i < size - 1 && data[i] != ' ' && data[i] != '\t')
            i++;
        if (words == 3 || strlen(want[words]) != i - start ||
            memcmp(data + start, want[words], i - start) != 0)
            return 0;
        words++;
    }
    return words == 3;
}

static void check_secret(const uint8_t *data, size_t size, const ferry_key *k)
{
    char b64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, k->sk, crypto_sign_SECRETKEYBYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    if (!reads_as(data, size, "ferry-secret-key-v1", k->name, b64))
        fail("a secret key file was accepted that is not its line, name and key");
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, k->sk);
    if (memcmp(pk, k->pk, sizeof pk) != 0 || memcmp(sk, k->sk, sizeof sk) != 0)
        fail("an accepted secret key is not the key pair of its seed");

    unlink(sk_path);
    unlink(pk_path);
    if (ferry_key_write(k, sk_path, pk_path) != FERRY_OK)
        fail(ferry_last_error());
    ferry_key *again = NULL, *pub = NULL;
    if (ferry_key_load_secret(&again, sk_path) != FERRY_OK ||
        ferry_key_load_public(&pub, pk_path) != FERRY_OK)
        fail(ferry_last_error());
    if (strcmp(again->name, k->name) != 0 || strcmp(pub->name, k->name) != 0 ||
        memcmp(again->sk, k->sk, crypto_sign_SECRETKEYBYTES) != 0 ||
        memcmp(again->pk, k->pk, FERRY_PUBLIC_KEY_BYTES) != 0 ||
        memcmp(pub->pk, k->pk, FERRY_PUBLIC_KEY_BYTES) != 0 || pub->sk != NULL)
        fail("a key written back loads differently");
    ferry_key_free(again);
    ferry_key_free(pub);
}

static void check_public(const uint8_t *data, size_t size, const ferry_key *k)
{
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(k, b64);
    if (k->sk != NULL || !reads_as(data, size, "ferry-public-key-v1", k->name, b64))
        fail("a public key file was accepted that is not its line, name and key");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0')
        setup();
    write_input(data, size);
    ferry_key *k = NULL;
    if (ferry_key_load_secret(&k, in_path) == FERRY_OK)
        check_secret(data, size, k);
    else if (k != NULL || ferry_last_error()[0] == '\0')
        fail("a refused secret key file left a key or gave no reason");
    ferry_key_free(k);
    k = NULL;
    if (ferry_key_load_public(&k, in_path) == FERRY_OK)
        check_public(data, size, k);
    else if (k != NULL || ferry_last_error()[0] == '\0')
        fail("a refused public key file left a key or gave no reason");
    ferry_key_free(k);
    return 0;
}
