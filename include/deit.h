/*
 * deit.h — C API of libdeit, a runtime for DeiT / ViT image classifiers (timm checkpoints in
 * safetensors format) on CPUs. This hand-written header is the ABI's single source of truth.
 *
 * Ownership
 *   - deit_model_load_* returns a model the caller frees with deit_model_free. The loader copies
 *     what it needs: the file or memory buffer may be released as soon as loading returns.
 *   - A session keeps its model alive: deit_model_free may be called while sessions still use the
 *     model; the weights are released when the last of them is freed.
 *   - An arena passed to deit_session_create* belongs to the caller and must outlive the session.
 * Threading
 *   - A model is immutable after loading; any number of threads may share it.
 *   - A session is used by one thread at a time (one session per thread). A call that finds the
 *     session busy in another thread fails with DEIT_ERR_INVALID_ARGUMENT ("in use") instead of
 *     racing; deit_session_free on a busy session is refused (the session stays valid).
 *   - deit_last_error() is per thread.
 * Linking
 *   pkg-config --cflags --libs deit, or CMake find_package(deit) + target deit::deit (libdeit.so,
 *   SONAME libdeit.so.DEIT_ABI_VERSION) or deit::deit_static (libdeit.a); scripts/install.sh
 *   installs both. Check DEIT_ABI_COMPATIBLE() once at start-up. Only deit_* symbols are exported.
 * Versioned structs
 *   Every struct the caller passes in or out starts with `size_t struct_size`, so that later
 *   versions can append fields without breaking the ABI:
 *   - Options and limits (in): fill with deit_*_default(), which sets struct_size = sizeof, then
 *     change fields. A struct_size of an older header's struct (0.1.0's or later) is accepted and
 *     the fields appended since take their defaults; a smaller one fails with
 *     DEIT_ERR_INVALID_ARGUMENT. A larger one (a newer header) is accepted when every byte past the fields this library
 *     knows is zero, so an option it cannot honour is refused (DEIT_ERR_UNSUPPORTED), never
 *     ignored. At most DEIT_MAX_STRUCT_SIZE bytes are read.
 *   - deit_model_info (out): set info.struct_size = sizeof info before deit_model_get_info; the
 *     library fills the fields it knows that fit, leaves later bytes untouched and sets
 *     struct_size to the bytes it wrote.
 * Changes while the ABI is 0
 *   Before 1.0, DEIT_ABI_VERSION stays 0 and incompatible changes are deliberate and listed here
 *   (rebuild against the new header):
 *   0.1.0: deit_model_info gained struct_size as its first field; callers must set it. Added
 *          deit_session_options, deit_load_options and the *_with_options functions (the older
 *          create, load and arena-size functions are thin wrappers over them); the limits
 *          struct_size rule became the one above (a larger struct needs zero extra bytes).
 *   next (compatible): deit_model_info gained feature_dim and output_dim at its end (0.1.0's size
 *          is still accepted); added deit_session_run_features; headless models (num_classes 0) load.
 *   next (compatible): added deit_session_run_tokens (timm's forward_features, num_tokens × embed_dim).
 *          deit_limits gained max_config_bytes and deit_load_options config_json/config_json_size
 *          at their ends. Input structs from an older header (their 0.1.0 struct_size) are
 *          accepted: the fields they lack take their defaults. deit_model_info gained
 *          num_prefix_tokens (class, distillation and register tokens). Added
 *          deit_session_run_attention, deit_attention_rollout and deit_attention_distance.
 *   next (compatible): deit_session_options.max_batch is honoured (it was 0 or 1; now up to 4096,
 *          default 1) and deit_session_run_batch runs up to that many images in one call.
 *   next (compatible): the kernel set is chosen at session creation among the sets built (any
 *          x86-64 build has portable, avx2-fma and avx512): kernel_set may name any of them;
 *          added deit_session_get_kernel_set.
 *   next (compatible): two x86-64 kernel sets, "avx-vnni" and "avx512-vnni" (the int8 GEMM on
 *          vpdpbusd), chosen before avx2-fma / avx512 on CPUs that have them. Added
 *          deit_model_get_precision.
 * Usage
 *   deit_model *model = NULL;  deit_session *session = NULL;
 *   if (deit_model_load_file("deit_tiny.safetensors", &model) != DEIT_OK) {
 *       fprintf(stderr, "%s\n", deit_last_error()); return 1;
 *   }
 *   deit_model_info info;  info.struct_size = sizeof info;  deit_model_get_info(model, &info);
 *   deit_session_create(model, 1, NULL, 0, &session);
 *   size_t n_in = 3 * (size_t)info.image_size * info.image_size;
 *   float *input = ...;  float *logits = malloc(sizeof(float) * info.output_dim);
 *   deit_session_run(session, input, n_in, logits, (size_t)info.output_dim);
 *   deit_session_free(session);  deit_model_free(model);
 */
