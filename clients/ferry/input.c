/* input.c - a schema named on the command line: a .proto tree compiled by
 * protoc, or a lock file; and where ferry's own IDL and protoc are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_imports_add(cli_imports *imp, const char *dir)
{
    if (imp->n == imp->cap) {
        size_t cap = imp->cap ? imp->cap * 2 : 8;
        const char **dirs = realloc(imp->dirs, cap * sizeof *dirs);
        if (dirs == NULL)
            return -1;
        imp->dirs = dirs;
        imp->cap = cap;
    }
    imp->dirs[imp->n++] = dir;
    return 0;
}

void cli_imports_free(cli_imports *imp)
{
    free(imp->dirs);
    imp->dirs = NULL;
    imp->n = imp->cap = 0;
}

/* Whether dir/ferry/options.proto exists. */
static int has_options(const char *dir)
{
    char path[4096];
    struct stat st;
    return snprintf(path, sizeof path, "%s/ferry/options.proto", dir) < (int)sizeof path &&
           stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ferry's IDL directory (the one holding ferry/options.proto): $FERRY_IDL_DIR;
 * else ../share/ferry/idl next to this program (an installed ferry, wherever
 * it was installed); else the source tree it was built from; else the
 * install location it was configured for. NULL when none has it. */
const char *cli_idl_dir(void)
{
    static char installed[4096];
    const char *env = getenv("FERRY_IDL_DIR");
    if (env != NULL && env[0] != '\0')
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            if (snprintf(installed, sizeof installed, "%s/../share/ferry/idl", exe) <
                    (int)sizeof installed &&
                has_options(installed))
                return installed;
        }
    }
    if (has_options(FERRY_SOURCE_IDL_DIR))
        return FERRY_SOURCE_IDL_DIR;
    if (has_options(FERRY_INSTALL_IDL_DIR))
        return FERRY_INSTALL_IDL_DIR;
    return NULL;
}

/* protoc: $FERRY_PROTOC, else the one ferry was built with, else "protoc"
 * on PATH. */
const char *cli_protoc(void)
{
    const char *env = getenv("FERRY_PROTOC");
    if (env != NULL && env[0] != '\0')
        return env;
    if (access(FERRY_PROTOC_PATH, X_OK) == 0)
        return FERRY_PROTOC_PATH;
    return "protoc";
}

static int is_proto_input(const char *path, const struct stat *st)
{
    size_t n = strlen(path);
    return S_ISDIR(st->st_mode) || (n > 6 && strcmp(path + n - 6, ".proto") == 0);
}

int cli_load_schema(const char *cmd, const char *path, const cli_imports *imp, ferry_schema **out)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "ferry %s: %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    ferry_check_status rc;
    if (is_proto_input(path, &st)) {
        cli_imports all = {0};
        const char *idl = cli_idl_dir();
        int bad = 0;
        for (size_t i = 0; i < imp->n; i++)
            bad |= cli_imports_add(&all, imp->dirs[i]);
        if (idl != NULL)
            bad |= cli_imports_add(&all, idl);
        struct stat pst;
        if (stat(FERRY_PROTOBUF_INCLUDE_DIR "/google/protobuf/descriptor.proto", &pst) == 0)
            bad |= cli_imports_add(&all, FERRY_PROTOBUF_INCLUDE_DIR);
        if (bad) {
            cli_imports_free(&all);
            fprintf(stderr, "ferry %s: out of memory\n", cmd);
            return -1;
        }
        ferry_protoc_opts opts = {
            .protoc = cli_protoc(), .import_dirs = all.dirs, .n_import_dirs = all.n};
        rc = ferry_schema_load_protos(path, &opts, out);
        cli_imports_free(&all);
    } else {
        rc = ferry_schema_load_lock(path, out);
    }
    if (rc == FERRY_CHECK_OK)
        return 0;
    fprintf(stderr, "ferry %s: %s\n", cmd, ferry_check_last_error());
    return -1;
}
