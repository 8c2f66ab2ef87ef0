/* test_endpoints.c - a balancer's endpoint logic (runtime/src/endpoints.c)
 * without a network: channels are stand-ins whose connection state the
 * test sets, and time is the test clock, so ejection back-offs and trials
 * are checked at their exact edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ferry/testclock.h>

#include "client/endpoints.h"

/* A stand-in channel: never called, only watched. */
typedef struct fake {
    ferry_channel base;
    char url[FERRY_ENDPOINT_URL_MAX];
    int up;
    uint64_t links;
    int closed;
} fake;

static fake fakes[16];
static size_t n_fakes;
static int opens_fail;

static ferry_status f_open(void *arg, const char *url, const char *name, ferry_channel **out)
{
    (void)arg;
    (void)name;
    if (opens_fail || n_fakes == 16)
        return FERRY_INVALID_ARGUMENT;
    fake *f = &fakes[n_fakes++];
    memset(f, 0, sizeof *f);
    snprintf(f->url, sizeof f->url, "%s", url);
    f->up = 1;
    f->links = 1;
    *out = &f->base;
    return FERRY_OK;
}

static void f_close(void *arg, ferry_channel *ch)
{
    (void)arg;
    ((fake *)ch)->closed = 1;
}

static void f_link(void *arg, ferry_channel *ch, int *up, uint64_t *links)
{
    (void)arg;
    *up = ((fake *)ch)->up;
    *links = ((fake *)ch)->links;
}

static const ferryi_ep_ops ops = {.open = f_open, .close = f_close, .link = f_link};

static fake *fake_of(const char *url)
{
    for (size_t i = 0; i < n_fakes; i++)
        if (strcmp(fakes[i].url, url) == 0)
            return &fakes[i];
    return NULL;
}

static ferryi_epset set;

static int setup(void **state)
{
    (void)state;
    n_fakes = 0;
    opens_fail = 0;
    ferry_balance_opts p = {.eject_ms = 1000, .eject_max_ms = 4000, .eject_failures = 2};
    ferryi_epset_init(&set, &ops, NULL, &p);
    return ferry_test_clock_start() == FERRY_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ferryi_epset_fini(&set);
    ferry_test_clock_stop();
    return 0;
}

static void use(size_t n, ...)
{
    ferryi_ep_addr a[8];
    memset(a, 0, sizeof a);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        snprintf(a[i].url, sizeof a[i].url, "%s", va_arg(ap, const char *));
    va_end(ap);
    size_t added, removed, failed;
    ferryi_epset_update(&set, a, n, &added, &removed, &failed);
}

/* Like use(), from SRV records: each URL followed by its priority and
 * weight. */
static void use_srv(size_t n, ...)
{
    ferryi_ep_addr a[8];
    memset(a, 0, sizeof a);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(a[i].url, sizeof a[i].url, "%s", va_arg(ap, const char *));
        a[i].priority = (uint16_t)va_arg(ap, int);
        a[i].weight = (uint16_t)va_arg(ap, int);
    }
    va_end(ap);
    size_t added, removed, failed;
    ferryi_epset_update(&set, a, n, &added, &removed, &failed);
}

static ferryi_ep *pick(int *trial)
{
    char why[256];
    int t = 0;
    ferryi_ep *ep = ferryi_epset_pick(&set, NULL, 0, trial != NULL ? trial : &t, why, sizeof why);
    return ep;
}

static void ep_fail(ferryi_ep *ep, int trial)
{
    ferry_call_info info = {.status = FERRY_UNAVAILABLE};
    ferryi_epset_done(&set, ep, trial, FERRY_UNAVAILABLE, &info, 10);
}

static void ep_ok(ferryi_ep *ep, int trial)
{
    ferry_call_info info = {.status = FERRY_OK};
    ferryi_epset_done(&set, ep, trial, FERRY_OK, &info, 10);
}

