/*
 * model_corpus — every file of the malformed-safetensors corpus, loaded through the C API
 * (deit_model_load_file), gets the status and message listed in its expected.tsv, in under a
 * second. The Swift suite checks the same corpus below the API; this runner exists so the whole
 * load path runs under AddressSanitizer (scripts/check-sanitizers.sh).
 *
 *   model_corpus Tests/Fixtures/malformed
 *
 * expected.tsv (scripts/python/gen_malformed_safetensors.py): `file<TAB>status<TAB>expectation`,
 * where the expectation is a substring of deit_last_error() for failures and the derived config
 * ("image=4 patch=2 dim=8 depth=2 heads=2 hidden=16 classes=3 distilled=0") for DEIT_OK rows; the
 * MLP width is not in deit_model_info, so `hidden` is not compared.
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int checks;
static int failures;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/** `dir`/`name` into `out` (cap bytes); 0 if it does not fit. */
static int join_path(char *out, size_t cap, const char *dir, const char *name) {
    size_t dir_length = strlen(dir), name_length = strlen(name);
    if (dir_length + 1 + name_length + 1 > cap) return 0;
    memcpy(out, dir, dir_length);
    out[dir_length] = '/';
    memcpy(out + dir_length + 1, name, name_length + 1);
    return 1;
}

/** Whether the model's info matches an expected.tsv config string. */
static int info_matches(const deit_model *model, const char *expected, char *described, size_t cap) {
    deit_model_info info;
    int image, patch, dim, depth, heads, hidden, classes, distilled;
    info.struct_size = sizeof info;
    if (deit_model_get_info(model, &info) != DEIT_OK) return 0;
    snprintf(described, cap, "image=%d patch=%d dim=%d depth=%d heads=%d classes=%d distilled=%d",
             (int)info.image_size, (int)info.patch_size, (int)info.embed_dim, (int)info.depth,
             (int)info.num_heads, (int)info.num_classes, (int)info.distilled);
    if (sscanf(expected, "image=%d patch=%d dim=%d depth=%d heads=%d hidden=%d classes=%d distilled=%d", &image,
               &patch, &dim, &depth, &heads, &hidden, &classes, &distilled) != 8) {
        return 0;
    }
    return info.image_size == image && info.patch_size == patch && info.embed_dim == dim && info.depth == depth &&
           info.num_heads == heads && info.num_classes == classes && info.distilled == distilled;
}

static void check_file(const char *dir, const char *file, const char *expected_status, const char *expectation) {
    char path[4096], described[256];
    deit_model *model = NULL;
    if (!join_path(path, sizeof path, dir, file)) {
        printf("FAIL  %s: path too long\n", file);
        failures++;
        return;
    }
    double start = now_seconds();
    deit_status status = deit_model_load_file(path, &model);
    double seconds = now_seconds() - start;
    const char *message = deit_last_error();
    const char *got = deit_status_string(status);
    checks++;
    if (strcmp(got, expected_status) != 0) {
        printf("FAIL  %-44s %s, expected %s (%s)\n", file, got, expected_status, message);
        failures++;
    } else if (status == DEIT_OK && !info_matches(model, expectation, described, sizeof described)) {
        printf("FAIL  %-44s loaded as %s, expected %s\n", file, described, expectation);
        failures++;
    } else if (status != DEIT_OK && (message[0] == '\0' || strstr(message, expectation) == NULL)) {
        printf("FAIL  %-44s %s: message \"%s\" does not contain \"%s\"\n", file, got, message, expectation);
        failures++;
    } else if (status != DEIT_OK && model != NULL) {
        printf("FAIL  %-44s %s but *out_model is not NULL\n", file, got);
        failures++;
    } else if (seconds >= 1.0) {
        printf("FAIL  %-44s took %.3f s\n", file, seconds);
        failures++;
    } else {
        printf("ok    %-44s %-24s %6.1f ms\n", file, got, seconds * 1e3);
    }
    deit_model_free(model);
}

int main(int argc, char **argv) {
    char path[4096], line[2048];
    int rows = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s Tests/Fixtures/malformed\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    FILE *expected = join_path(path, sizeof path, argv[1], "expected.tsv") ? fopen(path, "r") : NULL;
    if (expected == NULL) {
        printf("FAIL  cannot open %s/expected.tsv\n", argv[1]);
        return 1;
    }
    while (fgets(line, sizeof line, expected) != NULL) {
        char *file = strtok(line, "\t\n"), *status = strtok(NULL, "\t\n"), *expectation = strtok(NULL, "\n");
        if (file == NULL || file[0] == '#') continue;
        rows++;
        if (status == NULL || expectation == NULL) {
            printf("FAIL  malformed row for %s\n", file);
            failures++;
            continue;
        }
        check_file(argv[1], file, status, expectation);
    }
    fclose(expected);
    if (rows < 60) {
        printf("FAIL  only %d rows in expected.tsv\n", rows);
        failures++;
    }
    printf("model_corpus: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
