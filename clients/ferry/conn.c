/* conn.c - connecting to a server from the `ferry` tool (conn.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conn.h"

/* A non-empty environment variable, or NULL. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

void cli_conn_init(cli_conn *c, const char *cmd)
{
    *c = (cli_conn){
        .cmd = cmd,
        .timeout_ms = 5000,
        .key_path = env("FERRY_KEY"),
        .server_path = env("FERRY_SERVER_KEY"),
        .proof_name = env("FERRY_PROOF"),
    };
}

int cli_conn_option(cli_conn *c, int opt, const char *arg)
{
    switch (opt) {
    case 'k':
        c->key_path = arg;
        return 1;
    case 's':
        c->server_path = arg;
        return 1;
    case 'p':
        c->proof_name = arg;
        return 1;
    case CLI_OPT_TLS_CA:
        c->tls.ca_file = arg;
        return 1;
    case CLI_OPT_TLS_CERT:
        c->tls.cert_file = arg;
        return 1;
    case CLI_OPT_TLS_KEY:
        c->tls.key_file = arg;
        return 1;
    case CLI_OPT_TLS_NAME:
        c->tls.server_name = arg;
        return 1;
    case 't':
        return cli_conn_parse_ms(c, "--timeout", arg) == 0 ? 1 : -1;
    default:
        return 0;
    }
}

int cli_conn_parse_ms(cli_conn *c, const char *option, const char *arg)
{
    char *end = NULL;
    errno = 0;
    long ms = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || ms < 1 || ms > 3600000) {
        fprintf(stderr, "ferry %s: %s '%s' is not a number of milliseconds from 1 to 3600000\n",
                c->cmd, option, arg);
        return -1;
    }
    c->timeout_ms = ms;
    return 0;
}

int cli_conn_load(cli_conn *c)
{
    /* A proof name that is neither is wrong whatever else is given, so it is
     * reported before what it would need. */
    if (c->proof_name != NULL && strcmp(c->proof_name, "signed") != 0 &&
        strcmp(c->proof_name, "mac") != 0) {
        fprintf(stderr,
                "ferry %s: proof '%s' is neither 'signed' nor 'mac' (--proof or FERRY_PROOF)\n",
                c->cmd, c->proof_name);
        return -1;
    }
    if (c->key_path != NULL && ferry_key_load_secret(&c->key, c->key_path) != FERRY_OK) {
        fprintf(stderr, "ferry %s: key: %s\n", c->cmd, ferry_last_error());
        return -1;
    }
    if (c->server_path != NULL &&
        ferry_key_load_public(&c->server_key, c->server_path) != FERRY_OK) {
        fprintf(stderr, "ferry %s: server key: %s\n", c->cmd, ferry_last_error());
        return -1;
    }
    if (c->key == NULL && (c->server_key != NULL || c->proof_name != NULL)) {
        fprintf(stderr,
                "ferry %s: a server key or a proof needs this client's key (--key or "
                "FERRY_KEY)\n",
                c->cmd);
        return -1;
    }
    c->proof = c->server_key != NULL ? FERRY_PROOF_MAC : FERRY_PROOF_SIGNED;
    if (c->proof_name != NULL && strcmp(c->proof_name, "signed") == 0) {
        c->proof = FERRY_PROOF_SIGNED;
    } else if (c->proof_name != NULL && strcmp(c->proof_name, "mac") == 0) {
        if (c->server_key == NULL) {
            fprintf(stderr,
                    "ferry %s: --proof mac needs the server's public key (--server-key or "
                    "FERRY_SERVER_KEY)\n",
                    c->cmd);
            return -1;
        }
        c->proof = FERRY_PROOF_MAC;
    }
    if (c->key == NULL)
        c->proof = FERRY_PROOF_NONE;
    return 0;
}

/* The port of a tcp:// (or tls+tcp://) address, checked before dialing:
 * nng takes any port text, each dial attempt then fails and the channel
 * retries until the deadline, so a port that cannot work would only be
 * reported as "no server answered" once the whole timeout has passed.
 * Writes what is wrong into `why`; 0 when there is nothing to say. */
