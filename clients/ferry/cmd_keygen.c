/* cmd_keygen.c - `ferry keygen`: makes a new Ed25519 key pair and writes it as
 * NAME.key (secret, mode 0600) and NAME.pub, then prints the keyring line
 * that makes a server trust it.
 *
 *   ferry keygen NAME [-o DIR] [--roles ROLE,...] [--force]
 *
 * Exit statuses as cli.h says: CLI_EXIT_OK when both files are written,
 * CLI_EXIT_ERROR on bad arguments and when they cannot be written (the
 * message names the file). Never CLI_EXIT_NO: keygen asks no question. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ferry/identity.h"
#include "names.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry keygen NAME [-o DIR] [--roles ROLE,...] [--force]\n"
            "\n"
            "Makes a new key pair: DIR/NAME.key (the secret key, mode 0600; keep it\n"
            "private) and DIR/NAME.pub (the public key, for clients that pin a server),\n"
            "and prints the line to add to a server's keyring to trust it.\n"
            "  NAME                1 to %d characters of A-Z a-z 0-9 . _ -, not starting\n"
            "                      with . or -\n"
            "  -o, --out DIR       directory to write to (default: the current one); made\n"
            "                      (mode 0700) when missing, but not its parents\n"
            "  -r, --roles R,...   roles to put on the printed keyring line\n"
            "  -f, --force         replace NAME.key and NAME.pub when they exist\n"
            "  -h, --help          this text\n",
            FERRY_NAME_MAX);
}

/* Nonzero when `roles` is a comma-separated list of valid role names. */
static int roles_ok(const char *roles)
{
    const char *p = roles;
    size_t n = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (!fcg_is_key_name(p, len) || ++n > FERRY_ROLES_MAX)
            return 0;
        if (comma == NULL)
            return 1;
        p = comma + 1;
    }
}

/* Removes `path` for --force; a file that is not there is fine. */
static int remove_existing(const char *path)
{
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    fprintf(stderr, "ferry keygen: %s: cannot replace it: %s\n", path, strerror(errno));
    return -1;
}

/* Makes sure `dir` is a directory: made (mode 0700) when it is missing,
 * but only its last component; a missing parent is an error. */
static int make_dir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return 0;
        fprintf(stderr, "ferry keygen: %s exists and is not a directory\n", dir);
        return -1;
    }
    if (errno != ENOENT) {
        fprintf(stderr, "ferry keygen: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (mkdir(dir, 0700) == 0)
        return 0;
    int err = errno;
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (err == ENOENT) {
        /* The parent: what comes before the last component. */
        size_t end = len;
        while (end > 0 && dir[end - 1] != '/')
            end--;
        while (end > 1 && dir[end - 1] == '/')
            end--;
        if (end == 0)
            fprintf(stderr, "ferry keygen: cannot create %.*s/: its parent does not exist\n",
                    (int)len, dir);
        else
            fprintf(stderr, "ferry keygen: cannot create %.*s/: parent %.*s does not exist\n",
                    (int)len, dir, (int)end, dir);
    } else {
        fprintf(stderr, "ferry keygen: cannot create %.*s/: %s\n", (int)len, dir, strerror(err));
    }
    return -1;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"roles", required_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = ".";
    const char *roles = NULL;
    int force = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:r:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            dir = optarg;
            break;
        case 'r':
            roles = optarg;
            break;
        case 'f':
            force = 1;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ferry keygen: no key name given\n");
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "ferry keygen: unexpected argument '%s'\n", argv[optind + 1]);
        return CLI_EXIT_ERROR;
    }
    const char *name = argv[optind];
    if (name[0] == '.' || name[0] == '-') { /* ".", "..", hidden files, options */
        fprintf(stderr, "ferry keygen: bad key name '%s': it must not start with '.' or '-'\n",
                name);
        return CLI_EXIT_ERROR;
    }
    if (!fcg_is_key_name(name, strlen(name))) {
        fprintf(stderr,
                "ferry keygen: bad key name '%s': want 1 to %d characters of A-Z a-z 0-9 . _ -\n",
                name, FERRY_NAME_MAX);
        return CLI_EXIT_ERROR;
    }
    if (roles != NULL && !roles_ok(roles)) {
        fprintf(stderr,
                "ferry keygen: bad --roles '%s': want ROLE[,ROLE...], at most %d roles of 1 to "
                "%d characters of A-Z a-z 0-9 . _ -\n",
                roles, FERRY_ROLES_MAX, FERRY_NAME_MAX);
        return CLI_EXIT_ERROR;
    }
    if (dir[0] == '\0') {
        fprintf(stderr, "ferry keygen: --out needs a directory\n");
        return CLI_EXIT_ERROR;
    }

    char secret_path[PATH_MAX], public_path[PATH_MAX];
    if ((size_t)snprintf(secret_path, sizeof secret_path, "%s/%s.key", dir, name) >=
            sizeof secret_path ||
        (size_t)snprintf(public_path, sizeof public_path, "%s/%s.pub", dir, name) >=
            sizeof public_path) {
        fprintf(stderr, "ferry keygen: the path %s/%s.key is too long\n", dir, name);
        return CLI_EXIT_ERROR;
    }
    struct stat sb;
    if (make_dir(dir) != 0)
        return CLI_EXIT_ERROR;
    if (force) {
        if (remove_existing(secret_path) != 0 || remove_existing(public_path) != 0)
            return CLI_EXIT_ERROR;
    } else {
        /* Check both before writing either, so a refusal leaves nothing half
         * written; ferry_key_write() itself never replaces a secret key. */
        const char *paths[] = {secret_path, public_path};
        for (size_t i = 0; i < 2; i++) {
            if (lstat(paths[i], &sb) == 0) {
                fprintf(stderr,
                        "ferry keygen: %s already exists; not replacing it (use --force to "
                        "make a new key anyway)\n",
                        paths[i]);
                return CLI_EXIT_ERROR;
            }
        }
    }

    ferry_key *key = NULL;
    ferry_status st = ferry_key_generate(&key, name);
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry keygen: cannot make a key: %s\n", ferry_last_error());
        return CLI_EXIT_ERROR;
    }
    st = ferry_key_write(key, secret_path, public_path);
    if (st != FERRY_OK) {
        ferry_key_free(key);
        fprintf(stderr, "ferry keygen: %s\n", ferry_last_error());
        return CLI_EXIT_ERROR;
    }
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(key, b64);
    ferry_key_free(key);

    printf("ferry keygen: wrote %s (secret, keep it private) and %s\n", secret_path, public_path);
    printf("To trust this key, add this line to the server's keyring:\n");
    printf("%s %s%s%s\n", name, b64, roles != NULL ? " roles=" : "", roles != NULL ? roles : "");
    return CLI_EXIT_OK;
}
