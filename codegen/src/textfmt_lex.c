/* textfmt_lex.c - the tokenizer of protobuf text format, as protoc's
 * text parser reads it: numbers in decimal, hex and octal, floats with an
 * optional 'f' suffix, strings in single or double quotes that may not cross
 * a line, with the escapes \a \b \f \n \r \t \v \\ \? \' \", \ooo, \xHH,
 * \uXXXX and \UXXXXXXXX (Unicode code points, written as UTF-8). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "textfmt_lex.h"

void fcg_tf_lex_init(fcg_tf_lexer *lx, fcg_arena *a, const char *text, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->a = a;
    lx->text = text;
    lx->len = len;
    lx->line = 1;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident(int c)
{
    return is_ident_start(c) || is_digit(c);
}

static int hex_value(int c)
{
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The byte at pos + k, or -1 past the end. */
static int peek(const fcg_tf_lexer *lx, size_t k)
{
    return lx->pos + k < lx->len ? (unsigned char)lx->text[lx->pos + k] : -1;
}

static unsigned column_of(const fcg_tf_lexer *lx, size_t pos)
{
    size_t c = pos - lx->line_start + 1;
    return c < 1000000 ? (unsigned)c : 1000000;
}

static int lex_fail(fcg_tf_lexer *lx, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error at byte offset `at` of the current line. */
static int lex_fail(fcg_tf_lexer *lx, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->error, sizeof lx->error, fmt, ap);
    va_end(ap);
    lx->failed = 1;
    lx->error_line = lx->line;
    lx->error_column = column_of(lx, at);
    return -1;
}

static void skip_space(fcg_tf_lexer *lx)
{
    for (;;) {
        int c = peek(lx, 0);
        if (c == '\n') {
            lx->pos++;
            lx->line++;
            lx->line_start = lx->pos;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
            lx->pos++;
        } else if (c == '#') {
            while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
                lx->pos++;
        } else {
            return;
        }
    }
}

static int lex_number(fcg_tf_lexer *lx, fcg_tf_token *t)
{
    size_t start = lx->pos;
    int is_float = 0;
    if (peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X')) {
        lx->pos += 2;
        if (!is_hex(peek(lx, 0)))
            return lex_fail(lx, start, "\"0x\" must be followed by hex digits");
        while (is_hex(peek(lx, 0)))
            lx->pos++;
    } else {
        while (is_digit(peek(lx, 0)))
            lx->pos++;
        if (peek(lx, 0) == '.') {
            is_float = 1;
            lx->pos++;
            while (is_digit(peek(lx, 0)))
                lx->pos++;
        }
        if (peek(lx, 0) == 'e' || peek(lx, 0) == 'E') {
            is_float = 1;
            lx->pos++;
            if (peek(lx, 0) == '+' || peek(lx, 0) == '-')
                lx->pos++;
            if (!is_digit(peek(lx, 0)))
                return lex_fail(lx, start, "the exponent of a number needs digits");
            while (is_digit(peek(lx, 0)))
                lx->pos++;
        }
        if (peek(lx, 0) == 'f' || peek(lx, 0) == 'F') {
            is_float = 1;
            lx->pos++;
        }
    }
    if (is_ident(peek(lx, 0)) || peek(lx, 0) == '.')
        return lex_fail(lx, start, "invalid number \"%.*s\"", (int)(lx->pos - start + 1),
                        lx->text + start);
    t->kind = is_float ? FCG_TF_FLOAT : FCG_TF_INT;
    return 0;
}

/* Appends the UTF-8 encoding of code point `cp` (valid) at *out. */
static uint8_t *put_utf8(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        *out++ = (uint8_t)cp;
    } else if (cp < 0x800) {
        *out++ = (uint8_t)(0xc0 | (cp >> 6));
        *out++ = (uint8_t)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *out++ = (uint8_t)(0xe0 | (cp >> 12));
        *out++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        *out++ = (uint8_t)(0x80 | (cp & 0x3f));
    } else {
        *out++ = (uint8_t)(0xf0 | (cp >> 18));
        *out++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        *out++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        *out++ = (uint8_t)(0x80 | (cp & 0x3f));
    }
    return out;
}

/* Reads `n` hex digits at pos as a number; -1 when there are fewer. */
static int64_t hex_digits(fcg_tf_lexer *lx, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_hex(peek(lx, (size_t)i)))
            return -1;
        v = v * 16 + hex_value(peek(lx, (size_t)i));
    }
    lx->pos += (size_t)n;
    return v;
}

/* A \u or \U escape, the backslash and letter already read; `esc` is the
 * offset of the backslash. A UTF-16 surrogate pair written as two \u
 * escapes makes one code point. */
