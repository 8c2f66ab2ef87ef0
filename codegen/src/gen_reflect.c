/* gen_reflect.c - the reflection backend: the descriptors a generated file
 * embeds (ferry_service_desc.files, ferry/reflection.h). Once per file: the
 * file's own FileDescriptorProto, then those of the imported files whose
 * message and enum types its methods reach (in the order the imports list
 * them), each serialized without source info and written as a C string
 * literal in which names stay readable. */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

typedef Google__Protobuf__FileDescriptorProto file_proto;
typedef Google__Protobuf__DescriptorProto msg_proto;

/* The walk over the types the services reach: which files they come from,
 * and the messages already visited (also the queue still to visit). */
typedef struct reach {
    file_proto *const *protos;
    size_t n_protos;
    unsigned char *used; /* per file of protos */
    const msg_proto **seen;
    size_t n_seen, cap;
    int failed;
} reach;

/* The message or enum named `rest` ("A.B.C") among `msgs` and `enums` of
 * one scope; *msg is the message, or NULL for an enum. */
static int find_in(msg_proto *const *msgs, size_t n_msgs,
                   Google__Protobuf__EnumDescriptorProto *const *enums, size_t n_enums,
                   const char *rest, const msg_proto **msg)
{
    const char *dot = strchr(rest, '.');
    size_t len = dot != NULL ? (size_t)(dot - rest) : strlen(rest);
    for (size_t i = 0; i < n_msgs; i++) {
        const char *name = msgs[i]->name;
        if (name == NULL || strlen(name) != len || strncmp(name, rest, len) != 0)
            continue;
        if (dot == NULL) {
            *msg = msgs[i];
            return 1;
        }
        return find_in(msgs[i]->nested_type, msgs[i]->n_nested_type, msgs[i]->enum_type,
                       msgs[i]->n_enum_type, dot + 1, msg);
    }
    for (size_t i = 0; dot == NULL && i < n_enums; i++) {
        if (enums[i]->name != NULL && strcmp(enums[i]->name, rest) == 0) {
            *msg = NULL;
            return 1;
        }
    }
    return 0;
}

/* The file declaring the type `full` (".pkg.Outer.Inner"), or -1. */
static long find_type(const reach *r, const char *full, const msg_proto **msg)
{
    if (full == NULL || full[0] != '.')
        return -1;
    for (size_t i = 0; i < r->n_protos; i++) {
        const char *pkg = r->protos[i]->package != NULL ? r->protos[i]->package : "";
        size_t n = strlen(pkg);
        const char *rest = full + 1;
        if (n > 0) {
            if (strncmp(rest, pkg, n) != 0 || rest[n] != '.')
                continue;
            rest += n + 1;
        }
        const file_proto *f = r->protos[i];
        if (find_in(f->message_type, f->n_message_type, f->enum_type, f->n_enum_type, rest, msg))
            return (long)i;
    }
    return -1;
}

/* Marks the file of type `full` used and queues its message once. */
static void visit(reach *r, const char *full)
{
    const msg_proto *msg = NULL;
    long file = find_type(r, full, &msg);
    if (file < 0)
        return; /* protoc resolved every name; nothing to embed otherwise */
    r->used[file] = 1;
    if (msg == NULL)
        return;
    for (size_t i = 0; i < r->n_seen; i++)
        if (r->seen[i] == msg)
            return;
    if (r->n_seen == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        const msg_proto **grown = realloc(r->seen, cap * sizeof *grown);
        if (grown == NULL) {
            r->failed = 1;
            return;
        }
        r->seen = grown;
        r->cap = cap;
    }
    r->seen[r->n_seen++] = msg;
}

/* Which files of the request the methods of `f` reach, in r->used. */
static void walk(reach *r, const fcg_file *f)
{
    for (size_t s = 0; s < f->n_services; s++) {
        for (size_t m = 0; m < f->services[s].n_methods; m++) {
            visit(r, f->services[s].methods[m].input->full_name);
            visit(r, f->services[s].methods[m].output->full_name);
        }
    }
    /* r->seen grows while it is read: a queue without recursion, so a deep
     * or cyclic schema costs no stack. */
    for (size_t k = 0; k < r->n_seen && !r->failed; k++)
        for (size_t i = 0; i < r->seen[k]->n_field; i++)
            visit(r, r->seen[k]->field[i]->type_name);
}

/* `data` as a string literal, a line at a time: printable ASCII as itself,
 * anything else as a three-digit octal escape (never ambiguous with the
 * character after it). '?' is escaped too, so no trigraph can form. */
static void write_bytes(fcg_out *o, const uint8_t *data, size_t len)
{
    enum { WIDTH = 72 };
    char line[WIDTH + 8];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\' && b != '?')
            line[n++] = (char)b;
        else
            n += (size_t)snprintf(line + n, sizeof line - n, "\\%03o", (unsigned)b);
        if (n >= WIDTH || i + 1 == len) {
            line[n] = '\0';
            fcg_out_printf(o, "\"%s\"%s\n", line, i + 1 == len ? ";" : "");
            n = 0;
        }
    }
}

