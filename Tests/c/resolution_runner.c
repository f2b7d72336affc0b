/*
 * resolution_runner — models run at another image size than they were trained at, through include/deit.h.
 *
 *   resolution_runner [resolution-dir [conformance-dir]]
 *     resolution-dir   default Tests/Fixtures/resolution (models.tsv, models/<case>.{in,logits}.f32;
 *                      scripts/python/gen_resolution_fixtures.py)
 *     conformance-dir  default Tests/Fixtures/conformance (the checkpoints the cases name)
 *
 * For every case: load the checkpoint with deit_load_options.image_size = S' from the file and from
 * memory (pos_embed resampled at load as timm's resample_abs_pos_embed), check deit_model_get_info
 * (image_size S', num_tokens prefix + (S'/P)^2), run the input through 1- and 2-thread sessions on
 * both models (all four logits bit-identical), and compare with timm: max|logits - reference| <=
 * 2e-4 * max(1, max|reference|), top-5 index sets equal. Prints the errors; exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOP_K = 5, MAX_PATH = 4096, MAX_LINE = 1024 };

static int failure_count;

static void fail(const char *what, const char *detail) {
    printf("FAIL  %s: %s\n", what, detail);
    failure_count++;
}

static unsigned char *read_file(const char *path, size_t *out_size) {
    FILE *file = fopen(path, "rb");
    unsigned char *data = NULL;
    long end;
    *out_size = 0;
    if (file == NULL) {
        fail(path, "cannot open");
        return NULL;
    }
    if (fseek(file, 0, SEEK_END) == 0 && (end = ftell(file)) >= 0 && fseek(file, 0, SEEK_SET) == 0) {
        data = malloc((size_t)end + 1);
        if (data != NULL && fread(data, 1, (size_t)end, file) == (size_t)end) {
            *out_size = (size_t)end;
        } else {
            free(data);
            data = NULL;
        }
    }
    fclose(file);
    if (data == NULL) fail(path, "cannot read");
    return data;
}

/* Little-endian float32 values of a file (this test runs on little-endian hosts). */
static float *read_floats(const char *path, size_t *out_count) {
    size_t size;
    unsigned char *data = read_file(path, &size);
    *out_count = size / sizeof(float);
    return (float *)data;
}

