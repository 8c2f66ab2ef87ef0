/* test_balance_dns.c - balancing channels over real servers in processes of
 * their own, found through a real DNS server (dnsmasq) on loopback: calls
 * spread over every endpoint, endpoints join and leave with the records,
 * a crashed server costs no idempotent call, a draining one no call at all,
 * SRV records and a list of URLs work the same. */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ferry/balance.h>
#include <ferry/testclock.h>
#include <ferry/ferry.h>

#include "ferrytest/v1/probe.ferry.h"
#include "fleet.h"

#define N_SERVERS 3

/* Servers on 127.0.0.2.. with one port, as a name's A records give them. */
typedef struct fleet {
    fleet_dns dns;
    int port;
    pid_t pid[N_SERVERS + 1];
    char log[N_SERVERS + 1][300];
    char bound[N_SERVERS + 1][256];
} fleet;

/* What a test started, for the teardown to end even when it failed. */
static fleet *live_fleet;

static void nap(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void start_server(fleet *f, int i)
{
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.%d:%d", i + 2, f->port);
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    f->pid[i] = fleet_spawn(url, name, f->log[i], 2000, 4, f->bound[i], sizeof f->bound[i]);
    assert_true(f->pid[i] > 0);
    if (f->port == 0)
        f->port = atoi(strrchr(f->bound[i], ':') + 1);
}

/* Records "127.0.0.(i+2) svc.test" for each i whose bit is set in `mask`. */
static void hosts_text(char *buf, size_t len, unsigned mask)
{
    buf[0] = '\0';
    for (int i = 0; i <= N_SERVERS; i++)
        if (mask & (1u << i))
            snprintf(buf + strlen(buf), len - strlen(buf), "127.0.0.%d svc.test\n", i + 2);
}

static void fleet_start(fleet *f, int n, unsigned mask)
{
    memset(f, 0, sizeof *f);
    live_fleet = f;
    for (int i = 0; i < n; i++) {
        snprintf(f->log[i], sizeof f->log[i], "%s/ferry-fleet-%d-%d.log",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), i);
        unlink(f->log[i]);
        start_server(f, i);
    }
    char hosts[256];
    hosts_text(hosts, sizeof hosts, mask);
    assert_int_equal(fleet_dns_start(&f->dns, hosts, 1, NULL), 0);
}

static void fleet_end(fleet *f)
{
    for (int i = 0; i <= N_SERVERS; i++) {
        if (f->pid[i] > 0)
            fleet_kill(f->pid[i]);
        if (f->log[i][0] != '\0')
            unlink(f->log[i]);
    }
    fleet_dns_stop(&f->dns);
    memset(f->pid, 0, sizeof f->pid);
    live_fleet = NULL;
}

static ferry_channel *open_dns(const fleet *f, const char *scheme)
{
    char target[128];
    snprintf(target, sizeof target, "%s://svc.test:%d", scheme, f->port);
    ferry_balance_opts bo = {
        .dns_server = f->dns.server, .resolve_min_ms = 100, .resolve_max_ms = 500, .eject_ms = 200};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, target, NULL, &bo), FERRY_OK);
    return ch;
}

/* One call; on success *who is the answering server's number. */
static ferry_status call(ferry_channel *ch, int write, const char *id, int *who)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)id;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts o = {.deadline_ms = 10000};
    ferry_status st = write ? ferrytest_v1_probe_write(ch, &req, &resp, &o)
                            : ferrytest_v1_probe_echo(ch, &req, &resp, &o);
    if (st == FERRY_OK) {
        *who = resp->text != NULL && resp->text[0] == 's' ? atoi(resp->text + 1) : -1;
        ferry_message_free(&resp->base);
    }
    return st;
}

static int teardown(void **state)
{
    (void)state;
    ferry_test_clock_stop(); /* a test that failed with it frozen */
    if (live_fleet != NULL)
        fleet_end(live_fleet);
    live_fleet = NULL;
    return 0;
}

/* Load from a thread of its own: calls until told to stop, counting. */
typedef struct load {
    ferry_channel *ch;
    int write;
    int tag;
    atomic_int stop;
    atomic_uint_fast64_t sent, ok, failed;
    atomic_uint_fast64_t per[N_SERVERS + 1];
    char last_error[FERRY_MESSAGE_MAX];
    pthread_t t;
} load;