/* The pick prefers the endpoint with fewer calls in flight: with one of
 * two endpoints busy, every pick goes to the idle one. */
static void test_pick_fewer_in_flight(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    ferryi_ep *busy = pick(NULL);
    for (int i = 0; i < 50; i++) {
        ferryi_ep *ep = pick(NULL);
        assert_ptr_not_equal(ep, busy);
        ep_ok(ep, 0);
    }
    ep_ok(busy, 0);
}

/* Picks spread evenly over idle endpoints: 4000 picks over four land
 * within 20% of 1000 each. */
static void test_pick_spreads(void **state)
{
    (void)state;
    use(4, "tcp://a:1", "tcp://b:1", "tcp://c:1", "tcp://d:1");
    for (int i = 0; i < 4000; i++)
        ep_ok(pick(NULL), 0);
    ferry_endpoint_stats st[4];
    assert_int_equal(ferryi_epset_stats(&set, st, 4), 4);
    for (int i = 0; i < 4; i++)
        assert_true(st[i].calls >= 800 && st[i].calls <= 1200);
}

/* A pick never returns an endpoint the call tried already. */
static void test_pick_skips_tried(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    for (int i = 0; i < 20; i++) {
        ferryi_ep *first = pick(NULL);
        char why[128];
        int trial = 0;
        ferryi_ep *second = ferryi_epset_pick(&set, &first->id, 1, &trial, why, sizeof why);
        assert_non_null(second);
        assert_ptr_not_equal(first, second);
        uint64_t tried[2] = {first->id, second->id};
        assert_null(ferryi_epset_pick(&set, tried, 2, &trial, why, sizeof why));
        assert_non_null(strstr(why, "2 tried"));
        ep_ok(first, 0);
        ep_ok(second, 0);
    }
}

/* eject_failures failures in a row eject an endpoint for eject_ms: no pick
 * reaches it until then, and the first pick at the end is its trial. */
static void test_eject_then_trial(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    ferryi_ep *a = set.v[0];
    a->in_flight = 0;
    ep_fail(a, 0);
    assert_int_equal(a->eject_until, 0); /* one failure is not enough */
    ep_fail(a, 0);
    assert_int_not_equal(a->eject_until, 0);
    for (int i = 0; i < 30; i++) {
        ferryi_ep *ep = pick(NULL);
        assert_ptr_not_equal(ep, a);
        ep_ok(ep, 0);
    }
    ferry_test_clock_advance(999);
    ferryi_ep *ep = pick(NULL);
    assert_ptr_not_equal(ep, a);
    ep_ok(ep, 0);
    ferry_test_clock_advance(1);
    int trial = 0;
    ep = pick(&trial);
    assert_ptr_equal(ep, a);
    assert_true(trial);
    /* One trial at a time. */
    int t2 = 0;
    ferryi_ep *other = pick(&t2);
    assert_ptr_not_equal(other, a);
    assert_false(t2);
    ep_ok(other, 0);
    ep_ok(a, 1); /* passed: back in */
    assert_int_equal(a->eject_until, 0);
    ferry_endpoint_stats st[2];
    ferryi_epset_stats(&set, st, 2);
    assert_int_equal(st[0].state, FERRY_ENDPOINT_READY);
    assert_int_equal(st[0].ejections, 1);
}

/* A failed trial ejects again for twice as long, up to eject_max_ms: the
 * trials come at 1000, then 2000, then 4000 and 4000 ms, none a
 * millisecond earlier. */
