/* procs.c - the servers' processes: this same program started in a serving
 * mode, waited for until ready, and killed, reaped and cleaned up on every
 * exit of the bench.
 *
 * Each server's stdin is a "lifeline" pipe whose write end only the bench
 * holds: when the bench ends in any way, even by SIGKILL, the server reads
 * end-of-file, removes its ipc path and exits. On an orderly exit or a
 * catchable signal the bench also kills and reaps the servers itself and
 * removes the temp directory.
 *
 * Placement: on a machine of two or more CPUs the bench holds itself to
 * the first half of the CPUs it may use and its servers to the second half
 * (bench_pin()). Left to the kernel, a client's and a server's threads
 * share a core in one measurement and not in the next, and a ratio of two
 * figures moved by +-0.3 from run to run on a 2-core machine; held apart,
 * every measurement runs under the same placement, as a client and a
 * server on machines of their own would.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define READY_TIMEOUT_MS 10000
#define PATH_LEN         512

typedef struct server_proc {
    pid_t pid;               /* 0 when not running */
    int lifeline;            /* write end of the server's stdin, or -1 */
    char ipc_path[PATH_LEN]; /* the socket file of an ipc server, or "" */
} server_proc;

static server_proc servers[BENCH_SERVER_KINDS];
static char tmpdir[PATH_LEN];

/* With bench_pin() in effect: the CPUs of the bench and of its servers. */
static int pinned;
static cpu_set_t client_cpus, server_cpus;

static const char *const modes[BENCH_SERVER_KINDS] = {
    [BENCH_SERVER_RAW] = "--serve-raw",
    [BENCH_SERVER_FERRY] = "--serve-ferry",
    [BENCH_SERVER_FERRY_INLINE] = "--serve-ferry-inline",
    [BENCH_SERVER_FERRY_ID] = "--serve-ferry-identity",
    [BENCH_SERVER_FERRY_OPS] = "--serve-ferry-ops",
};

/* For messages, and the ipc socket file's name. */
static const char *const names[BENCH_SERVER_KINDS] = {
    [BENCH_SERVER_RAW] = "raw",
    [BENCH_SERVER_FERRY] = "ferry",
    [BENCH_SERVER_FERRY_INLINE] = "inline",
    [BENCH_SERVER_FERRY_ID] = "identity",
    [BENCH_SERVER_FERRY_OPS] = "ops",
};

/* The identity files bench_identity_init() may write into the temp directory. */
static const char *const key_files[] = {
    BENCH_SERVER_KEY, BENCH_SERVER_PUB, BENCH_CLIENT_KEY, BENCH_CLIENT_PUB, BENCH_KEYRING,
};

const char *bench_server_mode(bench_server_kind kind)
{
    return modes[kind];
}

const char *bench_tmpdir(void)
{
    return tmpdir;
}

/* ------------------------------------------------------------------------
 * The server side
 * ---------------------------------------------------------------------- */

void bench_say_ready(const char *url)
{
    printf("ready %s\n", url);
    fflush(stdout);
}

void bench_wait_for_parent(void)
{
    char buf[64];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR))
            return;
    }
}

/* ------------------------------------------------------------------------
 * The bench side
 * ---------------------------------------------------------------------- */

/* Kills and reaps server `sp`, removes its ipc path. Async-signal-safe. */
static void stop_one(server_proc *sp)
{
    if (sp->lifeline >= 0) {
        close(sp->lifeline);
        sp->lifeline = -1;
    }
    if (sp->pid > 0) {
        kill(sp->pid, SIGKILL);
        while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        sp->pid = 0;
    }
    if (sp->ipc_path[0] != '\0') {
        unlink(sp->ipc_path);
        sp->ipc_path[0] = '\0';
    }
}

/* Everything a bench leaves behind, gone. Async-signal-safe. */
static void cleanup_all(void)
{
    for (int k = 0; k < BENCH_SERVER_KINDS; k++)
        stop_one(&servers[k]);
    if (tmpdir[0] != '\0') {
        /* No snprintf here: this runs in a signal handler too. */
        for (size_t i = 0; i < sizeof key_files / sizeof key_files[0]; i++) {
            char path[PATH_LEN + 32];
            size_t d = strlen(tmpdir), f = strlen(key_files[i]);
            if (d + 1 + f >= sizeof path)
                continue;
            memcpy(path, tmpdir, d);
            path[d] = '/';
            memcpy(path + d + 1, key_files[i], f + 1);
            unlink(path);
        }
        rmdir(tmpdir);
        tmpdir[0] = '\0';
    }
}

static void on_signal(int sig)
{
    cleanup_all();
    _exit(128 + sig);
}

/* Blocks (or unblocks) the signals on_signal() handles, so that it never
 * sees a server half started or half stopped. */
static void hold_signals(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(how, &set, NULL);
}

