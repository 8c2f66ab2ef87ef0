/* keys.c - Ed25519 key pairs, their files, and keyrings (ferry/identity.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/error.h"
#include "identity/files.h"
#include "identity/keys.h"

#define SECRET_MAGIC "ferry-secret-key-v1"
#define PUBLIC_MAGIC "ferry-public-key-v1"
/* Longest key file or keyring line we read; longer is an error. */
#define LINE_MAX_BYTES 4096
#define SECRET_B64_LEN 89 /* base64 of 64 bytes, with the NUL */
/* What a key file's or keyring line's base64 holds. The secret key is
 * libsodium's: the 32-byte seed, then the 32-byte public key it derives. */
#define SECRET_LAYOUT "a 64-byte Ed25519 secret key (the 32-byte seed, then the public key)"
#define PUBLIC_LAYOUT "a 32-byte Ed25519 public key"

int ferryi_sodium_ready(void)
{
    return sodium_init() >= 0;
}

int ferryi_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > FERRY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Key files and keyrings hold keys in standard base64 (RFC 4648 section 4:
 * A-Z a-z 0-9 + /) with '=' padding, as sodium_bin2base64() writes it with
 * sodium_base64_VARIANT_ORIGINAL. Decodes `b64` into exactly `len` bytes of
 * `out`; when it cannot, says why in `why`, naming `what` the key should be,
 * so that a key written by another tool (URL-safe, unpadded, a bare seed) is
 * refused with what was expected rather than "bad key". */
static int b64_key(const char *b64, uint8_t *out, size_t len, const char *what, char *why,
                   size_t why_len)
{
    size_t n = strlen(b64), want = (len + 2) / 3 * 4;
    size_t pad = n, bad = n;
    for (size_t i = 0; i < n && bad == n; i++) {
        char c = b64[i];
        if (c == '=') {
            if (pad == n)
                pad = i;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/') ||
                   pad != n) {
            bad = i;
        }
    }
    const char *problem = NULL;
    char detail[96];
    if (bad < n && (b64[bad] == '-' || b64[bad] == '_')) {
        problem = "it is URL-safe base64 (it has '-' or '_')";
    } else if (bad + 1 == n && b64[bad] == '\r') {
        problem = "it ends in a carriage return (the file has CRLF line ends)";
    } else if (bad < n && b64[bad] == '=') {
        problem = "it has text after its '=' padding";
    } else if (bad < n) {
        snprintf(detail, sizeof detail, "character %zu (0x%02x) is not base64", bad + 1,
                 (unsigned)(unsigned char)b64[bad]);
        problem = detail;
    } else if (n != want) {
        /* Bytes the characters before the padding stand for. */
        size_t bytes = pad * 3 / 4;
        if (bytes == len && pad == n)
            problem = "its '=' padding is missing";
        else if (len == 64 && bytes == 32)
            problem = "it holds 32 bytes, a bare seed rather than the 64-byte secret key";
        else {
            snprintf(detail, sizeof detail, "it holds %zu bytes in %zu characters", bytes, n);
            problem = detail;
        }
    } else {
        size_t got = 0;
        const char *end = NULL;
        if (sodium_base642bin(out, len, b64, n, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) ==
                0 &&
            got == len && end != NULL && *end == '\0')
            return 1;
        sodium_memzero(out, len);
        problem = "its padding or its last character is not canonical";
    }
    snprintf(why, why_len,
             "the key is not the base64 of %s: %s; want %zu characters of standard base64 "
             "(A-Z a-z 0-9 + /) with '=' padding",
             what, problem, want);
    return 0;
}

static ferry_key *key_new(const char *name, int with_secret)
{
    ferry_key *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    snprintf(k->name, sizeof k->name, "%s", name);
    if (with_secret) {
        k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        if (k->sk == NULL) {
            free(k);
            return NULL;
        }
    }
    return k;
}

void ferry_key_free(ferry_key *key)
{
    if (key == NULL)
        return;
    if (key->sk != NULL)
        sodium_free(key->sk); /* wipes it */
    sodium_memzero(key, sizeof *key);
    free(key);
}

