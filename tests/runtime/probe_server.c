/* probe_server.c - the probe service in a process of its own, so tests can
 * kill a server the way a crash would: probe-server URL [WORKERS].
 * Prints "listening BOUND_URL" once it serves, then runs until killed. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: probe-server URL [WORKERS]\n");
        return 2;
    }
    char bound[256];
    unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
    ferry_server *srv = probe_serve(argv[1], workers, bound, sizeof bound);
    printf("listening %s\n", bound);
    fflush(stdout);
    for (;;)
        pause();
    ferry_server_free(srv);
    return 0;
}
