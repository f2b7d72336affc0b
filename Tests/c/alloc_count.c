/*
 * alloc_count — proves deit_session_run, deit_session_run_batch, deit_session_run_features,
 * deit_session_run_tokens, deit_session_run_attention and
 * deit_classify_rgb8 perform no
 * heap allocation (a headless model's deit_classify_rgb8 must be refused as DEIT_ERR_UNSUPPORTED).
 *
 *   alloc_count model.safetensors[@S][+int8] [more.safetensors[@S][+int8] ...]
 *     @S loads the model run at S×S pixels (deit_load_options.image_size: pos_embed resampled at load)
 *     +int8 loads it at DEIT_PRECISION_INT8 (the blocks' Linear layers quantised at load)
 *
 * This executable defines malloc, free and the rest of the C allocation family itself, so the
 * dynamic linker binds every allocation in the process (libdeit, the Swift runtime, libc) to these
 * definitions; they count each call and forward to glibc's __libc_* entry points, which (unlike
 * dlsym) never allocate. For every model and for 1 and 2 threads, with the session's own arena and
 * with a caller arena: warm up with one run, reset the counter, run 20 times, and require zero calls;
 * then the same for deit_classify_rgb8 (preprocessing in the session's arena) on a synthetic
 * non-square image, 5 times.
 * The counter must move during deit_model_load_file, which shows the interposition works.
 */
#include "deit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MARK: Counting allocator */

/* glibc's own allocator entry points (exported by libc.so.6 since 2.2.5). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* Calls to any allocation function, and to free, since the last reset (all threads). */
static unsigned long allocation_calls;
static unsigned long free_calls;

