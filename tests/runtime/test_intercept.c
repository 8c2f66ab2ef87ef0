/* test_intercept.c - interceptors (ferry/intercept.h) on a server and on an
 * intercepted channel: what the hooks see, in which order, and a before
 * hook's refusal ending the call before it goes out or reaches a handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <ferry/testclock.h>

#include "probe.h"

enum { MAX_SEEN = 32 };

/* One hook's view of a call. */
typedef struct seen_event {
    char tag;  /* 'a', 'b': which interceptor */
    char hook; /* 'B'efore, 'A'fter */
    ferry_call_side side;
    char method[96], meta_key[32], client_name[32], message[128];
    uint64_t call_id;
    uint32_t deadline_ms;
    ferry_status status;
    size_t request_bytes, reply_bytes, n_metadata;
    uint64_t handler_us, total_us;
    unsigned attempts;
    int handler_ran;
    int admitted;
} seen_event;

/* What an interceptor saw, in order. */
typedef struct seen {
    pthread_mutex_t mu;
    int n;
    seen_event ev[MAX_SEEN];
    ferry_status refuse; /* what `before` returns */
} seen;

static seen log_a = {.mu = PTHREAD_MUTEX_INITIALIZER}, log_b = {.mu = PTHREAD_MUTEX_INITIALIZER};
/* Every hook of either interceptor, in the order they ran. */
static seen order = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void note(seen *s, char tag, char hook, const ferry_call_event *e)
{
    pthread_mutex_lock(&s->mu);
    if (s->n < MAX_SEEN) {
        seen_event *x = &s->ev[s->n++];
        x->tag = tag;
        x->hook = hook;
        x->side = e->side;
        snprintf(x->method, sizeof x->method, "%s", e->method_name);
        snprintf(x->meta_key, sizeof x->meta_key, "%s",
                 e->n_metadata > 0 ? e->metadata[0].key : "");
        snprintf(x->client_name, sizeof x->client_name, "%s", e->client_name);
        snprintf(x->message, sizeof x->message, "%s", e->message);
        x->call_id = e->call_id;
        x->deadline_ms = e->deadline_ms;
        x->status = e->status;
        x->request_bytes = e->request_bytes;
        x->reply_bytes = e->reply_bytes;
        x->n_metadata = e->n_metadata;
        x->handler_us = e->handler_us;
        x->total_us = e->total_us;
        x->attempts = e->attempts;
        x->handler_ran = e->handler_ran;
        x->admitted = e->admitted;
    }
    pthread_mutex_unlock(&s->mu);
}

static ferry_status before(void *arg, const ferry_call_event *e, char *why, size_t len)
{
    seen *s = arg;
    char tag = s == &log_a ? 'a' : 'b';
    note(s, tag, 'B', e);
    note(&order, tag, 'B', e);
    if (s->refuse != FERRY_OK)
        snprintf(why, len, "refused by interceptor %c", tag);
    return s->refuse;
}

static void after(void *arg, const ferry_call_event *e)
{
    seen *s = arg;
    char tag = s == &log_a ? 'a' : 'b';
    note(s, tag, 'A', e);
    note(&order, tag, 'A', e);
}

static const ferry_interceptor ic_a = {.before = before, .after = after, .arg = &log_a};
static const ferry_interceptor ic_b = {.before = before, .after = after, .arg = &log_b};

static int reset(void **state)
{
    (void)state;
    seen *all[] = {&log_a, &log_b, &order};
    for (size_t i = 0; i < 3; i++) {
        pthread_mutex_lock(&all[i]->mu);
        all[i]->n = 0;
        all[i]->refuse = FERRY_OK;
        pthread_mutex_unlock(&all[i]->mu);
    }
    return 0;
}

/* Waits (up to 20 s) until `s` has seen `n` hooks: a server's after hook
 * runs once the reply is on its way, maybe after the client has it. */
static int wait_seen(seen *s, int n)
{
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&s->mu);
        int got = s->n;
        pthread_mutex_unlock(&s->mu);
        if (got >= n)
            return got;
        probe_nap_ms(10);
    }
    return -1;
}

/* A probe server with interceptors a and b and `workers` workers, and a
 * channel to it. */
