/* fuzz_lock.c - fuzz target for the lock file reader of `ferry check`: any
 * bytes are read or refused; what is read writes back to a lock that reads
 * to the same text, and compares against itself without a difference.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ferry_schema *s = NULL;
    if (ferry_schema_read_lock((const char *)data, size, "fuzz.lock", &s) != FERRY_CHECK_OK) {
        return 0;
    }
    size_t len = 0;
    ferry_schema *again = NULL;
    char *text = fuzz_lock_reads_back(s, &len, &again);
    char *text2 = ferry_schema_write_lock(again, NULL);
    if (text2 == NULL || strcmp(text, text2) != 0)
        abort(); /* a lock read back writes the same bytes */
    fuzz_no_difference(s, again);
    free(text);
    free(text2);
    ferry_schema_free(s);
    ferry_schema_free(again);
    return 0;
}
