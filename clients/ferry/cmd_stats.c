/* cmd_stats.c - `ferry stats ADDRESS`: asks a server's admin service
 * (ferry.admin.v1.Admin, ferry_server_add_admin()) for the API versions it
 * serves and the calls it counted per method, client API version and client
 * software, and shows which clients still call deprecated methods or old
 * versions: a table by default, JSON with --json.
 *
 *   ferry stats ADDRESS [--json] [--fail-if-old] [--key FILE]
 *               [--server-key FILE] [--proof signed|mac] [--timeout MS]
 *   ferry stats http://HOST:PORT/PATH [--timeout MS]
 *
 * Given a metrics endpoint (ferry/metrics.h) instead, it shows per method
 * the calls, errors by status and latency quantiles (stats_metrics.c).
 *
 * Given many servers (a comma-separated list of URLs, or a dns:// or
 * dns+srv:// name, ferry/balance.h), it shows one row per endpoint the name
 * resolves to: the balancing channel's state of it, and what the endpoint's
 * admin service says (calls, refusals, time since start), how long it took
 * to answer, or why it did not.
 *
 * Exits 0 on an answer, 1 with --fail-if-old when some client still calls a
 * deprecated method or an old version, or when the server answered with an
 * error (no admin service, identity refused), 2 on bad usage, 3 when the
 * server cannot be reached. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "conn.h"
#include "stats_metrics.h"
#include "ferry/admin/v1/admin.ferry.h"
#include "ferry/balance.h"
#include "ferry/ferry.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry stats ADDRESS [--json] [--fail-if-old] [--key FILE]\n"
            "                   [--server-key FILE] [--proof signed|mac] [--timeout MS]\n"
            "       ferry stats http://HOST:PORT/PATH [--timeout MS]\n"
            "       ferry stats URL,URL,...|dns://HOST:PORT|dns+srv://NAME [--json] ...\n"
            "\n"
            "Shows what a server counted since it started: the API versions each service\n"
            "serves, and the calls per method, client API version and client software,\n"
            "marking clients that still call deprecated methods or old versions. The\n"
            "server must host the admin service (ferry_server_add_admin()); with identity\n"
            "on, the key must hold the role %s.\n"
            "  ADDRESS               the server, e.g. ipc:///tmp/inventory.sock, tcp://host:port\n"
            "  http://...            a metrics endpoint (metrics_url, FERRY_METRICS_URL): per\n"
            "                        method the calls, errors by status, median and 99th\n"
            "                        percentile latency\n"
            "  URL,URL / dns://...   many servers (a list; A/AAAA or SRV records, asked of\n"
            "                        $FERRY_DNS_SERVER or the system's): a row per endpoint\n"
            "  -j, --json            print JSON instead of tables\n"
            "  -o, --fail-if-old     exit 1 when some client still calls a deprecated method\n"
            "                        or an old API or major version\n" CLI_CONN_USAGE
            "  -h, --help            this text\n"
            "Exit status: 0 answered; 1 old clients seen (--fail-if-old), the server\n"
            "answered with an error or, for many servers, some endpoint did not answer;\n"
            "2 bad usage; 3 the server (or every endpoint) could not be reached.\n",
            FERRY_ADMIN_ROLE);
}

/* The options and the connection they describe. */
typedef struct stats_args {
    cli_conn conn;
    int json, fail_if_old;
} stats_args;

/* Parses the command line into `a`; 0, or -1 after a message (1 for --help). */
static int parse_args(int argc, char **argv, stats_args *a)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"fail-if-old", no_argument, NULL, 'o'},
        CLI_CONN_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_conn_init(&a->conn, "stats");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "joh" CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        int taken = cli_conn_option(&a->conn, c, optarg);
        if (taken < 0)
            return -1;
        if (taken > 0)
            continue;
        switch (c) {
        case 'j':
            a->json = 1;
            break;
        case 'o':
            a->fail_if_old = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, optind >= argc ? "ferry stats: no ADDRESS given\n"
                                       : "ferry stats: one ADDRESS, not several\n");
        usage(stderr);
        return -1;
    }
    a->conn.url = argv[optind];
    return cli_conn_load(&a->conn);
}

