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

static const char *jpeg_table_problem(const uint8_t *data, size_t size);

int deit_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels) {
    *width = *height = *channels = 0;
    if (data == NULL || size > INT_MAX) return 0;
    /* The format's own header parser (not stbi_info, which tries every format and then reports only
     * "unknown image type"), so the failure reason names what is wrong. */
    stbi__context context;
    stbi__start_mem(&context, data, (int)size);
    stbi__g_failure_reason = NULL;
    int format = deit_image_sniff_format(data, size), ok = 0;
    const char *problem = format == DEIT_IMAGE_FORMAT_JPEG ? jpeg_table_problem(data, size) : NULL;
    if (problem != NULL) return stbi__err(problem, "");  /* stb parses a DHT before SOF here too */
    if (format == DEIT_IMAGE_FORMAT_JPEG) ok = stbi__jpeg_info(&context, width, height, channels);
    if (format == DEIT_IMAGE_FORMAT_PNG) ok = stbi__png_info(&context, width, height, channels);
    if (!ok && stbi__g_failure_reason == NULL) stbi__err("unspecified", "");
    return ok;
}

/* Reads a big-endian 16-bit value. */
static size_t read_u16(const uint8_t *at) { return ((size_t)at[0] << 8) | at[1]; }

/* stb_image 2.27 (Debian's header) trusts JPEG tables more than it may (both fixed upstream later):
 * a DHT whose 16 code counts sum to more than 256 writes past its 256-entry symbol arrays, and a scan
 * may use Huffman or quantisation tables that were never defined, which stb then reads from its
 * uninitialised (malloc'ed) decoder. This walk over the marker segments returns the failure reason
 * for either, or NULL. Everything else (lengths, ids, truncation) is left to stb and to
 * deit_image_jpeg_is_complete. */
static const char *jpeg_table_problem(const uint8_t *data, size_t size) {
    unsigned huffman_defined = 0;    /* bit 4 * class + id: DC 0-3, AC 4-7 */
    unsigned quantisation_defined = 0;
    uint8_t frame_tables[4] = {0}, frame_ids[4] = {0};
    size_t frame_components = 0, at = 2;
    int progressive = 0, scans = 0;
    for (;;) {
        const uint8_t *ff = at < size ? memchr(data + at, 0xFF, size - at) : NULL;
        if (ff == NULL) return NULL;
        at = (size_t)(ff - data);
        while (at < size && data[at] == 0xFF) at++;
        if (at >= size) return NULL;
        uint8_t marker = data[at++];
        if (marker == 0xD9) return scans ? NULL : "no scan (SOS) before EOI";  /* stb would return grey */
        if (marker == 0x00 || marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
        if (size - at < 2) return NULL;
        size_t length = read_u16(data + at);
        if (length < 2 || length > size - at) return NULL;
        const uint8_t *segment = data + at + 2;
        size_t segment_size = length - 2;
        at += length;
        if (marker == 0xDB) {                                                   /* DQT */
            for (size_t i = 0; i < segment_size;) {
                uint8_t precision = segment[i] >> 4, id = segment[i] & 15;
                if (id < 4) quantisation_defined |= 1u << id;
                i += 1 + (precision ? 128 : 64);
            }
        } else if (marker == 0xC4) {                                            /* DHT */
            /* As stb reads it: a table's counts may run past the segment (stb then reads the
             * following bytes), and bytes past the end of the data read as 0. */
            for (size_t i = 0; i < segment_size;) {
                const uint8_t *table = segment + i;
                if ((size_t)(data + size - table) < 17) break;
                uint8_t table_class = table[0] >> 4, id = table[0] & 15;
                size_t count = 0;
                for (size_t bits = 1; bits <= 16; bits++) count += table[bits];
                if (count > 256) return "bad DHT header (more than 256 codes)";
                if (table_class <= 1 && id <= 3) huffman_defined |= 1u << (4 * table_class + id);
                i += 17 + count;
            }
        } else if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {        /* SOF0-2 */
            progressive = marker == 0xC2;
            frame_components = segment_size >= 6 ? segment[5] : 0;
            if (frame_components > 4 || segment_size < 6 + 3 * frame_components) frame_components = 0;
            for (size_t c = 0; c < frame_components; c++) {
                frame_ids[c] = segment[6 + 3 * c];
                frame_tables[c] = segment[6 + 3 * c + 2];
            }
        } else if (marker == 0xDA && segment_size >= 1) {                       /* SOS */
            size_t scan_components = segment[0];
            scans++;
            if (segment_size < 1 + 2 * scan_components + 3) return NULL;
            uint8_t spectral_start = segment[1 + 2 * scan_components];
            uint8_t approximation_high = segment[3 + 2 * scan_components] >> 4;
            /* Tables a scan decodes with: baseline DC and AC; progressive DC first scans DC only,
             * DC refinement none, AC scans AC only. */
            int uses_dc = !progressive || (spectral_start == 0 && approximation_high == 0);
            int uses_ac = !progressive || spectral_start != 0;
            for (size_t c = 0; c < scan_components; c++) {
                uint8_t id = segment[1 + 2 * c], dc = segment[2 + 2 * c] >> 4, ac = segment[2 + 2 * c] & 15;
                if (uses_dc && dc <= 3 && !(huffman_defined & (1u << dc))) return "scan uses an undefined DC Huffman table";
                if (uses_ac && ac <= 3 && !(huffman_defined & (1u << (4 + ac)))) return "scan uses an undefined AC Huffman table";
                for (size_t f = 0; f < frame_components; f++) {
                    if (frame_ids[f] == id && frame_tables[f] <= 3 && !(quantisation_defined & (1u << frame_tables[f]))) {
                        return "component uses an undefined quantisation table";
                    }
                }
            }
            /* Skip the entropy-coded data: up to a marker that is not a stuffed 0xFF00 or an RSTn. */
            for (;;) {
                const uint8_t *next = at < size ? memchr(data + at, 0xFF, size - at) : NULL;
                if (next == NULL || (size_t)(next - data) + 1 >= size) return NULL;
                at = (size_t)(next - data);
                uint8_t following = data[at + 1];
                if (following == 0x00 || (following >= 0xD0 && following <= 0xD7) || following == 0xFF) { at += 1; continue; }
                break;
            }
        }
    }
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
    stbi__g_failure_reason = NULL; /* some stb failures set no reason: never report a stale one */
    if (deit_image_sniff_format(data, size) == DEIT_IMAGE_FORMAT_JPEG) {
        const char *problem = jpeg_table_problem(data, size);
        if (problem != NULL) {
            stbi__err(problem, "");
            return NULL;
        }
    }
    allocation_cap = max_allocation_bytes;
    /* req_comp 3: stb replicates gray and drops alpha, exactly what PIL's convert("RGB") does for
     * L, LA, RGB and RGBA (alpha is dropped, not composited); palettes are expanded first. */
    uint8_t *pixels = stbi_load_from_memory(data, (int)size, width, height, &channels, 3);
    allocation_cap = SIZE_MAX;
    /* stbi_load tries PNG first, so a JPEG failure without a reason of its own shows PNG's. */
    const char *reason = stbi__g_failure_reason;
    if (pixels == NULL && (reason == NULL || (deit_image_sniff_format(data, size) == DEIT_IMAGE_FORMAT_JPEG &&
                                              strcmp(reason, "bad png sig") == 0))) {
        stbi__err("unspecified", "");
    }
    return pixels;
}

void deit_image_free(uint8_t *pixels) { stbi_image_free(pixels); }

const char *deit_image_failure_reason(void) {
    const char *reason = stbi_failure_reason();
    return reason == NULL ? "" : reason;
}
