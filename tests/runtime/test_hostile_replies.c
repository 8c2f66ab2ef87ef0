/* test_hostile_replies.c - replies a ferry server never sends, from a
 * plain nng rep0 socket playing one: each fails its call with its own
 * reason and no response (bytes that are not a frame, a header that does
 * not decode, another call's id, a status only a client gives, a body that
 * is not the reply type), a refusal of a request the server could not read
 * carries its status, and the channel serves the next call as before. An
 * unproved "prove it again from" is believed only when it is near. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "wire/envelope.h"
#include "probe.h"

/* How the liar answers the next request. */
enum mode {
    GOOD,            /* a proper reply echoing the text */
    NOT_A_FRAME,     /* bytes without ferry's magic */
    BAD_HEADER,      /* a frame whose header is not a ReplyHeader */
    OTHER_CALL,      /* a proper reply for another call id */
    CLIENT_STATUS,   /* status FERRY_FALLBACK, which only a client gives */
    BAD_BODY,        /* status OK, a body that does not decode as EchoReply */
    REFUSED,         /* call id 0 and an error: the request could not be read */
    NOT_BEFORE_FAR,  /* once: unauthenticated, "prove it again from" an hour ahead */
    NOT_BEFORE_NEAR, /* once: unauthenticated, "prove it again from" 2 s ahead */
    NUL_MESSAGE,     /* an error whose message holds a NUL byte */
};

/* The wall clock in milliseconds, as a proof's timestamp reads it. */
static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

typedef struct liar {
    nng_socket sock;
    pthread_t thread;
    atomic_int mode;
    atomic_uint_fast64_t last_ts;    /* the last request's proof timestamp */
    atomic_uint_fast64_t not_before; /* the last not-before it told */
} liar;

/* The call id of request `m`; its proof's timestamp into *ts (0: none). */
static uint64_t call_id_of(nng_msg *m, uint64_t *ts)
{
    *ts = 0;
    ferryi_frame fr;
    char why[256];
    uint64_t id = 0;
    if (ferryi_frame_split(nng_msg_body(m), nng_msg_len(m), FERRYI_KIND_REQUEST, &fr, why,
                           sizeof why) == FERRY_OK) {
        Ferry__Wire__RequestHeader *h =
            ferry__wire__request_header__unpack(NULL, fr.header_len, fr.header);
        if (h != NULL) {
            id = h->call_id;
            if (h->identity != NULL)
                *ts = h->identity->timestamp_ms;
            ferry__wire__request_header__free_unpacked(h, NULL);
        }
    }
    return id;
}

/* Replaces `m`'s body with a reply frame of header `rh` and body bytes. */
static void write_reply(nng_msg *m, const Ferry__Wire__ReplyHeader *rh, const uint8_t *body,
                        size_t body_len)
{
    size_t size = FERRYI_FRAME_PREFIX + protobuf_c_message_get_packed_size(&rh->base) + body_len;
    nng_msg_clear(m);
    if (nng_msg_realloc(m, size) != 0)
        return; /* out of memory: an empty reply, which no test expects */
    ferryi_frame_write_raw(nng_msg_body(m), FERRYI_KIND_REPLY, &rh->base, body, body_len);
}

/* The liar's thread: answers each request as `mode` says, until the
 * socket closes. No cmocka assertions here: they work on the test's
 * thread only, and a wrong answer shows in the test's own checks. */