static void serve_workers(probe_link *l, unsigned workers)
{
    memset(l, 0, sizeof *l);
    l->url = probe_ipc_url();
    ferry_server_opts so = {.workers = workers, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&l->srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(l->srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_add_interceptor(l->srv, &ic_a), FERRY_OK);
    assert_int_equal(ferry_server_add_interceptor(l->srv, &ic_b), FERRY_OK);
    assert_int_equal(ferry_server_listen(l->srv, l->url, l->bound, sizeof l->bound), FERRY_OK);
    ferry_client_opts co = {.client_name = "icept-test", .wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&l->ch, l->bound, &co), FERRY_OK);
}

static void serve(probe_link *l)
{
    serve_workers(l, 2);
}

static ferry_status echo_with_metadata(ferry_channel *ch, const char *text)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    const uint8_t v[] = "t-1";
    ferry_metadata md = {.key = "tenant", .value = v, .len = 3};
    ferry_call_opts opts = {.deadline_ms = 15000, .metadata = &md, .n_metadata = 1};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    return st;
}

/* A server's hooks see the call: before with its method, metadata, call id,
 * client and deadline; after with its status, sizes and durations. */
static void test_server_hooks_see_the_call(void **state)
{
    (void)state;
    probe_link l;
    serve(&l);
    assert_int_equal(echo_with_metadata(l.ch, "hello"), FERRY_OK);
    assert_int_equal(wait_seen(&log_a, 2), 2);
    assert_int_equal(log_a.ev[0].hook, 'B');
    assert_int_equal(log_a.ev[0].side, FERRY_SIDE_SERVER);
    assert_string_equal(log_a.ev[0].method, "ferrytest.v1.Probe/Echo");
    assert_string_equal(log_a.ev[0].meta_key, "tenant");
    assert_string_equal(log_a.ev[0].client_name, "icept-test");
    assert_true(log_a.ev[0].call_id != 0);
    assert_int_equal(log_a.ev[0].deadline_ms, 15000);
    assert_int_equal(log_a.ev[1].hook, 'A');
    assert_int_equal(log_a.ev[1].status, FERRY_OK);
    assert_int_equal(log_a.ev[1].call_id, log_a.ev[0].call_id);
    assert_true(log_a.ev[1].request_bytes >= 5);
    assert_true(log_a.ev[1].reply_bytes >= 5);
    assert_true(log_a.ev[1].total_us >= log_a.ev[1].handler_us);
    probe_link_close(&l);
}

/* Before hooks run in the order added, after hooks in the reverse. */
static void test_server_hook_order(void **state)
{
    (void)state;
    probe_link l;
    serve(&l);
    assert_int_equal(echo_with_metadata(l.ch, "x"), FERRY_OK);
    assert_int_equal(wait_seen(&order, 4), 4);
    const char want[][2] = {{'a', 'B'}, {'b', 'B'}, {'b', 'A'}, {'a', 'A'}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(order.ev[i].tag, want[i][0]);
        assert_int_equal(order.ev[i].hook, want[i][1]);
    }
    probe_link_close(&l);
}

/* A before hook's refusal is the call's status and message; the handler
 * never runs, the later before hooks neither, and the after hooks see the
 * refusal. */
static void test_server_before_refuses(void **state)
{
    (void)state;
    probe_link l;
    serve(&l);
    log_a.refuse = FERRY_PERMISSION_DENIED;
    uint64_t before_calls = atomic_load(&probe_calls);
    ferry_call_info info;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_PERMISSION_DENIED);
    assert_non_null(strstr(info.message, "refused by interceptor a"));
    assert_int_equal(atomic_load(&probe_calls), before_calls);
    assert_true(wait_seen(&log_b, 1) >= 1);
    assert_int_equal(log_b.ev[0].hook, 'A'); /* b's before never ran */
    assert_int_equal(log_b.ev[0].status, FERRY_PERMISSION_DENIED);
    assert_int_equal(log_b.ev[0].handler_us, 0);
    probe_link_close(&l);
}

/* The after hooks see the calls the server answers without a handler
 * too: here a method it does not implement. */
