/* test_listener_guard.c - the guard of a server's IPC listeners acts on
 * hang-ups: after clients hang up in the middle of their handshake, it
 * checks the listener with a connection of its own (or, when nng has
 * stopped the listener, reopens it, which also closes the connections it
 * had), and the server serves its clients, old and new, afterwards. The
 * guard's work shows as connections the server counts without any new
 * client: the test waits for that, with a bound, instead of for a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

#define HANGUPS 200

/* Connects to `sa` and closes at once, before any greeting, HANGUPS times. */
static void hang_up_many(const struct sockaddr *sa, socklen_t len)
{
    for (int i = 0; i < HANGUPS; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, sa, len), 0);
        close(fd);
    }
}

static uint64_t connections(ferry_server *srv)
{
    ferry_server_counters c;
    ferry_server_get_counters(srv, &c);
    return c.connections;
}

/* Waits (up to 20 s, looking every 10 ms) until the server has counted
 * more than `n` connections; returns whether it has. */
static int wait_connections_above(ferry_server *srv, uint64_t n)
{
    for (int i = 0; i < 2000; i++) {
        if (connections(srv) > n)
            return 1;
        probe_nap_ms(10);
    }
    return 0;
}

/* Serves `url`, hangs up on `sa` many times, and checks that the guard
 * acted and the server still serves its old client and a new one. */
static void check(const char *url, const struct sockaddr *sa, socklen_t len)
{
    char bound[256];
    ferry_server *srv =
        probe_serve_opts(url, &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1},
                         bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, &(ferry_client_opts){.wait_for_ready = 1}),
                     FERRY_OK);
    assert_int_equal(probe_echo_text(ch, "before", NULL), FERRY_OK);
    uint64_t before = connections(srv);

    hang_up_many(sa, len);
    /* No client connects now: a new connection is the guard's probe, or the
     * old client's reconnection after the guard reopened the listener. */
    assert_true(wait_connections_above(srv, before));

    ferry_status st = FERRY_UNAVAILABLE;
    for (int i = 0; i < 3 && st == FERRY_UNAVAILABLE; i++)
        st = probe_echo_text(ch, "after", NULL); /* may find its connection closed once */
    assert_int_equal(st, FERRY_OK);
    ferry_channel *fresh = NULL;
    assert_int_equal(ferry_client_open(&fresh, bound, &(ferry_client_opts){.wait_for_ready = 1}),
                     FERRY_OK);
    assert_int_equal(probe_echo_text(fresh, "new", NULL), FERRY_OK);
    ferry_channel_close(fresh);
    ferry_channel_close(ch);
    ferry_server_free(srv);
}

/* An ipc:// listener: checked, and reopened when nng stopped it. (An
 * abstract:// one cannot be reopened, so its guard's work does not always
 * show as a connection; test_listeners.c covers its clients.) */
static void test_ipc_listener_guarded(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", url + strlen("ipc://"));
    check(url, (const struct sockaddr *)&sa, (socklen_t)sizeof sa);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipc_listener_guarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
