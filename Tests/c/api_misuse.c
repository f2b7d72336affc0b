/*
 * api_misuse — every documented misuse of the C API returns its status and a message, never traps.
 *
 *   api_misuse model.safetensors
 *
 * Covers: NULL for each pointer argument of each function, wrong input/logits counts, bad thread
 * counts, a too-small arena, a missing file, free(NULL), status strings (also out of range), the
 * per-thread last-error text, the version string against the header's macros, and the versioned
 * structs: deit_model_info's struct_size, and every field of deit_session_options and
 * deit_load_options (NULL, bad struct_size, a newer caller's extra bytes, each unsupported value).
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <limits.h>
#include <stddef.h>
#include <math.h>
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

/* deit_session_run_features: every pointer and count checked, then a run. */
static void check_run_features(deit_session *session, const float *input, size_t input_count, size_t feature_count) {
    char needle[64];
    float *features = calloc(feature_count + 1, sizeof(float));
    if (features == NULL) {
        check(0, "calloc for the features");
        return;
    }
    sprintf(needle, "feature_count|%lu", (unsigned long)feature_count);
    expect(deit_session_run_features(NULL, input, input_count, features, feature_count), DEIT_ERR_INVALID_ARGUMENT,
           "session", "deit_session_run_features(NULL, input, n, f, d)");
    expect(deit_session_run_features(session, NULL, input_count, features, feature_count), DEIT_ERR_INVALID_ARGUMENT,
           "input_chw", "deit_session_run_features(s, NULL, n, f, d)");
    expect(deit_session_run_features(session, input, input_count, NULL, feature_count), DEIT_ERR_INVALID_ARGUMENT,
           "features", "deit_session_run_features(s, input, n, NULL, d)");
    expect(deit_session_run_features(session, input, input_count - 1, features, feature_count),
           DEIT_ERR_INVALID_ARGUMENT, "input", "deit_session_run_features(s, input, n - 1, f, d)");
    expect(deit_session_run_features(session, input, input_count, features, feature_count - 1),
           DEIT_ERR_INVALID_ARGUMENT, needle, "deit_session_run_features(s, input, n, f, d - 1)");
    expect(deit_session_run_features(session, input, input_count, features, feature_count + 1),
           DEIT_ERR_INVALID_ARGUMENT, needle, "deit_session_run_features(s, input, n, f, d + 1)");
    expect(deit_session_run_features(session, input, input_count, features, 0), DEIT_ERR_INVALID_ARGUMENT, needle,
           "deit_session_run_features(s, input, n, f, 0)");
    expect(deit_session_run_features(session, input, (size_t)-1, features, (size_t)-1), DEIT_ERR_INVALID_ARGUMENT,
           "input", "deit_session_run_features(s, input, SIZE_MAX, f, SIZE_MAX)");
    check(deit_session_run_features(session, input, input_count, features, feature_count) == DEIT_OK &&
              isfinite(features[0]) && features[feature_count] == 0.0f,
          "deit_session_run_features writes exactly feature_dim floats");
    free(features);
}

