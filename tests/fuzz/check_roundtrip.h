/* check_roundtrip.h - what the fuzz targets of the schema checker's readers
 * (fuzz_lock.c, fuzz_descset.c) require of any schema a reader accepted.
 * Each function aborts, for the fuzzer to report, when it is not so. */
#ifndef FERRY_FUZZ_CHECK_ROUNDTRIP_H
#define FERRY_FUZZ_CHECK_ROUNDTRIP_H

#include <stddef.h>

#include "ferry_check.h"

/* Writes the lock file of `s` and reads it back into *again: returns the
 * lock's text (the caller frees it) and its length in *len. Aborts when the
 * lock cannot be written or does not read back. */
char *fuzz_lock_reads_back(const ferry_schema *s, size_t *len, ferry_schema **again);

/* Compares `s` with `again`, the same schema read back: aborts on any
 * report but METHOD_SINCE_TOO_NEW, a fault within one schema (a method
 * newer than its service), which a schema has with itself too. */
void fuzz_no_difference(const ferry_schema *s, const ferry_schema *again);

#endif
