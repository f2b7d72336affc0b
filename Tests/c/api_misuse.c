/*
 * api_misuse — every documented misuse of the C API returns its status and a message, never traps.
 *
 *   api_misuse model.safetensors
 *
 * Covers: NULL for each pointer argument of each function, wrong input/logits counts, bad thread
 * counts, a too-small arena, a missing file, free(NULL), status strings (also out of range), the
 * per-thread last-error text, and the version string against the header's macros.
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks;
static int failures;

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static void check(int ok, const char *what) {
    checks++;
    if (!ok) {
        printf("FAIL  %s\n", what);
        failures++;
    }
}

/** Whether `message` contains one of the '|'-separated `alternatives`. */
static int mentions_any(const char *message, const char *alternatives) {
    char copy[256], *word, *rest;
    sprintf(copy, "%.255s", alternatives);
    for (word = copy; word != NULL; word = rest) {
        rest = strchr(word, '|');
        if (rest != NULL) *rest++ = '\0';
        if (strstr(message, word) != NULL) return 1;
    }
    return 0;
}

/**
 * Checks that `status` is `expected` and that deit_last_error() now mentions `needle` (the
 * argument's name, the path or the expected count; '|' separates alternatives): a message that
 * names the problem, not just "invalid argument".
 */
static void expect(deit_status status, deit_status expected, const char *needle, const char *call) {
    const char *message = deit_last_error();
    checks++;
    if (status != expected) {
        printf("FAIL  %s returned %s, expected %s (last error: \"%s\")\n", call, deit_status_string(status),
               deit_status_string(expected), message ? message : "(NULL)");
        failures++;
    } else if (message == NULL || message[0] == '\0') {
        printf("FAIL  %s returned %s but deit_last_error() is empty\n", call, deit_status_string(status));
        failures++;
    } else if (needle != NULL && !mentions_any(message, needle)) {
        printf("FAIL  %s: deit_last_error() \"%s\" does not name \"%s\"\n", call, message, needle);
        failures++;
    } else {
        printf("ok    %-72s -> %s: %s\n", call, deit_status_string(status), message);
    }
}

/* MARK: Status strings and version */

static void check_strings(void) {
    static const char *const names[] = {"DEIT_OK", "DEIT_ERR_INVALID_ARGUMENT", "DEIT_ERR_IO",
                                        "DEIT_ERR_FORMAT", "DEIT_ERR_UNSUPPORTED", "DEIT_ERR_OUT_OF_MEMORY",
                                        "DEIT_ERR_ARENA_TOO_SMALL"};
    static const int out_of_range[] = {-1, 7, 8, 100, INT_MAX, INT_MIN};
    const char *version = deit_version_string();
    char message[128];
    size_t i;

    check(DEIT_ERR_ARENA_TOO_SMALL == 6, "the status enum has 7 values (update this test when it grows)");
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *text = deit_status_string((deit_status)i);
        sprintf(message, "deit_status_string(%d) is \"%s\"", (int)i, names[i]);
        check(text != NULL && strcmp(text, names[i]) == 0, message);
    }
    for (i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++) {
        const char *text = deit_status_string((deit_status)out_of_range[i]);
        sprintf(message, "deit_status_string(%d) is a non-empty string", out_of_range[i]);
        check(text != NULL && text[0] != '\0', message);
    }
    check(version != NULL &&
              strcmp(version, STRINGIFY(DEIT_VERSION_MAJOR) "." STRINGIFY(DEIT_VERSION_MINOR) "." STRINGIFY(
                                  DEIT_VERSION_PATCH)) == 0,
          "deit_version_string() equals DEIT_VERSION_MAJOR.MINOR.PATCH");
    printf("ok    version %s, status strings\n", version ? version : "(NULL)");
}

/* MARK: Loading */