/* deit_session_run_tokens: every pointer and count checked, then a run writing exactly T×D floats. */
static void check_run_tokens(deit_session *session, const float *input, size_t input_count, size_t token_count) {
    char needle[64];
    float *tokens = calloc(token_count + 1, sizeof(float));
    if (tokens == NULL) {
        check(0, "calloc for the tokens");
        return;
    }
    sprintf(needle, "tokens has room for|%lu", (unsigned long)token_count);
    expect(deit_session_run_tokens(NULL, input, input_count, tokens, token_count), DEIT_ERR_INVALID_ARGUMENT,
           "session", "deit_session_run_tokens(NULL, input, n, t, T*D)");
    expect(deit_session_run_tokens(session, NULL, input_count, tokens, token_count), DEIT_ERR_INVALID_ARGUMENT,
           "input_chw", "deit_session_run_tokens(s, NULL, n, t, T*D)");
    expect(deit_session_run_tokens(session, input, input_count, NULL, token_count), DEIT_ERR_INVALID_ARGUMENT,
           "tokens", "deit_session_run_tokens(s, input, n, NULL, T*D)");
    expect(deit_session_run_tokens(session, input, input_count - 1, tokens, token_count), DEIT_ERR_INVALID_ARGUMENT,
           "input", "deit_session_run_tokens(s, input, n - 1, t, T*D)");
    expect(deit_session_run_tokens(session, input, input_count, tokens, token_count - 1), DEIT_ERR_INVALID_ARGUMENT,
           needle, "deit_session_run_tokens(s, input, n, t, T*D - 1)");
    expect(deit_session_run_tokens(session, input, input_count, tokens, (size_t)-1), DEIT_ERR_INVALID_ARGUMENT,
           "token_count", "deit_session_run_tokens(s, input, n, t, SIZE_MAX)");
    check(deit_session_run_tokens(session, input, input_count, tokens, token_count) == DEIT_OK &&
              isfinite(tokens[0]) && isfinite(tokens[token_count - 1]) && tokens[token_count] == 0.0f,
          "deit_session_run_tokens writes exactly num_tokens * embed_dim floats");
    free(tokens);
}

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
    {
        int32_t precision = -1;
        deit_load_options load_options;
        deit_model *int8_model = NULL;
        expect(deit_model_get_precision(NULL, &precision), DEIT_ERR_INVALID_ARGUMENT, "model",
               "deit_model_get_precision(NULL, &precision)");
        expect(deit_model_get_precision(model, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_precision",
               "deit_model_get_precision(model, NULL)");
        check(precision == -1, "a refused deit_model_get_precision writes nothing");
        check(deit_model_get_precision(model, &precision) == DEIT_OK && precision == DEIT_PRECISION_F32,
              "a float checkpoint loaded with the default options runs f32");
        deit_load_options_default(&load_options);
        load_options.precision = DEIT_PRECISION_INT8;
        precision = -1;
        check(deit_model_load_file_with_options(model_path, &load_options, &int8_model) == DEIT_OK &&
                  deit_model_get_precision(int8_model, &precision) == DEIT_OK && precision == DEIT_PRECISION_INT8,
              "the same checkpoint loaded with DEIT_PRECISION_INT8 runs int8");
        deit_model_free(int8_model);
    }
    info.struct_size = 0;
    expect(deit_model_get_info(model, &info), DEIT_ERR_INVALID_ARGUMENT, "struct_size",
           "deit_model_get_info(model, &info) with struct_size 0");
    info.struct_size = offsetof(deit_model_info, feature_dim) - 1;
    expect(deit_model_get_info(model, &info), DEIT_ERR_INVALID_ARGUMENT, "struct_size",
           "deit_model_get_info(model, &info) with struct_size below 0.1.0's size");
    /* A caller built against the 0.1.0 header (no feature_dim / output_dim) gets the fields it has. */
    info.struct_size = offsetof(deit_model_info, feature_dim);
    info.feature_dim = -7;
    info.output_dim = -7;
    check(deit_model_get_info(model, &info) == DEIT_OK && info.struct_size == offsetof(deit_model_info, feature_dim) &&
              info.feature_dim == -7 && info.output_dim == -7 && info.embed_dim > 0,
          "deit_model_get_info with 0.1.0's struct_size fills the 0.1.0 fields only");
    /* The next header (feature_dim and output_dim, no num_prefix_tokens) gets those. */
    info.struct_size = offsetof(deit_model_info, num_prefix_tokens);
    info.num_prefix_tokens = -7;
    check(deit_model_get_info(model, &info) == DEIT_OK && info.struct_size == offsetof(deit_model_info, num_prefix_tokens) &&
              info.feature_dim > 0 && info.output_dim >= 0 && info.num_prefix_tokens == -7,
          "deit_model_get_info with the feature_dim header's struct_size fills its fields only");
    info.struct_size = sizeof info - 1; /* between two layouts: the whole fields of the smaller one, no partial field */
    check(deit_model_get_info(model, &info) == DEIT_OK && info.struct_size == offsetof(deit_model_info, num_prefix_tokens),
          "deit_model_get_info with struct_size sizeof - 1 writes whole fields only");
    info.struct_size = sizeof info;
    check(deit_model_get_info(model, &info) == DEIT_OK && info.struct_size == sizeof info && info.num_prefix_tokens >= 1,
          "deit_model_get_info with sizeof fills num_prefix_tokens");
    info.struct_size = sizeof info;
    check(deit_model_get_info(model, &info) == DEIT_OK && info.struct_size == sizeof info,
          "deit_model_get_info(model, &info) succeeds and reports sizeof(deit_model_info) written");
    check(info.feature_dim == info.embed_dim && info.output_dim == info.num_classes,
          "deit_model_info: feature_dim is embed_dim, output_dim num_classes (a model with a head)");
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
        const char *kernel_set = NULL;
        expect(deit_session_get_kernel_set(NULL, &kernel_set), DEIT_ERR_INVALID_ARGUMENT, "session",
               "deit_session_get_kernel_set(NULL, &name)");
        expect(deit_session_get_kernel_set(session, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_name",
               "deit_session_get_kernel_set(s, NULL)");
        expect(deit_session_get_kernel_set((const deit_session *)model, &kernel_set), DEIT_ERR_INVALID_ARGUMENT,
               "session", "deit_session_get_kernel_set(a model handle, &name)");
        check(deit_session_get_kernel_set(session, &kernel_set) == DEIT_OK && kernel_set != NULL &&
                  (strcmp(kernel_set, "avx512-vnni") == 0 || strcmp(kernel_set, "avx512") == 0 ||
                   strcmp(kernel_set, "avx-vnni") == 0 || strcmp(kernel_set, "avx2-fma") == 0 ||
                   strcmp(kernel_set, "neon-dotprod") == 0 || strcmp(kernel_set, "neon") == 0 ||
                   strcmp(kernel_set, "portable") == 0),
              "deit_session_get_kernel_set names a known set");
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
        check_run_features(session, input, input_count, (size_t)info.feature_dim);
        check_run_tokens(session, input, input_count, (size_t)info.num_tokens * (size_t)info.embed_dim);
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

/* MARK: Versioned structs */

/* A newer header's struct: ours followed by fields this library does not know. */
typedef struct newer_info {
    deit_model_info info;
    unsigned char extra[16];
} newer_info;
typedef struct newer_session_options {
    deit_session_options options;
    unsigned char extra[16];
} newer_session_options;
typedef struct newer_load_options {
    deit_load_options options;
    unsigned char extra[16];
} newer_load_options;

static void check_info_struct_size(const deit_model *model) {
    newer_info newer;
    size_t i;
    int untouched = 1;
    memset(&newer, 0xEE, sizeof newer);
    newer.info.struct_size = sizeof newer;
    check(deit_model_get_info(model, &newer.info) == DEIT_OK && newer.info.struct_size == sizeof(deit_model_info),
          "deit_model_get_info with a newer caller's larger struct writes ours and says how much");
    for (i = 0; i < sizeof newer.extra; i++) untouched &= newer.extra[i] == 0xEE;
    check(untouched, "deit_model_get_info leaves bytes past its deit_model_info untouched");
}

/* Session options: each field's misuse, through both the arena-size and the create function. */
static void expect_session_options(const deit_model *model, const deit_session_options *options, deit_status expected,
                                   const char *needle, const char *what) {
    deit_session *session = NULL;
    size_t bytes = 0;
    char call[160];
    sprintf(call, "deit_session_arena_size_with_options(%.100s)", what);
    expect(deit_session_arena_size_with_options(model, options, &bytes), expected, needle, call);
    sprintf(call, "deit_session_create_with_options(%.100s)", what);
    expect(deit_session_create_with_options(model, options, NULL, 0, &session), expected, needle, call);
    check(session == NULL, "no session is returned after a refused option");
}

static void check_session_options(const deit_model *model) {
    static const char *const kernel_sets[] = {"avx512-vnni", "avx512", "avx-vnni", "avx2-fma",
                                                   "neon-dotprod", "neon", "portable"};
    deit_session_options options;
    newer_session_options newer;
    deit_session *session = NULL;
    size_t old_bytes = 0, new_bytes = 0, i;
    int runnable = 0;
    char what[96];

    deit_session_options_default(NULL); /* a no-op */
    memset(&options, 0xEE, sizeof options);
    deit_session_options_default(&options);
    check(options.struct_size == sizeof options && options.num_threads == 1 && options.max_batch == 1 &&
              options.flags == 0 && options.kernel_set == NULL,
          "deit_session_options_default gives struct_size, 1 thread, max_batch 1, no flags, no kernel set");

    expect(deit_session_arena_size_with_options(model, NULL, &new_bytes), DEIT_ERR_INVALID_ARGUMENT, "options",
           "deit_session_arena_size_with_options(model, NULL, &bytes)");
    expect(deit_session_create_with_options(model, NULL, NULL, 0, &session), DEIT_ERR_INVALID_ARGUMENT, "options",
           "deit_session_create_with_options(model, NULL, NULL, 0, &s)");
    expect(deit_session_arena_size_with_options(NULL, &options, &new_bytes), DEIT_ERR_INVALID_ARGUMENT, "model",
           "deit_session_arena_size_with_options(NULL, &options, &bytes)");
    expect(deit_session_arena_size_with_options(model, &options, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_bytes",
           "deit_session_arena_size_with_options(model, &options, NULL)");
    expect(deit_session_create_with_options(model, &options, NULL, 0, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_session",
           "deit_session_create_with_options(model, &options, NULL, 0, NULL)");

    options.struct_size = 0;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "struct_size", "struct_size 0");
    options.struct_size = sizeof options - 1;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "struct_size", "struct_size sizeof - 1");
    options.struct_size = (size_t)DEIT_MAX_STRUCT_SIZE + 1;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "DEIT_MAX_STRUCT_SIZE",
                           "struct_size DEIT_MAX_STRUCT_SIZE + 1 (uninitialised?)");

    deit_session_options_default(&options);
    options.num_threads = 0;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "num_threads", "num_threads 0");
    options.num_threads = -3;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "num_threads", "num_threads -3");
    options.num_threads = 257;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "256", "num_threads 257");

    deit_session_options_default(&options);
    options.max_batch = 4097;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "4096", "max_batch 4097");
    options.max_batch = -1;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "max_batch", "max_batch -1");

    deit_session_options_default(&options);
    options.flags = 1;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "0x1", "flags 1");
    options.flags = (uint64_t)1 << 40;
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "0x10000000000", "flags 1 << 40");

    deit_session_options_default(&options);
    options.kernel_set = "avx1024";
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "avx1024", "kernel_set \"avx1024\"");
    options.kernel_set = "";
    expect_session_options(model, &options, DEIT_ERR_INVALID_ARGUMENT, "kernel_set", "kernel_set \"\"");
    /* Each known set either runs here or is refused as unsupported (not built for this architecture,
     * or this CPU cannot run it) — never a crash; the architecture's baseline set always runs. */
    for (i = 0; i < sizeof kernel_sets / sizeof kernel_sets[0]; i++) {
        deit_status status;
        options.kernel_set = kernel_sets[i];
        status = deit_session_arena_size_with_options(model, &options, &new_bytes);
        if (status == DEIT_OK) {
            runnable++;
            status = deit_session_create_with_options(model, &options, NULL, 0, &session);
            sprintf(what, "deit_session_create_with_options(kernel_set \"%s\": runs here)", kernel_sets[i]);
            check(status == DEIT_OK, what);
            {
                const char *chosen = NULL;
                sprintf(what, "deit_session_get_kernel_set names the forced set \"%s\"", kernel_sets[i]);
                check(deit_session_get_kernel_set(session, &chosen) == DEIT_OK && chosen != NULL &&
                          strcmp(chosen, kernel_sets[i]) == 0, what);
            }
            deit_session_free(session);
            session = NULL;
            printf("ok    kernel set \"%s\" runs here\n", kernel_sets[i]);
        } else {
            sprintf(what, "kernel_set \"%s\" (not runnable here)", kernel_sets[i]);
            expect_session_options(model, &options, DEIT_ERR_UNSUPPORTED, "kernel set", what);
        }
    }
    check(runnable >= 1, "at least one known kernel set runs here");
