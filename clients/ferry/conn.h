/* conn.h - how the `ferry` subcommands that call a server (stats, health)
 * connect: the address, this client's key, the server's key, the proof and a
 * timeout, from options and the environment (FERRY_KEY, FERRY_SERVER_KEY,
 * FERRY_PROOF).
 *
 * Ownership: cli_conn_fini() frees the keys cli_conn_load() loaded; the
 * channel of cli_conn_open() is the caller's to close. */
#ifndef FERRY_CLI_CONN_H
#define FERRY_CLI_CONN_H

#include "ferry/ferry.h"

/* The options, as getopt_long entries: add CLI_CONN_LONGOPTS to a
 * command's table and CLI_CONN_SHORTOPTS to its short options, and pass
 * each option to cli_conn_option(). */
#define CLI_CONN_LONGOPTS                                                                          \
    {"key", required_argument, NULL, 'k'}, {"server-key", required_argument, NULL, 's'},           \
        {"proof", required_argument, NULL, 'p'}, {"timeout", required_argument, NULL, 't'},        \
        {"tls-ca", required_argument, NULL, CLI_OPT_TLS_CA},                                       \
        {"tls-cert", required_argument, NULL, CLI_OPT_TLS_CERT},                                   \
        {"tls-key", required_argument, NULL, CLI_OPT_TLS_KEY},                                     \
    {                                                                                              \
        "tls-server-name", required_argument, NULL, CLI_OPT_TLS_NAME                               \
    }
#define CLI_CONN_SHORTOPTS "k:s:p:t:"
/* The long-only options' codes, above any character. */
enum { CLI_OPT_TLS_CA = 0x200, CLI_OPT_TLS_CERT, CLI_OPT_TLS_KEY, CLI_OPT_TLS_NAME };

/* The usage lines of those options. */
#define CLI_CONN_USAGE                                                                             \
    "  -k, --key FILE        this client's secret key (default: $FERRY_KEY)\n"                     \
    "  -s, --server-key FILE the server's public key; replies must prove it\n"                     \
    "                        (default: $FERRY_SERVER_KEY)\n"                                       \
    "  -p, --proof HOW       signed or mac (default: $FERRY_PROOF, else mac with a\n"              \
    "                        server key, signed without)\n"                                        \
    "  -t, --timeout MS      give up after MS milliseconds (default 5000)\n"                       \
    "      --tls-ca FILE     for tls+tcp://: the CAs (PEM) that vouch for the server\n"            \
    "      --tls-cert FILE   this client's certificate (PEM), for mutual TLS, and\n"               \
    "      --tls-key FILE    its private key (PEM)\n"                                              \
    "      --tls-server-name NAME  the name the server's certificate is for\n"                     \
    "                        (default: the URL's host)\n"

typedef struct cli_conn {
    const char *cmd; /* "stats": messages start "ferry stats: " */
    const char *url;
    long timeout_ms;
    const char *key_path, *server_path, *proof_name;
    ferry_key *key, *server_key;
    ferry_proof proof;
    ferry_tls_opts tls; /* from the --tls-* options */
    int quiet;          /* say nothing of a server that cannot be reached */
} cli_conn;

/* Defaults and the environment. */
void cli_conn_init(cli_conn *c, const char *cmd);

/* Takes option `opt` with `arg` when it is one of CLI_CONN_SHORTOPTS:
 * returns 1 when taken, 0 when it is not one of them, -1 after a message
 * when its value is bad. */
int cli_conn_option(cli_conn *c, int opt, const char *arg);

/* Sets the timeout from `arg`, 1 to 3600000 milliseconds, given as option
 * `option` (named in the message); 0, or -1 after a message. */
int cli_conn_parse_ms(cli_conn *c, const char *option, const char *arg);

/* Loads the keys and picks the proof; 0, or -1 after a message. */
int cli_conn_load(cli_conn *c);

/* Opens a channel to c->url named `client_name` with the keys, the proof
 * and the timeout (as default deadline and connect wait). CLI_EXIT_OK, or
 * after one line saying why (the address and the reason): CLI_EXIT_ERROR
 * for an address that cannot work, CLI_EXIT_UNREACHABLE for a host name
 * that does not resolve. */
int cli_conn_open(const cli_conn *c, const char *client_name, ferry_channel **out);

/* The exit status of a command whose call failed with `st`:
 * CLI_EXIT_UNREACHABLE when the call never reached a server (no
 * connection), else CLI_EXIT_NO (the server answered with an error). */
int cli_conn_exit(ferry_status st, const ferry_call_info *info);

/* Why a call failed, in a user's terms: "ferry CMD: URL: status: message;
 * hint", with the given hint for FERRY_UNIMPLEMENTED and FERRY_PERMISSION_DENIED. */
void cli_conn_explain(const cli_conn *c, ferry_status st, const ferry_call_info *info,
                      const char *unimplemented_hint, const char *denied_hint);

void cli_conn_fini(cli_conn *c);

#endif
