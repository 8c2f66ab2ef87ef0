/* test_trace.c - traces across services (ferry/trace.h): a client calls
 * service A over ipc, A's handler calls B with the call as its parent, and
 * every span shares one trace with the right parent; a caller's own
 * traceparent is continued; a dispatcher's shadow call is marked; a call
 * through an intercepting channel is one client span; with no sink,
 * nothing is traced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

enum { MAX_SPANS = 32 };

typedef struct spans {
    pthread_mutex_t mu;
    int n;
    ferry_span s[MAX_SPANS];
    char method[MAX_SPANS][96];
} spans;

static spans got = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void sink(void *arg, const ferry_span *span)
{
    spans *g = arg;
    pthread_mutex_lock(&g->mu);
    if (g->n < MAX_SPANS) {
        g->s[g->n] = *span;
        snprintf(g->method[g->n], sizeof g->method[0], "%s", span->method_name);
        g->s[g->n].method_name = g->method[g->n];
        g->s[g->n].message = "";
        g->n++;
    }
    pthread_mutex_unlock(&g->mu);
}

static int setup(void **state)
{
    (void)state;
    pthread_mutex_lock(&got.mu);
    got.n = 0;
    pthread_mutex_unlock(&got.mu);
    ferry_trace_set_sink(sink, &got);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ferry_trace_set_sink(NULL, NULL);
    return 0;
}

/* Waits (up to 20 s) for `n` spans: servers end theirs once the reply is
 * on its way. */
static int wait_spans(int n)
{
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&got.mu);
        int have = got.n;
        pthread_mutex_unlock(&got.mu);
        if (have >= n)
            return have;
        probe_nap_ms(10);
    }
    return -1;
}

/* The span on `side` of the call that ran as `method` whose parent is
 * `parent` (NULL: any). */
static const ferry_span *find(ferry_call_side side, const uint8_t *parent)
{
    for (int i = 0; i < got.n; i++)
        if (got.s[i].side == side && (parent == NULL || memcmp(got.s[i].parent_id, parent, 8) == 0))
            return &got.s[i];
    return NULL;
}

static const uint8_t zero8[8];

/* A's Echo: calls B's Echo (user = the channel to B) as a child of itself. */
static ferry_status relay(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                          Ferrytest__V1__EchoReply *resp)
{
    (void)resp;
    ferry_call_opts opts = {.deadline_ms = 20000, .parent = call};
    Ferrytest__V1__EchoReply *inner = NULL;
    ferry_status st = ferrytest_v1_probe_echo(user, req, &inner, &opts);
    ferry_message_free(inner != NULL ? &inner->base : NULL);
    return st;
}

/* One trace through three services: the client's span is the root, A's
 * server span its child, A's call to B a child of that, and B's server
 * span a child of A's call; one trace id for all. */
static void test_trace_crosses_services(void **state)
{
    (void)state;
    probe_link b;
    probe_link_open(&b, 2, NULL); /* B: the probe itself */
    ferry_channel *to_b = NULL;
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&to_b, b.bound, &co), FERRY_OK);
    static const ferrytest_v1_probe_handlers a_handlers = {.echo = relay};
    char *a_url = probe_ipc_url();
    char a_bound[256];
    ferry_server *a = NULL;
    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&a, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(a, &a_handlers, to_b), FERRY_OK);
    assert_int_equal(ferry_server_listen(a, a_url, a_bound, sizeof a_bound), FERRY_OK);
    ferry_channel *to_a = NULL;
    assert_int_equal(ferry_client_open(&to_a, a_bound, &co), FERRY_OK);

    assert_int_equal(probe_echo(to_a, 0, 20000, NULL), FERRY_OK);
    assert_int_equal(wait_spans(4), 4);
    const ferry_span *root = find(FERRY_SIDE_CLIENT, zero8);
    assert_non_null(root);
    const ferry_span *a_srv = find(FERRY_SIDE_SERVER, root->span_id);
    assert_non_null(a_srv);
    const ferry_span *a_cli = find(FERRY_SIDE_CLIENT, a_srv->span_id);
    assert_non_null(a_cli);
    const ferry_span *b_srv = find(FERRY_SIDE_SERVER, a_cli->span_id);
    assert_non_null(b_srv);
    for (int i = 0; i < 4; i++) {
        assert_memory_equal(got.s[i].trace_id, root->trace_id, 16);
        assert_string_equal(got.s[i].method_name, "ferrytest.v1.Probe/Echo");
        assert_int_equal(got.s[i].status, FERRY_OK);
        assert_int_equal(got.s[i].shadow, 0);
    }
    /* Each span is its own. */
    assert_memory_not_equal(root->span_id, a_srv->span_id, 8);
    assert_memory_not_equal(a_cli->span_id, b_srv->span_id, 8);

    ferry_channel_close(to_a);
    ferry_server_free(a);
    probe_url_free(a_url);
    probe_link_close(&b); /* the server first: A's handler used to_b */
    ferry_channel_close(to_b);
}

