/* out.c - the printer the backends write C through. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

void fcg_out_init(fcg_out *o)
{
    memset(o, 0, sizeof *o);
}

void fcg_out_fini(fcg_out *o)
{
    free(o->buf);
    memset(o, 0, sizeof *o);
}

static int reserve(fcg_out *o, size_t n)
{
    if (o->failed)
        return -1;
    if (o->len + n + 1 <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : 4096;
    while (o->len + n + 1 > cap)
        cap *= 2;
    char *buf = realloc(o->buf, cap);
    if (buf == NULL) {
        o->failed = 1;
        return -1;
    }
    o->buf = buf;
    o->cap = cap;
    return 0;
}

static int at_line_start(const fcg_out *o)
{
    return o->len == 0 || o->buf[o->len - 1] == '\n';
}

static size_t column(const fcg_out *o)
{
    size_t i = o->len;
    while (i > 0 && o->buf[i - 1] != '\n')
        i--;
    return o->len - i;
}

/* Appends n bytes, indenting each line that gets a character. */
static void put(fcg_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n' && at_line_start(o)) {
            size_t pad = 4 * (size_t)o->level;
            if (reserve(o, pad) != 0)
                return;
            memset(o->buf + o->len, ' ', pad);
            o->len += pad;
        }
        if (reserve(o, 1) != 0)
            return;
        o->buf[o->len++] = s[i];
        o->buf[o->len] = '\0';
    }
}

static void puts_(fcg_out *o, const char *s)
{
    put(o, s, strlen(s));
}

void fcg_out_printf(fcg_out *o, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        put(o, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        o->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(o, big, (size_t)n);
    free(big);
}

void fcg_out_indent(fcg_out *o)
{
    o->level++;
}

void fcg_out_dedent(fcg_out *o)
{
    if (o->level > 0)
        o->level--;
}

void fcg_out_params(fcg_out *o, const char *head, const char *const *params, size_t n,
                    const char *tail)
{
    size_t start = at_line_start(o) ? 4 * (size_t)o->level : column(o);
    size_t total = start + strlen(head) + strlen(tail);
    for (size_t i = 0; i < n; i++)
        total += strlen(params[i]) + (i > 0 ? 2 : 0);
    const char *nl = strchr(tail, '\n');
    if (nl != NULL)
        total -= strlen(nl);

    puts_(o, head);
    if (total <= FCG_OUT_COLUMNS) {
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                puts_(o, ", ");
            puts_(o, params[i]);
        }
        puts_(o, tail);
        return;
    }
    /* One parameter after another, a new line whenever the next one would
     * overflow, continuation lines aligned after the '(' -- or, when that
     * is too deep for the longest parameter, indented by four on a new
     * line right after the '('. */
    size_t align = column(o);
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(params[i]) + (i + 1 < n ? 1 : strcspn(tail, "\n"));
        if (need > longest)
            longest = need;
    }
    if (align + longest > FCG_OUT_COLUMNS) {
        align = 4 * (size_t)o->level + 4;
        puts_(o, "\n");
        int level = o->level;
        o->level = 0;
        for (size_t k = 0; k < align; k++)
            put(o, " ", 1);
        o->level = level;
    }
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(params[i]) + (i + 1 < n ? 1 : strcspn(tail, "\n"));
        if (i > 0) {
            if (column(o) + 2 + need > FCG_OUT_COLUMNS) {
                puts_(o, ",\n");
                int level = o->level;
                o->level = 0; /* the alignment is absolute */
                for (size_t k = 0; k < align; k++)
                    put(o, " ", 1);
                o->level = level;
            } else {
                puts_(o, ", ");
            }
        }
        puts_(o, params[i]);
    }
    puts_(o, tail);
}

void fcg_out_cstring(fcg_out *o, const char *s)
{
    puts_(o, "\"");
    char prev = '\0';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"':
            puts_(o, "\\\"");
            break;
        case '\\':
            puts_(o, "\\\\");
            break;
        case '\n':
            puts_(o, "\\n");
            break;
        case '\t':
            puts_(o, "\\t");
            break;
        case '\r':
            puts_(o, "\\r");
            break;
        case '?':
            puts_(o, prev == '?' ? "\\?" : "?");
            break;
        default:
            if (*p < 0x20 || *p >= 0x7f) {
                snprintf(esc, sizeof esc, "\\%03o", (unsigned)*p);
                puts_(o, esc);
            } else {
                put(o, (const char *)p, 1);
            }
        }
        prev = (char)*p;
    }
    puts_(o, "\"");
}