#if defined(__x86_64__)
    options.kernel_set = "portable";
    check(deit_session_arena_size_with_options(model, &options, &new_bytes) == DEIT_OK,
          "kernel_set \"portable\" runs on every x86-64 CPU");
#endif
    options.kernel_set = "auto";
    check(deit_session_arena_size_with_options(model, &options, &new_bytes) == DEIT_OK, "kernel_set \"auto\" is accepted");

    /* The older functions are the new ones with default options. */
    deit_session_options_default(&options);
    options.num_threads = 2;
    check(deit_session_arena_size_with_options(model, &options, &new_bytes) == DEIT_OK &&
              deit_session_arena_size(model, 2, &old_bytes) == DEIT_OK && new_bytes == old_bytes && new_bytes > 0,
          "deit_session_arena_size_with_options(2 threads) == deit_session_arena_size(model, 2)");

    /* A newer header's options: accepted when its extra bytes are zero, refused otherwise. */
    memset(&newer, 0, sizeof newer);
    deit_session_options_default(&newer.options);
    newer.options.struct_size = sizeof newer;
    check(deit_session_create_with_options(model, &newer.options, NULL, 0, &session) == DEIT_OK,
          "deit_session_create_with_options accepts a larger struct_size whose extra bytes are zero");
    deit_session_free(session);
    session = NULL;
    newer.extra[5] = 1;
    expect_session_options(model, &newer.options, DEIT_ERR_UNSUPPORTED, "does not know",
                           "a larger struct with a non-zero extra byte");
}