static void test_server_after_sees_ferrys_refusals(void **state)
{
    (void)state;
    probe_link l;
    serve(&l);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_missing(l.ch, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
    int n = wait_seen(&log_a, 2);
    assert_true(n >= 1);
    const seen_event *last = &log_a.ev[n - 1];
    assert_int_equal(last->hook, 'A');
    assert_string_equal(last->method, "ferrytest.v1.Probe/Missing");
    assert_int_equal(last->status, FERRY_UNIMPLEMENTED);
    probe_link_close(&l);
}

/* A call the server refuses before its handler once a worker takes it (its
 * deadline passed while it waited for one) is not a handled call: the
 * after hooks see handler_ran 0, and the counters count it as refused. */
static void test_server_refusal_before_handler_not_handled(void **state)
{
    (void)state;
    probe_link l;
    serve_workers(&l, 1);
    ferry_channel *other = NULL;
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&other, l.bound, &co), FERRY_OK);
    probe_gate_shut();
    uint64_t calls0 = atomic_load(&probe_calls);
    probe_bg_call held, late;
    probe_bg_start(&held, l.ch, PROBE_HELD, 60000);
    assert_true(probe_wait_calls(calls0 + 1)); /* the one worker is busy */
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    probe_bg_start(&late, other, 0, 60000);
    /* Its before hook has run once its deadline is set: then it waits. */
    assert_int_equal(wait_seen(&log_a, 2), 2);
    ferry_test_clock_advance(120000); /* past the waiting call's deadline */
    probe_gate_open();
    assert_int_equal(probe_bg_join(&held), FERRY_OK);
    assert_int_equal(probe_bg_join(&late), FERRY_DEADLINE_EXCEEDED);
    assert_true(wait_seen(&log_a, 4) >= 4);
    int refused = 0;
    for (int i = 0; i < 4; i++)
        if (log_a.ev[i].hook == 'A' && log_a.ev[i].status == FERRY_DEADLINE_EXCEEDED) {
            refused++;
            assert_int_equal(log_a.ev[i].handler_ran, 0);
            assert_int_equal(log_a.ev[i].handler_us, 0);
        } else if (log_a.ev[i].hook == 'A') {
            assert_int_equal(log_a.ev[i].handler_ran, 1);
        }
    assert_int_equal(refused, 1);
    ferry_server_counters c;
    ferry_server_get_counters(l.srv, &c);
    assert_int_equal(c.handled, 1);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(atomic_load(&probe_calls), calls0 + 1);
    ferry_test_clock_stop();
    ferry_channel_close(other);
    probe_link_close(&l);
}

/* Interceptors are added before listening, have a hook, and are bounded. */
static void test_server_add_rules(void **state)
{
    (void)state;
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, NULL), FERRY_OK);
    ferry_interceptor none = {0};
    assert_int_equal(ferry_server_add_interceptor(srv, &none), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_add_interceptor(srv, NULL), FERRY_INVALID_ARGUMENT);
    for (int i = 0; i < FERRY_INTERCEPTORS_MAX; i++)
        assert_int_equal(ferry_server_add_interceptor(srv, &ic_a), FERRY_OK);
    assert_int_equal(ferry_server_add_interceptor(srv, &ic_a), FERRY_RESOURCE_EXHAUSTED);
    ferry_server_free(srv);

    probe_link l;
    serve(&l);
    assert_int_equal(ferry_server_add_interceptor(l.srv, &ic_a), FERRY_FAILED_PRECONDITION);
    probe_link_close(&l);
}

/* An intercepted channel runs its hooks around every call on the channel
 * it wraps (here the local binding): method, metadata, sizes, attempts. */
static void test_channel_hooks_see_the_call(void **state)
{
    (void)state;
    ferry_channel *local = NULL, *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    ferry_interceptor ics[] = {ic_a, ic_b};
    assert_int_equal(ferry_channel_intercept(&ch, local, ics, 2), FERRY_OK);
    assert_int_equal(echo_with_metadata(ch, "hello"), FERRY_OK);
    assert_int_equal(log_a.n, 2);
    assert_int_equal(log_a.ev[0].side, FERRY_SIDE_CLIENT);
    assert_string_equal(log_a.ev[0].method, "ferrytest.v1.Probe/Echo");
    assert_string_equal(log_a.ev[0].meta_key, "tenant");
    assert_int_equal(log_a.ev[0].deadline_ms, 15000);
    assert_int_equal(log_a.ev[1].status, FERRY_OK);
    assert_true(log_a.ev[1].request_bytes >= 5);
    assert_true(log_a.ev[1].reply_bytes >= 5);
    assert_int_equal(log_a.ev[1].attempts, 1);
    assert_int_equal(log_a.ev[1].n_metadata, 0); /* not kept for after */
    const char want[][2] = {{'a', 'B'}, {'b', 'B'}, {'b', 'A'}, {'a', 'A'}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(order.ev[i].tag, want[i][0]);
        assert_int_equal(order.ev[i].hook, want[i][1]);
    }
    ferry_channel_close(ch); /* closes `local` too */
}

