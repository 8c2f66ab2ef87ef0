/* fleet.h - what the balancing tests and the load test share: server
 * processes of the fleet (fleet-server), a real DNS server (dnsmasq) on a
 * loopback port with a hosts file the test rewrites, and the request logs
 * the servers write. No cmocka here: the load test is a plain program. */
#ifndef FERRY_TEST_FLEET_H
#define FERRY_TEST_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Starts fleet-server on `url` as `name`, logging request ids to `log`
 * (NULL: none), with a shutdown grace of `grace_ms`; waits (up to 20 s)
 * until it serves and writes the URL it bound into `bound`. -1 on failure,
 * with the reason on stderr. */
pid_t fleet_spawn(const char *url, const char *name, const char *log, uint32_t grace_ms,
                  unsigned workers, char *bound, size_t bound_len);

/* SIGTERM, then waits for the process (up to 30 s, then SIGKILL); returns
 * its exit status, or -1 when it had to be killed. */
int fleet_stop(pid_t pid);

/* SIGKILL and reap: a crash. */
void fleet_kill(pid_t pid);

/* A dnsmasq answering on 127.0.0.1:port from a hosts file, and any
 * --srv-host / --host-record lines given at its start. */
typedef struct fleet_dns {
    pid_t pid;
    int port;
    char dir[200];
    char hosts[260];
    char server[32]; /* "127.0.0.1:PORT", for ferry_balance_opts.dns_server */
} fleet_dns;

/* Starts dnsmasq with `hosts` (lines "ADDRESS NAME") as its records, a TTL
 * of `ttl` s, and `extra` (NULL-terminated dnsmasq options, may be NULL).
 * Returns 0, or -1 with the reason on stderr (dnsmasq not installed says
 * which Debian package to install). */
int fleet_dns_start(fleet_dns *d, const char *hosts, unsigned ttl, const char *const *extra);

/* Rewrites the hosts file and makes dnsmasq read it again (SIGHUP); waits
 * until it has (its log says so), up to 20 s. Returns 0 or -1. */
int fleet_dns_set(fleet_dns *d, const char *hosts);

/* Stops dnsmasq and removes its files. */
void fleet_dns_stop(fleet_dns *d);

/* The fleet-server program's path. */
const char *fleet_server_path(void);

/* Counts request ids over the logs: *ids distinct ones, *dups those logged
 * more than once (across all logs). Returns 0, or -1 when a log cannot be
 * read. */
int fleet_count_logs(const char *const *logs, size_t n, size_t *ids, size_t *dups);

#endif