ferry_key *ferryi_key_dup(const ferry_key *key)
{
    ferry_key *k = key_new(key->name, key->sk != NULL);
    if (k == NULL)
        return NULL;
    memcpy(k->pk, key->pk, sizeof k->pk);
    if (key->sk != NULL)
        memcpy(k->sk, key->sk, crypto_sign_SECRETKEYBYTES);
    return k;
}

ferry_status ferry_key_generate(ferry_key **out, const char *name)
{
    ferryi_error_clear();
    if (out == NULL || name == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_key_generate: no %s given",
                            out == NULL ? "out pointer" : "key name");
    *out = NULL;
    if (!ferryi_name_ok(name))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "key name \"%s\": a name is 1 to %d characters of [A-Za-z0-9._-]", name,
                            FERRY_NAME_MAX);
    if (!ferryi_sodium_ready())
        return ferryi_error(FERRY_INTERNAL, "libsodium failed to initialise");
    ferry_key *k = key_new(name, 1);
    if (k == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "key %s: out of memory", name);
    crypto_sign_keypair(k->pk, k->sk);
    *out = k;
    return FERRY_OK;
}

const char *ferry_key_name(const ferry_key *key)
{
    return key->name;
}

int ferry_key_has_secret(const ferry_key *key)
{
    return key->sk != NULL;
}

const uint8_t *ferry_key_public(const ferry_key *key)
{
    return key->pk;
}

void ferry_key_public_b64(const ferry_key *key, char out[FERRY_PUBLIC_KEY_B64])
{
    sodium_bin2base64(out, FERRY_PUBLIC_KEY_B64, key->pk, sizeof key->pk,
                      sodium_base64_VARIANT_ORIGINAL);
}

/* ------------------------------------------------------------------------
 * Key files
 * ---------------------------------------------------------------------- */

