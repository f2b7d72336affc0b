/*
 * batch — deit_session_run_batch: bit-identical to single runs, and every misuse refused.
 *
 *   batch model.safetensors[+int8] [more.safetensors[+int8] ...]
 *     +int8 loads the model at DEIT_PRECISION_INT8
 *
 * For every model, at 1 and 2 threads, a session with max_batch 5 runs batches of 1, 2, 3 and 5
 * different inputs; every image's logits must equal, bit for bit, what deit_session_run gives it in
 * a max_batch-1 session. Then the arena: max_batch 1 plans exactly deit_session_arena_size's bytes,
 * max_batch 5 more. Misuse (on the first ViT model): n 0, n above max_batch, negative n, NULL
 * session, inputs or logits, a wrong input_count or logits_count, a default session's n 2, and
 * max_batch outside 0..4096. A CaiT model refuses max_batch > 1 by name (DEIT_ERR_UNSUPPORTED).
 */
#include "deit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BATCH = 5 };
static int checks;
static int failures;

static void check(int ok, const char *what) {
    checks++;
    if (!ok) {
        printf("FAIL  %s\n", what);
        failures++;
    }
}

/* `status` is `expected` and deit_last_error() mentions `needle`. */
static void expect(deit_status status, deit_status expected, const char *needle, const char *call) {
    const char *message = deit_last_error();
    checks++;
    if (status != expected || (needle != NULL && strstr(message, needle) == NULL)) {
        printf("FAIL  %s returned %s (\"%s\"), expected %s naming \"%s\"\n", call, deit_status_string(status), message,
               deit_status_string(expected), needle ? needle : "");
        failures++;
    } else {
        printf("ok    %-60s -> %s: %s\n", call, deit_status_string(status), message);
    }
}

static deit_session *create(const deit_model *model, int32_t threads, int32_t max_batch, deit_status *status) {
    deit_session_options options;
    deit_session *session = NULL;
    deit_session_options_default(&options);
    options.num_threads = threads;
    options.max_batch = max_batch;
    *status = deit_session_create_with_options(model, &options, NULL, 0, &session);
    return session;
}

/* Batches of 1, 2, 3 and MAX_BATCH against single runs, at `threads` threads. */
static void check_identity(const char *name, const deit_model *model, const deit_model_info *info, int32_t threads) {
    const size_t in_count = 3 * (size_t)info->image_size * (size_t)info->image_size;
    const size_t out_count = (size_t)info->output_dim;
    static const int32_t sizes[] = {1, 2, 3, MAX_BATCH};
    float *inputs = malloc(MAX_BATCH * in_count * sizeof(float));
    float *singles = malloc(MAX_BATCH * out_count * sizeof(float));
    float *batched = malloc(MAX_BATCH * out_count * sizeof(float));
    deit_session *single = NULL, *batch = NULL;
    deit_status status;
    size_t i;
    int32_t image, s;
    char what[512];

    if (inputs == NULL || singles == NULL || batched == NULL) {
        check(0, "out of memory");
        goto done;
    }
    for (i = 0; i < MAX_BATCH * in_count; i++) inputs[i] = (float)((i * 7919 + i / in_count * 104729) % 509) / 200.0f - 1.2f;
    single = create(model, threads, 1, &status);
    if (status != DEIT_OK) {
        printf("FAIL  %s: single session: %s\n", name, deit_last_error());
        failures++;
        goto done;
    }
    batch = create(model, threads, MAX_BATCH, &status);
    if (status != DEIT_OK) {
        printf("FAIL  %s: max_batch %d session: %s\n", name, MAX_BATCH, deit_last_error());
        failures++;
        goto done;
    }
    for (image = 0; image < MAX_BATCH; image++) {
        status = deit_session_run(single, inputs + image * in_count, in_count, singles + image * out_count, out_count);
        if (status != DEIT_OK) {
            printf("FAIL  %s: deit_session_run: %s\n", name, deit_last_error());
            failures++;
            goto done;
        }
    }
    /* Two different images must give different logits, or the comparison proves little. */
    check(memcmp(singles, singles + out_count, out_count * sizeof(float)) != 0, "the test images give different logits");
    for (s = 0; s < (int32_t)(sizeof sizes / sizeof sizes[0]); s++) {
        int32_t n = sizes[s];
        /* Images 1 … n (a batch that does not start at the first image). */
        int32_t first = n < MAX_BATCH ? 1 : 0;
        memset(batched, 0xFF, MAX_BATCH * out_count * sizeof(float));
        status = deit_session_run_batch(batch, n, inputs + first * in_count, (size_t)n * in_count, batched,
                                        (size_t)n * out_count);
        sprintf(what, "%.300s, %d thread%s, batch of %d: every image's logits bit-identical to its single run", name,
                (int)threads, threads == 1 ? "" : "s", (int)n);
        if (status != DEIT_OK) {
            printf("FAIL  %s: deit_session_run_batch: %s\n", what, deit_last_error());
            failures++;
            continue;
        }
        check(memcmp(batched, singles + first * out_count, (size_t)n * out_count * sizeof(float)) == 0, what);
        if (memcmp(batched, singles + first * out_count, (size_t)n * out_count * sizeof(float)) == 0) printf("ok    %s\n", what);
    }
done:
    deit_session_free(single);
    deit_session_free(batch);
    free(inputs);
    free(singles);
    free(batched);
}

