/* stats_metrics.c - `ferry stats http://HOST:PORT/PATH`: reads a ferry
 * metrics endpoint (ferry/metrics.h) and shows per method and side the
 * calls, the errors by status and the latency's median and 99th
 * percentile, as Prometheus's histogram_quantile() would estimate them. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stats_metrics.h"

#define MAX_BODY (16u << 20)

/* The exit statuses of cli.h, which this file (shared with a fuzz target)
 * does not include: the endpoint answered with an error, the URL or the
 * answer is bad, the endpoint could not be reached. */
enum { EXIT_NO = 1, EXIT_ERROR = 2, EXIT_UNREACHABLE = 3 };

typedef cli_metrics_row row;
typedef cli_metrics_table table;

/* ---- fetching ----------------------------------------------------------- */

/* GETs `url` with HTTP/1.0 within `timeout_ms`; the body (malloc'd) or NULL
 * after a message, with the exit status in *rc. */
static char *http_get(const char *url, long timeout_ms, int *rc)
{
    *rc = EXIT_ERROR;
    char host[256], port[16] = "80", path[1024] = "/";
    const char *p = url + strlen("http://");
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof host) {
        fprintf(stderr, "ferry stats: %s: no host in the URL\n", url);
        return NULL;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        size_t pl = strcspn(p + 1, "/");
        if (pl == 0 || pl >= sizeof port) {
            fprintf(stderr, "ferry stats: %s: a bad port\n", url);
            return NULL;
        }
        memcpy(port, p + 1, pl);
        port[pl] = '\0';
        p += 1 + pl;
    }
    if (*p == '/')
        snprintf(path, sizeof path, "%s", p);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rv = getaddrinfo(host, port, &hints, &ai);
    if (rv != 0) {
        fprintf(stderr, "ferry stats: %s: cannot resolve the host name '%s': %s\n", url, host,
                gai_strerror(rv));
        *rc = EXIT_UNREACHABLE;
        return NULL;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        fprintf(stderr, "ferry stats: %s: cannot connect: %s; is metrics_url set?\n", url,
                strerror(errno));
        *rc = EXIT_UNREACHABLE;
        return NULL;
    }
    char req[1400];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        fprintf(stderr, "ferry stats: %s: cannot send: %s\n", url, strerror(errno));
        close(fd);
        *rc = EXIT_UNREACHABLE;
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (buf == NULL || poll(&pf, 1, (int)timeout_ms) <= 0) {
            fprintf(stderr, "ferry stats: %s: %s\n", url,
                    buf == NULL ? "out of memory" : "no answer in time");
            *rc = buf == NULL ? EXIT_ERROR : EXIT_UNREACHABLE;
            free(buf);
            close(fd);
            return NULL;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len + 1 == cap) {
            char *grown = cap < MAX_BODY ? realloc(buf, cap * 2) : NULL;
            if (grown == NULL) {
                fprintf(stderr, "ferry stats: %s: the answer is over 16 MiB\n", url);
                free(buf);
                close(fd);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    close(fd);
    buf[len] = '\0';
    int status = 0;
    char *body = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status != 200 || body == NULL) {
        fprintf(stderr, "ferry stats: %s: HTTP status %d, not the metrics\n", url, status);
        *rc = EXIT_NO;
        free(buf);
        return NULL;
    }
    memmove(buf, body + 4, strlen(body + 4) + 1);
    return buf;
}

/* ---- reading the text format -------------------------------------------- */

/* The value of label `key` in `labels` ("a=\"x\",b=\"y\""), unescaped into
 * `out`; 0 when absent. */
static int label(const char *labels, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    for (const char *p = labels; (p = strstr(p, key)) != NULL; p++) {
        if ((p != labels && p[-1] != ',' && p[-1] != '{') || strncmp(p + kl, "=\"", 2) != 0)
            continue;
        size_t n = 0;
        for (const char *v = p + kl + 2; *v && *v != '"'; v++) {
            char c = *v;
            if (c == '\\' && v[1] != '\0')
                c = *++v == 'n' ? '\n' : *v;
            if (n + 1 < len)
                out[n++] = c;
        }
        out[n] = '\0';
        return 1;
    }
    return 0;
}

static row *row_of(table *t, const char *side, const char *method)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].side, side) == 0 && strcmp(t->rows[i].method, method) == 0)
            return &t->rows[i];
    if (t->n == CLI_METRICS_ROWS)
        return NULL;
    row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->side, sizeof r->side, "%s", side);
    snprintf(r->method, sizeof r->method, "%s", method);
    return r;
}

/* Takes one sample line of the text format into `t`. */
static void take(table *t, const char *line)
{
    char name[96], labels[1024] = "", method[160], code[32], le[32];
    const char *brace = strchr(line, '{');
    const char *space = strchr(line, ' ');
    if (space == NULL)
        return;
    size_t nl = (size_t)((brace != NULL && brace < space ? brace : space) - line);
    if (nl >= sizeof name)
        return;
    memcpy(name, line, nl);
    name[nl] = '\0';
    const char *value = space + 1;
    if (brace != NULL && brace < space) {
        const char *close = strrchr(line, '}');
        if (close == NULL || (size_t)(close - brace) >= sizeof labels)
            return;
        memcpy(labels, brace + 1, (size_t)(close - brace - 1));
        labels[close - brace - 1] = '\0';
        value = close + 2;
    }
    char *end = NULL;
    double v = strtod(value, &end);
    if (end == value || !label(labels, "method", method, sizeof method) || method[0] == '\0')
        return; /* a sample of no method is none of ferry's */
    const char *side = strncmp(name, "ferry_server_", 13) == 0   ? "server"
                       : strncmp(name, "ferry_client_", 13) == 0 ? "client"
                                                                 : NULL;
    if (side == NULL)
        return;
    const char *what = name + 13;
    row *r = NULL;
    if (strcmp(what, "calls_total") == 0 && label(labels, "code", code, sizeof code) &&
        (r = row_of(t, side, method)) != NULL && r->n_codes < CLI_METRICS_CODES) {
        snprintf(r->codes[r->n_codes].code, sizeof r->codes[0].code, "%s", code);
        r->codes[r->n_codes++].n = v;
    } else if (strcmp(what, "call_seconds_bucket") == 0 && label(labels, "le", le, sizeof le) &&
               (r = row_of(t, side, method)) != NULL && r->n_buckets < CLI_METRICS_BUCKETS) {
        int inf = strcmp(le, "+Inf") == 0;
        double bound = inf ? -1 : strtod(le, NULL);
        if (inf || (bound >= 0 && bound < 1e300)) { /* else no bucket of ours */
            r->le[r->n_buckets] = bound;
            r->cum[r->n_buckets++] = v;
        }
    }
}

