/* Brings the public header into Swift — its types (deit_status, deit_model_info, ...) and its
 * integer macros (DEIT_ABI_VERSION, DEIT_MAX_STRUCT_SIZE) — so the @_cdecl thunks use exactly the
 * ABI that include/deit.h declares, with no number repeated on the Swift side. */
#ifndef DEIT_API_H
#define DEIT_API_H

#include "../../../include/deit.h"

/* The versioned structs' sizes as C lays them out: the sizeof a caller's struct_size is compared
 * with (Swift's MemoryLayout.size of an imported struct omits tail padding). */
static inline size_t deit_api_model_info_size(void) { return sizeof(deit_model_info); }
/* deit_model_info as the 0.1.0 header had it (before feature_dim): the smallest struct_size accepted. */
static inline size_t deit_api_model_info_v0_size(void) { return offsetof(deit_model_info, feature_dim); }
/* deit_model_info with feature_dim and output_dim, before num_prefix_tokens. */
static inline size_t deit_api_model_info_v1_size(void) { return offsetof(deit_model_info, num_prefix_tokens); }
static inline size_t deit_api_limits_size(void) { return sizeof(deit_limits); }
static inline size_t deit_api_load_options_size(void) { return sizeof(deit_load_options); }
/* The input structs as the 0.1.0 header had them (before the fields appended since): the smallest
 * struct_size accepted; the missing fields take their defaults. */
static inline size_t deit_api_limits_v0_size(void) { return offsetof(deit_limits, max_config_bytes); }
static inline size_t deit_api_load_options_v0_size(void) { return offsetof(deit_load_options, config_json); }
static inline size_t deit_api_session_options_size(void) { return sizeof(deit_session_options); }

#endif
