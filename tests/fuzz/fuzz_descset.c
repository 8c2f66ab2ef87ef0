/* fuzz_descset.c - fuzz target for the FileDescriptorSet reader of the
 * schema checker (what protoc gives `ferry check`): any bytes are read or
 * refused; what is read writes a lock file that reads back, and compares
 * against itself without a difference.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ferry_schema *s = NULL;
    char *why = NULL;
    if (ferry_schema_from_descriptor_set(data, size, &s, &why) != FERRY_CHECK_OK) {
        free(why);
        return 0;
    }
    size_t len = 0;
    char *text = ferry_schema_write_lock(s, &len);
    ferry_schema *again = NULL;
    if (text == NULL ||
        ferry_schema_read_lock(text, len, "fuzz.lock", &again, NULL) != FERRY_CHECK_OK)
        abort(); /* the lock of any schema read must read back */
    /* A schema has no difference with itself; only what is wrong within it
     * (a method newer than its service) is reported. */
    ferry_check_report *r = NULL;
    if (ferry_check_compare(s, again, &r) != FERRY_CHECK_OK)
        abort();
    for (size_t i = 0; i < ferry_check_report_count(r); i++)
        if (strcmp(ferry_check_report_get(r, i)->rule, "METHOD_SINCE_TOO_NEW") != 0)
            abort();
    ferry_check_report_free(r);
    free(text);
    ferry_schema_free(s);
    ferry_schema_free(again);
    return 0;
}

#ifndef FERRY_LIBFUZZER
/* Replay: run the target on each file named on the command line. */
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *fp = fopen(argv[i], "rb");
        if (fp == NULL) {
            fprintf(stderr, "fuzz_descset: cannot open %s\n", argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_descset: replayed %d inputs\n", argc - 1);
    return 0;
}
#endif
