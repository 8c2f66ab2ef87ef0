/* test_tls.c - calls over tls+tcp:// on 127.0.0.1 with certificates made
 * for the run (tls/make-certs.sh): signed and mac identity on top of TLS,
 * a server certificate the client must refuse (wrong CA, wrong name),
 * mutual TLS, encrypted keys, and TLS options and files that are refused
 * with the member or file named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>

#include "probe.h"

/* The certificates of the run, made once by the group setup. */
static char dir[256];

/* The path of file `name` of the run's directory (one of a few buffers). */
static const char *cert(const char *name)
{
    static char bufs[8][320];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static int make_certs(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ferry-tls-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", TLS_MAKE_CERTS, dir, TLS_OPENSSL, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "tls/make-certs.sh failed (status %d)\n", ws);
        return -1;
    }
    return 0;
}

static int remove_certs(void **state)
{
    (void)state;
    static const char *const files[] = {
        "ca.crt",         "ca.key",        "other-ca.crt", "server.crt", "server.key",
        "server.pem.key", "server.p8.key", "client.crt",   "client.key", "scratch",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(cert(files[i]));
    rmdir(dir);
    return 0;
}

/* A file of the run's directory with `text`, mode `mode`. */
static const char *scratch(const char *text, mode_t mode)
{
    const char *p = cert("scratch");
    unlink(p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static ferry_tls_opts server_tls(void)
{
    return (ferry_tls_opts){.cert_file = cert("server.crt"), .key_file = cert("server.key")};
}

static ferry_tls_opts client_tls(void)
{
    return (ferry_tls_opts){.ca_file = cert("ca.crt"), .server_name = "localhost"};
}

/* ---- a probe server with identity over TLS ---- */

typedef struct fixture {
    char keyring[320];
    ferry_key *server, *alice;
    ferry_server *srv;
    char bound[256];
} fixture;

static void serve(fixture *f, const ferry_tls_opts *tls)
{
    ferry_server_opts o = {.workers = 2, .tls = *tls};
    assert_int_equal(ferry_server_new(&f->srv, &o), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(f->srv, &probe_handlers, NULL), FERRY_OK);
    ferry_server_identity id = {.key = f->server, .keyring_path = f->keyring};
    assert_int_equal(ferry_server_set_identity(f->srv, &id), FERRY_OK);
    assert_int_equal(
        ferry_server_listen(f->srv, "tls+tcp://127.0.0.1:0", f->bound, sizeof f->bound), FERRY_OK);
    /* The port nng chose is in the bound URL. */
    assert_true(strncmp(f->bound, "tls+tcp://127.0.0.1:", 20) == 0);
    assert_true(atoi(f->bound + 20) > 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(ferry_key_generate(&f->server, "probe-server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->alice, "alice"), FERRY_OK);
    snprintf(f->keyring, sizeof f->keyring, "%s/keyring-XXXXXX", dir);
    int fd = mkstemp(f->keyring);
    assert_true(fd >= 0);
    char pk[FERRY_PUBLIC_KEY_B64], line[128];
    ferry_key_public_b64(f->alice, pk);
    int n = snprintf(line, sizeof line, "alice %s roles=reader\n", pk);
    assert_int_equal(write(fd, line, (size_t)n), n);
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    unlink(f->keyring);
    ferry_key_free(f->server);
    ferry_key_free(f->alice);
    free(f);
    return 0;
}

/* A channel to the fixture's server as alice. `connect_ms` bounds the wait
 * for a connection of each call. */
static ferry_channel *open_with(fixture *f, const ferry_tls_opts *tls, ferry_proof proof,
                                uint32_t connect_ms)
{
    ferry_client_opts o = {
        .connect_timeout_ms = connect_ms,
        .retry = {.max_attempts = 1},
        .breaker = {.disabled = 1},
        .identity = {.key = f->alice, .proof = proof, .server_key = f->server},
        .tls = *tls,
    };
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, f->bound, &o), FERRY_OK);
    return ch;
}

static ferry_channel *open_client(fixture *f, const ferry_tls_opts *tls, ferry_proof proof)
{
    return open_with(f, tls, proof, 10000);
}

/* A channel whose calls give up on the connection after a second, for
 * handshakes that are expected to fail. */
static ferry_channel *open_refused(fixture *f, const ferry_tls_opts *tls, ferry_proof proof)
{
    return open_with(f, tls, proof, 1000);
}

static ferry_status echo(ferry_channel *ch, ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "over tls";
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    if (st == FERRY_OK)
        assert_string_equal(resp->text, "over tls");
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    return st;
}

/* Calls until one fails because of TLS (handshakes are attempted in the
 * background, so a call may time out before any has failed), at most 20
 * times; asserts that the handler never ran and that the message
 * says `why`. */
static void assert_refused(ferry_channel *ch, const char *why)
{
    uint64_t before = atomic_load(&probe_calls);
    ferry_call_info info;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(echo(ch, &info), FERRY_UNAVAILABLE);
        if (strstr(info.message, "TLS handshakes failed") != NULL)
            break;
    }
    if (strstr(info.message, why) == NULL)
        fail_msg("expected '%s' in: %s", why, info.message);
    assert_int_equal(atomic_load(&probe_calls), before);
}

static void test_signed_and_mac_over_tls(void **state)
{
    fixture *f = *state;
    ferry_tls_opts stls = server_tls();
    serve(f, &stls);
    ferry_tls_opts ctls = client_tls();
    ferry_proof proofs[] = {FERRY_PROOF_SIGNED, FERRY_PROOF_MAC};
    for (size_t i = 0; i < 2; i++) {
        ferry_channel *ch = open_client(f, &ctls, proofs[i]);
        ferry_call_info info;
        for (int k = 0; k < 3; k++)
            assert_int_equal(echo(ch, &info), FERRY_OK);
        ferry_channel_close(ch);
    }
    ferry_auth_counters ac;
    ferry_server_get_auth_counters(f->srv, &ac);
    assert_int_equal(ac.verified, 6);
    assert_int_equal(ac.bad_proof + ac.missing_proof + ac.unknown_key, 0);
}

static void test_server_name_from_url(void **state)
{
    fixture *f = *state;
    ferry_tls_opts stls = server_tls();
    serve(f, &stls);
    /* tls+tcp://localhost:PORT: the host is the name checked. */
    char url[300];
    snprintf(url, sizeof url, "tls+tcp://localhost:%d", atoi(f->bound + 20));
    ferry_client_opts o = {
        .connect_timeout_ms = 20000,
        .identity = {.key = f->alice, .proof = FERRY_PROOF_MAC, .server_key = f->server},
        .tls = {.ca_file = cert("ca.crt")},
    };
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, url, &o), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(echo(ch, &info), FERRY_OK);
    ferry_channel_close(ch);
}

static void test_wrong_ca_refused(void **state)
{
    fixture *f = *state;
    ferry_tls_opts stls = server_tls();
    serve(f, &stls);
    ferry_tls_opts ctls = client_tls();
    ctls.ca_file = cert("other-ca.crt");
    ferry_channel *ch = open_refused(f, &ctls, FERRY_PROOF_MAC);
    assert_refused(ch, "the server's certificate was not accepted");
    ferry_channel_close(ch);
}

static void test_wrong_server_name_refused(void **state)
{
    fixture *f = *state;
    ferry_tls_opts stls = server_tls();
    serve(f, &stls);
    ferry_tls_opts ctls = client_tls();
    ctls.server_name = "inventory.example.org";
    ferry_channel *ch = open_refused(f, &ctls, FERRY_PROOF_SIGNED);
    assert_refused(ch, "the server's certificate was not accepted");
    ferry_channel_close(ch);
}

static void test_mutual_tls(void **state)
{
    fixture *f = *state;
    /* A CA file on the server: clients must show a certificate it signed. */
    ferry_tls_opts stls = server_tls();
    stls.ca_file = cert("ca.crt");
    serve(f, &stls);

    ferry_tls_opts ctls = client_tls();
    ctls.cert_file = cert("client.crt");
    ctls.key_file = cert("client.key");
    ferry_channel *ch = open_client(f, &ctls, FERRY_PROOF_MAC);
    ferry_call_info info;
    assert_int_equal(echo(ch, &info), FERRY_OK);
    ferry_channel_close(ch);

    ctls = client_tls();
    ch = open_refused(f, &ctls, FERRY_PROOF_MAC);
    assert_refused(ch, "TLS handshakes failed: the server ended them");
    ferry_channel_close(ch);
}

static void test_optional_client_certificate(void **state)
{
    fixture *f = *state;
    ferry_tls_opts stls = server_tls();
    stls.ca_file = cert("ca.crt");
    stls.auth = FERRY_TLS_AUTH_OPTIONAL;
    serve(f, &stls);
    ferry_tls_opts ctls = client_tls();
    ferry_channel *ch = open_client(f, &ctls, FERRY_PROOF_SIGNED);
    ferry_call_info info;
    assert_int_equal(echo(ch, &info), FERRY_OK);
    ferry_channel_close(ch);
}

static void test_encrypted_key(void **state)
{
    fixture *f = *state;
    ferry_tls_opts stls = server_tls();
    stls.key_file = cert("server.pem.key");
    stls.key_password = "test-password";
    serve(f, &stls);
    ferry_tls_opts ctls = client_tls();
    ferry_channel *ch = open_client(f, &ctls, FERRY_PROOF_MAC);
    ferry_call_info info;
    assert_int_equal(echo(ch, &info), FERRY_OK);
    ferry_channel_close(ch);
}

/* ---- options and files refused ---- */

/* Asserts that ferry_tls_check() refuses `o` for `side` with `st` and a
 * message holding `a` and `b` (NULL: not checked), and that the server or
 * channel it would configure is refused with the same status and a reason
 * holding them too (a server given no TLS options at all is simply a server
 * without TLS). */
/* Fails unless this thread's last error holds `a` and `b` (NULL: not
 * checked). */
static void assert_says(const char *a, const char *b)
{
    const char *why = ferry_last_error();
    if (strstr(why, a) == NULL || (b != NULL && strstr(why, b) == NULL))
        fail_msg("expected '%s' and '%s' in: %s", a, b != NULL ? b : "", why);
}

static void assert_bad(const ferry_tls_opts *o, ferry_tls_side side, ferry_status st, const char *a,
                       const char *b)
{
    assert_int_equal(ferry_tls_check(o, side), st);
    assert_says(a, b);
    if (side == FERRY_TLS_SERVER && ferry_tls_is_set(o)) {
        ferry_server *srv = NULL;
        assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.tls = *o}), st);
        assert_null(srv);
        assert_says(a, b);
    } else if (side == FERRY_TLS_CLIENT) {
        ferry_channel *ch = NULL;
        assert_int_equal(
            ferry_client_open(&ch, "tls+tcp://127.0.0.1:1", &(ferry_client_opts){.tls = *o}), st);
        assert_null(ch);
        assert_says(a, b);
    }
}

