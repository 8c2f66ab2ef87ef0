/* probe.c - the probe service's handlers and the servers, URLs, raw
 * sockets, calls and threads the runtime tests share. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "ferry/testclock.h"
#include "ferry/wire.pb-c.h"
#include "probe.h"

extern char **environ;

atomic_uint_fast64_t probe_calls;
atomic_int probe_fail_unavailable;

void probe_nap_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static atomic_int gate_shut;

void probe_gate_shut(void)
{
    atomic_store(&gate_shut, 1);
}

void probe_gate_open(void)
{
    atomic_store(&gate_shut, 0);
}

/* Waits while the gate is shut, for at most 60 s. */
static void wait_at_gate(void)
{
    for (int i = 0; i < 60000 && atomic_load(&gate_shut); i++)
        probe_nap_ms(1);
}

static ferry_status echo(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                         Ferrytest__V1__EchoReply *resp)
{
    (void)user;
    resp->seq = atomic_fetch_add(&probe_calls, 1) + 1;
    int left = atomic_load(&probe_fail_unavailable);
    while (left > 0 && !atomic_compare_exchange_weak(&probe_fail_unavailable, &left, left - 1))
        ;
    if (left > 0)
        return ferry_call_fail(call, FERRY_UNAVAILABLE, "probe: unavailable on purpose");
    if (req->sleep_ms == PROBE_HELD)
        wait_at_gate();
    else if (req->sleep_ms > 0)
        probe_nap_ms(req->sleep_ms);
    if (req->fail_status != 0)
        return ferry_call_fail(call, (ferry_status)req->fail_status, "%s", req->fail_message);
    resp->text = ferry_call_strdup(call, req->text);
    if (req->reply_bytes > 0) {
        resp->payload.data = ferry_call_alloc(call, req->reply_bytes);
        if (resp->payload.data == NULL)
            return FERRY_RESOURCE_EXHAUSTED;
        memset(resp->payload.data, 'r', req->reply_bytes);
        resp->payload.len = req->reply_bytes;
    } else {
        resp->payload = req->payload; /* the request lives until the reply is sent */
    }
    resp->tree = req->tree; /* the request lives until the reply is sent */
    resp->remaining_ms = ferry_call_remaining_ms(call);
    resp->client_name = (char *)ferry_call_client_name(call);
    resp->client_version = (char *)ferry_call_client_version(call);
    resp->api_version = ferry_call_api_version(call);
    if (req->n_md_keys > 0) {
        resp->md_values = ferry_call_alloc(call, req->n_md_keys * sizeof(char *));
        for (size_t i = 0; i < req->n_md_keys; i++) {
            size_t len = 0;
            const uint8_t *v = ferry_call_metadata(call, req->md_keys[i], &len);
            char *s = ferry_call_alloc(call, len + 1);
            if (v != NULL)
                memcpy(s, v, len);
            s[v != NULL ? len : 0] = '\0';
            resp->md_values[i] = s;
        }
        resp->n_md_values = req->n_md_keys;
    }
    return FERRY_OK;
}

const ferrytest_v1_probe_handlers probe_handlers = {
    .echo = echo,
    .write = echo,
    .lookup = echo,
    .missing = NULL,
    .admin = echo,
    .guess = echo,
    .audit = echo,
};

char *probe_ipc_url(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/ferry-test-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char *url = malloc(320);
    assert_non_null(url);
    snprintf(url, 320, "ipc://%s/probe.sock", dir);
    return url;
}

void probe_url_free(char *url)
{
    if (url == NULL)
        return;
    if (strncmp(url, "ipc://", 6) == 0) {
        char *path = url + 6;
        unlink(path);
        char *slash = strrchr(path, '/');
        if (slash != NULL) {
            *slash = '\0';
            rmdir(path);
        }
    }
    free(url);
}

ferry_server *probe_serve_opts(const char *url, const ferry_server_opts *o, char *bound,
                               size_t bound_len)
{
    ferry_server *srv = NULL;
    /* The probe's Admin method declares roles, which only the identity tests
     * check (they set identity on servers of their own). */
    ferry_server_opts so = o != NULL ? *o : (ferry_server_opts){0};
    so.serve_roles_without_identity = 1;
    assert_int_equal(ferry_server_new(&srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, bound, bound_len), FERRY_OK);
    return srv;
}

ferry_server *probe_serve(const char *url, unsigned workers, char *bound, size_t bound_len)
{
    return probe_serve_opts(url, &(ferry_server_opts){.workers = workers}, bound, bound_len);
}

