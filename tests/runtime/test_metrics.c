/* test_metrics.c - call metrics (ferry/metrics.h): what a server with
 * metrics_url counts and serves, read as text, checked by Prometheus's own
 * promtool, and scraped by a real Prometheus server on loopback whose
 * query API then reports the calls made. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <locale.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "probe.h"

/* A probe server that counts its calls and serves them at a free port. */
typedef struct fixture {
    probe_link l;
    char metrics[256]; /* the URL the metrics are served at */
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    f.l.url = probe_ipc_url();
    ferry_server_opts so = {.workers = 2,
                            .serve_roles_without_identity = 1,
                            .metrics_url = "http://127.0.0.1:0/metrics"};
    assert_int_equal(ferry_server_new(&f.l.srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(f.l.srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(f.l.srv, f.l.url, f.l.bound, sizeof f.l.bound), FERRY_OK);
    ferry_client_opts co = {
        .client_name = "metrics-test", .client_version = "1.2", .wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&f.l.ch, f.l.bound, &co), FERRY_OK);
    assert_non_null(ferry_server_metrics(f.l.srv));
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    probe_link_close(&f->l);
    return 0;
}

/* `n` Echo calls, and one of a method the server does not implement. */
static void some_calls(fixture *f, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(probe_echo(f->l.ch, 0, 20000, NULL), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_missing(f->l.ch, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
}

/* The server's metrics text once it shows every one of `lines` (a NULL
 * ends the list): the after hooks count a call once its reply is on its way,
 * on the server's threads, so what a test expects is waited for (bounded). */
static char *text_showing(fixture *f, const char *const *lines)
{
    for (int i = 0; i < 2000; i++) {
        char *text = NULL;
        assert_int_equal(ferry_metrics_write(ferry_server_metrics(f->l.srv), &text, NULL),
                         FERRY_OK);
        size_t k = 0;
        while (lines[k] != NULL && strstr(text, lines[k]) != NULL)
            k++;
        if (lines[k] == NULL)
            return text;
        free(text);
        probe_nap_ms(10);
    }
    fail_msg("metrics never showed all of: %s ...", lines[0]);
    return NULL;
}

static char *text_after(fixture *f, const char *line)
{
    const char *const lines[] = {line, NULL};
    return text_showing(f, lines);
}

/* Calls are counted by method and status code, with their client, and
 * the server's own figures are there too. */
static void test_calls_counted(void **state)
{
    fixture *f = *state;
    some_calls(f, 3);
    static const char *const counted[] = {
        "ferry_server_calls_total{method=\"ferrytest.v1.Probe/Echo\",code=\"ok\"} 3\n",
        "ferry_server_calls_total{method=\"ferrytest.v1.Probe/Missing\",code=\"unimplemented\"} "
        "1\n",
        "ferry_server_in_flight{method=\"ferrytest.v1.Probe/Echo\"} 0\n",
        "ferry_server_handler_seconds_count{method=\"ferrytest.v1.Probe/Echo\"} 3\n",
        NULL,
    };
    char *text = text_showing(f, counted);
    assert_non_null(strstr(
        text,
        "ferry_server_client_calls_total{client_name=\"metrics-test\",client_version=\"1.2\"}"));
    assert_non_null(strstr(text, "ferry_server_connections_total "));
    assert_non_null(strstr(text, "ferry_server_identity_checks_total{outcome=\"verified\"} 0\n"));
    free(text);
}

/* GET from `url` (http://127.0.0.1:PORT/PATH) with a plain socket: the
 * response's body (malloc'd) and HTTP status. */
static char *http_get(const char *url, int *status)
{
    unsigned port = 0;
    char path[512] = "/";
    assert_true(sscanf(url, "http://127.0.0.1:%u%511s", &port, path) >= 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        *status = 0;
        return NULL;
    }
    char req[700];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (ssize_t r; (r = recv(fd, buf + len, cap - len - 1, 0)) > 0;) {
        len += (size_t)r;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    close(fd);
    buf[len] = '\0';
    *status = 0;
    sscanf(buf, "HTTP/1.%*d %d", status);
    char *body = strstr(buf, "\r\n\r\n");
    char *out = strdup(body != NULL ? body + 4 : "");
    free(buf);
    return out;
}

/* A registry served over HTTP answers GET with the text format. */
static void test_served_over_http(void **state)
{
    fixture *f = *state;
    ferry_metrics *m = NULL;
    assert_int_equal(ferry_metrics_new(&m), FERRY_OK);
    ferry_interceptor ic = ferry_metrics_interceptor(m);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_channel_intercept(&ch, f->l.ch, &ic, 1), FERRY_OK);
    f->l.ch = NULL; /* closed with `ch` */
    assert_int_equal(probe_echo(ch, 0, 20000, NULL), FERRY_OK);
    char bound[256];
    assert_int_equal(ferry_metrics_serve(m, "http://127.0.0.1:0/metrics", bound, sizeof bound),
                     FERRY_OK);
    assert_int_equal(ferry_metrics_serve(m, "http://127.0.0.1:0/x", NULL, 0), FERRY_ALREADY_EXISTS);
    int status = 0;
    char *body = http_get(bound, &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(
        body, "ferry_client_calls_total{method=\"ferrytest.v1.Probe/Echo\",code=\"ok\"} 1\n"));
    free(body);
    ferry_channel_close(ch);
    ferry_metrics_free(m);
}

/* Only http:// URLs are served. */
static void test_serve_refuses_other_urls(void **state)
{
    (void)state;
    ferry_metrics *m = NULL;
    assert_int_equal(ferry_metrics_new(&m), FERRY_OK);
    assert_int_equal(ferry_metrics_serve(m, "tcp://127.0.0.1:0", NULL, 0), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_metrics_serve(m, "http://", NULL, 0), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_metrics_serve(m, "http://127.0.0.1/metrics", NULL, 0),
                     FERRY_INVALID_ARGUMENT); /* no port: never port 80 by accident */
    assert_int_equal(ferry_metrics_serve(m, "http://:9464/metrics", NULL, 0),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_metrics_serve(m, "http://127.0.0.1:94x/metrics", NULL, 0),
                     FERRY_INVALID_ARGUMENT);
    ferry_metrics_free(m);
    ferry_server *srv = NULL;
    ferry_server_opts so = {.metrics_url = "ftp://127.0.0.1/metrics"};
    assert_int_equal(ferry_server_new(&srv, &so), FERRY_INVALID_ARGUMENT);
    assert_null(srv);
}

/* A server without metrics_url (and no FERRY_METRICS_URL) counts nothing. */
static void test_off_by_default(void **state)
{
    (void)state;
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, NULL), FERRY_OK);
    assert_null(ferry_server_metrics(srv));
    ferry_server_free(srv);
}

static unsigned free_port(void);

/* FERRY_METRICS_URL gives the first server of the process its metrics; a
 * second one cannot serve the same address, and goes without instead of
 * failing. */
static void test_environment_url(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", free_port());
    assert_int_equal(setenv("FERRY_METRICS_URL", url, 1), 0);
    ferry_server *a = NULL, *b = NULL;
    assert_int_equal(ferry_server_new(&a, NULL), FERRY_OK);
    assert_int_equal(ferry_server_new(&b, NULL), FERRY_OK);
    unsetenv("FERRY_METRICS_URL");
    assert_non_null(ferry_server_metrics(a));
    assert_null(ferry_server_metrics(b));
    int status = 0;
    char *body = http_get(url, &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body, "ferry_server_connections_total 0\n"));
    free(body);
    ferry_server_free(b);
    ferry_server_free(a);
}