static void test_bad_files(void **state)
{
    (void)state;
    ferry_tls_opts o = server_tls();
    o.cert_file = cert("missing.crt");
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_NOT_FOUND, cert("missing.crt"),
               "cannot open the TLS certificate file");

    o = server_tls();
    o.key_file = cert("missing.key");
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_NOT_FOUND, cert("missing.key"),
               "cannot open the TLS private key file");

    o = server_tls();
    o.cert_file = dir;
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, dir, "is not a regular file");

    o = server_tls();
    o.cert_file = scratch("", 0644);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "scratch",
               "TLS certificate file is empty");

    o.cert_file = scratch("just some text\n", 0644);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "scratch", "holds no PEM block");

    o.cert_file =
        scratch("-----BEGIN CERTIFICATE-----\nAAAA!!notbase64\n-----END CERTIFICATE-----\n", 0644);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "scratch",
               "holds a certificate that cannot be parsed");

    /* A key given as the certificate, and the other way round. */
    o = server_tls();
    o.cert_file = cert("server.key");
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, cert("server.key"),
               "holds no certificate");
    o = server_tls();
    o.key_file = scratch("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", 0600);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "scratch", "holds no private key");

    o.key_file =
        scratch("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", 0600);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "scratch",
               "private key cannot be parsed");

    /* A private key others can read. */
    FILE *in = fopen(cert("server.key"), "r");
    assert_non_null(in);
    char key[1024];
    size_t n = fread(key, 1, sizeof key - 1, in);
    fclose(in);
    key[n] = '\0';
    o.key_file = scratch(key, 0604);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_PERMISSION_DENIED, "scratch", "chmod 600");
    /* ...or its group: a secret is its owner's alone, as for key files. */
    o.key_file = scratch(key, 0640);
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_PERMISSION_DENIED, "scratch", "chmod 600");

    /* Encrypted keys without their password, with a wrong one, and PKCS#8. */
    o = server_tls();
    o.key_file = cert("server.pem.key");
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "server.pem.key",
               "encrypted and no tls.key_password");
    o.key_password = "wrong";
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "server.pem.key",
               "cannot be decrypted with tls.key_password");
    o.key_file = cert("server.p8.key");
    o.key_password = "test-password";
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "server.p8.key", "openssl ec -aes256");

    /* CA files. */
    ferry_tls_opts c = client_tls();
    c.ca_file = cert("nope.crt");
    assert_bad(&c, FERRY_TLS_CLIENT, FERRY_NOT_FOUND, "nope.crt", "cannot open the TLS CA file");
    c.ca_file = cert("client.key");
    assert_bad(&c, FERRY_TLS_CLIENT, FERRY_INVALID_ARGUMENT, "client.key",
               "TLS CA file holds no certificate");
}

