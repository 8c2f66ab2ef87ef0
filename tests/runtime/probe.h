/* probe.h - the probe service's handlers and the servers, channels, calls
 * and threads the runtime tests share. */
#ifndef FERRY_TEST_PROBE_H
#define FERRY_TEST_PROBE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ferry/ferry.h>

#include "ferrytest/v1/probe.ferry.h"

/* Counts the Echo handler's runs; shared by every server of the process. */
extern atomic_uint_fast64_t probe_calls;

/* While above 0, the handlers count it down and fail with FERRY_UNAVAILABLE
 * instead of answering: a service that is briefly unavailable. */
extern atomic_int probe_fail_unavailable;

/* The probe's handler table: every method but Missing (NULL) echoes. */
extern const ferrytest_v1_probe_handlers probe_handlers;

/* A unique ipc:// URL in a fresh temp directory; probe_url_free() removes it. */
char *probe_ipc_url(void);
void probe_url_free(char *url);

/* Starts a probe server on `url` with server options `o`. Asserts success
 * and writes the bound URL (port resolved) into `bound`. */
ferry_server *probe_serve_opts(const char *url, const ferry_server_opts *o, char *bound,
                               size_t bound_len);

/* probe_serve_opts() with `workers` workers and otherwise default options. */
ferry_server *probe_serve(const char *url, unsigned workers, char *bound, size_t bound_len);

/* Starts the probe-server program in its own process on `url`, waits until it
 * listens, and returns its pid; writes the bound URL into `bound`. */
pid_t probe_spawn(const char *url, char *bound, size_t bound_len);

/* Kills (SIGKILL) and reaps a spawned server. */
void probe_kill(pid_t pid);

/* Sends `len` raw bytes with a plain nng req0 socket to `url` and returns the
 * reply bytes (malloc'd) in *reply, or NULL when none came within `ms`. */
size_t probe_raw_call(const char *url, const void *buf, size_t len, void **reply, int ms);

/* A connection that speaks nng's SP framing by hand, as a misbehaving
 * client would: connects to an ipc:// or tcp:// URL and exchanges the req0
 * handshake; returns the socket. */
int probe_raw_connect(const char *url);

/* Writes one Echo request with request id `id` on a probe_raw_connect()
 * socket, asking the handler to sleep `sleep_ms` and to reply with
 * `reply_bytes` bytes of payload. Returns 0, or -1 when the write failed. */
int probe_raw_send_echo(int fd, uint32_t id, uint32_t sleep_ms, uint32_t reply_bytes);

/* Reads one reply from a probe_raw_connect() socket, waiting up to `ms`:
 * returns its status and call id (*call_id), or -1 when none came. */
int probe_raw_read_reply(int fd, int ms, uint64_t *call_id);

/* Reads and discards whatever `fd` has to read until it has been quiet for
 * `quiet_ms`; returns the bytes read. */
size_t probe_raw_drain(int fd, int quiet_ms);

/* Sleeps `ms` milliseconds of real time, resuming when a signal interrupts
 * the sleep: for a handler that plays slow work, and for the pause between
 * two looks at a condition. Never before an assertion: a test waits for
 * what it expects with a bound (probe_wait_*), or moves the test clock. */
void probe_nap_ms(uint32_t ms);

/* A handler asked to sleep PROBE_HELD (as sleep_ms) waits instead until the
 * gate is open: a call that is surely still running when the test acts on
 * it, however slow the machine, and that ends when the test says, not when
 * a timer does. The gate is open unless probe_gate_shut() was called; a held
 * handler gives up after 60 s, so a test that fails with the gate shut
 * does not hang. Handlers in this process only (not probe-server's). */
#define PROBE_HELD UINT32_MAX
void probe_gate_shut(void);
void probe_gate_open(void);

/* Waits (up to 20 s) until the probe's handlers have run `n` times in all
 * (probe_calls >= n); returns whether they have. */
bool probe_wait_calls(uint64_t n);

/* Waits (up to 20 s) until `n` back-offs wait on the test clock
 * (ferry_test_clock_waiting() >= n): the retries a test expects have
 * started their back-off, so advancing the clock now ends it. Returns
 * whether they have. */
bool probe_wait_backoffs(size_t n);

/* Waits (up to 20 s) until `n` endpoints of balancing channel `ch` are
 * ready (connected): calls go to connected servers only, so a test about
 * how calls spread waits for every server first. Returns whether they are. */
bool probe_wait_endpoints_ready(ferry_channel *ch, size_t n);

/* A probe server on a fresh ipc:// URL and a channel to it: what most
 * runtime tests start from. */
typedef struct probe_link {
    char *url;       /* the URL served, from probe_ipc_url() */
    char bound[256]; /* the URL bound, which the channel dials */
    ferry_server *srv;
    ferry_channel *ch;
} probe_link;

/* Serves the probe with `workers` workers on a fresh ipc:// URL and opens a
 * channel to it with client options `co` (NULL: defaults, but a 20 s
 * connect wait). Asserts success. */
void probe_link_open(probe_link *l, unsigned workers, const ferry_client_opts *co);

/* Closes the channel, frees the server and removes the URL's directory. */
void probe_link_close(probe_link *l);

/* Calls Echo on `ch`, the handler sleeping `sleep_ms` first, under a
 * deadline of `deadline_ms`; frees the reply and returns the status. `info`
 * may be NULL. */
ferry_status probe_echo(ferry_channel *ch, uint32_t sleep_ms, uint32_t deadline_ms,
                        ferry_call_info *info);

/* Calls Echo on `ch` with `text` under a 20 s deadline and, when the call
 * succeeds, asserts that the reply carries `text` back; frees the reply and
 * returns the status. */
ferry_status probe_echo_text(ferry_channel *ch, const char *text, ferry_call_info *info);

/* A probe_echo() run on a thread of its own: a call in flight while the
 * test does something else. */
typedef struct probe_bg_call {
    pthread_t thread;
    ferry_channel *ch;
    uint32_t sleep_ms, deadline_ms;
    ferry_status st;
    ferry_call_info info;
} probe_bg_call;

/* Starts the call; probe_bg_join() must follow. */
void probe_bg_start(probe_bg_call *b, ferry_channel *ch, uint32_t sleep_ms, uint32_t deadline_ms);

/* Waits for the call to return and returns its status (also in b->st). */
ferry_status probe_bg_join(probe_bg_call *b);

/* ferry_server_shutdown(srv, grace_ms) run on a thread of its own. */
typedef struct probe_bg_shutdown {
    pthread_t thread;
    ferry_server *srv;
    uint32_t grace_ms;
} probe_bg_shutdown;

/* Starts the shutdown; probe_bg_shutdown_join() must follow. */
void probe_bg_shutdown_start(probe_bg_shutdown *s, ferry_server *srv, uint32_t grace_ms);

/* Waits for ferry_server_shutdown() to return. */
void probe_bg_shutdown_join(probe_bg_shutdown *s);

#endif
