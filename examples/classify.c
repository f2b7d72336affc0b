/* classify — loads a model, classifies one image file (JPEG or PNG) and prints the five best
 * classes with their labels.
 *
 *   classify MODEL.safetensors IMAGE
 *
 * Build: see examples/README.md (CMake: find_package(deit); or `pkg-config --cflags --libs deit`). */
#include <deit.h>

#include <stdio.h>

enum { TOP_K = 5 };

int main(int argc, char **argv) {
    deit_model *model = NULL;
    deit_session *session = NULL;
    deit_model_info info;
    deit_prediction top[TOP_K];
    deit_status status;
    int32_t k, i;

    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors IMAGE\n", argv[0]);
        return 2;
    }
    if (!DEIT_ABI_COMPATIBLE()) {
        fprintf(stderr, "classify: built for libdeit ABI %d, running with ABI %d\n", DEIT_ABI_VERSION,
                (int)deit_abi_version());
        return 1;
    }
    if (deit_model_load_file(argv[1], &model) != DEIT_OK) {
        fprintf(stderr, "classify: %s: %s\n", argv[1], deit_last_error());
        return 1;
    }
    info.struct_size = sizeof info; /* the version of deit_model_info this program knows */
    deit_model_get_info(model, &info);
    /* One worker thread; NULL arena: the session allocates its arena once. */
    status = deit_session_create(model, 1, NULL, 0, &session);
    if (status != DEIT_OK) {
        fprintf(stderr, "classify: %s\n", deit_last_error());
        deit_model_free(model);
        return 1;
    }
    k = info.num_classes < TOP_K ? info.num_classes : TOP_K;
    status = deit_classify_file(session, argv[2], k, top);
    if (status != DEIT_OK) {
        fprintf(stderr, "classify: %s: %s (%s)\n", argv[2], deit_last_error(), deit_status_string(status));
        deit_session_free(session);
        deit_model_free(model);
        return 1;
    }
    printf("%s (libdeit %s, %dx%d input, %d classes)\n", argv[2], deit_version_string(),
           (int)info.image_size, (int)info.image_size, (int)info.num_classes);
    for (i = 0; i < k; i++) {
        /* NULL for models whose classes are not ImageNet-1k's. */
        const char *label = deit_class_label(model, top[i].class_index);
        printf("%d. %5.1f%%  %4d  %s\n", (int)(i + 1), 100.0 * top[i].probability, (int)top[i].class_index,
               label != NULL ? label : "(no label)");
    }
    deit_session_free(session);
    deit_model_free(model);
    return 0;
}