/* A client-side refusal ends the call before it reaches the wrapped
 * channel: its status and message are the call's. */
static void test_channel_before_refuses(void **state)
{
    (void)state;
    ferry_channel *local = NULL, *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_channel_intercept(&ch, local, &ic_a, 1), FERRY_OK);
    log_a.refuse = FERRY_RESOURCE_EXHAUSTED;
    uint64_t before_calls = atomic_load(&probe_calls);
    ferry_call_info info;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_RESOURCE_EXHAUSTED);
    assert_null(resp);
    assert_string_equal(info.message, "refused by interceptor a");
    assert_int_equal(atomic_load(&probe_calls), before_calls);
    assert_int_equal(log_a.ev[1].hook, 'A');
    assert_int_equal(log_a.ev[1].status, FERRY_RESOURCE_EXHAUSTED);
    ferry_channel_close(ch);
}

/* On a server, a refusal by interceptor a (added first) leaves b's before
 * hook unrun: b's after hook sees the call as not admitted, a's as
 * admitted, so that each can pair its after with its own before (a gauge
 * of calls in flight would drift otherwise). */
static void test_server_admitted_per_interceptor(void **state)
{
    (void)state;
    probe_link l;
    serve(&l);
    log_a.refuse = FERRY_PERMISSION_DENIED;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_PERMISSION_DENIED);
    assert_true(wait_seen(&log_a, 2) >= 2);
    assert_true(wait_seen(&log_b, 1) >= 1);
    assert_int_equal(log_b.ev[0].hook, 'A');
    assert_int_equal(log_b.ev[0].admitted, 0);
    assert_int_equal(log_a.ev[1].hook, 'A');
    assert_int_equal(log_a.ev[1].admitted, 1);
    probe_link_close(&l);
}

/* The same on an intercepted channel: b, whose before never ran, sees the
 * call as not admitted. */
static void test_channel_admitted_per_interceptor(void **state)
{
    (void)state;
    ferry_channel *local = NULL, *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    const ferry_interceptor both[] = {ic_a, ic_b};
    assert_int_equal(ferry_channel_intercept(&ch, local, both, 2), FERRY_OK);
    log_a.refuse = FERRY_RESOURCE_EXHAUSTED;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, NULL), FERRY_RESOURCE_EXHAUSTED);
    assert_int_equal(log_b.n, 1); /* its after only */
    assert_int_equal(log_b.ev[0].hook, 'A');
    assert_int_equal(log_b.ev[0].admitted, 0);
    assert_int_equal(log_a.n, 2);
    assert_int_equal(log_a.ev[1].admitted, 1);
    ferry_channel_close(ch);
}

/* The server a hook shuts down, once. */
static ferry_server *to_shut;

static ferry_status shut_from_hook(void *arg, const ferry_call_event *e, char *why, size_t len)
{
    (void)arg, (void)e, (void)why, (void)len;
    ferry_server_shutdown(to_shut, 0);
    return FERRY_OK;
}

/* A before hook that shuts its own server down starts the draining and
 * returns, as a handler doing so does: it cannot wait for the call it is
 * part of (before, it waited for its own thread for ever). The owner then
 * frees the server. */
static void test_server_hook_may_start_shutdown(void **state)
{
    (void)state;
    probe_link l;
    memset(&l, 0, sizeof l);
    l.url = probe_ipc_url();
    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&l.srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(l.srv, &probe_handlers, NULL), FERRY_OK);
    ferry_interceptor shut = {.before = shut_from_hook};
    assert_int_equal(ferry_server_add_interceptor(l.srv, &shut), FERRY_OK);
    assert_int_equal(ferry_server_listen(l.srv, l.url, l.bound, sizeof l.bound), FERRY_OK);
    to_shut = l.srv;
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&l.ch, l.bound, &co), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_OK);
    ferry_message_free(&resp->base);
    /* Draining: the next call is refused. */
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_UNAVAILABLE);
    probe_link_close(&l);
}

typedef struct async_done {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    int hooks_seen; /* the after hooks had run when the completion did */
} async_done;

