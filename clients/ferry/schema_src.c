/* schema_src.c - a schema from a server's reflection service or from
 * protoc (schema_src.h). */
#include <errno.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry/reflection/v1/reflection.ferry.h"
#include "schema_src.h"

extern char **environ;

int cli_schema_reflect(const cli_conn *c, ferry_channel *ch, const char *service, pb_schema *s,
                       ferry_call_info *info)
{
    Ferry__Reflection__V1__GetFilesRequest req = FERRY__REFLECTION__V1__GET_FILES_REQUEST__INIT;
    req.service = (char *)service;
    Ferry__Reflection__V1__GetFilesReply *resp = NULL;
    *info = (ferry_call_info){0};
    ferry_call_opts opts = {.deadline_ms = (uint32_t)c->timeout_ms, .info = info};
    ferry_status st = ferry_reflection_v1_reflection_get_files(ch, &req, &resp, &opts);
    info->status = st;
    if (st != FERRY_OK) {
        cli_conn_explain(c, st, info,
                         "the server does not host the reflection service "
                         "(ferry_server_add_reflection()); pass the schema with --proto FILE",
                         "");
        return -1;
    }
    char err[512];
    int rc = 0;
    for (size_t i = 0; i < resp->n_files && rc == 0; i++)
        rc = pbs_add_file(s, resp->files[i].data, resp->files[i].len, err, sizeof err);
    ferry_message_free(&resp->base);
    if (rc == 0)
        rc = pbs_index(s, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "ferry %s: %s: the server's schema of %s: %s\n", c->cmd, c->url, service,
                err);
    return rc;
}

/* asprintf() without _GNU_SOURCE: the text in a new *out; -1 when out of
 * memory. */
static int dupf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int dupf(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (*out == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(*out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return n;
}

/* Runs argv and waits; its exit status, or -1 when it could not run. */
static int run(char *const *argv)
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *grown = cap <= (256u << 20) ? realloc(buf, cap) : NULL;
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The -I options: the user's, else each file's directory; ferry's IDL;
 * protobuf's include directory. */
static int add_imports(char **argv, size_t *argc, const char *const *protos, size_t n,
                       const cli_imports *imp)
{
    for (size_t i = 0; i < imp->n; i++)
        if (dupf(&argv[(*argc)++], "-I%s", imp->dirs[i]) < 0)
            return -1;
    for (size_t i = 0; imp->n == 0 && i < n; i++) {
        const char *slash = strrchr(protos[i], '/');
        int len = slash != NULL ? (int)(slash - protos[i]) : 1;
        if (dupf(&argv[(*argc)++], "-I%.*s", len, slash != NULL ? protos[i] : ".") < 0)
            return -1;
    }
    const char *idl = cli_idl_dir();
    if (idl != NULL && dupf(&argv[(*argc)++], "-I%s", idl) < 0)
        return -1;
    struct stat st;
    if (stat(FERRY_PROTOBUF_INCLUDE_DIR "/google/protobuf/descriptor.proto", &st) == 0 &&
        dupf(&argv[(*argc)++], "-I%s", FERRY_PROTOBUF_INCLUDE_DIR) < 0)
        return -1;
    return 0;
}

int cli_schema_protos(const char *cmd, const char *const *protos, size_t n, const cli_imports *imp,
                      pb_schema *s)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], out[4200];
    snprintf(dir, sizeof dir, "%s/ferry-proto-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "ferry %s: cannot make a temporary directory: %s\n", cmd, strerror(errno));
        return -1;
    }
    snprintf(out, sizeof out, "%s/set.pb", dir);
    size_t argc = 0;
    char **argv = calloc(imp->n + 2 * n + 8, sizeof *argv);
    int rc = argv != NULL ? 0 : -1;
    if (rc == 0 && ((argv[argc++] = strdup(cli_protoc())) == NULL ||
                    add_imports(argv, &argc, protos, n, imp) != 0 ||
                    (argv[argc++] = strdup("--include_imports")) == NULL ||
                    dupf(&argv[argc++], "--descriptor_set_out=%s", out) < 0))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if ((argv[argc++] = strdup(protos[i])) == NULL)
            rc = -1;
    int status = rc == 0 ? run(argv) : -1;
    size_t len = 0;
    uint8_t *set = status == 0 ? slurp(out, &len) : NULL;
    char err[512];
    if (status != 0)
        fprintf(stderr, "ferry %s: protoc could not compile the --proto files%s\n", cmd,
                status > 0 ? " (its messages are above)" : "");
    else if (set == NULL)
        fprintf(stderr, "ferry %s: cannot read protoc's output\n", cmd);
    else if (pbs_add_set(s, set, len, err, sizeof err) != 0 || pbs_index(s, err, sizeof err) != 0)
        fprintf(stderr, "ferry %s: the --proto schema: %s\n", cmd, err);
    else
        rc = 1;
    free(set);
    unlink(out);
    rmdir(dir);
    for (size_t i = 0; argv != NULL && i < argc; i++)
        free(argv[i]);
    free(argv);
    return rc == 1 ? 0 : -1;
}

int cli_split_method(const char *cmd, const char *arg, char **service, const char **method)
{
    const char *cut = strrchr(arg, '/');
    if (cut == NULL)
        cut = strrchr(arg, '.');
    if (cut == NULL || cut == arg || cut[1] == '\0') {
        fprintf(stderr, "ferry %s: '%s' is not SERVICE/METHOD (e.g. inventory.v2.Stock/Get)\n", cmd,
                arg);
        return -1;
    }
    *service = strndup(arg, (size_t)(cut - arg));
    *method = cut + 1;
    return *service != NULL ? 0 : -1;
}
