/* test_resolve.c - balancing targets read (runtime/src/resolve.c), and
 * what dnsmasq's answers become: hostile targets and answers (bad names,
 * hundreds of records, a TTL of 0) get a clear refusal or a bounded
 * result, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h> /* ares.h needs fd_set */
#include <unistd.h>

#include <ares.h>
#include <cmocka.h>
#include <ferry/balance.h>
#include <ferry/ferry.h>

#include "fleet.h"
#include "client/resolve.h"

static ferry_status parse(const char *s, ferryi_target *t, char *why)
{
    return ferryi_target_parse(s, t, why, FERRY_MESSAGE_MAX);
}

/* The schemes: dns:// and dns+tls:// take host:port, dns+srv:// and
 * dns+srv+tls:// a name, anything else is a comma-separated list. */
static void test_schemes(void **state)
{
    (void)state;
    ferryi_target t;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(parse("dns://svc.example:7400", &t, why), FERRY_OK);
    assert_int_equal(t.kind, FERRYI_TARGET_DNS);
    assert_false(t.tls);
    assert_string_equal(t.host, "svc.example");
    assert_int_equal(t.port, 7400);
    assert_int_equal(parse("dns+tls://svc.example.:443", &t, why), FERRY_OK);
    assert_true(t.tls);
    assert_string_equal(t.host, "svc.example"); /* the root's dot dropped */
    assert_int_equal(parse("dns+srv://_inv._tcp.svc.example", &t, why), FERRY_OK);
    assert_int_equal(t.kind, FERRYI_TARGET_SRV);
    assert_int_equal(parse("dns+srv+tls://_inv._tcp.svc.example", &t, why), FERRY_OK);
    assert_true(t.tls);
    assert_int_equal(parse("tcp://a:1, tcp://b:2 ,ipc:///tmp/x", &t, why), FERRY_OK);
    assert_int_equal(t.kind, FERRYI_TARGET_LIST);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.list[1].url, "tcp://b:2");
    assert_string_equal(t.list[2].url, "ipc:///tmp/x");
    ferryi_target_free(&t);
}

/* Each malformed target is refused with a reason that names the mistake. */
static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *target, *says;
    } cases[] = {
        {"dns://svc.example", "needs a port"},
        {"dns://svc.example:0", "needs a port"},
        {"dns://svc.example:70000", "needs a port"},
        {"dns://svc.example:80x", "needs a port"},
        {"dns+srv://_x._tcp.svc.example:80", "without a port"},
        {"dns://bad..name:80", "not a DNS name"},
        {"dns://bad name:80", "not a DNS name"},
        {"dns://.lead:80", "not a DNS name"},
        {"dns://:80", "not a DNS name"},
        {"dnsx://svc.example:80", "unknown scheme"},
        {"tcp://a:1,,tcp://b:1", "item 2"},
        {"tcp://a:1,dns://b:1", "item 2"},
        {"tcp://a:1,nocolon", "item 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ferryi_target t;
        char why[FERRY_MESSAGE_MAX] = "";
        ferry_status st = parse(cases[i].target, &t, why);
        ferryi_target_free(&t);
        if (st != FERRY_INVALID_ARGUMENT || strstr(why, cases[i].says) == NULL)
            fail_msg("%s: status %d, \"%s\", expected \"%s\"", cases[i].target, st, why,
                     cases[i].says);
    }
}

/* Names at the limits: a 63-byte label and a 253-byte name pass, one more
 * byte of either is refused; a 10 KiB target is no crash. */