/* Runs `argv` with stdin from `in_path`; its exit status. */
static int run_with_stdin(char *const argv[], const char *in_path, char *out, size_t out_len)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *in = fopen(in_path, "r");
        if (in == NULL)
            _exit(126);
        dup2(fileno(in), STDIN_FILENO);
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    for (ssize_t r; n + 1 < out_len && (r = read(p[0], out + n, out_len - 1 - n)) > 0;)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Prometheus's own checker finds nothing wrong with the text. */
/* Fails the test unless promtool accepts `text` (freed here). */
static void promtool_check(char *text)
{
    char path[] = "/tmp/ferry-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    free(text);
    char out[8192];
    char *argv[] = {(char *)PROMTOOL_PATH, "check", "metrics", NULL};
    int rc = run_with_stdin(argv, path, out, sizeof out);
    unlink(path);
    if (rc != 0)
        fail_msg("promtool check metrics: exit %d: %s", rc, out);
}

static void test_promtool_accepts(void **state)
{
    fixture *f = *state;
    some_calls(f, 2);
    promtool_check(text_after(
        f, "ferry_server_calls_total{method=\"ferrytest.v1.Probe/Echo\",code=\"ok\"} 2\n"));
}

/* The value of the sample `prefix` (a metric and its labels, up to the
 * closing brace) in `text`; -1 when there is none. */
