/* textfmt_lex.h - the tokenizer of protobuf text format: identifiers,
 * numbers, quoted strings (decoded, C-style escapes), single-character
 * symbols; whitespace and '#' comments are skipped. The text is untrusted:
 * every malformed token is an error with its line and column. */
#ifndef FCG_TEXTFMT_LEX_H
#define FCG_TEXTFMT_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef enum fcg_tf_kind {
    FCG_TF_END,    /* the end of the text */
    FCG_TF_IDENT,  /* [A-Za-z_][A-Za-z0-9_]* */
    FCG_TF_INT,    /* 42, 0x2A, 052 (no sign: '-' is a symbol) */
    FCG_TF_FLOAT,  /* 1.5, .5, 1e3, 1.5f, 2f */
    FCG_TF_STRING, /* "..." or '...', decoded into str/str_len */
    FCG_TF_SYMBOL, /* one of { } < > [ ] : , ; - */
    FCG_TF_ERROR,  /* not a token: the lexer's error and position are set */
} fcg_tf_kind;

typedef struct fcg_tf_token {
    fcg_tf_kind kind;
    const char *text; /* the token as written, `len` bytes (not NUL-terminated) */
    size_t len;
    unsigned line, column; /* 1-based; column counts bytes */
    uint8_t *str;          /* FCG_TF_STRING: the decoded bytes, NUL-terminated (arena) */
    size_t str_len;
} fcg_tf_token;

typedef struct fcg_tf_lexer {
    fcg_arena *a;
    const char *text;
    size_t len;
    size_t pos;
    unsigned line;
    size_t line_start; /* offset of the current line's first byte */
    /* Set when fcg_tf_next() fails. */
    int failed;
    char error[160];
    unsigned error_line, error_column;
} fcg_tf_lexer;

/* Starts reading text[0..len); strings are decoded into `a`. */
void fcg_tf_lex_init(fcg_tf_lexer *lx, fcg_arena *a, const char *text, size_t len);

/* Reads the next token into *t. Returns 0, or -1 with lx->error and its
 * position set (a malformed token, or out of memory) and *t an FCG_TF_ERROR
 * token at that position; every later call fails the same way. At the end
 * of the text it returns FCG_TF_END tokens. */
int fcg_tf_next(fcg_tf_lexer *lx, fcg_tf_token *t);

/* `t` for messages: the token shortened to at most 40 bytes, quoted, with
 * bytes outside printable ASCII as '?'; "the end of the text" at the end. */
void fcg_tf_describe(const fcg_tf_token *t, char *buf, size_t len);

#endif /* FCG_TEXTFMT_LEX_H */