static void check_loading(const char *model_path) {
    static const unsigned char garbage[64] = {1, 2, 3};
    deit_model *model = NULL;
    deit_status status;

    expect(deit_model_load_file(NULL, &model), DEIT_ERR_INVALID_ARGUMENT, "path",
           "deit_model_load_file(NULL, &model)");
    expect(deit_model_load_file(model_path, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_model",
           "deit_model_load_file(path, NULL)");
    expect(deit_model_load_memory(NULL, 100, &model), DEIT_ERR_INVALID_ARGUMENT, "data",
           "deit_model_load_memory(NULL, 100, &model)");
    expect(deit_model_load_memory(garbage, sizeof garbage, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_model",
           "deit_model_load_memory(data, size, NULL)");
    expect(deit_model_load_file("/nonexistent/deit-missing.safetensors", &model), DEIT_ERR_IO,
           "/nonexistent/deit-missing.safetensors", "deit_model_load_file(missing file)");
    check(model == NULL, "no model is returned after a failed load");

    /* Not a model: any failure status with a message is right, DEIT_OK is not. */
    status = deit_model_load_memory(garbage, sizeof garbage, &model);
    check(status != DEIT_OK && deit_last_error()[0] != '\0', "64 bytes of garbage are rejected with a message");
    status = deit_model_load_memory(garbage, 0, &model);
    check(status != DEIT_OK && deit_last_error()[0] != '\0', "an empty buffer is rejected with a message");
    status = deit_model_load_file("/", &model);
    check(status != DEIT_OK && deit_last_error()[0] != '\0', "a directory is rejected with a message");
    check(model == NULL, "no model is returned after a rejected load");

    deit_model_free(NULL);
    deit_session_free(NULL);
    check(1, "deit_model_free(NULL) and deit_session_free(NULL) return");
}

/* MARK: Sessions */

static void check_sessions(const char *model_path) {
    deit_model *model = NULL;
    deit_session *session = NULL, *other = NULL;
    deit_model_info info;
    size_t bytes = 0, input_count, logits_count;
    void *arena = NULL;
    float *input = NULL, *logits = NULL;
    char input_needle[64], logits_needle[64];
    deit_status status = deit_model_load_file(model_path, &model);

    if (status != DEIT_OK) {
        printf("FAIL  cannot load %s: %s (%s)\n", model_path, deit_status_string(status), deit_last_error());
        failures++;
        return;
    }
    expect(deit_model_get_info(NULL, &info), DEIT_ERR_INVALID_ARGUMENT, "model", "deit_model_get_info(NULL, &info)");
    expect(deit_model_get_info(model, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_info",
           "deit_model_get_info(model, NULL)");
    check(deit_model_get_info(model, &info) == DEIT_OK, "deit_model_get_info(model, &info) succeeds");
    input_count = 3 * (size_t)info.image_size * (size_t)info.image_size;
    logits_count = (size_t)info.num_classes;
    sprintf(input_needle, "input_count|%lu", (unsigned long)input_count);
    sprintf(logits_needle, "logits_count|%lu", (unsigned long)logits_count);

    expect(deit_session_arena_size(NULL, 1, &bytes), DEIT_ERR_INVALID_ARGUMENT, "model",
           "deit_session_arena_size(NULL, 1, &bytes)");
    expect(deit_session_arena_size(model, 1, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_bytes",
           "deit_session_arena_size(model, 1, NULL)");
    expect(deit_session_arena_size(model, 0, &bytes), DEIT_ERR_INVALID_ARGUMENT, "num_threads",
           "deit_session_arena_size(model, 0, &bytes)");
    expect(deit_session_arena_size(model, -1, &bytes), DEIT_ERR_INVALID_ARGUMENT, "num_threads",
           "deit_session_arena_size(model, -1, &bytes)");
    check(deit_session_arena_size(model, 1, &bytes) == DEIT_OK && bytes > 0,
          "deit_session_arena_size(model, 1, &bytes) gives a positive size");

    expect(deit_session_create(NULL, 1, NULL, 0, &session), DEIT_ERR_INVALID_ARGUMENT, "model",
           "deit_session_create(NULL, 1, NULL, 0, &session)");
    expect(deit_session_create(model, 1, NULL, 0, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_session",
           "deit_session_create(model, 1, NULL, 0, NULL)");
    expect(deit_session_create(model, 0, NULL, 0, &session), DEIT_ERR_INVALID_ARGUMENT, "num_threads",
           "deit_session_create(model, 0, NULL, 0, &session)");
    expect(deit_session_create(model, INT32_MIN, NULL, 0, &session), DEIT_ERR_INVALID_ARGUMENT, "num_threads",
           "deit_session_create(model, INT32_MIN, NULL, 0, &session)");
    check(session == NULL, "no session is returned after a failed create");

    if (posix_memalign(&arena, 64, bytes) != 0) arena = NULL;
    check(arena != NULL, "allocate a 64-byte aligned arena");
    if (arena != NULL) {
        expect(deit_session_create(model, 1, arena, bytes - 1, &session), DEIT_ERR_ARENA_TOO_SMALL, "arena",
               "deit_session_create(model, 1, arena, needed - 1, &session)");
        expect(deit_session_create(model, 1, arena, 0, &session), DEIT_ERR_ARENA_TOO_SMALL, "arena",
               "deit_session_create(model, 1, arena, 0, &session)");
        check(session == NULL, "no session is returned when the arena is too small");
    }

    input = calloc(input_count + 1, sizeof(float));
    logits = calloc(logits_count + 1, sizeof(float));
    status = deit_session_create(model, 1, NULL, 0, &session);
    check(status == DEIT_OK && input != NULL && logits != NULL, "deit_session_create(model, 1, NULL, 0, &s)");
    if (status == DEIT_OK && input != NULL && logits != NULL) {
        expect(deit_session_run(NULL, input, input_count, logits, logits_count), DEIT_ERR_INVALID_ARGUMENT, "session",
               "deit_session_run(NULL, input, n, logits, m)");
        expect(deit_session_run(session, NULL, input_count, logits, logits_count), DEIT_ERR_INVALID_ARGUMENT,
               "input_chw", "deit_session_run(s, NULL, n, logits, m)");
        expect(deit_session_run(session, input, input_count, NULL, logits_count), DEIT_ERR_INVALID_ARGUMENT,
               "logits", "deit_session_run(s, input, n, NULL, m)");
        /* A wrong count's message names the parameter or states the count the model needs. */
        expect(deit_session_run(session, input, input_count - 1, logits, logits_count), DEIT_ERR_INVALID_ARGUMENT,
               input_needle, "deit_session_run(s, input, n - 1, logits, m)");
        expect(deit_session_run(session, input, input_count + 1, logits, logits_count), DEIT_ERR_INVALID_ARGUMENT,
               input_needle, "deit_session_run(s, input, n + 1, logits, m)");
        expect(deit_session_run(session, input, 0, logits, logits_count), DEIT_ERR_INVALID_ARGUMENT, input_needle,
               "deit_session_run(s, input, 0, logits, m)");
        expect(deit_session_run(session, input, input_count, logits, logits_count - 1), DEIT_ERR_INVALID_ARGUMENT,
               logits_needle, "deit_session_run(s, input, n, logits, m - 1)");
        expect(deit_session_run(session, input, input_count, logits, logits_count + 1), DEIT_ERR_INVALID_ARGUMENT,
               logits_needle, "deit_session_run(s, input, n, logits, m + 1)");
        expect(deit_session_run(session, input, (size_t)-1, logits, (size_t)-1), DEIT_ERR_INVALID_ARGUMENT,
               input_needle, "deit_session_run(s, input, SIZE_MAX, logits, SIZE_MAX)");
        check(deit_session_run(session, input, input_count, logits, logits_count) == DEIT_OK,
              "the session still runs after the rejected calls");
    }

    /* A session keeps its model alive: free the model first, then use and free the session. */
    if (arena != NULL) {
        status = deit_session_create(model, 1, arena, bytes, &other);
        check(status == DEIT_OK, "deit_session_create in a caller arena of exactly the reported size");
    }
    deit_model_free(model);
    if (session != NULL && input != NULL && logits != NULL)
        check(deit_session_run(session, input, input_count, logits, logits_count) == DEIT_OK,
              "a session runs after deit_model_free(model)");
    if (other != NULL && input != NULL && logits != NULL)
        check(deit_session_run(other, input, input_count, logits, logits_count) == DEIT_OK,
              "a caller-arena session runs after deit_model_free(model)");
    deit_session_free(session);
    deit_session_free(other);
    free(arena);
    free(input);
    free(logits);
}

/* MARK: Per-thread last error */

static void *read_fresh_thread_error(void *result) {
    const char *message = deit_last_error();
    *(int *)result = message != NULL && message[0] == '\0';
    return NULL;
}

static void check_thread_local_error(void) {
    pthread_t thread;
    int fresh_thread_is_clean = 0;
    deit_model *model = NULL;
    deit_model_load_file(NULL, &model); /* leaves a message on this thread */
    if (pthread_create(&thread, NULL, read_fresh_thread_error, &fresh_thread_is_clean) != 0) {
        check(0, "pthread_create");
        return;
    }
    pthread_join(thread, NULL);
    check(fresh_thread_is_clean, "deit_last_error() is \"\" on a thread that has not failed");
    check(deit_last_error()[0] != '\0', "this thread's deit_last_error() survives another thread's reads");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s model.safetensors\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    check(deit_last_error() != NULL && deit_last_error()[0] == '\0', "deit_last_error() is \"\" before any failure");
    check_strings();
    check_loading(argv[1]);
    check_sessions(argv[1]);
    check_thread_local_error();
    printf("api_misuse: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
