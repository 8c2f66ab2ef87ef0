/* mac2.c - the scheme 3 canonical strings, streamed into Poly1305 (or, for
 * the test vectors, into a buffer), and their one-time keys. */
#include <string.h>

#include <sodium.h>

#include "identity/mac2.h"

#define REQUEST_TAG "ferry-request-v2"
#define REPLY_TAG   "ferry-reply-v2"

/* The string gathers in `buf` and, when it fits there whole (a request or
 * reply of a few hundred bytes, most of them), is proved with one call of
 * Poly1305; a field too large for what is left of `buf` (a long method, a
 * large body) goes straight to the authenticator, so a large body is read
 * once and never copied. */
typedef struct sink {
    const uint8_t *otk; /* the one-time key; NULL: write the string to `out` */
    uint8_t *out;       /* or NULL: only count */
    int streaming;      /* st is in use */
    crypto_onetimeauth_poly1305_state st;
    size_t len; /* bytes passed on so far */
    size_t n;   /* bytes waiting in buf */
    uint8_t buf[1024];
} sink;

static void pass(sink *s, const uint8_t *p, size_t n)
{
    if (s->otk != NULL) {
        if (!s->streaming) {
            crypto_onetimeauth_poly1305_init(&s->st, s->otk);
            s->streaming = 1;
        }
        crypto_onetimeauth_poly1305_update(&s->st, p, n);
    } else if (s->out != NULL && n > 0) {
        memcpy(s->out + s->len, p, n);
    }
    s->len += n;
}

static void flush(sink *s)
{
    pass(s, s->buf, s->n);
    s->n = 0;
}

/* Inlined: most fields are a few bytes, and a call per field cost more
 * than copying them. */
static inline __attribute__((always_inline)) void put(sink *s, const void *p, size_t n)
{
    if (s->n + n > sizeof s->buf) {
        flush(s);
        if (n > sizeof s->buf / 2) {
            pass(s, p, n);
            return;
        }
    }
    if (n > 0)
        memcpy(s->buf + s->n, p, n);
    s->n += n;
}

/* Ends a string being proved: its tag into `tag`. */
static void finish(sink *s, uint8_t *tag)
{
    if (!s->streaming) {
        crypto_onetimeauth_poly1305(tag, s->buf, s->n, s->otk);
        s->len += s->n;
        s->n = 0;
        return;
    }
    flush(s);
    crypto_onetimeauth_poly1305_final(&s->st, tag);
}

/* `v`'s low `bytes` bytes (1 to 8), most significant first: shifted to the
 * top of a word whose first bytes in memory are then the ones wanted (after
 * one byte swap on a little-endian CPU), rather than a shift per byte. */
static inline __attribute__((always_inline)) void put_be(sink *s, uint64_t v, int bytes)
{
    uint64_t be = v << (64 - 8 * bytes);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    be = __builtin_bswap64(be);
#endif
    put(s, &be, (size_t)bytes);
}

/* The request string of docs/wire.md, "The mac2 proof", into `s`. */
static int request_walk(sink *s, const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md,
                        size_t n, const uint8_t *body, size_t body_len)
{
    size_t mlen = strlen(f->method);
    if (mlen > 512)
        return -1;
    put(s, REQUEST_TAG, sizeof REQUEST_TAG - 1);
    put_be(s, FERRY_PROOF_MAC2, 1);
    put(s, f->key_id, FERRY_PUBLIC_KEY_BYTES);
    put_be(s, mlen, 2);
    put(s, f->method, mlen);
    put_be(s, f->api_version, 4);
    put_be(s, f->call_id, 8);
    put_be(s, f->timestamp_ms, 8);
    put(s, f->nonce, FERRYI_NONCE_BYTES);
    put_be(s, f->deadline_ms, 4);
    put_be(s, n, 4);
    for (size_t i = 0; i < n; i++) {
        const char *key = md[i]->key != NULL ? md[i]->key : "";
        size_t klen = strlen(key);
        put_be(s, klen, 4);
        put(s, key, klen);
        put_be(s, md[i]->value.len, 4);
        put(s, md[i]->value.data, md[i]->value.len);
    }
    put_be(s, body_len, 8);
    put(s, body, body_len);
    return 0;
}