static void check_load_options(const char *model_path) {
    static const unsigned char garbage[64] = {1, 2, 3};
    deit_load_options options;
    newer_load_options newer;
    deit_limits limits;
    deit_model *model = NULL;
    deit_model_info info;
    char needle[64];

    deit_load_options_default(NULL); /* a no-op */
    memset(&options, 0xEE, sizeof options);
    deit_load_options_default(&options);
    check(options.struct_size == sizeof options && options.limits == NULL && options.image_size == 0 &&
              options.precision == DEIT_PRECISION_FILE,
          "deit_load_options_default gives struct_size, no limits, the trained size, the file's precision");

    expect(deit_model_load_file_with_options(model_path, NULL, &model), DEIT_ERR_INVALID_ARGUMENT, "options",
           "deit_model_load_file_with_options(path, NULL, &model)");
    expect(deit_model_load_memory_with_options(garbage, sizeof garbage, NULL, &model), DEIT_ERR_INVALID_ARGUMENT,
           "options", "deit_model_load_memory_with_options(data, size, NULL, &model)");
    expect(deit_model_load_file_with_options(NULL, &options, &model), DEIT_ERR_INVALID_ARGUMENT, "path",
           "deit_model_load_file_with_options(NULL, &options, &model)");
    expect(deit_model_load_file_with_options(model_path, &options, NULL), DEIT_ERR_INVALID_ARGUMENT, "out_model",
           "deit_model_load_file_with_options(path, &options, NULL)");
    options.struct_size = 8;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_INVALID_ARGUMENT,
           "struct_size", "deit_model_load_file_with_options(struct_size 8)");
    expect(deit_model_load_memory_with_options(garbage, sizeof garbage, &options, &model), DEIT_ERR_INVALID_ARGUMENT,
           "struct_size", "deit_model_load_memory_with_options(struct_size 8)");

    deit_load_options_default(&options);
    options.precision = DEIT_PRECISION_INT8;
    if (deit_model_load_file_with_options(model_path, &options, &model) != DEIT_OK || !model) {
        fprintf(stderr, "FAIL deit_model_load_file_with_options(precision DEIT_PRECISION_INT8): %s\n", deit_last_error());
        failures++;
    }
    deit_model_free(model);
    model = NULL;
    options.precision = 7;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_INVALID_ARGUMENT, "precision",
           "deit_model_load_file_with_options(precision 7)");

    deit_load_options_default(&options);
    options.image_size = -224;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_INVALID_ARGUMENT, "image_size",
           "deit_model_load_file_with_options(image_size -224)");

    deit_limits_default(&limits);
    limits.struct_size = 4;
    deit_load_options_default(&options);
    options.limits = &limits;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_INVALID_ARGUMENT,
           "limits->struct_size", "deit_model_load_file_with_options(limits->struct_size 4)");
    deit_limits_default(&limits);
    limits.max_model_bytes = 100;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_OUT_OF_MEMORY, "limit",
           "deit_model_load_file_with_options(limits->max_model_bytes 100)");
    check(model == NULL, "no model is returned after a refused option");

    /* The trained size is accepted, and so is any other multiple of the patch size (pos_embed is
       resampled at load); other sizes are refused with a status that names the problem. */
    deit_load_options_default(&options);
    if (deit_model_load_file_with_options(model_path, &options, &model) != DEIT_OK) {
        check(0, "deit_model_load_file_with_options(defaults) loads the model");
        return;
    }
    info.struct_size = sizeof info;
    deit_model_get_info(model, &info);
    check_info_struct_size(model);
    deit_model_free(model);
    model = NULL;
    options.image_size = info.image_size;
    check(deit_model_load_file_with_options(model_path, &options, &model) == DEIT_OK,
          "deit_model_load_file_with_options(image_size = the trained size) loads");
    deit_model_free(model);
    model = NULL;
    options.image_size = info.image_size + info.patch_size;
    if (deit_model_load_file_with_options(model_path, &options, &model) != DEIT_OK) {
        check(0, "deit_model_load_file_with_options(image_size = trained + patch) loads");
    } else {
        deit_model_info resized;
        int grid = info.image_size / info.patch_size + 1;
        resized.struct_size = sizeof resized;
        check(deit_model_get_info(model, &resized) == DEIT_OK && resized.image_size == options.image_size &&
                  resized.num_tokens == info.num_tokens - (grid - 1) * (grid - 1) + grid * grid &&
                  resized.num_params == info.num_params,
              "a model loaded at trained + patch reports the new size and tokens, the checkpoint's parameters");
    }
    deit_model_free(model);
    model = NULL;
    options.image_size = info.image_size + 1;
    sprintf(needle, "multiple of the model's patch size %d", (int)info.patch_size);
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_INVALID_ARGUMENT, needle,
           "deit_model_load_file_with_options(image_size = trained + 1)");
    check(model == NULL, "no model is returned for an image size that is not a multiple of the patch size");
    options.image_size = info.patch_size * 200;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_OUT_OF_MEMORY, "maxTokens",
           "deit_model_load_file_with_options(image_size = 200 patches)");
    check(model == NULL, "no model is returned for an image size above the token limit");

    memset(&newer, 0, sizeof newer);
    deit_load_options_default(&newer.options);
    newer.options.struct_size = sizeof newer;
    check(deit_model_load_file_with_options(model_path, &newer.options, &model) == DEIT_OK,
          "deit_model_load_file_with_options accepts a larger struct_size whose extra bytes are zero");
    deit_model_free(model);
    model = NULL;
    newer.extra[sizeof newer.extra - 1] = 0x80;
    expect(deit_model_load_file_with_options(model_path, &newer.options, &model), DEIT_ERR_UNSUPPORTED, "does not know",
           "deit_model_load_file_with_options(a larger struct with a non-zero extra byte)");
}

