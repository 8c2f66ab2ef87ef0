/* cmd_describe.c - `ferry describe ADDRESS pkg.Svc[/Method]`: a service's
 * methods with ferry's options (deadline, idempotency, roles, ...), and the
 * messages and enums they carry, with each field's validation rules; read
 * from the server's reflection service, or from --proto files. Printed in
 * .proto syntax, so it reads like the IDL it came from. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conn.h"
#include "pbjson.h"
#include "schema_src.h"

#define MAX_PROTOS 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ferry describe ADDRESS SERVICE[/METHOD] [--proto FILE]... [-I DIR]...\n"
            "                      [--key FILE] [--server-key FILE] [--proof signed|mac]\n"
            "                      [--timeout MS] [--tls-ca FILE]...\n"
            "\n"
            "Prints SERVICE's methods (or one METHOD) with ferry's options, then the\n"
            "messages and enums they use, fields with their validation rules. The schema\n"
            "comes from the server's reflection service, or from --proto files.\n"
            "  --proto FILE          a .proto file defining SERVICE (repeatable): no reflection\n"
            "  -I, --import DIR      where --proto's imports are (repeatable)\n" CLI_CONN_USAGE
            "  -h, --help            this text\n"
            "Exit status: 0 described; 1 the server did not answer or lacks SERVICE or\n"
            "METHOD; 2 bad usage, keys or schema.\n");
}

/* ---- ferry's options as text ---------------------------------------------- */

/* Where the description is written: a memory stream, so that what a
 * server named can be cleaned of control characters before it reaches the
 * terminal (describe()). One command runs per process. */
static FILE *text_out;

static void print_opts(const ProtobufCMessage *m);

static void print_scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        fprintf(text_out, "%s", *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_UINT32:
        fprintf(text_out, "%" PRIu32, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        fprintf(text_out, "%.17g", *(const double *)p);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
        if (v != NULL)
            fprintf(text_out, "%s", v->name);
        else
            fprintf(text_out, "%d", *(const int *)p);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        json_t *s = json_string(*(char *const *)p);
        char *text = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
        fprintf(text_out, "%s", text != NULL ? text : "\"?\"");
        free(text);
        json_decref(s);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        fprintf(text_out, "{");
        print_opts(*(ProtobufCMessage *const *)p);
        fprintf(text_out, "}");
        break;
    default: /* ferry's options use none of the other types */
        fprintf(text_out, "?");
        break;
    }
}

/* The fields `m` sets, as protobuf's text format: "min_len: 1 in: \"a\"". */
static void print_opts(const ProtobufCMessage *m)
{
    const char *sep = "";
    for (unsigned i = 0; m != NULL && i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
        const char *base = (const char *)m;
        const void *p = base + f->offset;
        size_t count = 1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)(base + f->quantifier_offset);
            p = *(void *const *)p;
        } else if (f->quantifier_offset != 0 && f->type != PROTOBUF_C_TYPE_STRING &&
                   f->type != PROTOBUF_C_TYPE_MESSAGE) {
            count = *(const protobuf_c_boolean *)(base + f->quantifier_offset) ? 1 : 0;
        } else if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
            count = *(void *const *)p != NULL ? 1 : 0;
        }
        size_t size = f->type == PROTOBUF_C_TYPE_DOUBLE ? 8
                      : f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE
                          ? sizeof(void *)
                          : 4;
        for (size_t k = 0; k < count; k++) {
            fprintf(text_out, "%s%s: ", sep, f->name);
            print_scalar(f, (const char *)p + k * size);
            sep = " ";
        }
    }
}

/* ---- the schema as .proto text --------------------------------------------- */

/* The types still to print, in the order they were first met. */
typedef struct queue {
    const pbs_type **v;
    size_t n, cap;
} queue;

static void enqueue(queue *q, const pbs_type *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < q->n; i++)
        if (q->v[i] == t)
            return;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        const pbs_type **grown = realloc(q->v, cap * sizeof *grown);
        if (grown == NULL)
            return; /* the description comes out shorter */
        q->v = grown;
        q->cap = cap;
    }
    q->v[q->n++] = t;
}

