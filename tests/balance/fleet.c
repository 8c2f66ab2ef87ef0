/* fleet.c - fleet-server processes, dnsmasq, and the request logs. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet.h"

extern char **environ;

static void nap_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Starts `bin` with `argv`, its stdout on `out_fd` (-1: the test's own),
 * as a child that dies with the test (signal `death` when the thread that
 * started it ends): a test that fails or is killed for its time leaves no server
 * or DNS server running. Between fork and exec only async-signal-safe
 * calls: the test has threads. Returns the pid, or -1 with errno. */
static pid_t spawn(const char *bin, char *const *argv, int out_fd, int close_fd, int death)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, death);
    if (getppid() != parent)
        _exit(127); /* the test ended before prctl took */
    if (out_fd >= 0 && dup2(out_fd, 1) < 0)
        _exit(127);
    if (close_fd >= 0)
        close(close_fd);
    execve(bin, argv, environ);
    _exit(127);
}

const char *fleet_server_path(void)
{
    return FLEET_SERVER_PATH;
}

pid_t fleet_spawn(const char *url, const char *name, const char *log, uint32_t grace_ms,
                  unsigned workers, char *bound, size_t bound_len)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char grace[16], nw[16];
    snprintf(grace, sizeof grace, "%u", grace_ms);
    snprintf(nw, sizeof nw, "%u", workers);
    char *argv[] = {(char *)FLEET_SERVER_PATH,
                    (char *)url,
                    (char *)name,
                    (char *)(log != NULL ? log : ""),
                    grace,
                    nw,
                    NULL};
    pid_t pid = spawn(FLEET_SERVER_PATH, argv, fds[1], fds[0], SIGKILL);
    close(fds[1]);
    if (pid < 0) {
        fprintf(stderr, "fleet: cannot start %s: %s\n", FLEET_SERVER_PATH, strerror(errno));
        close(fds[0]);
        return -1;
    }
    char line[512];
    size_t len = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    while (len + 1 < sizeof line && poll(&p, 1, 20000) > 0) {
        ssize_t n = read(fds[0], line + len, 1);
        if (n <= 0)
            break;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(fds[0]);
    if (strncmp(line, "listening ", 10) != 0) {
        fprintf(stderr, "fleet: %s on %s did not start (said \"%s\")\n", name, url, line);
        fleet_kill(pid);
        return -1;
    }
    snprintf(bound, bound_len, "%s", line + 10);
    return pid;
}

int fleet_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 3000; i++) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        nap_ms(10);
    }
    fleet_kill(pid);
    return -1;
}

void fleet_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static const char *find_dnsmasq(void)
{
    static const char *const where[] = {"/usr/sbin/dnsmasq", "/usr/local/sbin/dnsmasq",
                                        "/sbin/dnsmasq", "/usr/bin/dnsmasq"};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

static int write_file(const char *path, const char *text)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path); /* dnsmasq never reads half a file */
}

/* How many times dnsmasq's log says it read the hosts file. */
static int reads_logged(const fleet_dns *d)
{
    char path[260], line[512], want[300];
    snprintf(path, sizeof path, "%s/log", d->dir);
    snprintf(want, sizeof want, "read %s ", d->hosts);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        n += strstr(line, want) != NULL;
    fclose(f);
    return n;
}

