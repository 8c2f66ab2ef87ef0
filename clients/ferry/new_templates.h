/* new_templates.h - the files `ferry new` writes, compiled in from
 * clients/ferry/templates/ (cmake/EmbedTemplates.cmake). A path and a text
 * may hold @name@-style placeholders, which cmd_new.c fills in. */
#ifndef FERRY_NEW_TEMPLATES_H
#define FERRY_NEW_TEMPLATES_H

#include <stddef.h>

typedef struct ferry_new_file {
    const char *path; /* relative to the new project's directory */
    const char *text;
} ferry_new_file;

extern const ferry_new_file ferry_new_service_files[];
extern const size_t ferry_new_service_n;
extern const ferry_new_file ferry_new_client_files[];
extern const size_t ferry_new_client_n;

#endif /* FERRY_NEW_TEMPLATES_H */
