/*
 * threads — the threading contract of deit.h: one model shared by many threads, one session per
 * thread, concurrent runs bit-identical to a serial run. Built normally by Tests/c/run.sh and under
 * ThreadSanitizer by scripts/check-sanitizers.sh.
 *
 *   threads model.safetensors [runs per thread, default 100]
 *
 * Two rounds of 8 threads: sessions with 1 worker thread, then sessions with 2 (each session's own
 * worker pool running beside the others). In each round every thread creates its session, all
 * wait at a barrier, the main thread drops its model reference (the sessions keep the model
 * alive, as deit.h promises), and each thread runs the same input `runs` times, comparing the
 * logits with memcmp against a serial run made beforehand with the same thread count.
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8

typedef struct shared_state {
    deit_model *model;
    int32_t session_threads;
    int runs;
    const float *input;
    size_t input_count;
    const float *expected;  /* the serial run's logits */
    size_t logits_count;
    pthread_barrier_t sessions_ready;
    pthread_barrier_t model_released;
} shared_state;

typedef struct thread_result {
    int mismatches;
    int errors;
    char first_error[256];
} thread_result;

typedef struct thread_args {
    shared_state *shared;
    thread_result result;
} thread_args;

static void note_error(thread_result *result, const char *what, deit_status status) {
    if (result->errors++ == 0) {
        snprintf(result->first_error, sizeof result->first_error, "%s: %s (%s)", what, deit_status_string(status),
                 deit_last_error());
    }
}

static void *run_thread(void *opaque) {
    thread_args *args = opaque;
    shared_state *shared = args->shared;
    deit_session *session = NULL;
    float *logits = malloc(sizeof(float) * shared->logits_count);
    deit_status status = deit_session_create(shared->model, shared->session_threads, NULL, 0, &session);
    if (status != DEIT_OK) note_error(&args->result, "deit_session_create", status);
    pthread_barrier_wait(&shared->sessions_ready);
    pthread_barrier_wait(&shared->model_released); /* from here on only the sessions hold the model */
    for (int run = 0; session != NULL && logits != NULL && run < shared->runs; run++) {
        memset(logits, 0xFF, sizeof(float) * shared->logits_count);
        status = deit_session_run(session, shared->input, shared->input_count, logits, shared->logits_count);
        if (status != DEIT_OK) {
            note_error(&args->result, "deit_session_run", status);
            break;
        }
        if (memcmp(logits, shared->expected, sizeof(float) * shared->logits_count) != 0) args->result.mismatches++;
    }
    deit_session_free(session);
    free(logits);
    return NULL;
}

/** The logits of one serial run with `session_threads` workers, or NULL. */
static float *serial_logits(deit_model *model, int32_t session_threads, const float *input, size_t input_count,
                            size_t logits_count) {
    deit_session *session = NULL;
    float *logits = malloc(sizeof(float) * logits_count);
    if (logits == NULL || deit_session_create(model, session_threads, NULL, 0, &session) != DEIT_OK ||
        deit_session_run(session, input, input_count, logits, logits_count) != DEIT_OK) {
        printf("FAIL  serial run with %d threads: %s\n", (int)session_threads, deit_last_error());
        free(logits);
        logits = NULL;
    }
    deit_session_free(session);
    return logits;
}

/** One round: 8 threads, sessions of `session_threads` workers. Returns the number of failures. */
static int run_round(const char *model_path, int32_t session_threads, int runs) {
    shared_state shared;
    thread_args args[THREADS];
    pthread_t threads[THREADS];
    deit_model_info info;
    int failures = 0, mismatches = 0, i;

    memset(&shared, 0, sizeof shared);
    info.struct_size = sizeof info;
    if (deit_model_load_file(model_path, &shared.model) != DEIT_OK ||
        deit_model_get_info(shared.model, &info) != DEIT_OK) {
        printf("FAIL  cannot load %s: %s\n", model_path, deit_last_error());
        return 1;
    }
    shared.session_threads = session_threads;
    shared.runs = runs;
    shared.input_count = 3 * (size_t)info.image_size * (size_t)info.image_size;
    shared.logits_count = (size_t)info.num_classes;
    float *input = malloc(sizeof(float) * shared.input_count);
    if (input == NULL) return 1;
    for (size_t k = 0; k < shared.input_count; k++) input[k] = (float)((int)(k * 7919 % 401) - 200) / 100.0f;
    shared.input = input;
    float *expected = serial_logits(shared.model, session_threads, input, shared.input_count, shared.logits_count);
    if (expected == NULL) {
        deit_model_free(shared.model);
        free(input);
        return 1;
    }
    shared.expected = expected;

    pthread_barrier_init(&shared.sessions_ready, NULL, THREADS + 1);
    pthread_barrier_init(&shared.model_released, NULL, THREADS + 1);
    for (i = 0; i < THREADS; i++) {
        memset(&args[i].result, 0, sizeof args[i].result);
        args[i].shared = &shared;
        if (pthread_create(&threads[i], NULL, run_thread, &args[i]) != 0) {
            printf("FAIL  pthread_create\n");
            return failures + 1; /* the barrier would never open: give up on this round */
        }
    }
    pthread_barrier_wait(&shared.sessions_ready);
    deit_model_free(shared.model);
    shared.model = NULL;
    pthread_barrier_wait(&shared.model_released);
    for (i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&shared.sessions_ready);
    pthread_barrier_destroy(&shared.model_released);

    for (i = 0; i < THREADS; i++) {
        mismatches += args[i].result.mismatches;
        if (args[i].result.errors) {
            printf("FAIL  thread %d, %d-thread sessions: %d errors, first: %s\n", i, (int)session_threads,
                   args[i].result.errors, args[i].result.first_error);
            failures++;
        }
    }
    if (mismatches) {
        printf("FAIL  %d-thread sessions: %d of %d runs differ from the serial logits\n", (int)session_threads,
               mismatches, THREADS * runs);
        failures++;
    } else if (!failures) {
        printf("ok    %d threads x %d runs, %d-thread sessions, model freed mid-way: logits bit-identical to a serial run\n",
               THREADS, runs, (int)session_threads);
    }
    free(expected);
    free(input);
    return failures;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s model.safetensors [runs per thread]\n", argv[0]);
        return 2;
    }
    int runs = argc == 3 ? atoi(argv[2]) : 100;
    if (runs < 1) runs = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int failures = run_round(argv[1], 1, runs) + run_round(argv[1], 2, runs);
    printf("threads: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