pid_t probe_spawn(const char *url, char *bound, size_t bound_len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {(char *)PROBE_SERVER_PATH, (char *)url, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, PROBE_SERVER_PATH, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);

    /* Wait (bounded) for "listening URL\n". */
    char line[512];
    size_t n = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    while (n < sizeof line - 1 && memchr(line, '\n', n) == NULL) {
        if (poll(&p, 1, 20000) <= 0)
            break;
        ssize_t r = read(fds[0], line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fds[0]);
    line[n] = '\0';
    char *nl = strchr(line, '\n');
    if (nl == NULL || strncmp(line, "listening ", 10) != 0) {
        probe_kill(pid);
        fail_msg("probe-server did not start: '%s'", line);
    }
    *nl = '\0';
    snprintf(bound, bound_len, "%s", line + 10);
    return pid;
}

void probe_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

size_t probe_raw_call(const char *url, const void *buf, size_t len, void **reply, int ms)
{
    nng_socket s;
    *reply = NULL;
    assert_int_equal(nng_req0_open(&s), 0);
    nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, ms);
    nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, ms);
    assert_int_equal(nng_dial(s, url, NULL, 0), 0);
    size_t got = 0;
    if (nng_send(s, (void *)buf, len, 0) == 0) {
        void *r = NULL;
        if (nng_recv(s, &r, &got, NNG_FLAG_ALLOC) == 0) {
            *reply = malloc(got ? got : 1);
            memcpy(*reply, r, got);
            nng_free(r, got);
        }
    }
    nng_close(s);
    return got;
}

int probe_raw_connect(const char *url)
{
    int fd = -1;
    if (strncmp(url, "ipc://", 6) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        assert_true(strlen(url + 6) < sizeof sa.sun_path);
        strcpy(sa.sun_path, url + 6);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    } else {
        assert_true(strncmp(url, "tcp://", 6) == 0);
        char host[128];
        const char *colon = strrchr(url, ':');
        assert_true(colon != NULL && (size_t)(colon - (url + 6)) < sizeof host);
        snprintf(host, sizeof host, "%.*s", (int)(colon - (url + 6)), url + 6);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *ai = NULL;
        assert_int_equal(getaddrinfo(host, colon + 1, &hints, &ai), 0);
        fd = socket(ai->ai_family, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, ai->ai_addr, ai->ai_addrlen), 0);
        freeaddrinfo(ai);
    }
    /* The SP header for req0 (protocol 0x30); the server answers with its
     * own. ipc then frames each message as 0x01 and a 64-bit length, tcp as
     * the 64-bit length alone. */
    const uint8_t sp[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
    assert_int_equal(write(fd, sp, sizeof sp), (ssize_t)sizeof sp);
    uint8_t peer[8];
    size_t got = 0;
    while (got < sizeof peer) {
        ssize_t n = read(fd, peer + got, sizeof peer - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    return fd;
}

int probe_raw_send_echo(int fd, uint32_t id, uint32_t sleep_ms, uint32_t reply_bytes)
{
    Ferrytest__V1__EchoRequest body = FERRYTEST__V1__ECHO_REQUEST__INIT;
    body.reply_bytes = reply_bytes;
    body.sleep_ms = sleep_ms;
    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = "ferrytest.v1.Probe/Echo";
    h.deadline_ms = 60000;
    h.call_id = id;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    int ipc = ss.ss_family == AF_UNIX;
    size_t hlen = protobuf_c_message_get_packed_size(&h.base);
    size_t blen = protobuf_c_message_get_packed_size(&body.base);
    size_t frame = 8 + hlen + blen;
    size_t pre = ipc ? 9 : 8;
    size_t total = pre + 4 + frame;
    uint8_t *msg = calloc(1, total);
    assert_non_null(msg);
    uint64_t len = 4 + frame;
    msg[0] = 1; /* overwritten by the length for tcp */
    for (int b = 0; b < 8; b++)
        msg[pre - 8 + (size_t)b] = (uint8_t)(len >> (56 - 8 * b));
    uint32_t rid = 0x80000000u | id; /* the req0 request id, top bit set */
    for (int b = 0; b < 4; b++)
        msg[pre + (size_t)b] = (uint8_t)(rid >> (24 - 8 * b));
    uint8_t *f = msg + pre + 4;
    memcpy(f, (const uint8_t[]){'F', 'Y', 1, 1}, 4);
    for (int b = 0; b < 4; b++)
        f[4 + b] = (uint8_t)(hlen >> (24 - 8 * b));
    protobuf_c_message_pack(&h.base, f + 8);
    protobuf_c_message_pack(&body.base, f + 8 + hlen);
    const uint8_t *p = msg;
    size_t left = total;
    int rv = 0;
    while (left > 0) {
        ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
        if (n <= 0) {
            rv = -1;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    free(msg);
    return rv;
}

/* Reads exactly `len` bytes within `ms`; returns 0, or -1. */
static int read_full(int fd, void *buf, size_t len, int ms)
{
    uint8_t *p = buf;
    while (len > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, ms) <= 0)
            return -1;
        ssize_t n = read(fd, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int probe_raw_read_reply(int fd, int ms, uint64_t *call_id)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    uint8_t pre[9];
    size_t pre_len = ss.ss_family == AF_UNIX ? 9 : 8;
    if (read_full(fd, pre, pre_len, ms) != 0)
        return -1;
    uint64_t len = 0;
    for (size_t b = pre_len - 8; b < pre_len; b++)
        len = len << 8 | pre[b];
    if (len < 4 + 8 || len > (64u << 20))
        return -1;
    uint8_t *msg = malloc(len);
    assert_non_null(msg);
    int rv = -1;
    if (read_full(fd, msg, len, ms) == 0) {
        const uint8_t *f = msg + 4; /* after the req0 request id */
        uint32_t hlen = (uint32_t)f[4] << 24 | (uint32_t)f[5] << 16 | (uint32_t)f[6] << 8 | f[7];
        Ferry__Wire__ReplyHeader *h = NULL;
        if (8u + hlen <= len - 4)
            h = ferry__wire__reply_header__unpack(NULL, hlen, f + 8);
        if (h != NULL) {
            rv = (int)h->status;
            if (call_id != NULL)
                *call_id = h->call_id;
            ferry__wire__reply_header__free_unpacked(h, NULL);
        }
    }
    free(msg);
    return rv;
}

size_t probe_raw_drain(int fd, int quiet_ms)
{
    size_t total = 0;
    uint8_t buf[65536];
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, quiet_ms) <= 0)
            return total;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return total;
        total += (size_t)n;
    }
}

bool probe_wait_calls(uint64_t n)
{
    for (int i = 0; i < 20000 && atomic_load(&probe_calls) < n; i++)
        probe_nap_ms(1);
    return atomic_load(&probe_calls) >= n;
}

bool probe_wait_backoffs(size_t n)
{
    for (int i = 0; i < 20000 && ferry_test_clock_waiting() < n; i++)
        probe_nap_ms(1);
    return ferry_test_clock_waiting() >= n;
}

bool probe_wait_endpoints_ready(ferry_channel *ch, size_t n)
{
    ferry_endpoint_stats es[64];
    size_t ready = 0;
    for (int i = 0; i < 2000 && ready < n; i++) {
        size_t got = 0;
        if (ferry_balance_endpoints(ch, es, 64, &got) != FERRY_OK)
            return false;
        ready = 0;
        for (size_t k = 0; k < got && k < 64; k++)
            ready += es[k].state == FERRY_ENDPOINT_READY;
        if (ready < n)
            probe_nap_ms(10);
    }
    return ready >= n;
}

void probe_link_open(probe_link *l, unsigned workers, const ferry_client_opts *co)
{
    memset(l, 0, sizeof *l);
    l->url = probe_ipc_url();
    l->srv = probe_serve(l->url, workers, l->bound, sizeof l->bound);
    /* Without options, the first call waits up to 20 s for the connection,
     * not the default 1 s: on a loaded machine the first connection can be
     * slow to come up, and these tests are not about that wait. */
    const ferry_client_opts patient = {.connect_timeout_ms = 20000};
    assert_int_equal(ferry_client_open(&l->ch, l->bound, co != NULL ? co : &patient), FERRY_OK);
}

void probe_link_close(probe_link *l)
{
    ferry_channel_close(l->ch);
    ferry_server_free(l->srv);
    probe_url_free(l->url);
    memset(l, 0, sizeof *l);
}

ferry_status probe_echo(ferry_channel *ch, uint32_t sleep_ms, uint32_t deadline_ms,
                        ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "x";
    req.sleep_ms = sleep_ms;
    ferry_call_opts opts = {.deadline_ms = deadline_ms, .info = info};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    return st;
}

ferry_status probe_echo_text(ferry_channel *ch, const char *text, ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)text;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    if (st == FERRY_OK)
        assert_string_equal(resp->text, text);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    return st;
}