static void *load_run(void *arg)
{
    load *l = arg;
    for (uint64_t n = 0; !atomic_load(&l->stop); n++) {
        char id[64];
        snprintf(id, sizeof id, "t%d-%llu", l->tag, (unsigned long long)n);
        int who = -1;
        atomic_fetch_add(&l->sent, 1);
        ferry_call_info info;
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = id;
        Ferrytest__V1__EchoReply *resp = NULL;
        ferry_call_opts o = {.deadline_ms = 10000, .info = &info};
        ferry_status st = l->write ? ferrytest_v1_probe_write(l->ch, &req, &resp, &o)
                                   : ferrytest_v1_probe_echo(l->ch, &req, &resp, &o);
        if (st == FERRY_OK) {
            who = resp->text != NULL ? atoi(resp->text + 1) : -1;
            ferry_message_free(&resp->base);
            atomic_fetch_add(&l->ok, 1);
            if (who >= 0 && who <= N_SERVERS)
                atomic_fetch_add(&l->per[who], 1);
        } else {
            atomic_fetch_add(&l->failed, 1);
            snprintf(l->last_error, sizeof l->last_error, "%s: %s", ferry_status_str(st),
                     info.message);
        }
        nap(2);
    }
    return NULL;
}

static void load_start(load *l, ferry_channel *ch, int write, int tag)
{
    memset(l, 0, sizeof *l);
    l->ch = ch;
    l->write = write;
    l->tag = tag;
    assert_int_equal(pthread_create(&l->t, NULL, load_run, l), 0);
}

static void load_stop(load *l)
{
    atomic_store(&l->stop, 1);
    pthread_join(l->t, NULL);
    printf("load %d: sent %llu, answered %llu, failed %llu%s%s\n", l->tag,
           (unsigned long long)l->sent, (unsigned long long)l->ok, (unsigned long long)l->failed,
           l->failed ? "; last: " : "", l->failed ? l->last_error : "");
}

/* Calls `ch` until every server of the fleet has answered, for up to 30 s:
 * each connection comes up in its own time (slowly on a loaded machine),
 * and calls go to the ready ones. Returns whether all did. */
static int all_answer(ferry_channel *ch)
{
    int seen[N_SERVERS] = {0}, n_seen = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        int who = -1;
        assert_int_equal(call(ch, 0, "", &who), FERRY_OK);
        if (who >= 0 && who < N_SERVERS && !seen[who]) {
            seen[who] = 1;
            n_seen++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (n_seen < N_SERVERS && t.tv_sec - t0.tv_sec < 30);
    return n_seen == N_SERVERS;
}

/* Waits (up to 20 s) until server `i` has answered `n` more calls of `l`. */
static int wait_answers(load *l, int i, uint64_t n)
{
    uint64_t from = atomic_load(&l->per[i]);
    for (int k = 0; k < 20000; k++) {
        if (atomic_load(&l->per[i]) >= from + n)
            return 1;
        nap(1);
    }
    return 0;
}

/* Calls over a DNS name with three A records spread evenly: each server
 * answers between half and one and a half times its even share of 1200
 * calls from four threads (power of two choices on calls in flight, with
 * random ties). */
static void test_spread_evenly(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, N_SERVERS, 0x7);
    ferry_channel *ch = open_dns(&f, "dns");
    /* Every connection up before the count starts: on a loaded machine one
     * can come up late, and the others would take its share meanwhile. */
    assert_true(all_answer(ch));
    load l[4];
    for (int t = 0; t < 4; t++)
        load_start(&l[t], ch, 0, t);
    uint64_t total = 0;
    for (int k = 0; k < 60000 && total < 1200; k++) {
        nap(1);
        total = 0;
        for (int t = 0; t < 4; t++)
            total += atomic_load(&l[t].ok) + atomic_load(&l[t].failed);
    }
    uint64_t per[N_SERVERS] = {0}, failed = 0, ok = 0;
    for (int t = 0; t < 4; t++) {
        load_stop(&l[t]);
        failed += l[t].failed;
        ok += l[t].ok;
        for (int i = 0; i < N_SERVERS; i++)
            per[i] += l[t].per[i];
    }
    printf("spread over 3 servers: %llu %llu %llu of %llu\n", (unsigned long long)per[0],
           (unsigned long long)per[1], (unsigned long long)per[2], (unsigned long long)ok);
    assert_int_equal(failed, 0);
    for (int i = 0; i < N_SERVERS; i++) {
        assert_true(per[i] * 3 * 2 >= ok);     /* at least half its share */
        assert_true(per[i] * 3 * 2 <= ok * 3); /* at most one and a half */
    }
    ferry_endpoint_stats st[8];
    size_t n = 0;
    assert_int_equal(ferry_balance_endpoints(ch, st, 8, &n), FERRY_OK);
    assert_int_equal(n, N_SERVERS);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(st[i].state, FERRY_ENDPOINT_READY);
        assert_true(st[i].calls > 0 && st[i].answered == st[i].calls);
    }
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* A record added under load brings its server into play; a record taken
 * away sends that server no more calls, and once its last calls are done
 * it can go; no call fails throughout. */
