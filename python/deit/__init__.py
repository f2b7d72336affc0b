"""deit: Python bindings (ctypes) for libdeit, a CPU runtime for timm DeiT/ViT image classifiers.

    import deit
    model = deit.Model("deit_tiny.safetensors", threads=2)
    for p in model.classify("photo.jpg", top=5):
        print(p.index, p.label, p.probability)
    features = model.embed(pixels)            # numpy H×W×3 uint8 (or a PIL image): feature_dim floats
    logits = model.run(batch)                 # numpy N×3×S×S float32 → N×num_classes
    maps = model.attention(pixels, rows="all")  # [blocks, heads, T, T] softmax probabilities
    heat = deit.attention_rollout(maps)[0, model.info.num_prefix_tokens:]

libdeit is found through DEIT_LIBRARY (the libdeit.so file or its directory), then next to this
package, then the system's library path. Failures raise DeiTError (status, status_name, message);
input refused before reaching libdeit raises InputError, a DeiTError and a ValueError.
"""

from importlib import metadata as _metadata

from . import _library, _model
from ._errors import DeiTError, InputError, Status
from ._model import Model, ModelInfo, Prediction, attention_distance, attention_rollout

_lib, library_path = _library.load()
_model._lib = _lib

try:
    __version__ = _metadata.version("deit")
except _metadata.PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = None


def library_version():
    """libdeit's version, "MAJOR.MINOR.PATCH" (deit_version_string)."""
    return _lib.deit_version_string().decode("ascii")


def abi_version():
    """libdeit's ABI version (deit_abi_version); these bindings are for ABI _library.ABI_VERSION."""
    return _lib.deit_abi_version()


__all__ = ["Model", "ModelInfo", "Prediction", "DeiTError", "InputError", "Status", "library_version",
           "abi_version", "library_path", "__version__"]
