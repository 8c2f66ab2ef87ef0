/* gen.h - the backends. gen_header.c and gen_source.c write the skeletons
 * of <stem>.ferry.h and <stem>.ferry.c; for each service they call the
 * construct backends, each of which writes its declarations into the
 * header and its definitions into the source:
 *   gen_desc.c    the service descriptor, method enum and method table
 *   gen_server.c  the handler table, invoke glue, impl and register
 *   gen_client.c  the sync and async client functions
 *   gen_local.c   the local binding
 *   gen_dispatch.c  the dispatcher over the local binding and a remote channel
 *   gen_validate.c  the validators of the request types (once per file)
 *   gen_reflect.c   the embedded descriptors of the schema (once per file)
 * gen_mock.c writes <stem>.ferry-mock.h and .c whole: the test doubles. */
#ifndef FCG_GEN_H
#define FCG_GEN_H

#include "ferry/ferry.h"

#include "model.h"
#include "out.h"

/* The ABI of the descriptor structs this generator writes for; generated
 * code checks it against the runtime's FERRY_ABI_VERSION. */
#define FCG_ABI_VERSION 6

/* The name and version written into every generated file. The generator
 * shares its version with the runtime it writes for. */
#define FCG_GENERATOR "protoc-gen-ferry " FERRY_VERSION_STRING

/* Whole files. */
void fcg_gen_header(fcg_out *o, const fcg_file *f);
void fcg_gen_source(fcg_out *o, const fcg_file *f);
void fcg_gen_mock_header(fcg_out *o, const fcg_file *f);
void fcg_gen_mock_source(fcg_out *o, const fcg_file *f);

/* Shared by the skeletons: the first comment of a generated file. */
void fcg_gen_banner(fcg_out *o, const fcg_file *f, const char *about);
/* A section banner within a service: "/" "* ---- server side ---- *" "/". */
void fcg_gen_section(fcg_out *o, const char *title);
/* `s` as a C string literal, written into the scratch printer `tmp` (which
 * the caller initialises and finalises) for use in a line of `o`; returns
 * tmp's text, valid until tmp's next use. Marks `o` failed when tmp ran out
 * of memory. */
const char *fcg_gen_literal(fcg_out *o, fcg_out *tmp, const char *s);

/* A head and parameters for fcg_out_params(), formatted one by one:
 *   fcg_strs p = {0};
 *   fcg_strs_add(&p, "ferry_status %s(", fn);
 *   fcg_strs_add(&p, "const %s *req", type);
 *   fcg_gen_params(o, &p, ");\n");  -- writes, then frees p */
typedef struct fcg_strs {
    char *v[8];
    size_t n;
    int failed;
} fcg_strs;

void fcg_strs_add(fcg_strs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fcg_gen_params(fcg_out *o, fcg_strs *s, const char *tail);

void fcg_desc_declare(fcg_out *o, const fcg_service *svc);
void fcg_desc_define(fcg_out *o, const fcg_service *svc);
void fcg_server_declare(fcg_out *o, const fcg_service *svc);
void fcg_server_define(fcg_out *o, const fcg_service *svc);
void fcg_client_declare(fcg_out *o, const fcg_service *svc);
void fcg_client_define(fcg_out *o, const fcg_service *svc);
void fcg_local_declare(fcg_out *o, const fcg_service *svc);
void fcg_local_define(fcg_out *o, const fcg_service *svc);
void fcg_dispatch_declare(fcg_out *o, const fcg_service *svc);
void fcg_dispatch_define(fcg_out *o, const fcg_service *svc);
/* The descriptors `f` embeds (gen_reflect.c): <prefix>_files[], named
 * after the file's first service, which every service's descriptor points to,
 * and <prefix>_file_pb0, _pb1, ... the serialized files it lists. */
void fcg_reflect_define(fcg_out *o, const fcg_file *f);
/* The files whose descriptors `f` embeds, in the order it lists them: `f`
 * itself, then the files its imports reach (breadth first, in the order each
 * file lists its imports) that declare a type its methods reach. Returns how
 * many, with the list in *out (malloc'd; the caller frees it), or 0 when
 * memory ran out. */
size_t fcg_reflect_files(const fcg_file *f, const Google__Protobuf__FileDescriptorProto ***out);
/* The validators of every request type of `f` that has rules. */
void fcg_validate_define(fcg_out *o, const fcg_file *f);
/* The validator of message type `t`, or NULL when it has no rules. */
const char *fcg_validate_fn(const fcg_type *t);

#endif /* FCG_GEN_H */