static double sample(const char *text, const char *prefix)
{
    const char *at = strstr(text, prefix);
    return at != NULL ? strtod(at + strlen(prefix), NULL) : -1;
}

/* A balancing channel's endpoints are in a registry that watches it, each
 * labelled with the channel's target and its URL: the attempts it sent each
 * (all of them together), their answers, each endpoint's state; promtool
 * accepts the text, and an unwatched channel is gone from it. */
static void test_balancer_endpoints(void **state)
{
    fixture *f = *state;
    probe_link other;
    probe_link_open(&other, 2, NULL);
    char target[600];
    snprintf(target, sizeof target, "%s,%s", f->l.bound, other.bound);
    ferry_channel *bal = NULL;
    assert_int_equal(ferry_client_open(&bal, target, NULL), FERRY_OK);
    ferry_metrics *m = NULL;
    assert_int_equal(ferry_metrics_new(&m), FERRY_OK);
    assert_int_equal(ferry_metrics_watch_balancer(m, f->l.ch), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_metrics_watch_balancer(m, bal), FERRY_OK);
    /* Watched twice, its rows would come twice: an invalid scrape. */
    assert_int_equal(ferry_metrics_watch_balancer(m, bal), FERRY_ALREADY_EXISTS);
    /* Both connections up first: a loaded machine can bring one up after
     * the 20 calls are done, and its endpoint would still say connecting. */
    assert_true(probe_wait_endpoints_ready(bal, 2));
    for (int i = 0; i < 20; i++)
        assert_int_equal(probe_echo(bal, 0, 20000, NULL), FERRY_OK);

    char *text = NULL;
    assert_int_equal(ferry_metrics_write(m, &text, NULL), FERRY_OK);
    assert_non_null(strstr(text, "# TYPE ferry_endpoint_calls_total counter\n"));
    double calls = 0, answered = 0;
    const char *urls[] = {f->l.bound, other.bound};
    for (int i = 0; i < 2; i++) {
        char p[1400];
        snprintf(p, sizeof p, "ferry_endpoint_calls_total{target=\"%s\",endpoint=\"%s\"} ", target,
                 urls[i]);
        assert_true(sample(text, p) >= 0);
        calls += sample(text, p);
        snprintf(p, sizeof p, "ferry_endpoint_answer_seconds_count{target=\"%s\",endpoint=\"%s\"} ",
                 target, urls[i]);
        answered += sample(text, p);
        snprintf(p, sizeof p,
                 "ferry_endpoint_state{target=\"%s\",endpoint=\"%s\",state=\"ready\"} ", target,
                 urls[i]);
        assert_true(sample(text, p) == 1);
        snprintf(p, sizeof p,
                 "ferry_endpoint_state{target=\"%s\",endpoint=\"%s\",state=\"ejected\"} ", target,
                 urls[i]);
        assert_true(sample(text, p) == 0);
    }
    assert_true(calls == 20);
    assert_true(answered == 20);
    promtool_check(text);

    ferry_metrics_unwatch_balancer(m, bal);
    assert_int_equal(ferry_metrics_write(m, &text, NULL), FERRY_OK);
    assert_null(strstr(text, "ferry_endpoint_"));
    free(text);
    ferry_metrics_free(m);
    ferry_channel_close(bal);
    probe_link_close(&other);
}

/* Whether `s` is valid UTF-8 throughout. */
static int valid_utf8(const char *s)
{
    locale_t u = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    assert_true(u != (locale_t)0);
    locale_t was = uselocale(u);
    size_t n = mbstowcs(NULL, s, 0);
    uselocale(was);
    freelocale(u);
    return n != (size_t)-1;
}