static void test_records_join_and_leave(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, N_SERVERS, 0x3);
    ferry_channel *ch = open_dns(&f, "dns");
    load l;
    load_start(&l, ch, 0, 0);
    assert_true(wait_answers(&l, 0, 20) && wait_answers(&l, 1, 20));
    assert_int_equal(atomic_load(&l.per[2]), 0);
    char hosts[256];
    hosts_text(hosts, sizeof hosts, 0x7);
    assert_int_equal(fleet_dns_set(&f.dns, hosts), 0);
    assert_true(wait_answers(&l, 2, 20)); /* joined */
    hosts_text(hosts, sizeof hosts, 0x6);
    assert_int_equal(fleet_dns_set(&f.dns, hosts), 0);
    /* Left: once its calls are done the endpoint is closed, and the
     * channel counts two endpoints ... */
    int gone = 0;
    for (int k = 0; k < 20000 && !gone; k++) {
        size_t n = 0;
        ferry_endpoint_stats st[8];
        assert_int_equal(ferry_balance_endpoints(ch, st, 8, &n), FERRY_OK);
        gone = n == 2;
        nap(1);
    }
    assert_true(gone);
    /* ... after which it can stop without a failed call. */
    fleet_kill(f.pid[0]);
    f.pid[0] = 0;
    assert_true(wait_answers(&l, 1, 50) && wait_answers(&l, 2, 50));
    load_stop(&l);
    assert_int_equal(l.failed, 0);
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* A server killed under load (a crash) costs no idempotent call: calls
 * that were on it are retried on the others, and it is ejected. */
static void test_crash_costs_no_idempotent_call(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, N_SERVERS, 0x7);
    ferry_channel *ch = open_dns(&f, "dns");
    load l[2];
    for (int t = 0; t < 2; t++)
        load_start(&l[t], ch, 0, t);
    assert_true(wait_answers(&l[0], 1, 20));
    fleet_kill(f.pid[1]);
    f.pid[1] = 0;
    assert_true(wait_answers(&l[0], 0, 100) && wait_answers(&l[0], 2, 100));
    for (int t = 0; t < 2; t++) {
        load_stop(&l[t]);
        assert_int_equal(l[t].failed, 0);
    }
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* A server stopped in good order (SIGTERM: it drains) costs not even a
 * non-idempotent call, and none runs twice: its refusals say the request
 * ran nowhere, so they go to another server. */
static void test_drain_costs_no_call(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, N_SERVERS, 0x7);
    ferry_channel *ch = open_dns(&f, "dns");
    load l[2];
    for (int t = 0; t < 2; t++)
        load_start(&l[t], ch, 1, t);
    assert_true(wait_answers(&l[0], 2, 20));
    assert_int_equal(fleet_stop(f.pid[2]), 0);
    f.pid[2] = 0;
    assert_true(wait_answers(&l[0], 0, 100) && wait_answers(&l[0], 1, 100));
    for (int t = 0; t < 2; t++) {
        load_stop(&l[t]);
        assert_int_equal(l[t].failed, 0);
    }
    size_t ids = 0, dups = 0;
    const char *logs[] = {f.log[0], f.log[1], f.log[2]};
    assert_int_equal(fleet_count_logs(logs, 3, &ids, &dups), 0);
    assert_int_equal(dups, 0);
    assert_int_equal(ids, l[0].ok + l[1].ok);
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* Starts the fleet behind SRV records _probe._tcp.svc.test, one per
 * server, server i's of priority prio[i] (NULL: all 0), weight 0. */
static void srv_fleet_start(fleet *f, const int *prio)
{
    fleet_start(f, N_SERVERS, 0);
    fleet_dns_stop(&f->dns);
    char a[N_SERVERS][128], b[N_SERVERS][128];
    const char *extra[2 * N_SERVERS + 1];
    for (int i = 0; i < N_SERVERS; i++) {
        snprintf(a[i], sizeof a[i], "--srv-host=_probe._tcp.svc.test,h%d.svc.test,%d,%d,0", i,
                 f->port, prio != NULL ? prio[i] : 0);
        snprintf(b[i], sizeof b[i], "--host-record=h%d.svc.test,127.0.0.%d", i, i + 2);
        extra[2 * i] = a[i];
        extra[2 * i + 1] = b[i];
    }
    extra[2 * N_SERVERS] = NULL;
    assert_int_equal(fleet_dns_start(&f->dns, "", 1, extra), 0);
}