static void check_arena(const char *name, const deit_model *model) {
    deit_session_options options;
    size_t plain = 0, one = 0, five = 0;
    char what[512];
    deit_session_options_default(&options);
    check(options.max_batch == 1, "deit_session_options_default sets max_batch 1");
    check(deit_session_arena_size(model, 1, &plain) == DEIT_OK, "deit_session_arena_size");
    check(deit_session_arena_size_with_options(model, &options, &one) == DEIT_OK, "arena size, max_batch 1");
    options.max_batch = 0; /* 0 means 1 */
    check(deit_session_arena_size_with_options(model, &options, &five) == DEIT_OK && five == one,
          "arena size, max_batch 0 is max_batch 1's");
    options.max_batch = MAX_BATCH;
    check(deit_session_arena_size_with_options(model, &options, &five) == DEIT_OK, "arena size, max_batch 5");
    sprintf(what, "%.300s: max_batch 1 plans deit_session_arena_size's %lu bytes; max_batch 5 more (%lu)", name,
            (unsigned long)plain, (unsigned long)five);
    check(one == plain && five > one, what);
    printf("%s  %s\n", one == plain && five > one ? "ok  " : "FAIL", what);
}

static void check_misuse(const deit_model *model, const deit_model_info *info) {
    const size_t in_count = 3 * (size_t)info->image_size * (size_t)info->image_size;
    const size_t out_count = (size_t)info->output_dim;
    float *inputs = calloc(3 * in_count, sizeof(float));
    float *logits = calloc(3 * out_count, sizeof(float));
    deit_session *session = NULL, *plain = NULL;
    deit_session_options options;
    deit_status status;

    if (inputs == NULL || logits == NULL) {
        check(0, "out of memory");
        goto done;
    }
    session = create(model, 1, 2, &status);
    if (status != DEIT_OK) {
        printf("FAIL  max_batch 2 session: %s\n", deit_last_error());
        failures++;
        goto done;
    }
    expect(deit_session_run_batch(session, 0, inputs, 0, logits, 0), DEIT_ERR_INVALID_ARGUMENT, "n is 0", "n 0");
    expect(deit_session_run_batch(session, -1, inputs, in_count, logits, out_count), DEIT_ERR_INVALID_ARGUMENT, "n is -1",
           "n -1");
    expect(deit_session_run_batch(session, 3, inputs, 3 * in_count, logits, 3 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "1 to 2", "n 3 > max_batch 2");
    expect(deit_session_run_batch(NULL, 1, inputs, in_count, logits, out_count), DEIT_ERR_INVALID_ARGUMENT, "session",
           "NULL session");
    expect(deit_session_run_batch(session, 2, NULL, 2 * in_count, logits, 2 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "inputs is NULL", "NULL inputs");
    expect(deit_session_run_batch(session, 2, inputs, 2 * in_count, NULL, 2 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "logits is NULL", "NULL logits");
    expect(deit_session_run_batch(session, 2, inputs, in_count, logits, 2 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "inputs have", "input_count for 1 image, n 2");
    expect(deit_session_run_batch(session, 2, inputs, 2 * in_count + 1, logits, 2 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "inputs have", "input_count one too many");
    expect(deit_session_run_batch(session, 2, inputs, 2 * in_count, logits, out_count), DEIT_ERR_INVALID_ARGUMENT,
           "logits have", "logits_count for 1 image, n 2");
    expect(deit_session_run_batch(session, 2, inputs, (size_t)-1, logits, 2 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "too large", "input_count SIZE_MAX");
    expect(deit_session_run_batch(session, 2, inputs, 2 * in_count, logits, 2 * out_count), DEIT_OK, NULL,
           "a valid batch of 2 after the refusals");

    plain = create(model, 1, 0, &status);
    check(status == DEIT_OK, "max_batch 0 session");
    expect(deit_session_run_batch(plain, 2, inputs, 2 * in_count, logits, 2 * out_count), DEIT_ERR_INVALID_ARGUMENT,
           "1 to 1", "n 2 on a max_batch 0 (= 1) session");
    expect(deit_session_run_batch(plain, 1, inputs, in_count, logits, out_count), DEIT_OK, NULL,
           "n 1 on a max_batch 0 (= 1) session");

    /* A refused create sets its out pointer to NULL: free `plain` first, not leak it (LeakSanitizer). */
    deit_session_free(plain);
    plain = NULL;
    deit_session_options_default(&options);
    options.max_batch = 4097;
    expect(deit_session_create_with_options(model, &options, NULL, 0, &plain), DEIT_ERR_INVALID_ARGUMENT, "4096",
           "max_batch 4097");
    options.max_batch = -2;
    expect(deit_session_create_with_options(model, &options, NULL, 0, &plain), DEIT_ERR_INVALID_ARGUMENT, "max_batch",
           "max_batch -2");
    check(plain == NULL, "no session after the max_batch refusals");
done:
    deit_session_free(session);
    deit_session_free(plain);
    free(inputs);
    free(logits);
}

int main(int argc, char **argv) {
    int i, misuse_checked = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s model.safetensors[+int8] ...\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc; i++) {
        deit_load_options load;
        deit_model *model = NULL;
        deit_model_info info;
        deit_status status;
        char path[4096];
        size_t length;
        int32_t threads;

        deit_load_options_default(&load);
        snprintf(path, sizeof path, "%s", argv[i]);
        length = strlen(path);
        if (length > 5 && strcmp(path + length - 5, "+int8") == 0) {
            load.precision = DEIT_PRECISION_INT8;
            path[length - 5] = '\0';
        }
        if ((status = deit_model_load_file_with_options(path, &load, &model)) != DEIT_OK) {
            printf("FAIL  load %s: %s\n", argv[i], deit_last_error());
            failures++;
            continue;
        }
        info.struct_size = sizeof info;
        deit_model_get_info(model, &info);
        if (strstr(path, "cait") != NULL) { /* the fixtures name their CaiT models so */
            deit_session *session = create(model, 1, 2, &status);
            expect(status, DEIT_ERR_UNSUPPORTED, "CaiT", "CaiT model, max_batch 2");
            check(session == NULL, "no session after the CaiT refusal");
            session = create(model, 1, 1, &status);
            check(status == DEIT_OK, "CaiT model, max_batch 1 still works");
            deit_session_free(session);
        } else {
            for (threads = 1; threads <= 2; threads++) check_identity(argv[i], model, &info, threads);
            check_arena(argv[i], model);
            if (!misuse_checked) {
                check_misuse(model, &info);
                misuse_checked = 1;
            }
        }
        deit_model_free(model);
    }
    printf("batch: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