static const char *scalar_name(int type)
{
    static const char *const names[] = {
        NULL,      "double",   "float",    "int64",  "uint64",  "int32", "fixed64",
        "fixed32", "bool",     "string",   "group",  "message", "bytes", "uint32",
        "enum",    "sfixed32", "sfixed64", "sint32", "sint64",
    };
    return type > 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "?";
}

/* A field's type as .proto writes it, queueing the types it names. */
static void type_text(const pb_schema *s, const pbs_field *f, queue *q, char *buf, size_t len)
{
    const pbs_msg *entry = NULL;
    if (pbs_is_map(s, f, &entry)) {
        char k[256], v[256];
        type_text(s, entry->field[0], q, k, sizeof k);
        type_text(s, entry->field[1], q, v, sizeof v);
        snprintf(buf, len, "map<%s, %s>", k, v);
        return;
    }
    if (f->type == T(MESSAGE) || f->type == T(ENUM)) {
        const pbs_type *t = pbs_find(s, f->type_name);
        enqueue(q, t);
        snprintf(buf, len, "%s", t != NULL ? t->full : "?");
        return;
    }
    snprintf(buf, len, "%s", scalar_name(f->type));
}

static void print_field(const pb_schema *s, const pbs_type *t, const pbs_field *f, queue *q)
{
    char type[600];
    type_text(s, f, q, type, sizeof type);
    const char *label = "";
    if (!pbs_is_map(s, f, NULL) &&
        f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED)
        label = "repeated ";
    else if (f->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED)
        label = "required ";
    fprintf(text_out, "  %s%s %s = %d", label, type, f->name, f->number);
    Ferry__FieldOptions *fo = pbs_ferry_field(f);
    if (fo != NULL) {
        fprintf(text_out, " [(ferry.field) = {");
        print_opts(&fo->base);
        fprintf(text_out, "}]");
        protobuf_c_message_free_unpacked(&fo->base, NULL);
    }
    fprintf(text_out, ";");
    if (f->has_oneof_index && f->oneof_index >= 0 &&
        (size_t)f->oneof_index < t->msg->n_oneof_decl &&
        t->msg->oneof_decl[f->oneof_index]->name != NULL)
        fprintf(text_out, "  // oneof %s", t->msg->oneof_decl[f->oneof_index]->name);
    fprintf(text_out, "\n");
}

static void print_type(const pb_schema *s, const pbs_type *t, queue *q)
{
    if (t->en != NULL) {
        fprintf(text_out, "\nenum %s {\n", t->full);
        for (size_t i = 0; i < t->en->n_value; i++)
            fprintf(text_out, "  %s = %d;\n",
                    t->en->value[i]->name != NULL ? t->en->value[i]->name : "?",
                    t->en->value[i]->number);
        fprintf(text_out, "}\n");
        return;
    }
    fprintf(text_out, "\nmessage %s {\n", t->full);
    for (size_t i = 0; i < t->msg->n_field; i++)
        print_field(s, t, t->msg->field[i], q);
    fprintf(text_out, "}\n");
}

static void print_method(const pb_schema *s, const pbs_method *m, queue *q)
{
    const pbs_type *in = pbs_find(s, m->input_type), *out = pbs_find(s, m->output_type);
    enqueue(q, in);
    enqueue(q, out);
    fprintf(text_out, "  rpc %s(%s) returns (%s)", m->name != NULL ? m->name : "?",
            in != NULL ? in->full : "?", out != NULL ? out->full : "?");
    Ferry__MethodOptions *mo = pbs_ferry_method(m);
    if (mo != NULL) {
        fprintf(text_out, " {\n    option (ferry.method) = {");
        print_opts(&mo->base);
        fprintf(text_out, "};\n  }\n");
        protobuf_c_message_free_unpacked(&mo->base, NULL);
    } else {
        fprintf(text_out, ";\n");
    }
}

