/* workq.c - the worker thread pool handlers run on, fair between the jobs'
 * owners (workq.h). */
#include <stdlib.h>

#include "server/workq.h"

static unsigned lane_of(const void *owner)
{
    uint64_t h = (uint64_t)(uintptr_t)owner * 0x9e3779b97f4a7c15u;
    return (unsigned)(h >> 58) % FERRYI_WORKQ_LANES;
}

/* Puts lane `i` at the end of the round (under q->mu). */
static void round_append(ferryi_workq *q, int i)
{
    q->lanes[i].next_busy = -1;
    if (q->busy_tail >= 0)
        q->lanes[q->busy_tail].next_busy = i;
    else
        q->busy_head = i;
    q->busy_tail = i;
}

/* The next job in the round, or NULL (under q->mu). */
static ferryi_job *take(ferryi_workq *q)
{
    int i = q->busy_head;
    if (i < 0)
        return NULL;
    ferryi_workq_lane *l = &q->lanes[i];
    ferryi_job *job = l->head;
    l->head = job->next;
    if (l->head == NULL)
        l->tail = NULL;
    q->busy_head = l->next_busy;
    if (q->busy_head < 0)
        q->busy_tail = -1;
    if (l->head != NULL)
        round_append(q, i);
    return job;
}

static void *worker_main(void *arg)
{
    ferryi_workq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        /* A job waits for a slot as well as for a worker: jobs its callers
         * run themselves hold slots too. Stopping runs what is queued. */
        while ((q->busy_head < 0 || q->running >= q->n_threads) && !q->stopping)
            pthread_cond_wait(&q->cv, &q->mu);
        ferryi_job *job = take(q);
        if (job == NULL)
            break; /* stopping and drained */
        q->running++;
        pthread_mutex_unlock(&q->mu);
        job->run(job);
        pthread_mutex_lock(&q->mu);
        q->running--;
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int ferryi_workq_start(ferryi_workq *q, unsigned n)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    for (unsigned i = 0; i < FERRYI_WORKQ_LANES; i++)
        q->lanes[i] = (ferryi_workq_lane){.next_busy = -1};
    q->busy_head = q->busy_tail = -1;
    q->running = 0;
    q->stopping = 0;
    q->n_threads = 0;
    q->threads = calloc(n, sizeof *q->threads);
    if (q->threads == NULL)
        goto fail;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0)
            goto fail;
        q->n_threads++;
    }
    return 0;
fail:
    ferryi_workq_stop(q);
    return -1;
}

void ferryi_workq_push(ferryi_workq *q, ferryi_job *job)
{
    unsigned i = lane_of(job->owner);
    job->next = NULL;
    pthread_mutex_lock(&q->mu);
    ferryi_workq_lane *l = &q->lanes[i];
    if (l->tail != NULL) {
        l->tail->next = job;
    } else {
        l->head = job;
        round_append(q, (int)i);
    }
    l->tail = job;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

int ferryi_workq_enter(ferryi_workq *q)
{
    pthread_mutex_lock(&q->mu);
    int enter = q->busy_head < 0 && q->running < q->n_threads && !q->stopping;
    if (enter)
        q->running++;
    pthread_mutex_unlock(&q->mu);
    return enter;
}

void ferryi_workq_leave(ferryi_workq *q)
{
    pthread_mutex_lock(&q->mu);
    q->running--;
    /* A job queued while every slot was taken waits for this one. */
    if (q->busy_head >= 0)
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void ferryi_workq_stop(ferryi_workq *q)
{
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < q->n_threads; i++)
        pthread_join(q->threads[i], NULL);
    free(q->threads);
    q->threads = NULL;
    q->n_threads = 0;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}
