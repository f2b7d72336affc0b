"""Bad input is an exception carrying deit's status and message, never a crash: what the bindings
refuse before calling libdeit (InputError), and what libdeit itself reports (DeiTError)."""

import platform

import numpy as np
import pytest

import deit
from conftest import CONFORMANCE, FIXTURES, IMAGES

TINY = CONFORMANCE / "deit_tiny_d2" / "model.safetensors"


def expected_statuses(folder):
    """(file, status name) rows of a corpus's expected.tsv."""
    rows = []
    for line in (folder / "expected.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            name, status = line.split("\t")[:2]
            rows.append((name, status))
    return rows


@pytest.mark.parametrize("name,status", expected_statuses(FIXTURES / "malformed"))
def test_malformed_model_corpus(name, status):
    path = FIXTURES / "malformed" / name
    if status == "DEIT_OK":
        with deit.Model(path) as model:
            assert model.info.depth >= 1
        return
    with pytest.raises(deit.DeiTError) as raised:
        deit.Model(path)
    assert raised.value.status_name == status
    assert raised.value.status == deit.Status[status.removeprefix("DEIT_ERR_")]
    assert raised.value.message and str(raised.value).startswith(status + ": ")


@pytest.mark.parametrize("name,status", expected_statuses(FIXTURES / "malformed-images"))
def test_malformed_image_corpus(tiny, name, status):
    path = FIXTURES / "malformed-images" / name
    if status == "DEIT_OK":
        assert len(tiny.classify(path, top=1)) == 1
        return
    with pytest.raises(deit.DeiTError) as raised:
        tiny.classify(path, top=1)
    assert raised.value.status_name == status, raised.value.message


def test_missing_files(tiny, tmp_path):
    with pytest.raises(deit.DeiTError) as raised:
        deit.Model(tmp_path / "none.safetensors")
    assert raised.value.status == deit.Status.IO and "none.safetensors" in raised.value.message
    with pytest.raises(deit.DeiTError) as raised:
        tiny.classify(tmp_path / "none.png")
    assert raised.value.status == deit.Status.IO and "none.png" in raised.value.message
    pytest.importorskip("PIL")
    with pytest.raises(deit.DeiTError) as raised:
        tiny.embed(tmp_path / "none.png")
    assert raised.value.status == deit.Status.IO and "none.png" in raised.value.message
    # Pillow's failures (embed, preprocess of a path) get the statuses libdeit gives the same file.
    (tmp_path / "notes.jpg").write_text("not an image")
    (tmp_path / "truncated.jpg").write_bytes((IMAGES / "photo_120x90.jpg").read_bytes()[:700])
    for name, status in (("notes.jpg", deit.Status.UNSUPPORTED), ("truncated.jpg", deit.Status.FORMAT)):
        with pytest.raises(deit.DeiTError) as from_libdeit:
            tiny.classify(tmp_path / name)
        with pytest.raises(deit.DeiTError) as from_pillow:
            tiny.embed(tmp_path / name)
        assert from_libdeit.value.status == from_pillow.value.status == status, name
        assert name in from_pillow.value.message


def test_load_options_are_checked():
    for threads in (0, 257, -1, 2**32 + 1):  # 2**32 + 1 would wrap to 1 in an int32
        with pytest.raises(deit.InputError, match="threads"):
            deit.Model(TINY, threads=threads)
    for threads in (True, 1.5, "2", None):
        with pytest.raises(deit.InputError, match="threads"):
            deit.Model(TINY, threads=threads)
    with pytest.raises(deit.InputError, match="image_size"):
        deit.Model(TINY, image_size=2**31)
    with pytest.raises(deit.DeiTError) as raised:
        deit.Model(TINY, image_size=100)  # not a multiple of the patch size: libdeit says so
    assert "patch size 16" in raised.value.message
    assert deit.Model(TINY).kernel_set in ("avx512-vnni", "avx512", "avx-vnni", "avx2-fma",
                                              "neon-dotprod", "neon", "portable")
    baseline = "neon" if platform.machine() in ("aarch64", "arm64") else "portable"
    assert deit.Model(TINY, kernel_set=baseline).kernel_set == baseline  # the baseline runs everywhere
    with pytest.raises(deit.DeiTError) as raised:
        deit.Model(TINY, kernel_set="sse9")
    assert raised.value.status == deit.Status.INVALID_ARGUMENT and "sse9" in raised.value.message
    with pytest.raises(deit.InputError, match="NUL"):
        deit.Model(str(TINY) + "\0.txt")
    with pytest.raises(deit.InputError, match="kernel_set"):
        deit.Model(TINY, kernel_set="auto\0avx512")  # C would read "auto"
    with pytest.raises(deit.InputError, match="kernel_set"):
        deit.Model(TINY, kernel_set=b"auto")
    with pytest.raises(deit.InputError):
        deit.Model(42)
    with pytest.raises(deit.InputError, match="bytes"):
        deit.Model.from_bytes("model.safetensors")
    with pytest.raises(deit.DeiTError) as raised:
        deit.Model.from_bytes(b"")
    assert raised.value.status in (deit.Status.INVALID_ARGUMENT, deit.Status.FORMAT)
    with pytest.raises(deit.DeiTError) as raised:
        deit.Model.from_bytes(b"\x08\0\0\0\0\0\0\0{}      ")
    assert raised.value.status == deit.Status.FORMAT


@pytest.mark.parametrize("image,match", [
    (np.zeros((10, 10, 3), np.float32), "uint8"),
    (np.zeros((10, 10, 3), np.int64), "uint8"),
    (np.zeros((10, 10), np.uint8), "H×W×3"),
    (np.zeros((10, 10, 4), np.uint8), "H×W×3"),
    (np.zeros((2, 10, 10, 3), np.uint8), "H×W×3"),
    (np.zeros((0, 10, 3), np.uint8), "pixels"),
    (np.zeros((10, 0, 3), np.uint8), "pixels"),
    ([[[0, 0, 0]]], "numpy array"),
    (None, "numpy array"),
    (b"photo.jpg", "numpy array"),
])
def test_bad_images_are_refused_before_libdeit(tiny, image, match):
    for call in (lambda: tiny.classify(image), lambda: tiny.embed(image), lambda: tiny.preprocess(image)):
        with pytest.raises(deit.InputError, match=match) as raised:
            call()
        assert raised.value.status == deit.Status.INVALID_ARGUMENT
        assert isinstance(raised.value, ValueError) and isinstance(raised.value, deit.DeiTError)


def test_huge_images_are_refused_without_touching_memory(tiny):
    # A broadcast view claims 2**31 columns over one real pixel: refused by size, never read.
    wide = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (1, 2**31, 3))
    with pytest.raises(deit.InputError, match="larger"):
        tiny.classify(wide)


