/* test_listeners.c - clients that connect and hang up at once (health
 * checks, port scans, clients killed mid-handshake) do not stop a server
 * from taking new connections, and connected clients recover. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

#define HANGUPS 200

/* Connects to `sa` and closes at once, `HANGUPS` times; with `reset`, a
 * TCP connection is aborted (RST) rather than closed. */
static void hang_up_many(const struct sockaddr *sa, socklen_t len, int reset)
{
    for (int i = 0; i < HANGUPS; i++) {
        int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        if (reset) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
        }
        assert_int_equal(connect(fd, sa, len), 0);
        close(fd);
    }
}

/* Calls until a call succeeds; calls may fail with UNAVAILABLE while the
 * server replaces a stopped listener and the client reconnects, which on a
 * loaded machine can take a while: up to 20 s of them are allowed. */
static void assert_answers(ferry_channel *ch)
{
    ferry_call_info info;
    ferry_status st = FERRY_UNAVAILABLE;
    for (int attempt = 0; attempt < 200 && st == FERRY_UNAVAILABLE; attempt++) {
        if (attempt > 0)
            probe_nap_ms(100);
        st = probe_echo_text(ch, "still there?", &info);
    }
    assert_int_equal(st, FERRY_OK);
}

/* The client connected before the hang-ups keeps working, and a new
 * client is served. */
static void assert_still_served(const char *url, ferry_channel *old)
{
    assert_answers(old);
    ferry_channel *fresh = NULL;
    assert_int_equal(ferry_client_open(&fresh, url, NULL), FERRY_OK);
    assert_answers(fresh);
    ferry_channel_close(fresh);
}

/* With `new_clients`, the server must also take new clients afterwards. */
static void check_unix(const char *url, const struct sockaddr_un *sa, socklen_t len,
                       int new_clients)
{
    char bound[256];
    ferry_server *srv = probe_serve(url, 2, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(ch, "still there?", &info), FERRY_OK);

    hang_up_many((const struct sockaddr *)sa, len, 0);
    if (new_clients)
        assert_still_served(bound, ch);
    else
        assert_answers(ch);

    ferry_channel_close(ch);
    ferry_server_free(srv);
}

static void test_ipc_hangups(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", url + strlen("ipc://"));
    check_unix(url, &sa, (socklen_t)sizeof sa, 1);
    probe_url_free(url);
}

static void test_abstract_hangups(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "ferry-test-%ld-%d", (long)getpid(), rand());
    char url[96];
    snprintf(url, sizeof url, "abstract://%s", name);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path + 1, name, strlen(name));
    /* An abstract address cannot be reopened (see listeners.h), so only
     * nng's listener going on accepting (cmake/nng/03-*.patch) serves a
     * new client here; with the system's nng, the old one still is. */
#ifdef FERRY_PATCHED_NNG
    int new_clients = 1;
#else
    int new_clients = 0;
#endif
    check_unix(url, &sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name)),
               new_clients);
}

static void test_tcp_hangups(void **state)
{
    (void)state;
    char bound[256];
    ferry_server *srv = probe_serve("tcp://127.0.0.1:0", 2, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(ch, "still there?", &info), FERRY_OK);

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sa.sin_port = htons((uint16_t)atoi(strrchr(bound, ':') + 1));
    hang_up_many((const struct sockaddr *)&sa, sizeof sa, 0);
    hang_up_many((const struct sockaddr *)&sa, sizeof sa, 1);
    assert_still_served(bound, ch);

    ferry_channel_close(ch);
    ferry_server_free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipc_hangups),
        cmocka_unit_test(test_abstract_hangups),
        cmocka_unit_test(test_tcp_hangups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