#ifndef DEIT_H
#define DEIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEIT_VERSION_MAJOR 0
#define DEIT_VERSION_MINOR 1
#define DEIT_VERSION_PATCH 0

/* The ABI version: the number in the shared library's SONAME (libdeit.so.0). From 1.0 on it
 * changes whenever a function signature, a struct layout or an enum value changes incompatibly;
 * functions added without such a change keep it. While it is 0, see "Changes while the ABI is 0". */
#define DEIT_ABI_VERSION 0

/* DEIT_ABI_VERSION of the library linked at run time. */
int32_t deit_abi_version(void);

/* Non-zero when the library linked at run time has this header's ABI: call it once at start-up,
 * e.g. `if (!DEIT_ABI_COMPATIBLE()) { fprintf(stderr, "libdeit ABI mismatch\n"); return 1; }`. */
#define DEIT_ABI_COMPATIBLE() (deit_abi_version() == DEIT_ABI_VERSION)

typedef enum deit_status {
    DEIT_OK = 0,
    DEIT_ERR_INVALID_ARGUMENT,  /* NULL pointer, wrong count, bad handle, bad thread count */
    DEIT_ERR_IO,                /* the file could not be opened or read */
    DEIT_ERR_FORMAT,            /* malformed safetensors, or tensors that do not form a DeiT/ViT */
    DEIT_ERR_UNSUPPORTED,       /* well-formed, but a dtype or architecture this runtime does not run */
    DEIT_ERR_OUT_OF_MEMORY,     /* an allocation failed or a size limit was exceeded */
    DEIT_ERR_ARENA_TOO_SMALL    /* the caller's arena is smaller than deit_session_arena_size */
} deit_status;

typedef struct deit_model deit_model;     /* immutable, shareable across threads */
typedef struct deit_session deit_session; /* one per thread: arena + workers   */

/* Largest struct_size the library reads from a caller's struct: a bigger value is taken for an
 * uninitialised field (DEIT_ERR_INVALID_ARGUMENT) rather than read past the struct. */
#define DEIT_MAX_STRUCT_SIZE 4096

typedef struct deit_model_info {
    size_t struct_size; /* in: sizeof(deit_model_info), set by the caller; out: bytes written */
    int32_t image_size, patch_size, embed_dim, depth, num_heads;
    int32_t num_classes; /* classifier outputs; 0 for a headless model (timm num_classes=0) */
    int32_t num_tokens; /* T: prefix tokens (class, distillation, registers) + patches; rows of deit_session_run_tokens */
    int32_t distilled;
    uint64_t num_params, weight_bytes;
    /* Added after 0.1.0 (a caller built against the 0.1.0 header gets the fields above only): */
    int32_t feature_dim; /* floats deit_session_run_features writes: the pooled width, embed_dim */
    int32_t output_dim;  /* floats deit_session_run writes: num_classes, or feature_dim if headless */
    /* Added after feature_dim/output_dim: */
    int32_t num_prefix_tokens; /* tokens ahead of the patches: class, distillation, registers */
} deit_model_info;

