/* ferry - ferry's command-line tool. Each subcommand lives in its own file
 * (cmd_*.c) and has one entry in `commands` below; see cli.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ferry/version.h"

static const cli_command commands[] = {
    {"check", "compare two versions of a schema; exit 1 when old peers would break", cmd_check},
    {"lock", "write a lock file: the snapshot of a schema that `ferry check` compares against",
     cmd_lock},
    {"keygen", "make a key pair for request identity and print its keyring line", cmd_keygen},
    {"stats", "show a server's calls by method, API version and client; find old clients",
     cmd_stats},
    {"dispatch", "print a dispatcher's stats file; --check: exit 1 on mismatches", cmd_dispatch},
    {"health", "ask a server whether it (or one of its services) is serving; exit 0 if so",
     cmd_health},
    {"list", "list the services a server hosts (its reflection service)", cmd_list},
    {"describe", "print a service's methods, messages and ferry options (reflection)",
     cmd_describe},
    {"call", "call a method with a JSON request and print the JSON reply", cmd_call},
    {"new", "write a new service or client project that builds against ferry", cmd_new},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: ferry COMMAND [ARGS...]\n"
                 "       ferry COMMAND --help    what COMMAND does and its options\n"
                 "       ferry --version\n"
                 "\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    /* One table for every command (cli.h), so a script reads them alike. */
    fprintf(out, "\n"
                 "exit status, every command:\n"
                 "  0  done; the answer is yes (serving, nothing breaks)\n"
                 "  1  the answer is no: the server answered with an error, a check or\n"
                 "     --fail-if-old found something, the server is not serving\n"
                 "  2  bad usage or input (options, files, keys, JSON, schema), or standard\n"
                 "     output cannot be written\n"
                 "  3  the server cannot be reached: its name does not resolve, no connection\n"
                 "  10 + status  `ferry call` only: the server answered with that error\n"
                 "     (13 invalid argument, 15 not found, 22 unimplemented, 24 unavailable)\n");
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Every subcommand's output goes through stdout's buffer: a write error
 * (a full disk, /dev/full) shows only when it is flushed, so it is checked
 * here, once, for all of them. Exits CLI_EXIT_ERROR when it fails. */
static int finish(const char *name, int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc != CLI_EXIT_ERROR) /* else the subcommand said what failed */
            fprintf(stderr, "ferry%s%s: cannot write to standard output\n", name ? " " : "",
                    name ? name : "");
        return CLI_EXIT_ERROR;
    }
    return rc;
}

static int run(int argc, char **argv, const char **name_out)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        (strcmp(name, "help") == 0 && argc == 2)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("ferry %s\n", FERRY_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        const cli_command *c = find(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "ferry: no command '%s'; run ferry --help\n", argv[2]);
            return CLI_EXIT_ERROR;
        }
        *name_out = c->name;
        char *help_argv[] = {(char *)c->name, "--help", NULL};
        return c->run(2, help_argv);
    }
    const cli_command *c = find(name);
    if (c == NULL) {
        fprintf(stderr, "ferry: no command '%s'; run ferry --help\n", name);
        return CLI_EXIT_ERROR;
    }
    *name_out = c->name;
    return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    const char *name = NULL;
    int rc = run(argc, argv, &name);
    return finish(name, rc);
}
