/* protos.c - a schema from .proto files: finds them below a directory,
 * runs protoc to get a FileDescriptorSet with source info, and loads it. */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_internal.h"

extern char **environ;

/* Directories deeper than this below the root are not searched. */
#define MAX_DEPTH 32
/* A descriptor set larger than this is refused. */
#define MAX_SET_SIZE (256L * 1024 * 1024)

/* A growing list of malloc'd strings. */
typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

static int push(strlist *l, char *s)
{
    if (s == NULL)
        return -1;
    if (l->n + 1 >= l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            free(s);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
    return 0;
}

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Adds the .proto files below root/rel (rel "" for the root itself), named
 * relative to root. Hidden entries and symbolic links to directories are
 * skipped. Returns 0, or -1 with *err set. */
static int walk(const char *root, const char *rel, int depth, strlist *out, char **err)
{
    char *dir = rel[0] ? fck_strdup_printf("%s/%s", root, rel) : strdup(root);
    if (dir == NULL)
        return -1;
    DIR *d = opendir(dir);
    if (d == NULL) {
        *err = fck_strdup_printf("%s: cannot read the directory: %s", dir, strerror(errno));
        free(dir);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = fck_strdup_printf("%s/%s", dir, e->d_name);
        char *name = rel[0] ? fck_strdup_printf("%s/%s", rel, e->d_name) : strdup(e->d_name);
        struct stat st, lst;
        if (path == NULL || name == NULL) {
            rc = -1;
        } else if (stat(path, &st) != 0 || lstat(path, &lst) != 0) {
            /* A dangling link: nothing to read. */
        } else if (S_ISDIR(st.st_mode) && !S_ISLNK(lst.st_mode)) {
            if (depth < MAX_DEPTH)
                rc = walk(root, name, depth + 1, out, err);
        } else if (S_ISREG(st.st_mode) && has_suffix(e->d_name, ".proto")) {
            rc = push(out, name);
            name = NULL;
        }
        free(path);
        free(name);
    }
    closedir(d);
    free(dir);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file at `path`. */
static uint8_t *read_file(const char *path, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = fck_strdup_printf("cannot read protoc's output %s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= (size_t)MAX_SET_SIZE) {
                *err = fck_strdup_printf("protoc's output is larger than 256 MiB");
                break;
            }
            cap = cap ? cap * 2 : 64 * 1024;
            uint8_t *p = realloc(buf, cap);
            if (p == NULL)
                break;
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (!ferror(f)) {
                fclose(f);
                *len = n;
                return buf;
            }
            *err = fck_strdup_printf("cannot read protoc's output %s", path);
            break;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

/* Runs argv, waits for it; returns its exit status, or -1 with *err set
 * when it could not run. */
static int run(char *const *argv, char **err)
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        *err = fck_strdup_printf("cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            *err = fck_strdup_printf("cannot wait for %s: %s", argv[0], strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    *err = fck_strdup_printf("%s was killed by signal %d", argv[0],
                             WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
}

/* The .proto files of `path` (a directory or one file) as absolute paths
 * below the absolute `*root`. */
static ferry_check_status inputs(const char *path, char **root, strlist *files)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fck_fail_take(FERRY_CHECK_SYSTEM,
                             fck_strdup_printf("%s: %s", path, strerror(errno)));
    char *err = NULL;
    strlist names = {0};
    if (S_ISDIR(st.st_mode)) {
        *root = realpath(path, NULL);
        if (*root == NULL || walk(*root, "", 0, &names, &err) != 0) {
            strlist_free(&names);
            return fck_fail_take(FERRY_CHECK_SYSTEM,
                                 err != NULL ? err
                                             : fck_strdup_printf("%s: %s", path, strerror(errno)));
        }
        if (names.n == 0) {
            strlist_free(&names);
            return fck_fail_take(FERRY_CHECK_BAD_INPUT,
                                 fck_strdup_printf("%s: no .proto files below it", path));
        }
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    } else if (S_ISREG(st.st_mode) && has_suffix(path, ".proto")) {
        char *abs = realpath(path, NULL);
        char *slash = abs != NULL ? strrchr(abs, '/') : NULL;
        if (slash == NULL || push(&names, strdup(slash + 1)) != 0) {
            free(abs);
            strlist_free(&names);
            return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
        }
        *slash = '\0';
        *root = abs[0] ? abs : (free(abs), strdup("/"));
    } else {
        return fck_fail_take(FERRY_CHECK_BAD_INPUT,
                             fck_strdup_printf("%s: neither a directory nor a .proto file", path));
    }
    for (size_t i = 0; i < names.n; i++) {
        if (push(files, fck_strdup_printf("%s/%s", strcmp(*root, "/") ? *root : "", names.v[i])) !=
            0) {
            strlist_free(&names);
            return fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
        }
    }
    strlist_free(&names);
    return FERRY_CHECK_OK;
}

ferry_check_status ferry_schema_load_protos(const char *path, const ferry_protoc_opts *opts,
                                            ferry_schema **out)
{
    fck_error_clear();
    *out = NULL;
    static const ferry_protoc_opts none = {0};
    if (opts == NULL)
        opts = &none;
    char *root = NULL;
    strlist files = {0}, argv = {0};
    ferry_check_status st = inputs(path, &root, &files);
    if (st != FERRY_CHECK_OK) {
        free(root);
        strlist_free(&files);
        return st;
    }

    const char *tmp = getenv("TMPDIR");
    char *dir = fck_strdup_printf("%s/ferry-check-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    char *set_path = NULL;
    if (dir == NULL || mkdtemp(dir) == NULL) {
        st = fck_fail_take(
            FERRY_CHECK_SYSTEM,
            fck_strdup_printf("cannot make a temporary directory: %s", strerror(errno)));
        free(dir);
        dir = NULL;
        goto done;
    }
    set_path = fck_strdup_printf("%s/schema.pb", dir);
    int bad = set_path == NULL;
    bad |= push(&argv, strdup(opts->protoc != NULL ? opts->protoc : "protoc"));
    bad |= push(&argv, fck_strdup_printf("-I%s", root));
    for (size_t i = 0; i < opts->n_import_dirs; i++)
        bad |= push(&argv, fck_strdup_printf("-I%s", opts->import_dirs[i]));
    bad |= push(&argv, strdup("--include_imports"));
    bad |= push(&argv, strdup("--include_source_info"));
    bad |= push(&argv, fck_strdup_printf("--descriptor_set_out=%s", set_path));
    for (size_t i = 0; i < files.n; i++)
        bad |= push(&argv, strdup(files.v[i]));
    if (bad) {
        st = fck_fail(FERRY_CHECK_SYSTEM, "out of memory");
        goto done;
    }
    char *err = NULL;
    int rc = run(argv.v, &err);
    if (rc < 0) {
        st = fck_fail_take(FERRY_CHECK_SYSTEM, err);
        goto done;
    }
    if (rc == 127) { /* where posix_spawn reports a failed exec as the child's status */
        st = fck_fail_take(
            FERRY_CHECK_SYSTEM,
            fck_strdup_printf("cannot run %s: it exited with status 127 (not found)", argv.v[0]));
        goto done;
    }
    if (rc != 0) {
        st = fck_fail_take(FERRY_CHECK_BAD_INPUT,
                           fck_strdup_printf("%s: protoc could not compile it (exit status %d; its "
                                             "messages are above)",
                                             path, rc));
        goto done;
    }
    size_t len = 0;
    uint8_t *set = read_file(set_path, &len, &err);
    if (set == NULL) {
        st = fck_fail_take(FERRY_CHECK_SYSTEM,
                           err != NULL ? err : fck_strdup_printf("out of memory"));
        goto done;
    }
    st = ferry_schema_from_descriptor_set(set, len, out);
    free(set);
done:
    if (set_path != NULL)
        unlink(set_path);
    if (dir != NULL)
        rmdir(dir);
    free(set_path);
    free(dir);
    free(root);
    strlist_free(&files);
    strlist_free(&argv);
    return st;
}
