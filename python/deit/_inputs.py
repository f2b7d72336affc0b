"""Checks and conversions of what callers pass, done before any C call: libdeit is only ever given
C-contiguous arrays of the dtype and shape it expects, with sizes that fit its int32 arguments, so
bad input is an InputError and never memory the library would misread."""

import os
import sys

import numpy as np

from ._errors import DeiTError, InputError, Status

INT32_MAX = 2**31 - 1


def is_path(image):
    return isinstance(image, (str, os.PathLike))


def c_path(path):
    """`path` as the bytes of a C string: a NUL inside would silently cut it short in C."""
    if not is_path(path):
        raise InputError(f"a path is a str or os.PathLike, not {type(path).__name__}")
    encoded = os.fsencode(path)
    if b"\0" in encoded:
        raise InputError(f"path {os.fspath(path)!r} contains a NUL character")
    return encoded


def _pil_image_class():
    # Only an already imported PIL can have made a PIL image: no import (and no Pillow dependency) here.
    module = sys.modules.get("PIL.Image")
    return getattr(module, "Image", None) if module is not None else None


def open_with_pil(path):
    """RGB pixels of an image file decoded by Pillow (as timm decodes it), for the calls libdeit has no
    file entry point for (embed, preprocess)."""
    try:
        from PIL import Image
    except ImportError:
        raise InputError(
            f"{os.fspath(path)}: reading an image file here needs Pillow (pip install pillow); "
            "or pass the pixels as a numpy array (H×W×3 uint8)"
        ) from None
    try:
        with Image.open(path) as image:
            return rgb8(image.convert("RGB"))
    except Image.DecompressionBombError as error:
        raise DeiTError(Status.OUT_OF_MEMORY, "DEIT_ERR_OUT_OF_MEMORY", f"{os.fspath(path)}: {error}") from None
    except Image.UnidentifiedImageError as error:
        # Not a format Pillow reads: what libdeit calls UNSUPPORTED (as classify of the same file says).
        raise DeiTError(Status.UNSUPPORTED, "DEIT_ERR_UNSUPPORTED", f"{os.fspath(path)}: {error}") from None
    except OSError as error:
        # An OS error (missing, unreadable) is IO; Pillow's own (truncated, corrupt) carry no errno.
        status, name = (Status.IO, "DEIT_ERR_IO") if error.errno is not None else (Status.FORMAT, "DEIT_ERR_FORMAT")
        raise DeiTError(status, name, f"{os.fspath(path)}: {error}") from None


def rgb8(image):
    """(H, W, 3) uint8 C-contiguous pixels from a numpy array or a PIL image."""
    pil_image = _pil_image_class()
    if pil_image is not None and isinstance(image, pil_image):
        # As PIL's convert("RGB"), which deit's decoder also follows: gray replicated, alpha dropped.
        image = np.asarray(image.convert("RGB"))
    if not isinstance(image, np.ndarray):
        raise InputError(
            f"an image is a file path, a PIL image or a numpy array (H×W×3 uint8), not {type(image).__name__}"
        )
    if image.dtype != np.uint8:
        raise InputError(
            f"image pixels must be uint8 (H×W×3 RGB), not {image.dtype}; "
            "a preprocessed float32 tensor (3×S×S) goes to run() or run_features()"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"an image array must be H×W×3 (RGB), not shape {image.shape}")
    height, width = image.shape[0], image.shape[1]
    if height == 0 or width == 0:
        raise InputError(f"an image must have pixels, not shape {image.shape}")
    if height > INT32_MAX or 3 * width > INT32_MAX:
        raise InputError(f"image of shape {image.shape} is larger than libdeit can address")
    return np.ascontiguousarray(image)


def float_batch(batch, image_size):
    """(N, 3, S, S) float32 C-contiguous from an (N, 3, S, S) or (3, S, S) float array, and whether it
    was a single image (3-D)."""
    array = batch if isinstance(batch, np.ndarray) else np.asarray(batch)
    if array.dtype.kind != "f":
        raise InputError(
            f"model input must be floating point (float32, normalised 3×S×S), not {array.dtype}; "
            "uint8 pixels go to classify(), embed() or preprocess()"
        )
    single = array.ndim == 3
    if single:
        array = array[np.newaxis]
    expected = (3, image_size, image_size)
    if array.ndim != 4 or tuple(array.shape[1:]) != expected:
        raise InputError(
            f"model input must be N×3×{image_size}×{image_size} (or 3×{image_size}×{image_size}), "
            f"not shape {tuple(batch.shape) if hasattr(batch, 'shape') else array.shape}"
        )
    return np.ascontiguousarray(array, dtype=np.float32), single


def integer(value, name, low, high):
    """`value` as an int in low…high: ctypes would silently wrap an out-of-range int into int32."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} must be an integer, not {type(value).__name__}")
    value = int(value)
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}, not {value}")
    return value
