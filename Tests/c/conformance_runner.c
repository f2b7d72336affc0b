/*
 * conformance_runner — checks libdeit against reference logits, using nothing but include/deit.h.
 *
 *   conformance_runner [conformance-dir [shared-dir]]
 *     conformance-dir  default Tests/Fixtures/conformance (manifest.tsv + one directory per model)
 *     shared-dir       default $DEIT_SHARED, else ../shared; the real DeiT-Tiny weights and the 16
 *                      timm reference photos. Skipped with a message when absent.
 *   DEIT_REFERENCE_LIMIT=N (optional) runs only N of the reference photos, evenly spread over their
 *                      sorted names: for slow targets (scripts/check-aarch64.sh under qemu). Unset: all.
 *
 * For every model: load it from the file and from memory, check deit_model_get_info against the
 * expected configuration, then run every input through a 1-thread session (file model), a 1-thread
 * session in a caller arena (memory model; its logits must be bit-identical), a 2-thread session,
 * and a 1-thread session made through the *_with_options entry points (bit-identical too).
 * A case passes when max|logits - reference| <= 2e-4 * max(1, max|reference|) and the top-5 class
 * index sets agree. Exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include "deit.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOP_K = 5, MAX_PATH = 4096 };
static const double RELATIVE_TOLERANCE = 2e-4;

static int case_count;
static int failure_count;

static void fail(const char *what, const char *detail) {
    printf("FAIL  %s: %s\n", what, detail);
    failure_count++;
}

/* MARK: Files */