/* SRV records name hosts and ports: every server behind them answers. */
static void test_srv_records(void **state)
{
    (void)state;
    fleet f;
    srv_fleet_start(&f, NULL);
    ferry_balance_opts bo = {.dns_server = f.dns.server};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, "dns+srv://_probe._tcp.svc.test", NULL, &bo),
                     FERRY_OK);
    assert_true(all_answer(ch));
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* SRV priorities: with the primary (priority 10) connected, every call
 * goes to it and none to the two backups (20); when it crashes, calls go
 * on to both backups. */
static void test_srv_priorities(void **state)
{
    (void)state;
    fleet f;
    const int prio[N_SERVERS] = {10, 20, 20};
    srv_fleet_start(&f, prio);
    ferry_balance_opts bo = {.dns_server = f.dns.server, .eject_ms = 200};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, "dns+srv://_probe._tcp.svc.test", NULL, &bo),
                     FERRY_OK);
    /* A backup may answer while the primary's connection is still being
     * made: wait until the primary answers. */
    int who = -1;
    for (int i = 0; i < 3000 && who != 0; i++) {
        assert_int_equal(call(ch, 0, "", &who), FERRY_OK);
        if (who != 0)
            nap(10);
    }
    assert_int_equal(who, 0);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(call(ch, 0, "", &who), FERRY_OK);
        assert_int_equal(who, 0);
    }
    fleet_kill(f.pid[0]);
    f.pid[0] = 0;
    int per[N_SERVERS] = {0}, ok = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        if (call(ch, 0, "", &who) == FERRY_OK && who >= 0 && who < N_SERVERS) {
            per[who]++;
            ok++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((per[1] == 0 || per[2] == 0 || ok < 100) && t.tv_sec - t0.tv_sec < 30);
    assert_int_equal(per[0], 0);
    assert_true(per[1] > 0 && per[2] > 0);
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* ferry_client_open() takes a comma-separated list and spreads over it. */
static void test_list_of_urls(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, N_SERVERS, 0);
    char target[512];
    snprintf(target, sizeof target, "%s,%s, %s", f.bound[0], f.bound[1], f.bound[2]);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, target, NULL), FERRY_OK);
    assert_true(all_answer(ch));
    ferry_channel_close(ch);
    fleet_end(&f);
}

/* Asynchronous calls: what each completion saw. */
typedef struct async_calls {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned done, ok;
    unsigned per[N_SERVERS];
    char last_error[FERRY_MESSAGE_MAX];
} async_calls;

