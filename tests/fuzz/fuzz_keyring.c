/* fuzz_keyring.c - fuzz target for keyring files (ferry_keyring_load(),
 * runtime/src/keys.c): each input is written to a file and loaded.
 *
 * A keyring the loader accepts must agree with a second reading of its
 * bytes, line by line (every byte counted, '#' starting a comment): each line
 * with words is "NAME BASE64 [roles=ROLE,...]" and gives one entry, with that
 * name, the key whose canonical standard base64 is BASE64 and those roles in
 * order; no public key twice. The keyring written back in that form loads
 * to the same entries. Any disagreement aborts, for the fuzzer to report.
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
    fprintf(stderr, "fuzz_keyring: %s\n", what);
    abort();
}

static char dir[64], in_path[96], out_path[96];

static void teardown(void)
{
    unlink(in_path);
    unlink(out_path);
    rmdir(dir);
}

static void setup(void)
{
    if (sodium_init() < 0)
        fail("libsodium failed to initialise");
    snprintf(dir, sizeof dir, "/tmp/fuzz_keyring.XXXXXX");
    if (mkdtemp(dir) == NULL)
        fail("cannot make a scratch directory");
    snprintf(in_path, sizeof in_path, "%s/in.keyring", dir);
    snprintf(out_path, sizeof out_path, "%s/out.keyring", dir);
    atexit(teardown);
}

static void write_file(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
        fail("cannot write a keyring file");
}

/* One line's words, as the second reading sees them. */
typedef struct words {
    const uint8_t *w[4];
    size_t len[4];
    size_t n; /* up to 4 (more counts as 4) */
} words;

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void split(const uint8_t *s, size_t len, words *out)
{
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_space(s[i]))
            i++;
        if (out->n < 4) {
            out->w[out->n] = s + start;
            out->len[out->n] = i - start;
        }
        out->n += out->n < 4;
    }
}

static int word_is(const uint8_t *w, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(w, s, len) == 0;
}

/* Whether `e` is what the words of its line say. */
static int entry_is(const ferryi_keyring_entry *e, const words *ws)
{
    char b64[FERRY_PUBLIC_KEY_B64];
    sodium_bin2base64(b64, sizeof b64, e->pk, sizeof e->pk, sodium_base64_VARIANT_ORIGINAL);
    if (ws->n < 2 || ws->n > 3 || !word_is(ws->w[0], ws->len[0], e->name) ||
        !word_is(ws->w[1], ws->len[1], b64))
        return 0;
    if (ws->n == 2)
        return e->n_roles == 0;
    const uint8_t *r = ws->w[2];
    size_t len = ws->len[2];
    if (len < 6 || memcmp(r, "roles=", 6) != 0)
        return 0;
    /* The roles, split at commas (an empty one between two commas is no
     * role: strtok_r's reading, which the loader uses). */
    size_t i = 6, k = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && r[i] != ',')
            i++;
        if (i > start) {
            if (k == e->n_roles || !word_is(r + start, i - start, e->roles[k]))
                return 0;
            k++;
        }
        i++;
    }
    return k == e->n_roles;
}

/* The second reading of the whole file against the loaded keyring. */
static int reads_as(const uint8_t *data, size_t size, const ferry_keyring *kr)
{
    size_t found = 0, at = 0;
    while (at < size) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t end = nl != NULL ? (size_t)(nl - data) : size;
        const uint8_t *hash = memchr(data + at, '#', end - at);
        size_t len = (hash != NULL ? (size_t)(hash - data) : end) - at;
        words ws;
        split(data + at, len, &ws);
        if (ws.n > 0) {
            /* Entries are sorted by key: find the one this line names. */
            uint8_t pk[FERRY_PUBLIC_KEY_BYTES];
            size_t got = 0;
            char b64[64];
            if (ws.n < 2 || ws.len[1] >= sizeof b64)
                return 0;
            memcpy(b64, ws.w[1], ws.len[1]);
            b64[ws.len[1]] = '\0';
            if (sodium_base642bin(pk, sizeof pk, b64, ws.len[1], NULL, &got, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
                got != sizeof pk)
                return 0;
            const ferryi_keyring_entry *e = ferryi_keyring_find(kr, pk);
            if (e == NULL || !entry_is(e, &ws))
                return 0;
            found++;
        }
        at = end + 1;
    }
    return found == kr->n;
}

/* The keyring written back: one line per entry. */
static char *write_back(const ferry_keyring *kr, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (f == NULL)
        fail("out of memory");
    for (size_t i = 0; i < kr->n; i++) {
        char b64[FERRY_PUBLIC_KEY_B64];
        sodium_bin2base64(b64, sizeof b64, kr->v[i].pk, FERRY_PUBLIC_KEY_BYTES,
                          sodium_base64_VARIANT_ORIGINAL);
        fprintf(f, "%s %s", kr->v[i].name, b64);
        for (size_t r = 0; r < kr->v[i].n_roles; r++)
            fprintf(f, "%s%s", r == 0 ? " roles=" : ",", kr->v[i].roles[r]);
        fputc('\n', f);
    }
    fclose(f);
    return text;
}

static int same_entries(const ferry_keyring *a, const ferry_keyring *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const ferryi_keyring_entry *x = &a->v[i], *y = &b->v[i];
        if (memcmp(x->pk, y->pk, sizeof x->pk) != 0 || strcmp(x->name, y->name) != 0 ||
            x->n_roles != y->n_roles)
            return 0;
        for (size_t r = 0; r < x->n_roles; r++)
            if (strcmp(x->roles[r], y->roles[r]) != 0)
                return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0')
        setup();
    write_file(in_path, data, size);
    ferry_keyring *kr = NULL;
    if (ferry_keyring_load(&kr, in_path) != FERRY_OK) {
        if (kr != NULL || ferry_last_error()[0] == '\0')
            fail("a refused keyring left a keyring or gave no reason");
        return 0;
    }
    if (!reads_as(data, size, kr))
        fail("a keyring was accepted whose lines say something else");
    for (size_t i = 1; i < kr->n; i++)
        if (memcmp(kr->v[i - 1].pk, kr->v[i].pk, FERRY_PUBLIC_KEY_BYTES) >= 0)
            fail("an accepted keyring is not sorted, or lists a key twice");
    size_t len = 0;
    char *text = write_back(kr, &len);
    write_file(out_path, text, len);
    free(text);
    ferry_keyring *again = NULL;
    if (ferry_keyring_load(&again, out_path) != FERRY_OK)
        fail(ferry_last_error());
    if (!same_entries(kr, again))
        fail("a keyring written back loads differently");
    ferry_keyring_free(again);
    ferry_keyring_free(kr);
    return 0;
}