/* ---- Limits for untrusted files ----------------------------------------------------------
 * Every number read from a model or image file is checked against these limits before anything is
 * sized from it; exceeding one fails with DEIT_ERR_OUT_OF_MEMORY and a message naming the limit.
 * Functions without `_with_limits` use the defaults. Fill a struct with deit_limits_default() and
 * change fields; a field left 0 means its default. */
typedef struct deit_limits {
    size_t struct_size;        /* sizeof(deit_limits), set by deit_limits_default(): lets later
                                  versions append fields without breaking the ABI */
    uint64_t max_model_bytes;  /* whole safetensors file or buffer; default 8 GiB */
    uint64_t max_header_bytes; /* safetensors JSON header; default 100,000,000 (as safetensors) */
    uint64_t max_image_bytes;  /* image file; default 64 MiB */
    uint32_t max_image_width;  /* pixels; default 16384 */
    uint32_t max_image_height; /* pixels; default 16384 */
    uint64_t max_image_pixels; /* width * height; default 50,000,000 */
    uint64_t max_config_bytes; /* a timm config.json (beside the file, or
                                  deit_load_options.config_json); default 16 MiB */
} deit_limits;
/* Fills *out_limits with the defaults. NULL is a no-op. */
void deit_limits_default(deit_limits *out_limits);

/* ---- Loading ------------------------------------------------------------------------------ */

/* Weight precision of a loaded model. */
typedef enum deit_precision {
    DEIT_PRECISION_F32 = 0,  /* float32 weights (F16/BF16 checkpoints are widened). An int8 file
                                (written by deit-cli quantize) is refused with DEIT_ERR_UNSUPPORTED:
                                its float weights are not in it */
    DEIT_PRECISION_INT8 = 1, /* the blocks' Linear layers (qkv, proj, fc1, fc2) and the head(s)
                                quantised to int8 at load (per output channel and per 32 inputs),
                                or read as stored from an int8 file, and run on activations
                                quantised per token and per 32 inputs, as ggml's q8_0;
                                patch embedding, softmax and LayerNorm stay float32, and
                                attention's two products too, except on x86, where they run
                                on 16-bit integers (12 bits per token, channel or probability) */
    DEIT_PRECISION_FILE = 2  /* the file's precision: INT8 for an int8 file, else F32; the default */
} deit_precision;

/* How to load a model. Fill with deit_load_options_default() and change fields. */
typedef struct deit_load_options {
    size_t struct_size;         /* sizeof(deit_load_options), set by deit_load_options_default() */
    const deit_limits *limits;  /* NULL: the default limits. A pointer (not a copy), so deit_limits
                                   can grow without moving the fields below */
    int32_t image_size;         /* input side S in pixels; 0 (default): as trained. Another positive
                                   multiple of the patch size runs the model at S: pos_embed is
                                   resampled once at load as timm's resample_abs_pos_embed does
                                   (bicubic, antialiased, class/distillation tokens kept), and
                                   preprocessing, deit_model_info.image_size and num_tokens follow */
    int32_t precision;          /* a deit_precision; default DEIT_PRECISION_FILE (F32 for a float
                                   checkpoint) */
    const char *config_json;    /* NULL (default): a file load reads the config.json beside the
                                   file, if any; a memory load has none. Else the text of the
                                   model's timm config.json (config_json_size bytes, not
                                   NUL-terminated; copied during the call), used instead */
    size_t config_json_size;    /* bytes at config_json; at most limits->max_config_bytes */
} deit_load_options;

/* Fills *out_options with the defaults (struct_size set, limits NULL, as trained, the file's
 * precision). NULL is a no-op. */
void deit_load_options_default(deit_load_options *out_options);

