/* cmd_call.c - `ferry call ADDRESS pkg.Svc/Method '<JSON>'`: one call made
 * from a shell, as grpcurl makes them for gRPC. The request is built from
 * JSON by protobuf's JSON mapping (pbjson.h) against the schema the server's
 * reflection service describes, or local .proto files (--proto); it travels
 * through the ordinary channel (rawcall.h) and the reply is printed as
 * JSON. The exit status says how the call ended. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "conn.h"
#include "pbjson.h"
#include "rawcall.h"
#include "schema_src.h"

/* Exit status of a call that failed with `st`: CLI_EXIT_UNREACHABLE when
 * it never reached a server, else CLI_EXIT_STATUS_BASE + the status the
 * server answered (documented, and finer than CLI_EXIT_NO). */
static int failed_call_exit(ferry_status st, const ferry_call_info *info)
{
    return cli_conn_exit(st, info) == CLI_EXIT_UNREACHABLE ? CLI_EXIT_UNREACHABLE
                                                           : CLI_EXIT_STATUS_BASE + (int)st;
}
#define MAX_METADATA 32
#define MAX_PROTOS   64
#define REQUEST_MAX  (64u << 20)

enum { OPT_PROTO = 0x300, OPT_DEADLINE };

typedef struct call_args {
    cli_conn conn;
    const char *target; /* "pkg.Svc/Method" */
    const char *data;   /* JSON text, "@-" (stdin) or "@FILE" */
    const char *protos[MAX_PROTOS];
    size_t n_protos;
    cli_imports imp;
    ferry_metadata md[MAX_METADATA];
    size_t n_md;
    int deadline_given; /* else the method's IDL deadline applies */
} call_args;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry call ADDRESS SERVICE/METHOD [JSON] [-d JSON|@FILE|@-]\n"
            "                  [--proto FILE]... [-I DIR]... [-H KEY:VALUE]...\n"
            "                  [--key FILE] [--server-key FILE] [--proof signed|mac]\n"
            "                  [--deadline MS] [--tls-ca FILE] [--tls-cert FILE --tls-key FILE]\n"
            "\n"
            "Calls METHOD of SERVICE (e.g. inventory.v2.Stock/GetItem; the dotted form\n"
            "inventory.v2.Stock.GetItem works too) on the server at ADDRESS\n"
            "with the request given as JSON (protobuf's JSON mapping: lowerCamel or .proto\n"
            "field names, enums by name or number, 64-bit integers as strings, bytes as\n"
            "base64, maps as objects; Timestamp, Duration and FieldMask as strings,\n"
            "Struct, Value and ListValue as JSON; Any is not supported), and prints the\n"
            "reply as JSON. The schema comes from the server's reflection service\n"
            "(ferry_server_add_reflection()), or from --proto files.\n"
            "  JSON                  the request (default {})\n"
            "  -d, --data JSON|@FILE|@-  the request, or the file (- for stdin) holding it\n"
            "      --proto FILE      a .proto file defining SERVICE (repeatable): no reflection\n"
            "  -I, --import DIR      where --proto's imports are (repeatable; default: the\n"
            "                        file's directory); ferry's IDL is always there\n"
            "  -H, --header KEY:VALUE  a metadata entry sent with the call (repeatable)\n"
            "      --deadline MS     the call's deadline (same as --timeout; default: the\n"
            "                        method's IDL deadline, else 5000)\n" CLI_CONN_USAGE
            "  -h, --help            this text\n"
            "Exit status: 0 the call succeeded; 1 the server's schema lacks the method;\n"
            "2 bad usage, JSON, schema or reply (--proto files lacking the method too);\n"
            "3 the server could not be reached; 10 + the status code when the server\n"
            "answered the call, or the reflection call before it, with an error (e.g.\n"
            "13 invalid argument, 15 not found, 22 unimplemented, 24 unavailable);\n"
            "stderr says the status and the message, and each rule a request broke.\n");
}

/* -H KEY:VALUE. */
static int add_header(call_args *a, const char *arg)
{
    const char *colon = strchr(arg, ':');
    if (a->n_md == MAX_METADATA) {
        fprintf(stderr, "ferry call: at most %d -H entries\n", MAX_METADATA);
        return -1;
    }
    if (colon == NULL || colon == arg) {
        fprintf(stderr, "ferry call: -H '%s' is not KEY:VALUE\n", arg);
        return -1;
    }
    char *key = strndup(arg, (size_t)(colon - arg));
    if (key == NULL)
        return -1;
    const char *value = colon + 1;
    a->md[a->n_md++] =
        (ferry_metadata){.key = key, .value = (const uint8_t *)value, .len = strlen(value)};
    return 0;
}

