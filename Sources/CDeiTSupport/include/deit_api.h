/* Brings the public header's types (deit_status, deit_model_info) into Swift, so the @_cdecl
 * thunks use exactly the ABI that include/deit.h declares. */
#include "../../../include/deit.h"
