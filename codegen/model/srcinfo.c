/* srcinfo.c - lines and comments of IDL elements from SourceCodeInfo. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "srcinfo.h"

static const Google__Protobuf__SourceCodeInfo__Location *
find(const Google__Protobuf__FileDescriptorProto *f, const int32_t *path, size_t n)
{
    const Google__Protobuf__SourceCodeInfo *info = f->source_code_info;
    if (info == NULL)
        return NULL;
    for (size_t i = 0; i < info->n_location; i++) {
        const Google__Protobuf__SourceCodeInfo__Location *loc = info->location[i];
        if (loc->n_path == n && (n == 0 || memcmp(loc->path, path, n * sizeof *path) == 0))
            return loc;
    }
    return NULL;
}

int fcg_src_line(const Google__Protobuf__FileDescriptorProto *f, const int32_t *path, size_t n)
{
    for (; n > 0; n--) { /* the file itself (path []) names no line */
        const Google__Protobuf__SourceCodeInfo__Location *loc = find(f, path, n);
        if (loc != NULL && loc->n_span >= 3 && loc->span[0] >= 0 && loc->span[0] < INT32_MAX)
            return loc->span[0] + 1;
    }
    return 0;
}

const char *fcg_src_comment(const Google__Protobuf__FileDescriptorProto *f, const int32_t *path,
                            size_t n)
{
    const Google__Protobuf__SourceCodeInfo__Location *loc = find(f, path, n);
    return loc != NULL ? loc->leading_comments : NULL;
}

void fcg_error_at(fcg_diag *d, const fcg_loc *loc, const int32_t *sub, size_t n_sub,
                  const char *fmt, ...)
{
    int32_t path[FCG_PATH_MAX];
    size_t n = 0;
    for (size_t i = 0; i < loc->n_path && n < FCG_PATH_MAX; i++)
        path[n++] = loc->path[i];
    for (size_t i = 0; i < n_sub && n < FCG_PATH_MAX; i++)
        path[n++] = sub[i];
    fcg_where w = loc->where;
    w.line = fcg_src_line(loc->file, path, n);

    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fcg_error(d, &w, "%s", msg);
}