static void async_done(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                       const ferry_call_info *info)
{
    async_calls *a = arg;
    pthread_mutex_lock(&a->mu);
    a->done++;
    if (st == FERRY_OK) {
        a->ok++;
        int who = resp->text != NULL ? atoi(resp->text + 1) : -1;
        if (who >= 0 && who < N_SERVERS)
            a->per[who]++;
        ferry_message_free(&resp->base);
    } else {
        snprintf(a->last_error, sizeof a->last_error, "%s: %s", ferry_status_str(st),
                 info->message);
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Waits (up to 30 s) until `n` completions have run. */
static unsigned async_wait(async_calls *a, unsigned n)
{
    pthread_mutex_lock(&a->mu);
    for (int k = 0; k < 3000 && a->done < n; k++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&a->cv, &a->mu, &ts);
    }
    unsigned done = a->done;
    pthread_mutex_unlock(&a->mu);
    return done;
}

/* Asynchronous calls that have tried every endpoint wait out the retry
 * policy's back-off without holding one of nng's threads: 32 of them wait
 * at once (more than nng has threads), a call on another channel completes
 * meanwhile, and when the back-offs end every call tries again and ends. */
static void test_async_backoff_holds_no_thread(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, 2, 0);
    ferry_channel *other = NULL;
    assert_int_equal(ferry_client_open(&other, f.bound[0], NULL), FERRY_OK);
    int who = -1;
    assert_int_equal(call(other, 0, "", &who), FERRY_OK);

    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    char target[600];
    snprintf(target, sizeof target, "%s,%s", f.bound[0], f.bound[1]);
    ferry_client_opts co = {.retry = {.max_attempts = 3,
                                      .initial_backoff_ms = 1000,
                                      .max_backoff_ms = 1000,
                                      .budget_ratio = 1,
                                      .budget_burst = 100}};
    ferry_balance_opts bo = {.eject_failures = 1000};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, target, &co, &bo), FERRY_OK);
    enum { CALLS = 32 };
    async_calls a;
    memset(&a, 0, sizeof a);
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "unavailable"; /* the servers' handlers fail it */
    ferry_call_opts o = {.deadline_ms = 600000};
    for (int i = 0; i < CALLS; i++)
        assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &o, async_done, &a), FERRY_OK);
    for (int k = 0; k < 3000 && ferry_test_clock_waiting() < CALLS; k++)
        nap(10);
    assert_int_equal(ferry_test_clock_waiting(), CALLS);
    assert_int_equal(async_wait(&a, 0), 0);

    async_calls b;
    memset(&b, 0, sizeof b);
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    req.text = "";
    assert_int_equal(ferrytest_v1_probe_echo_async(other, &req, &o, async_done, &b), FERRY_OK);
    assert_int_equal(async_wait(&b, 1), 1);
    assert_int_equal(b.ok, 1);

    for (int k = 0; k < 3000 && async_wait(&a, 0) < CALLS; k++) {
        if (ferry_test_clock_waiting() > 0)
            ferry_test_clock_advance(ferry_test_clock_next_ms());
        else
            nap(10);
    }
    assert_int_equal(async_wait(&a, CALLS), CALLS);
    assert_int_equal(a.ok, 0);
    assert_non_null(strstr(a.last_error, "unavailable"));
    ferry_test_clock_stop();
    ferry_channel_close(ch);
    ferry_channel_close(other);
    fleet_end(&f);
}

/* Asynchronous calls spread over every endpoint too, those made before
 * the first lookup answered wait for it, and those in flight while a server
 * drains all end well, Write ones included: each completion runs once. */
static void test_async_calls_through_a_drain(void **state)
{
    (void)state;
    fleet f;
    fleet_start(&f, N_SERVERS, 0x7);
    ferry_channel *ch = open_dns(&f, "dns");
    /* The first calls come before the name's first lookup has answered:
     * they wait for it. */
    async_calls a;
    memset(&a, 0, sizeof a);
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    unsigned sent = 0;
    /* Five rounds before server 0 drains, and more until every server has
     * answered one (bounded): calls go to the servers connected, and a
     * loaded machine can bring a connection up late. Then fifteen rounds
     * while server 0 drains. */
    int drained_from = -1;
    for (int round = 0; drained_from < 0 || round < drained_from + 15; round++) {
        if (drained_from < 0 && round >= 5) {
            pthread_mutex_lock(&a.mu);
            int all = a.per[0] > 0 && a.per[1] > 0 && a.per[2] > 0;
            pthread_mutex_unlock(&a.mu);
            if (all || round >= 500) {
                drained_from = round;
                kill(f.pid[0], SIGTERM); /* drains while calls go on */
            }
        }
        for (int k = 0; k < 30; k++, sent++) {
            Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
            char id[32];
            snprintf(id, sizeof id, "a%u", sent);
            req.text = id;
            req.sleep_ms = 2;
            ferry_call_opts o = {.deadline_ms = 10000};
            ferry_status st = k % 2 ? ferrytest_v1_probe_write_async(ch, &req, &o, async_done, &a)
                                    : ferrytest_v1_probe_echo_async(ch, &req, &o, async_done, &a);
            assert_int_equal(st, FERRY_OK);
        }
        assert_int_equal(async_wait(&a, sent), sent);
    }
    printf("async: %u sent, %u answered, per server %u %u %u%s%s\n", sent, a.ok, a.per[0], a.per[1],
           a.per[2], a.ok < sent ? "; last: " : "", a.ok < sent ? a.last_error : "");
    assert_int_equal(a.ok, sent);
    assert_true(a.per[0] > 0 && a.per[1] > 0 && a.per[2] > 0);
    size_t ids = 0, dups = 0;
    const char *logs[] = {f.log[0], f.log[1], f.log[2]};
    assert_int_equal(fleet_count_logs(logs, 3, &ids, &dups), 0);
    assert_int_equal(dups, 0);
    ferry_channel_close(ch);
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
    fleet_end(&f);
}

