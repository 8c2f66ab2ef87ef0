/* pbjson_print.c - JSON written for people (pbjson.h): two spaces per
 * level, keys in the object's order, numbers in the shortest text that
 * reads back as the same double (jansson's own writer gives 17 digits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

static void indent(FILE *out, int level)
{
    for (int i = 0; i < level; i++)
        fputs("  ", out);
}

static void print_real(FILE *out, double d)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* "1e+20" and "3" are JSON numbers as they are: reading "3" back as an
     * integer gives the same double. Not so "-0", which would lose its
     * sign. */
    fputs(d == 0 && signbit(d) ? "-0.0" : buf, out);
}

static void print_string(FILE *out, const json_t *s)
{
    char *text = json_dumps(s, JSON_ENCODE_ANY);
    fputs(text != NULL ? text : "\"\"", out);
    free(text);
}

static void print_value(FILE *out, const json_t *v, int level)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0) {
            fputs("{}", out);
            return;
        }
        fputs("{\n", out);
        size_t i = 0, n = json_object_size(v);
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            indent(out, level + 1);
            json_t *k = json_string(key);
            print_string(out, k);
            json_decref(k);
            fputs(": ", out);
            print_value(out, item, level + 1);
            fputs(++i < n ? ",\n" : "\n", out);
        }
        indent(out, level);
        fputc('}', out);
        return;
    }
    case JSON_ARRAY: {
        if (json_array_size(v) == 0) {
            fputs("[]", out);
            return;
        }
        fputs("[\n", out);
        for (size_t i = 0; i < json_array_size(v); i++) {
            indent(out, level + 1);
            print_value(out, json_array_get(v, i), level + 1);
            fputs(i + 1 < json_array_size(v) ? ",\n" : "\n", out);
        }
        indent(out, level);
        fputc(']', out);
        return;
    }
    case JSON_REAL:
        print_real(out, json_real_value(v));
        return;
    default:
        print_string(out, v);
        return;
    }
}

void pbjson_print(FILE *out, const json_t *v)
{
    print_value(out, v, 0);
    fputc('\n', out);
}