/* Takes one option; 1 when taken, 0 to go on, -1 on a bad value, 2 for
 * --help. */
static int option(call_args *a, int c, const char *arg)
{
    int taken = c == OPT_DEADLINE ? (cli_conn_parse_ms(&a->conn, "--deadline", arg) == 0 ? 1 : -1)
                                  : cli_conn_option(&a->conn, c, arg);
    if (taken > 0 && (c == OPT_DEADLINE || c == 't'))
        a->deadline_given = 1;
    if (taken != 0)
        return taken;
    switch (c) {
    case 'd':
        a->data = arg;
        return 1;
    case OPT_PROTO:
        if (a->n_protos == MAX_PROTOS) {
            fprintf(stderr, "ferry call: at most %d --proto files\n", MAX_PROTOS);
            return -1;
        }
        a->protos[a->n_protos++] = arg;
        return 1;
    case 'I':
        return cli_imports_add(&a->imp, arg) == 0 ? 1 : -1;
    case 'H':
        return add_header(a, arg) == 0 ? 1 : -1;
    case 'h':
        usage(stdout);
        return 2;
    default:
        usage(stderr);
        return -1;
    }
}

static int parse(call_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_CONN_LONGOPTS,
        {"data", required_argument, NULL, 'd'},
        {"proto", required_argument, NULL, OPT_PROTO},
        {"import", required_argument, NULL, 'I'},
        {"header", required_argument, NULL, 'H'},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:I:H:h" CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        int rc = option(a, c, optarg);
        if (rc != 1)
            return rc;
    }
    int left = argc - optind;
    if (left < 2 || left > 3 || (left == 3 && a->data != NULL)) {
        fprintf(stderr, left < 2 ? "ferry call: give ADDRESS and SERVICE/METHOD\n"
                                 : "ferry call: one request: JSON or -d, not both\n");
        usage(stderr);
        return -1;
    }
    a->conn.url = argv[optind];
    a->target = argv[optind + 1];
    if (left == 3)
        a->data = argv[optind + 2];
    return 1;
}

/* The request's JSON text: the argument, or @FILE's or stdin's contents
 * (malloc'd into *owned). */
static const char *request_text(const char *data, char **owned)
{
    *owned = NULL;
    if (data == NULL)
        return "{}";
    if (data[0] != '@')
        return data;
    int from_stdin = strcmp(data, "@-") == 0;
    const char *name = from_stdin ? "standard input" : data + 1;
    FILE *f = from_stdin ? stdin : fopen(data + 1, "rb");
    if (f == NULL) {
        fprintf(stderr, "ferry call: cannot open %s: %s\n", name, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ferry call: %s: is a directory, not a JSON request\n", name);
        if (!from_stdin)
            fclose(f);
        return NULL;
    }
    pbbuf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= REQUEST_MAX)
        pbbuf_put(&b, chunk, got);
    int read_error = ferror(f) ? errno : 0;
    if (!from_stdin)
        fclose(f);
    if (read_error != 0) {
        fprintf(stderr, "ferry call: cannot read %s: %s\n", name, strerror(read_error));
        pbbuf_fini(&b);
        return NULL;
    }
    if (b.failed || b.len > REQUEST_MAX) {
        fprintf(stderr, "ferry call: the request is larger than %u bytes\n", REQUEST_MAX);
        pbbuf_fini(&b);
        return NULL;
    }
    /* JSON text holds no NUL; one would silently end the request there. */
    const char *nul = b.len > 0 ? memchr(b.data, '\0', b.len) : NULL;
    if (nul != NULL) {
        fprintf(stderr, "ferry call: %s: holds a NUL byte at offset %zu\n", name,
                (size_t)(nul - (const char *)b.data));
        pbbuf_fini(&b);
        return NULL;
    }
    pbbuf_put(&b, "", 1);
    if (b.failed) {
        fprintf(stderr, "ferry call: out of memory\n");
        pbbuf_fini(&b);
        return NULL;
    }
    *owned = (char *)b.data;
    return *owned;
}