ferry_status ferry_key_write(const ferry_key *key, const char *secret_path, const char *public_path)
{
    ferryi_error_clear();
    if (key == NULL || secret_path == NULL || public_path == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_key_write: no %s given",
                            key == NULL ? "key" : "file name");
    if (key->sk == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "key %s: only the public half is loaded; writing needs the secret one",
                            key->name);
    char *sk_b64 = sodium_malloc(SECRET_B64_LEN);
    if (sk_b64 == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", secret_path);
    sodium_bin2base64(sk_b64, SECRET_B64_LEN, key->sk, crypto_sign_SECRETKEYBYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    char pk_b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(key, pk_b64);

    ferry_status st = FERRY_OK;
    int fd = open(secret_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        st =
            ferryi_error(errno == EEXIST ? FERRY_ALREADY_EXISTS : FERRY_PERMISSION_DENIED,
                         "%s: cannot create the secret key file: %s", secret_path, strerror(errno));
        goto out;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: %s", secret_path, strerror(errno));
        goto out;
    }
    int bad = fprintf(f, "%s %s %s\n", SECRET_MAGIC, key->name, sk_b64) < 0;
    bad |= fclose(f) != 0;
    if (bad) {
        unlink(secret_path);
        st = ferryi_error(FERRY_INTERNAL, "%s: writing failed", secret_path);
        goto out;
    }
    f = fopen(public_path, "w");
    if (f == NULL) {
        st = ferryi_error(FERRY_PERMISSION_DENIED, "%s: cannot create the public key file: %s",
                          public_path, strerror(errno));
    } else {
        bad = fprintf(f, "%s %s %s\n", PUBLIC_MAGIC, key->name, pk_b64) < 0;
        bad |= fclose(f) != 0;
        if (bad)
            st = ferryi_error(FERRY_INTERNAL, "%s: writing failed", public_path);
    }
    /* Without its public half the pair is not written: the secret file
     * goes too, so that writing again (O_EXCL) can succeed. */
    if (st != FERRY_OK)
        unlink(secret_path);
out:
    sodium_free(sk_b64);
    return st;
}

/* Reads the one line of a key file into `line` (sodium_malloc'd by the
 * caller, `cap` bytes), without its newline. */
static ferry_status read_key_line(const char *path, FILE *f, char *line, size_t cap)
{
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n') {
        if (n + 1 >= cap)
            return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: first line is too long", path);
        /* The line is split as a C string: whatever followed a NUL would be
         * ignored, so a damaged file could load as if it were whole. */
        if (c == '\0')
            return ferryi_error(FERRY_INVALID_ARGUMENT,
                                "%s: holds a NUL byte at byte %zu; a key file is one line of text",
                                path, n + 1);
        line[n++] = (char)c;
    }
    line[n] = '\0';
    if (ferror(f))
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: read error", path);
    if (c != '\n')
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s: truncated (the line does not end in a newline)", path);
    if (fgetc(f) != EOF)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s: has more than one line; a key file holds one key", path);
    return FERRY_OK;
}

/* Splits "MAGIC NAME KEY" in place; checks the magic and the name. */
static ferry_status split_key_line(const char *path, char *line, const char *magic, char **name,
                                   char **key)
{
    char *save = NULL;
    char *w0 = strtok_r(line, " \t", &save);
    char *w1 = w0 != NULL ? strtok_r(NULL, " \t", &save) : NULL;
    char *w2 = w1 != NULL ? strtok_r(NULL, " \t", &save) : NULL;
    char *w3 = w2 != NULL ? strtok_r(NULL, " \t", &save) : NULL;
    if (w0 == NULL || strncmp(w0, "ferry-", 6) != 0)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: not a ferry key file (want \"%s\")", path,
                            magic);
    if (strcmp(w0, magic) != 0)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: is a \"%s\" file, not \"%s\"", path, w0,
                            magic);
    if (w1 == NULL || w2 == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: truncated: want \"%s NAME BASE64-KEY\"",
                            path, magic);
    if (w3 != NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s: unexpected text after the key", path);
    if (!ferryi_name_ok(w1))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "%s: bad key name (1 to %d characters of A-Z a-z 0-9 . _ -)", path,
                            FERRY_NAME_MAX);
    *name = w1;
    *key = w2;
    return FERRY_OK;
}

/* Opens `path`, which holds `what` ("the keyring"), for reading as a
 * stream; a `secret` file must be private to its owner (files.h). The
 * loaders' start: libsodium, which reads what they read, is made ready
 * first. */
static ferry_status open_to_read(const char *path, const char *what, int secret, FILE **f)
{
    if (!ferryi_sodium_ready())
        return ferryi_error(FERRY_INTERNAL, "libsodium failed to initialise");
    int fd = -1;
    ferry_status st = ferryi_file_open(path, what, secret, &fd, NULL);
    if (st != FERRY_OK)
        return st;
    if ((*f = fdopen(fd, "r")) == NULL) {
        close(fd);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: cannot read %s: %s", path, what,
                            strerror(errno));
    }
    return FERRY_OK;
}

/* Sets k->pk to the public key stored in the second half of secret key
 * k->sk, and refuses the key when it is not the one its seed (the first
 * half) derives. */
