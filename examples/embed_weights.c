/* embed_weights — the no-file-system case (a board): the weights are compiled into the program
 * and loaded from memory with deit_model_load_memory; the image comes from memory too (here a
 * synthetic gradient standing in for a camera frame).
 *
 *   embed_weights            (no arguments: nothing is read from disk)
 *
 * The safetensors file is embedded at build time with the assembler's .incbin (GCC and Clang, ELF
 * targets; no extra tool): build with -DDEIT_WEIGHTS_FILE='"/path/to/model.safetensors"'.
 * examples/CMakeLists.txt does that (cache variable DEIT_EMBED_WEIGHTS). */
#include <deit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef DEIT_WEIGHTS_FILE
#error "define DEIT_WEIGHTS_FILE as the quoted path of the .safetensors file to embed"
#endif

/* deit_weights[0 ..< deit_weights_end - deit_weights]: the file's bytes, in .rodata. */
__asm__(".section .rodata\n"
        ".balign 64\n"
        ".globl deit_weights\n"
        "deit_weights:\n"
        ".incbin \"" DEIT_WEIGHTS_FILE "\"\n"
        ".globl deit_weights_end\n"
        "deit_weights_end:\n"
        ".previous\n");
extern const unsigned char deit_weights[];
extern const unsigned char deit_weights_end[];

enum { TOP_K = 5, FRAME_WIDTH = 160, FRAME_HEIGHT = 120 };

/* The "camera frame": 8-bit RGB, FRAME_HEIGHT rows of FRAME_WIDTH pixels. */
static uint8_t frame[FRAME_HEIGHT][FRAME_WIDTH][3];

int main(void) {
    const size_t weight_bytes = (size_t)(deit_weights_end - deit_weights);
    deit_model *model = NULL;
    deit_session *session = NULL;
    deit_model_info info;
    deit_prediction top[TOP_K];
    int32_t k, i, x, y;

    if (deit_model_load_memory(deit_weights, weight_bytes, &model) != DEIT_OK) {
        fprintf(stderr, "embed_weights: embedded model (%zu bytes): %s\n", weight_bytes, deit_last_error());
        return 1;
    }
    info.struct_size = sizeof info; /* the version of deit_model_info this program knows */
    deit_model_get_info(model, &info);
    if (deit_session_create(model, 1, NULL, 0, &session) != DEIT_OK) {
        fprintf(stderr, "embed_weights: %s\n", deit_last_error());
        deit_model_free(model);
        return 1;
    }
    for (y = 0; y < FRAME_HEIGHT; y++) {
        for (x = 0; x < FRAME_WIDTH; x++) {
            frame[y][x][0] = (uint8_t)(x * 255 / (FRAME_WIDTH - 1));
            frame[y][x][1] = (uint8_t)(y * 255 / (FRAME_HEIGHT - 1));
            frame[y][x][2] = (uint8_t)((x + y) % 256);
        }
    }
    k = info.num_classes < TOP_K ? info.num_classes : TOP_K;
    /* stride 0: rows are 3 * width bytes apart. Uses only the session's arena. */
    if (deit_classify_rgb8(session, &frame[0][0][0], FRAME_WIDTH, FRAME_HEIGHT, 0, k, top) != DEIT_OK) {
        fprintf(stderr, "embed_weights: %s\n", deit_last_error());
        deit_session_free(session);
        deit_model_free(model);
        return 1;
    }
    printf("embedded model: %zu bytes, %llu parameters, %d classes\n", weight_bytes,
           (unsigned long long)info.num_params, (int)info.num_classes);
    for (i = 0; i < k; i++) {
        const char *label = deit_class_label(model, top[i].class_index);
        printf("%d. %5.1f%%  %4d  %s\n", (int)(i + 1), 100.0 * top[i].probability, (int)top[i].class_index,
               label != NULL ? label : "(no label)");
    }
    deit_session_free(session);
    deit_model_free(model);
    return 0;
}