/* Loads a timm DeiT/ViT checkpoint (safetensors; F32, F16 or BF16 tensors) from a file. The whole
 * header is validated; every failure returns a status and sets deit_last_error().
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (NULL pointer or options, bad struct_size, negative
 * image_size or one that is not a multiple of the patch size, unknown precision), DEIT_ERR_IO,
 * DEIT_ERR_FORMAT, DEIT_ERR_UNSUPPORTED (options from a newer header this
 * library cannot honour) or DEIT_ERR_OUT_OF_MEMORY (also an image_size whose tokens exceed the
 * loader's token limit, 16384). */
deit_status deit_model_load_file_with_options(const char *path, const deit_load_options *options,
                                              deit_model **out_model);

/* As deit_model_load_file_with_options, from `size` bytes at `data` (the buffer may be freed
 * after the call). */
deit_status deit_model_load_memory_with_options(const void *data, size_t size, const deit_load_options *options,
                                                deit_model **out_model);

/* deit_model_load_*_with_options with the default options: same statuses. */
deit_status deit_model_load_file(const char *path, deit_model **out_model);
deit_status deit_model_load_memory(const void *data, size_t size, deit_model **out_model);

/* deit_model_load_*_with_options with default options but these limits (NULL: the defaults): same
 * statuses. */
deit_status deit_model_load_file_with_limits(const char *path, const deit_limits *limits,
                                             deit_model **out_model);
deit_status deit_model_load_memory_with_limits(const void *data, size_t size, const deit_limits *limits,
                                               deit_model **out_model);
/* Releases the caller's reference to a model. NULL is a no-op. */
void deit_model_free(deit_model *model);

/* Fills *out_info; set out_info->struct_size = sizeof *out_info first (see Versioned structs).
 * A struct_size from 0.1.0's header (without feature_dim and output_dim) gets the fields it has.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (bad handle, NULL out_info, struct_size below
 * 0.1.0's sizeof(deit_model_info), offsetof(deit_model_info, feature_dim)). */
deit_status deit_model_get_info(const deit_model *model, deit_model_info *out_info);

/* The precision the model runs: DEIT_PRECISION_F32 or DEIT_PRECISION_INT8 (the load option
 * resolved: DEIT_PRECISION_FILE gives the file's). DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (NULL or
 * not a live model handle, NULL out_precision). */
deit_status deit_model_get_precision(const deit_model *model, int32_t *out_precision);

/* ---- Sessions ----------------------------------------------------------------------------- */

/* How to run a session. Fill with deit_session_options_default() and change fields. */
typedef struct deit_session_options {
    size_t struct_size;      /* sizeof(deit_session_options), set by deit_session_options_default() */
    const char *kernel_set;  /* NULL or "auto" (default): the environment variable DEIT_KERNEL_SET if
                                set, else the best set this CPU runs (chosen at session creation).
                                "avx512-vnni", "avx512", "avx-vnni", "avx2-fma", "neon-dotprod",
                                "neon" or "portable" forces
                                that set: DEIT_ERR_UNSUPPORTED when this build lacks it or this CPU
                                cannot run it; any other name DEIT_ERR_INVALID_ARGUMENT */
    int32_t num_threads;     /* workers, the calling thread included: 1 (default) to 256 */
    int32_t max_batch;       /* most images per deit_session_run_batch call: 1 (default; 0 means 1) to
                                4096. The arena holds the row-wise activations of that many images
                                (DeiT-Ti: ≈ 1 MB each); 1 plans exactly the single-image arena. A
                                CaiT model with max_batch > 1 is DEIT_ERR_UNSUPPORTED */
    uint64_t flags;          /* none defined yet: must be 0 (64 bits: room to grow, and no padding) */
} deit_session_options;

/* Fills *out_options with the defaults (1 thread, max_batch 1, no flags, kernel_set NULL). NULL is
 * a no-op. */
void deit_session_options_default(deit_session_options *out_options);

