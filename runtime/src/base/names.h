/* names.h - the names of an enum's values, as the one function that says
 * them (ferry_status_str(), ferry_stage_str(), ...), written from a list of
 * (value, name) pairs. It expands to a switch with no default, so that
 * -Wswitch (in -Wall) names any value the list leaves out: a table indexed
 * by the enum could not, for enums without a count to check its size
 * against. Pure functions, thread-safe. */
#ifndef FERRYI_NAMES_H
#define FERRYI_NAMES_H

#define FERRYI_NAME_CASE(value, name)                                                              \
    case value:                                                                                    \
        return name;

/* Defines `const char *fn(type v)`: the name LIST gives `v`, `unknown`
 * for a value outside the enum. LIST(X) is X(value, name) for every value
 * of `type`. */
#define FERRYI_NAMES_FN(fn, type, LIST, unknown)                                                   \
    const char *fn(type v)                                                                         \
    {                                                                                              \
        switch (v) {                                                                               \
            LIST(FERRYI_NAME_CASE)                                                                 \
        }                                                                                          \
        return unknown;                                                                            \
    }

#endif
