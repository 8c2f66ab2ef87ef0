/* utf8.h - text that is always valid UTF-8, for the string fields of the
 * wire headers (a strict protobuf reader refuses a string that is not). */
#ifndef FERRYI_UTF8_H
#define FERRYI_UTF8_H

#include <stddef.h>

/* Copies `src` into `dst` (capacity `cap` > 0, always NUL-terminated) as
 * valid UTF-8: each byte that does not start a well-formed sequence
 * (overlong forms, surrogates and code points past U+10FFFF included)
 * becomes '?', and the copy is cut before a character that would not fit
 * whole. Returns the length written. */
size_t ferryi_utf8_copy(char *dst, size_t cap, const char *src);

#endif