static ferry_status check_secret_halves(const char *path, ferry_key *k)
{
    ferry_status st = FERRY_OK;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_ed25519_sk_to_pk(pk, k->sk);
    uint8_t seed[crypto_sign_SEEDBYTES], check_pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t *check_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (check_sk == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    crypto_sign_ed25519_sk_to_seed(seed, k->sk);
    crypto_sign_seed_keypair(check_pk, check_sk, seed);
    if (sodium_memcmp(check_pk, pk, sizeof pk) != 0)
        st = ferryi_error(FERRY_INVALID_ARGUMENT,
                          "%s: corrupt secret key (its public half does not match its seed)", path);
    sodium_free(check_sk);
    sodium_memzero(seed, sizeof seed);
    memcpy(k->pk, pk, sizeof pk);
    return st;
}

/* Loads the key file at `path`, one line "MAGIC NAME BASE64-KEY": a secret
 * key (which the file must keep private) or a public one. */
static ferry_status key_file_load(ferry_key **out, const char *path, int secret)
{
    if (out == NULL || path == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "no %s given",
                            out == NULL ? "out pointer" : "key file");
    *out = NULL;
    FILE *f = NULL;
    ferry_status st =
        open_to_read(path, secret ? "the secret key file" : "the public key file", secret, &f);
    if (st != FERRY_OK)
        return st;
    /* sodium_malloc memory: a secret key's line holds the secret. */
    char *line = sodium_malloc(LINE_MAX_BYTES);
    if (line == NULL) {
        fclose(f);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    char *name = NULL, *b64 = NULL;
    ferry_key *k = NULL;
    st = read_key_line(path, f, line, LINE_MAX_BYTES);
    fclose(f);
    if (st == FERRY_OK)
        st = split_key_line(path, line, secret ? SECRET_MAGIC : PUBLIC_MAGIC, &name, &b64);
    if (st == FERRY_OK && (k = key_new(name, secret)) == NULL)
        st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    size_t key_len = secret ? crypto_sign_SECRETKEYBYTES : FERRY_PUBLIC_KEY_BYTES;
    char why[320];
    if (st == FERRY_OK && !b64_key(b64, secret ? k->sk : k->pk, key_len,
                                   secret ? SECRET_LAYOUT : PUBLIC_LAYOUT, why, sizeof why))
        st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s: %s", path, why);
    if (st == FERRY_OK && secret)
        st = check_secret_halves(path, k);
    sodium_free(line);
    if (st != FERRY_OK) {
        ferry_key_free(k);
        return st;
    }
    *out = k;
    return FERRY_OK;
}

ferry_status ferry_key_load_secret(ferry_key **out, const char *path)
{
    ferryi_error_clear();
    return key_file_load(out, path, 1);
}

ferry_status ferry_key_load_public(ferry_key **out, const char *path)
{
    ferryi_error_clear();
    return key_file_load(out, path, 0);
}

/* ------------------------------------------------------------------------
 * Keyrings
 * ---------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
    return memcmp(((const ferryi_keyring_entry *)a)->pk, ((const ferryi_keyring_entry *)b)->pk,
                  FERRY_PUBLIC_KEY_BYTES);
}

/* Parses "roles=a,b,c" into `e`. */
static int parse_roles(ferryi_keyring_entry *e, char *spec, const char **why)
{
    if (strncmp(spec, "roles=", 6) != 0) {
        *why = "expected roles=ROLE[,ROLE...] after the key";
        return 0;
    }
    char *save = NULL;
    for (char *r = strtok_r(spec + 6, ",", &save); r != NULL; r = strtok_r(NULL, ",", &save)) {
        if (!ferryi_name_ok(r)) {
            *why = "bad role name (1 to 64 characters of A-Z a-z 0-9 . _ -)";
            return 0;
        }
        if (e->n_roles == FERRY_ROLES_MAX) {
            *why = "too many roles (at most 32)";
            return 0;
        }
        for (size_t i = 0; i < e->n_roles; i++) {
            if (strcmp(e->roles[i], r) == 0) {
                *why = "a role is listed twice";
                return 0;
            }
        }
        e->roles[e->n_roles] = strdup(r);
        if (e->roles[e->n_roles] == NULL) {
            *why = "out of memory";
            return 0;
        }
        e->n_roles++;
    }
    if (e->n_roles == 0) {
        *why = "roles= lists no role";
        return 0;
    }
    return 1;
}

static void entry_fini(ferryi_keyring_entry *e)
{
    for (size_t i = 0; i < e->n_roles; i++)
        free(e->roles[i]);
}

void ferry_keyring_free(ferry_keyring *kr)
{
    if (kr == NULL)
        return;
    for (size_t i = 0; i < kr->n; i++)
        entry_fini(&kr->v[i]);
    free(kr->v);
    free(kr);
}

size_t ferry_keyring_size(const ferry_keyring *kr)
{
    return kr != NULL ? kr->n : 0;
}

ferry_status ferry_keyring_load(ferry_keyring **out, const char *path)
{
    ferryi_error_clear();
    if (out == NULL || path == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "no %s given",
                            out == NULL ? "out pointer" : "keyring file");
    *out = NULL;
    FILE *f = NULL;
    ferry_status st = open_to_read(path, "the keyring", 0, &f);
    if (st != FERRY_OK)
        return st;
    ferry_keyring *kr = calloc(1, sizeof *kr);
    if (kr == NULL) {
        fclose(f);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    size_t cap = 0;
    /* getline() rather than fgets(): it says how many bytes it read, so that
     * a NUL byte is refused instead of cutting its line short, and a long
     * line holding one is still too long rather than read on as a new line. */
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    unsigned lineno = 0;
    while (st == FERRY_OK && (got = getline(&line, &line_cap, f)) != -1) {
        lineno++;
        size_t len = (size_t)got;
        if (len >= LINE_MAX_BYTES) {
            st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s:%u: line is too long", path, lineno);
            break;
        }
        if (memchr(line, '\0', len) != NULL) {
            st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s:%u: holds a NUL byte; a keyring is text",
                              path, lineno);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *save = NULL;
        char *name = strtok_r(line, " \t\r\n", &save);
        if (name == NULL)
            continue; /* blank or comment */
        char *b64 = strtok_r(NULL, " \t\r\n", &save);
        char *roles = b64 != NULL ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        char *extra = roles != NULL ? strtok_r(NULL, " \t\r\n", &save) : NULL;
        const char *why = NULL;
        char key_why[320];
        if (kr->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            ferryi_keyring_entry *v = realloc(kr->v, ncap * sizeof *v);
            if (v == NULL) {
                st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", path);
                break;
            }
            kr->v = v;
            cap = ncap;
        }
        ferryi_keyring_entry *e = &kr->v[kr->n];
        memset(e, 0, sizeof *e);
        if (!ferryi_name_ok(name))
            why = "bad name (1 to 64 characters of A-Z a-z 0-9 . _ -)";
        else if (b64 == NULL)
            why = "want NAME BASE64-PUBLIC-KEY [roles=ROLE,...]";
        else if (!b64_key(b64, e->pk, sizeof e->pk, PUBLIC_LAYOUT, key_why, sizeof key_why))
            why = key_why;
        else if (extra != NULL)
            why = "unexpected text after the roles";
        else if (roles != NULL)
            parse_roles(e, roles, &why);
        if (why != NULL) {
            entry_fini(e);
            st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s:%u: %s", path, lineno, why);
            break;
        }
        snprintf(e->name, sizeof e->name, "%s", name);
        e->line = lineno;
        kr->n++;
    }
    free(line);
    if (st == FERRY_OK && ferror(f))
        st = ferryi_error(FERRY_INVALID_ARGUMENT, "%s: read error", path);
    fclose(f);
    if (st == FERRY_OK && kr->n > 1) {
        qsort(kr->v, kr->n, sizeof *kr->v, entry_cmp);
        for (size_t i = 1; i < kr->n; i++) {
            if (entry_cmp(&kr->v[i - 1], &kr->v[i]) == 0) {
                unsigned a = kr->v[i - 1].line, b = kr->v[i].line;
                st = ferryi_error(FERRY_INVALID_ARGUMENT,
                                  "%s:%u: the same public key is listed on line %u", path,
                                  a > b ? a : b, a > b ? b : a);
                break;
            }
        }
    }
    if (st != FERRY_OK) {
        ferry_keyring_free(kr);
        return st;
    }
    *out = kr;
    return FERRY_OK;
}

const ferryi_keyring_entry *ferryi_keyring_find(const ferry_keyring *kr, const uint8_t *pk)
{
    ferryi_keyring_entry key;
    memcpy(key.pk, pk, sizeof key.pk);
    return bsearch(&key, kr->v, kr->n, sizeof *kr->v, entry_cmp);
}