/* One file's serialized descriptor, source info left out. */
static void write_file(fcg_out *o, const fcg_file *f, const file_proto *p, size_t k)
{
    file_proto copy = *p;
    copy.source_code_info = NULL; /* lines and comments are the author's, not the API */
    size_t len = protobuf_c_message_get_packed_size(&copy.base);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL) {
        o->failed = 1;
        return;
    }
    protobuf_c_message_pack(&copy.base, buf);
    fcg_out_commentf(o, "%s as a google.protobuf.FileDescriptorProto, %zu bytes.",
                     p->name != NULL ? p->name : "(unnamed)", len);
    fcg_out_printf(o, "static const uint8_t %s_file_pb%zu[] =\n", f->services[0].c.prefix, k);
    fcg_out_indent(o);
    write_bytes(o, buf, len);
    fcg_out_dedent(o);
    free(buf);
}

/* The index in f->protos of the file named `name`, or -1. */
static long proto_index(const fcg_file *f, const char *name)
{
    for (size_t i = 0; name != NULL && i < f->n_protos; i++)
        if (f->protos[i]->name != NULL && strcmp(f->protos[i]->name, name) == 0)
            return (long)i;
    return -1;
}

size_t fcg_reflect_files(const fcg_file *f, const file_proto ***out)
{
    *out = NULL;
    long self = proto_index(f, f->proto->name);
    reach r = {.protos = f->protos, .n_protos = f->n_protos};
    r.used = calloc(f->n_protos + 1, 1);
    /* The files in the order they are listed: the file itself, then its
     * imports as it lists them, then theirs (breadth first), each once.
     * It comes from the file alone: protoc orders a request's files by its
     * command line, so that order would make the output depend on it. */
    size_t *queue = calloc(f->n_protos + 1, sizeof *queue);
    unsigned char *queued = calloc(f->n_protos + 1, 1);
    const file_proto **order = calloc(f->n_protos + 1, sizeof *order);
    size_t n = 0, n_queue = 0;
    if (r.used == NULL || queue == NULL || queued == NULL || order == NULL || self < 0)
        goto fail;
    walk(&r, f);
    if (r.failed)
        goto fail;
    order[n++] = f->proto;
    queue[n_queue++] = (size_t)self;
    queued[self] = 1;
    for (size_t k = 0; k < n_queue; k++) {
        const file_proto *p = f->protos[queue[k]];
        for (size_t i = 0; i < p->n_dependency; i++) {
            long dep = proto_index(f, p->dependency[i]);
            if (dep < 0 || queued[dep])
                continue;
            queued[dep] = 1;
            queue[n_queue++] = (size_t)dep;
            if (r.used[dep])
                order[n++] = f->protos[dep];
        }
    }
    /* A type in a file the imports do not reach (a request protoc would not
     * write) is embedded all the same, after the others. */
    for (size_t i = 0; i < f->n_protos; i++)
        if (r.used[i] && !queued[i])
            order[n++] = f->protos[i];
    free(queue);
    free(queued);
    free(r.used);
    free(r.seen);
    *out = order;
    return n;
fail:
    free(queue);
    free(queued);
    free(order);
    free(r.used);
    free(r.seen);
    return 0;
}

void fcg_reflect_define(fcg_out *o, const fcg_file *f)
{
    if (f->n_services == 0 || f->proto == NULL)
        return;
    const file_proto **order;
    size_t n = fcg_reflect_files(f, &order);
    if (n == 0) {
        o->failed = 1;
        return;
    }
    fcg_out tmp;
    fcg_out_init(&tmp);
    fcg_gen_section(o, "descriptors of the schema (ferry/reflection.h)");
    for (size_t k = 0; k < n; k++) {
        fcg_out_printf(o, "\n");
        write_file(o, f, order[k], k);
    }
    fcg_out_printf(o, "\nstatic const ferry_file_desc %s_files[] = {\n", f->services[0].c.prefix);
    fcg_out_indent(o);
    for (size_t k = 0; k < n; k++) {
        const char *name = order[k]->name != NULL ? order[k]->name : "";
        const char *pfx = f->services[0].c.prefix;
        fcg_out_printf(o, "{.name = %s,\n", fcg_gen_literal(o, &tmp, name));
        fcg_out_printf(o, " .data = %s_file_pb%zu,\n", pfx, k);
        fcg_out_printf(o, " .len = sizeof %s_file_pb%zu - 1},\n", pfx, k);
    }
    fcg_out_dedent(o);
    fcg_out_printf(o, "};\n");
    fcg_out_fini(&tmp);
    free(order);
}