static void count(unsigned long *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
static unsigned long read_counter(unsigned long *counter) { return __atomic_load_n(counter, __ATOMIC_RELAXED); }
static void reset_counters(void) {
    __atomic_store_n(&allocation_calls, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&free_calls, 0, __ATOMIC_RELAXED);
}

void *malloc(size_t size) {
    count(&allocation_calls);
    return __libc_malloc(size);
}

void *calloc(size_t count_, size_t size) {
    count(&allocation_calls);
    return __libc_calloc(count_, size);
}

void *realloc(void *pointer, size_t size) {
    count(&allocation_calls);
    return __libc_realloc(pointer, size);
}

void *reallocarray(void *pointer, size_t count_, size_t size) {
    count(&allocation_calls);
    if (size != 0 && count_ > (size_t)-1 / size) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(pointer, count_ * size);
}

void free(void *pointer) {
    count(&free_calls);
    __libc_free(pointer);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    void *pointer;
    count(&allocation_calls);
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *out = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    count(&allocation_calls);
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    count(&allocation_calls);
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    count(&allocation_calls);
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count(&allocation_calls);
    return __libc_pvalloc(size);
}

/* MARK: Test */

enum { MEASURED_RUNS = 20, MEASURED_CLASSIFICATIONS = 5, TOP_K = 5 };
static int failures;

static void report_failure(const char *what, deit_status status) {
    printf("FAIL  %s: %s (%s)\n", what, deit_status_string(status), deit_last_error());
    failures++;
}

/**
 * Counts allocation calls over MEASURED_CLASSIFICATIONS calls of deit_classify_rgb8 after one
 * warm-up, on an image that must be resized (not the model's size, not square).
 */
static void measure_classify(const char *model_path, deit_session *session, const deit_model_info *info,
                             int32_t threads, int caller_arena) {
    const int32_t width = info->image_size + 37, height = info->image_size * 2 / 3 + 5;
    const int32_t k = info->num_classes < TOP_K ? info->num_classes : TOP_K;
    const size_t pixel_bytes = (size_t)width * (size_t)height * 3;
    deit_prediction top[TOP_K];
    unsigned long allocations, frees;
    deit_status status;
    uint8_t *rgb = malloc(pixel_bytes);
    size_t i;
    int run;

    if (rgb == NULL) {
        printf("FAIL  out of memory\n");
        failures++;
        return;
    }
    for (i = 0; i < pixel_bytes; i++) rgb[i] = (uint8_t)((i * 2654435761u) >> 24);
    if (info->num_classes == 0) { /* headless: nothing to classify, and it says so */
        status = deit_classify_rgb8(session, rgb, width, height, 0, 1, top);
        if (status == DEIT_ERR_UNSUPPORTED && strstr(deit_last_error(), "no classifier head") != NULL) {
            printf("ok    %s: headless, deit_classify_rgb8 is DEIT_ERR_UNSUPPORTED (%s)\n", model_path, deit_last_error());
        } else {
            printf("FAIL  %s: headless deit_classify_rgb8 gave %s (%s)\n", model_path, deit_status_string(status),
                   deit_last_error());
            failures++;
        }
        free(rgb);
        return;
    }
    if ((status = deit_classify_rgb8(session, rgb, width, height, 0, k, top)) != DEIT_OK) {
        report_failure("deit_classify_rgb8 (warm-up)", status);
        free(rgb);
        return;
    }

    fflush(stdout); /* no stdio buffer allocation inside the measured window */
    reset_counters();
    for (run = 0; run < MEASURED_CLASSIFICATIONS && status == DEIT_OK; run++)
        status = deit_classify_rgb8(session, rgb, width, height, 0, k, top);
    allocations = read_counter(&allocation_calls);
    frees = read_counter(&free_calls);

    if (status != DEIT_OK) report_failure("deit_classify_rgb8", status);
    printf("%s  %s, %d thread%s, %-12s %d classify_rgb8 %dx%d: %lu allocation calls, %lu free calls\n",
           allocations == 0 && frees == 0 ? "PASS" : "FAIL", model_path, (int)threads, threads == 1 ? "" : "s",
           caller_arena ? "caller arena:" : "own arena:", MEASURED_CLASSIFICATIONS, (int)width, (int)height,
           allocations, frees);
    if (allocations != 0 || frees != 0) failures++;
    free(rgb);
}

/**
 * deit_session_run_batch: a max_batch BATCH session (own arena), a batch of BATCH after a warm-up,
 * then MEASURED_RUNS batches counted (and one batch of 2, fewer than max_batch). A CaiT model refuses
 * max_batch > 1 by name: skipped.
 */
enum { BATCH = 3 };
static void measure_batch(const char *model_path, const deit_model *model, int32_t threads) {
    deit_model_info info;
    deit_session_options options;
    deit_session *session = NULL;
    size_t input_count, logits_count, i;
    float *inputs = NULL, *logits = NULL;
    unsigned long allocations, frees;
    deit_status status;
    int run;

    info.struct_size = sizeof info;
    if ((status = deit_model_get_info(model, &info)) != DEIT_OK) {
        report_failure("deit_model_get_info", status);
        return;
    }
    input_count = 3 * (size_t)info.image_size * (size_t)info.image_size;
    logits_count = (size_t)info.output_dim;
    inputs = malloc(BATCH * input_count * sizeof(float));
    logits = malloc(BATCH * logits_count * sizeof(float));
    if (inputs == NULL || logits == NULL) {
        printf("FAIL  out of memory\n");
        failures++;
        goto done;
    }
    for (i = 0; i < BATCH * input_count; i++) inputs[i] = (float)((i * 7919) % 255) / 128.0f - 1.0f;
    deit_session_options_default(&options);
    options.num_threads = threads;
    options.max_batch = BATCH;
    status = deit_session_create_with_options(model, &options, NULL, 0, &session);
    if (status == DEIT_ERR_UNSUPPORTED) {
        printf("skip  %s: batch: %s\n", model_path, deit_last_error());
        goto done;
    }
    if (status != DEIT_OK) {
        report_failure("deit_session_create_with_options (max_batch 3)", status);
        goto done;
    }
    if ((status = deit_session_run_batch(session, BATCH, inputs, BATCH * input_count, logits, BATCH * logits_count)) != DEIT_OK) {
        report_failure("deit_session_run_batch (warm-up)", status);
        goto done;
    }
    fflush(stdout);
    reset_counters();
    for (run = 0; run < MEASURED_RUNS && status == DEIT_OK; run++)
        status = deit_session_run_batch(session, BATCH, inputs, BATCH * input_count, logits, BATCH * logits_count);
    if (status == DEIT_OK) status = deit_session_run_batch(session, 2, inputs, 2 * input_count, logits, 2 * logits_count);
    allocations = read_counter(&allocation_calls);
    frees = read_counter(&free_calls);
    if (status != DEIT_OK) report_failure("deit_session_run_batch", status);
    printf("%s  %s, %d thread%s, own arena:   %d batches of %d + 1 of 2: %lu allocation calls, %lu free calls\n",
           allocations == 0 && frees == 0 ? "PASS" : "FAIL", model_path, (int)threads, threads == 1 ? "" : "s",
           MEASURED_RUNS, BATCH, allocations, frees);
    if (allocations != 0 || frees != 0) failures++;
done:
    deit_session_free(session);
    free(inputs);
    free(logits);
}

/** Creates a session, warms it up, then counts allocation calls over MEASURED_RUNS runs. */
static void measure(const char *model_path, const deit_model *model, int32_t threads, int caller_arena) {
    deit_model_info info;
    deit_session *session = NULL;
    void *arena = NULL;
    size_t arena_bytes = 0, input_count, logits_count, feature_count, token_count, i;
    float *input, *logits, *features, *tokens;
    unsigned long allocations, frees;
    deit_status status = DEIT_OK;
    int run;

    info.struct_size = sizeof info;
    if ((status = deit_model_get_info(model, &info)) != DEIT_OK) {
        report_failure("deit_model_get_info", status);
        return;
    }
    input_count = 3 * (size_t)info.image_size * (size_t)info.image_size;
    logits_count = (size_t)info.output_dim; /* num_classes, or a headless model's features */
    feature_count = (size_t)info.feature_dim;
    input = malloc(input_count * sizeof(float));
    logits = malloc(logits_count * sizeof(float));
    features = malloc(feature_count * sizeof(float));
    token_count = (size_t)info.num_tokens * (size_t)info.embed_dim;
    tokens = malloc(token_count * sizeof(float));
    if (input == NULL || logits == NULL || features == NULL || tokens == NULL) {
        printf("FAIL  out of memory\n");
        failures++;
        goto done;
    }
    for (i = 0; i < input_count; i++) input[i] = (float)((i * 7919) % 255) / 128.0f - 1.0f;

    if (caller_arena) {
        if ((status = deit_session_arena_size(model, threads, &arena_bytes)) != DEIT_OK) {
            report_failure("deit_session_arena_size", status);
            goto done;
        }
        if (posix_memalign(&arena, 64, arena_bytes) != 0) {
            printf("FAIL  cannot allocate a %lu-byte arena\n", (unsigned long)arena_bytes);
            failures++;
            goto done;
        }
    }
    if ((status = deit_session_create(model, threads, arena, arena_bytes, &session)) != DEIT_OK) {
        report_failure("deit_session_create", status);
        goto done;
    }
    if ((status = deit_session_run(session, input, input_count, logits, logits_count)) != DEIT_OK) {
        report_failure("deit_session_run (warm-up)", status);
        goto done;
    }

    fflush(stdout); /* no stdio buffer allocation inside the measured window */
    reset_counters();
    for (run = 0; run < MEASURED_RUNS && status == DEIT_OK; run++)
        status = deit_session_run(session, input, input_count, logits, logits_count);
    allocations = read_counter(&allocation_calls);
    frees = read_counter(&free_calls);

    if (status != DEIT_OK) report_failure("deit_session_run", status);
    printf("%s  %s, %d thread%s, %-12s %d runs: %lu allocation calls, %lu free calls\n",
           allocations == 0 && frees == 0 ? "PASS" : "FAIL", model_path, (int)threads, threads == 1 ? "" : "s",
           caller_arena ? "caller arena:" : "own arena:", MEASURED_RUNS, allocations, frees);
    if (allocations != 0 || frees != 0) failures++;

    if (status == DEIT_OK && (status = deit_session_run_features(session, input, input_count, features, feature_count)) != DEIT_OK)
        report_failure("deit_session_run_features (warm-up)", status);
    if (status == DEIT_OK) {
        fflush(stdout);
        reset_counters();
        for (run = 0; run < MEASURED_RUNS && status == DEIT_OK; run++)
            status = deit_session_run_features(session, input, input_count, features, feature_count);
        allocations = read_counter(&allocation_calls);
        frees = read_counter(&free_calls);
        if (status != DEIT_OK) report_failure("deit_session_run_features", status);
        printf("%s  %s, %d thread%s, %-12s %d feature runs: %lu allocation calls, %lu free calls\n",
               allocations == 0 && frees == 0 ? "PASS" : "FAIL", model_path, (int)threads, threads == 1 ? "" : "s",
               caller_arena ? "caller arena:" : "own arena:", MEASURED_RUNS, allocations, frees);
        if (allocations != 0 || frees != 0) failures++;
    }
    if (status == DEIT_OK && (status = deit_session_run_tokens(session, input, input_count, tokens, token_count)) != DEIT_OK) {
        if (status == DEIT_ERR_UNSUPPORTED) { /* CaiT: refused by name, nothing to count */
            printf("skip  %s: tokens: %s\n", model_path, deit_last_error());
            status = DEIT_OK;
            goto attention;
        }
        report_failure("deit_session_run_tokens (warm-up)", status);
    }
    if (status == DEIT_OK) {
        fflush(stdout);
        reset_counters();
        for (run = 0; run < MEASURED_RUNS && status == DEIT_OK; run++)
            status = deit_session_run_tokens(session, input, input_count, tokens, token_count);
        allocations = read_counter(&allocation_calls);
        frees = read_counter(&free_calls);
        if (status != DEIT_OK) report_failure("deit_session_run_tokens", status);
        printf("%s  %s, %d thread%s, %-12s %d token runs: %lu allocation calls, %lu free calls\n",
               allocations == 0 && frees == 0 ? "PASS" : "FAIL", model_path, (int)threads, threads == 1 ? "" : "s",
               caller_arena ? "caller arena:" : "own arena:", MEASURED_RUNS, allocations, frees);
        if (allocations != 0 || frees != 0) failures++;
    }
attention:
    if (status == DEIT_OK) {
        /* Attention maps: every block's full map into caller memory (allocated before the window). */
        size_t maps_count = (size_t)info.depth * (size_t)info.num_heads * (size_t)info.num_tokens * (size_t)info.num_tokens;
        float *maps = malloc(maps_count * sizeof *maps);
        if (maps == NULL) {
            printf("FAIL  cannot allocate %lu floats of attention maps\n", (unsigned long)maps_count);
            failures++;
        } else {
            status = deit_session_run_attention(session, input, input_count, 0, info.depth, DEIT_ATTENTION_ALL_ROWS, maps,
                                                maps_count, logits, logits_count);
            if (status == DEIT_ERR_UNSUPPORTED) { /* CaiT: refused by name, nothing to count */
                printf("skip  %s: attention: %s\n", model_path, deit_last_error());
            } else if (status != DEIT_OK) {
                report_failure("deit_session_run_attention (warm-up)", status);
            } else {
                fflush(stdout);
                reset_counters();
                for (run = 0; run < MEASURED_RUNS && status == DEIT_OK; run++)
                    status = deit_session_run_attention(session, input, input_count, 0, info.depth, DEIT_ATTENTION_ALL_ROWS,
                                                        maps, maps_count, logits, logits_count);
                allocations = read_counter(&allocation_calls);
                frees = read_counter(&free_calls);
                if (status != DEIT_OK) report_failure("deit_session_run_attention", status);
                printf("%s  %s, %d thread%s, %-12s %d attention runs: %lu allocation calls, %lu free calls\n",
                       allocations == 0 && frees == 0 ? "PASS" : "FAIL", model_path, (int)threads, threads == 1 ? "" : "s",
                       caller_arena ? "caller arena:" : "own arena:", MEASURED_RUNS, allocations, frees);
                if (allocations != 0 || frees != 0) failures++;
            }
            free(maps);
            status = DEIT_OK;
        }
    }
    if (status == DEIT_OK) measure_classify(model_path, session, &info, threads, caller_arena);
done:
    deit_session_free(session);
    free(arena);
    free(input);
    free(logits);
    free(features);
    free(tokens);
}

int main(int argc, char **argv) {
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: %s model.safetensors[@S] [more.safetensors[@S] ...]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc; i++) {
        deit_model *model = NULL;
        unsigned long load_allocations;
        deit_status status;
        int32_t threads;
        deit_load_options options;
        char path[4096];
        char *at;
        size_t length;

        deit_load_options_default(&options);
        snprintf(path, sizeof path, "%s", argv[i]);
        length = strlen(path);
        if (length > 5 && strcmp(path + length - 5, "+int8") == 0) {
            options.precision = DEIT_PRECISION_INT8;
            path[length - 5] = '\0';
        }
        at = strrchr(path, '@');
        if (at != NULL && at[1] != '\0' && strspn(at + 1, "0123456789") == strlen(at + 1)) {
            *at = '\0';
            options.image_size = atoi(at + 1);
        }
        reset_counters();
        status = deit_model_load_file_with_options(path, &options, &model);
        load_allocations = read_counter(&allocation_calls);
        if (status != DEIT_OK) {
            printf("FAIL  deit_model_load_file(%s): %s (%s)\n", argv[i], deit_status_string(status), deit_last_error());
            failures++;
            continue;
        }
        if (load_allocations == 0) {
            printf("FAIL  the counter did not move while loading %s: the interposition does not work\n", argv[i]);
            failures++;
        } else {
            printf("ok    %s: loading made %lu allocation calls (the counter works)\n", argv[i], load_allocations);
        }
        for (threads = 1; threads <= 2; threads++) {
            measure(argv[i], model, threads, 0);
            measure(argv[i], model, threads, 1);
            measure_batch(argv[i], model, threads);
        }
        deit_model_free(model);
    }
    printf("alloc_count: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
