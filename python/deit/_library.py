"""Finding libdeit and declaring its C API (include/deit.h) for ctypes.

Every function the bindings call is declared here with its argument and result types, so that
ctypes converts nothing by guesswork; the structs mirror deit.h field for field (ctypes lays them
out as the platform's C compiler does, so their sizeof is the header's struct_size).
"""

import ctypes
import ctypes.util
import os
from ctypes import POINTER, c_char_p, c_float, c_int, c_int32, c_size_t, c_uint32, c_uint64, c_void_p

# The DEIT_ABI_VERSION these declarations were written against: a library with another ABI is
# refused at import rather than called with mismatched structs.
ABI_VERSION = 0

# Library file names, most specific first (SONAME, then the development link name).
_NAMES = ("libdeit.so.0", "libdeit.so", "libdeit.dylib")


class ModelInfoStruct(ctypes.Structure):
    """deit_model_info (with feature_dim and output_dim, added after 0.1.0)."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("image_size", c_int32),
        ("patch_size", c_int32),
        ("embed_dim", c_int32),
        ("depth", c_int32),
        ("num_heads", c_int32),
        ("num_classes", c_int32),
        ("num_tokens", c_int32),
        ("distilled", c_int32),
        ("num_params", c_uint64),
        ("weight_bytes", c_uint64),
        ("feature_dim", c_int32),
        ("output_dim", c_int32),
        ("num_prefix_tokens", c_int32),
    ]


class LimitsStruct(ctypes.Structure):
    """deit_limits."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("max_model_bytes", c_uint64),
        ("max_header_bytes", c_uint64),
        ("max_image_bytes", c_uint64),
        ("max_image_width", c_uint32),
        ("max_image_height", c_uint32),
        ("max_image_pixels", c_uint64),
        ("max_config_bytes", c_uint64),
    ]


class LoadOptionsStruct(ctypes.Structure):
    """deit_load_options."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("limits", POINTER(LimitsStruct)),
        ("image_size", c_int32),
        ("precision", c_int32),
        ("config_json", c_char_p),
        ("config_json_size", c_size_t),
    ]


class SessionOptionsStruct(ctypes.Structure):
    """deit_session_options."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("kernel_set", c_char_p),
        ("num_threads", c_int32),
        ("max_batch", c_int32),
        ("flags", c_uint64),
    ]


class PredictionStruct(ctypes.Structure):
    """deit_prediction."""

    _fields_ = [("class_index", c_int32), ("logit", c_float), ("probability", c_float)]


# name: (result type, argument types). Pointers to caller memory (pixels, floats) are c_void_p and
# receive numpy's data addresses; handles are opaque c_void_p.
_SIGNATURES = {
    "deit_abi_version": (c_int32, []),
    "deit_version_string": (c_char_p, []),
    "deit_status_string": (c_char_p, [c_int]),
    "deit_last_error": (c_char_p, []),
    "deit_limits_default": (None, [POINTER(LimitsStruct)]),
    "deit_load_options_default": (None, [POINTER(LoadOptionsStruct)]),
    "deit_model_load_file_with_options": (c_int, [c_char_p, POINTER(LoadOptionsStruct), POINTER(c_void_p)]),
    "deit_model_load_memory_with_options": (c_int, [c_void_p, c_size_t, POINTER(LoadOptionsStruct), POINTER(c_void_p)]),
    "deit_model_free": (None, [c_void_p]),
    "deit_model_get_info": (c_int, [c_void_p, POINTER(ModelInfoStruct)]),
    "deit_model_get_precision": (c_int, [c_void_p, POINTER(c_int32)]),
    "deit_session_options_default": (None, [POINTER(SessionOptionsStruct)]),
    "deit_session_create_with_options": (c_int, [c_void_p, POINTER(SessionOptionsStruct), c_void_p, c_size_t, POINTER(c_void_p)]),
    "deit_session_free": (None, [c_void_p]),
    "deit_session_get_kernel_set": (c_int, [c_void_p, POINTER(c_char_p)]),
    "deit_session_run": (c_int, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "deit_session_run_features": (c_int, [c_void_p, c_void_p, c_size_t, c_void_p, c_size_t]),
    "deit_session_run_batch": (c_int, [c_void_p, c_int32, c_void_p, c_size_t, c_void_p, c_size_t]),
    "deit_preprocess_rgb8": (c_int, [c_void_p, c_void_p, c_int32, c_int32, c_int32, c_void_p, c_size_t]),
    "deit_classify_rgb8": (c_int, [c_void_p, c_void_p, c_int32, c_int32, c_int32, c_int32, POINTER(PredictionStruct)]),
    "deit_classify_file_with_limits": (c_int, [c_void_p, c_char_p, POINTER(LimitsStruct), c_int32, POINTER(PredictionStruct)]),
    "deit_class_label": (c_char_p, [c_void_p, c_int32]),
    "deit_session_run_attention": (c_int, [c_void_p, c_void_p, c_size_t, c_int32, c_int32, c_int32, c_void_p, c_size_t,
                                           c_void_p, c_size_t]),
    "deit_attention_rollout": (c_int, [c_void_p, c_size_t, c_int32, c_int32, c_int32, c_void_p, c_size_t]),
    "deit_attention_distance": (c_int, [c_void_p, c_size_t, c_int32, c_int32, c_int32, c_int32, c_int32, c_void_p, c_size_t]),
}


def _candidates():
    """(description, path or name) pairs in search order: DEIT_LIBRARY, next to the package, the system."""
    explicit = os.environ.get("DEIT_LIBRARY")
    if explicit:
        # An explicit choice is the only candidate: falling back would hide a wrong setting.
        if os.path.isdir(explicit):
            return [("DEIT_LIBRARY", os.path.join(explicit, name)) for name in _NAMES]
        return [("DEIT_LIBRARY", explicit)]
    here = os.path.dirname(os.path.abspath(__file__))
    found = [("next to the package", os.path.join(here, name)) for name in _NAMES]
    system = ctypes.util.find_library("deit")
    if system:
        found.append(("the system (find_library)", system))
    # The dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache, the default directories).
    found += [("the loader's path", name) for name in _NAMES[:2]]
    return found


def load():
    """The libdeit CDLL with every function declared; ImportError naming each place tried."""
    tried = []
    for where, candidate in _candidates():
        if os.sep in candidate and not os.path.exists(candidate):
            tried.append(f"{candidate} ({where}): no such file")
            continue
        try:
            library = ctypes.CDLL(candidate)
        except OSError as error:
            tried.append(f"{candidate} ({where}): {error}")
            continue
        missing = [name for name in _SIGNATURES if not hasattr(library, name)]
        if missing:
            tried.append(f"{candidate} ({where}): not libdeit, or too old (lacks {', '.join(missing[:3])})")
            continue
        for name, (result, arguments) in _SIGNATURES.items():
            function = getattr(library, name)
            function.restype = result
            function.argtypes = arguments
        abi = library.deit_abi_version()
        if abi != ABI_VERSION:
            tried.append(f"{candidate} ({where}): ABI {abi}, but these bindings are for ABI {ABI_VERSION}")
            continue
        return library, candidate
    raise ImportError(
        "deit: cannot load libdeit. Build it (swift build -c release) and set DEIT_LIBRARY to the "
        "libdeit.so file (or its directory), copy it next to the deit package, or install it "
        "(scripts/install.sh). Tried:\n  " + "\n  ".join(tried)
    )