static void *liar_run(void *arg)
{
    liar *l = arg;
    nng_msg *m;
    while (nng_recvmsg(l->sock, &m, 0) == 0) {
        uint64_t ts;
        uint64_t id = call_id_of(m, &ts);
        atomic_store(&l->last_ts, ts);
        Ferry__Wire__ReplyHeader rh = FERRY__WIRE__REPLY_HEADER__INIT;
        rh.call_id = id;
        Ferrytest__V1__EchoReply body = FERRYTEST__V1__ECHO_REPLY__INIT;
        body.text = "told";
        uint8_t packed[64];
        size_t packed_len = ferrytest__v1__echo_reply__pack(&body, packed);
        static const uint8_t bad_header[] = {
            'F', 'Y', FERRYI_WIRE_VERSION, FERRYI_KIND_REPLY, 0, 0, 0, 2, 0xff, 0xff};
        static const uint8_t bad_body[] = {0x0a, 0x7f, 'x'}; /* text of 127 bytes, 1 there */
        switch (atomic_load(&l->mode)) {
        case GOOD:
            write_reply(m, &rh, packed, packed_len);
            break;
        case NOT_A_FRAME:
            nng_msg_clear(m);
            (void)nng_msg_append(m, "hello, client", 13);
            break;
        case BAD_HEADER:
            nng_msg_clear(m);
            (void)nng_msg_append(m, bad_header, sizeof bad_header);
            break;
        case OTHER_CALL:
            rh.call_id = id + 1;
            write_reply(m, &rh, packed, packed_len);
            break;
        case CLIENT_STATUS:
            rh.status = FERRY_FALLBACK;
            write_reply(m, &rh, packed, packed_len);
            break;
        case BAD_BODY:
            write_reply(m, &rh, bad_body, sizeof bad_body);
            break;
        case REFUSED:
            rh.call_id = 0;
            rh.status = FERRY_INVALID_ARGUMENT;
            rh.message = "request header is not valid";
            write_reply(m, &rh, NULL, 0);
            break;
        case NUL_MESSAGE: {
            rh.status = FERRY_NOT_FOUND;
            rh.message = "no such item@and what a C string would hide";
            write_reply(m, &rh, NULL, 0);
            uint8_t *at = memchr(nng_msg_body(m), '@', nng_msg_len(m));
            if (at != NULL)
                *at = 0;
            break;
        }
        case NOT_BEFORE_FAR:
        case NOT_BEFORE_NEAR:
            rh.status = FERRY_UNAUTHENTICATED;
            rh.message = "request proved before this server started";
            rh.proof_not_before_ms =
                wall_ms() + (atomic_load(&l->mode) == NOT_BEFORE_FAR ? 3600000u : 2000u);
            atomic_store(&l->not_before, rh.proof_not_before_ms);
            atomic_store(&l->mode, GOOD); /* once */
            write_reply(m, &rh, NULL, 0);
            break;
        }
        if (nng_sendmsg(l->sock, m, 0) != 0)
            nng_msg_free(m);
    }
    return NULL;
}

typedef struct fixture {
    char *url;
    liar l;
    ferry_key *key; /* NULL: an anonymous channel */
    ferry_channel *ch;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->url = probe_ipc_url();
    atomic_init(&f->l.mode, GOOD);
    assert_int_equal(nng_rep0_open(&f->l.sock), 0);
    assert_int_equal(nng_listen(f->l.sock, f->url, NULL, 0), 0);
    assert_int_equal(pthread_create(&f->l.thread, NULL, liar_run, &f->l), 0);
    ferry_client_opts o = {.wait_for_ready = 1, .retry = {.max_attempts = 1}};
    assert_int_equal(ferry_client_open(&f->ch, f->url, &o), FERRY_OK);
    *state = f;
    return 0;
}

/* The same with a channel that proves its requests with a key of its own
 * but pins no server key: what a server's not-before says is unproved. */
static int setup_keyed(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->url = probe_ipc_url();
    atomic_init(&f->l.mode, GOOD);
    assert_int_equal(nng_rep0_open(&f->l.sock), 0);
    assert_int_equal(nng_listen(f->l.sock, f->url, NULL, 0), 0);
    assert_int_equal(pthread_create(&f->l.thread, NULL, liar_run, &f->l), 0);
    assert_int_equal(ferry_key_generate(&f->key, "client"), FERRY_OK);
    ferry_client_opts o = {
        .wait_for_ready = 1, .retry = {.max_attempts = 1}, .identity = {.key = f->key}};
    assert_int_equal(ferry_client_open(&f->ch, f->url, &o), FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->ch);
    nng_close(f->l.sock);
    pthread_join(f->l.thread, NULL);
    ferry_key_free(f->key);
    probe_url_free(f->url);
    free(f);
    return 0;
}

