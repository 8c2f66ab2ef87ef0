/* test_rolling.c - a rolling restart: four servers behind one DNS name
 * (dnsmasq), each stopped in good order (SIGTERM: it drains) and started
 * again in turn while clients call at a steady rate, idempotent and
 * non-idempotent calls mixed. Every server logs the request ids it ran. The
 * test prints calls sent, answered, failed and answered twice, and asserts
 * that no call failed and none ran twice. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ferry/balance.h>
#include <ferry/ferry.h>

#include "ferrytest/v1/probe.ferry.h"
#include "fleet.h"

#define SERVERS 4
#define CLIENTS 4

static void nap(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct client {
    ferry_channel *ch;
    int tag;
    atomic_int *stop;
    uint64_t sent, answered, failed_idem, failed_other;
    atomic_uint_fast64_t per[SERVERS];
    char last_error[FERRY_MESSAGE_MAX];
    pthread_t t;
} client;

/* A steady rate: one call, then 5 ms, every other call a Write (not
 * idempotent). */
static void *client_run(void *arg)
{
    client *c = arg;
    for (uint64_t n = 0; !atomic_load(c->stop); n++) {
        int write = n % 2 == 1;
        char id[64];
        snprintf(id, sizeof id, "c%d-%llu", c->tag, (unsigned long long)n);
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = id;
        Ferrytest__V1__EchoReply *resp = NULL;
        ferry_call_info info;
        ferry_call_opts o = {.deadline_ms = 10000, .info = &info};
        c->sent++;
        ferry_status st = write ? ferrytest_v1_probe_write(c->ch, &req, &resp, &o)
                                : ferrytest_v1_probe_echo(c->ch, &req, &resp, &o);
        if (st == FERRY_OK) {
            c->answered++;
            int who = resp->text != NULL ? atoi(resp->text + 1) : -1;
            if (who >= 0 && who < SERVERS)
                atomic_fetch_add(&c->per[who], 1);
            ferry_message_free(&resp->base);
        } else {
            if (write)
                c->failed_other++;
            else
                c->failed_idem++;
            snprintf(c->last_error, sizeof c->last_error, "%s %s: %s", write ? "Write" : "Echo",
                     ferry_status_str(st), info.message);
        }
        nap(5);
    }
    return NULL;
}

static uint64_t answered_by(client *c, int i)
{
    uint64_t n = 0;
    for (int k = 0; k < CLIENTS; k++)
        n += atomic_load(&c[k].per[i]);
    return n;
}

/* No call fails and none runs twice while every server restarts in turn. */
static void test_rolling_restart(void **state)
{
    (void)state;
    char logs[SERVERS][300], bound[SERVERS][256], url[SERVERS][64];
    pid_t pid[SERVERS];
    int port = 0;
    char hosts[512] = "";
    for (int i = 0; i < SERVERS; i++) {
        snprintf(logs[i], sizeof logs[i], "%s/ferry-rolling-%d-%d.log",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), i);
        unlink(logs[i]);
        snprintf(url[i], sizeof url[i], "tcp://127.0.0.%d:%d", i + 2, port);
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        pid[i] = fleet_spawn(url[i], name, logs[i], 2000, 4, bound[i], sizeof bound[i]);
        assert_true(pid[i] > 0);
        if (port == 0) {
            port = atoi(strrchr(bound[i], ':') + 1);
            snprintf(url[i], sizeof url[i], "tcp://127.0.0.%d:%d", i + 2, port);
        }
        snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "127.0.0.%d fleet.test\n",
                 i + 2);
    }
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, hosts, 5, NULL), 0);
    ferry_balance_opts bo = {.dns_server = d.server};
    char target[64];
    snprintf(target, sizeof target, "dns://fleet.test:%d", port);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, target, NULL, &bo), FERRY_OK);

    atomic_int stop = 0;
    client c[CLIENTS];
    memset(c, 0, sizeof c);
    for (int k = 0; k < CLIENTS; k++) {
        c[k].ch = ch;
        c[k].tag = k;
        c[k].stop = &stop;
        assert_int_equal(pthread_create(&c[k].t, NULL, client_run, &c[k]), 0);
    }
    for (int i = 0; i < SERVERS; i++) {
        /* Each server has taken its share before it goes... */
        uint64_t base = answered_by(c, i);
        for (int k = 0; k < 20000 && answered_by(c, i) < base + 20; k++)
            nap(1);
        assert_true(answered_by(c, i) >= base + 20);
        assert_int_equal(fleet_stop(pid[i]), 0);
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        pid[i] = fleet_spawn(url[i], name, logs[i], 2000, 4, bound[i], sizeof bound[i]);
        assert_true(pid[i] > 0);
        /* ...and takes calls again once it is back. */
        base = answered_by(c, i);
        for (int k = 0; k < 20000 && answered_by(c, i) < base + 20; k++)
            nap(1);
        assert_true(answered_by(c, i) >= base + 20);
        printf("server %d restarted\n", i);
    }
    atomic_store(&stop, 1);
    uint64_t sent = 0, answered = 0, failed_idem = 0, failed_other = 0;
    for (int k = 0; k < CLIENTS; k++) {
        pthread_join(c[k].t, NULL);
        sent += c[k].sent;
        answered += c[k].answered;
        failed_idem += c[k].failed_idem;
        failed_other += c[k].failed_other;
        if (c[k].last_error[0] != '\0')
            printf("client %d, last failure: %s\n", k, c[k].last_error);
    }
    size_t ids = 0, dups = 0;
    const char *lp[SERVERS];
    for (int i = 0; i < SERVERS; i++)
        lp[i] = logs[i];
    assert_int_equal(fleet_count_logs(lp, SERVERS, &ids, &dups), 0);
    printf("rolling restart of %d servers: calls sent %llu, answered %llu, failed %llu "
           "(idempotent %llu, not idempotent %llu), answered twice %zu, ran %zu\n",
           SERVERS, (unsigned long long)sent, (unsigned long long)answered,
           (unsigned long long)(failed_idem + failed_other), (unsigned long long)failed_idem,
           (unsigned long long)failed_other, dups, ids);
    ferry_channel_close(ch);
    for (int i = 0; i < SERVERS; i++) {
        fleet_stop(pid[i]);
        unlink(logs[i]);
    }
    fleet_dns_stop(&d);
    assert_int_equal(failed_idem, 0);
    assert_int_equal(failed_other, 0);
    assert_int_equal(dups, 0);
    assert_int_equal(ids, answered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rolling_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
