/* test_log.c - ferry's log lines (ferry/log.h): a sink gets them as
 * records naming the call they are about, the level filters them, and both
 * shapes stay well-formed whatever bytes a message holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "probe.h"

enum { MAX_LINES = 64 };

/* What the sink saw: copies of each record's fields. */
typedef struct seen {
    pthread_mutex_t mu;
    int n;
    struct {
        ferry_log_level level;
        char where[32], message[512], method[128];
        uint64_t call_id;
    } line[MAX_LINES];
} seen;

static seen lines = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void sink(void *arg, const ferry_log_record *rec)
{
    seen *s = arg;
    pthread_mutex_lock(&s->mu);
    if (s->n < MAX_LINES) {
        s->line[s->n].level = rec->level;
        snprintf(s->line[s->n].where, sizeof s->line[0].where, "%s", rec->where);
        snprintf(s->line[s->n].message, sizeof s->line[0].message, "%s", rec->message);
        snprintf(s->line[s->n].method, sizeof s->line[0].method, "%s",
                 rec->method != NULL ? rec->method : "");
        s->line[s->n].call_id = rec->call_id;
        s->n++;
    }
    pthread_mutex_unlock(&s->mu);
}

static int setup(void **state)
{
    (void)state;
    pthread_mutex_lock(&lines.mu);
    lines.n = 0;
    pthread_mutex_unlock(&lines.mu);
    ferry_log_set_sink(sink, &lines);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ferry_log_set_sink(NULL, NULL);
    ferry_log_set_level(FERRY_LOG_WARN);
    return 0;
}

/* The index of the first line from `where` whose message holds `text`, or
 * -1 (waiting up to 20 s for it: the server logs on its own threads). */
static int find_line(const char *where, const char *text)
{
    for (int tries = 0; tries < 2000; tries++) {
        pthread_mutex_lock(&lines.mu);
        for (int i = 0; i < lines.n; i++)
            if (strcmp(lines.line[i].where, where) == 0 &&
                strstr(lines.line[i].message, text) != NULL) {
                pthread_mutex_unlock(&lines.mu);
                return i;
            }
        pthread_mutex_unlock(&lines.mu);
        probe_nap_ms(10);
    }
    return -1;
}

/* A call the server refuses is logged (at debug) by the server and by the
 * client, each line naming the method, the server's also the call id. A
 * draining server refuses new calls: one slow call keeps it draining. */
static void test_lines_name_their_call(void **state)
{
    (void)state;
    ferry_log_set_level(FERRY_LOG_DEBUG);
    probe_link l;
    probe_link_open(&l, 2, NULL);
    probe_gate_shut(); /* the slow call runs until a call has been refused */
    probe_bg_call slow;
    uint64_t before = atomic_load(&probe_calls);
    probe_bg_start(&slow, l.ch, PROBE_HELD, 60000);
    assert_true(probe_wait_calls(before + 1));
    probe_bg_shutdown shut;
    probe_bg_shutdown_start(&shut, l.srv, 20000);
    ferry_status st = FERRY_OK;
    for (int i = 0; i < 2000 && st != FERRY_UNAVAILABLE; i++) {
        st = probe_echo(l.ch, 0, 20000, NULL);
        if (st != FERRY_UNAVAILABLE)
            probe_nap_ms(10);
    }
    probe_gate_open();
    assert_int_equal(st, FERRY_UNAVAILABLE);
    int s = find_line("server", "shutting down");
    int c = find_line("client", "call failed");
    assert_true(s >= 0);
    assert_true(c >= 0);
    assert_int_equal(lines.line[s].level, FERRY_LOG_DEBUG);
    assert_string_equal(lines.line[s].method, "ferrytest.v1.Probe/Echo");
    assert_true(lines.line[s].call_id != 0);
    assert_string_equal(lines.line[c].method, "ferrytest.v1.Probe/Echo");
    assert_int_equal(probe_bg_join(&slow), FERRY_OK);
    probe_bg_shutdown_join(&shut);
    probe_link_close(&l);
}

/* A sink that holds every line until the test opens its gate. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open, inside, entered;
} gate = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void gated_sink(void *arg, const ferry_log_record *rec)
{
    (void)arg;
    (void)rec;
    pthread_mutex_lock(&gate.mu);
    gate.inside++;
    gate.entered = 1;
    pthread_cond_broadcast(&gate.cv);
    while (!gate.open)
        pthread_cond_wait(&gate.cv, &gate.mu);
    gate.inside--;
    pthread_mutex_unlock(&gate.mu);
}

static void *failing_call(void *arg)
{
    ferry_channel *ch = arg;
    probe_echo(ch, 0, 20000, NULL); /* no server: lines at debug level */
    return NULL;
}

typedef struct setter {
    pthread_t thread;
    atomic_int returned;
    int inside_at_return;
} setter;

static void *set_sink_back(void *arg)
{
    setter *s = arg;
    ferry_log_set_sink(NULL, NULL);
    pthread_mutex_lock(&gate.mu);
    s->inside_at_return = gate.inside;
    pthread_mutex_unlock(&gate.mu);
    atomic_store(&s->returned, 1);
    return NULL;
}

/* Setting another sink returns only once no call of the previous one is
 * still running, so its owner may free what the sink writes into: here it
 * waits for a line held in the sink. */