/* Bytes of arena a session with these options needs (for deit_session_create_with_options).
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (bad handle, NULL out_bytes or options, bad
 * struct_size, thread count, max_batch, flags or kernel set), DEIT_ERR_UNSUPPORTED (max_batch > 1
 * for a CaiT model, a kernel set this build lacks, or options from a newer header this library cannot honour) or
 * DEIT_ERR_OUT_OF_MEMORY (the size overflows). */
deit_status deit_session_arena_size_with_options(const deit_model *model, const deit_session_options *options,
                                                 size_t *out_bytes);

/* Creates a session. `arena` may be NULL (the session allocates the arena size once) or caller
 * memory of `arena_size` bytes that outlives the session (any alignment: the size includes slack,
 * and the session aligns its buffers to 64 bytes inside it).
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (as deit_session_arena_size_with_options, or NULL
 * out_session), DEIT_ERR_UNSUPPORTED (as deit_session_arena_size_with_options),
 * DEIT_ERR_ARENA_TOO_SMALL or DEIT_ERR_OUT_OF_MEMORY. */
deit_status deit_session_create_with_options(const deit_model *model, const deit_session_options *options,
                                             void *arena /* NULL: allocate once */, size_t arena_size,
                                             deit_session **out_session);

/* The *_with_options functions with default options but `num_threads` workers: same statuses
 * (never DEIT_ERR_UNSUPPORTED). */
deit_status deit_session_arena_size(const deit_model *model, int32_t num_threads, size_t *out_bytes);
deit_status deit_session_create(const deit_model *model, int32_t num_threads,
                                void *arena /* NULL: allocate once */, size_t arena_size,
                                deit_session **out_session);

/* Frees a session (not a caller-provided arena). NULL is a no-op. */
void deit_session_free(deit_session *session);

/* The kernel set the session runs, chosen when it was created (deit_session_options.kernel_set,
 * else DEIT_KERNEL_SET, else the best set this CPU runs): "avx512", "avx2-fma", "neon-dotprod",
 * "neon" or "portable". *out_name points to a static string, valid for the life of the process.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (bad handle, session in use, NULL out_name). */
deit_status deit_session_get_kernel_set(const deit_session *session, const char **out_name);

/* Runs one image: `input_chw` holds 3×S×S normalised floats, channel-major (timm's eval
 * transform output); `logits` receives deit_model_info.output_dim floats: num_classes logits, or
 * for a headless model (num_classes 0) its pooled features, as timm's forward returns them.
 * Performs no heap allocation.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (NULL pointer, wrong count, bad handle). */
deit_status deit_session_run(deit_session *session, const float *input_chw, size_t input_count,
                             float *logits, size_t logits_count);

/* Runs `n` images in one call (1 ≤ n ≤ the session's max_batch): `inputs` holds input_count =
 * n × 3×S×S floats, image after image (each as deit_session_run takes it), `logits` receives
 * logits_count = n × output_dim floats, image after image. Each image's logits are the same bits
 * deit_session_run gives it alone, at any thread count. Faster per image than n single runs: the
 * images' tokens are stacked for every Linear layer, so each weight matrix is read once per batch.
 * Performs no heap allocation.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (n outside 1 ... max_batch, NULL pointer, wrong
 * count, bad handle). */
deit_status deit_session_run_batch(deit_session *session, int32_t n, const float *inputs, size_t input_count,
                                   float *logits, size_t logits_count);

/* Runs one image as deit_session_run, but stops before the head: `features` receives
 * feature_count = deit_model_info.feature_dim (embed_dim) floats, the pooled, normalised features
 * timm's forward_head(x, pre_logits=True) returns — the final LayerNorm of the class token; with
 * average pooling the mean of the patch tokens, then fc_norm; for distilled models the mean of the
 * class and distillation tokens. For every model, headless or not; the embedding for retrieval.
 * Performs no heap allocation.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (NULL pointer, wrong count, bad handle). */
deit_status deit_session_run_features(deit_session *session, const float *input_chw, size_t input_count,
                                      float *features, size_t feature_count);

