/* Internal C shim for images: decoding JPEG and PNG with stb_image (compiled from Debian's
 * libstb-dev header in image_decode.c, so its limits are ours).
 * Not part of the public ABI (that is include/deit.h). */
#ifndef DEIT_IMAGE_H
#define DEIT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Container formats recognised from their first bytes. */
#define DEIT_IMAGE_FORMAT_UNKNOWN 0
#define DEIT_IMAGE_FORMAT_JPEG 1
#define DEIT_IMAGE_FORMAT_PNG 2

/** The format the first bytes announce (JPEG: FF D8 FF; PNG: its 8-byte signature). */
int deit_image_sniff_format(const uint8_t *data, size_t size);

/** Reads width, height and channel count (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) from the header
 *  without decoding pixels. Returns 1 on success, 0 if the header is malformed (see
 *  deit_image_failure_reason). */
int deit_image_info(const uint8_t *data, size_t size, int *width, int *height, int *channels);

/** For a JPEG: 1 if the marker structure reaches an EOI marker, 0 if the data ends first (a
 *  truncated file, which stb_image would otherwise decode with grey filler). */
int deit_image_jpeg_is_complete(const uint8_t *data, size_t size);

/** For a PNG: 1 if its chunks, each whole, reach the IEND chunk; 0 if the data ends first. */
int deit_image_png_is_complete(const uint8_t *data, size_t size);

/** Decodes to 8-bit RGB, 3 bytes per pixel, rows packed (gray replicated, alpha dropped — as PIL's
 *  convert("RGB")). No single allocation may exceed `max_allocation_bytes`. Returns the pixels
 *  (free with deit_image_free) or NULL (see deit_image_failure_reason). */
uint8_t *deit_image_decode_rgb8(const uint8_t *data, size_t size, size_t max_allocation_bytes,
                                int *width, int *height);

/** Frees pixels from deit_image_decode_rgb8. NULL is a no-op. */
void deit_image_free(uint8_t *pixels);

/** stb_image's reason for this thread's last failure ("" if none); never NULL. */
const char *deit_image_failure_reason(void);

#ifdef __cplusplus
}
#endif

#endif