static void test_name_limits(void **state)
{
    (void)state;
    char label[80], name[300];
    memset(label, 'a', 63);
    label[63] = '\0';
    assert_true(ferryi_dns_name_ok(label));
    label[63] = 'a';
    label[64] = '\0';
    assert_false(ferryi_dns_name_ok(label));
    name[0] = '\0';
    while (strlen(name) + 4 <= 253)
        strcat(name, "abc.");
    name[strlen(name) - 1] = '\0';
    while (strlen(name) < 253)
        strcat(name, "x");
    assert_true(ferryi_dns_name_ok(name));
    strcat(name, "x");
    assert_false(ferryi_dns_name_ok(name));
    char *huge = malloc(10240 + 16);
    strcpy(huge, "dns://");
    memset(huge + 6, 'a', 10240);
    strcpy(huge + 6 + 10240, ":80");
    ferryi_target t;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(parse(huge, &t, why), FERRY_INVALID_ARGUMENT);
    free(huge);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "dns://bad..name:80", NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
}

/* A name with 300 A records (an answer too big for UDP, so c-ares asks
 * again over TCP) gives max_endpoints endpoints, not 300. */
static void test_many_records_bounded(void **state)
{
    (void)state;
    char *hosts = malloc(300 * 32);
    hosts[0] = '\0';
    for (int i = 0; i < 300; i++)
        sprintf(hosts + strlen(hosts), "127.1.%d.%d many.test\n", i / 200, i % 200 + 1);
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, hosts, 30, NULL), 0);
    free(hosts);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    assert_int_equal(parse("dns://many.test:9", &t, why), FERRY_OK);
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 0;
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 64);
    assert_int_equal(ttl, 30);
    assert_non_null(strstr(addrs[0].url, "tcp://127.1."));
    free(addrs);
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
}

/* A TTL of 0 is taken as resolve_min_ms, not as "ask on every call": the
 * channel works, and a record added later is seen. */
static void test_zero_ttl(void **state)
{
    (void)state;
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "127.0.0.9 zero.test\n", 0, NULL), 0);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    assert_int_equal(parse("dns://zero.test:9", &t, why), FERRY_OK);
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 99;
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ttl, 0);
    assert_string_equal(addrs[0].url, "tcp://127.0.0.9:9");
    assert_string_equal(addrs[0].name, "zero.test");
    free(addrs);
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
}

/* A name with A and AAAA records gives both, an IPv6 address in brackets;
 * SRV records give each host's addresses on the record's port, with the
 * host's name kept for TLS. */
static void test_aaaa_and_srv(void **state)
{
    (void)state;
    const char *extra[] = {"--srv-host=_p._tcp.dual.test,one.dual.test,7001",
                           "--srv-host=_p._tcp.dual.test,two.dual.test,7002",
                           "--host-record=one.dual.test,127.0.0.7",
                           "--host-record=two.dual.test,127.0.0.8,fd00::8", NULL};
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "127.0.0.9 dual.test\n::1 dual.test\n", 1, extra), 0);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 0;
    assert_int_equal(parse("dns://dual.test:9", &t, why), FERRY_OK);
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 2);
    int v4 = 0, v6 = 0;
    for (size_t i = 0; i < n; i++) {
        v4 |= strcmp(addrs[i].url, "tcp://127.0.0.9:9") == 0;
        v6 |= strcmp(addrs[i].url, "tcp://[::1]:9") == 0;
    }
    assert_true(v4 && v6);
    free(addrs);
    assert_int_equal(parse("dns+srv+tls://_p._tcp.dual.test", &t, why), FERRY_OK);
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 3);
    int one = 0, two = 0, two6 = 0;
    for (size_t i = 0; i < n; i++) {
        one |= strcmp(addrs[i].url, "tls+tcp://127.0.0.7:7001") == 0 &&
               strcmp(addrs[i].name, "one.dual.test") == 0;
        two |= strcmp(addrs[i].url, "tls+tcp://127.0.0.8:7002") == 0 &&
               strcmp(addrs[i].name, "two.dual.test") == 0;
        two6 |= strcmp(addrs[i].url, "tls+tcp://[fd00::8]:7002") == 0;
    }
    assert_true(one && two && two6);
    free(addrs);
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
}

