/* probe.h - the probe service's handlers and helpers shared by the runtime tests. */
#ifndef FERRY_TEST_PROBE_H
#define FERRY_TEST_PROBE_H

#include <stdatomic.h>
#include <stddef.h>
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

/* Starts a probe server on `url` with `workers` workers. Asserts success and
 * writes the bound URL (port resolved) into `bound`. */
ferry_server *probe_serve(const char *url, unsigned workers, char *bound, size_t bound_len);

/* Starts the probe-server program in its own process on `url`, waits until it
 * listens, and returns its pid; writes the bound URL into `bound`. */
pid_t probe_spawn(const char *url, char *bound, size_t bound_len);

/* Kills (SIGKILL) and reaps a spawned server. */
void probe_kill(pid_t pid);

/* Sends `len` raw bytes with a plain nng req0 socket to `url` and returns the
 * reply bytes (malloc'd) in *reply, or NULL when none came within `ms`. */
size_t probe_raw_call(const char *url, const void *buf, size_t len, void **reply, int ms);

#endif