def test_top_is_checked(tiny):
    pixels = np.zeros((8, 8, 3), np.uint8)
    for top in (0, 1001, -1, 2**32 + 5):
        with pytest.raises(deit.InputError, match="top"):
            tiny.classify(pixels, top=top)
    assert len(tiny.classify(pixels, top=1000)) == 1000


@pytest.mark.parametrize("batch,match", [
    (np.zeros((2, 3, 224, 224), np.uint8), "floating point"),
    (np.zeros((2, 3, 224, 224), np.int32), "floating point"),
    (np.zeros((2, 3, 224, 223), np.float32), "N×3×224×224"),
    (np.zeros((2, 4, 224, 224), np.float32), "N×3×224×224"),
    (np.zeros((224, 224, 3), np.float32), "N×3×224×224"),
    (np.zeros((3, 224), np.float32), "N×3×224×224"),
    (np.zeros((1, 1, 3, 224, 224), np.float32), "N×3×224×224"),
    (np.float32(1), "N×3×224×224"),
    ("input.f32", "floating point"),
    ([object()], "floating point"),
])
def test_bad_batches_are_refused_before_libdeit(tiny, batch, match):
    for call in (tiny.run, tiny.run_features):
        with pytest.raises(deit.InputError, match=match):
            call(batch)


def test_a_closed_model_raises(tmp_path):
    model = deit.Model(TINY)
    model.close()
    model.close()  # twice is harmless
    assert "closed" in repr(model)
    for call in (lambda: model.run(np.zeros((3, 224, 224), np.float32)), lambda: model.classify(IMAGES / "tiny_1x1.png"),
                 lambda: model.preprocess(np.zeros((4, 4, 3), np.uint8)), lambda: model.label(0)):
        with pytest.raises(deit.DeiTError, match="closed"):
            call()
    with deit.Model(TINY) as scoped:
        assert scoped.info.num_classes == 1000
    with pytest.raises(deit.DeiTError, match="closed"):
        scoped.run(np.zeros((3, 224, 224), np.float32))


def test_non_finite_input_runs_without_crashing(tiny):
    batch = np.full((1, 3, 224, 224), np.nan, np.float32)
    assert tiny.run(batch).shape == (1, 1000)
