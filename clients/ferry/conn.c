/* conn.c - connecting to a server from the `ferry` tool (conn.h). */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

static const char *const tcp_schemes[] = {"tcp://",     "tcp4://",     "tcp6://",
                                          "tls+tcp://", "tls+tcp4://", "tls+tcp6://"};
#define N_TCP_SCHEMES (sizeof tcp_schemes / sizeof tcp_schemes[0])

/* What follows the scheme of a tcp:// (or tls+tcp://) address, or NULL for
 * another transport; *scheme is its index in tcp_schemes. */
static const char *tcp_rest(const char *url, size_t *scheme)
{
    for (size_t i = 0; i < N_TCP_SCHEMES; i++)
        if (strncmp(url, tcp_schemes[i], strlen(tcp_schemes[i])) == 0) {
            *scheme = i;
            return url + strlen(tcp_schemes[i]);
        }
    return NULL;
}

/* The port of a tcp:// (or tls+tcp://) address, checked before dialing:
 * nng takes any port text, each dial attempt then fails and the channel
 * retries until the deadline, so a port that cannot work would only be
 * reported as "no server answered" once the whole timeout has passed.
 * Writes what is wrong into `why`; 0 when there is nothing to say. */
static int bad_port(const char *url, char *why, size_t len)
{
    size_t scheme = 0;
    const char *rest = tcp_rest(url, &scheme);
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

/* Whether the host of a tcp:// (or tls+tcp://) address resolves, asked
 * before dialing: nng resolves it at every dial attempt and the channel
 * only says, once its connect wait is over, that no connection came, as
 * for a server that refused it. Writes the reason into `why`; 0 when the
 * host resolves, is a literal address, or the address is no tcp:// one. */
static int unresolved(const char *url, char *why, size_t len)
{
    size_t scheme = 0;
    const char *rest = tcp_rest(url, &scheme);
    if (rest == NULL || strchr(url, ',') != NULL) /* a list is the balancer's to resolve */
        return 0;
    if (*rest == '[') /* [IPv6]:port: a literal, nothing to resolve */
        return 0;
    const char *colon = strrchr(rest, ':');
    size_t n = colon != NULL ? (size_t)(colon - rest) : strcspn(rest, "/?#");
    char host[256];
    if (n == 0 || n >= sizeof host || (n == 1 && rest[0] == '*'))
        return 0; /* nng says what is wrong with these */
    memcpy(host, rest, n);
    host[n] = '\0';
    int family = strstr(tcp_schemes[scheme], "4:") != NULL   ? AF_INET
                 : strstr(tcp_schemes[scheme], "6:") != NULL ? AF_INET6
                                                             : AF_UNSPEC;
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rv = getaddrinfo(host, NULL, &hints, &ai);
    if (ai != NULL)
        freeaddrinfo(ai);
    if (rv == 0)
        return 0;
    snprintf(why, len, "cannot resolve the host name '%s': %s", host,
             rv == EAI_SYSTEM ? strerror(errno) : gai_strerror(rv));
    return 1;
}

/* The runtime's log lines while a channel opens. A failed open returns its
 * reason, which the command prints with its own name; the runtime logs the
 * same failure as it returns it, so the lines are held and dropped then,
 * and written as usual when the open succeeds. */
typedef struct held_lines {
    char text[8][1600];      /* as long as the stderr sink's lines */
    ferry_log_format format; /* the one they would have been written in */
    atomic_size_t n;         /* a line may come from nng's threads as well */
} held_lines;

static void hold_line(void *arg, const ferry_log_record *rec)
{
    held_lines *h = arg;
    size_t i = atomic_fetch_add(&h->n, 1);
    if (i < sizeof h->text / sizeof h->text[0])
        ferry_log_format_record(rec, h->format, h->text[i], sizeof h->text[0]);
}

int cli_conn_open(const cli_conn *c, const char *client_name, ferry_channel **out)
{
    char why[400];
    if (bad_port(c->url, why, sizeof why)) {
        fprintf(stderr, "ferry %s: %s: not an address to connect to: %s\n", c->cmd, c->url, why);
        return CLI_EXIT_ERROR;
    }
    if (unresolved(c->url, why, sizeof why)) {
        if (!c->quiet)
            fprintf(stderr, "ferry %s: %s: %s\n", c->cmd, c->url, why);
        return CLI_EXIT_UNREACHABLE;
    }
    ferry_client_opts co = {
        .client_name = client_name,
        .default_deadline_ms = (uint32_t)c->timeout_ms,
        .connect_timeout_ms = (uint32_t)c->timeout_ms,
        .identity = {.key = c->key, .proof = c->proof, .server_key = c->server_key},
        .tls = c->tls,
    };
    static held_lines held; /* one command per process, one open at a time */
    atomic_store(&held.n, 0);
    held.format = ferry_log_get_format();
    /* Setting the sink back waits for calls of hold_line still running. */
    ferry_log_set_sink(hold_line, &held);
    ferry_status st = ferry_client_open(out, c->url, &co);
    ferry_log_set_sink(NULL, NULL);
    if (st == FERRY_OK) {
        size_t n = atomic_load(&held.n);
        for (size_t i = 0; i < n && i < sizeof held.text / sizeof held.text[0]; i++)
            fputs(held.text[i], stderr);
        return CLI_EXIT_OK;
    }
    /* The reason names the address already ("cannot dial URL: ..."). */
    const char *reason = ferry_last_error();
    int named = strstr(reason, c->url) != NULL;
    fprintf(stderr, "ferry %s: %s%s%s", c->cmd, named ? "" : c->url, named ? "" : ": ", reason);
    if (ferry_tls_is_set(&c->tls))
        fprintf(stderr, " (TLS needs a tls+tcp:// address, --tls-ca, and --tls-cert with "
                        "--tls-key or neither)");
    fputc('\n', stderr);
    return CLI_EXIT_ERROR;
}

int cli_conn_exit(ferry_status st, const ferry_call_info *info)
{
    /* No connection, or one lost before the request went out: the call
     * never reached a server. A server's refusal did, even one that ran
     * nothing (a draining server, a connection over its share). */
    if ((st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED) && info->not_run &&
        !info->answered)
        return CLI_EXIT_UNREACHABLE;
    return CLI_EXIT_NO;
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
    /* The client's own reasons name the address already ("no connection to
     * URL ..."); a server's need it said. */
    if (strstr(info->message, c->url) != NULL)
        fprintf(stderr, "ferry %s: %s: ", c->cmd, ferry_status_str(st));
    else
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