static int bad_port(const char *url, char *why, size_t len)
{
    static const char *const schemes[] = {"tcp://",     "tcp4://",     "tcp6://",
                                          "tls+tcp://", "tls+tcp4://", "tls+tcp6://"};
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && rest == NULL; i++)
        if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
            rest = url + strlen(schemes[i]);
    if (rest == NULL)
        return 0;
    if (*rest == '[') { /* [IPv6]:port */
        rest = strchr(rest, ']');
        if (rest == NULL)
            return 0;
    }
    const char *colon = strrchr(rest, ':');
    if (colon == NULL)
        return 0; /* no port: nng refuses it at once */
    const char *port = colon + 1;
    size_t n = strcspn(port, "/?#");
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (port[i] < '0' || port[i] > '9') {
            snprintf(why, len, "port '%.*s' is not a number", (int)(n < 32 ? n : 32), port);
            return 1;
        }
        if (v <= 65535)
            v = v * 10 + (unsigned long)(port[i] - '0');
    }
    if (n == 0) {
        snprintf(why, len, "the port after ':' is missing");
        return 1;
    }
    if (v < 1 || v > 65535) {
        snprintf(why, len, "port %.*s is out of range 1-65535", (int)(n < 32 ? n : 32), port);
        return 1;
    }
    return 0;
}

ferry_status cli_conn_open(const cli_conn *c, const char *client_name, ferry_channel **out)
{
    char why[96];
    if (bad_port(c->url, why, sizeof why)) {
        fprintf(stderr, "ferry %s: '%s' is not an address to connect to (%s)\n", c->cmd, c->url,
                why);
        return FERRY_INVALID_ARGUMENT;
    }
    ferry_client_opts co = {
        .client_name = client_name,
        .default_deadline_ms = (uint32_t)c->timeout_ms,
        .connect_timeout_ms = (uint32_t)c->timeout_ms,
        .identity = {.key = c->key, .proof = c->proof, .server_key = c->server_key},
        .tls = c->tls,
    };
    ferry_status st = ferry_client_open(out, c->url, &co);
    if (st != FERRY_OK && ferry_tls_is_set(&c->tls))
        fprintf(stderr,
                "ferry %s: '%s' with the --tls-* options: %s (TLS needs a tls+tcp:// "
                "address, --tls-ca, and --tls-cert with --tls-key or neither)\n",
                c->cmd, c->url, ferry_last_error());
    else if (st != FERRY_OK)
        fprintf(stderr, "ferry %s: '%s' is not an address to connect to (%s)\n", c->cmd, c->url,
                ferry_last_error());
    return st;
}

void cli_conn_explain(const cli_conn *c, ferry_status st, const ferry_call_info *info,
                      const char *unimplemented_hint, const char *denied_hint)
{
    const char *hint = "";
    switch (st) {
    case FERRY_UNAVAILABLE:
    case FERRY_DEADLINE_EXCEEDED:
        hint = "is the server running at that address?";
        break;
    case FERRY_UNIMPLEMENTED:
        hint = unimplemented_hint;
        break;
    case FERRY_PERMISSION_DENIED:
        hint = denied_hint;
        break;
    case FERRY_UNAUTHENTICATED:
        hint = c->key == NULL ? "the server wants identity: pass --key (or set FERRY_KEY)"
                              : "the server does not trust this key, or the proof failed";
        break;
    default:
        break;
    }
    fprintf(stderr, "ferry %s: %s: %s: ", c->cmd, c->url, ferry_status_str(st));
    cli_put_str(stderr, info->message); /* the server's text */
    fprintf(stderr, "%s%s\n", *hint ? "; " : "", hint);
}

void cli_conn_fini(cli_conn *c)
{
    ferry_key_free(c->key);
    ferry_key_free(c->server_key);
    c->key = c->server_key = NULL;
}