void bench_servers_stop(void)
{
    hold_signals(SIG_BLOCK);
    for (int k = 0; k < BENCH_SERVER_KINDS; k++)
        stop_one(&servers[k]);
    hold_signals(SIG_UNBLOCK);
}

static void exit_cleanup(void)
{
    hold_signals(SIG_BLOCK);
    cleanup_all();
}

int bench_pin(void)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return 0;
    int n = CPU_COUNT(&allowed);
    if (n < 2)
        return 0;
    CPU_ZERO(&client_cpus);
    CPU_ZERO(&server_cpus);
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE && seen < n; cpu++) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        CPU_SET(cpu, seen < (n + 1) / 2 ? &client_cpus : &server_cpus);
        seen++;
    }
    if (sched_setaffinity(0, sizeof client_cpus, &client_cpus) != 0) {
        fprintf(stderr, "ferry-bench: cannot hold the bench to its CPUs (%s); not pinning\n",
                strerror(errno));
        return 0;
    }
    pinned = 1;
    return 1;
}

int bench_procs_init(void)
{
    for (int k = 0; k < BENCH_SERVER_KINDS; k++)
        servers[k].lifeline = -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ferry-bench-XXXXXX",
             tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        fprintf(stderr, "ferry-bench: cannot make a temp directory %s: %s\n", tmpdir,
                strerror(errno));
        tmpdir[0] = '\0';
        return -1;
    }
    if (atexit(exit_cleanup) != 0) {
        rmdir(tmpdir);
        tmpdir[0] = '\0';
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return 0;
}

static int close_on_exec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Reads the server's "ready URL" line from `fd` into `url`, waiting at most
 * READY_TIMEOUT_MS in all. Returns 0, or -1 when the server exited, said
 * something else or took too long. */
static int read_ready(int fd, char *url, size_t url_len)
{
    char line[PATH_LEN + 16];
    size_t len = 0;
    double give_up = bench_now_s() + READY_TIMEOUT_MS / 1000.0;
    while (len < sizeof line - 1 && memchr(line, '\n', len) == NULL) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int left_ms = (int)((give_up - bench_now_s()) * 1000.0);
        if (left_ms <= 0 || poll(&pfd, 1, left_ms) == 0)
            return -1;
        ssize_t n = read(fd, line + len, sizeof line - 1 - len);
        if (n == 0)
            return -1;
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            len += (size_t)n;
    }
    line[len] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ready ", 6) != 0)
        return -1;
    snprintf(url, url_len, "%s", line + 6);
    return 0;
}

int bench_server_start(bench_server_kind kind, const char *transport, char *url, size_t url_len)
{
    server_proc *sp = &servers[kind];
    char want[PATH_LEN + 16];
    int out[2], life[2];
    if (sp->pid > 0)
        return -1; /* one server of each kind at a time */

    hold_signals(SIG_BLOCK);
    if (strcmp(transport, "ipc") == 0) {
        snprintf(sp->ipc_path, sizeof sp->ipc_path, "%s/%s.sock", tmpdir, names[kind]);
        snprintf(want, sizeof want, "ipc://%s", sp->ipc_path);
    } else {
        snprintf(want, sizeof want, "tcp://127.0.0.1:0");
    }
    if (pipe(out) != 0) {
        hold_signals(SIG_UNBLOCK);
        return -1;
    }
    if (pipe(life) != 0) {
        close(out[0]);
        close(out[1]);
        hold_signals(SIG_UNBLOCK);
        return -1;
    }
    /* Later servers must not inherit these; dup2 in the child clears it. */
    close_on_exec(out[0]);
    close_on_exec(out[1]);
    close_on_exec(life[0]);
    close_on_exec(life[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, life[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    char *argv[] = {"ferry-bench", (char *)modes[kind], want, tmpdir, NULL};
    pid_t pid = 0;
    /* A new process takes the CPUs of the thread that starts it. */
    if (pinned)
        sched_setaffinity(0, sizeof server_cpus, &server_cpus);
    int rv = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    if (pinned)
        sched_setaffinity(0, sizeof client_cpus, &client_cpus);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(life[0]);
    if (rv != 0) {
        fprintf(stderr, "ferry-bench: cannot start a server: %s\n", strerror(rv));
        close(out[0]);
        close(life[1]);
        sp->ipc_path[0] = '\0';
        hold_signals(SIG_UNBLOCK);
        return -1;
    }
    sp->pid = pid;
    sp->lifeline = life[1];
    hold_signals(SIG_UNBLOCK);

    rv = read_ready(out[0], url, url_len);
    close(out[0]);
    if (rv != 0) {
        fprintf(stderr, "ferry-bench: the %s server for %s did not start\n", names[kind], want);
        hold_signals(SIG_BLOCK);
        stop_one(sp);
        hold_signals(SIG_UNBLOCK);
        return -1;
    }
    return 0;
}