/** The whole file at `path` in a malloc'd buffer (*size bytes), or NULL. */
static unsigned char *read_whole_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    unsigned char *data = NULL;
    long length;
    if (file == NULL) return NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (length = ftell(file)) > 0 && fseek(file, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)length)) != NULL && fread(data, 1, (size_t)length, file) != (size_t)length) {
        free(data);
        data = NULL;
    }
    fclose(file);
    *size = data != NULL ? (size_t)length : 0;
    return data;
}

/**
 * deit_load_options.config_json (a timm config.json for memory loads, or instead of the file beside a
 * model file), deit_limits.max_config_bytes, and input structs from the 0.1.0 header (smaller
 * struct_size: the appended fields take their defaults). The description fixture vit_augreg_d1 has
 * label_names in its config.json, which deit_class_label returns when the config was used.
 */
static void check_config_json(void) {
    static const char model_path[] = "Tests/Fixtures/description/vit_augreg_d1/model.safetensors";
    static const char config_path[] = "Tests/Fixtures/description/vit_augreg_d1/config.json";
    static const char broken[] = "{\"num_classes\": \"ten\"}";
    size_t model_size = 0, config_size = 0;
    unsigned char *model_bytes = read_whole_file(model_path, &model_size);
    unsigned char *config = read_whole_file(config_path, &config_size);
    deit_load_options options;
    deit_limits limits;
    deit_model *model = NULL;
    const char *label = NULL;

    if (model_bytes == NULL || config == NULL) {
        check(0, "read Tests/Fixtures/description/vit_augreg_d1 (run from the repository root)");
        free(model_bytes);
        free(config);
        return;
    }
    deit_limits_default(&limits);
    check(limits.max_config_bytes == 16u << 20, "deit_limits_default gives max_config_bytes 16 MiB");
    deit_load_options_default(&options);
    check(options.config_json == NULL && options.config_json_size == 0, "deit_load_options_default gives no config_json");

    /* A memory load without the config has no label names; with it, the config's. */
    check(deit_model_load_memory_with_options(model_bytes, model_size, &options, &model) == DEIT_OK &&
              deit_class_label(model, 3) == NULL,
          "a memory load without config_json has no label names (10 classes)");
    deit_model_free(model);
    model = NULL;
    options.config_json = (const char *)config;
    options.config_json_size = config_size;
    check(deit_model_load_memory_with_options(model_bytes, model_size, &options, &model) == DEIT_OK &&
              (label = deit_class_label(model, 3)) != NULL && strcmp(label, "label 3") == 0,
          "a memory load with config_json names class 3 from its label_names");
    deit_model_free(model);
    model = NULL;
    /* A file load: config_json replaces the config.json beside the file. */
    options.config_json = broken;
    options.config_json_size = sizeof broken - 1;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_FORMAT, "num_classes",
           "deit_model_load_file_with_options(config_json with a malformed num_classes)");
    expect(deit_model_load_memory_with_options(model_bytes, model_size, &options, &model), DEIT_ERR_FORMAT, "num_classes",
           "deit_model_load_memory_with_options(config_json with a malformed num_classes)");
    options.config_json = NULL;
    options.config_json_size = 5;
    expect(deit_model_load_memory_with_options(model_bytes, model_size, &options, &model), DEIT_ERR_INVALID_ARGUMENT,
           "config_json", "deit_model_load_memory_with_options(config_json NULL, size 5)");
    options.config_json = (const char *)config;
    options.config_json_size = config_size;
    limits.max_config_bytes = config_size - 1;
    options.limits = &limits;
    expect(deit_model_load_memory_with_options(model_bytes, model_size, &options, &model), DEIT_ERR_OUT_OF_MEMORY,
           "max_config_bytes", "deit_model_load_memory_with_options(config_json above limits->max_config_bytes)");
    options.config_json = NULL;
    options.config_json_size = 0;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_OUT_OF_MEMORY, "maxConfigBytes",
           "deit_model_load_file_with_options(config.json beside the file above limits->max_config_bytes)");
    check(model == NULL, "no model is returned after a refused config");

    /* 0.1.0's structs (without the fields appended since) are accepted with defaults for the rest. */
    deit_limits_default(&limits);
    limits.struct_size = offsetof(deit_limits, max_config_bytes);
    limits.max_config_bytes = 1; /* past the old struct: must not be read */
    deit_load_options_default(&options);
    options.limits = &limits;
    options.struct_size = offsetof(deit_load_options, config_json);
    options.config_json = broken; /* likewise */
    options.config_json_size = sizeof broken - 1;
    check(deit_model_load_file_with_options(model_path, &options, &model) == DEIT_OK &&
              (label = deit_class_label(model, 3)) != NULL && strcmp(label, "label 3") == 0,
          "0.1.0-sized limits and load options load, with the config.json beside the file and the default config limit");
    deit_model_free(model);
    model = NULL;
    options.struct_size = offsetof(deit_load_options, config_json) - 1;
    expect(deit_model_load_file_with_options(model_path, &options, &model), DEIT_ERR_INVALID_ARGUMENT, "struct_size",
           "deit_model_load_file_with_options(struct_size below 0.1.0's)");
    free(model_bytes);
    free(config);
}

static void check_options(const char *model_path) {
    deit_model *model = NULL;
    deit_status status = deit_model_load_file(model_path, &model);
    if (status != DEIT_OK) {
        printf("FAIL  cannot load %s: %s (%s)\n", model_path, deit_status_string(status), deit_last_error());
        failures++;
        return;
    }
    check_session_options(model);
    deit_model_free(model);
    check_load_options(model_path);
    check_config_json();
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
    check_options(argv[1]);
    check_thread_local_error();
    printf("api_misuse: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