/* The reply string of docs/wire.md, "The mac2 proof", into `s`. */
static int reply_walk(sink *s, const ferryi_reply_fields *f, const uint8_t *body, size_t body_len)
{
    size_t mlen = f->message != NULL ? strlen(f->message) : 0;
    if (mlen > 512)
        return -1;
    put(s, REPLY_TAG, sizeof REPLY_TAG - 1);
    put_be(s, FERRY_PROOF_MAC2, 1);
    put_be(s, f->call_id, 8);
    put_be(s, f->status, 4);
    put(s, f->nonce, FERRYI_NONCE_BYTES);
    put(s, f->reply_nonce, FERRYI_NONCE_BYTES);
    put_be(s, f->not_before_ms, 8);
    put_be(s, mlen, 2);
    put(s, f->message, mlen);
    put_be(s, body_len, 8);
    put(s, body, body_len);
    if (f->covers_state) {
        uint8_t state[FERRYI_STATE_BYTES];
        ferryi_state_block(f, state);
        put(s, state, sizeof state);
    }
    return 0;
}

void ferryi_mac2_key(uint8_t otk[FERRYI_KEY_BYTES], const uint8_t key[FERRYI_KEY_BYTES],
                     const uint8_t nonce[FERRYI_NONCE_BYTES])
{
    crypto_core_hchacha20(otk, nonce, key, NULL);
}

/* A sink that proves with the one-time key `otk`, or else writes the
 * string to `out` (NULL: only counts). Only what a walk reads is set: the
 * buffer is left as it is. */
static void sink_init(sink *s, const uint8_t *otk, uint8_t *out)
{
    s->otk = otk;
    s->out = out;
    s->streaming = 0;
    s->len = s->n = 0;
}

/* Ends a walk that proved: its tag into `tag`, the one-time key wiped;
 * returns the walk's `rv`. */
static int mac_end(sink *s, uint8_t tag[FERRYI_MAC2_BYTES], uint8_t otk[FERRYI_KEY_BYTES], int rv)
{
    finish(s, tag);
    sodium_memzero(otk, FERRYI_KEY_BYTES);
    return rv;
}

/* Ends a walk that wrote the string: its length, 0 when the walk failed. */
static size_t written(sink *s, int rv)
{
    flush(s);
    return rv == 0 ? s->len : 0;
}

int ferryi_mac2_request(uint8_t tag[FERRYI_MAC2_BYTES], const uint8_t c2s[FERRYI_KEY_BYTES],
                        const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md, size_t n,
                        const uint8_t *body, size_t body_len)
{
    uint8_t otk[FERRYI_KEY_BYTES];
    ferryi_mac2_key(otk, c2s, f->nonce);
    sink s;
    sink_init(&s, otk, NULL);
    return mac_end(&s, tag, otk, request_walk(&s, f, md, n, body, body_len));
}

int ferryi_mac2_reply(uint8_t tag[FERRYI_MAC2_BYTES], const uint8_t s2c[FERRYI_KEY_BYTES],
                      const ferryi_reply_fields *f, const uint8_t *body, size_t body_len)
{
    uint8_t otk[FERRYI_KEY_BYTES];
    ferryi_mac2_key(otk, s2c, f->reply_nonce);
    sink s;
    sink_init(&s, otk, NULL);
    return mac_end(&s, tag, otk, reply_walk(&s, f, body, body_len));
}

size_t ferryi_request_canonical2(const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md,
                                 size_t n, const uint8_t *body, size_t body_len, uint8_t *out)
{
    sink s;
    sink_init(&s, NULL, out);
    return written(&s, request_walk(&s, f, md, n, body, body_len));
}

size_t ferryi_reply_canonical2(const ferryi_reply_fields *f, const uint8_t *body, size_t body_len,
                               uint8_t *out)
{
    sink s;
    sink_init(&s, NULL, out);
    return written(&s, reply_walk(&s, f, body, body_len));
}
