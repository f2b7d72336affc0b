"""Model: a loaded checkpoint plus the one session that runs it."""

import ctypes
import dataclasses
import os
import threading
import weakref
from typing import NamedTuple, Optional

import numpy as np

from . import _inputs, _library
from ._errors import DeiTError, InputError, Status

# Set by the package on import (deit/__init__.py): the CDLL with its functions declared.
_lib = None

MAX_THREADS = 256  # Session.maxThreads, deit.h's num_threads range
MAX_BATCH = 4096  # Session.maxBatchLimit, deit.h's max_batch range


def check(status):
    """Raises DeiTError with deit's status and this thread's message for a failed call."""
    if status != Status.OK:
        name = _lib.deit_status_string(status).decode("utf-8", "replace")
        message = _lib.deit_last_error().decode("utf-8", "replace")
        raise DeiTError(status, name, message)


class Prediction(NamedTuple):
    """One class of a classify() result."""

    index: int
    label: Optional[str]  # the model's class name; None when it has none (see Model.label)
    probability: float  # softmax over all classes
    logit: float


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """deit_model_info: the configuration derived from the checkpoint (at the size it runs at)."""

    image_size: int  # input side S: run() takes N×3×S×S
    patch_size: int
    embed_dim: int
    depth: int
    num_heads: int
    num_classes: int  # 0 for a headless model (timm num_classes=0)
    num_tokens: int
    distilled: bool
    num_params: int
    weight_bytes: int
    feature_dim: int  # floats embed() and run_features() give per image
    output_dim: int  # floats run() gives per image: num_classes, or feature_dim if headless
    num_prefix_tokens: int  # tokens ahead of the patches (class, distillation)


def _free(handles):
    # Session first, then the model (libdeit would keep the model alive for the session anyway).
    session, model = handles
    if session:
        _lib.deit_session_free(session)
    if model:
        _lib.deit_model_free(model)


# deit_precision's values (include/deit.h); DEIT_PRECISION_FILE (2) is the default, `precision=None`.
PRECISIONS = {"f32": 0, "int8": 1}