/* The request's bytes from its JSON; 0, or -1 after a message. */
static int encode_request(const call_args *a, const pb_schema *s, const char *type, pbbuf *out)
{
    char *owned = NULL;
    const char *text = request_text(a->data, &owned);
    if (text == NULL)
        return -1;
    json_error_t jerr;
    json_t *json = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    free(owned);
    if (json == NULL) {
        fprintf(stderr, "ferry call: request: not JSON (line %d, column %d): %s\n", jerr.line,
                jerr.column, jerr.text);
        return -1;
    }
    char err[768];
    int rc = pbjson_encode(s, type, json, "request", out, err, sizeof err);
    json_decref(json);
    if (rc != 0)
        fprintf(stderr, "ferry call: %s\n", err);
    return rc;
}

/* Appends `n` bytes of `p` to `out` (`len` bytes, *at used), cut short. */
static void put(char *out, size_t len, size_t *at, const char *p, size_t n)
{
    if (*at + n >= len)
        n = *at < len - 1 ? len - 1 - *at : 0;
    memcpy(out + *at, p, n);
    *at += n;
    out[*at] = '\0';
}

/* The length of the index or map key `[...]` at `p`, a quoted key's escaped
 * quotes and brackets included; 0 when it is not closed. */
static size_t subscript_len(const char *p)
{
    size_t i = 1;
    if (p[i] == '"') {
        for (i++; p[i] != '\0' && p[i] != '"'; i++)
            if (p[i] == '\\' && p[i + 1] != '\0')
                i++;
        if (p[i] == '"')
            i++;
    } else {
        while (p[i] != '\0' && p[i] != ']')
            i++;
    }
    return p[i] == ']' ? i + 1 : 0;
}

/* A violation's path, in the .proto field names the server writes
 * ("tag_list[0].tag_name"), with each field named as in the JSON `ferry call`
 * reads and prints (tagList[0].tagName), into `out`. From a segment the
 * schema does not know on, the path is left as it is. */
static void json_path(const pb_schema *s, const char *type, const char *path, char *out, size_t len)
{
    const pbs_type *t = pbs_find(s, type);
    const pbs_msg *msg = t != NULL ? t->msg : NULL;
    size_t at = 0;
    out[0] = '\0';
    const char *p = path;
    while (*p != '\0' && msg != NULL) {
        size_t n = *p == '[' ? subscript_len(p) : *p == '.' ? 1 : 0;
        if (n > 0) { /* a separator or a subscript: as it is */
            put(out, len, &at, p, n);
            p += n;
            continue;
        }
        n = strcspn(p, ".[");
        const pbs_field *f = NULL;
        for (size_t i = 0; i < msg->n_field && f == NULL; i++)
            if (strlen(msg->field[i]->name) == n && strncmp(msg->field[i]->name, p, n) == 0)
                f = msg->field[i];
        if (f == NULL)
            break;
        char buf[256];
        const char *name = pbs_json_name(f, buf, sizeof buf);
        put(out, len, &at, name, strlen(name));
        p += n;
        /* What the next segment names a field of: the message, or a map's
         * value message, the field holds. */
        const pbs_msg *entry = NULL;
        if (pbs_is_map(s, f, &entry))
            f = entry->n_field > 1 ? entry->field[1] : NULL;
        t = f != NULL && f->type == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE
                ? pbs_find(s, f->type_name)
                : NULL;
        msg = t != NULL ? t->msg : NULL;
    }
    put(out, len, &at, p, strlen(p));
}

/* Why the call failed, and each rule the request broke, named by the
 * request's JSON names. */
static void explain(const call_args *a, const pb_schema *s, const char *type, ferry_status st,
                    const ferry_call_info *info, const ferry_violations *v)
{
    cli_conn_explain(&a->conn, st, info, "the server does not host this method", "");
    for (size_t i = 0; i < v->count; i++) {
        char path[2 * sizeof v->v[i].path];
        json_path(s, type, v->v[i].path, path, sizeof path);
        fputs("ferry call: request.", stderr);
        cli_put_str(stderr, path); /* names the server sent */
        fputs(": ", stderr);
        cli_put_str(stderr, v->v[i].reason);
        fputc('\n', stderr);
    }
    if (v->total > v->count)
        fprintf(stderr, "ferry call: and %zu more\n", v->total - v->count);
}

