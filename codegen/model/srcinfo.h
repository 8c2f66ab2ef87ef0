/* srcinfo.h - lines and comments of IDL elements, from the SourceCodeInfo
 * protoc attaches to the files it asks a plugin to generate. */
#ifndef FCG_SRCINFO_H
#define FCG_SRCINFO_H

#include <stddef.h>
#include <stdint.h>

#include "google/protobuf/descriptor.pb-c.h"

#include "diag.h"

/* Field numbers that make up SourceCodeInfo paths (descriptor.proto). */
enum {
    FCG_PATH_FILE_SERVICE = 6,    /* FileDescriptorProto.service */
    FCG_PATH_FILE_OPTIONS = 8,    /* FileDescriptorProto.options */
    FCG_PATH_SERVICE_METHOD = 2,  /* ServiceDescriptorProto.method */
    FCG_PATH_SERVICE_OPTIONS = 3, /* ServiceDescriptorProto.options */
    FCG_PATH_METHOD_INPUT = 2,    /* MethodDescriptorProto.input_type */
    FCG_PATH_METHOD_OUTPUT = 3,   /* MethodDescriptorProto.output_type */
    FCG_PATH_METHOD_OPTIONS = 4,  /* MethodDescriptorProto.options */
    FCG_PATH_METHOD_CLIENT_STREAMING = 5,
    FCG_PATH_METHOD_SERVER_STREAMING = 6,
};

/* The longest path the generator asks about. */
#define FCG_PATH_MAX 8

/* The 1-based line where the element at `path` starts; when the file has no
 * location for exactly that path, the line of its nearest ancestor that has
 * one; 0 when none has (e.g. the file carries no source info). */
int fcg_src_line(const Google__Protobuf__FileDescriptorProto *f, const int32_t *path, size_t n);

/* The comment right before the element at exactly `path`, as protoc gives it
 * (lines without the comment markers), or NULL. */
const char *fcg_src_comment(const Google__Protobuf__FileDescriptorProto *f, const int32_t *path,
                            size_t n);

/* An IDL element for error messages: its file, its SourceCodeInfo path and
 * the names fcg_where shows. */
typedef struct fcg_loc {
    const Google__Protobuf__FileDescriptorProto *file;
    int32_t path[FCG_PATH_MAX];
    size_t n_path;
    fcg_where where; /* .line is filled in by fcg_error_at() */
} fcg_loc;

/* Adds an error about the part of `loc` at the sub-path `sub` (n_sub
 * entries, may be 0), with the line of the most specific location known. */
void fcg_error_at(fcg_diag *d, const fcg_loc *loc, const int32_t *sub, size_t n_sub,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif /* FCG_SRCINFO_H */
