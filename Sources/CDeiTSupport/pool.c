/* Worker pool for a session: threads created once, a parallel step = a task counter they drain.
 *
 * Waiting strategy (idle workers and the caller waiting for stragglers): spin with `pause` for a
 * few microseconds, then sched_yield (pure spinning collapses when a core is shared with another
 * process), and after ~2 ms without work sleep on a condition variable until the next step, so an
 * idle session costs no CPU. */
#define _GNU_SOURCE
#include "deit_support.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

enum {
    SPIN_ITERATIONS = 4000,          /* `pause` loops before yielding (~10–40 µs) */
};
static const uint64_t YIELD_BEFORE_SLEEP_NS = 2000000;  /* yield this long, then sleep */

/* What a worker thread is started with. */
typedef struct {
    struct deit_support_pool *pool;
    int32_t worker;                  /* 1 ... threads − 1 */
} worker_start;

struct deit_support_pool {
    int32_t threads;                 /* workers + the caller */
    pthread_t *workers;              /* [threads − 1] */
    worker_start *starts;            /* [threads − 1] */

    /* The current step, published by bumping `generation`. */
    deit_support_task_function function;
    void *context;
    int64_t task_count;
    int64_t next_task;               /* atomic: next task index to hand out */
    int32_t unfinished;              /* atomic: workers still in the current step */
    uint64_t generation;             /* atomic: incremented once per step */
    int32_t stop;                    /* atomic: set by destroy */

    int32_t sleepers;                /* atomic: workers blocked on `wake` */
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

uint64_t deit_support_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void drain_tasks(deit_support_pool *pool, int32_t worker) {
    deit_support_task_function function = pool->function;
    void *context = pool->context;
    int64_t count = pool->task_count;
    for (;;) {
        int64_t task = __atomic_fetch_add(&pool->next_task, 1, __ATOMIC_RELAXED);
        if (task >= count) break;
        function(context, task, worker);
    }
}

/* Waits until the generation differs from `seen` (or stop); spins, yields, then sleeps. */
static uint64_t wait_for_step(deit_support_pool *pool, uint64_t seen) {
    uint64_t generation;
    for (int i = 0; i < SPIN_ITERATIONS; i++) {
        generation = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
        if (generation != seen || __atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return generation;
        cpu_relax();
    }
    uint64_t started = deit_support_monotonic_ns();
    for (unsigned i = 0;; i++) {
        generation = __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE);
        if (generation != seen || __atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return generation;
        sched_yield();
        if ((i & 63) == 63 && deit_support_monotonic_ns() - started > YIELD_BEFORE_SLEEP_NS) break;
    }
    pthread_mutex_lock(&pool->mutex);
    __atomic_fetch_add(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
    while ((generation = __atomic_load_n(&pool->generation, __ATOMIC_SEQ_CST)) == seen &&
           !__atomic_load_n(&pool->stop, __ATOMIC_SEQ_CST)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
    }
    __atomic_fetch_sub(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&pool->mutex);
    return generation;
}

static void *worker_main(void *argument) {
    deit_support_pool *pool = ((worker_start *)argument)->pool;
    int32_t worker = ((worker_start *)argument)->worker;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_step(pool, seen);
        if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
        drain_tasks(pool, worker);
        __atomic_fetch_sub(&pool->unfinished, 1, __ATOMIC_RELEASE);
    }
}

static void stop_workers(deit_support_pool *pool, int32_t started) {
    __atomic_store_n(&pool->stop, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int32_t i = 0; i < started; i++) pthread_join(pool->workers[i], NULL);
}

deit_support_pool *deit_support_pool_create(int32_t threads) {
    if (threads < 1) return NULL;
    deit_support_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL) return NULL;
    pool->threads = threads;
    pool->workers = calloc((size_t)threads, sizeof(pthread_t));
    pool->starts = calloc((size_t)threads, sizeof(worker_start));
    if (pool->workers == NULL || pool->starts == NULL || pthread_mutex_init(&pool->mutex, NULL) != 0) {
        free(pool->workers);
        free(pool->starts);
        free(pool);
        return NULL;
    }
    if (pthread_cond_init(&pool->wake, NULL) != 0) {
        pthread_mutex_destroy(&pool->mutex);
        free(pool->workers);
        free(pool->starts);
        free(pool);
        return NULL;
    }
    for (int32_t i = 0; i < threads - 1; i++) {
        pool->starts[i].pool = pool;
        pool->starts[i].worker = i + 1;
        if (pthread_create(&pool->workers[i], NULL, worker_main, &pool->starts[i]) != 0) {
            stop_workers(pool, i);
            pthread_cond_destroy(&pool->wake);
            pthread_mutex_destroy(&pool->mutex);
            free(pool->workers);
            free(pool->starts);
            free(pool);
            return NULL;
        }
    }
    return pool;
}

void deit_support_pool_destroy(deit_support_pool *pool) {
    if (pool == NULL) return;
    stop_workers(pool, pool->threads - 1);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->workers);
    free(pool->starts);
    free(pool);
}

void deit_support_pool_run(deit_support_pool *pool, int64_t task_count, deit_support_task_function function,
                           void *context) {
    if (task_count <= 0) return;
    if (pool == NULL || pool->threads == 1 || task_count == 1) {
        for (int64_t task = 0; task < task_count; task++) function(context, task, 0);
        return;
    }
    pool->function = function;
    pool->context = context;
    pool->task_count = task_count;
    __atomic_store_n(&pool->next_task, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&pool->unfinished, pool->threads - 1, __ATOMIC_RELAXED);
    /* Publishes the step (release: the fields above are visible to a worker that sees it). */
    __atomic_fetch_add(&pool->generation, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&pool->sleepers, __ATOMIC_SEQ_CST) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    drain_tasks(pool, 0);
    /* Stragglers: spin, then yield (a worker may be descheduled on a shared core). */
    for (unsigned i = 0; __atomic_load_n(&pool->unfinished, __ATOMIC_ACQUIRE) != 0; i++) {
        if (i < SPIN_ITERATIONS) cpu_relax(); else sched_yield();
    }
}
