/*
 * image_corpus — every file of the malformed-image corpus gets its expected status from
 * deit_classify_file, with a message on failure, in under a second.
 *
 *   image_corpus model.safetensors Tests/Fixtures/malformed-images [scratch dir]
 *
 * expected.tsv (scripts/python/gen_malformed_images.py) lists `file<TAB>status<TAB>reason`. Also:
 * every file on disk is listed; a sparse file just above the 64 MiB image limit (too big to
 * commit) fails with DEIT_ERR_OUT_OF_MEMORY and one of exactly 64 MiB is read and rejected as
 * corrupt (within 5 s: it is read whole); a missing file and a directory fail with DEIT_ERR_IO; a failure whose stb_image reason
 * is empty does not report the previous failure's reason (a stale "outofmem" would turn a corrupt
 * file into DEIT_ERR_OUT_OF_MEMORY).
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 512
#define TIME_LIMIT_SECONDS 1.0

static int checks;
static int failures;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/** Classifies `path`; checks the status, the message on failure, the top-1 result on success and
 *  the time. `label` names the case in the output. */
static void expect_file_within(deit_session *session, const char *path, const char *label, const char *expected,
                               double time_limit) {
    deit_prediction top[1] = {{-1, 0.0f, -1.0f}};
    printf("%-52s ", label); /* before the call: a crash report then follows the file's name */
    fflush(stdout);
    double start = now_seconds();
    deit_status status = deit_classify_file(session, path, 1, top);
    double seconds = now_seconds() - start;
    const char *message = deit_last_error();
    const char *got = deit_status_string(status);
    checks++;
    if (strcmp(got, expected) != 0) {
        printf("FAIL  %s, expected %s (%s)\n", got, expected, message);
        failures++;
    } else if (status != DEIT_OK && (message == NULL || message[0] == '\0')) {
        printf("FAIL  %s with an empty deit_last_error()\n", got);
        failures++;
    } else if (status == DEIT_OK && !(top[0].probability >= 0.0f && top[0].probability <= 1.0f &&
                                     isfinite(top[0].logit) && top[0].class_index >= 0)) {
        printf("FAIL  DEIT_OK but top-1 is class %d, logit %g, probability %g\n", (int)top[0].class_index,
               (double)top[0].logit, (double)top[0].probability);
        failures++;
    } else if (seconds >= time_limit) {
        printf("FAIL  took %.3f s (limit %.1f s)\n", seconds, time_limit);
        failures++;
    } else {
        printf("ok    %-24s %6.1f ms  %s\n", got, seconds * 1e3, status == DEIT_OK ? "" : message);
    }
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

static void expect_file(deit_session *session, const char *path, const char *label, const char *expected) {
    expect_file_within(session, path, label, expected, TIME_LIMIT_SECONDS);
}

typedef struct corpus_row {
    char file[128];
    char status[40];
} corpus_row;

/** Reads expected.tsv into `rows`; returns the count, or -1. */
static int read_expected(const char *dir, corpus_row *rows, int capacity) {
    char path[4096], line[1024];
    int count = 0;
    FILE *file = join_path(path, sizeof path, dir, "expected.tsv") ? fopen(path, "r") : NULL;
    if (file == NULL) {
        printf("FAIL  cannot open %s/expected.tsv\n", dir);
        return -1;
    }
    while (fgets(line, sizeof line, file) != NULL) {
        char *name = strtok(line, "\t\n"), *status = strtok(NULL, "\t\n");
        if (name == NULL || name[0] == '#') continue;
        if (status == NULL || count == capacity || strlen(name) >= sizeof rows[0].file ||
            strlen(status) >= sizeof rows[0].status) {
            printf("FAIL  bad or too many rows in %s (at '%s')\n", path, name);
            fclose(file);
            return -1;
        }
        snprintf(rows[count].file, sizeof rows[count].file, "%s", name);
        snprintf(rows[count].status, sizeof rows[count].status, "%s", status);
        count++;
    }
    fclose(file);
    return count;
}

/** Every image file in `dir` has a row, and no row is listed twice. */
static void check_listing(const char *dir, const corpus_row *rows, int count) {
    DIR *listing = opendir(dir);
    struct dirent *entry;
    int unlisted = 0, duplicates = 0, i, j;
    if (listing == NULL) {
        printf("FAIL  cannot list %s\n", dir);
        failures++;
        return;
    }
    while ((entry = readdir(listing)) != NULL) {
        const char *name = entry->d_name;
        int listed = 0;
        if (name[0] == '.' || strcmp(name, "expected.tsv") == 0 || strcmp(name, "README.md") == 0) continue;
        for (i = 0; i < count && !listed; i++) listed = strcmp(rows[i].file, name) == 0;
        if (!listed) {
            printf("FAIL  %s is not listed in expected.tsv\n", name);
            unlisted++;
        }
    }
    closedir(listing);
    for (i = 0; i < count; i++)
        for (j = i + 1; j < count; j++)
            if (strcmp(rows[i].file, rows[j].file) == 0) duplicates++;
    checks++;
    if (unlisted || duplicates || count < 100) {
        printf("FAIL  corpus listing: %d unlisted, %d duplicate rows, %d rows (expected >= 100)\n", unlisted,
               duplicates, count);
        failures++;
    }
}

/** A sparse file of `size` bytes that starts like a JPEG (the rest reads as zeros). */
static int write_sparse_jpeg(const char *path, off_t size) {
    static const unsigned char start[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    int ok = write(fd, start, sizeof start) == (ssize_t)sizeof start && ftruncate(fd, size) == 0;
    return close(fd) == 0 && ok;
}

static void check_sparse_files(deit_session *session, const char *scratch) {
    char path[4096];
    const off_t limit = (off_t)64 << 20;
    char name[64];
    snprintf(name, sizeof name, "image_corpus_sparse_%ld.jpg", (long)getpid());
    if (!join_path(path, sizeof path, scratch, name)) return;
    if (!write_sparse_jpeg(path, limit + 1)) {
        printf("FAIL  cannot write the sparse file %s\n", path);
        failures++;
        return;
    }
    expect_file(session, path, "sparse 64 MiB + 1 byte (file-size limit)", "DEIT_ERR_OUT_OF_MEMORY");
    if (write_sparse_jpeg(path, limit)) {
        /* Read whole (64 MiB) and scanned: more time than the small corpus files get. */
        expect_file_within(session, path, "sparse exactly 64 MiB, JPEG header + zeros", "DEIT_ERR_FORMAT", 5.0);
    } else {
        printf("FAIL  cannot rewrite the sparse file %s\n", path);
        failures++;
    }
    unlink(path);
}

int main(int argc, char **argv) {
    static corpus_row rows[MAX_FILES];
    deit_model *model = NULL;
    deit_session *session = NULL;
    char path[4096];
    int count, i;

    if (argc < 3) {
        fprintf(stderr, "usage: %s model.safetensors corpus-dir [scratch-dir]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *dir = argv[2], *scratch = argc > 3 ? argv[3] : "/tmp";
    if (deit_model_load_file(argv[1], &model) != DEIT_OK ||
        deit_session_create(model, 1, NULL, 0, &session) != DEIT_OK) {
        printf("FAIL  cannot load %s: %s\n", argv[1], deit_last_error());
        return 1;
    }

    count = read_expected(dir, rows, MAX_FILES);
    if (count < 0) return 1;
    check_listing(dir, rows, count);
    for (i = 0; i < count; i++) {
        if (!join_path(path, sizeof path, dir, rows[i].file)) return 1;
        expect_file(session, path, rows[i].file, rows[i].status);
    }

    /* stb_image fails some JPEG checks without setting a reason; the previous call's "outofmem"
     * must not leak into the next status. */
    static const char *const stale_pairs[][2] = {
        {"png_zlib_bomb_1x1.png", "jpeg_sos_unknown_component.jpg"},
        {"png_zlib_bomb_1x1.png", "jpeg_dqt_length_odd.jpg"},
        {"png_zlib_bomb_1x1.png", "jpeg_dht_length_short.jpg"},
    };
    for (i = 0; i < (int)(sizeof stale_pairs / sizeof stale_pairs[0]); i++) {
        char label[160];
        if (!join_path(path, sizeof path, dir, stale_pairs[i][0])) return 1;
        expect_file(session, path, stale_pairs[i][0], "DEIT_ERR_OUT_OF_MEMORY");
        if (!join_path(path, sizeof path, dir, stale_pairs[i][1])) return 1;
        snprintf(label, sizeof label, "%s after outofmem", stale_pairs[i][1]);
        expect_file(session, path, label, "DEIT_ERR_FORMAT");
    }

    check_sparse_files(session, scratch);
    if (!join_path(path, sizeof path, dir, "no-such-file.jpg")) return 1;
    expect_file(session, path, "missing file", "DEIT_ERR_IO");
    expect_file(session, dir, "a directory", "DEIT_ERR_IO");

    deit_session_free(session);
    deit_model_free(model);
    printf("image_corpus: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
