/* workq.c - the worker thread pool handlers run on. */
#include <stdlib.h>

#include "workq.h"

static void *worker_main(void *arg)
{
    ferryi_workq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->head == NULL && !q->stopping)
            pthread_cond_wait(&q->cv, &q->mu);
        ferryi_job *job = q->head;
        if (job == NULL)
            break; /* stopping and drained */
        q->head = job->next;
        if (q->head == NULL)
            q->tail = NULL;
        pthread_mutex_unlock(&q->mu);
        job->run(job);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int ferryi_workq_start(ferryi_workq *q, unsigned n)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->head = q->tail = NULL;
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
    job->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail != NULL)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
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
