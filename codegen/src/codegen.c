/* codegen.c - one generator run: unpack the request, check its parameter,
 * load the model, run the backends per file, pack the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbdepth.h>

#include "ferry_codegen.h"

#include "diag.h"
#include "gen.h"
#include "model.h"
#include "out.h"
#include "symbols.h"

const char *ferry_codegen_version(void)
{
    return FCG_GENERATOR;
}

/* The `PARAMS` of --ferry_out=PARAMS:DIR, comma-separated. The generator
 * has no parameters yet, so every non-empty one is an error. */
static void check_parameter(const char *param, fcg_diag *d)
{
    if (param == NULL)
        return;
    const char *p = param;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        size_t len = n;
        while (len > 0 && *s == ' ') {
            s++;
            len--;
        }
        while (len > 0 && s[len - 1] == ' ')
            len--;
        if (len > 0)
            fcg_error(d, NULL,
                      "protoc-gen-ferry: unknown parameter \"%.*s\" in --ferry_out=PARAMETERS:DIR "
                      "(it takes no parameters)",
                      (int)(len > 200 ? 200 : len), s);
        p += n + (p[n] == ',');
    }
}

/* The files written per .proto with services, in this order. */
static const struct {
    const char *suffix;
    void (*gen)(fcg_out *o, const fcg_file *f);
} kinds[] = {
    {".ferry.h", fcg_gen_header},
    {".ferry.c", fcg_gen_source},
    {".ferry-mock.h", fcg_gen_mock_header},
    {".ferry-mock.c", fcg_gen_mock_source},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

typedef struct outputs {
    fcg_out *bufs; /* N_KINDS per file */
    Google__Protobuf__Compiler__CodeGeneratorResponse__File *files;
    Google__Protobuf__Compiler__CodeGeneratorResponse__File **ptrs;
    size_t n;
} outputs;

static void outputs_fini(outputs *outs)
{
    for (size_t i = 0; i < outs->n; i++)
        fcg_out_fini(&outs->bufs[i]);
    free(outs->bufs);
    free(outs->files);
    free(outs->ptrs);
}

/* Runs the backends over every file of the model. Returns -1 when memory
 * ran out. */
static int generate(fcg_model *m, outputs *outs)
{
    size_t n = N_KINDS * m->n_files;
    outs->bufs = calloc(n ? n : 1, sizeof *outs->bufs);
    outs->files = calloc(n ? n : 1, sizeof *outs->files);
    outs->ptrs = calloc(n ? n : 1, sizeof *outs->ptrs);
    if (outs->bufs == NULL || outs->files == NULL || outs->ptrs == NULL)
        return -1;
    for (size_t i = 0; i < m->n_files; i++) {
        const fcg_file *f = &m->files[i];
        for (size_t kind = 0; kind < N_KINDS; kind++) {
            fcg_out *o = &outs->bufs[outs->n];
            fcg_out_init(o);
            Google__Protobuf__Compiler__CodeGeneratorResponse__File *file = &outs->files[outs->n];
            google__protobuf__compiler__code_generator_response__file__init(file);
            outs->ptrs[outs->n] = file;
            outs->n++;
            kinds[kind].gen(o, f);
            file->name = fcg_arena_printf(&m->arena, "%s%s", f->stem, kinds[kind].suffix);
            file->content = o->buf;
            if (o->failed || o->buf == NULL || file->name == NULL)
                return -1;
        }
    }
    return 0;
}

/* The reason of this thread's last failed run (ferry_codegen_last_error()). */
static _Thread_local char last_error[256];

const char *ferry_codegen_last_error(void)
{
    return last_error;
}

ferry_codegen_result ferry_codegen_run(const uint8_t *in, size_t in_len, uint8_t **out,
                                       size_t *out_len)
{
    last_error[0] = '\0';
    *out = NULL;
    *out_len = 0;
    if (!ferry_pb_depth_ok(&google__protobuf__compiler__code_generator_request__descriptor, in,
                           in_len)) {
        snprintf(last_error, sizeof last_error,
                 "the CodeGeneratorRequest nests messages more than %d levels deep",
                 FERRY_PB_DEPTH_MAX);
        return FERRY_CODEGEN_BAD_REQUEST;
    }
    Google__Protobuf__Compiler__CodeGeneratorRequest *req =
        google__protobuf__compiler__code_generator_request__unpack(NULL, in_len, in);
    if (req == NULL) {
        snprintf(last_error, sizeof last_error,
                 "the input (%zu bytes) is not a CodeGeneratorRequest; protoc-gen-ferry is a "
                 "protoc plugin: run it as protoc --ferry_out=DIR file.proto",
                 in_len);
        return FERRY_CODEGEN_BAD_REQUEST;
    }

    fcg_diag d;
    fcg_diag_init(&d);
    fcg_model m;
    outputs outs = {0};
    ferry_codegen_result rc = FERRY_CODEGEN_OK;

    check_parameter(req->parameter, &d);
    fcg_check_reserved_names(req, &d);
    if (fcg_model_load(&m, req, &d) == 0 && d.count == 0 && generate(&m, &outs) != 0)
        rc = FERRY_CODEGEN_NO_MEMORY;

    Google__Protobuf__Compiler__CodeGeneratorResponse resp =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__INIT;
    /* ferry reads no fields, so proto3 `optional` is no concern of the plugin. */
    resp.has_supported_features = 1;
    resp.supported_features =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
    if (d.count > 0) {
        resp.error = (char *)fcg_diag_text(&d);
    } else {
        resp.n_file = outs.n;
        resp.file = outs.ptrs;
    }
    if (rc == FERRY_CODEGEN_OK) {
        size_t len = google__protobuf__compiler__code_generator_response__get_packed_size(&resp);
        *out = malloc(len ? len : 1);
        if (*out == NULL) {
            rc = FERRY_CODEGEN_NO_MEMORY;
        } else {
            *out_len = google__protobuf__compiler__code_generator_response__pack(&resp, *out);
        }
    }
    if (rc == FERRY_CODEGEN_NO_MEMORY)
        snprintf(last_error, sizeof last_error, "out of memory");

    outputs_fini(&outs);
    fcg_model_fini(&m);
    fcg_diag_fini(&d);
    google__protobuf__compiler__code_generator_request__free_unpacked(req, NULL);
    return rc;
}
