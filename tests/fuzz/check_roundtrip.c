/* check_roundtrip.c - the checks fuzz_lock.c and fuzz_descset.c make of
 * every schema a reader accepted (check_roundtrip.h). */
#include <stdlib.h>
#include <string.h>

#include "check_roundtrip.h"

char *fuzz_lock_reads_back(const ferry_schema *s, size_t *len, ferry_schema **again)
{
    char *text = ferry_schema_write_lock(s, len);
    *again = NULL;
    if (text == NULL || ferry_schema_read_lock(text, *len, "again.lock", again) != FERRY_CHECK_OK)
        abort();
    return text;
}

void fuzz_no_difference(const ferry_schema *s, const ferry_schema *again)
{
    ferry_check_report *r = NULL;
    if (ferry_check_compare(s, again, &r) != FERRY_CHECK_OK)
        abort();
    for (size_t i = 0; i < ferry_check_report_count(r); i++)
        if (strcmp(ferry_check_report_get(r, i)->rule, "METHOD_SINCE_TOO_NEW") != 0)
            abort();
    ferry_check_report_free(r);
}