static int describe(const pb_schema *s, const char *service, const char *method)
{
    const pbs_svc *svc = pbs_service_find(s, service);
    if (svc == NULL) {
        fprintf(stderr, "ferry describe: the schema has no service '%s'\n", service);
        return CLI_EXIT_NO;
    }
    const pbs_method *only = method != NULL ? pbs_method_find(svc, method) : NULL;
    if (method != NULL && only == NULL) {
        fprintf(stderr, "ferry describe: %s has no method '%s'\n", service, method);
        return CLI_EXIT_NO;
    }
    char *text = NULL;
    size_t len = 0;
    text_out = open_memstream(&text, &len);
    if (text_out == NULL)
        return CLI_EXIT_ERROR;
    queue q = {0};
    fprintf(text_out, "// %s, API version %u\nservice %s {\n", svc->file->name,
            pbs_api_version(svc), svc->full);
    for (size_t i = 0; i < svc->svc->n_method; i++)
        if (only == NULL || svc->svc->method[i] == only)
            print_method(s, svc->svc->method[i], &q);
    fprintf(text_out, "}\n");
    for (size_t i = 0; i < q.n; i++) /* grows while printed: the types fields name */
        print_type(s, q.v[i], &q);
    free(q.v);
    fclose(text_out);
    text_out = NULL;
    cli_put_text(stdout, text, len, 1); /* a hostile server's names cannot drive the terminal */
    free(text);
    return CLI_EXIT_OK;
}

/* SERVICE or SERVICE/METHOD. */
static int describe_target(const pb_schema *s, const char *target)
{
    if (strchr(target, '/') == NULL)
        return describe(s, target, NULL);
    char *service = NULL;
    const char *method = NULL;
    if (cli_split_method("describe", target, &service, &method) != 0)
        return CLI_EXIT_ERROR;
    int rc = describe(s, service, method);
    free(service);
    return rc;
}

/* The service to ask reflection for: TARGET up to its '/', or whole. */
static char *service_of(const char *target)
{
    const char *slash = strchr(target, '/');
    return slash != NULL ? strndup(target, (size_t)(slash - target)) : strdup(target);
}

static int load(cli_conn *conn, const char *target, const char *const *protos, size_t n,
                const cli_imports *imp, pb_schema *s)
{
    if (n > 0)
        return cli_schema_protos("describe", protos, n, imp, s) == 0 ? 0 : CLI_EXIT_ERROR;
    ferry_channel *ch = NULL;
    if (cli_conn_open(conn, "ferry-describe", &ch) != FERRY_OK)
        return CLI_EXIT_ERROR;
    char *service = service_of(target);
    ferry_status st = FERRY_OK;
    int rc = service != NULL ? cli_schema_reflect(conn, ch, service, s, &st) : -1;
    free(service);
    ferry_channel_close(ch);
    return rc == 0 ? 0 : CLI_EXIT_NO;
}

int cmd_describe(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_CONN_LONGOPTS,
        {"proto", required_argument, NULL, 'P'},
        {"import", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_conn conn;
    cli_conn_init(&conn, "describe");
    cli_imports imp = {0};
    const char *protos[MAX_PROTOS];
    size_t n_protos = 0;
    int c, rc = CLI_EXIT_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "I:h" CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        int taken = cli_conn_option(&conn, c, optarg);
        if (taken < 0)
            goto out;
        if (taken > 0)
            continue;
        if (c == 'P' && n_protos < MAX_PROTOS) {
            protos[n_protos++] = optarg;
        } else if (c == 'I' && cli_imports_add(&imp, optarg) == 0) {
            continue;
        } else {
            usage(c == 'h' ? stdout : stderr);
            rc = c == 'h' ? CLI_EXIT_OK : CLI_EXIT_ERROR;
            goto out;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "ferry describe: give ADDRESS and SERVICE[/METHOD]\n");
        usage(stderr);
        goto out;
    }
    conn.url = argv[optind];
    pb_schema s;
    pbs_init(&s);
    if (cli_conn_load(&conn) == 0) {
        rc = load(&conn, argv[optind + 1], protos, n_protos, &imp, &s);
        if (rc == 0)
            rc = describe_target(&s, argv[optind + 1]);
    }
    pbs_fini(&s);
out:
    cli_imports_free(&imp);
    cli_conn_fini(&conn);
    return rc;
}