void cli_metrics_read(char *body, cli_metrics_table *t)
{
    char *save = NULL;
    for (char *line = strtok_r(body, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#')
            take(t, line);
}

/* Orders buckets by their bound, +Inf (-1) last. */
static int by_bound(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    if (x < 0 || y < 0)
        return (x < 0) - (y < 0);
    return (x > y) - (x < y);
}

/* The q-quantile of the row's call_seconds histogram, interpolated within
 * its bucket; -1 when there is none. The buckets are what the endpoint
 * sent: they are put in order of bound, and counts that fall (or are not
 * numbers) are read as the largest before them, so the estimate stays in
 * the histogram's range whatever came. */
double cli_metrics_quantile(const cli_metrics_row *r, double q)
{
    double b[CLI_METRICS_BUCKETS][2];
    size_t n = 0;
    for (size_t i = 0; i < r->n_buckets && i < CLI_METRICS_BUCKETS; i++) {
        /* A bound or a count that is no finite number (NaN, or an
         * infinity other than the +Inf bucket, kept as -1) is no bucket:
         * an infinite count would make every share of it NaN. */
        if (!isfinite(r->le[i]) || !isfinite(r->cum[i]))
            continue;
        b[n][0] = r->le[i];
        b[n][1] = r->cum[i] > 0 ? r->cum[i] : 0;
        n++;
    }
    qsort(b, n, sizeof b[0], by_bound);
    for (size_t i = 1; i < n; i++)
        if (b[i][1] < b[i - 1][1])
            b[i][1] = b[i - 1][1];
    if (n == 0 || b[n - 1][1] <= 0)
        return -1;
    double want = q * b[n - 1][1], lo = 0, below = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i][1] >= want) {
            if (b[i][0] < 0) /* in +Inf: the highest finite bound */
                return lo;
            double in = b[i][1] - below;
            return in <= 0 ? b[i][0] : lo + (b[i][0] - lo) * ((want - below) / in);
        }
        lo = b[i][0] < 0 ? lo : b[i][0];
        below = b[i][1];
    }
    return lo;
}

static void duration(char *buf, size_t len, double s)
{
    if (s < 0)
        snprintf(buf, len, "-");
    else if (s < 0.001)
        snprintf(buf, len, "%.0f us", s * 1e6);
    else if (s < 1)
        snprintf(buf, len, "%.1f ms", s * 1e3);
    else
        snprintf(buf, len, "%.2f s", s);
}

int cli_stats_metrics(const char *url, long timeout_ms, FILE *out)
{
    int rc = 0;
    char *body = http_get(url, timeout_ms, &rc);
    if (body == NULL)
        return rc;
    table *t = calloc(1, sizeof *t);
    if (t == NULL) {
        free(body);
        fprintf(stderr, "ferry stats: out of memory\n");
        return EXIT_ERROR;
    }
    cli_metrics_read(body, t);
    free(body);
    int wm = (int)strlen("METHOD");
    for (size_t i = 0; i < t->n; i++)
        if ((int)strlen(t->rows[i].method) > wm)
            wm = (int)strlen(t->rows[i].method);
    fprintf(out, "%s\n\n%-6s  %-*s  %10s  %8s  %9s  %9s  BY STATUS\n", url, "SIDE", wm, "METHOD",
            "CALLS", "ERRORS", "P50", "P99");
    for (size_t i = 0; i < t->n; i++) {
        const row *r = &t->rows[i];
        double calls = 0, errors = 0;
        char by_code[512] = "";
        size_t n = 0;
        for (size_t k = 0; k < r->n_codes; k++) {
            calls += r->codes[k].n;
            if (strcmp(r->codes[k].code, "ok") == 0 || strcmp(r->codes[k].code, "fallback") == 0)
                continue;
            errors += r->codes[k].n;
            int w = snprintf(by_code + n, sizeof by_code - n, "%s%s %.0f", n ? ", " : "",
                             r->codes[k].code, r->codes[k].n);
            if (w > 0 && (size_t)w < sizeof by_code - n)
                n += (size_t)w;
        }
        char p50[16], p99[16];
        duration(p50, sizeof p50, cli_metrics_quantile(r, 0.5));
        duration(p99, sizeof p99, cli_metrics_quantile(r, 0.99));
        fprintf(out, "%-6s  %-*s  %10.0f  %8.0f  %9s  %9s%s%s\n", r->side, wm, r->method, calls,
                errors, p50, p99, by_code[0] != '\0' ? "  " : "", by_code);
    }
    if (t->n == 0)
        fprintf(out, "(no calls counted yet)\n");
    free(t);
    return 0;
}