/* Label values are valid UTF-8 whatever the program named: a target longer
 * than the label keeps whole characters when cut (here an "é" across the
 * cut), and a byte that starts no character becomes '?'. Prometheus
 * refuses a whole scrape over one bad byte. */
static void test_balancer_labels_stay_utf8(void **state)
{
    fixture *f = *state;
    char target[600];
    int head = snprintf(target, sizeof target, "%s,tcp://ferry-metrics-\xff-", f->l.bound);
    while (head < 199)
        target[head++] = 'a';
    snprintf(target + head, sizeof target - (size_t)head, "\xc3\xa9tail.invalid:9");
    ferry_channel *bal = NULL;
    assert_int_equal(ferry_client_open(&bal, target, NULL), FERRY_OK);
    ferry_metrics *m = NULL;
    assert_int_equal(ferry_metrics_new(&m), FERRY_OK);
    assert_int_equal(ferry_metrics_watch_balancer(m, bal), FERRY_OK);
    assert_int_equal(probe_echo(bal, 0, 20000, NULL), FERRY_OK);
    char *text = NULL;
    assert_int_equal(ferry_metrics_write(m, &text, NULL), FERRY_OK);
    assert_non_null(strstr(text, "ferry_endpoint_calls_total{"));
    assert_non_null(strstr(text, "ferry-metrics-?-aaa"));
    assert_true(valid_utf8(text));
    promtool_check(text); /* frees it */
    ferry_metrics_free(m);
    ferry_channel_close(bal);
}

/* A free TCP port on 127.0.0.1 (bound and released: the test's own use of
 * it follows at once). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* A real Prometheus scrapes the server, and its query API reports the
 * calls made. */
static void test_prometheus_scrapes(void **state)
{
    (void)state;
    char dir[] = "/tmp/ferry-prom-XXXXXX";
    assert_non_null(mkdtemp(dir));
    unsigned mport = free_port();
    char murl[128];
    snprintf(murl, sizeof murl, "http://127.0.0.1:%u/metrics", mport);
    probe_link l = {0};
    l.url = probe_ipc_url();
    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = 1, .metrics_url = murl};
    assert_int_equal(ferry_server_new(&l.srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(l.srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(l.srv, l.url, l.bound, sizeof l.bound), FERRY_OK);
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&l.ch, l.bound, &co), FERRY_OK);
    for (int i = 0; i < 7; i++)
        assert_int_equal(probe_echo(l.ch, 0, 20000, NULL), FERRY_OK);

    char config[256], data[256], listen[64];
    snprintf(config, sizeof config, "%s/prometheus.yml", dir);
    snprintf(data, sizeof data, "%s/data", dir);
    unsigned pport = free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%u", pport);
    FILE *c = fopen(config, "w");
    assert_non_null(c);
    fprintf(c,
            "global:\n  scrape_interval: 1s\n"
            "scrape_configs:\n  - job_name: ferry\n    static_configs:\n"
            "      - targets: ['127.0.0.1:%u']\n",
            mport);
    assert_int_equal(fclose(c), 0);
    char cfg_arg[300], data_arg[300], listen_arg[100];
    snprintf(cfg_arg, sizeof cfg_arg, "--config.file=%s", config);
    snprintf(data_arg, sizeof data_arg, "--storage.tsdb.path=%s", data);
    snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=%s", listen);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char log[300];
        snprintf(log, sizeof log, "%s/prometheus.log", dir);
        FILE *lf = fopen(log, "w");
        if (lf != NULL) {
            dup2(fileno(lf), STDOUT_FILENO);
            dup2(fileno(lf), STDERR_FILENO);
        }
        execl(PROMETHEUS_PATH, PROMETHEUS_PATH, cfg_arg, data_arg, listen_arg, (char *)NULL);
        _exit(127);
    }
    /* Ask Prometheus (up to 60 s: it starts, scrapes every second). */
    char query[256];
    snprintf(
        query, sizeof query,
        "http://127.0.0.1:%u/api/v1/query?query=ferry_server_calls_total%%7Bcode%%3D%%22ok%%22%%7D",
        pport);
    long long seen = -1;
    for (int i = 0; i < 600 && seen != 7; i++) {
        int status = 0;
        char *body = http_get(query, &status);
        if (body != NULL && status == 200) {
            json_t *j = json_loads(body, 0, NULL);
            json_t *res = json_object_get(json_object_get(j, "data"), "result");
            json_t *val = json_array_get(json_object_get(json_array_get(res, 0), "value"), 1);
            if (json_is_string(val))
                seen = atoll(json_string_value(val));
            json_decref(j);
        }
        free(body);
        if (seen != 7)
            probe_nap_ms(100);
    }
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    probe_link_close(&l);
    assert_int_equal(seen, 7);
}