/** Reads a whole file into a malloc'ed buffer; returns NULL (and says why) on failure. */
static unsigned char *read_file(const char *path, size_t *out_size) {
    FILE *file = fopen(path, "rb");
    unsigned char *data = NULL;
    long end;
    *out_size = 0;
    if (file == NULL) {
        printf("FAIL  cannot open %s\n", path);
        failure_count++;
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
    if (data == NULL) {
        printf("FAIL  cannot read %s\n", path);
        failure_count++;
    }
    return data;
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/** Reads exactly `count` little-endian float32 values; NULL (after reporting) otherwise. */
static float *read_floats(const char *path, size_t count) {
    size_t size = 0, i;
    unsigned char *bytes = read_file(path, &size);
    if (bytes == NULL) return NULL;
    if (size != count * sizeof(float)) {
        char detail[128];
        sprintf(detail, "%lu bytes, expected %lu float32 values", (unsigned long)size, (unsigned long)count);
        fail(path, detail);
        free(bytes);
        return NULL;
    }
    if (!host_is_little_endian()) {
        for (i = 0; i < size; i += 4) {
            unsigned char t0 = bytes[i], t1 = bytes[i + 1];
            bytes[i] = bytes[i + 3]; bytes[i + 1] = bytes[i + 2]; bytes[i + 2] = t1; bytes[i + 3] = t0;
        }
    }
    return (float *)(void *)bytes; /* malloc'ed memory is suitably aligned for float */
}

static int file_exists(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return 0;
    fclose(file);
    return 1;
}

/* MARK: Expected configuration */

/** One model's expected configuration (a manifest row, or DeiT-Tiny for the real weights). */
typedef struct expected_model {
    char name[256];
    int image_size, patch_size, embed_dim, depth, num_heads, mlp_hidden, num_classes, distilled;
    /* timm options from the manifest's optional `features` column (comma-separated; "-" for none) */
    int layer_scale, no_qkv_bias, no_embed_class;
    int no_class_token, reg_tokens, qk_norm, pre_norm; /* pre_norm: norm_pre and no patch-embedding bias */
    /* CaiT: class-attention blocks ("class_attention=J"; -1 for a ViT), with talking heads in the patch blocks */
    int class_attention;
} expected_model;

/** Prefix tokens in timm's order: class (unless no_class_token), distillation, registers. */
static int prefix_tokens(const expected_model *m) {
    return (m->no_class_token ? 0 : 1) + (m->distilled != 0) + m->reg_tokens;
}

/** timm's parameter count for a DeiT/ViT of this configuration. */
static uint64_t expected_num_params(const expected_model *m) {
    const uint64_t e = (uint64_t)m->embed_dim, h = (uint64_t)m->mlp_hidden, c = (uint64_t)m->num_classes;
    const uint64_t p = (uint64_t)m->patch_size, g = (uint64_t)(m->image_size / m->patch_size);
    const uint64_t prefix = (uint64_t)prefix_tokens(m);
    const uint64_t tokens = g * g + prefix;
    const uint64_t head_dim = e / (uint64_t)m->num_heads;
    const uint64_t block = 2 * e + (3 * e * e + (m->no_qkv_bias ? 0 : 3 * e)) + (e * e + e) + 2 * e + (h * e + h) +
                           (e * h + e) + (m->layer_scale ? 2 * e : 0) + (m->qk_norm ? 4 * head_dim : 0);
    const uint64_t heads = (c * e + c) * (1 + (uint64_t)(m->distilled != 0)); /* head (+ head_dist) */
    const uint64_t pos_embed = m->no_embed_class ? g * g : tokens;
    uint64_t cait = 0;
    if (m->class_attention >= 0) { /* proj_l, proj_w per patch block; the class-attention blocks (MLP width h) */
        const uint64_t n = (uint64_t)m->num_heads;
        const uint64_t class_block = 4 * e + 3 * (e * e + (m->no_qkv_bias ? 0 : e)) + (e * e + e) + (h * e + h) +
                                     (e * h + e) + 2 * e;
        cait = (uint64_t)m->depth * 2 * (n * n + n) + (uint64_t)m->class_attention * class_block;
    }
    const uint64_t patch_embed = e * 3 * p * p + (m->pre_norm ? 0 : e);
    return patch_embed + prefix * e + pos_embed * e + (uint64_t)m->depth * block + 2 * e + (m->pre_norm ? 2 * e : 0) +
           heads + cait;
}

/** Compares deit_model_get_info with the expected configuration; returns 1 when all fields agree. */
static int check_info(const char *label, const deit_model *model, const expected_model *m) {
    deit_model_info info;
    char detail[512];
    const int grid = m->image_size / m->patch_size;
    const int tokens = grid * grid + prefix_tokens(m);
    const uint64_t params = expected_num_params(m);
    deit_status status;
    info.struct_size = sizeof info;
    status = deit_model_get_info(model, &info);
    if (status != DEIT_OK) {
        sprintf(detail, "deit_model_get_info returned %s: %.300s", deit_status_string(status), deit_last_error());
        fail(label, detail);
        return 0;
    }
#define CHECK_FIELD(field, expected)                                                             \
    if ((long long)info.field != (long long)(expected)) {                                         \
        sprintf(detail, "info." #field " = %lld, expected %lld", (long long)info.field,          \
                (long long)(expected));                                                           \
        fail(label, detail);                                                                      \
        return 0;                                                                                 \
    }
    CHECK_FIELD(image_size, m->image_size)
    CHECK_FIELD(patch_size, m->patch_size)
    CHECK_FIELD(embed_dim, m->embed_dim)
    CHECK_FIELD(depth, m->depth)
    CHECK_FIELD(num_heads, m->num_heads)
    CHECK_FIELD(num_classes, m->num_classes)
    CHECK_FIELD(num_tokens, tokens)
    CHECK_FIELD(distilled, m->distilled != 0)
    CHECK_FIELD(num_params, params)
    CHECK_FIELD(feature_dim, m->embed_dim)
    CHECK_FIELD(output_dim, m->num_classes > 0 ? m->num_classes : m->embed_dim) /* headless: the features */
#undef CHECK_FIELD
    if (info.weight_bytes == 0) {
        fail(label, "info.weight_bytes is 0");
        return 0;
    }
    return 1;
}

/* MARK: Comparing logits */

/** Indices of the `TOP_K` largest values (ties: lower index first), in ascending index order. */
static void top_k_sorted(const float *values, size_t count, size_t out[TOP_K]) {
    size_t k, i, j;
    for (k = 0; k < TOP_K; k++) {
        size_t best = (size_t)-1;
        for (i = 0; i < count; i++) {
            int taken = 0;
            for (j = 0; j < k; j++) taken |= out[j] == i;
            if (!taken && (best == (size_t)-1 || values[i] > values[best])) best = i;
        }
        out[k] = best;
    }
    for (i = 1; i < TOP_K; i++)
        for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
            size_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

/** max|a - b| (infinity when either holds NaN or infinity). */
static double max_abs_error(const float *a, const float *b, size_t count) {
    double worst = 0;
    size_t i;
    for (i = 0; i < count; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst)) worst = isfinite(d) ? d : INFINITY;
    }
    return worst;
}

static double max_abs(const float *a, size_t count) {
    double worst = 0;
    size_t i;
    for (i = 0; i < count; i++)
        if (fabs((double)a[i]) > worst) worst = fabs((double)a[i]);
    return worst;
}

static int same_top_k(const float *a, const float *b, size_t count) {
    size_t ta[TOP_K], tb[TOP_K];
    if (count < TOP_K) return 1;
    top_k_sorted(a, count, ta);
    top_k_sorted(b, count, tb);
    return memcmp(ta, tb, sizeof ta) == 0;
}

/* MARK: Running a model */

/** One input: its name and the paths of its input and reference files. */
typedef struct test_case {
    char name[256];
    char input_path[MAX_PATH];
    char logits_path[MAX_PATH];
    char features_path[MAX_PATH]; /* timm's pre-logits features (D floats); "" when there is none */
    char tokens_path[MAX_PATH];   /* timm's forward_features (T×D floats); "" when there is none */
} test_case;

typedef struct sessions {
    deit_model *file_model, *memory_model, *options_model;
    deit_session *single, *in_arena, *two_threads, *with_options;
    void *arena, *options_arena;
} sessions;

static void free_sessions(sessions *s) {
    deit_session_free(s->single);
    deit_session_free(s->in_arena);
    deit_session_free(s->two_threads);
    deit_session_free(s->with_options);
    deit_model_free(s->file_model);
    deit_model_free(s->memory_model);
    deit_model_free(s->options_model);
    free(s->arena);
    free(s->options_arena);
    memset(s, 0, sizeof *s);
}

static int check_ok(const char *label, const char *what, deit_status status) {
    char detail[512];
    if (status == DEIT_OK) return 1;
    sprintf(detail, "%s returned %s: %.300s", what, deit_status_string(status), deit_last_error());
    fail(label, detail);
    return 0;
}

/**
 * The fourth session, through the options entry points: the model loaded with
 * deit_model_load_file_with_options (explicit limits, image_size = the trained size), the session
 * created with deit_session_create_with_options in a caller arena sized by
 * deit_session_arena_size_with_options, which must equal deit_session_arena_size's.
 */
static int open_with_options(const char *label, const char *model_path, const expected_model *expected,
                             size_t old_arena_bytes, sessions *s) {
    deit_limits limits;
    deit_load_options load;
    deit_session_options options;
    size_t arena_bytes = 0;
    char detail[128];

    deit_limits_default(&limits);
    deit_load_options_default(&load);
    load.limits = &limits;
    load.image_size = expected->image_size;
    if (!check_ok(label, "deit_model_load_file_with_options",
                  deit_model_load_file_with_options(model_path, &load, &s->options_model)))
        return 0;
    deit_session_options_default(&options);
    options.kernel_set = "auto";
    if (!check_ok(label, "deit_session_arena_size_with_options",
                  deit_session_arena_size_with_options(s->options_model, &options, &arena_bytes)))
        return 0;
    if (arena_bytes != old_arena_bytes) {
        sprintf(detail, "deit_session_arena_size_with_options gives %lu bytes, deit_session_arena_size %lu",
                (unsigned long)arena_bytes, (unsigned long)old_arena_bytes);
        fail(label, detail);
        return 0;
    }
    if (posix_memalign(&s->options_arena, 64, arena_bytes) != 0) {
        fail(label, "posix_memalign failed for the options arena");
        return 0;
    }
    memset(s->options_arena, 0xC3, arena_bytes);
    return check_ok(label, "deit_session_create_with_options",
                    deit_session_create_with_options(s->options_model, &options, s->options_arena, arena_bytes,
                                                     &s->with_options));
}

/** Every session's kernel set (deit_session_get_kernel_set): the same for all four (each chose it at
 * creation), and when DEIT_EXPECT_KERNEL_SET is set, that set (scripts/check-kernel-sets.sh runs this
 * library under qemu CPUs that must choose portable or avx2-fma). Printed for the first model. */
static int check_kernel_set(const char *label, const sessions *s) {
    static int printed;
    const deit_session *all[4];
    const char *first = NULL, *expected = getenv("DEIT_EXPECT_KERNEL_SET");
    char detail[256];
    int i;
    all[0] = s->single, all[1] = s->in_arena, all[2] = s->two_threads, all[3] = s->with_options;
    for (i = 0; i < 4; i++) {
        const char *name = NULL;
        if (!check_ok(label, "deit_session_get_kernel_set", deit_session_get_kernel_set(all[i], &name))) return 0;
        if (name == NULL || (first != NULL && strcmp(name, first) != 0)) {
            sprintf(detail, "session %d runs kernel set \"%.32s\", session 0 \"%.32s\"", i, name ? name : "(null)",
                    first ? first : "(null)");
            fail(label, detail);
            return 0;
        }
        first = name;
    }
    if (expected != NULL && *expected != '\0' && strcmp(first, expected) != 0) {
        sprintf(detail, "the sessions chose kernel set \"%.32s\"; DEIT_EXPECT_KERNEL_SET is \"%.32s\"", first, expected);
        fail(label, detail);
        return 0;
    }
    if (!printed) printf("kernel set: %s (chosen by the library)\n", first);
    printed = 1;
    return 1;
}

/** Loads the model three ways and creates the four sessions; returns 0 (after reporting) on failure. */
static int open_model(const char *label, const char *model_path, const expected_model *expected, sessions *s) {
    size_t size = 0, arena_bytes = 0;
    unsigned char *bytes;
    deit_status status;
    memset(s, 0, sizeof *s);

    status = deit_model_load_file(model_path, &s->file_model);
    if (!check_ok(label, "deit_model_load_file", status)) return 0;

    bytes = read_file(model_path, &size);
    if (bytes == NULL) return 0;
    status = deit_model_load_memory(bytes, size, &s->memory_model);
    memset(bytes, 0xA5, size); /* the loader must have copied what it needs */
    free(bytes);
    if (!check_ok(label, "deit_model_load_memory", status)) return 0;

    if (!check_info(label, s->file_model, expected) || !check_info(label, s->memory_model, expected)) return 0;

    status = deit_session_arena_size(s->memory_model, 1, &arena_bytes);
    if (!check_ok(label, "deit_session_arena_size", status)) return 0;
    if (arena_bytes == 0) {
        fail(label, "deit_session_arena_size reported 0 bytes");
        return 0;
    }
    if (posix_memalign(&s->arena, 64, arena_bytes) != 0) {
        fail(label, "posix_memalign failed for the arena");
        return 0;
    }
    memset(s->arena, 0x5A, arena_bytes); /* the session must not rely on zeroed memory */
    return check_ok(label, "deit_session_create (1 thread)",
                          deit_session_create(s->file_model, 1, NULL, 0, &s->single)) &&
           check_ok(label, "deit_session_create (caller arena)",
                          deit_session_create(s->memory_model, 1, s->arena, arena_bytes, &s->in_arena)) &&
           check_ok(label, "deit_session_create (2 threads)",
                          deit_session_create(s->file_model, 2, NULL, 0, &s->two_threads)) &&
           open_with_options(label, model_path, expected, arena_bytes, s) && check_kernel_set(label, s);
}

/** deit_session_run_tokens against timm's forward_features (1 and 2 threads), a wrong count refused, and a
 * plain run after it still giving `single`'s logits bit for bit; problems are appended to `problems`. */
static void check_tokens(const sessions *s, const expected_model *m, const test_case *c, const float *input,
                         const float *single, size_t class_count, char *problems) {
    const size_t input_count = 3 * (size_t)m->image_size * (size_t)m->image_size;
    const int grid = m->image_size / m->patch_size;
    const size_t token_count = (size_t)(grid * grid + prefix_tokens(m)) * (size_t)m->embed_dim;
    float *reference = read_floats(c->tokens_path, token_count);
    float *tokens = calloc(token_count, sizeof(float)), *tokens_two = calloc(token_count, sizeof(float));
    float *again = calloc(class_count, sizeof(float));
    deit_status status;
    if (reference == NULL || tokens == NULL || tokens_two == NULL || again == NULL) {
        strcat(problems, " [could not read the tokens file]");
    } else if ((status = deit_session_run_tokens(s->single, input, input_count, tokens, token_count)) != DEIT_OK ||
               (status = deit_session_run_tokens(s->two_threads, input, input_count, tokens_two, token_count)) != DEIT_OK) {
        sprintf(problems + strlen(problems), " [deit_session_run_tokens returned %s: %.300s]", deit_status_string(status),
                deit_last_error());
    } else {
        const double tolerance =
            RELATIVE_TOLERANCE * (max_abs(reference, token_count) > 1 ? max_abs(reference, token_count) : 1);
        if (!(max_abs_error(tokens, reference, token_count) <= tolerance)) strcat(problems, " [tokens error above tolerance]");
        if (!(max_abs_error(tokens_two, reference, token_count) <= tolerance))
            strcat(problems, " [2-thread tokens error above tolerance]");
        if (deit_session_run_tokens(s->single, input, input_count, tokens, token_count - 1) != DEIT_ERR_INVALID_ARGUMENT)
            strcat(problems, " [a short tokens buffer was not refused]");
        if (deit_session_run(s->single, input, input_count, again, class_count) != DEIT_OK ||
            memcmp(single, again, class_count * sizeof(float)) != 0)
            strcat(problems, " [a plain run after the tokens run gives different logits]");
    }
    free(reference);
    free(tokens);
    free(tokens_two);
    free(again);
}

/** Runs one case through every session, prints its line and counts a failure if any check fails. */
static void run_case(const char *label, const sessions *s, const expected_model *m, const test_case *c) {
    const size_t input_count = 3 * (size_t)m->image_size * (size_t)m->image_size;
    /* What deit_session_run writes: the logits, or a headless model's D features. */
    const size_t class_count = (size_t)(m->num_classes > 0 ? m->num_classes : m->embed_dim);
    const size_t feature_count = (size_t)m->embed_dim;
    float *features = NULL, *features_two = NULL, *features_reference = NULL;
    double feature_error = 0;
    char case_label[600], problems[1024] = "";
    float *input = read_floats(c->input_path, input_count);
    float *reference = read_floats(c->logits_path, class_count);
    float *single = calloc(class_count, sizeof(float));
    float *in_arena = calloc(class_count, sizeof(float));
    float *two_threads = calloc(class_count, sizeof(float));
    float *with_options = calloc(class_count, sizeof(float));
    double error = INFINITY, error_two = INFINITY, tolerance = 0;
    deit_status status;

    sprintf(case_label, "%.250s/%.250s", label, c->name);
    case_count++;
    if (input == NULL || reference == NULL || single == NULL || in_arena == NULL || two_threads == NULL ||
        with_options == NULL) {
        fail(case_label, "could not read the case's files");
        goto done;
    }
    tolerance = RELATIVE_TOLERANCE * (max_abs(reference, class_count) > 1 ? max_abs(reference, class_count) : 1);

    if ((status = deit_session_run(s->single, input, input_count, single, class_count)) != DEIT_OK ||
        (status = deit_session_run(s->in_arena, input, input_count, in_arena, class_count)) != DEIT_OK ||
        (status = deit_session_run(s->two_threads, input, input_count, two_threads, class_count)) != DEIT_OK ||
        (status = deit_session_run(s->with_options, input, input_count, with_options, class_count)) != DEIT_OK) {
        sprintf(problems, "deit_session_run returned %s: %.300s", deit_status_string(status), deit_last_error());
        fail(case_label, problems);
        goto done;
    }
    error = max_abs_error(single, reference, class_count);
    error_two = max_abs_error(two_threads, reference, class_count);
    if (!(error <= tolerance)) strcat(problems, " [error above tolerance]");
    if (!(error_two <= tolerance)) strcat(problems, " [2-thread error above tolerance]");
    if (m->num_classes > 0) { /* a ranking of a headless model's features means nothing */
        if (!same_top_k(single, reference, class_count)) strcat(problems, " [top-5 differs]");
        if (!same_top_k(two_threads, reference, class_count)) strcat(problems, " [2-thread top-5 differs]");
    }
    if (c->features_path[0] != '\0') {
        double feature_tolerance;
        features_reference = read_floats(c->features_path, feature_count);
        features = calloc(feature_count, sizeof(float));
        features_two = calloc(feature_count, sizeof(float));
        if (features_reference == NULL || features == NULL || features_two == NULL) {
            strcat(problems, " [could not read the features file]");
        } else if ((status = deit_session_run_features(s->single, input, input_count, features, feature_count)) != DEIT_OK ||
                   (status = deit_session_run_features(s->two_threads, input, input_count, features_two,
                                                       feature_count)) != DEIT_OK) {
            sprintf(problems + strlen(problems), " [deit_session_run_features returned %s: %.300s]",
                    deit_status_string(status), deit_last_error());
        } else {
            feature_tolerance = RELATIVE_TOLERANCE *
                (max_abs(features_reference, feature_count) > 1 ? max_abs(features_reference, feature_count) : 1);
            feature_error = max_abs_error(features, features_reference, feature_count);
            if (!(feature_error <= feature_tolerance)) strcat(problems, " [features error above tolerance]");
            if (!(max_abs_error(features_two, features_reference, feature_count) <= feature_tolerance))
                strcat(problems, " [2-thread features error above tolerance]");
            if (m->num_classes == 0 && memcmp(single, features, feature_count * sizeof(float)) != 0)
                strcat(problems, " [a headless run's output is not its features]");
        }
    }
    if (c->tokens_path[0] != '\0') check_tokens(s, m, c, input, single, class_count, problems);
    if (memcmp(single, in_arena, class_count * sizeof(float)) != 0)
        strcat(problems, " [memory-loaded model in caller arena gives different logits]");
    if (memcmp(single, with_options, class_count * sizeof(float)) != 0)
        strcat(problems, " [the *_with_options entry points give different logits]");

    printf("%s  %-48s max_err %.3e  tol %.3e  (2 threads %.3e; features %.3e)%s\n", problems[0] ? "FAIL" : "PASS",
           case_label, error, tolerance, error_two, feature_error, problems);
    if (problems[0]) failure_count++;
done:
    free(input);
    free(reference);
    free(single);
    free(in_arena);
    free(two_threads);
    free(with_options);
    free(features);
    free(features_two);
    free(features_reference);
}

static void run_model(const char *label, const char *model_path, const expected_model *m, const test_case *cases,
                      size_t case_total) {
    sessions s;
    size_t i;
    if (open_model(label, model_path, m, &s))
        for (i = 0; i < case_total; i++) run_case(label, &s, m, &cases[i]);
    free_sessions(&s);
}

/* MARK: Fixture manifest */

/** Splits `line` at tabs in place; returns the number of fields (at most `capacity`). */
static size_t split_tabs(char *line, char **fields, size_t capacity) {
    size_t n = 0;
    char *p = line;
    while (n < capacity) {
        fields[n++] = p;
        p = strchr(p, '\t');
        if (p == NULL) break;
        *p++ = '\0';
    }
    return n;
}

static int parse_int(const char *text, int *out) {
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < 0 || value > 1000000) return 0;
    *out = (int)value;
    return 1;
}