/* Runs one image up to timm's forward_features: `tokens` receives token_count =
 * deit_model_info.num_tokens × embed_dim floats, row-major (num_tokens, embed_dim): every token of
 * the last block after the final LayerNorm, prefix tokens first in timm's order (class,
 * distillation, registers), then the patches row by row. For fc_norm models (whose final norm
 * comes after pooling) the last block's output as it is. The head is not run. Performs no heap
 * allocation.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (NULL pointer, wrong count, bad handle). */
deit_status deit_session_run_tokens(deit_session *session, const float *input_chw, size_t input_count,
                                    float *tokens, size_t token_count);

/* ---- Attention -----------------------------------------------------------------------------
 * The attention probabilities timm computes in each block, softmax(q * head_dim^-0.5 @ k^T) over
 * the keys, per head: for the prefix tokens' query rows (what the class and distillation tokens
 * look at), or for every query row (the full num_tokens x num_tokens map). Tokens are in timm's
 * order: the prefix tokens (deit_model_info.num_prefix_tokens), then the patches row by row. */

/* Which query rows deit_session_run_attention writes per block and head. */
typedef enum deit_attention_rows {
    DEIT_ATTENTION_PREFIX_ROWS = 0, /* R = num_prefix_tokens rows: class, distillation, register tokens */
    DEIT_ATTENTION_ALL_ROWS = 1     /* R = num_tokens rows: the full map */
} deit_attention_rows;

/* Runs one image as deit_session_run and writes the attention probabilities of blocks
 * first_block ..< first_block + block_count into `maps`: maps_count = block_count * num_heads * R *
 * num_tokens floats, laid out [block][head][query row][key token], R as `rows` says. `logits`
 * (logits_count = output_dim floats, as deit_session_run writes them, the same bits) may be NULL
 * with logits_count 0. Performs no heap allocation; the plain deit_session_run does no extra work.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (NULL pointer, wrong count, block range outside
 * 0 ..< depth or empty, unknown rows value, bad handle). */
deit_status deit_session_run_attention(deit_session *session, const float *input_chw, size_t input_count,
                                       int32_t first_block, int32_t block_count, int32_t rows, float *maps,
                                       size_t maps_count, float *logits, size_t logits_count);

/* Attention rollout (Abnar & Zuidema 2020, as in ViT's Appendix D.8) from full maps
 * ([block_count][num_heads][num_tokens][num_tokens], DEIT_ATTENTION_ALL_ROWS): per block the heads
 * are fused by their mean, the identity is added for the residual connection and each row is
 * renormalised to sum 1, A_b = (mean_h(attn_b) + I) / 2; the rollout is A_last ... A_1 A_0.
 * `rollout` receives the num_tokens x num_tokens product (row 0, columns num_prefix_tokens.., is
 * the class token's view of the patches: the usual heat-map). Allocates two num_tokens x num_tokens
 * scratch matrices. Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (NULL pointer, non-positive size,
 * wrong count) or DEIT_ERR_OUT_OF_MEMORY. */
deit_status deit_attention_rollout(const float *maps, size_t maps_count, int32_t block_count, int32_t num_heads,
                                   int32_t num_tokens, float *rollout, size_t rollout_count);

/* Mean attention distance (ViT's Appendix D.7) per block and head from full maps: for every patch
 * query, the sum over patch keys of its attention weight times the distance between the two
 * patches' centres in pixels (patch_size per grid step), averaged over the patch queries. The
 * weights are the probabilities over all tokens (the prefix tokens' share is left out, not
 * renormalised away). `distances` receives block_count * num_heads floats. num_tokens must be
 * num_prefix_tokens + grid_side^2. Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT. */
deit_status deit_attention_distance(const float *maps, size_t maps_count, int32_t block_count, int32_t num_heads,
                                    int32_t num_tokens, int32_t num_prefix_tokens, int32_t patch_size,
                                    float *distances, size_t distances_count);