static ferry_status app_fallback(void *arg, const ferry_method *m, const ProtobufCMessage *req,
                                 ferry_status cause, ProtobufCMessage *resp)
{
    (void)arg;
    (void)m;
    (void)req;
    (void)cause;
    ((Ferrytest__V1__EchoReply *)resp)->text = "from the fallback";
    return FERRY_OK;
}

/* When no endpoint answers, the IDL's fallback answers (FERRY_FALLBACK),
 * and so does one the application sets on the balancing channel. */
static void test_fallbacks_when_none_answers(void **state)
{
    (void)state;
    ferry_client_opts co = {.connect_timeout_ms = 100};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "tcp://127.0.0.1:1,tcp://127.0.0.1:2", &co), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    /* The connect wait (100 ms) ends these calls, far inside the deadline. */
    ferry_call_opts o = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_lookup(ch, &req, &resp, &o), FERRY_FALLBACK);
    ferry_message_free(&resp->base);
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_UNAVAILABLE);
    const ferry_method *echo = &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO];
    assert_int_equal(ferry_client_set_fallback(ch, echo, app_fallback, NULL), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_FALLBACK);
    assert_string_equal(resp->text, "from the fallback");
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

/* A name with no records is no crash and no hang: calls fail with
 * unavailable, naming the name and what the DNS server said. */
static void test_no_records(void **state)
{
    (void)state;
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "", 0, NULL), 0);
    ferry_balance_opts bo = {.dns_server = d.server};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, "dns://nothing.svc.test:7400", NULL, &bo), FERRY_OK);
    ferry_call_info info;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts o = {.deadline_ms = 20000, .info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "nothing.svc.test"));
    ferry_channel_close(ch);
    fleet_dns_stop(&d);
}

/* One asynchronous call's outcome, waited for. */
typedef struct outcome {
    atomic_int done;
    ferry_status st;
    char message[FERRY_MESSAGE_MAX];
} outcome;

static void note_outcome(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                         const ferry_call_info *info)
{
    outcome *o = arg;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    o->st = st;
    snprintf(o->message, sizeof o->message, "%s", info != NULL ? info->message : "");
    atomic_store(&o->done, 1); /* last: publishes the rest */
}

/* An asynchronous call made before the name's first lookup has answered
 * waits for it no longer than its deadline. The DNS server here never
 * answers (a UDP socket nobody reads), and ferry's clock is the test
 * clock: the call ends, unsent, once the clock passes its deadline,
 * while the lookup (on the real clock) is still waiting for an answer. */
static void test_async_first_lookup_wait_ends_at_deadline(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    char server[32];
    snprintf(server, sizeof server, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    ferry_balance_opts bo = {.dns_server = server};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, "dns://silent.svc.test:7400", NULL, &bo), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "early";
    ferry_call_opts opts = {.deadline_ms = 1000};
    outcome o = {0};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, note_outcome, &o), FERRY_OK);
    /* Its deadline waits on the test clock (up to 20 s for it to). */
    for (int i = 0; i < 2000 && ferry_test_clock_waiting() == 0; i++)
        nap(10);
    assert_true(ferry_test_clock_waiting() >= 1);
    ferry_test_clock_advance(1001);
    for (int i = 0; i < 2000 && atomic_load(&o.done) == 0; i++)
        nap(10);
    assert_int_equal(atomic_load(&o.done), 1);
    assert_int_equal(o.st, FERRY_DEADLINE_EXCEEDED);
    assert_non_null(strstr(o.message, "silent.svc.test"));
    ferry_channel_close(ch);
    ferry_test_clock_stop();
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_spread_evenly, teardown),
        cmocka_unit_test_teardown(test_records_join_and_leave, teardown),
        cmocka_unit_test_teardown(test_crash_costs_no_idempotent_call, teardown),
        cmocka_unit_test_teardown(test_drain_costs_no_call, teardown),
        cmocka_unit_test_teardown(test_srv_records, teardown),
        cmocka_unit_test_teardown(test_srv_priorities, teardown),
        cmocka_unit_test_teardown(test_list_of_urls, teardown),
        cmocka_unit_test_teardown(test_async_calls_through_a_drain, teardown),
        cmocka_unit_test_teardown(test_async_backoff_holds_no_thread, teardown),
        cmocka_unit_test_teardown(test_fallbacks_when_none_answers, teardown),
        cmocka_unit_test_teardown(test_no_records, teardown),
        cmocka_unit_test_teardown(test_async_first_lookup_wait_ends_at_deadline, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