static void on_echo(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    (void)info;
    async_done *d = arg;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    pthread_mutex_lock(&log_a.mu);
    int seen_after = log_a.n > 0 && log_a.ev[log_a.n - 1].hook == 'A';
    pthread_mutex_unlock(&log_a.mu);
    pthread_mutex_lock(&d->mu);
    d->st = st;
    d->hooks_seen = seen_after;
    d->done = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void wait_done(async_done *d)
{
    pthread_mutex_lock(&d->mu);
    while (!d->done)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

/* A probe server, and a channel to it intercepted by a alone. */
static ferry_channel *intercepted_link(probe_link *l)
{
    probe_link_open(l, 2, NULL);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_channel_intercept(&ch, l->ch, &ic_a, 1), FERRY_OK);
    l->ch = NULL; /* the intercepted channel closes it */
    return ch;
}

/* Asynchronous calls on a remote channel: the after hooks run before the
 * caller's completion; a refusal completes the call at once. */
static void test_channel_async(void **state)
{
    (void)state;
    probe_link l;
    ferry_channel *ch = intercepted_link(&l);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async";
    ferry_call_opts opts = {.deadline_ms = 20000};
    async_done d = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_echo, &d), FERRY_OK);
    wait_done(&d);
    assert_int_equal(d.st, FERRY_OK);
    assert_true(d.hooks_seen);
    assert_int_equal(log_a.ev[1].status, FERRY_OK);
    assert_int_equal(log_a.ev[1].attempts, 1);

    log_a.refuse = FERRY_UNAVAILABLE;
    async_done r = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_echo, &r), FERRY_OK);
    wait_done(&r);
    assert_int_equal(r.st, FERRY_UNAVAILABLE);
    ferry_channel_close(ch);
    probe_link_close(&l);
}

/* An asynchronous call the inner channel does not start (a metadata entry
 * without its value, which the remote channel refuses before sending) ends as
 * a synchronous one does: the after hooks see it end with that status, so
 * that a metrics interceptor does not count it in flight for ever. */
static void test_channel_async_not_started(void **state)
{
    (void)state;
    probe_link l;
    ferry_channel *ch = intercepted_link(&l);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async";
    ferry_metadata md = {.key = "k", .value = NULL, .len = 1};
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .metadata = &md, .n_metadata = 1, .info = &info};
    async_done d = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_echo, &d),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(info.status, FERRY_INVALID_ARGUMENT);
    assert_int_equal(log_a.n, 2);
    assert_int_equal(log_a.ev[0].hook, 'B');
    assert_int_equal(log_a.ev[1].hook, 'A');
    assert_int_equal(log_a.ev[1].status, FERRY_INVALID_ARGUMENT);
    assert_string_equal(log_a.ev[1].message, info.message);
    assert_int_equal(d.done, 0); /* not started: no completion */

    /* The same without an info of the caller's: the hooks still get why. */
    opts.info = NULL;
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_echo, &d),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(log_a.n, 4);
    assert_int_equal(log_a.ev[3].status, FERRY_INVALID_ARGUMENT);
    assert_true(log_a.ev[3].message[0] != '\0');
    ferry_channel_close(ch);
    probe_link_close(&l);
}

/* Making an intercepted channel: bad arguments are refused (and the inner
 * channel is closed, as promised, so nothing leaks). */
static void test_channel_intercept_rules(void **state)
{
    (void)state;
    ferry_channel *local = NULL, *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_channel_intercept(&ch, local, NULL, 1), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    ferry_interceptor none = {0};
    assert_int_equal(ferry_channel_intercept(&ch, local, &none, 1), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_channel_intercept(&ch, NULL, &ic_a, 1), FERRY_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_server_hooks_see_the_call, reset),
        cmocka_unit_test_setup(test_server_hook_order, reset),
        cmocka_unit_test_setup(test_server_before_refuses, reset),
        cmocka_unit_test_setup(test_server_refusal_before_handler_not_handled, reset),
        cmocka_unit_test_setup(test_server_after_sees_ferrys_refusals, reset),
        cmocka_unit_test_setup(test_server_add_rules, reset),
        cmocka_unit_test_setup(test_channel_hooks_see_the_call, reset),
        cmocka_unit_test_setup(test_channel_before_refuses, reset),
        cmocka_unit_test_setup(test_server_admitted_per_interceptor, reset),
        cmocka_unit_test_setup(test_channel_admitted_per_interceptor, reset),
        cmocka_unit_test_setup(test_server_hook_may_start_shutdown, reset),
        cmocka_unit_test_setup(test_channel_async, reset),
        cmocka_unit_test_setup(test_channel_async_not_started, reset),
        cmocka_unit_test_setup(test_channel_intercept_rules, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
