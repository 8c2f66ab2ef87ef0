/* support.h - what the inventory client tests share: capturing what the
 * tour prints. */
#ifndef CLIENT_TEST_SUPPORT_H
#define CLIENT_TEST_SUPPORT_H

#include <stddef.h>
#include <stdio.h>

/* A stream in memory: the tour prints into `f`; capture_text() closes it
 * and returns everything printed (the caller frees it). */
typedef struct capture {
    FILE *f;
    char *text;
    size_t len;
} capture;

void capture_open(capture *c);
char *capture_text(capture *c);

/* Fails the test unless `text` contains `want`, showing both. */
void assert_contains(const char *text, const char *want);

#endif