static void test_failed_trial_doubles(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    ferryi_ep *a = set.v[0];
    ep_fail(a, 0);
    ep_fail(a, 0);
    const uint64_t backoff[] = {1000, 2000, 4000, 4000};
    for (int i = 0; i < 4; i++) {
        ferry_test_clock_advance(backoff[i] - 1);
        int trial = 0;
        ferryi_ep *ep = pick(&trial);
        assert_ptr_not_equal(ep, a);
        ep_ok(ep, 0);
        ferry_test_clock_advance(1);
        ep = pick(&trial);
        assert_ptr_equal(ep, a);
        assert_true(trial);
        ep_fail(a, 1);
        ferry_endpoint_stats st[2];
        ferryi_epset_stats(&set, st, 2);
        assert_int_equal(st[0].state, FERRY_ENDPOINT_EJECTED);
    }
    assert_int_equal(a->ejections, 5);
}

/* A reply that says the server drains takes the endpoint out of the picks
 * until its channel makes a new connection (the server restarted), and is
 * not a failure. */
static void test_drain_until_new_connection(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    ferryi_ep *a = set.v[0];
    ferry_call_info info = {.status = FERRY_UNAVAILABLE, .server_draining = 1, .not_run = 1};
    ferryi_epset_done(&set, a, 0, FERRY_UNAVAILABLE, &info, 10);
    assert_int_equal(a->errors, 0);
    for (int i = 0; i < 30; i++) {
        ferryi_ep *ep = pick(NULL);
        assert_ptr_not_equal(ep, a);
        ep_ok(ep, 0);
    }
    fake_of("tcp://a:1")->links++;
    int seen = 0;
    for (int i = 0; i < 30; i++) {
        ferryi_ep *ep = pick(NULL);
        seen |= ep == a;
        ep_ok(ep, 0);
    }
    assert_true(seen);
}

/* Endpoints not connected are picked only when none is: a call then waits
 * for a connection rather than failing at once. */
static void test_connected_first(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    fake_of("tcp://a:1")->up = 0;
    for (int i = 0; i < 30; i++) {
        ferryi_ep *ep = pick(NULL);
        assert_string_equal(ep->url, "tcp://b:1");
        ep_ok(ep, 0);
    }
    fake_of("tcp://b:1")->up = 0;
    ferryi_ep *ep = pick(NULL);
    assert_non_null(ep);
    ep_ok(ep, 0);
}

/* An update keeps the endpoints still named (their figures too), opens the
 * new ones, and moves the others to leaving: they get no picks, finish the
 * calls they have, and are closed only once those are done. */
static void test_update_diff_and_drain(void **state)
{
    (void)state;
    use(2, "tcp://a:1", "tcp://b:1");
    ferryi_ep *a = set.v[0];
    ferryi_ep *held = NULL;
    while ((held = pick(NULL)) != a)
        ep_ok(held, 0);
    uint64_t calls = a->calls;
    use(2, "tcp://b:1", "tcp://c:1");
    assert_int_equal(n_fakes, 3);
    assert_int_equal(ferryi_epset_count(&set), 2);
    for (int i = 0; i < 30; i++) {
        ferryi_ep *ep = pick(NULL);
        assert_ptr_not_equal(ep, a);
        ep_ok(ep, 0);
    }
    ferry_endpoint_stats st[4];
    assert_int_equal(ferryi_epset_stats(&set, st, 4), 3);
    assert_int_equal(st[2].state, FERRY_ENDPOINT_LEAVING);
    assert_int_equal(st[2].in_flight, 1);
    assert_int_equal(ferryi_epset_reap(&set), 0); /* a call is still on it */
    assert_false(fake_of("tcp://a:1")->closed);
    ep_ok(a, 0);
    assert_int_equal(a->calls, calls);
    assert_int_equal(ferryi_epset_reap(&set), 1);
    assert_true(fake_of("tcp://a:1")->closed);
    assert_int_equal(ferryi_epset_stats(&set, st, 4), 2);
}

/* What a call remembers of the endpoints it tried names them for the set's
 * life: an endpoint that replaced one the call tried (and that may sit
 * where the reaped one was in memory) is still the call's to try. */