static int parse_bool(const char *text, int *out) {
    char lower[8];
    size_t i;
    for (i = 0; text[i] && i < sizeof lower - 1; i++) lower[i] = (char)tolower((unsigned char)text[i]);
    lower[i] = '\0';
    if (!strcmp(lower, "1") || !strcmp(lower, "true") || !strcmp(lower, "yes")) *out = 1;
    else if (!strcmp(lower, "0") || !strcmp(lower, "false") || !strcmp(lower, "no")) *out = 0;
    else return 0;
    return 1;
}

enum { COL_MODEL, COL_IMAGE, COL_PATCH, COL_EMBED, COL_DEPTH, COL_HEADS, COL_MLP, COL_CLASSES, COL_DISTILLED,
       COL_DTYPE, COL_INPUTS, COLUMN_COUNT };
static const char *const column_names[COLUMN_COUNT] = {"model", "image_size", "patch_size", "embed_dim",
                                                       "depth", "num_heads", "mlp_hidden", "num_classes",
                                                       "distilled", "dtype", "inputs"};

/** Runs every model of `<dir>/manifest.tsv`; returns the number of models (0 after reporting on error). */
static int run_fixtures(const char *dir) {
    char path[MAX_PATH], *text, *line, *next, *fields[64];
    int column_of[COLUMN_COUNT], models = 0, have_header = 0, features_column = -1;
    size_t size, field_count, i, c;

    sprintf(path, "%.4000s/manifest.tsv", dir);
    text = (char *)read_file(path, &size);
    if (text == NULL) return 0;
    text[size] = '\0';

    for (line = text; line != NULL && *line; line = next) {
        expected_model m;
        test_case *cases = NULL;
        size_t case_total = 0;
        char *input, *rest, model_path[MAX_PATH];
        int ok;

        next = strchr(line, '\n');
        if (next != NULL) *next++ = '\0';
        if (strlen(line) > 0 && line[strlen(line) - 1] == '\r') line[strlen(line) - 1] = '\0';
        if (*line == '\0' || *line == '#') continue;
        field_count = split_tabs(line, fields, 64);

        if (!have_header) { /* the first line names the columns; find each by name */
            have_header = 1;
            for (c = 0; c < COLUMN_COUNT; c++) {
                column_of[c] = -1;
                for (i = 0; i < field_count; i++)
                    if (!strcmp(fields[i], column_names[c])) column_of[c] = (int)i;
                if (column_of[c] < 0) {
                    char detail[128];
                    sprintf(detail, "the header lacks the column \"%s\"", column_names[c]);
                    fail(path, detail);
                    free(text);
                    return 0;
                }
            }
            features_column = -1; /* optional: older manifests have no `features` column */
            for (i = 0; i < field_count; i++)
                if (!strcmp(fields[i], "features")) features_column = (int)i;
            continue;
        }
        for (c = 0; c < COLUMN_COUNT; c++)
            if ((size_t)column_of[c] >= field_count) {
                fail(path, "a row has fewer fields than the header");
                free(text);
                return 0;
            }
        memset(&m, 0, sizeof m);
        m.class_attention = -1;
        sprintf(m.name, "%.200s", fields[column_of[COL_MODEL]]);
        ok = parse_int(fields[column_of[COL_IMAGE]], &m.image_size) &&
             parse_int(fields[column_of[COL_PATCH]], &m.patch_size) &&
             parse_int(fields[column_of[COL_EMBED]], &m.embed_dim) &&
             parse_int(fields[column_of[COL_DEPTH]], &m.depth) &&
             parse_int(fields[column_of[COL_HEADS]], &m.num_heads) &&
             parse_int(fields[column_of[COL_MLP]], &m.mlp_hidden) &&
             parse_int(fields[column_of[COL_CLASSES]], &m.num_classes) &&
             parse_bool(fields[column_of[COL_DISTILLED]], &m.distilled) && m.patch_size > 0;
        if (ok && features_column >= 0 && (size_t)features_column < field_count) {
            const char *features = fields[features_column];
            m.layer_scale = strstr(features, "layer_scale") != NULL;
            m.no_qkv_bias = strstr(features, "no_qkv_bias") != NULL;
            m.no_embed_class = strstr(features, "no_embed_class") != NULL;
            m.no_class_token = strstr(features, "no_class_token") != NULL;
            m.qk_norm = strstr(features, "qk_norm") != NULL;
            m.pre_norm = strstr(features, "pre_norm") != NULL;
            {   /* "regN": N register tokens */
                const char *reg = strstr(features, "reg");
                m.reg_tokens = reg != NULL && reg[3] >= '0' && reg[3] <= '9' ? atoi(reg + 3) : 0;
            }
            if (strstr(features, "class_attention=") != NULL)
                m.class_attention = atoi(strstr(features, "class_attention=") + strlen("class_attention="));
        }
        if (!ok) {
            fail(m.name, "manifest row has an unreadable number");
            free(text);
            return 0;
        }
        for (input = fields[column_of[COL_INPUTS]]; input != NULL; input = rest) {
            rest = strchr(input, ',');
            if (rest != NULL) *rest++ = '\0';
            while (*input == ' ') input++;
            if (*input == '\0') continue;
            cases = realloc(cases, (case_total + 1) * sizeof *cases);
            if (cases == NULL) { fail(m.name, "out of memory"); free(text); return 0; }
            sprintf(cases[case_total].name, "%.250s", input);
            sprintf(cases[case_total].input_path, "%.2000s/%.200s/%.250s.in.f32", dir, m.name, input);
            sprintf(cases[case_total].logits_path, "%.2000s/%.200s/%.250s.logits.f32", dir, m.name, input);
            sprintf(cases[case_total].features_path, "%.2000s/%.200s/%.250s.features.f32", dir, m.name, input);
            if (!file_exists(cases[case_total].features_path)) cases[case_total].features_path[0] = '\0';
            sprintf(cases[case_total].tokens_path, "%.2000s/%.200s/%.250s.tokens.f32", dir, m.name, input);
            if (!file_exists(cases[case_total].tokens_path)) cases[case_total].tokens_path[0] = '\0';
            case_total++;
        }
        if (case_total == 0) fail(m.name, "manifest lists no inputs");
        printf("model %s (%s, %dx%d/%d, embed %d, depth %d, heads %d, mlp %d, classes %d%s): %lu inputs\n", m.name,
               fields[column_of[COL_DTYPE]], m.image_size, m.image_size, m.patch_size, m.embed_dim, m.depth,
               m.num_heads, m.mlp_hidden, m.num_classes, m.distilled ? ", distilled" : "", (unsigned long)case_total);
        sprintf(model_path, "%.2000s/%.200s/model.safetensors", dir, m.name);
        run_model(m.name, model_path, &m, cases, case_total);
        free(cases);
        models++;
    }
    free(text);
    if (models == 0) fail(path, "lists no models");
    return models;
}

