/* Internal C table of the ImageNet-1k class names in timm's order (generated into imagenet_labels.c
 * by scripts/python/gen_imagenet_labels.py). Not part of the public ABI (that is include/deit.h). */
#ifndef DEIT_LABELS_H
#define DEIT_LABELS_H

#ifdef __cplusplus
extern "C" {
#endif

/** Number of ImageNet-1k classes in the compiled-in table (1000). */
int deit_imagenet_class_count(void);

/** Name of ImageNet-1k class `index` in timm's order ("tench, Tinca tinca"), or NULL. */
const char *deit_imagenet_class_name(int index);

/** WordNet synset of ImageNet-1k class `index` ("n01440764"), or NULL. */
const char *deit_imagenet_class_synset(int index);

#ifdef __cplusplus
}
#endif

#endif