static void *bg_call_main(void *arg)
{
    probe_bg_call *b = arg;
    b->st = probe_echo(b->ch, b->sleep_ms, b->deadline_ms, &b->info);
    return NULL;
}

void probe_bg_start(probe_bg_call *b, ferry_channel *ch, uint32_t sleep_ms, uint32_t deadline_ms)
{
    memset(b, 0, sizeof *b);
    b->ch = ch;
    b->sleep_ms = sleep_ms;
    b->deadline_ms = deadline_ms;
    assert_int_equal(pthread_create(&b->thread, NULL, bg_call_main, b), 0);
}

ferry_status probe_bg_join(probe_bg_call *b)
{
    pthread_join(b->thread, NULL);
    return b->st;
}

static void *bg_shutdown_main(void *arg)
{
    probe_bg_shutdown *s = arg;
    ferry_server_shutdown(s->srv, s->grace_ms);
    return NULL;
}

void probe_bg_shutdown_start(probe_bg_shutdown *s, ferry_server *srv, uint32_t grace_ms)
{
    s->srv = srv;
    s->grace_ms = grace_ms;
    assert_int_equal(pthread_create(&s->thread, NULL, bg_shutdown_main, s), 0);
}

void probe_bg_shutdown_join(probe_bg_shutdown *s)
{
    pthread_join(s->thread, NULL);
}