class Model:
    """A timm DeiT/ViT checkpoint (safetensors) loaded by libdeit, with one session to run it.

    Model(path, threads=1, image_size=None, kernel_set=None, max_batch=1, precision=None): `threads` workers per call
    (1 to 256); `image_size` runs the model at another multiple of its patch size (pos_embed resampled
    at load, as timm does); `kernel_set` forces a kernel set ("portable", "avx2-fma", "avx-vnni", "avx512",
    "avx512-vnni", "neon", "neon-dotprod"; default "auto": DEIT_KERNEL_SET, else the best set this CPU runs, chosen when the
    session is created; the `kernel_set` attribute names the set it runs); `max_batch` (1 to 4096) the images
    run() passes to libdeit at once (deit_session_run_batch: the images' tokens stacked for every
    Linear layer, faster per image; the same logits, bit for bit). The session's memory grows with it
    (about 1 MB per image for DeiT-Ti); CaiT models take only 1. `precision`: None (default: the
    file's — int8 for a file written by `deit-cli quantize`, else f32), "f32", or "int8" (the blocks'
    Linear layers quantised at load: deit_load_options.precision); the `precision` attribute names
    the precision the model runs.

    Calls on one Model are serialised by a lock (libdeit's session is one thread at a time); use one
    Model per thread to run in parallel. close() (or `with Model(...) as model:`) frees it at once,
    otherwise garbage collection does.
    """

    def __init__(self, path, *, threads=1, image_size=None, kernel_set=None, max_batch=1, precision=None):
        self._load(lambda options, out: _lib.deit_model_load_file_with_options(_inputs.c_path(path), options, out),
                   threads, image_size, kernel_set, max_batch, precision)

    @classmethod
    def from_bytes(cls, data, *, threads=1, image_size=None, kernel_set=None, max_batch=1, precision=None):
        """Loads a checkpoint from the bytes of a safetensors file (libdeit copies what it keeps)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InputError(f"from_bytes takes the bytes of a safetensors file, not {type(data).__name__}")
        data = bytes(data)
        model = cls.__new__(cls)
        buffer = ctypes.create_string_buffer(data, len(data)) if data else None
        model._load(lambda options, out: _lib.deit_model_load_memory_with_options(buffer, len(data), options, out),
                    threads, image_size, kernel_set, max_batch, precision)
        return model

    def _load(self, load, threads, image_size, kernel_set, max_batch=1, precision=None):
        self._handles = [None, None]  # [session, model], freed by the finalizer
        self._finalizer = weakref.finalize(self, _free, self._handles)
        self._lock = threading.Lock()
        threads = _inputs.integer(threads, "threads", 1, MAX_THREADS)
        max_batch = _inputs.integer(max_batch, "max_batch", 1, MAX_BATCH)
        image_size = 0 if image_size is None else _inputs.integer(image_size, "image_size", 1, _inputs.INT32_MAX)
        if kernel_set is not None and (not isinstance(kernel_set, str) or "\0" in kernel_set):
            raise InputError(f"kernel_set must be a string without NUL characters, not {kernel_set!r}")
        if precision is not None and (not isinstance(precision, str) or precision not in PRECISIONS):
            raise InputError(f"precision must be None (the file's), \"f32\" or \"int8\", not {precision!r}")

        load_options = _library.LoadOptionsStruct()
        _lib.deit_load_options_default(ctypes.byref(load_options))
        load_options.image_size = image_size
        if precision is not None:
            load_options.precision = PRECISIONS[precision]
        model = ctypes.c_void_p()
        check(load(ctypes.byref(load_options), ctypes.byref(model)))
        self._handles[1] = model.value

        info = _library.ModelInfoStruct()
        info.struct_size = ctypes.sizeof(info)
        check(_lib.deit_model_get_info(self._handles[1], ctypes.byref(info)))
        self.info = ModelInfo(
            image_size=info.image_size, patch_size=info.patch_size, embed_dim=info.embed_dim, depth=info.depth,
            num_heads=info.num_heads, num_classes=info.num_classes, num_tokens=info.num_tokens,
            distilled=bool(info.distilled), num_params=info.num_params, weight_bytes=info.weight_bytes,
            feature_dim=info.feature_dim, output_dim=info.output_dim, num_prefix_tokens=info.num_prefix_tokens,
        )

        session_options = _library.SessionOptionsStruct()
        _lib.deit_session_options_default(ctypes.byref(session_options))
        session_options.num_threads = threads
        session_options.max_batch = max_batch
        if kernel_set is not None:
            session_options.kernel_set = kernel_set.encode("utf-8")
        session = ctypes.c_void_p()
        check(_lib.deit_session_create_with_options(self._handles[1], ctypes.byref(session_options), None, 0,
                                                    ctypes.byref(session)))
        self._handles[0] = session.value
        self.threads = threads
        self.max_batch = max_batch
        name = ctypes.c_char_p()
        check(_lib.deit_session_get_kernel_set(self._handles[0], ctypes.byref(name)))
        self.kernel_set = name.value.decode("ascii")  # the set the session chose, e.g. "avx2-fma"
        running = ctypes.c_int32(-1)
        check(_lib.deit_model_get_precision(self._handles[1], ctypes.byref(running)))
        self.precision = next(name for name, value in PRECISIONS.items() if value == running.value)

    # MARK: Lifetime

    def close(self):
        """Frees the session and the model now; later calls raise DeiTError. Closing twice is harmless."""
        with self._lock:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _session(self):
        # Called with the lock held: a closed model must not hand libdeit a freed handle.
        if not self._finalizer.alive:
            raise DeiTError(Status.INVALID_ARGUMENT, "DEIT_ERR_INVALID_ARGUMENT", "the model is closed")
        return self._handles[0]

    def _model(self):
        if not self._finalizer.alive:
            raise DeiTError(Status.INVALID_ARGUMENT, "DEIT_ERR_INVALID_ARGUMENT", "the model is closed")
        return self._handles[1]

    def __repr__(self):
        i = self.info
        state = "" if self._finalizer.alive else ", closed"
        return (f"<deit.Model {i.image_size}px patch {i.patch_size} D {i.embed_dim} depth {i.depth} "
                f"{i.num_classes} classes{', distilled' if i.distilled else ''}, {self.threads} thread(s){state}>")

    # MARK: Labels

    def label(self, index):
        """The name of class `index` (config.json label_names, or ImageNet-1k's for 1000-class models
        described as such), None when the model has no names or `index` is out of range."""
        index = _inputs.integer(index, "index", -_inputs.INT32_MAX, _inputs.INT32_MAX)
        with self._lock:
            name = _lib.deit_class_label(self._model(), index)
        return None if name is None else name.decode("utf-8", "replace")

    @property
    def labels(self):
        """The class names, index by index (None for every class when the model has none)."""
        return [self.label(index) for index in range(self.info.num_classes)]

    # MARK: Images

    def classify(self, image, top=5):
        """The `top` best classes of an image, best first, as Predictions (index, label, probability,
        logit), after the model's eval transform (timm's). `image`: a file path (JPEG/PNG, decoded by
        libdeit as deit-cli does), a numpy array (H×W×3 uint8 RGB) or a PIL image."""
        top = _inputs.integer(top, "top", 1, max(self.info.num_classes, 1))
        results = (_library.PredictionStruct * top)()
        if _inputs.is_path(image):
            path = _inputs.c_path(image)
            with self._lock:
                check(_lib.deit_classify_file_with_limits(self._session(), path, None, top, results))
        else:
            pixels = _inputs.rgb8(image)
            height, width = pixels.shape[:2]
            with self._lock:
                check(_lib.deit_classify_rgb8(self._session(), pixels.ctypes.data, width, height, 3 * width, top,
                                              results))
        return [Prediction(r.class_index, self.label(r.class_index), float(r.probability), float(r.logit))
                for r in results]

    def preprocess(self, image):
        """The model input for an image (float32 3×S×S, normalised, channel-major): the model's eval
        transform, as run() takes it. `image`: a numpy array (H×W×3 uint8), a PIL image, or a file path
        (decoded with Pillow)."""
        pixels = _inputs.open_with_pil(image) if _inputs.is_path(image) else _inputs.rgb8(image)
        height, width = pixels.shape[:2]
        size = self.info.image_size
        out = np.empty((3, size, size), dtype=np.float32)
        with self._lock:
            check(_lib.deit_preprocess_rgb8(self._model(), pixels.ctypes.data, width, height, 3 * width,
                                            out.ctypes.data, out.size))
        return out

    def embed(self, image):
        """The pooled features of an image (float32, feature_dim values: timm's
        forward_head(pre_logits=True), the embedding for retrieval), after the eval transform.
        `image` as for preprocess()."""
        return self.run_features(self.preprocess(image))

    # MARK: Tensors

    def run(self, batch):
        """The logits (for a headless model its features) of preprocessed input: N×3×S×S float32 →
        N×output_dim float32 (one 3×S×S image → output_dim values). Other float dtypes are converted.
        N images go to libdeit max_batch at a time (deit_session_run_batch); each image's logits are
        the same bits as when it runs alone."""
        return self._run(batch, features=False)

    def run_features(self, batch):
        """The pooled features of preprocessed input: N×3×S×S float32 → N×feature_dim float32 (one
        3×S×S image → feature_dim values)."""
        return self._run(batch, features=True)

    def attention(self, image, rows="prefix", blocks=None):
        """The attention probabilities timm computes, softmax(q·head_dim^-0.5 @ kᵀ), for one image:
        float32 [blocks, heads, R, num_tokens] with R = num_prefix_tokens rows for rows="prefix"
        (what the class and distillation tokens look at) or num_tokens for rows="all" (full maps).
        `image`: preprocessed input (3×S×S float32, as run() takes) or an image as for preprocess().
        `blocks`: a range of block indices (default: every block)."""
        if rows not in ("prefix", "all"):
            raise InputError(f"rows must be 'prefix' or 'all', not {rows!r}")
        blocks = range(self.info.depth) if blocks is None else blocks
        if not isinstance(blocks, range) or blocks.step != 1 or len(blocks) == 0 or blocks.start < 0 \
                or blocks.stop > self.info.depth:
            raise InputError(f"blocks must be a non-empty range within 0..{self.info.depth}, not {blocks!r}")
        if isinstance(image, np.ndarray) and image.dtype != np.uint8:
            inputs, single = _inputs.float_batch(image, self.info.image_size)
            if not single:
                raise InputError("attention() takes one image (3×S×S), not a batch")
        else:
            inputs = self.preprocess(image)[None]
        count = self.info.num_prefix_tokens if rows == "prefix" else self.info.num_tokens
        maps = np.empty((len(blocks), self.info.num_heads, count, self.info.num_tokens), dtype=np.float32)
        flag = 0 if rows == "prefix" else 1   # DEIT_ATTENTION_PREFIX_ROWS, DEIT_ATTENTION_ALL_ROWS
        with self._lock:
            check(_lib.deit_session_run_attention(self._session(), inputs[0].ctypes.data, inputs[0].size, blocks.start,
                                                  len(blocks), flag, maps.ctypes.data, maps.size, None, 0))
        return maps

    def _run(self, batch, features):
        inputs, single = _inputs.float_batch(batch, self.info.image_size)
        width = self.info.feature_dim if features else self.info.output_dim
        outputs = np.empty((inputs.shape[0], width), dtype=np.float32)
        self._run_batch(inputs, outputs, features)
        return outputs[0] if single else outputs

    def _run_batch(self, inputs, outputs, features):
        """Runs every image of `inputs` (N×3×S×S, C-contiguous float32) into `outputs` (N×width):
        logits in batches of up to max_batch images (deit_session_run_batch), features per image."""
        per_image, width = inputs[0].size if len(inputs) else 0, outputs.shape[1]
        with self._lock:
            session = self._session()
            if features:
                for index in range(inputs.shape[0]):
                    check(_lib.deit_session_run_features(session, inputs[index].ctypes.data, per_image,
                                                         outputs[index].ctypes.data, width))
                return
            for first in range(0, inputs.shape[0], self.max_batch):
                count = min(self.max_batch, inputs.shape[0] - first)
                check(_lib.deit_session_run_batch(session, count, inputs[first].ctypes.data, count * per_image,
                                                  outputs[first].ctypes.data, count * width))



def _full_maps(maps):
    maps = np.ascontiguousarray(maps, dtype=np.float32)
    if maps.ndim != 4 or maps.shape[2] != maps.shape[3]:
        raise InputError(f"expected full attention maps [blocks, heads, T, T] (rows='all'), not shape {maps.shape}")
    return maps


def attention_rollout(maps):
    """Attention rollout (Abnar & Zuidema; ViT Appendix D.8) of full maps [blocks, heads, T, T]
    (Model.attention(..., rows="all")): heads averaged, identity added, rows renormalised, multiplied
    through the blocks. Returns T×T float32; row 0 from column num_prefix_tokens on is the class
    token's view of the patches."""
    maps = _full_maps(maps)
    blocks, heads, tokens, _ = maps.shape
    out = np.empty((tokens, tokens), dtype=np.float32)
    check(_lib.deit_attention_rollout(maps.ctypes.data, maps.size, blocks, heads, tokens, out.ctypes.data, out.size))
    return out


def attention_distance(maps, num_prefix_tokens, patch_size):
    """Mean attention distance in pixels (ViT Appendix D.7) per block and head of full maps
    [blocks, heads, T, T]: float32 [blocks, heads]."""
    maps = _full_maps(maps)
    blocks, heads, tokens, _ = maps.shape
    out = np.empty((blocks, heads), dtype=np.float32)
    check(_lib.deit_attention_distance(maps.ctypes.data, maps.size, blocks, heads, tokens,
                                       _inputs.integer(num_prefix_tokens, "num_prefix_tokens", 0, tokens),
                                       _inputs.integer(patch_size, "patch_size", 1, 1 << 16), out.ctypes.data, out.size))
    return out