/* Whether a client row is one to act on. */
static int is_old(const Ferry__Admin__V1__ClientStats *c)
{
    return c->calls > 0 && (c->deprecated_method || c->old_api || c->old_major);
}

/* ---- JSON ---- */

static json_t *json_u64(uint64_t v)
{
    return json_integer((json_int_t)(v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v));
}

/* Appends `item` to `arr`; counts a NULL item (text that is not UTF-8 from
 * the server, or no memory) in *bad. */
static void add(json_t *arr, json_t *item, int *bad)
{
    if (item == NULL || json_array_append_new(arr, item) != 0)
        (*bad)++;
}

static int print_json(const Ferry__Admin__V1__GetStatsReply *r, size_t n_old)
{
    json_t *root = json_object(), *svcs = json_array(), *methods = json_array();
    json_t *clients = json_array();
    int bad = 0;
    for (size_t i = 0; i < r->n_services; i++) {
        const Ferry__Admin__V1__ServiceInfo *s = r->services[i];
        add(svcs,
            json_pack("{s:s, s:I, s:I, s:I, s:s}", "service", s->service, "api_version",
                      (json_int_t)s->api_version, "api_min", (json_int_t)s->api_min, "api_max",
                      (json_int_t)s->api_max, "superseded_by", s->superseded_by),
            &bad);
    }
    for (size_t i = 0; i < r->n_methods; i++) {
        const Ferry__Admin__V1__MethodStats *m = r->methods[i];
        add(methods,
            json_pack("{s:s, s:I, s:b, s:I, s:o, s:o}", "method", m->method, "since",
                      (json_int_t)m->since, "deprecated", m->deprecated, "deprecated_since",
                      (json_int_t)m->deprecated_since, "calls", json_u64(m->calls), "refused",
                      json_u64(m->refused)),
            &bad);
    }
    for (size_t i = 0; i < r->n_clients; i++) {
        const Ferry__Admin__V1__ClientStats *c = r->clients[i];
        add(clients,
            json_pack("{s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:b}", "method",
                      c->method, "api_version", (json_int_t)c->api_version, "client_name",
                      c->client_name, "client_version", c->client_version, "calls",
                      json_u64(c->calls), "refused", json_u64(c->refused), "first_ms",
                      json_u64(c->first_ms), "last_ms", json_u64(c->last_ms), "deprecated_method",
                      c->deprecated_method, "old_api", c->old_api, "old_major", c->old_major),
            &bad);
    }
    json_object_set_new(root, "ferry_version", json_string(r->ferry_version));
    json_object_set_new(root, "now_ms", json_u64(r->now_ms));
    json_object_set_new(root, "started_ms", json_u64(r->started_ms));
    json_object_set_new(root, "services", svcs);
    json_object_set_new(root, "methods", methods);
    json_object_set_new(root, "clients", clients);
    json_object_set_new(root, "clients_limit", json_integer(r->clients_limit));
    json_object_set_new(root, "clients_overflow", json_u64(r->clients_overflow));
    json_object_set_new(root, "unknown_methods", json_u64(r->unknown_methods));
    json_object_set_new(root, "old_clients", json_integer((json_int_t)n_old));
    char *text = bad == 0 ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (text == NULL) {
        fprintf(stderr, "ferry stats: cannot write the answer as JSON (%s)\n",
                bad != 0 ? "the server sent text that is not UTF-8" : "out of memory");
        return -1;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

/* ---- tables ---- */

/* "12s", "5m", "3h", "2d": how long ago `then` was on the server's clock. */
static void ago(char *buf, size_t len, uint64_t now, uint64_t then)
{
    uint64_t s = now > then ? (now - then) / 1000u : 0;
    if (s < 120)
        snprintf(buf, len, "%llus", (unsigned long long)s);
    else if (s < 7200)
        snprintf(buf, len, "%llum", (unsigned long long)(s / 60));
    else if (s < 172800)
        snprintf(buf, len, "%lluh", (unsigned long long)(s / 3600));
    else
        snprintf(buf, len, "%llud", (unsigned long long)(s / 86400));
}

/* The method of `r` named `name`, or NULL. */
static const Ferry__Admin__V1__MethodStats *method_of(const Ferry__Admin__V1__GetStatsReply *r,
                                                      const char *name)
{
    for (size_t i = 0; i < r->n_methods; i++)
        if (strcmp(r->methods[i]->method, name) == 0)
            return r->methods[i];
    return NULL;
}

/* What is old about a client row, or "". */
static void note_of(char *buf, size_t len, const Ferry__Admin__V1__GetStatsReply *r,
                    const Ferry__Admin__V1__ClientStats *c)
{
    const Ferry__Admin__V1__MethodStats *m = method_of(r, c->method);
    size_t n = 0;
    buf[0] = '\0';
    if (c->deprecated_method) {
        if (m != NULL && m->deprecated_since != 0)
            n += (size_t)snprintf(buf + n, len - n, "deprecated since %u", m->deprecated_since);
        else
            n += (size_t)snprintf(buf + n, len - n, "deprecated");
    }
    if (c->old_api && n < len)
        n += (size_t)snprintf(buf + n, len - n, "%sold API version", n ? ", " : "");
    if (c->old_major && n < len)
        n += (size_t)snprintf(buf + n, len - n, "%sold major version", n ? ", " : "");
    if (c->refused > 0 && n < len)
        snprintf(buf + n, len - n, "%srefused: version not served", n ? ", " : "");
}

static void print_tables_to(FILE *o, const stats_args *a, const Ferry__Admin__V1__GetStatsReply *r,
                            size_t n_old)
{
    uint64_t total = 0;
    for (size_t i = 0; i < r->n_methods; i++)
        total += r->methods[i]->calls;
    char up[16];
    ago(up, sizeof up, r->now_ms, r->started_ms);
    fprintf(o, "%s: ferry %s, counting for %s, %llu calls\n\n", a->conn.url, r->ferry_version, up,
            (unsigned long long)total);

    int w = (int)strlen("SERVICE");
    for (size_t i = 0; i < r->n_services; i++)
        if ((int)strlen(r->services[i]->service) > w)
            w = (int)strlen(r->services[i]->service);
    fprintf(o, "%-*s  API  SERVES\n", w, "SERVICE");
    for (size_t i = 0; i < r->n_services; i++) {
        const Ferry__Admin__V1__ServiceInfo *s = r->services[i];
        char range[32];
        snprintf(range, sizeof range, "%u-%u", s->api_min, s->api_max);
        if (*s->superseded_by)
            fprintf(o, "%-*s  %3u  %-6s  old major version: %s is served\n", w, s->service,
                    s->api_version, range, s->superseded_by);
        else
            fprintf(o, "%-*s  %3u  %s\n", w, s->service, s->api_version, range);
    }

    if (r->n_clients > 0) {
        int wm = (int)strlen("METHOD"), wc = (int)strlen("CLIENT");
        for (size_t i = 0; i < r->n_clients; i++) {
            const Ferry__Admin__V1__ClientStats *c = r->clients[i];
            int lc = (int)(strlen(c->client_name) + 1 + strlen(c->client_version));
            if ((int)strlen(c->method) > wm)
                wm = (int)strlen(c->method);
            if (lc > wc)
                wc = lc;
        }
        fprintf(o, "\n%-*s  API  %-*s  %8s  %7s  %4s  NOTE\n", wm, "METHOD", wc, "CLIENT", "CALLS",
                "REFUSED", "LAST");
        for (size_t i = 0; i < r->n_clients; i++) {
            const Ferry__Admin__V1__ClientStats *c = r->clients[i];
            char who[2 * 64 + 2], last[16], note[128];
            snprintf(who, sizeof who, "%s %s", *c->client_name ? c->client_name : "-",
                     c->client_version);
            ago(last, sizeof last, r->now_ms, c->last_ms);
            note_of(note, sizeof note, r, c);
            fprintf(o, "%-*s  %3u  %-*s  %8llu  %7llu  %4s%s%s\n", wm, c->method, c->api_version,
                    wc, who, (unsigned long long)c->calls, (unsigned long long)c->refused, last,
                    *note ? "  " : "", note);
        }
    }
    /* Methods nobody called: candidates for removal, or a sign that a
     * client is not deployed yet. */
    size_t n_uncalled = 0;
    for (size_t i = 0; i < r->n_methods; i++)
        n_uncalled += r->methods[i]->calls == 0 && r->methods[i]->refused == 0;
    if (n_uncalled > 0) {
        fprintf(o, "\nNever called since counting started:");
        for (size_t i = 0; i < r->n_methods; i++)
            if (r->methods[i]->calls == 0 && r->methods[i]->refused == 0)
                fprintf(o, "\n  %s%s", r->methods[i]->method,
                        r->methods[i]->deprecated ? "  (deprecated)" : "");
        fprintf(o, "\n");
    }
    fprintf(o, "\n");
    if (r->clients_overflow > 0)
        fprintf(o, "%llu calls are not broken down by client: the server keeps at most %u rows.\n",
                (unsigned long long)r->clients_overflow, r->clients_limit);
    if (r->unknown_methods > 0)
        fprintf(o, "%llu calls named methods the server does not have.\n",
                (unsigned long long)r->unknown_methods);
    if (n_old > 0)
        fprintf(o, "%zu client row%s still call%s deprecated methods or old versions.\n", n_old,
                n_old == 1 ? "" : "s", n_old == 1 ? "s" : "");
    else
        fprintf(o, "No client calls deprecated methods or old versions.\n");
}

/* print_tables() laid out in memory, then printed with what the server
 * named escaped (cli_put_text()): a client name cannot drive the terminal. */
static void print_tables(const stats_args *a, const Ferry__Admin__V1__GetStatsReply *r,
                         size_t n_old)
{
    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    if (o == NULL) {
        fprintf(stderr, "ferry stats: out of memory\n");
        return;
    }
    print_tables_to(o, a, r, n_old);
    if (fclose(o) != 0) {
        fprintf(stderr, "ferry stats: out of memory\n");
    } else {
        cli_put_text(stdout, text, len, 1);
    }
    free(text);
}

/* ---- many servers: a row per endpoint ---- */

#define ENDPOINTS_MAX 256

/* What one endpoint said. */
typedef struct endpoint_row {
    ferry_endpoint_stats bal;
    ferry_status st;
    int unreachable; /* cli_conn_exit() said so of its failure */
    char why[FERRY_MESSAGE_MAX];
    uint64_t calls, refused, up_ms;
    double ms; /* how long its answer took */
} endpoint_row;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Asks the admin service of the one server at `url`. */
static void ask_endpoint(const stats_args *a, const char *url, endpoint_row *row)
{
    cli_conn c = a->conn;
    c.url = url;
    ferry_channel *ch = NULL;
    int opened = cli_conn_open(&c, "ferry-stats", &ch);
    if (opened != CLI_EXIT_OK) { /* it said why */
        row->st = FERRY_UNAVAILABLE;
        row->unreachable = opened == CLI_EXIT_UNREACHABLE;
        snprintf(row->why, sizeof row->why, "cannot open the address");
        return;
    }
    row->st = FERRY_OK;
    Ferry__Admin__V1__GetStatsRequest req = FERRY__ADMIN__V1__GET_STATS_REQUEST__INIT;
    Ferry__Admin__V1__GetStatsReply *resp = NULL;
    ferry_call_info info = {0};
    ferry_call_opts opts = {.deadline_ms = (uint32_t)a->conn.timeout_ms, .info = &info};
    double t0 = now_ms();
    row->st = ferry_admin_v1_admin_get_stats(ch, &req, &resp, &opts);
    row->ms = now_ms() - t0;
    ferry_channel_close(ch);
    if (row->st != FERRY_OK) {
        row->unreachable = cli_conn_exit(row->st, &info) == CLI_EXIT_UNREACHABLE;
        snprintf(row->why, sizeof row->why, "%s: %s", ferry_status_str(row->st), info.message);
        return;
    }
    for (size_t i = 0; i < resp->n_methods; i++) {
        row->calls += resp->methods[i]->calls;
        row->refused += resp->methods[i]->refused;
    }
    row->up_ms = resp->now_ms > resp->started_ms ? resp->now_ms - resp->started_ms : 0;
    ferry_message_free(&resp->base);
}

static int print_endpoints_json(const endpoint_row *rows, size_t n)
{
    json_t *arr = json_array();
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        const endpoint_row *r = &rows[i];
        json_t *o =
            json_pack("{s:s, s:s, s:b}", "endpoint", r->bal.url, "state",
                      ferry_endpoint_state_str(r->bal.state), "answered", r->st == FERRY_OK);
        if (o != NULL && r->st == FERRY_OK) {
            json_object_set_new(o, "calls", json_u64(r->calls));
            json_object_set_new(o, "refused", json_u64(r->refused));
            json_object_set_new(o, "up_ms", json_u64(r->up_ms));
            json_object_set_new(o, "answer_ms", json_real(r->ms));
        } else if (o != NULL) {
            json_object_set_new(o, "error", json_string(r->why));
        }
        add(arr, o, &bad);
    }
    char *text = bad == 0 ? json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(arr);
    if (text == NULL) {
        fprintf(stderr, "ferry stats: cannot write the endpoints as JSON\n");
        return -1;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

/* `ferry stats` over many servers: one row per endpoint. Exits 0 when
 * every endpoint answered, 1 when some did not, 3 when none could be
 * found. */
static int stats_endpoints(const stats_args *a)
{
    ferry_channel *ch = NULL;
    int rc = cli_conn_open(&a->conn, "ferry-stats", &ch);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* One call through the balancing channel: it waits for the name's
     * first lookup, and shows the channel's view of each endpoint. */
    Ferry__Admin__V1__GetStatsRequest req = FERRY__ADMIN__V1__GET_STATS_REQUEST__INIT;
    Ferry__Admin__V1__GetStatsReply *resp = NULL;
    ferry_call_info info = {0};
    ferry_call_opts opts = {.deadline_ms = (uint32_t)a->conn.timeout_ms, .info = &info};
    ferry_status st = ferry_admin_v1_admin_get_stats(ch, &req, &resp, &opts);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    static endpoint_row rows[ENDPOINTS_MAX];
    ferry_endpoint_stats bal[ENDPOINTS_MAX];
    size_t n = 0;
    if (ferry_balance_endpoints(ch, bal, ENDPOINTS_MAX, &n) != FERRY_OK)
        n = 0;
    ferry_channel_close(ch);
    if (n == 0) {
        fprintf(stderr, "ferry stats: %s: no endpoints (%s: %s)\n", a->conn.url,
                ferry_status_str(st), info.message);
        return CLI_EXIT_UNREACHABLE;
    }
    if (n > ENDPOINTS_MAX)
        n = ENDPOINTS_MAX;
    size_t answered = 0, unreachable = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].bal = bal[i];
        ask_endpoint(a, bal[i].url, &rows[i]);
        answered += rows[i].st == FERRY_OK;
        unreachable += rows[i].unreachable;
    }
    if (a->json) {
        if (print_endpoints_json(rows, n) != 0)
            return CLI_EXIT_ERROR;
    } else {
        int w = (int)strlen("ENDPOINT");
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(rows[i].bal.url) > w)
                w = (int)strlen(rows[i].bal.url);
        printf("%s: %zu endpoints, %zu answered\n\n", a->conn.url, n, answered);
        printf("%-*s  %-10s  %10s  %8s  %6s  %9s\n", w, "ENDPOINT", "STATE", "CALLS", "REFUSED",
               "UP", "ANSWER");
        for (size_t i = 0; i < n; i++) {
            const endpoint_row *r = &rows[i];
            const char *state = ferry_endpoint_state_str(r->bal.state);
            if (r->st != FERRY_OK) {
                printf("%-*s  %-10s  ", w, r->bal.url, state);
                cli_put_str(stdout, r->why); /* an endpoint's own message */
                putchar('\n');
                continue;
            }
            char up[16];
            ago(up, sizeof up, r->up_ms, 0);
            printf("%-*s  %-10s  %10llu  %8llu  %6s  %6.1f ms\n", w, r->bal.url, state,
                   (unsigned long long)r->calls, (unsigned long long)r->refused, up, r->ms);
        }
    }
    /* As for one server: 3 when none of them could be reached. */
    return answered == n ? CLI_EXIT_OK : unreachable == n ? CLI_EXIT_UNREACHABLE : CLI_EXIT_NO;
}

