/* test_reply_proof.c - on a channel that pins its server's key, a reply
 * without the server's proof fails its call and changes nothing else: not
 * the request limit later calls are held to, not the API range the caller
 * is told. The replies come from a plain nng rep0 socket that answers every
 * request with an unproved header, as a stranger on the path could. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "wire/envelope.h"
#include "probe.h"

/* The stranger's reply header: a tiny request limit and an API range. */
#define FORGED_MAX_REQUEST 16u
#define FORGED_API_MIN     7u
#define FORGED_API_MAX     9u

typedef struct stranger {
    nng_socket sock;
    pthread_t thread;
    int answered; /* requests answered; read after the thread is joined */
    int stopped;
} stranger;

/* Answers every request with an unproved reply for its call id, until the
 * socket closes. */
static void *stranger_run(void *arg)
{
    stranger *st = arg;
    nng_msg *m;
    while (nng_recvmsg(st->sock, &m, 0) == 0) {
        ferryi_frame fr;
        char why[256];
        uint64_t call_id = 0;
        if (ferryi_frame_split(nng_msg_body(m), nng_msg_len(m), FERRYI_KIND_REQUEST, &fr, why,
                               sizeof why) == FERRY_OK) {
            Ferry__Wire__RequestHeader *h =
                ferry__wire__request_header__unpack(NULL, fr.header_len, fr.header);
            if (h != NULL) {
                call_id = h->call_id;
                ferry__wire__request_header__free_unpacked(h, NULL);
            }
        }
        Ferry__Wire__ReplyHeader rh = FERRY__WIRE__REPLY_HEADER__INIT;
        rh.call_id = call_id;
        rh.max_request = FORGED_MAX_REQUEST;
        rh.api_min = FORGED_API_MIN;
        rh.api_max = FORGED_API_MAX;
        Ferrytest__V1__EchoReply body = FERRYTEST__V1__ECHO_REPLY__INIT;
        body.text = "forged";
        size_t size = ferryi_frame_size(&rh.base, &body.base, NULL);
        nng_msg_clear(m);
        nng_msg_realloc(m, size);
        ferryi_frame_write(nng_msg_body(m), size, FERRYI_KIND_REPLY, &rh.base, &body.base);
        st->answered++;
        if (nng_sendmsg(st->sock, m, 0) != 0)
            nng_msg_free(m);
    }
    return NULL;
}

/* Closes the stranger's socket and waits for its thread; once. */
static void stranger_stop(stranger *st)
{
    if (st->stopped)
        return;
    nng_close(st->sock);
    pthread_join(st->thread, NULL);
    st->stopped = 1;
}

typedef struct fixture {
    char *url;
    stranger st;
    ferry_key *client, *server;
    ferry_channel *ch;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->url = probe_ipc_url();
    assert_int_equal(nng_rep0_open(&f->st.sock), 0);
    assert_int_equal(nng_listen(f->st.sock, f->url, NULL, 0), 0);
    assert_int_equal(pthread_create(&f->st.thread, NULL, stranger_run, &f->st), 0);
    assert_int_equal(ferry_key_generate(&f->client, "client"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->server, "server"), FERRY_OK);
    ferry_client_opts o = {
        .wait_for_ready = 1,
        .identity = {.key = f->client, .server_key = f->server},
    };
    assert_int_equal(ferry_client_open(&f->ch, f->url, &o), FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->ch);
    stranger_stop(&f->st);
    ferry_key_free(f->client);
    ferry_key_free(f->server);
    probe_url_free(f->url);
    free(f);
    return 0;
}

/* A request bigger than the stranger's limit: what a call would be refused
 * with before it is sent, had the limit been taken. */
static ferry_status call_big(fixture *f, ferry_call_info *info)
{
    char text[4 * FORGED_MAX_REQUEST];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    return probe_echo_text(f->ch, text, info);
}

/* After an unproved reply, the next call is still sent (the stranger
 * answers it) and fails for want of a proof, not for a limit the unproved
 * reply named (found by fuzz_reply). */
static void unproved_reply_leaves_request_limit(void **state)
{
    fixture *f = *state;
    ferry_call_info info;
    assert_int_equal(call_big(f, &info), FERRY_UNAUTHENTICATED);
    assert_int_equal(call_big(f, &info), FERRY_UNAUTHENTICATED);
    assert_non_null(strstr(info.message, "no valid proof from the server's key"));
    stranger_stop(&f->st);
    assert_int_equal(f->st.answered, 2);
}

/* The caller is not told an API range that only an unproved reply named. */
static void unproved_reply_names_no_api_range(void **state)
{
    fixture *f = *state;
    ferry_call_info info;
    assert_int_equal(probe_echo_text(f->ch, "x", &info), FERRY_UNAUTHENTICATED);
    assert_int_equal(info.server_api_min, 0);
    assert_int_equal(info.server_api_max, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unproved_reply_leaves_request_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(unproved_reply_names_no_api_range, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