/* ---- Images ------------------------------------------------------------------------------
 * Preprocessing is timm's eval transform for the model, bit for bit given the same pixels, with
 * the model's own pretrained_cfg values from its description (safetensors __metadata__, then the
 * timm config.json beside the file, then deit's table of timm's architectures): the shorter side
 * resized to floor(S / crop_pct) (crop_mode "squash": both sides) with Pillow's antialiased bicubic
 * or bilinear, centre crop S×S, /255, the model's mean and std, CHW. Without a description: bicubic,
 * centre crop, ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), crop_pct 0.9, or
 * 1.0 for models with S >= 384 (timm's configs). A crop_mode "border" or another PIL filter is
 * DEIT_ERR_UNSUPPORTED. Pixels are 8-bit RGB, 3 bytes per pixel, rows
 * `stride_bytes` apart (0 means 3 * width). */

/* One class of a result: its index, logit and softmax probability. */
typedef struct deit_prediction {
    int32_t class_index;
    float logit;
    float probability;
} deit_prediction;

/* Writes the model input for an RGB image to `out_chw` (out_count = 3 * S * S floats), which can
 * then go to deit_session_run. Allocates a small scratch buffer.
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (NULL pointer, bad size, stride or count),
 * DEIT_ERR_UNSUPPORTED (the model's preprocessing names a crop mode or filter deit does not
 * implement) or DEIT_ERR_OUT_OF_MEMORY. */
deit_status deit_preprocess_rgb8(const deit_model *model, const uint8_t *rgb, int32_t width,
                                 int32_t height, int32_t stride_bytes, float *out_chw, size_t out_count);

/* Preprocesses and classifies an RGB image; `top` receives the k best classes (1 <= k <=
 * num_classes), best first. Uses only the session's arena: performs no heap allocation.
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT or DEIT_ERR_UNSUPPORTED (a headless model, which has
 * no classes: use deit_preprocess_rgb8 + deit_session_run_features; or the model's preprocessing
 * names a crop mode or filter deit does not implement). */
deit_status deit_classify_rgb8(deit_session *session, const uint8_t *rgb, int32_t width, int32_t height,
                               int32_t stride_bytes, int32_t k, deit_prediction *top);

/* Reads, decodes (JPEG or PNG: gray, gray+alpha, RGB, RGBA, palette; alpha is dropped, as PIL's
 * convert("RGB")) and classifies an image file, as deit_classify_rgb8. The default deit_limits are
 * checked before decoding: 64 MiB file, 16384 pixels per side, 50 megapixels. Decoding allocates.
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_IO (cannot open or read),
 * DEIT_ERR_FORMAT (corrupt or truncated image), DEIT_ERR_UNSUPPORTED (not a JPEG or PNG) or
 * DEIT_ERR_OUT_OF_MEMORY (a limit was exceeded or decoding ran out of memory). */
deit_status deit_classify_file(deit_session *session, const char *path, int32_t k, deit_prediction *top);
/* As deit_classify_file with caller limits for the image (NULL: the defaults). */
deit_status deit_classify_file_with_limits(deit_session *session, const char *path, const deit_limits *limits,
                                           int32_t k, deit_prediction *top);

/* The name of class `class_index`: the config.json `label_names` when present; else the ImageNet-1k
 * names in timm's order ("tench, Tinca tinca") for 1000-class models whose description says
 * ImageNet-1k (pretrained class count 1000) or says nothing about it. NULL if out of range, for
 * other models (e.g. 21843 classes), or a bad handle. The string lives as long as the model. */
const char *deit_class_label(const deit_model *model, int32_t class_index); /* NULL if out of range */

/* "DEIT_OK", "DEIT_ERR_FORMAT", ...; never NULL. */
const char *deit_status_string(deit_status status);

/* This thread's detail message for its last failure ("" if none); never NULL. */
const char *deit_last_error(void);

/* "MAJOR.MINOR.PATCH" of the library. */
const char *deit_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* DEIT_H */
