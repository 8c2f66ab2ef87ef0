/* cli.h - what the `ferry` tool's subcommands share: the command table's
 * entry type, each subcommand's entry point, and loading a schema given on
 * the command line.
 *
 * Adding a subcommand: write cmd_NAME.c with `int cmd_NAME(int argc,
 * char **argv)` (argv[0] is the subcommand's name; parse the rest with
 * getopt_long), declare it below, add one line to the table in main.c and
 * the file to clients/CMakeLists.txt. */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <stddef.h>

#include "ferry_check.h"
#include "text.h"

/* Exit statuses every subcommand uses (`ferry --help` and
 * docs/operations.md, "Exit status", show the table): 0 success; 1 the
 * answer is "no": a breaking change, not serving, the server answered with
 * an error; 2 a usage, input or local error (stdout unwritable included);
 * 3 the server could not be reached (a name that does not resolve, no
 * connection). `ferry call` exits CLI_EXIT_STATUS_BASE + the status when
 * the server answered with an error, a finer 1. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_NO = 1,
    CLI_EXIT_ERROR = 2,
    CLI_EXIT_UNREACHABLE = 3,
    CLI_EXIT_STATUS_BASE = 10
};

typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for `ferry --help` */
    int (*run)(int argc, char **argv);
} cli_command;

int cmd_check(int argc, char **argv);
int cmd_lock(int argc, char **argv);
/* `ferry keygen` exits CLI_EXIT_OK, or CLI_EXIT_ERROR on bad usage and when
 * the key files cannot be written. */
int cmd_keygen(int argc, char **argv);
/* `ferry stats` exits 0 on an answer, 1 with --fail-if-old when old clients
 * are seen or when the server answered with an error, 2 on bad usage, 3
 * when the server cannot be reached. */
int cmd_stats(int argc, char **argv);
/* `ferry dispatch` exits 0, 1 when --check finds mismatches or remote
 * errors, 2 on bad usage or a bad stats file. */
int cmd_dispatch(int argc, char **argv);
/* `ferry health` exits 0 when the server (or the service) is serving, 1
 * when it is not, is draining or answered with an error, 2 on bad usage or
 * keys, 3 when it cannot be reached. */
int cmd_health(int argc, char **argv);
/* `ferry list` exits 0 with the hosted services, 1 when the server answered
 * with an error, 2 on bad usage or keys, 3 when it cannot be reached. */
int cmd_list(int argc, char **argv);
/* `ferry describe` exits 0 with the description, 1 when the server answered
 * with an error or lacks the service or method, 2 on bad usage, keys or
 * schema, 3 when it cannot be reached. */
int cmd_describe(int argc, char **argv);
/* `ferry call` exits 0 when the call succeeded, 10 + its status when the
 * server answered with an error, 2 on bad usage, JSON, schema or a reply it
 * cannot read, 3 when the server cannot be reached. */
int cmd_call(int argc, char **argv);
/* `ferry new` exits 0 when the project is written, 2 on bad usage or names
 * and when it cannot be written (then nothing of it is left). */
int cmd_new(int argc, char **argv);

/* Import directories from -I options, in order. */
typedef struct cli_imports {
    const char **dirs;
    size_t n, cap;
} cli_imports;

/* Adds `dir`; returns -1 when memory runs out. */
int cli_imports_add(cli_imports *imp, const char *dir);
void cli_imports_free(cli_imports *imp);

/* ferry's IDL directory (holding ferry/options.proto: $FERRY_IDL_DIR, the
 * installed one, the source tree's), or NULL; and the protoc to run
 * ($FERRY_PROTOC, the one ferry was built with, else protoc on PATH). */
const char *cli_idl_dir(void);
const char *cli_protoc(void);

/* Loads the schema at `path`: a directory or a .proto file through protoc
 * (with `imp`, then ferry's own IDL directory and protobuf's include
 * directory, as import paths), anything else as a lock file. On failure
 * prints "ferry CMD: ..." to stderr and returns -1. */
int cli_load_schema(const char *cmd, const char *path, const cli_imports *imp, ferry_schema **out);

#endif /* FERRY_CLI_H */
