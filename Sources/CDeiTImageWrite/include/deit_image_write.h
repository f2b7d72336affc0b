/* PNG writing for deit-cli (explain's heat-maps), with stb_image_write from Debian's libstb-dev.
 * Only the CLI links this target: libdeit never writes files. */
#ifndef DEIT_IMAGE_WRITE_H
#define DEIT_IMAGE_WRITE_H

#include <stdint.h>

/* Writes `rgb` (height rows of width * 3 bytes, packed) to `path` as an 8-bit RGB PNG.
 * Returns 1 on success, 0 on failure (errno may say why). */
int deit_write_png_rgb8(const char *path, int32_t width, int32_t height, const uint8_t *rgb);

#endif