static void test_member_rules(void **state)
{
    (void)state;
    assert_bad(&(ferry_tls_opts){0}, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT,
               "a TLS server needs a certificate", NULL);
    assert_bad(&(ferry_tls_opts){.cert_file = cert("server.crt")}, FERRY_TLS_SERVER,
               FERRY_INVALID_ARGUMENT, "only tls.cert_file is set", NULL);
    assert_bad(&(ferry_tls_opts){.key_password = "x"}, FERRY_TLS_CLIENT, FERRY_INVALID_ARGUMENT,
               "tls.key_password is set but there is no tls.key_file", NULL);
    ferry_tls_opts o = server_tls();
    o.server_name = "localhost";
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "tls.server_name is for clients",
               NULL);
    o = server_tls();
    o.auth = FERRY_TLS_AUTH_REQUIRED;
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "no tls.ca_file", NULL);
    o.auth = (ferry_tls_auth)42;
    assert_bad(&o, FERRY_TLS_SERVER, FERRY_INVALID_ARGUMENT, "tls.auth 42", NULL);
    assert_bad(&(ferry_tls_opts){0}, FERRY_TLS_CLIENT, FERRY_INVALID_ARGUMENT,
               "tls.ca_file is needed to check the server's certificate", NULL);
    ferry_tls_opts c = client_tls();
    c.auth = FERRY_TLS_AUTH_OPTIONAL;
    assert_bad(&c, FERRY_TLS_CLIENT, FERRY_INVALID_ARGUMENT, "is for servers", NULL);
    c = client_tls();
    c.server_name = "";
    assert_bad(&c, FERRY_TLS_CLIENT, FERRY_INVALID_ARGUMENT, "tls.server_name is empty", NULL);

    /* Good options pass. */
    ferry_tls_opts s = server_tls();
    assert_int_equal(ferry_tls_check(&s, FERRY_TLS_SERVER), FERRY_OK);
    c = client_tls();
    assert_int_equal(ferry_tls_check(&c, FERRY_TLS_CLIENT), FERRY_OK);
    assert_int_equal(
        ferry_tls_check(&(ferry_tls_opts){.auth = FERRY_TLS_AUTH_NONE}, FERRY_TLS_CLIENT),
        FERRY_OK);
    assert_true(ferry_tls_is_set(&c));
    assert_false(ferry_tls_is_set(&(ferry_tls_opts){0}));
    assert_false(ferry_tls_is_set(NULL));

    /* TLS options with a URL that is not TLS: refused, never in the clear. */
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "tcp://127.0.0.1:1", &(ferry_client_opts){.tls = c}),
                     FERRY_INVALID_ARGUMENT);
    assert_null(ch);

    /* A server without TLS options cannot listen on tls+tcp://, and one with
     * them still listens on other transports. */
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, "tls+tcp://127.0.0.1:0", NULL, 0),
                     FERRY_FAILED_PRECONDITION);
    ferry_server_free(srv);
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.tls = s}), FERRY_OK);
    char *url = probe_ipc_url();
    assert_int_equal(ferry_server_listen(srv, url, NULL, 0), FERRY_OK);
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signed_and_mac_over_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_name_from_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_ca_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_server_name_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutual_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_optional_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_key, setup, teardown),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_member_rules),
    };
    int failed = cmocka_run_group_tests(tests, make_certs, remove_certs);
    /* Ends nng's threads, the name resolver's too, so that a leak checker
     * sees only what the tests left behind. */
    nng_fini();
    return failed;
}
