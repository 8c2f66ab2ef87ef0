/* text.h - printing text that came from the network (text.c). */
#ifndef FERRY_CLI_TEXT_H
#define FERRY_CLI_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Prints `len` bytes of `text` that came from the network (a server's
 * message, a name from reflection) so that it cannot drive the terminal or
 * forge a line: control characters are escaped (\n, \r, \t, else \xHH;
 * with `keep_lines` newlines and tabs stay, for text the tool laid out
 * itself), C1 controls shown as \u00HH, and each byte that is not part of
 * valid UTF-8 is replaced by U+FFFD. */
void cli_put_text(FILE *out, const char *text, size_t len, int keep_lines);
/* cli_put_text() of a NUL-terminated string, newlines escaped; NULL prints
 * nothing. */
void cli_put_str(FILE *out, const char *s);

#endif /* FERRY_CLI_TEXT_H */