/* The call itself, once the schema is known; the exit status. */
static int call(call_args *a, ferry_channel *ch, const pb_schema *s, const pbs_svc *svc,
                const pbs_method *m)
{
    pbbuf req = {0};
    if (encode_request(a, s, m->input_type, &req) != 0) {
        pbbuf_fini(&req); /* what was written before the refusal */
        return CLI_EXIT_ERROR;
    }
    Ferry__MethodOptions *fo = pbs_ferry_method(m);
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", svc->full, m->name);
    rawcall_method rm;
    rawcall_method_init(&rm, svc->full, m->name, full, pbs_api_version(svc), fo);
    ferry_call_info info = {0};
    ferry_violations viol = {0};
    /* 0: the IDL's deadline for the method, else the channel's default
     * (the --timeout default). */
    ferry_call_opts opts = {.deadline_ms = a->deadline_given ? (uint32_t)a->conn.timeout_ms : 0,
                            .metadata = a->md,
                            .n_metadata = a->n_md,
                            .info = &info,
                            .violations = &viol};
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ferry_status st = rawcall(ch, &rm, req.data, req.len, &reply, &reply_len, &opts);
    protobuf_c_message_free_unpacked(fo != NULL ? &fo->base : NULL, NULL);
    pbbuf_fini(&req);
    if (st != FERRY_OK) {
        explain(a, s, m->input_type, st, &info, &viol);
        return failed_call_exit(st, &info);
    }
    json_t *json = NULL;
    char err[768];
    int rc = pbjson_decode(s, m->output_type, reply, reply_len, "reply", &json, err, sizeof err);
    free(reply);
    if (rc != 0) {
        fprintf(stderr, "ferry call: %s: the reply cannot be read: ", a->conn.url);
        cli_put_str(stderr, err); /* may quote what the server sent */
        fputc('\n', stderr);
        return CLI_EXIT_ERROR;
    }
    pbjson_print(stdout, json);
    json_decref(json);
    return CLI_EXIT_OK;
}

/* Finds the method in the schema and calls it. */
static int run(call_args *a, ferry_channel *ch, pb_schema *s)
{
    char *service = NULL;
    const char *method = NULL;
    if (cli_split_method("call", a->target, &service, &method) != 0)
        return CLI_EXIT_ERROR;
    int rc = CLI_EXIT_ERROR;
    ferry_call_info asked = {0};
    int loaded = a->n_protos > 0 ? cli_schema_protos("call", a->protos, a->n_protos, &a->imp, s)
                                 : cli_schema_reflect(&a->conn, ch, service, s, &asked);
    if (asked.status != FERRY_OK) /* the reflection call failed: its status is the answer */
        rc = failed_call_exit(asked.status, &asked);
    const pbs_svc *svc = loaded == 0 ? pbs_service_find(s, service) : NULL;
    const pbs_method *m = svc != NULL ? pbs_method_find(svc, method) : NULL;
    /* A server that lacks them answers "no" (as `describe` says it); --proto
     * files that lack them are bad input. */
    int lacks = a->n_protos > 0 ? CLI_EXIT_ERROR : CLI_EXIT_NO;
    if (loaded == 0 && svc == NULL) {
        fprintf(stderr, "ferry call: the schema has no service '%s'%s\n", service,
                a->n_protos > 0 ? " (check the --proto files)" : "");
        rc = lacks;
    } else if (loaded == 0 && m == NULL) {
        fprintf(stderr, "ferry call: %s has no method '%s'\n", service, method);
        rc = lacks;
    } else if (loaded == 0 &&
               (pbs_find(s, m->input_type) == NULL || pbs_find(s, m->output_type) == NULL ||
                pbs_find(s, m->input_type)->msg == NULL ||
                pbs_find(s, m->output_type)->msg == NULL))
        fprintf(stderr, "ferry call: %s/%s: its request or reply type is not in the schema\n",
                service, method);
    else if (loaded == 0)
        rc = call(a, ch, s, svc, m);
    free(service);
    return rc;
}

int cmd_call(int argc, char **argv)
{
    call_args a = {0};
    cli_conn_init(&a.conn, "call");
    int rc = parse(&a, argc, argv);
    if (rc == 1) {
        ferry_channel *ch = NULL;
        rc = cli_conn_load(&a.conn) == 0 ? cli_conn_open(&a.conn, "ferry-call", &ch)
                                         : CLI_EXIT_ERROR;
        if (rc == CLI_EXIT_OK) {
            pb_schema s;
            pbs_init(&s);
            rc = run(&a, ch, &s);
            pbs_fini(&s);
        }
        ferry_channel_close(ch);
    } else {
        rc = rc == 2 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < a.n_md; i++)
        free((char *)a.md[i].key);
    cli_imports_free(&a.imp);
    cli_conn_fini(&a.conn);
    return rc;
}
