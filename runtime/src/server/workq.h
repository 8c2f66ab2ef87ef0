/* workq.h - a fixed pool of threads running queued jobs, fairly between the
 * jobs' owners.
 *
 * Each job names an owner (for the server, the connection its call came
 * on). Owners are hashed onto lanes; workers take one job from each lane
 * with work in turn, FIFO within a lane. So an owner that queues a hundred
 * jobs delays another owner's next job by about one job per busy lane, not
 * by a hundred.
 *
 * Jobs are intrusive: the caller embeds a ferryi_job in its own struct, so
 * queueing never allocates. Thread-safe: push from any thread.
 *
 * A caller may also run a job on its own thread instead of queueing it
 * (ferryi_workq_enter()), which saves waking a worker: the server does so on
 * nng's threads. Jobs running either way share `n` slots, so no more than
 * `n` run at once, whichever threads they run on.
 */
#ifndef FERRYI_WORKQ_H
#define FERRYI_WORKQ_H

#include <pthread.h>
#include <stdint.h>

#define FERRYI_WORKQ_LANES 64u

typedef struct ferryi_job ferryi_job;
struct ferryi_job {
    void (*run)(ferryi_job *job);
    const void *owner; /* whose job it is; set before ferryi_workq_push() */
    ferryi_job *next;
};

typedef struct ferryi_workq_lane {
    ferryi_job *head, *tail;
    int next_busy; /* the next lane with jobs in the round, or -1 */
} ferryi_workq_lane;

typedef struct ferryi_workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ferryi_workq_lane lanes[FERRYI_WORKQ_LANES];
    int busy_head, busy_tail; /* the round of lanes with jobs, or -1 */
    unsigned running;         /* jobs running, on workers or entered */
    int stopping;
    unsigned n_threads;
    pthread_t *threads;
} ferryi_workq;

/* Starts `n` threads (n >= 1). Returns 0, or -1 when threads cannot start. */
int ferryi_workq_start(ferryi_workq *q, unsigned n);

/* Queues `job`; one worker will call job->run(job). */
void ferryi_workq_push(ferryi_workq *q, ferryi_job *job);
/* Takes a slot for a job the caller runs on its own thread, when one is free
 * and no queued job waits for it (a queued job keeps its place). Returns 1
 * when the slot was taken, to be given back with ferryi_workq_leave(), else
 * 0: push the job instead. */
int ferryi_workq_enter(ferryi_workq *q);
void ferryi_workq_leave(ferryi_workq *q);

/* Lets the workers finish every queued job, then joins them. */
void ferryi_workq_stop(ferryi_workq *q);

#endif
