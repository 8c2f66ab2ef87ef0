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
        cmocka_unit_test(test_json_line_is_valid_json),
        cmocka_unit_test(test_logfmt_line_is_one_line),
        cmocka_unit_test(test_format_cuts_to_fit),
        cmocka_unit_test(test_level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