/* SRV records come lowest priority first, whatever the answer's order, with
 * their priority and weight; a channel that takes fewer endpoints than
 * there are records keeps those it would call first. */
static void test_srv_priority_order(void **state)
{
    (void)state;
    const char *extra[] = {"--srv-host=_p._tcp.prio.test,back.prio.test,7002,20,0",
                           "--srv-host=_p._tcp.prio.test,front.prio.test,7001,10,5",
                           "--host-record=back.prio.test,127.0.0.8",
                           "--host-record=front.prio.test,127.0.0.7", NULL};
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "", 1, extra), 0);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    assert_int_equal(parse("dns+srv://_p._tcp.prio.test", &t, why), FERRY_OK);
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 0;
    for (int round = 0; round < 5; round++) { /* dnsmasq may change the order */
        assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
        assert_int_equal(n, 2);
        assert_string_equal(addrs[0].url, "tcp://127.0.0.7:7001");
        assert_int_equal(addrs[0].priority, 10);
        assert_int_equal(addrs[0].weight, 5);
        assert_string_equal(addrs[1].url, "tcp://127.0.0.8:7002");
        assert_int_equal(addrs[1].priority, 20);
        assert_int_equal(addrs[1].weight, 0);
        free(addrs);
    }
    assert_int_equal(ferryi_resolve(r, &t, 1, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addrs[0].url, "tcp://127.0.0.7:7001");
    free(addrs);
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
}

/* A list of `n` SRV records, all of priority 20 but the one at `low`
 * (priority 5, port 1); the others' ports count up from 100. */
static struct ares_srv_reply *srv_list(size_t n, size_t low)
{
    struct ares_srv_reply *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i].next = i + 1 < n ? &v[i + 1] : NULL;
        v[i].priority = i == low ? 5 : 20;
        v[i].port = i == low ? 1 : (unsigned short)(100 + i);
    }
    return v;
}

/* Of more SRV records than ferry keeps, it keeps the lowest priority's
 * first, wherever the answer lists it (first, in the middle, last, past
 * the records kept), and the rest in the order of the answer. */
static void test_srv_keeps_lowest_priority(void **state)
{
    (void)state;
    enum { N = FERRYI_SRV_MAX + 44 };
    const size_t lows[] = {0, 100, FERRYI_SRV_MAX - 1, FERRYI_SRV_MAX, N - 1};
    struct ares_srv_reply *out[FERRYI_SRV_MAX];
    for (size_t k = 0; k < sizeof lows / sizeof lows[0]; k++) {
        struct ares_srv_reply *v = srv_list(N, lows[k]);
        assert_int_equal(ferryi_srv_by_priority(v, out), FERRYI_SRV_MAX);
        assert_int_equal(out[0]->port, 1);
        unsigned short last = 0;
        for (size_t i = 1; i < FERRYI_SRV_MAX; i++) {
            assert_int_equal(out[i]->priority, 20);
            assert_true(out[i]->port > last); /* the answer's order */
            last = out[i]->port;
        }
        free(v);
    }
    struct ares_srv_reply *v = srv_list(3, 2);
    assert_int_equal(ferryi_srv_by_priority(v, out), 3);
    assert_int_equal(out[0]->port, 1);
    assert_int_equal(out[1]->port, 100);
    assert_int_equal(out[2]->port, 101);
    free(v);
    assert_int_equal(ferryi_srv_by_priority(NULL, out), 0);
}

/* The same through dnsmasq: an answer of 300 SRV records, one of them of a
 * lower priority, yields that one first. */