/* Length of the valid UTF-8 sequence at s (at most `avail` bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    size_t n;
    unsigned min;
    unsigned cp;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2, min = 0x80, cp = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3, min = 0x800, cp = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4, min = 0x10000, cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Appends s[0..n) made harmless for the inside of a block comment. */
static void put_comment_text(fcg_out *o, const char *s, size_t n)
{
    char prev = o->len > 0 ? o->buf[o->len - 1] : ' ';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t len = utf8_len((const unsigned char *)s + i, n - i);
            if (len == 0) {
                put(o, "?", 1);
                prev = '?';
            } else {
                put(o, s + i, len);
                i += len - 1;
                prev = 'x';
            }
            continue;
        }
        char ch = c < 0x20 || c == 0x7f ? ' ' : (char)c;
        /* No "/" "*", no "*" "/", no "??" (a trigraph could splice lines). */
        if ((prev == '/' && ch == '*') || (prev == '*' && ch == '/') || (prev == '?' && ch == '?'))
            put(o, " ", 1);
        put(o, &ch, 1);
        prev = ch;
    }
}

void fcg_out_comment_text(fcg_out *o, const char *text)
{
    put_comment_text(o, text, strlen(text));
}

/* The next line of `*p` (without '\n' and trailing blanks) in [*start,
 * *start + *len); advances *p past it. Returns 0 at the end. */
static int next_line(const char **p, const char **start, size_t *len)
{
    if (**p == '\0')
        return 0;
    const char *s = *p;
    size_t n = strcspn(s, "\n");
    *p = s + n + (s[n] == '\n');
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n > 0 && s[0] == ' ') { /* protoc keeps the space after "//" */
        s++;
        n--;
    }
    *start = s;
    *len = n;
    return 1;
}

/* Writes one comment line: `lead` ("/" "* " or " * "), then the sanitized
 * line, word-wrapped to the column limit onto " * " lines, then `end`. */
static void put_comment_line(fcg_out *o, const char *lead, const char *line, size_t len,
                             const char *end)
{
    fcg_out clean;
    fcg_out_init(&clean);
    put_comment_text(&clean, line, len);
    if (clean.failed)
        o->failed = 1;
    const char *s = clean.buf != NULL ? clean.buf : "";
    size_t n = clean.len;
    size_t width = FCG_OUT_COLUMNS - 4 * (size_t)o->level - 3;
    size_t end_width = strcspn(end, "\n");
    puts_(o, len > 0 ? lead : " *");
    while (n > 0 && n + end_width > width) {
        size_t cut = width < n ? width : n - 1;
        while (cut > 0 && s[cut] != ' ')
            cut--;
        if (cut == 0) { /* one long word: break after it instead */
            cut = width < n ? width : n - 1;
            while (cut < n && s[cut] != ' ')
                cut++;
            if (cut == n)
                break;
        }
        put(o, s, cut);
        puts_(o, "\n * ");
        while (cut < n && s[cut] == ' ')
            cut++;
        s += cut;
        n -= cut;
    }
    put(o, s, n);
    puts_(o, end);
    fcg_out_fini(&clean);
}

void fcg_out_comment(fcg_out *o, const char *text)
{
    if (text == NULL)
        return;
    /* Blank lines at either end are dropped, blank lines inside kept. */
    const char *p = text;
    const char *line;
    size_t len;
    size_t first = 0, last = 0, count = 0;
    int any = 0;
    while (next_line(&p, &line, &len)) {
        if (len > 0) {
            if (!any)
                first = count;
            last = count;
            any = 1;
        }
        count++;
    }
    if (!any)
        return;
    p = text;
    for (size_t i = 0; next_line(&p, &line, &len); i++) {
        if (i < first || i > last)
            continue;
        put_comment_line(o, i == first ? "/* " : " * ", line, len, i == last ? " */\n" : "\n");
    }
}

void fcg_out_commentf(fcg_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text == NULL) {
        o->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    fcg_out_comment(o, text);
    free(text);
}
