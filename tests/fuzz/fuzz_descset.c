/* fuzz_descset.c - fuzz target for the FileDescriptorSet reader of the
 * schema checker (what protoc gives `ferry check`): any bytes are read or
 * refused; what is read writes a lock file that reads back, and compares
 * against itself without a difference.
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
    if (ferry_schema_from_descriptor_set(data, size, &s) != FERRY_CHECK_OK) {
        return 0;
    }
    size_t len = 0;
    ferry_schema *again = NULL;
    char *text = fuzz_lock_reads_back(s, &len, &again);
    fuzz_no_difference(s, again);
    free(text);
    ferry_schema_free(s);
    ferry_schema_free(again);
    return 0;
}
