/* textfmt_parse.c - what the text-format parser's two halves share
 * (textfmt_parse.h): the cursor over tokens, errors that name where they
 * happened, and the names of fields and types as messages show them. The
 * message structure is textfmt.c's, scalar values textfmt_scalar.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfmt_parse.h"

int fcg_tf_fail(fcg_tf_parser *p, const fcg_tf_token *at, const char *fmt, ...)
{
    char msg[400];
    if (at->kind == FCG_TF_ERROR) {
        snprintf(msg, sizeof msg, "%s", p->lx.error);
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    p->err->line = at->line;
    p->err->column = at->column;
    snprintf(p->err->what, sizeof p->err->what, "%s%s%s", p->path, p->path_len ? ": " : "", msg);
    return -1;
}

int fcg_tf_out_of_memory(fcg_tf_parser *p)
{
    return fcg_tf_fail(p, &p->tok, "out of memory");
}

void fcg_tf_advance(fcg_tf_parser *p)
{
    (void)fcg_tf_next(&p->lx, &p->tok); /* an error becomes an FCG_TF_ERROR token */
}

int fcg_tf_check(fcg_tf_parser *p)
{
    return p->tok.kind == FCG_TF_ERROR ? fcg_tf_fail(p, &p->tok, "%s", p->lx.error) : 0;
}

int fcg_tf_is_sym(const fcg_tf_parser *p, char c)
{
    return p->tok.kind == FCG_TF_SYMBOL && p->tok.text[0] == c;
}

const char *fcg_tf_got(const fcg_tf_parser *p, char *buf, size_t len)
{
    fcg_tf_describe(&p->tok, buf, len);
    return buf;
}

const char *fcg_tf_display(const char *full_name)
{
    return full_name[0] == '.' ? full_name + 1 : full_name;
}

const char *fcg_tf_type_name(const fcg_tf_field_desc *fd)
{
    static const char *const names[] = {
        [FCG_TF_TYPE(DOUBLE)] = "double",     [FCG_TF_TYPE(FLOAT)] = "float",
        [FCG_TF_TYPE(INT64)] = "int64",       [FCG_TF_TYPE(UINT64)] = "uint64",
        [FCG_TF_TYPE(INT32)] = "int32",       [FCG_TF_TYPE(FIXED64)] = "fixed64",
        [FCG_TF_TYPE(FIXED32)] = "fixed32",   [FCG_TF_TYPE(BOOL)] = "bool",
        [FCG_TF_TYPE(STRING)] = "string",     [FCG_TF_TYPE(GROUP)] = "group",
        [FCG_TF_TYPE(MESSAGE)] = "message",   [FCG_TF_TYPE(BYTES)] = "bytes",
        [FCG_TF_TYPE(UINT32)] = "uint32",     [FCG_TF_TYPE(ENUM)] = "enum",
        [FCG_TF_TYPE(SFIXED32)] = "sfixed32", [FCG_TF_TYPE(SFIXED64)] = "sfixed64",
        [FCG_TF_TYPE(SINT32)] = "sint32",     [FCG_TF_TYPE(SINT64)] = "sint64",
    };
    if ((fd->type == FCG_TF_TYPE(MESSAGE) || fd->type == FCG_TF_TYPE(ENUM)) &&
        fd->type_name != NULL)
        return fcg_tf_display(fd->type_name);
    size_t t = (size_t)fd->type;
    return t < sizeof names / sizeof names[0] && names[t] != NULL ? names[t] : "an unknown type";
}

int fcg_tf_is_repeated(const fcg_tf_field_desc *fd)
{
    return fd->has_label && fd->label == FCG_TF_LABEL(REPEATED);
}
