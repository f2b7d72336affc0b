/*
 * classify_photos — classifies photos with deit_classify_file (file → JPEG/PNG decoder → timm's eval
 * transform → model) and compares the top-1 class with timm's, using nothing but include/deit.h.
 *
 *   classify_photos MODEL.safetensors SAMPLE-DIR [COUNT [THREADS]]
 *     SAMPLE-DIR  holds the photos and timm-reference-top5.tsv (file, true class, timm's top-5
 *                 indices, their logits; as ../shared/data/imagenet-sample)
 *     COUNT       how many photos, evenly spread over the TSV's rows (default: all)
 *     THREADS     session threads (default 1)
 *
 * Passes (exit 0) when every photo classifies and the top-1 agrees with timm's for at least 98 % of
 * them, the threshold of scripts/check-accuracy.sh (for 8 photos: all of them). The logits cannot be
 * compared tightly: timm decoded the JPEGs with libjpeg through Pillow, deit with stb_image, so the
 * printed logit differences on timm's top-5 classes are for information.
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TOP_K = 5, MAX_LINE = 4096, MAX_PATH = 4096 };
static const double REQUIRED_AGREEMENT = 0.98;

/** One row of timm-reference-top5.tsv. */
typedef struct reference_row {
    char file[512];
    int truth;
    int top[TOP_K];
    float logits[TOP_K];
} reference_row;

/** Parses "file<TAB>truth<TAB>i,i,i,i,i<TAB>l,l,l,l,l"; returns 1 on success. */
static int parse_row(char *line, reference_row *row) {
    char *fields[4], *p = line, *end;
    int n = 0, k;
    while (n < 4) {
        fields[n++] = p;
        p = strchr(p, '\t');
        if (p == NULL) break;
        *p++ = '\0';
    }
    if (n != 4 || strlen(fields[0]) >= sizeof row->file) return 0;
    strcpy(row->file, fields[0]);
    row->truth = (int)strtol(fields[1], &end, 10);
    if (end == fields[1]) return 0;
    for (k = 0, p = fields[2]; k < TOP_K; k++, p = end + 1) {
        row->top[k] = (int)strtol(p, &end, 10);
        if (end == p || (k < TOP_K - 1 && *end != ',')) return 0;
    }
    for (k = 0, p = fields[3]; k < TOP_K; k++, p = end + 1) {
        row->logits[k] = strtof(p, &end);
        if (end == p || (k < TOP_K - 1 && *end != ',')) return 0;
    }
    return 1;
}

/** Reads every row of the TSV; returns the count (0 after reporting on error). */
static size_t read_reference(const char *path, reference_row **out_rows) {
    char line[MAX_LINE];
    reference_row *rows = NULL, row;
    size_t count = 0;
    FILE *file = fopen(path, "r");
    *out_rows = NULL;
    if (file == NULL) {
        printf("FAIL  cannot open %s\n", path);
        return 0;
    }
    while (fgets(line, sizeof line, file) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') continue;
        if (!parse_row(line, &row)) {
            printf("FAIL  %s: unreadable row \"%.80s\"\n", path, line);
            count = 0;
            break;
        }
        rows = realloc(rows, (count + 1) * sizeof *rows);
        if (rows == NULL) {
            printf("FAIL  out of memory\n");
            count = 0;
            break;
        }
        rows[count++] = row;
    }
    fclose(file);
    if (count == 0) free(rows);
    else *out_rows = rows;
    return count;
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

int main(int argc, char **argv) {
    const char *model_path, *sample_dir;
    char path[MAX_PATH];
    reference_row *rows = NULL;
    size_t row_count, count, i;
    int threads = 1, classified = 0, agree = 0, overlap = 0, failures = 0;
    deit_model *model = NULL;
    deit_session *session = NULL;
    deit_status status;

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s MODEL.safetensors SAMPLE-DIR [COUNT [THREADS]]\n", argv[0]);
        return 2;
    }
    model_path = argv[1];
    sample_dir = argv[2];
    if (argc > 4) threads = atoi(argv[4]);
    if (threads < 1) threads = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);

    sprintf(path, "%.4000s/timm-reference-top5.tsv", sample_dir);
    row_count = read_reference(path, &rows);
    if (row_count == 0) return 1;
    count = row_count;
    if (argc > 3 && atoi(argv[3]) > 0 && (size_t)atoi(argv[3]) < row_count) count = (size_t)atoi(argv[3]);

    if ((status = deit_model_load_file(model_path, &model)) != DEIT_OK ||
        (status = deit_session_create(model, threads, NULL, 0, &session)) != DEIT_OK) {
        printf("FAIL  %s: %s (%s)\n", model_path, deit_last_error(), deit_status_string(status));
        deit_model_free(model);
        free(rows);
        return 1;
    }
    printf("classify_photos: libdeit %s, %lu of %lu photos in %s, %d thread(s)\n", deit_version_string(),
           (unsigned long)count, (unsigned long)row_count, sample_dir, threads);

    for (i = 0; i < count; i++) {
        const reference_row *row = &rows[i * row_count / count]; /* evenly spread */
        deit_prediction top[TOP_K];
        double started, max_logit_difference = 0;
        int k, j, common = 0;

        sprintf(path, "%.3500s/%.500s", sample_dir, row->file);
        started = seconds_now();
        status = deit_classify_file(session, path, TOP_K, top);
        if (status != DEIT_OK) {
            printf("FAIL  %s: %s (%s)\n", row->file, deit_last_error(), deit_status_string(status));
            failures++;
            continue;
        }
        classified++;
        for (k = 0; k < TOP_K; k++)
            for (j = 0; j < TOP_K; j++)
                if (top[j].class_index == row->top[k]) {
                    common++;
                    if (fabs((double)top[j].logit - row->logits[k]) > max_logit_difference)
                        max_logit_difference = fabs((double)top[j].logit - row->logits[k]);
                }
        overlap += common;
        agree += top[0].class_index == row->top[0];
        printf("%s  %-44s deit %4d  timm %4d  truth %4d  top-5 overlap %d/5  max |logit diff| %.3f  %.1f s\n",
               top[0].class_index == row->top[0] ? "PASS" : "DIFF", row->file, (int)top[0].class_index, row->top[0],
               row->truth, common, max_logit_difference, seconds_now() - started);
    }
    deit_session_free(session);
    deit_model_free(model);
    free(rows);

    printf("classify_photos: top-1 agreement with timm %d/%lu, top-5 overlap %.1f %%, %d failed to classify\n",
           agree, (unsigned long)count, classified ? 100.0 * overlap / (TOP_K * classified) : 0.0, failures);
    if (failures > 0 || (double)agree < REQUIRED_AGREEMENT * (double)count) {
        printf("classify_photos: FAILED (needs every photo classified and >= 98 %% top-1 agreement)\n");
        return 1;
    }
    printf("classify_photos: OK\n");
    return 0;
}