/* A caller that already has a trace (a traceparent in the call's
 * metadata) gets its span continued: same trace, the caller's span as the
 * parent. */
static void test_caller_traceparent_continued(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ferry_metadata md = {.key = "traceparent", .value = (const uint8_t *)tp, .len = strlen(tp)};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000, .metadata = &md, .n_metadata = 1};
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_OK);
    ferry_message_free(&resp->base);
    assert_int_equal(wait_spans(2), 2);
    const uint8_t trace[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                               0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
    const uint8_t parent[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
    const ferry_span *cli = find(FERRY_SIDE_CLIENT, parent);
    assert_non_null(cli);
    assert_memory_equal(cli->trace_id, trace, 16);
    const ferry_span *srv = find(FERRY_SIDE_SERVER, cli->span_id);
    assert_non_null(srv);
    assert_memory_equal(srv->trace_id, trace, 16);
    probe_link_close(&l);
}

/* A traceparent that is not one (all-zero ids, bad hex, wrong length)
 * starts a new trace instead. */
static void test_bad_traceparent_starts_anew(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    const char *bad[] = {
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bX-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "garbage",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ferry_metadata md = {
            .key = "traceparent", .value = (const uint8_t *)bad[i], .len = strlen(bad[i])};
        ferry_call_opts opts = {.deadline_ms = 20000, .metadata = &md, .n_metadata = 1};
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        Ferrytest__V1__EchoReply *resp = NULL;
        assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_OK);
        ferry_message_free(&resp->base);
    }
    assert_int_equal(wait_spans(8), 8);
    int roots = 0;
    for (int i = 0; i < got.n; i++)
        roots += got.s[i].side == FERRY_SIDE_CLIENT && memcmp(got.s[i].parent_id, zero8, 8) == 0;
    assert_int_equal(roots, 4);
    probe_link_close(&l);
}

/* A dispatcher in the shadow stage answers from the local handlers and
 * shadows the call to the remote: the shadow call's span says so. */
static void test_shadow_call_marked(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    ferry_channel *remote = l.ch, *d = NULL;
    l.ch = NULL; /* the dispatcher owns it */
    ferry_dispatch_opts o = {.spec = "shadow"};
    assert_int_equal(ferrytest_v1_probe_dispatcher_open(&d, &probe_handlers, NULL, remote, &o),
                     FERRY_OK);
    assert_int_equal(probe_echo(d, 0, 20000, NULL), FERRY_OK);
    /* The shadow call may end after the caller's: closing the dispatcher
     * waits for it, so its client span is in before the count; its server's
     * span comes once that reply is on its way, so it is waited for. */
    ferry_channel_close(d);
    /* The caller's span, the local run, the shadow call and its server. */
    assert_true(wait_spans(4) >= 4);
    probe_link_close(&l);
    pthread_mutex_lock(&got.mu);
    int shadows = 0, shadow_side = -1;
    for (int i = 0; i < got.n; i++) {
        shadows += got.s[i].shadow;
        if (got.s[i].shadow)
            shadow_side = (int)got.s[i].side;
    }
    pthread_mutex_unlock(&got.mu);
    assert_int_equal(shadows, 1);
    assert_int_equal(shadow_side, FERRY_SIDE_CLIENT);
}

/* Without a sink nothing is traced, and a handler sees no trace id. */
static ferry_status note_trace(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                               Ferrytest__V1__EchoReply *resp)
{
    (void)req;
    (void)resp;
    char id[33];
    *(int *)user = ferry_call_trace_id(call, id);
    return FERRY_OK;
}

