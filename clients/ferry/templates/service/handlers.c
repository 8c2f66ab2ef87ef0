/* handlers.c - the @Svc@ service: notes kept in memory. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

enum { MAX_NOTES = 1024, MAX_ID = 128, MAX_TEXT = 4096 };

typedef struct note {
    char *id;
    char *text;
    uint64_t revision;
} note;

struct @name@_store {
    pthread_mutex_t lock;
    note notes[MAX_NOTES];
    size_t n;
};

@name@_store *@name@_store_new(void)
{
    @name@_store *s = calloc(1, sizeof *s);
    if (s != NULL)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

void @name@_store_free(@name@_store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->notes[i].id);
        free(s->notes[i].text);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* The note with `id`, or NULL; the caller holds the lock. */
static note *find(@name@_store *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->notes[i].id, id) == 0)
            return &s->notes[i];
    return NULL;
}

/* A copy of `n` in the call's memory, which ferry frees after the reply. */
static @C@Note *copy_out(ferry_call *call, const note *n)
{
    @C@Note *out = ferry_call_alloc(call, sizeof *out);
    if (out == NULL)
        return NULL;
    *out = (@C@Note)@CU@NOTE__INIT;
    out->id = ferry_call_strdup(call, n->id);
    out->text = ferry_call_strdup(call, n->text);
    out->revision = n->revision;
    return out->id != NULL && out->text != NULL ? out : NULL;
}

static ferry_status get_note(void *user, ferry_call *call, const @C@GetNoteRequest *req,
                             @C@GetNoteReply *resp)
{
    @name@_store *s = user;
    if (req->id[0] == '\0')
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "id is empty");
    pthread_mutex_lock(&s->lock);
    note *n = find(s, req->id);
    ferry_status st = FERRY_OK;
    if (n == NULL)
        st = ferry_call_fail(call, FERRY_NOT_FOUND, "no note '%.*s'", MAX_ID, req->id);
    else if ((resp->note = copy_out(call, n)) == NULL)
        st = FERRY_RESOURCE_EXHAUSTED;
    pthread_mutex_unlock(&s->lock);
    return st;
}

static ferry_status put_note(void *user, ferry_call *call, const @C@PutNoteRequest *req,
                             @C@PutNoteReply *resp)
{
    @name@_store *s = user;
    if (req->id[0] == '\0' || strlen(req->id) > MAX_ID)
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "id must have 1 to %d bytes", MAX_ID);
    if (strlen(req->text) > MAX_TEXT)
        return ferry_call_fail(call, FERRY_INVALID_ARGUMENT, "text is over %d bytes", MAX_TEXT);
    char *text = strdup(req->text);
    if (text == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    pthread_mutex_lock(&s->lock);
    ferry_status st = FERRY_OK;
    note *n = find(s, req->id);
    if (n == NULL && s->n == MAX_NOTES) {
        st = ferry_call_fail(call, FERRY_RESOURCE_EXHAUSTED, "the store is full (%d notes)",
                             MAX_NOTES);
    } else if (n == NULL) {
        char *id = strdup(req->id);
        if (id == NULL) {
            st = FERRY_RESOURCE_EXHAUSTED;
        } else {
            n = &s->notes[s->n++];
            *n = (note){.id = id, .text = text, .revision = 1};
            text = NULL;
        }
    } else {
        free(n->text);
        n->text = text;
        n->revision++;
        text = NULL;
    }
    if (st == FERRY_OK && (resp->note = copy_out(call, n)) == NULL)
        st = FERRY_RESOURCE_EXHAUSTED;
    pthread_mutex_unlock(&s->lock);
    free(text);
    return st;
}

const @prefix@_handlers *@name@_handlers(void)
{
    static const @prefix@_handlers handlers = {
        .get_note = get_note,
        .put_note = put_note,
    };
    return &handlers;
}
