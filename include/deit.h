/*
 * deit.h — C API of libdeit, a runtime for DeiT / ViT image classifiers (timm checkpoints in
 * safetensors format) on CPUs. This hand-written header is the ABI's single source of truth.
 *
 * Ownership
 *   - deit_model_load_* returns a model the caller frees with deit_model_free. The loader copies
 *     what it needs: the file or memory buffer may be released as soon as loading returns.
 *   - A session keeps its model alive: deit_model_free may be called while sessions still use the
 *     model; the weights are released when the last of them is freed.
 *   - An arena passed to deit_session_create belongs to the caller and must outlive the session.
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
 * Usage
 *   deit_model *model = NULL;  deit_session *session = NULL;
 *   if (deit_model_load_file("deit_tiny.safetensors", &model) != DEIT_OK) {
 *       fprintf(stderr, "%s\n", deit_last_error()); return 1;
 *   }
 *   deit_model_info info;  deit_model_get_info(model, &info);
 *   deit_session_create(model, 1, NULL, 0, &session);
 *   size_t n_in = 3 * (size_t)info.image_size * info.image_size;
 *   float *input = ...;  float *logits = malloc(sizeof(float) * info.num_classes);
 *   deit_session_run(session, input, n_in, logits, (size_t)info.num_classes);
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

/* The ABI version: the number in the shared library's SONAME (libdeit.so.0). It changes whenever
 * a function signature, a struct layout or an enum value changes incompatibly; functions added
 * without such a change keep it. */
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

typedef struct deit_model_info {
    int32_t image_size, patch_size, embed_dim, depth, num_heads, num_classes, num_tokens, distilled;
    uint64_t num_params, weight_bytes;
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
} deit_limits;
/* Fills *out_limits with the defaults. NULL is a no-op. */
void deit_limits_default(deit_limits *out_limits);

/* Loads a timm DeiT/ViT checkpoint (safetensors; F32, F16 or BF16 tensors) from a file. The whole
 * header is validated; every failure returns a status and sets deit_last_error().
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_IO, DEIT_ERR_FORMAT, DEIT_ERR_UNSUPPORTED or
 * DEIT_ERR_OUT_OF_MEMORY. */
deit_status deit_model_load_file(const char *path, deit_model **out_model);

/* As deit_model_load_file, from `size` bytes at `data` (the buffer may be freed after the call). */
deit_status deit_model_load_memory(const void *data, size_t size, deit_model **out_model);

/* As deit_model_load_file / deit_model_load_memory with caller limits (NULL: the defaults).
 * DEIT_ERR_INVALID_ARGUMENT if limits->struct_size is smaller than version 0's deit_limits. */
deit_status deit_model_load_file_with_limits(const char *path, const deit_limits *limits,
                                             deit_model **out_model);
deit_status deit_model_load_memory_with_limits(const void *data, size_t size, const deit_limits *limits,
                                               deit_model **out_model);
/* Releases the caller's reference to a model. NULL is a no-op. */
void deit_model_free(deit_model *model);

/* Fills *out_info. Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT. */
deit_status deit_model_get_info(const deit_model *model, deit_model_info *out_info);

/* Bytes of arena a session with `num_threads` workers needs (for deit_session_create).
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (bad handle, NULL out_bytes, bad thread count) or
 * DEIT_ERR_OUT_OF_MEMORY (the size overflows). */
deit_status deit_session_arena_size(const deit_model *model, int32_t num_threads, size_t *out_bytes);

/* Creates a session. `arena` may be NULL (the session allocates deit_session_arena_size bytes
 * once) or caller memory of `arena_size` bytes that outlives the session (any alignment: the
 * size includes slack, and the session aligns its buffers to 64 bytes inside it).
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_ARENA_TOO_SMALL or DEIT_ERR_OUT_OF_MEMORY. */
deit_status deit_session_create(const deit_model *model, int32_t num_threads,
                                void *arena /* NULL: allocate once */, size_t arena_size,
                                deit_session **out_session);

/* Frees a session (not a caller-provided arena). NULL is a no-op. */
void deit_session_free(deit_session *session);

/* Runs one image: `input_chw` holds 3×S×S normalised floats, channel-major (timm's eval
 * transform output); `logits` receives num_classes floats. Performs no heap allocation.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT (NULL pointer, wrong count, bad handle). */
deit_status deit_session_run(deit_session *session, const float *input_chw, size_t input_count,
                             float *logits, size_t logits_count);

/* ---- Images ------------------------------------------------------------------------------
 * Preprocessing is timm's eval transform for the model, bit for bit given the same pixels: the
 * shorter side resized to floor(S / crop_pct) with Pillow's antialiased bicubic, centre crop S×S,
 * /255, ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), CHW. crop_pct is 0.9,
 * or 1.0 for models with S >= 384 (timm's configs). Pixels are 8-bit RGB, 3 bytes per pixel, rows
 * `stride_bytes` apart (0 means 3 * width). */

/* One class of a result: its index, logit and softmax probability. */
typedef struct deit_prediction {
    int32_t class_index;
    float logit;
    float probability;
} deit_prediction;

/* Writes the model input for an RGB image to `out_chw` (out_count = 3 * S * S floats), which can
 * then go to deit_session_run. Allocates a small scratch buffer.
 * Returns DEIT_OK, DEIT_ERR_INVALID_ARGUMENT (NULL pointer, bad size, stride or count) or
 * DEIT_ERR_OUT_OF_MEMORY. */
deit_status deit_preprocess_rgb8(const deit_model *model, const uint8_t *rgb, int32_t width,
                                 int32_t height, int32_t stride_bytes, float *out_chw, size_t out_count);

/* Preprocesses and classifies an RGB image; `top` receives the k best classes (1 <= k <=
 * num_classes), best first. Uses only the session's arena: performs no heap allocation.
 * Returns DEIT_OK or DEIT_ERR_INVALID_ARGUMENT. */
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

/* The name of class `class_index` ("tench, Tinca tinca"): the ImageNet-1k names in timm's order
 * for models with 1000 classes. NULL if out of range, for other class counts, or a bad handle.
 * The string is static. */
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