static void test_set_sink_waits_for_running_sink(void **state)
{
    (void)state;
    ferry_log_set_level(FERRY_LOG_DEBUG);
    char *url = probe_ipc_url(); /* nobody listens here */
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, url, &(ferry_client_opts){.connect_timeout_ms = 50}),
                     FERRY_OK);
    gate.open = gate.inside = gate.entered = 0;
    ferry_log_set_sink(gated_sink, NULL);
    pthread_t caller;
    assert_int_equal(pthread_create(&caller, NULL, failing_call, ch), 0);
    pthread_mutex_lock(&gate.mu);
    while (!gate.entered)
        pthread_cond_wait(&gate.cv, &gate.mu);
    pthread_mutex_unlock(&gate.mu);
    setter s = {.inside_at_return = -1};
    assert_int_equal(pthread_create(&s.thread, NULL, set_sink_back, &s), 0);
    probe_nap_ms(100); /* room to return too early, were it to */
    assert_false(atomic_load(&s.returned));
    pthread_mutex_lock(&gate.mu);
    gate.open = 1;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    pthread_join(s.thread, NULL);
    assert_int_equal(s.inside_at_return, 0);
    pthread_join(caller, NULL);
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* Below the level, nothing reaches the sink. */
static void test_level_filters(void **state)
{
    (void)state;
    ferry_log_set_level(FERRY_LOG_WARN);
    assert_int_equal(ferry_log_get_level(), FERRY_LOG_WARN);
    probe_link l;
    probe_link_open(&l, 2, NULL);
    probe_bg_shutdown shut;
    probe_bg_shutdown_start(&shut, l.srv, 0);
    probe_bg_shutdown_join(&shut);
    assert_int_equal(probe_echo(l.ch, 0, 2000, NULL), FERRY_UNAVAILABLE); /* debug lines */
    probe_link_close(&l); /* the server's threads are done */
    pthread_mutex_lock(&lines.mu);
    for (int i = 0; i < lines.n; i++)
        assert_true(lines.line[i].level <= FERRY_LOG_WARN);
    pthread_mutex_unlock(&lines.mu);
    ferry_log_set_level((ferry_log_level)7); /* ignored */
    assert_int_equal(ferry_log_get_level(), FERRY_LOG_WARN);
}

static const ferry_log_record hostile = {
    .level = FERRY_LOG_WARN,
    .where = "server",
    .message = "a \"quoted\" word,\na newline, a tab\t, a backslash \\ and \xff\xfe bytes",
    .method = "pkg.Svc/Method with space",
    .call_id = 42,
};

/* JSON lines are one valid JSON object with every field, whatever the
 * message holds (bytes that are not UTF-8 become '?'). */
static void test_json_line_is_valid_json(void **state)
{
    (void)state;
    char buf[1024];
    size_t n = ferry_log_format_record(&hostile, FERRY_LOG_JSON, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    assert_int_equal(buf[n - 1], '\n');
    assert_null(memchr(buf, '\n', n - 1)); /* one line */
    json_error_t err;
    json_t *j = json_loadb(buf, n, 0, &err);
    if (j == NULL)
        fail_msg("not JSON: %s: %s", err.text, buf);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "where")), "server");
    assert_string_equal(json_string_value(json_object_get(j, "method")),
                        "pkg.Svc/Method with space");
    assert_int_equal(json_integer_value(json_object_get(j, "call_id")), 42);
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "a \"quoted\" word,\na newline, a tab\t, a backslash \\ and ?? bytes");
    json_decref(j);
}

/* logfmt lines are one line; the message is always quoted, with its
 * quotes, backslashes and control characters escaped; a value with spaces
 * is quoted too. */
static void test_logfmt_line_is_one_line(void **state)
{
    (void)state;
    char buf[1024];
    size_t n = ferry_log_format_record(&hostile, FERRY_LOG_LOGFMT, buf, sizeof buf);
    assert_int_equal(buf[n - 1], '\n');
    assert_null(memchr(buf, '\n', n - 1));
    assert_non_null(strstr(buf, "ferry level=warn where=server "
                                "method=\"pkg.Svc/Method with space\" call_id=42 msg=\""));
    assert_non_null(strstr(buf, "a \\\"quoted\\\" word,\\x0aa newline, a tab\\x09, a backslash "
                                "\\\\ and ?? bytes\"\n"));
    ferry_log_record plain = {.level = FERRY_LOG_INFO, .where = "client", .message = "connected"};
    ferry_log_format_record(&plain, FERRY_LOG_LOGFMT, buf, sizeof buf);
    assert_string_equal(buf, "ferry level=info where=client msg=\"connected\"\n");
}

/* A buffer too small gets what fits, NUL-terminated, and the full length. */
static void test_format_cuts_to_fit(void **state)
{
    (void)state;
    char big[1024], small[16];
    size_t full = ferry_log_format_record(&hostile, FERRY_LOG_JSON, big, sizeof big);
    size_t n = ferry_log_format_record(&hostile, FERRY_LOG_JSON, small, sizeof small);
    assert_int_equal(n, full);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, big, sizeof small - 1);
    assert_int_equal(ferry_log_format_record(&hostile, FERRY_LOG_JSON, NULL, 0), full);
}

static void test_level_names(void **state)
{
    (void)state;
    assert_string_equal(ferry_log_level_str(FERRY_LOG_ERROR), "error");
    assert_string_equal(ferry_log_level_str(FERRY_LOG_DEBUG), "debug");
    assert_string_equal(ferry_log_level_str((ferry_log_level)9), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines_name_their_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_sink_waits_for_running_sink, setup, teardown),
        cmocka_unit_test(test_json_line_is_valid_json),
        cmocka_unit_test(test_logfmt_line_is_one_line),
        cmocka_unit_test(test_format_cuts_to_fit),
        cmocka_unit_test(test_level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