/* MARK: Real weights from ../shared */

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/** How many of `available` reference photos to run: $DEIT_REFERENCE_LIMIT if it is a smaller positive
 *  number, else all of them. */
static size_t reference_limit(size_t available) {
    const char *text = getenv("DEIT_REFERENCE_LIMIT");
    char *end;
    long limit;
    if (text == NULL || *text == '\0') return available;
    limit = strtol(text, &end, 10);
    if (*end != '\0' || limit <= 0) {
        printf("conformance: ignoring DEIT_REFERENCE_LIMIT=%.40s (not a positive number)\n", text);
        return available;
    }
    return (size_t)limit < available ? (size_t)limit : available;
}

/** Runs DeiT-Tiny on every reference photo in <shared>/data/reference; returns 0 when shared is absent. */
static int run_shared(const char *shared) {
    static const char suffix[] = ".in.f32";
    const size_t suffix_length = sizeof suffix - 1;
    expected_model tiny = {"deit-tiny-in1k", 224, 16, 192, 12, 3, 768, 1000, 0, 0, 0, 0, 0, 0, 0, 0, -1};
    char model_path[MAX_PATH], reference_dir[MAX_PATH];
    char **names = NULL;
    size_t name_count = 0, case_total, i;
    test_case *cases;
    struct dirent *entry;
    DIR *dir;

    sprintf(model_path, "%.4000s/models/deit-tiny-in1k.safetensors", shared);
    sprintf(reference_dir, "%.4000s/data/reference", shared);
    if (!file_exists(model_path)) {
        printf("SKIP: ../shared not found (set DEIT_SHARED); looked for %s\n", model_path);
        return 0;
    }
    dir = opendir(reference_dir);
    if (dir == NULL) {
        fail(reference_dir, "cannot open the reference directory");
        return 0;
    }
    while ((entry = readdir(dir)) != NULL) {
        size_t length = strlen(entry->d_name);
        if (length <= suffix_length || strcmp(entry->d_name + length - suffix_length, suffix) != 0) continue;
        names = realloc(names, (name_count + 1) * sizeof *names);
        if (names == NULL || (names[name_count] = malloc(length + 1)) == NULL) break;
        memcpy(names[name_count], entry->d_name, length - suffix_length);
        names[name_count++][length - suffix_length] = '\0';
    }
    closedir(dir);
    if (name_count == 0) {
        fail(reference_dir, "holds no *.in.f32 files");
        free(names);
        return 0;
    }
    qsort(names, name_count, sizeof *names, compare_strings);
    case_total = reference_limit(name_count);
    cases = calloc(case_total, sizeof *cases);
    for (i = 0; cases != NULL && i < case_total; i++) {
        const char *name = names[i * name_count / case_total]; /* evenly spread when limited */
        sprintf(cases[i].name, "%.250s", name);
        sprintf(cases[i].input_path, "%.3000s/%.250s.in.f32", reference_dir, name);
        sprintf(cases[i].logits_path, "%.3000s/%.250s.logits.f32", reference_dir, name);
    }
    if (case_total < name_count)
        printf("model %s (real weights from %s): %lu of %lu reference photos (DEIT_REFERENCE_LIMIT)\n", tiny.name,
               shared, (unsigned long)case_total, (unsigned long)name_count);
    else
        printf("model %s (real weights from %s): %lu reference photos\n", tiny.name, shared, (unsigned long)name_count);
    if (cases != NULL) run_model(tiny.name, model_path, &tiny, cases, case_total);
    for (i = 0; i < name_count; i++) free(names[i]);
    free(names);
    free(cases);
    return 1;
}

int main(int argc, char **argv) {
    const char *fixtures = argc > 1 ? argv[1] : "Tests/Fixtures/conformance";
    const char *shared = argc > 2 ? argv[2] : getenv("DEIT_SHARED");
    if (shared == NULL || *shared == '\0') shared = "../shared";

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("conformance: libdeit %s, fixtures %s\n", deit_version_string(), fixtures);
    run_fixtures(fixtures);
    run_shared(shared);
    printf("conformance: %d cases, %d failures\n", case_count, failure_count);
    return failure_count == 0 && case_count > 0 ? 0 : 1;
}