static void test_tried_outlives_reaped_endpoint(void **state)
{
    (void)state;
    use(1, "tcp://a:1");
    ferryi_ep *a = pick(NULL);
    uint64_t tried = a->id;
    ep_ok(a, 0);
    use(0);
    assert_int_equal(ferryi_epset_reap(&set), 1);
    use(1, "tcp://b:1");
    char why[128];
    int trial = 0;
    ferryi_ep *b = ferryi_epset_pick(&set, &tried, 1, &trial, why, sizeof why);
    assert_non_null(b);
    assert_string_equal(b->url, "tcp://b:1");
    ep_ok(b, 0);
    assert_null(ferryi_epset_pick(&set, &b->id, 1, &trial, why, sizeof why));
}

/* Names given twice count once, and no more than max_endpoints are kept
 * (a hostile answer's thousand records cost 64 endpoints, not 1000). */
static void test_update_bounds(void **state)
{
    (void)state;
    use(3, "tcp://a:1", "tcp://a:1", "tcp://b:1");
    assert_int_equal(ferryi_epset_count(&set), 2);
    ferryi_ep_addr *many = calloc(1000, sizeof *many);
    for (int i = 0; i < 1000; i++)
        snprintf(many[i].url, sizeof many[i].url, "tcp://10.0.%d.%d:1", i / 256, i % 256);
    n_fakes = 0;
    opens_fail = 1; /* the stand-ins run out: opens fail, and are counted */
    size_t added, removed, failed;
    ferryi_epset_update(&set, many, 1000, &added, &removed, &failed);
    assert_int_equal(added, 0);
    assert_int_equal(failed, 64);
    assert_int_equal(ferryi_epset_count(&set), 0);
    free(many);
}

/* Calls go to the lowest SRV priority only: 300 picks over two endpoints
 * of priority 10 and one of 20 never reach the one of 20, and reach both
 * of 10. */
static void test_lowest_priority_only(void **state)
{
    (void)state;
    use_srv(3, "tcp://a:1", 10, 0, "tcp://backup:1", 20, 0, "tcp://c:1", 10, 0);
    for (int i = 0; i < 300; i++)
        ep_ok(pick(NULL), 0);
    ferry_endpoint_stats st[3];
    assert_int_equal(ferryi_epset_stats(&set, st, 3), 3);
    assert_true(st[0].calls > 0 && st[2].calls > 0);
    assert_int_equal(st[0].calls + st[2].calls, 300);
    assert_int_equal(st[1].calls, 0);
}

/* When the primaries are ejected or not connected, the next priority
 * takes the calls; when a primary's trial passes, the calls go back. */
static void test_next_priority_when_primary_out(void **state)
{
    (void)state;
    use_srv(2, "tcp://primary:1", 10, 0, "tcp://backup:1", 20, 0);
    ferryi_ep *primary = set.v[0], *backup = set.v[1];
    ep_fail(pick(NULL), 0);
    ep_fail(pick(NULL), 0);
    assert_int_not_equal(primary->eject_until, 0);
    for (int i = 0; i < 20; i++) {
        ferryi_ep *ep = pick(NULL);
        assert_ptr_equal(ep, backup);
        ep_ok(ep, 0);
    }
    ferry_test_clock_advance(1000);
    int trial = 0;
    ferryi_ep *ep = pick(&trial);
    assert_ptr_equal(ep, primary);
    assert_true(trial);
    ep_ok(ep, 1);
    for (int i = 0; i < 20; i++) {
        ep = pick(NULL);
        assert_ptr_equal(ep, primary);
        ep_ok(ep, 0);
    }
    fake_of("tcp://primary:1")->up = 0; /* its connection dropped */
    ep = pick(NULL);
    assert_ptr_equal(ep, backup);
    ep_ok(ep, 0);
}

/* An ejected backup whose back-off ran out gets no trial call while a
 * primary is ready: it waits until the primaries are gone. */
