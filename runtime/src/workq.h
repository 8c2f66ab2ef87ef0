/* workq.h - a fixed pool of threads running queued jobs in FIFO order.
 *
 * Jobs are intrusive: the caller embeds a ferryi_job in its own struct, so
 * queueing never allocates. Thread-safe: push from any thread.
 */
#ifndef FERRYI_WORKQ_H
#define FERRYI_WORKQ_H

#include <pthread.h>

typedef struct ferryi_job ferryi_job;
struct ferryi_job {
    void (*run)(ferryi_job *job);
    ferryi_job *next;
};

typedef struct ferryi_workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ferryi_job *head, *tail;
    int stopping;
    unsigned n_threads;
    pthread_t *threads;
} ferryi_workq;

/* Starts `n` threads (n >= 1). Returns 0, or -1 when threads cannot start. */
int ferryi_workq_start(ferryi_workq *q, unsigned n);

/* Queues `job`; one worker will call job->run(job). */
void ferryi_workq_push(ferryi_workq *q, ferryi_job *job);

/* Lets the workers finish every queued job, then joins them. */
void ferryi_workq_stop(ferryi_workq *q);

#endif