/* Calls Echo with the liar in `mode`; returns the status, asserts that no
 * response came with a failure, and leaves the reason in `info`. */
static ferry_status call(fixture *f, enum mode mode, ferry_call_info *info)
{
    atomic_store(&f->l.mode, mode);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "asked";
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts o = {.deadline_ms = 20000, .info = info};
    ferry_status st = ferrytest_v1_probe_echo(f->ch, &req, &resp, &o);
    if (st == FERRY_OK) {
        assert_non_null(resp);
        assert_string_equal(resp->text, "told");
        ferry_message_free(&resp->base);
    } else {
        assert_null(resp);
    }
    return st;
}

/* Each lie fails its call with a protocol error naming what was wrong, and
 * the next honest reply is taken as before: one bad reply does not spoil
 * the channel. */
static void test_each_lie_is_a_protocol_error(void **state)
{
    fixture *f = *state;
    static const struct {
        enum mode mode;
        const char *says;
    } lies[] = {
        {NOT_A_FRAME, "not a ferry frame"},
        {BAD_HEADER, "is not a valid ferry.wire.ReplyHeader"},
        {OTHER_CALL, "is for call"},
        {CLIENT_STATUS, "carries status 22, which only a client may give"},
        {BAD_BODY, "is not a valid ferrytest.v1.EchoReply"},
        {NUL_MESSAGE, "holds a NUL byte in its message"},
    };
    ferry_call_info info;
    assert_int_equal(call(f, GOOD, &info), FERRY_OK);
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        assert_int_equal(call(f, lies[i].mode, &info), FERRY_PROTOCOL_ERROR);
        if (strstr(info.message, lies[i].says) == NULL)
            fail_msg("lie %zu: \"%s\" does not say \"%s\"", i, info.message, lies[i].says);
        assert_int_equal(call(f, GOOD, &info), FERRY_OK);
    }
}

/* A refusal for call 0 (a server that could not read the request far
 * enough to learn its id) fails the call with the server's status and
 * says the request was refused. */
static void test_refusal_without_call_id(void **state)
{
    fixture *f = *state;
    ferry_call_info info;
    assert_int_equal(call(f, REFUSED, &info), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "refused the request: request header is not valid"));
    assert_int_equal(call(f, GOOD, &info), FERRY_OK);
}

/* An unproved "prove it again from" an hour ahead is not believed: the
 * call fails as the server said, without being proved again, and the next
 * request is proved at the present time, not an hour ahead (where every
 * honest server would refuse it as from the future). */
static void test_far_not_before_not_believed(void **state)
{
    fixture *f = *state;
    ferry_call_info info;
    assert_int_equal(call(f, NOT_BEFORE_FAR, &info), FERRY_UNAUTHENTICATED);
    assert_int_equal(info.attempts, 1);
    assert_int_equal(call(f, GOOD, &info), FERRY_OK);
    assert_true(atomic_load(&f->l.last_ts) < wall_ms() + 60000);
}

/* A near "prove it again from" (a server that started a moment after the
 * proof, 2 s here) is taken: the call is proved again from that time, once,
 * and succeeds. */
static void test_near_not_before_proved_again(void **state)
{
    fixture *f = *state;
    ferry_call_info info;
    assert_int_equal(call(f, NOT_BEFORE_NEAR, &info), FERRY_OK);
    assert_int_equal(info.attempts, 2);
    assert_true(atomic_load(&f->l.last_ts) >= atomic_load(&f->l.not_before));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_lie_is_a_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_without_call_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_not_before_not_believed, setup_keyed, teardown),
        cmocka_unit_test_setup_teardown(test_near_not_before_proved_again, setup_keyed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