/* The k largest entries (ties by lower index), as a sorted index list. */
static void top_k(const float *values, size_t count, int k, size_t *out) {
    int i, j;
    size_t n;
    for (i = 0; i < k; i++) {
        size_t best = count;
        for (n = 0; n < count; n++) {
            int taken = 0;
            for (j = 0; j < i; j++) taken |= out[j] == n;
            if (!taken && (best == count || values[n] > values[best])) best = n;
        }
        out[i] = best;
    }
    for (i = 1; i < k; i++) /* sort, so sets compare as arrays */
        for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
            size_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

/* Runs `input` through a session of `model` with `threads` workers into `logits`; 0 on failure. */
static int run(deit_model *model, int32_t threads, const float *input, size_t input_count, float *logits,
               size_t classes, const char *what) {
    deit_session *session = NULL;
    deit_status status = deit_session_create(model, threads, NULL, 0, &session);
    char detail[512];
    if (status == DEIT_OK) status = deit_session_run(session, input, input_count, logits, classes);
    deit_session_free(session);
    if (status != DEIT_OK) {
        snprintf(detail, sizeof detail, "%s (%s)", deit_status_string(status), deit_last_error());
        fail(what, detail);
        return 0;
    }
    return 1;
}

static void run_case(const char *resolution_dir, const char *conformance_dir, const char *name, const char *model_name,
                     int trained, int image_size, size_t classes) {
    char path[MAX_PATH], what[2 * MAX_PATH], detail[256];
    float *input = NULL, *reference = NULL, *logits = NULL;
    size_t input_count = 0, reference_count = 0, size = 0, i;
    unsigned char *bytes = NULL;
    deit_model *models[2] = {NULL, NULL}, *as_trained = NULL;
    deit_load_options options;
    deit_model_info info;
    int m, ok = 1, prefix_tokens = -1;
    int32_t threads;
    double max_error = 0, max_reference = 0;

    snprintf(path, sizeof path, "%s/models/%s.in.f32", resolution_dir, name);
    input = read_floats(path, &input_count);
    snprintf(path, sizeof path, "%s/models/%s.logits.f32", resolution_dir, name);
    reference = read_floats(path, &reference_count);
    snprintf(path, sizeof path, "%s/%s/model.safetensors", conformance_dir, model_name);
    bytes = read_file(path, &size);
    if (input == NULL || reference == NULL || bytes == NULL || reference_count != classes) {
        fail(name, "fixture files missing or of the wrong size");
        goto done;
    }
    /* The prefix tokens (class, distillation, registers) from the model at its trained size: resampling
     * must keep every one of them. */
    info.struct_size = sizeof info;
    if (deit_model_load_memory(bytes, size, &as_trained) == DEIT_OK && deit_model_get_info(as_trained, &info) == DEIT_OK &&
        info.image_size == trained)
        prefix_tokens = (int)info.num_tokens - (trained / info.patch_size) * (trained / info.patch_size);
    deit_model_free(as_trained);
    if (prefix_tokens < 0) {
        fail(name, "cannot load the model at its trained size");
        goto done;
    }
    deit_load_options_default(&options);
    options.image_size = image_size;
    if (deit_model_load_file_with_options(path, &options, &models[0]) != DEIT_OK ||
        deit_model_load_memory_with_options(bytes, size, &options, &models[1]) != DEIT_OK) {
        snprintf(what, sizeof what, "%s: load %s at %d", name, path, image_size);
        fail(what, deit_last_error());
        goto done;
    }
    for (m = 0; m < 2; m++) {
        int grid;
        info.struct_size = sizeof info;
        if (deit_model_get_info(models[m], &info) != DEIT_OK) {
            fail(name, deit_last_error());
            goto done;
        }
        grid = image_size / info.patch_size;
        if (info.image_size != image_size || info.num_tokens != prefix_tokens + grid * grid ||
            (size_t)info.num_classes != classes || input_count != 3 * (size_t)image_size * (size_t)image_size) {
            snprintf(detail, sizeof detail, "info: image_size %d, num_tokens %d, classes %d (trained at %d)",
                     (int)info.image_size, (int)info.num_tokens, (int)info.num_classes, trained);
            fail(name, detail);
            goto done;
        }
    }
    logits = malloc(4 * classes * sizeof *logits);
    if (logits == NULL) {
        fail(name, "out of memory");
        goto done;
    }
    for (threads = 1; threads <= 2; threads++)
        for (m = 0; m < 2; m++) {
            snprintf(what, sizeof what, "%s (%s model, %d threads)", name, m == 0 ? "file" : "memory", (int)threads);
            ok &= run(models[m], threads, input, input_count, logits + (size_t)((threads - 1) * 2 + m) * classes, classes, what);
        }
    if (!ok) goto done;
    for (m = 1; m < 4; m++)
        if (memcmp(logits, logits + (size_t)m * classes, classes * sizeof *logits) != 0) {
            fail(name, "logits differ between the file and memory models or between 1 and 2 threads");
            goto done;
        }
    for (i = 0; i < classes; i++) {
        double error = fabs((double)logits[i] - (double)reference[i]);
        if (!(error <= max_error)) max_error = isnan(error) ? INFINITY : error;
        if (fabs(reference[i]) > max_reference) max_reference = fabs(reference[i]);
    }
    {
        double tolerance = 2e-4 * (max_reference > 1 ? max_reference : 1);
        size_t ours[TOP_K], theirs[TOP_K];
        int k = classes < TOP_K ? (int)classes : TOP_K;
        top_k(logits, classes, k, ours);
        top_k(reference, classes, k, theirs);
        if (!(max_error <= tolerance)) {
            snprintf(detail, sizeof detail, "max error %.3g > tolerance %.3g", max_error, tolerance);
            fail(name, detail);
        } else if (memcmp(ours, theirs, (size_t)k * sizeof ours[0]) != 0) {
            fail(name, "top-5 differs from timm's");
        } else {
            printf("ok    %-24s %d -> %d px: max |logit - timm| %.3g (%.2g of max|ref| %.3g), top-5 equal, 1 and 2 threads, file and memory\n",
                   name, trained, image_size, max_error, max_error / (max_reference > 1 ? max_reference : 1), max_reference);
        }
    }
done:
    deit_model_free(models[0]);
    deit_model_free(models[1]);
    free(bytes);
    free(input);
    free(reference);
    free(logits);
}

int main(int argc, char **argv) {
    const char *resolution_dir = argc > 1 ? argv[1] : "Tests/Fixtures/resolution";
    const char *conformance_dir = argc > 2 ? argv[2] : "Tests/Fixtures/conformance";
    char path[MAX_PATH], line[MAX_LINE];
    FILE *manifest;
    int cases = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(path, sizeof path, "%s/models.tsv", resolution_dir);
    manifest = fopen(path, "r");
    if (manifest == NULL) {
        printf("FAIL  cannot open %s\n", path);
        return 1;
    }
    while (fgets(line, sizeof line, manifest) != NULL) {
        char name[256], model[256];
        int trained, image_size;
        long classes;
        if (strncmp(line, "case\t", 5) == 0) continue; /* header */
        if (sscanf(line, "%255s %255s %d %d %ld", name, model, &trained, &image_size, &classes) != 5 || classes < 1) {
            fail(path, "malformed line");
            continue;
        }
        run_case(resolution_dir, conformance_dir, name, model, trained, image_size, (size_t)classes);
        cases++;
    }
    fclose(manifest);
    if (cases == 0) fail(path, "no cases");
    printf("resolution_runner: %d cases, %d failures\n", cases, failure_count);
    return failure_count == 0 ? 0 : 1;
}
