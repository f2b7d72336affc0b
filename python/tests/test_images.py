"""classify, embed and preprocess on file paths, numpy arrays and PIL images."""

import numpy as np
import pytest

import deit
from conftest import CONFORMANCE, FIXTURES, IMAGES, read_f32, within_tolerance


def pil_rgb(name, width, height):
    """PIL's own decode of a committed JPEG (the `.pil.rgb` fixture), as an H×W×3 array: no Pillow needed."""
    return np.fromfile(IMAGES / f"{name}.pil.rgb", dtype=np.uint8).reshape(height, width, 3)


def test_classify_a_path(tiny):
    top = tiny.classify(IMAGES / "photo_120x90.jpg", top=5)
    assert len(top) == 5 and all(isinstance(p, deit.Prediction) for p in top)
    probabilities = [p.probability for p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.0001
    # A 1000-class model without a description gets the ImageNet-1k names (deit_class_label).
    assert all(p.label == tiny.label(p.index) and p.label for p in top)
    assert tiny.label(0) == "tench, Tinca tinca"
    assert tiny.label(1000) is None and tiny.label(-1) is None
    assert len(tiny.labels) == 1000
    # A str path and a pathlib path are the same file.
    assert tiny.classify(str(IMAGES / "photo_120x90.jpg"), top=5) == top


def test_classify_an_array_equals_run_on_its_preprocessed_input(tiny):
    pixels = pil_rgb("photo_120x90.jpg", 120, 90)
    top = tiny.classify(pixels, top=3)
    logits = tiny.run(tiny.preprocess(pixels))
    # The same preprocessing and forward pass: the very same floats.
    assert [p.index for p in top] == list(np.argsort(-logits, kind="stable")[:3])
    assert [p.logit for p in top] == [float(logits[p.index]) for p in top]
    exp = np.exp(logits.astype(np.float64) - logits.max())
    assert top[0].probability == pytest.approx(exp[top[0].index] / exp.sum(), rel=1e-5)


def test_png_paths_and_pixels_agree_exactly(tiny):
    """PNG is lossless: libdeit's decode of the file and PIL's pixels give the same classes and numbers,
    for RGB, gray, gray+alpha, RGBA and palette files (alpha dropped, as PIL's convert("RGB"))."""
    Image = pytest.importorskip("PIL.Image")
    for name in ("rgb_97x61.png", "gray_50x80.png", "gray_alpha_64x64.png", "rgba_45x30.png", "palette_40x40.png"):
        from_path = tiny.classify(IMAGES / name, top=3)
        with Image.open(IMAGES / name) as image:
            assert tiny.classify(image, top=3) == from_path, name
            assert tiny.classify(np.asarray(image.convert("RGB")), top=3) == from_path, name


def test_pil_image_equals_its_array(tiny):
    Image = pytest.importorskip("PIL.Image")
    with Image.open(IMAGES / "photo_120x90.jpg") as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), pil_rgb("photo_120x90.jpg", 120, 90))
        assert tiny.classify(image) == tiny.classify(pil_rgb("photo_120x90.jpg", 120, 90))
        assert np.array_equal(tiny.embed(image), tiny.embed(IMAGES / "photo_120x90.jpg"))


def test_strided_arrays_are_copied_not_misread(tiny):
    pixels = pil_rgb("photo_120x90.jpg", 120, 90)
    for view in (pixels[::-1], pixels[:, ::2], pixels[10:70, 20:100], pixels[..., ::-1], np.asfortranarray(pixels)):
        assert not view.flags.c_contiguous or view is pixels
        assert tiny.classify(view, top=3) == tiny.classify(np.ascontiguousarray(view), top=3)
        assert np.array_equal(tiny.preprocess(view), tiny.preprocess(np.ascontiguousarray(view)))


def test_embed_is_the_features_of_the_preprocessed_input(tiny):
    pixels = pil_rgb("gray_77x51.jpg", 77, 51)
    features = tiny.embed(pixels)
    assert features.shape == (192,) and features.dtype == np.float32
    assert np.array_equal(features, tiny.run_features(tiny.preprocess(pixels)))
    assert np.linalg.norm(features) > 0


def test_preprocess_is_timms_eval_transform():
    """deit_tiny_d2 run at 32 px (2×2 patches) preprocesses as timm at S=32 with its defaults (bicubic,
    crop_pct 0.9, ImageNet mean/std): bit for bit the committed tensor timm made from PIL's pixels."""
    Image = pytest.importorskip("PIL.Image")
    with deit.Model(CONFORMANCE / "deit_tiny_d2" / "model.safetensors", image_size=32) as model:
        with Image.open(IMAGES / "rgb_97x61.png") as image:
            tensor = model.preprocess(image)
    assert tensor.shape == (3, 32, 32) and tensor.dtype == np.float32
    assert np.array_equal(tensor, read_f32(IMAGES / "rgb_97x61.png.s32_c0.9.in.f32").reshape(3, 32, 32))


def test_headless_model_embeds_but_does_not_classify():
    with deit.Model(CONFORMANCE / "vit_headless_d1" / "model.safetensors") as model:
        assert model.info.num_classes == 0 and model.info.output_dim == 64
        assert model.embed(pil_rgb("photo_120x90.jpg", 120, 90)).shape == (64,)
        with pytest.raises(deit.DeiTError) as raised:
            model.classify(pil_rgb("photo_120x90.jpg", 120, 90), top=1)
        assert raised.value.status == deit.Status.UNSUPPORTED
        assert "embed" in raised.value.message


def test_image_size_runs_the_model_at_another_resolution():
    models = FIXTURES / "resolution" / "models"
    with deit.Model(CONFORMANCE / "deit_tiny_d2" / "model.safetensors", image_size=288, threads=2) as model:
        assert (model.info.image_size, model.info.num_tokens) == (288, 18 * 18 + 1)
        ok, error = within_tolerance(model.run(read_f32(models / "deit_tiny_d2_at288.in.f32").reshape(3, 288, 288)),
                                     read_f32(models / "deit_tiny_d2_at288.logits.f32"))
        assert ok, f"max error {error}"
        assert model.preprocess(pil_rgb("photo_120x90.jpg", 120, 90)).shape == (3, 288, 288)


def test_from_bytes_equals_the_file(tiny):
    data = (CONFORMANCE / "deit_tiny_d2" / "model.safetensors").read_bytes()
    with deit.Model.from_bytes(data) as model:
        assert model.info == tiny.info
        image = read_f32(CONFORMANCE / "deit_tiny_d2" / "image.in.f32").reshape(3, 224, 224)
        assert np.array_equal(model.run(image), tiny.run(image))
