"""The real DeiT-Ti (ImageNet-1k weights) from ../shared: timm's logits on its reference inputs, and
real photos classified as timm does. Skipped, saying where it looked, when the shared data is absent."""

import numpy as np
import pytest

from conftest import SHARED, read_f32, within_tolerance

REFERENCE = SHARED / "data" / "reference"
PHOTOS = SHARED / "data" / "imagenet-sample"


def reference_names():
    return sorted(path.name[: -len(".in.f32")] for path in REFERENCE.glob("*.in.f32")) if REFERENCE.exists() else []


def timm_top5():
    """file → (true class, timm's top-5 indices) from timm-reference-top5.tsv."""
    rows = {}
    for line in (PHOTOS / "timm-reference-top5.tsv").read_text().splitlines():
        name, truth, top5 = line.split("\t")[:3]
        rows[name] = (int(truth), [int(index) for index in top5.split(",")])
    return rows


def test_logits_match_timm_on_the_reference_inputs(shared_model):
    names = reference_names()
    assert len(names) == 16
    batch = np.stack([read_f32(REFERENCE / f"{name}.in.f32").reshape(3, 224, 224) for name in names])
    logits = shared_model.run(batch)
    for name, row in zip(names, logits):
        reference = read_f32(REFERENCE / f"{name}.logits.f32")
        ok, error = within_tolerance(row, reference)
        assert ok, f"{name}: max error {error}"
        assert set(np.argsort(-row)[:5]) == set(np.argsort(-reference)[:5]), name


def test_a_photo_is_classified_as_timm_does(shared_model):
    Image = pytest.importorskip("PIL.Image")
    expected = timm_top5()
    for name in ("n01440764_tench.JPEG", "n01518878_ostrich.JPEG", "n01443537_goldfish.JPEG"):
        truth, timm = expected[name]
        # PIL decodes as timm does, so the input is timm's: same top-5, in the same order.
        with Image.open(PHOTOS / name) as image:
            top = shared_model.classify(image, top=5)
        assert [p.index for p in top] == timm, name
        assert top[0].index == truth and top[0].probability > 0.5, name
        # libdeit's own JPEG decoder (stb_image) differs from libjpeg by a few levels: same best class.
        assert shared_model.classify(PHOTOS / name, top=1)[0].index == truth, name
    tench = shared_model.classify(PHOTOS / "n01440764_tench.JPEG", top=1)[0]
    assert tench.label == "tench, Tinca tinca"
    assert shared_model.embed(PHOTOS / "n01440764_tench.JPEG").shape == (192,)
