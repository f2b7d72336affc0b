"""Make the PyPI (CUDA-built) torchvision importable next to the CPU-only torch.

PyPI only ships CUDA builds of torchvision for Linux x86_64. Its `_C.so` links
`libtorch_cuda.so`, which the `+cpu` torch wheel lacks, so torchvision silently
runs without its C++ ops. `torchvision/_meta_registrations.py` then registers
fake kernels for `torchvision::nms` and `torchvision::qnms` unconditionally and
the import fails with "operator torchvision::nms does not exist"
(pytorch/vision issue: same symptom whenever `_C` cannot load).

The fix here declares just those two operator schemas (no kernels), so the
registration succeeds. Any real call to nms/qnms still fails loudly
("no kernel"); timm's ViT models and eval transforms never call them.
Import this module before `timm` or `torchvision`.
"""

import glob
import importlib.util
import os

import torch

_stub_library = None  # kept alive: dropping the Library object removes the schemas again


def install() -> bool:
    """Declare the missing schemas if torchvision's own C++ ops cannot load.

    Returns True when stubs were installed, False when the real ops loaded.
    """
    global _stub_library
    if _stub_library is not None:
        return True
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("torchvision is not installed")
    package_dir = list(spec.submodule_search_locations)[0]
    for extension in glob.glob(os.path.join(package_dir, "_C*.so")):
        try:
            torch.ops.load_library(extension)
            return False  # a matching CPU build: real ops, nothing to stub
        except OSError:
            pass
    _stub_library = torch.library.Library("torchvision", "FRAGMENT")
    _stub_library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _stub_library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    return True


install()
