/* crypto.c - what the proofs' primitives cost on this machine, alone: the
 * floor under the identity figures (docs/benchmarks.md). Each is timed in
 * a loop for a slice of a second, medians over the runs:
 *
 *   crypto.ed25519_sign_us, crypto.ed25519_verify_us   a signed request's
 *       two operations (the signature over a 178-byte canonical string);
 *   crypto.hchacha20_ns, crypto.poly1305_64B_ns, crypto.poly1305_4KiB_ns
 *       mac's per-message key and its tag over a 64-byte and a 4 KiB body;
 *   crypto.gmac_64B_ns, crypto.gmac_4KiB_ns   for comparison, AES-256-GCM's
 *       tag over the same bytes as additional data with the key schedule
 *       kept (printed only where the CPU has AES-NI and PCLMULQDQ): the
 *       cheapest authenticator libsodium offers.
 *
 * Each loop feeds its output back into its input, so that no call can be
 * left out or moved out of the loop. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"

#define BODY_MAX 4096

/* One primitive's loop: `fn` run `n` times over `len` bytes at `buf`. */
typedef void (*prim_fn)(unsigned char *buf, size_t len, unsigned long n);

static unsigned char key[32];
static unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
static crypto_aead_aes256gcm_state gcm;

static void sign(unsigned char *buf, size_t len, unsigned long n)
{
    unsigned char sig[crypto_sign_BYTES];
    for (unsigned long i = 0; i < n; i++) {
        crypto_sign_detached(sig, NULL, buf, len, sk);
        buf[0] ^= sig[0];
    }
}

static unsigned char signed_sig[crypto_sign_BYTES];

static void verify(unsigned char *buf, size_t len, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        buf[len - 1] ^= (unsigned char)(crypto_sign_verify_detached(signed_sig, buf, len, pk) + 1);
}

static void hchacha(unsigned char *buf, size_t len, unsigned long n)
{
    (void)len;
    unsigned char sub[32];
    for (unsigned long i = 0; i < n; i++) {
        crypto_core_hchacha20(sub, buf, key, NULL);
        buf[0] ^= sub[0];
    }
}

static void poly1305(unsigned char *buf, size_t len, unsigned long n)
{
    unsigned char tag[crypto_onetimeauth_BYTES];
    for (unsigned long i = 0; i < n; i++) {
        crypto_onetimeauth(tag, buf, len, key);
        buf[0] ^= tag[0];
    }
}

static void gmac(unsigned char *buf, size_t len, unsigned long n)
{
    unsigned char tag[crypto_aead_aes256gcm_ABYTES], npub[crypto_aead_aes256gcm_NPUBBYTES] = {0};
    unsigned long long tag_len;
    unsigned char none[1]; /* no message: the bytes are all additional data */
    for (unsigned long i = 0; i < n; i++) {
        memcpy(npub, &i, sizeof i); /* a nonce per message, as a real use needs */
        crypto_aead_aes256gcm_encrypt_detached_afternm(none, tag, &tag_len, none, 0, buf, len, NULL,
                                                       npub, &gcm);
        buf[0] ^= tag[0];
    }
}

/* Median ns per operation over `runs` runs of `seconds` each. */
static double time_ns(prim_fn fn, size_t len, int runs, double seconds)
{
    static unsigned char buf[BODY_MAX];
    double v[BENCH_RULES_MAX_RUNS];
    unsigned long n = 16;
    for (int r = 0; r < runs; r++) {
        double start = bench_now_s(), now = start;
        unsigned long done = 0;
        while (now - start < seconds) {
            fn(buf, len, n);
            done += n;
            now = bench_now_s();
            if (now - start < seconds / 64)
                n *= 2; /* batches of about a 64th of the run */
        }
        v[r] = (now - start) * 1e9 / (double)done;
    }
    return bench_median(v, (size_t)runs);
}

int bench_crypto(int runs, double seconds)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "ferry-bench: libsodium cannot start\n");
        return -1;
    }
    if (runs > BENCH_RULES_MAX_RUNS)
        runs = BENCH_RULES_MAX_RUNS;
    double slice = seconds / 4; /* each primitive gets a quarter of a run's time */
    fprintf(stderr, "ferry-bench: crypto primitives: %d runs\n", runs);
    randombytes_buf(key, sizeof key);
    crypto_sign_keypair(pk, sk);
    unsigned char canonical[178] = {0};
    crypto_sign_detached(signed_sig, NULL, canonical, sizeof canonical, sk);
    printf("crypto.ed25519_sign_us: %.1f\n", time_ns(sign, 178, runs, slice) / 1000);
    printf("crypto.ed25519_verify_us: %.1f\n", time_ns(verify, 178, runs, slice) / 1000);
    printf("crypto.hchacha20_ns: %.0f\n", time_ns(hchacha, 16, runs, slice));
    printf("crypto.poly1305_64B_ns: %.0f\n", time_ns(poly1305, 64, runs, slice));
    printf("crypto.poly1305_4KiB_ns: %.0f\n", time_ns(poly1305, BODY_MAX, runs, slice));
    if (crypto_aead_aes256gcm_is_available()) {
        crypto_aead_aes256gcm_beforenm(&gcm, key);
        printf("crypto.gmac_64B_ns: %.0f\n", time_ns(gmac, 64, runs, slice));
        printf("crypto.gmac_4KiB_ns: %.0f\n", time_ns(gmac, BODY_MAX, runs, slice));
    }
    fflush(stdout);
    sodium_memzero(sk, sizeof sk);
    return 0;
}