static void test_srv_many_records_lowest_first(void **state)
{
    (void)state;
    /* More records than dnsmasq takes options: a file of them. */
    char conf[] = "/tmp/ferry-srv-XXXXXX";
    int fd = mkstemp(conf);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int i = 0; i < 299; i++)
        fprintf(f, "srv-host=_m._tcp.lots.test,b%d.lots.test,%d,20,0\n", i, 7000 + i);
    fprintf(f, "srv-host=_m._tcp.lots.test,front.lots.test,6999,5,0\n");
    fprintf(f, "host-record=front.lots.test,127.0.0.9\n");
    assert_int_equal(fclose(f), 0);
    char opt[64];
    snprintf(opt, sizeof opt, "--conf-file=%s", conf);
    const char *extra[] = {opt, NULL};
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "", 30, extra), 0);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    assert_int_equal(parse("dns+srv://_m._tcp.lots.test", &t, why), FERRY_OK);
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 0;
    assert_int_equal(ferryi_resolve(r, &t, 1, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addrs[0].url, "tcp://127.0.0.9:6999");
    assert_int_equal(addrs[0].priority, 5);
    free(addrs);
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
    unlink(conf);
}

/* SRV records naming no usable host (a name with a '*', port 0) are
 * skipped; when none is left the lookup says so, and a good record among
 * them still counts. */
static void test_bad_srv_records(void **state)
{
    (void)state;
    const char *extra[] = {"--srv-host=_p._tcp.bad.test,x*y.bad.test,7001",
                           "--srv-host=_p._tcp.bad.test,ok.bad.test,0",
                           "--srv-host=_q._tcp.bad.test,x*y.bad.test,7001",
                           "--srv-host=_q._tcp.bad.test,ok.bad.test,7002",
                           "--host-record=ok.bad.test,127.0.0.6",
                           NULL};
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "", 1, extra), 0);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 0;
    assert_int_equal(parse("dns+srv://_p._tcp.bad.test", &t, why), FERRY_OK);
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why),
                     FERRY_UNAVAILABLE);
    assert_non_null(strstr(why, "2 SRV records, none naming a usable host and port"));
    assert_int_equal(parse("dns+srv://_q._tcp.bad.test", &t, why), FERRY_OK);
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why), FERRY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addrs[0].url, "tcp://127.0.0.6:7002");
    free(addrs);
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
}

/* No records, an unknown name and a DNS server that does not answer each
 * get a reason, not a crash or a hang past the resolver's timeouts. */
static void test_failures_say_why(void **state)
{
    (void)state;
    fleet_dns d;
    assert_int_equal(fleet_dns_start(&d, "127.0.0.9 v4only.test\n", 1, NULL), 0);
    ferryi_resolver *r = NULL;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    ferryi_target t;
    ferryi_ep_addr *addrs = NULL;
    size_t n = 0;
    uint32_t ttl = 0;
    assert_int_equal(parse("dns+srv://_none._tcp.v4only.test", &t, why), FERRY_OK);
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why),
                     FERRY_UNAVAILABLE);
    assert_non_null(strstr(why, "_none._tcp.v4only.test"));
    ferryi_resolver_free(r);
    fleet_dns_stop(&d);
    /* Nobody answers on that port now. */
    assert_int_equal(ferryi_resolver_new(&r, d.server, why, sizeof why), FERRY_OK);
    assert_int_equal(parse("dns://v4only.test:9", &t, why), FERRY_OK);
    assert_int_equal(ferryi_resolve(r, &t, 64, &addrs, &n, &ttl, why, sizeof why),
                     FERRY_UNAVAILABLE);
    printf("with no DNS server: %s\n", why);
    ferryi_resolver_free(r);
    assert_int_equal(ferryi_resolver_new(&r, "not a server", why, sizeof why),
                     FERRY_INVALID_ARGUMENT);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schemes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_many_records_bounded),
        cmocka_unit_test(test_zero_ttl),
        cmocka_unit_test(test_aaaa_and_srv),
        cmocka_unit_test(test_bad_srv_records),
        cmocka_unit_test(test_failures_say_why),
        cmocka_unit_test(test_srv_priority_order),
        cmocka_unit_test(test_srv_keeps_lowest_priority),
        cmocka_unit_test(test_srv_many_records_lowest_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