static void test_backup_trial_waits_for_primary(void **state)
{
    (void)state;
    use_srv(2, "tcp://primary:1", 10, 0, "tcp://backup:1", 20, 0);
    ferryi_ep *backup = set.v[1];
    fake_of("tcp://primary:1")->up = 0;
    ep_fail(pick(NULL), 0);
    ep_fail(pick(NULL), 0);
    assert_int_not_equal(backup->eject_until, 0);
    fake_of("tcp://primary:1")->up = 1;
    ferry_test_clock_advance(5000);
    for (int i = 0; i < 20; i++) {
        int trial = 0;
        ferryi_ep *ep = pick(&trial);
        assert_ptr_not_equal(ep, backup);
        assert_false(trial);
        ep_ok(ep, 0);
    }
    fake_of("tcp://primary:1")->up = 0;
    int trial = 0;
    ferryi_ep *ep = pick(&trial);
    assert_ptr_equal(ep, backup);
    assert_true(trial);
    ep_ok(ep, 1);
}

/* Within a priority, idle endpoints get calls in proportion to weight:
 * 4000 picks over weights 3 and 1 land within 10% of 3000 and 1000. */
static void test_weights_split_calls(void **state)
{
    (void)state;
    use_srv(2, "tcp://a:1", 5, 3, "tcp://b:1", 5, 1);
    for (int i = 0; i < 4000; i++)
        ep_ok(pick(NULL), 0);
    ferry_endpoint_stats st[2];
    assert_int_equal(ferryi_epset_stats(&set, st, 2), 2);
    assert_true(st[0].calls >= 2700 && st[0].calls <= 3300);
    assert_int_equal(st[0].calls + st[1].calls, 4000);
}

/* Calls held in flight spread by weight too: with 40 held over weights 3
 * and 1, the heavier endpoint holds at least twice as many. */
static void test_weights_split_load(void **state)
{
    (void)state;
    use_srv(2, "tcp://a:1", 5, 3, "tcp://b:1", 5, 1);
    ferryi_ep *held[40];
    for (int i = 0; i < 40; i++)
        held[i] = pick(NULL);
    assert_true(set.v[0]->in_flight >= 2 * set.v[1]->in_flight);
    assert_true(set.v[1]->in_flight > 0);
    for (int i = 0; i < 40; i++)
        ep_ok(held[i], 0);
}

/* A weight of 0 next to others is a very small share (RFC 2782), not
 * none and not an equal one. */
static void test_weight_zero_is_small(void **state)
{
    (void)state;
    use_srv(2, "tcp://a:1", 5, 0, "tcp://b:1", 5, 10);
    for (int i = 0; i < 4000; i++)
        ep_ok(pick(NULL), 0);
    ferry_endpoint_stats st[2];
    assert_int_equal(ferryi_epset_stats(&set, st, 2), 2);
    assert_true(st[0].calls <= 40);
    assert_true(st[1].calls >= 3960);
}

/* Picks `n` calls while keeping `depth` in flight (each new call is picked
 * before the oldest one ends), as a client under steady load does. */
static void picks_under_load(int n, int depth)
{
    ferryi_ep *held[8] = {0};
    for (int i = 0; i < n; i++) {
        if (held[i % depth] != NULL)
            ep_ok(held[i % depth], 0);
        held[i % depth] = pick(NULL);
    }
    for (int k = 0; k < depth; k++)
        if (held[k] != NULL)
            ep_ok(held[k], 0);
}

/* Under load, too, a weight of 0 is a very small share: with two calls
 * always in flight it once took every call the other was busy for, half
 * of them. */
static void test_weight_zero_is_small_under_load(void **state)
{
    (void)state;
    use_srv(2, "tcp://a:1", 5, 0, "tcp://b:1", 5, 10);
    picks_under_load(4000, 2);
    ferry_endpoint_stats st[2];
    assert_int_equal(ferryi_epset_stats(&set, st, 2), 2);
    assert_true(st[0].calls <= 40);
    assert_int_equal(st[0].calls + st[1].calls, 4000);
}

