/* twin.c - the twin service's handlers and the dispatcher tests' harness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "twin.h"

typedef Ferrytest__Dispatch__V1__Record Record;

void twin_nap_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
typedef Ferrytest__Dispatch__V1__Part Part;

static Part *part(ferry_call *call, const char *name, uint32_t count)
{
    Part *p = ferry_call_alloc(call, sizeof *p);
    assert_non_null(p);
    ferrytest__dispatch__v1__part__init(p);
    p->name = (char *)name;
    p->count = count;
    return p;
}

/* Fills the reference record for `id`, changed as `v` says. */
static ferry_status fill_record(ferry_call *call, const char *id, twin_variant v, Record *r)
{
    static uint8_t blob[] = {0x00, 0x01, 0xff};
    static char *tags[] = {"a", "b", "c"};
    if (v == TWIN_NOT_FOUND)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "no record %s here", id);
    r->id = (char *)id;
    r->amount = v == TWIN_SCALAR ? 6 : 5;
    r->ratio = 0.25;
    r->active = 1;
    r->shade = FERRYTEST__DISPATCH__V1__SHADE__SHADE_DARK;
    r->blob.data = blob;
    r->blob.len = sizeof blob;
    r->main = part(call, "main", 1);
    r->tags = tags;
    r->n_tags = v == TWIN_REPEATED ? 2 : 3;
    r->n_parts = 2;
    r->parts = ferry_call_alloc(call, 2 * sizeof *r->parts);
    assert_non_null(r->parts);
    r->parts[0] = part(call, "p0", 1);
    r->parts[1] = part(call, "p1", v == TWIN_REPEATED ? 20 : 2);

    static const char *keys[] = {"a", "b", "c"};
    int32_t values[] = {1, v == TWIN_MAP ? 20 : 2, 3};
    size_t n_scores = v == TWIN_MAP ? 2 : 3;
    r->scores = ferry_call_alloc(call, 3 * sizeof *r->scores);
    assert_non_null(r->scores);
    for (size_t i = 0; i < n_scores; i++) {
        size_t k = v == TWIN_MAP_ORDER ? n_scores - 1 - i : i;
        Ferrytest__Dispatch__V1__Record__ScoresEntry *e = ferry_call_alloc(call, sizeof *e);
        assert_non_null(e);
        ferrytest__dispatch__v1__record__scores_entry__init(e);
        e->key = (char *)keys[k];
        e->value = values[k];
        r->scores[i] = e;
    }
    r->n_scores = n_scores;
    r->slots = ferry_call_alloc(call, 2 * sizeof *r->slots);
    assert_non_null(r->slots);
    for (int i = 0; i < 2; i++) {
        int k = v == TWIN_MAP_ORDER ? 1 - i : i;
        Ferrytest__Dispatch__V1__Record__SlotsEntry *e = ferry_call_alloc(call, sizeof *e);
        assert_non_null(e);
        ferrytest__dispatch__v1__record__slots_entry__init(e);
        e->key = k + 1;
        e->value = part(call, k == 0 ? "one" : v == TWIN_MAP ? "deux" : "two", (uint32_t)k + 1);
        r->slots[i] = e;
    }
    r->n_slots = 2;
    if (v == TWIN_ONEOF) {
        r->pick_case = FERRYTEST__DISPATCH__V1__RECORD__PICK_NUMBER;
        r->number = 7;
    } else {
        r->pick_case = FERRYTEST__DISPATCH__V1__RECORD__PICK_WORD;
        r->word = "hello";
    }
    if (v == TWIN_UNKNOWN) {
        ProtobufCMessageUnknownField *u = ferry_call_alloc(call, sizeof *u);
        uint8_t *data = ferry_call_alloc(call, 1);
        assert_non_null(u);
        assert_non_null(data);
        data[0] = 7;
        u->tag = 99;
        u->wire_type = PROTOBUF_C_WIRE_TYPE_VARINT;
        u->len = 1;
        u->data = data;
        r->base.n_unknown_fields = 1;
        r->base.unknown_fields = u;
    }
    return FERRY_OK;
}

static ferry_status get(void *user, ferry_call *call,
                        const Ferrytest__Dispatch__V1__GetRequest *req, Record *resp)
{
    twin_side *s = user;
    atomic_store(&s->last_remaining_ms, ferry_call_remaining_ms(call));
    size_t len = 0;
    const uint8_t *who = ferry_call_metadata(call, "who", &len);
    atomic_store(&s->last_who_alice, who != NULL && len == 5 && memcmp(who, "alice", 5) == 0);
    atomic_fetch_add(&s->gets, 1);
    while (atomic_load(&s->hold))
        twin_nap_ms(1);
    return fill_record(call, req->id, (twin_variant)atomic_load(&s->variant), resp);
}

