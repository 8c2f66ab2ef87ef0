/* out.h - the printer the backends write C through: a growing buffer that
 * indents lines, wraps parameter lists, and turns IDL text into C string
 * literals and comments that cannot break out of their quotes or comment. */
#ifndef FCG_OUT_H
#define FCG_OUT_H

#include <stddef.h>

/* Lines of generated code stay within this many columns where they can. */
#define FCG_OUT_COLUMNS 100

typedef struct fcg_out {
    char *buf; /* NUL-terminated text; malloc'd */
    size_t len;
    size_t cap;
    int level;  /* indentation, in steps of four spaces */
    int failed; /* nonzero once memory ran out: the text is incomplete */
} fcg_out;

void fcg_out_init(fcg_out *o);
void fcg_out_fini(fcg_out *o);

/* Appends formatted text; each line that is not empty starts with the
 * current indentation. */
void fcg_out_printf(fcg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One more or one less level of indentation for the lines that follow. */
void fcg_out_indent(fcg_out *o);
void fcg_out_dedent(fcg_out *o);

/* Appends `head`, then `params` separated by ", " -- wrapped onto lines
 * aligned after the last '(' of `head` when they would not fit -- then
 * `tail`. For "T f(" + {"int a", "int b"} + ");\n". */
void fcg_out_params(fcg_out *o, const char *head, const char *const *params, size_t n,
                    const char *tail);

/* Appends `s` as a C string literal, quotes included: '"', '\\' and the
 * common control characters get their escapes, every other byte outside
 * printable ASCII a three-digit octal escape, and a '?' after a '?' is
 * written "\?" so that no trigraph can form. */
void fcg_out_cstring(fcg_out *o, const char *s);

/* Appends `text` (possibly several lines) as a block comment, followed by a
 * newline: "/" "* one line *" "/" or a first line, " * " lines and " *" "/".
 * Lines longer than the column limit are word-wrapped; one leading space
 * per line is dropped (protoc keeps the one after "//"), as are blank lines
 * at either end. The text is made harmless: no comment opener or closer, no
 * trigraph, no control character, no invalid UTF-8 survives. NULL or blank
 * text writes nothing. */
void fcg_out_comment(fcg_out *o, const char *text);

/* fcg_out_comment() of a formatted text. */
void fcg_out_commentf(fcg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends IDL text to the current line inside a comment the caller opened,
 * made harmless as for fcg_out_comment(); newlines become spaces. */
void fcg_out_comment_text(fcg_out *o, const char *text);

#endif /* FCG_OUT_H */