/* Counts one finished server call from `name`/`version` into `m`. */
static void server_call_from(ferry_metrics *m, const char *name, const char *version)
{
    ferry_interceptor ic = ferry_metrics_interceptor(m);
    ferry_call_event ev = {.side = FERRY_SIDE_SERVER,
                           .method_name = "ferrytest.v1.Probe/Echo",
                           .client_name = name,
                           .client_version = version,
                           .admitted = 1,
                           .status = FERRY_OK,
                           .message = ""};
    assert_int_equal(ic.before(ic.arg, &ev, NULL, 0), FERRY_OK);
    ic.after(ic.arg, &ev);
}

/* The registry's text, which the caller frees. */
static char *metrics_text(ferry_metrics *m)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(ferry_metrics_write(m, &text, &len), FERRY_OK);
    return text;
}

/* Client labels are what a client sent cut to 32 printable characters,
 * others shown as '?': names that differ only past the 32nd character or
 * in a character that is not printable count in one row, and a name that
 * differs in a printable one in a row of its own. */
static void test_client_labels_cut_and_cleaned(void **state)
{
    (void)state;
    ferry_metrics *m = NULL;
    assert_int_equal(ferry_metrics_new(&m), FERRY_OK);
    const char *long_a = "a-client-name-longer-than-thirty-two-characters-A";
    const char *long_b = "a-client-name-longer-than-thirty-two-characters-B";
    server_call_from(m, long_a, "1.0");
    server_call_from(m, long_b, "1.0");
    server_call_from(m, "odd\x01name", "1.0");
    server_call_from(m, "odd?name", "1.0");
    server_call_from(m, "odd!name", "1.0");
    char *text = metrics_text(m);
    assert_non_null(strstr(text, "ferry_server_client_calls_total{client_name=\""
                                 "a-client-name-longer-than-thirty\",client_version=\"1.0\"} 2"));
    assert_non_null(strstr(
        text,
        "ferry_server_client_calls_total{client_name=\"odd?name\",client_version=\"1.0\"} 2"));
    assert_non_null(strstr(
        text,
        "ferry_server_client_calls_total{client_name=\"odd!name\",client_version=\"1.0\"} 1"));
    free(text);
    ferry_metrics_free(m);
}

/* Two registries on one thread count apart, also when the second takes
 * the place in memory of a first one freed: a registry never counts into
 * another's series. */
static void test_registries_count_apart(void **state)
{
    (void)state;
    ferry_metrics *a = NULL, *b = NULL;
    assert_int_equal(ferry_metrics_new(&a), FERRY_OK);
    server_call_from(a, "c", "1");
    server_call_from(a, "c", "1");
    ferry_metrics_free(a);
    assert_int_equal(ferry_metrics_new(&b), FERRY_OK);
    server_call_from(b, "c", "1");
    char *text = metrics_text(b);
    assert_non_null(
        strstr(text, "ferry_server_client_calls_total{client_name=\"c\",client_version=\"1\"} 1"));
    assert_non_null(strstr(text, "code=\"ok\"} 1"));
    free(text);
    ferry_metrics_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_calls_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_served_over_http, setup, teardown),
        cmocka_unit_test(test_serve_refuses_other_urls),
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_environment_url),
        cmocka_unit_test_setup_teardown(test_promtool_accepts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_balancer_endpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_balancer_labels_stay_utf8, setup, teardown),
        cmocka_unit_test(test_prometheus_scrapes),
        cmocka_unit_test(test_client_labels_cut_and_cleaned),
        cmocka_unit_test(test_registries_count_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