int cmd_stats(int argc, char **argv)
{
    stats_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && strncmp(a.conn.url, "http://", 7) == 0) {
        if (a.json || a.fail_if_old) {
            fprintf(stderr, "ferry stats: --json and --fail-if-old need a server's address, "
                            "not a metrics endpoint\n");
            rc = CLI_EXIT_ERROR;
        } else {
            /* Laid out in memory, then printed with the names the endpoint
             * sent escaped. */
            char *text = NULL;
            size_t len = 0;
            FILE *o = open_memstream(&text, &len);
            if (o == NULL) {
                fprintf(stderr, "ferry stats: out of memory\n");
                rc = CLI_EXIT_ERROR;
            } else {
                rc = cli_stats_metrics(a.conn.url, a.conn.timeout_ms, o);
                if (fclose(o) != 0) {
                    fprintf(stderr, "ferry stats: out of memory\n");
                    rc = CLI_EXIT_ERROR;
                } else {
                    cli_put_text(stdout, text, len, 1);
                }
                free(text);
            }
        }
        cli_conn_fini(&a.conn);
        return rc;
    }
    if (rc == 0 && (strchr(a.conn.url, ',') != NULL || strncmp(a.conn.url, "dns", 3) == 0)) {
        if (a.fail_if_old) {
            fprintf(stderr, "ferry stats: --fail-if-old needs one server's address\n");
            rc = CLI_EXIT_ERROR;
        } else {
            rc = stats_endpoints(&a);
        }
        cli_conn_fini(&a.conn);
        return rc;
    }
    ferry_channel *ch = NULL;
    if (rc != 0) {
        cli_conn_fini(&a.conn);
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    rc = cli_conn_open(&a.conn, "ferry-stats", &ch);
    if (rc != CLI_EXIT_OK) {
        cli_conn_fini(&a.conn);
        return rc;
    }
    Ferry__Admin__V1__GetStatsRequest req = FERRY__ADMIN__V1__GET_STATS_REQUEST__INIT;
    Ferry__Admin__V1__GetStatsReply *resp = NULL;
    ferry_call_info info = {0};
    ferry_call_opts opts = {.deadline_ms = (uint32_t)a.conn.timeout_ms, .info = &info};
    ferry_status st = ferry_admin_v1_admin_get_stats(ch, &req, &resp, &opts);
    ferry_channel_close(ch);
    if (st != FERRY_OK) {
        ferry_message_free(resp != NULL ? &resp->base : NULL);
        cli_conn_explain(&a.conn, st, &info,
                         "the server does not host the admin service (ferry_server_add_admin())",
                         "the key needs the role " FERRY_ADMIN_ROLE " in the server's keyring");
        cli_conn_fini(&a.conn);
        return cli_conn_exit(st, &info);
    }
    size_t n_old = 0;
    for (size_t i = 0; i < resp->n_clients; i++)
        n_old += is_old(resp->clients[i]) ? 1 : 0;
    rc = CLI_EXIT_OK;
    if (a.json) {
        if (print_json(resp, n_old) != 0)
            rc = CLI_EXIT_ERROR;
    } else {
        print_tables(&a, resp, n_old);
    }
    if (rc == CLI_EXIT_OK && a.fail_if_old && n_old > 0)
        rc = CLI_EXIT_NO;
    ferry_message_free(&resp->base);
    cli_conn_fini(&a.conn);
    return rc;
}