static ferry_status peek(void *user, ferry_call *call,
                         const Ferrytest__Dispatch__V1__GetRequest *req, Record *resp)
{
    twin_side *s = user;
    atomic_fetch_add(&s->peeks, 1);
    return fill_record(call, req->id, (twin_variant)atomic_load(&s->variant), resp);
}

static ferry_status count(void *user, ferry_call *call,
                          const Ferrytest__Dispatch__V1__CountRequest *req,
                          Ferrytest__Dispatch__V1__CountReply *resp)
{
    (void)call;
    twin_side *s = user;
    atomic_fetch_add(&s->counts, 1);
    resp->token = req->token;
    return FERRY_OK;
}

static ferry_status touch(void *user, ferry_call *call,
                          const Ferrytest__Dispatch__V1__CountRequest *req,
                          Ferrytest__Dispatch__V1__CountReply *resp)
{
    (void)call;
    twin_side *s = user;
    atomic_fetch_add(&s->touches, 1);
    resp->token = req->token;
    return FERRY_OK;
}

const ferrytest_dispatch_v1_twin_handlers twin_handlers = {
    .get = get,
    .count = count,
    .touch = touch,
    .peek = peek,
};

static char *ipc_url(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/ferry-twin-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char *url = malloc(320);
    assert_non_null(url);
    snprintf(url, 320, "ipc://%s/twin.sock", dir);
    return url;
}

static void url_free(char *url)
{
    char *path = url + 6;
    unlink(path);
    char *slash = strrchr(path, '/');
    if (slash != NULL) {
        *slash = '\0';
        rmdir(path);
    }
    free(url);
}

void twin_start_server(twin *t)
{
    ferry_server_opts o = {.workers = 4};
    assert_int_equal(ferry_server_new(&t->srv, &o), FERRY_OK);
    assert_int_equal(ferrytest_dispatch_v1_twin_register(t->srv, &twin_handlers, &t->remote),
                     FERRY_OK);
    assert_int_equal(ferry_server_listen(t->srv, t->url, NULL, 0), FERRY_OK);
}

void twin_stop_server(twin *t)
{
    ferry_server_shutdown(t->srv, 1000);
    ferry_server_free(t->srv);
    t->srv = NULL;
}

void twin_open(twin *t, const char *spec)
{
    ferry_dispatch_opts o = {.spec = spec, .seed = 42};
    twin_open_with(t, &o);
}

void twin_open_with(twin *t, const ferry_dispatch_opts *opts)
{
    memset(t, 0, sizeof *t);
    t->url = ipc_url();
    twin_start_server(t);
    ferry_channel *remote = NULL;
    /* No retries and no breaker: each call is one attempt, so the counts
     * are exact and a restarted server is used at once. Calls that give no
     * deadline get 30 s: the tests check where calls go and what they
     * answer, and a loaded machine must not run a call out of time. */
    ferry_client_opts co = {.retry = {.max_attempts = 1},
                            .breaker = {.disabled = 1},
                            .connect_timeout_ms = 2000,
                            .default_deadline_ms = 30000};
    assert_int_equal(ferry_client_open(&remote, t->url, &co), FERRY_OK);
    ferry_status st =
        ferrytest_dispatch_v1_twin_dispatcher_open(&t->ch, &twin_handlers, &t->local, remote, opts);
    if (st != FERRY_OK)
        fail_msg("dispatcher_open: %s", ferry_last_error());
}

void twin_close(twin *t)
{
    ferry_channel_close(t->ch);
    if (t->srv != NULL)
        twin_stop_server(t);
    url_free(t->url);
}

Record *twin_get(ferry_channel *ch, const char *id, ferry_status want)
{
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = (char *)id;
    Record *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 30000, .info = &info};
    ferry_status st = ferrytest_dispatch_v1_twin_get(ch, &req, &resp, &opts);
    if (st != want)
        fail_msg("Get: want %s, got %s: %s", ferry_status_str(want), ferry_status_str(st),
                 info.message);
    return resp;
}

void twin_count(ferry_channel *ch, uint64_t token, ferry_status want)
{
    Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
    req.token = token;
    Ferrytest__Dispatch__V1__CountReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 30000, .info = &info};
    ferry_status st = ferrytest_dispatch_v1_twin_count(ch, &req, &resp, &opts);
    if (st != want)
        fail_msg("Count: want %s, got %s: %s", ferry_status_str(want), ferry_status_str(st),
                 info.message);
    if (st == FERRY_OK)
        assert_int_equal(resp->token, token);
    ferry_message_free((ProtobufCMessage *)resp);
}

const ferry_method *twin_method(int i)
{
    return &ferrytest_dispatch_v1_twin_desc.methods[i];
}

ferry_dispatch_stats twin_stats(ferry_channel *ch, int method, ferry_stage stage)
{
    ferry_dispatch_stats s;
    assert_int_equal(ferry_dispatcher_stats(ch, twin_method(method), stage, &s), FERRY_OK);
    return s;
}