/* Weights 3 and 1 with 2, 4 and 16 calls always in flight: the split stays
 * near 3:1 however busy the channel. Counting the new call on both sides
 * once gave the heavier endpoint every call at 2 in flight. */
static void test_weights_split_calls_under_load(void **state)
{
    (void)state;
    static const int depths[] = {2, 4, 8};
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        use_srv(2, "tcp://a:1", 5, 3, "tcp://b:1", 5, 1);
        ferry_endpoint_stats before[2];
        assert_int_equal(ferryi_epset_stats(&set, before, 2), 2);
        picks_under_load(4000, depths[d]);
        ferry_endpoint_stats st[2];
        assert_int_equal(ferryi_epset_stats(&set, st, 2), 2);
        uint64_t heavy = st[0].calls - before[0].calls, light = st[1].calls - before[1].calls;
        printf("# weights 3 and 1, %d in flight: %llu and %llu calls\n", depths[d],
               (unsigned long long)heavy, (unsigned long long)light);
        assert_int_equal(heavy + light, 4000);
        assert_true(heavy >= 2600 && heavy <= 3400); /* 3000 within 0.65-0.85 */
    }
}

/* An SRV weight is its host's, however many addresses the host has: a
 * host of weight 2 with two addresses takes as many calls as a host of
 * weight 2 with one, each of its addresses about half of them. */
static void test_weight_split_among_host_addresses(void **state)
{
    (void)state;
    ferryi_ep_addr a[3];
    memset(a, 0, sizeof a);
    static const char *const urls[] = {"tcp://10.0.0.1:1", "tcp://10.0.0.2:1", "tcp://10.0.0.3:1"};
    for (int i = 0; i < 3; i++) {
        snprintf(a[i].url, sizeof a[i].url, "%s", urls[i]);
        a[i].priority = 5;
        a[i].weight = 2;
        a[i].weight_split = i < 2 ? 2 : 1; /* 10.0.0.1 and .2 are one host */
    }
    size_t added, removed, failed;
    ferryi_epset_update(&set, a, 3, &added, &removed, &failed);
    for (int i = 0; i < 4000; i++)
        ep_ok(pick(NULL), 0);
    ferry_endpoint_stats st[3];
    assert_int_equal(ferryi_epset_stats(&set, st, 3), 3);
    uint64_t host = st[0].calls + st[1].calls;
    printf("# one host's two addresses %llu and %llu calls, the other host %llu\n",
           (unsigned long long)st[0].calls, (unsigned long long)st[1].calls,
           (unsigned long long)st[2].calls);
    assert_true(host >= 1800 && host <= 2200);
    assert_true(st[2].calls >= 1800 && st[2].calls <= 2200);
    assert_true(st[0].calls >= 800 && st[1].calls >= 800);
}

/* A record's new priority applies to an endpoint the channel has: the
 * next lookup can move calls between them. */
static void test_priority_follows_records(void **state)
{
    (void)state;
    use_srv(2, "tcp://a:1", 10, 0, "tcp://b:1", 20, 0);
    ferryi_ep *a = set.v[0], *b = set.v[1];
    assert_ptr_equal(pick(NULL), a);
    ep_ok(a, 0);
    use_srv(2, "tcp://a:1", 30, 0, "tcp://b:1", 20, 0);
    assert_ptr_equal(set.v[0], a);
    assert_ptr_equal(pick(NULL), b);
    ep_ok(b, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pick_fewer_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_spreads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_skips_tried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eject_then_trial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_trial_doubles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_until_new_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connected_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_diff_and_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tried_outlives_reaped_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lowest_priority_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_priority_when_primary_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_trial_waits_for_primary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weights_split_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weights_split_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weight_zero_is_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weight_zero_is_small_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weights_split_calls_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weight_split_among_host_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_follows_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
