/* diag.c - the generator's error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void fcg_diag_init(fcg_diag *d)
{
    memset(d, 0, sizeof *d);
}

void fcg_diag_fini(fcg_diag *d)
{
    free(d->text);
    memset(d, 0, sizeof *d);
}

/* Appends `s`; with `sanitize`, bytes outside printable ASCII become '?'. */
static void append(fcg_diag *d, const char *s, int sanitize)
{
    size_t n = strlen(s);
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 256;
        while (d->len + n + 1 > cap)
            cap *= 2;
        char *text = realloc(d->text, cap);
        if (text == NULL)
            return;
        d->text = text;
        d->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        d->text[d->len++] = !sanitize || (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    d->text[d->len] = '\0';
}

void fcg_error(fcg_diag *d, const fcg_where *w, const char *fmt, ...)
{
    char head[512] = "";
    if (w != NULL && w->file != NULL) {
        char line[16] = "";
        if (w->line > 0)
            snprintf(line, sizeof line, ":%d", w->line);
        if (w->service != NULL && w->method != NULL)
            snprintf(head, sizeof head, "%s%s: service %s, method %s: ", w->file, line, w->service,
                     w->method);
        else if (w->service != NULL)
            snprintf(head, sizeof head, "%s%s: service %s: ", w->file, line, w->service);
        else
            snprintf(head, sizeof head, "%s%s: ", w->file, line);
    }
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);

    if (d->count > 0)
        append(d, "\n", 0);
    append(d, head, 1);
    append(d, body, 1);
    d->count++;
}

const char *fcg_diag_text(const fcg_diag *d)
{
    return d->text != NULL ? d->text : "";
}