static void test_off_without_sink(void **state)
{
    (void)state;
    ferry_trace_set_sink(NULL, NULL);
    static const ferrytest_v1_probe_handlers h = {.echo = note_trace};
    int had = -1;
    ferry_channel *local = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &h, &had), FERRY_OK);
    assert_int_equal(probe_echo(local, 0, 20000, NULL), FERRY_OK);
    assert_int_equal(had, 0);
    assert_int_equal(got.n, 0);
    /* With a sink, the same handler sees its call's trace. */
    ferry_trace_set_sink(sink, &got);
    assert_int_equal(probe_echo(local, 0, 20000, NULL), FERRY_OK);
    assert_int_equal(had, 1);
    ferry_channel_close(local);
}

/* How many client spans `got` holds. */
static int client_spans(void)
{
    pthread_mutex_lock(&got.mu);
    int n = 0;
    for (int i = 0; i < got.n; i++)
        n += got.s[i].side == FERRY_SIDE_CLIENT;
    pthread_mutex_unlock(&got.mu);
    return n;
}

static void nop_after(void *arg, const ferry_call_event *ev)
{
    (void)arg, (void)ev;
}

static void async_done(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                       const ferry_call_info *info)
{
    (void)info;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    atomic_store((atomic_int *)arg, st == FERRY_OK ? 1 : 2);
}

/* A call through an intercepting channel is one client span, the server
 * span's parent, synchronous or not: the wrapper hands the call to the
 * channel it wraps without tracing it again. The client span has ended by
 * the time the call returns or its callback runs. */
static void test_intercepted_call_one_client_span(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    ferry_interceptor ic = {.after = nop_after};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_channel_intercept(&ch, l.ch, &ic, 1), FERRY_OK);
    l.ch = NULL; /* the intercepting channel owns it */

    assert_int_equal(probe_echo(ch, 0, 20000, NULL), FERRY_OK);
    assert_int_equal(client_spans(), 1);
    assert_int_equal(wait_spans(2), 2);
    const ferry_span *client = find(FERRY_SIDE_CLIENT, NULL);
    assert_non_null(client);
    assert_non_null(find(FERRY_SIDE_SERVER, client->span_id));

    atomic_int done = 0;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "x";
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, async_done, &done), FERRY_OK);
    for (int i = 0; i < 20000 && atomic_load(&done) == 0; i++)
        probe_nap_ms(1);
    assert_int_equal(atomic_load(&done), 1);
    assert_int_equal(client_spans(), 2);
    ferry_channel_close(ch);
    probe_link_close(&l);
}

/* An asynchronous call its channel does not start ends its client span
 * there and then, with the refusal's status, as a synchronous call does;
 * with more metadata entries than the span keeps inline, nothing leaks
 * (the sanitizer builds check that). */
static void test_async_not_started_ends_its_span(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "x";
    /* The last entry has no value: the remote channel refuses the call
     * before sending it. */
    ferry_metadata md[5] = {
        {.key = "a", .value = (const uint8_t *)"1", .len = 1},
        {.key = "b", .value = (const uint8_t *)"2", .len = 1},
        {.key = "c", .value = (const uint8_t *)"3", .len = 1},
        {.key = "d", .value = (const uint8_t *)"4", .len = 1},
        {.key = "e", .value = NULL, .len = 1},
    };
    ferry_call_opts opts = {.deadline_ms = 20000, .metadata = md, .n_metadata = 5};
    atomic_int done = 0;
    assert_int_equal(ferrytest_v1_probe_echo_async(l.ch, &req, &opts, async_done, &done),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(client_spans(), 1);
    const ferry_span *client = find(FERRY_SIDE_CLIENT, NULL);
    assert_non_null(client);
    assert_int_equal(client->status, FERRY_INVALID_ARGUMENT);
    assert_int_equal(atomic_load(&done), 0);
    probe_link_close(&l);
}

static void test_hex(void **state)
{
    (void)state;
    const uint8_t id[3] = {0x00, 0xab, 0x7f};
    char out[7];
    ferry_trace_hex(id, 3, out);
    assert_string_equal(out, "00ab7f");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trace_crosses_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_traceparent_continued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_traceparent_starts_anew, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow_call_marked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_without_sink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intercepted_call_one_client_span, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_not_started_ends_its_span, setup, teardown),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
