/* stb_image_write's PNG encoder, compiled here once (see deit_image_write.h). */
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "deit_image_write.h"

int deit_write_png_rgb8(const char *path, int32_t width, int32_t height, const uint8_t *rgb) {
    if (path == 0 || rgb == 0 || width <= 0 || height <= 0 || width > (1 << 16) || height > (1 << 16)) return 0;
    return stbi_write_png(path, width, height, 3, rgb, width * 3) != 0;
}