/* A UDP port free on 127.0.0.1 a moment ago. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int fleet_dns_start(fleet_dns *d, const char *hosts, unsigned ttl, const char *const *extra)
{
    memset(d, 0, sizeof *d);
    d->pid = -1;
    const char *bin = find_dnsmasq();
    if (bin == NULL) {
        fprintf(stderr, "fleet: dnsmasq not found: these tests need a real DNS server; install "
                        "Debian's dnsmasq-base (make deps does)\n");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(d->dir, sizeof d->dir, "%s/ferry-dns-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(d->dir) == NULL)
        return -1;
    chmod(d->dir, 0755);
    snprintf(d->hosts, sizeof d->hosts, "%s/hosts", d->dir);
    if (write_file(d->hosts, hosts) != 0)
        return -1;
    struct passwd *pw = getpwuid(getuid());
    for (int tries = 0; tries < 10; tries++) {
        d->port = free_port();
        char port[32], addn[300], pidf[260], logf[260], ttls[32], user[64];
        snprintf(port, sizeof port, "--port=%d", d->port);
        snprintf(addn, sizeof addn, "--addn-hosts=%s", d->hosts);
        snprintf(pidf, sizeof pidf, "--pid-file=%s/pid", d->dir);
        snprintf(logf, sizeof logf, "--log-facility=%s/log", d->dir);
        snprintf(ttls, sizeof ttls, "--local-ttl=%u", ttl);
        /* Stay the user the test runs as: dnsmasq started by root would
         * otherwise become nobody, who cannot read the records again. */
        snprintf(user, sizeof user, "--user=%s", pw != NULL ? pw->pw_name : "root");
        /* dnsmasq drops capabilities, which clears a parent-death signal:
         * a shell keeps it instead and stops dnsmasq when it comes (or
         * when fleet_dns_stop() sends SIGTERM). */
        const char *argv[72] = {"/bin/sh",
                                "-c",
                                "trap 'kill $c 2>/dev/null; wait $c; exit 0' TERM; \"$@\" & c=$!; "
                                "wait $c",
                                "fleet-dns",
                                bin,
                                "--keep-in-foreground",
                                port,
                                "--listen-address=127.0.0.1",
                                "--bind-interfaces",
                                "--no-resolv",
                                "--no-hosts",
                                addn,
                                pidf,
                                logf,
                                ttls,
                                user,
                                "--conf-file"};
        size_t n = 17;
        for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 71; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        pid_t pid = spawn("/bin/sh", (char *const *)argv, -1, -1, SIGTERM);
        if (pid < 0)
            return -1;
        /* Up once it has read the records; gone when the port was taken. */
        for (int i = 0; i < 2000; i++) {
            if (reads_logged(d) > 0) {
                d->pid = pid;
                snprintf(d->server, sizeof d->server, "127.0.0.1:%d", d->port);
                return 0;
            }
            if (waitpid(pid, NULL, WNOHANG) == pid)
                break;
            nap_ms(10);
        }
        if (d->pid < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    }
    fprintf(stderr, "fleet: dnsmasq did not start (see %s/log)\n", d->dir);
    return -1;
}

int fleet_dns_set(fleet_dns *d, const char *hosts)
{
    int before = reads_logged(d);
    if (write_file(d->hosts, hosts) != 0)
        return -1;
    /* SIGHUP to dnsmasq itself: its pid file names it. */
    char path[300];
    snprintf(path, sizeof path, "%s/pid", d->dir);
    FILE *f = fopen(path, "r");
    int dpid = 0;
    if (f == NULL || fscanf(f, "%d", &dpid) != 1 || dpid <= 0) {
        if (f != NULL)
            fclose(f);
        return -1;
    }
    fclose(f);
    kill((pid_t)dpid, SIGHUP);
    for (int i = 0; i < 2000; i++) {
        if (reads_logged(d) > before)
            return 0;
        nap_ms(10);
    }
    return -1;
}

void fleet_dns_stop(fleet_dns *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
        d->pid = -1;
    }
    char path[300];
    const char *files[] = {"hosts", "hosts.new", "pid", "log"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", d->dir, files[i]);
        unlink(path);
    }
    if (d->dir[0] != '\0')
        rmdir(d->dir);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fleet_count_logs(const char *const *logs, size_t n, size_t *ids, size_t *dups)
{
    char **v = NULL;
    size_t k = 0, cap = 0;
    *ids = *dups = 0;
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(logs[i], "r");
        if (f == NULL)
            continue; /* a server that never ran a call wrote nothing */
        char line[256];
        while (fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            if (k == cap) {
                cap = cap ? cap * 2 : 1024;
                v = realloc(v, cap * sizeof *v);
            }
            v[k++] = strdup(line);
        }
        fclose(f);
    }
    qsort(v, k, sizeof *v, cmp);
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0) {
            if (i < 2 || strcmp(v[i], v[i - 2]) != 0)
                (*dups)++;
        } else {
            (*ids)++;
        }
    }
    for (size_t i = 0; i < k; i++)
        free(v[i]);
    free(v);
    return 0;
}
