/* Builds stb_image (Debian's libstb-dev header) into libdeit with our own configuration instead of
 * linking Debian's libstb: only the JPEG and PNG decoders are compiled, every allocation goes through
 * a per-call cap, dimensions have a hard ceiling, failure strings are thread-local, and the same
 * source cross-compiles for any target the rest of the library builds for. */
#include "deit_image.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest single allocation stb_image may make during this thread's current decode. */
static _Thread_local size_t allocation_cap = SIZE_MAX;

static void *capped_malloc(size_t size) { return size > allocation_cap ? NULL : malloc(size); }
static void *capped_realloc(void *memory, size_t size) {
    return size > allocation_cap ? NULL : realloc(memory, size);
}

#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_NO_STDIO              /* we read files ourselves (size limit before reading) */
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS 65535  /* hard ceiling; the configurable limits are checked before */
#define STBI_ASSERT(x) ((void)0)   /* never abort the host process */
#define STBI_MALLOC(size) capped_malloc(size)
#define STBI_REALLOC(memory, size) capped_realloc(memory, size)
#define STBI_FREE(memory) free(memory)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#pragma clang diagnostic ignored "-Wunused-parameter"
#pragma clang diagnostic ignored "-Wsign-compare"
#pragma clang diagnostic ignored "-Wimplicit-int-conversion"
#pragma clang diagnostic ignored "-Wshorten-64-to-32"
#pragma clang diagnostic ignored "-Wcomma"
#pragma clang diagnostic ignored "-Wdouble-promotion"
#pragma clang diagnostic ignored "-Wconversion"
#endif
#include <stb/stb_image.h>
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

int deit_image_sniff_format(const uint8_t *data, size_t size) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (data == NULL) return DEIT_IMAGE_FORMAT_UNKNOWN;
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return DEIT_IMAGE_FORMAT_JPEG;
    if (size >= 8 && memcmp(data, png_signature, 8) == 0) return DEIT_IMAGE_FORMAT_PNG;
    return DEIT_IMAGE_FORMAT_UNKNOWN;
}

int deit_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels) {
    *width = *height = *channels = 0;
    if (data == NULL || size > INT_MAX) return 0;
    return stbi_info_from_memory(data, (int)size, width, height, channels);
}

int deit_image_jpeg_is_complete(const uint8_t *data, size_t size) {
    if (data == NULL || size < 4 || data[0] != 0xFF || data[1] != 0xD8) return 0;
    size_t at = 2;
    for (;;) {
        /* Next marker: skip stray bytes (libjpeg tolerates them too), then 0xFF fill bytes. */
        const uint8_t *ff = at < size ? memchr(data + at, 0xFF, size - at) : NULL;
        if (ff == NULL) return 0;
        at = (size_t)(ff - data);
        while (at < size && data[at] == 0xFF) at++;
        if (at >= size) return 0;
        uint8_t marker = data[at++];
        if (marker == 0xD9) return 1;                                    /* EOI */
        if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
        if (size - at < 2) return 0;
        size_t length = ((size_t)data[at] << 8) | data[at + 1];           /* includes itself */
        if (length < 2 || length > size - at) return 0;
        at += length;
        if (marker != 0xDA) continue;
        /* After SOS: entropy-coded bytes up to the next marker that is not a stuffed 0xFF00 or RSTn. */
        for (;;) {
            const uint8_t *next = at < size ? memchr(data + at, 0xFF, size - at) : NULL;
            if (next == NULL || (size_t)(next - data) + 1 >= size) return 0;
            at = (size_t)(next - data);
            uint8_t following = data[at + 1];
            if (following == 0x00 || (following >= 0xD0 && following <= 0xD7)) { at += 2; continue; }
            if (following == 0xFF) { at += 1; continue; }
            break;                                                       /* a real marker at `at` */
        }
    }
}

int deit_image_png_is_complete(const uint8_t *data, size_t size) {
    if (deit_image_sniff_format(data, size) != DEIT_IMAGE_FORMAT_PNG) return 0;
    size_t at = 8;
    while (size - at >= 12) {  /* length (4), type (4), data (length), CRC (4) */
        size_t length = ((size_t)data[at] << 24) | ((size_t)data[at + 1] << 16) | ((size_t)data[at + 2] << 8) | data[at + 3];
        if (length > size - at - 12) return 0;
        if (memcmp(data + at + 4, "IEND", 4) == 0) return 1;
        at += 12 + length;
    }
    return 0;
}

uint8_t *deit_image_decode_rgb8(const uint8_t *data, size_t size, size_t max_allocation_bytes,
                                int *width, int *height) {
    *width = *height = 0;
    if (data == NULL || size > INT_MAX) return NULL;
    int channels = 0;
    allocation_cap = max_allocation_bytes;
    /* req_comp 3: stb replicates gray and drops alpha, exactly what PIL's convert("RGB") does for
     * L, LA, RGB and RGBA (alpha is dropped, not composited); palettes are expanded first. */
    uint8_t *pixels = stbi_load_from_memory(data, (int)size, width, height, &channels, 3);
    allocation_cap = SIZE_MAX;
    return pixels;
}

void deit_image_free(uint8_t *pixels) { stbi_image_free(pixels); }

const char *deit_image_failure_reason(void) {
    const char *reason = stbi_failure_reason();
    return reason == NULL ? "" : reason;
}