static int unicode_escape(fcg_tf_lexer *lx, size_t esc, int letter, uint8_t **out)
{
    int64_t cp = hex_digits(lx, letter == 'u' ? 4 : 8);
    if (cp < 0)
        return lex_fail(lx, esc, "\\%c needs %d hex digits", letter, letter == 'u' ? 4 : 8);
    if (cp >= 0xd800 && cp < 0xdc00 && peek(lx, 0) == '\\' && peek(lx, 1) == 'u') {
        size_t save = lx->pos;
        lx->pos += 2;
        int64_t low = hex_digits(lx, 4);
        if (low >= 0xdc00 && low < 0xe000)
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        else
            lx->pos = save;
    }
    if ((cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
        return lex_fail(lx, esc, "\\%c escape %.*s is not a Unicode code point", letter,
                        (int)(lx->pos - esc), lx->text + esc);
    *out = put_utf8(*out, (uint32_t)cp);
    return 0;
}

/* One escape sequence, at the backslash; writes its bytes at *out. */
static int escape(fcg_tf_lexer *lx, uint8_t **out)
{
    size_t esc = lx->pos;
    lx->pos++;
    int c = peek(lx, 0);
    /* Pairs: the letter after the backslash, then the byte it stands for. */
    static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\?\?''\"\"";
    const char *hit = c > 0 ? strchr(simple, c) : NULL;
    if (hit != NULL && (hit - simple) % 2 == 0) {
        lx->pos++;
        *(*out)++ = (uint8_t)hit[1];
        return 0;
    }
    if (c >= '0' && c <= '7') {
        unsigned v = 0;
        for (int i = 0; i < 3 && peek(lx, 0) >= '0' && peek(lx, 0) <= '7'; i++)
            v = v * 8 + (unsigned)(peek(lx, 0) - '0'), lx->pos++;
        if (v > 0xff)
            return lex_fail(lx, esc, "octal escape \\%.*s is above \\377", (int)(lx->pos - esc - 1),
                            lx->text + esc + 1);
        *(*out)++ = (uint8_t)v;
        return 0;
    }
    if (c == 'x' || c == 'X') {
        lx->pos++;
        if (!is_hex(peek(lx, 0)))
            return lex_fail(lx, esc, "\\%c needs hex digits", c);
        unsigned v = 0;
        for (int i = 0; i < 2 && is_hex(peek(lx, 0)); i++)
            v = v * 16 + (unsigned)hex_value(peek(lx, 0)), lx->pos++;
        *(*out)++ = (uint8_t)v;
        return 0;
    }
    if (c == 'u' || c == 'U') {
        lx->pos++;
        return unicode_escape(lx, esc, c, out);
    }
    if (c == -1 || c == '\n')
        return lex_fail(lx, esc, "a string ends in a lone backslash");
    if (c >= 0x20 && c < 0x7f)
        return lex_fail(lx, esc, "unknown escape \\%c", c);
    return lex_fail(lx, esc, "unknown escape: a backslash before byte 0x%02x", (unsigned)c);
}

static int lex_string(fcg_tf_lexer *lx, fcg_tf_token *t)
{
    size_t start = lx->pos;
    int quote = peek(lx, 0);
    lx->pos++;
    /* Escapes never decode to more bytes than they take in the text. */
    size_t end = lx->pos;
    while (end < lx->len && lx->text[end] != '\n')
        end++;
    uint8_t *buf = fcg_arena_alloc(lx->a, end - lx->pos + 1);
    if (buf == NULL)
        return lex_fail(lx, start, "out of memory");
    uint8_t *out = buf;
    for (;;) {
        int c = peek(lx, 0);
        if (c == -1 || c == '\n')
            return lex_fail(lx, start, "unterminated string: the closing %c is missing%s", quote,
                            c == '\n' ? " (a string cannot span lines)" : "");
        if (c == quote) {
            lx->pos++;
            break;
        }
        if (c == '\\') {
            if (escape(lx, &out) != 0)
                return -1;
        } else {
            *out++ = (uint8_t)c;
            lx->pos++;
        }
    }
    *out = '\0';
    t->kind = FCG_TF_STRING;
    t->str = buf;
    t->str_len = (size_t)(out - buf);
    return 0;
}

int fcg_tf_next(fcg_tf_lexer *lx, fcg_tf_token *t)
{
    memset(t, 0, sizeof *t);
    if (lx->failed) {
        t->kind = FCG_TF_ERROR;
        t->line = lx->error_line;
        t->column = lx->error_column;
        return -1;
    }
    skip_space(lx);
    t->text = lx->text + lx->pos;
    t->line = lx->line;
    t->column = column_of(lx, lx->pos);
    size_t start = lx->pos;
    int c = peek(lx, 0);
    int rc = 0;
    if (c == -1) {
        t->kind = FCG_TF_END;
    } else if (is_ident_start(c)) {
        while (is_ident(peek(lx, 0)))
            lx->pos++;
        t->kind = FCG_TF_IDENT;
    } else if (is_digit(c) || (c == '.' && is_digit(peek(lx, 1)))) {
        rc = lex_number(lx, t);
    } else if (c == '"' || c == '\'') {
        rc = lex_string(lx, t);
    } else if (c != 0 && strchr("{}<>[]:,;-", c) != NULL) {
        lx->pos++;
        t->kind = FCG_TF_SYMBOL;
    } else if (c >= 0x20 && c < 0x7f) {
        rc = lex_fail(lx, start, "unexpected character '%c'", c);
    } else {
        rc = lex_fail(lx, start, "unexpected byte 0x%02x outside a string", (unsigned)c);
    }
    t->len = lx->pos - start;
    if (rc != 0) {
        t->kind = FCG_TF_ERROR;
        t->line = lx->error_line;
        t->column = lx->error_column;
    }
    return rc;
}

void fcg_tf_describe(const fcg_tf_token *t, char *buf, size_t len)
{
    if (t->kind == FCG_TF_END || t->kind == FCG_TF_ERROR) {
        snprintf(buf, len, t->kind == FCG_TF_END ? "the end of the text" : "an invalid token");
        return;
    }
    char shown[48];
    size_t n = t->len < 40 ? t->len : 40, k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->text[i];
        shown[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    shown[k] = '\0';
    if (t->kind == FCG_TF_STRING)
        snprintf(buf, len, "the string %s%s", shown, t->len > n ? "..." : "");
    else
        snprintf(buf, len, "\"%s%s\"", shown, t->len > n ? "..." : "");
}
