"""run() and run_features() on every committed conformance fixture against timm's own outputs."""

import numpy as np
import pytest

import deit
from conftest import CONFORMANCE, manifest, read_f32, within_tolerance

CASES = [(row, name) for row in manifest() for name in row["inputs"]]


@pytest.mark.parametrize("row,name", CASES, ids=[f"{row['model']}-{name}" for row, name in CASES])
def test_logits_and_features_match_timm(row, name):
    folder = CONFORMANCE / row["model"]
    size = row["image_size"]
    with deit.Model(folder / "model.safetensors") as model:
        batch = read_f32(folder / f"{name}.in.f32").reshape(3, size, size)
        logits = model.run(batch)
        reference = read_f32(folder / f"{name}.logits.f32")
        assert logits.shape == reference.shape == (model.info.output_dim,)
        ok, error = within_tolerance(logits, reference)
        assert ok, f"logits max error {error}"
        if row["num_classes"] > 0:
            # The same five best classes as timm.
            assert set(np.argsort(-logits)[:5]) == set(np.argsort(-reference)[:5])
        features = model.run_features(batch)
        ok, error = within_tolerance(features, read_f32(folder / f"{name}.features.f32"))
        assert features.shape == (row["embed_dim"],) and ok, f"features max error {error}"


@pytest.mark.parametrize("row", manifest(), ids=[row["model"] for row in manifest()])
def test_info_matches_the_manifest(row):
    with deit.Model(CONFORMANCE / row["model"] / "model.safetensors") as model:
        info = model.info
        assert (info.image_size, info.patch_size, info.embed_dim, info.depth, info.num_heads, info.num_classes) == (
            row["image_size"], row["patch_size"], row["embed_dim"], row["depth"], row["num_heads"], row["num_classes"])
        assert info.distilled == bool(row["distilled"])
        assert info.feature_dim == row["embed_dim"]
        assert info.output_dim == (row["num_classes"] or row["embed_dim"])
        # Prefix tokens in timm's order: class (unless no_class_token), distillation, regN registers.
        features = row.get("features", "-").split(",")
        registers = sum(int(f[3:]) for f in features if f.startswith("reg") and f[3:].isdigit())
        prefix = (0 if "no_class_token" in features else 1) + row["distilled"] + registers
        assert info.num_prefix_tokens == prefix
        assert info.num_tokens == (row["image_size"] // row["patch_size"]) ** 2 + prefix


@pytest.mark.parametrize("threads", [1, 2])
def test_a_batch_equals_single_runs_bit_for_bit(threads):
    folder = CONFORMANCE / "deit_tiny_d2"
    with deit.Model(folder / "model.safetensors", threads=threads) as model:
        images = [read_f32(folder / f"{name}.in.f32").reshape(3, 224, 224) for name in ("random", "image")]
        batch = np.stack([images[0], images[1], images[0]])
        logits = model.run(batch)
        assert logits.shape == (3, 1000) and logits.dtype == np.float32
        for row, image in zip(logits, [images[0], images[1], images[0]]):
            assert np.array_equal(row, model.run(image))
        features = model.run_features(batch)
        assert features.shape == (3, 192)
        assert np.array_equal(features[1], model.run_features(images[1]))


def test_non_contiguous_and_float64_batches_are_converted(tiny):
    image = read_f32(CONFORMANCE / "deit_tiny_d2" / "image.in.f32").reshape(3, 224, 224)
    expected = tiny.run(image)
    # A transposed view (not C-contiguous) and float64 give the same float32 input.
    hwc = np.ascontiguousarray(image.transpose(1, 2, 0))
    assert np.array_equal(tiny.run(hwc.transpose(2, 0, 1)), expected)
    assert np.array_equal(tiny.run(image.astype(np.float64)), expected)
    assert np.array_equal(tiny.run(image.tolist()), expected)
    assert tiny.run(np.zeros((0, 3, 224, 224), np.float32)).shape == (0, 1000)


def test_threads_sharing_a_model_get_the_same_results(tiny):
    import threading

    image = read_f32(CONFORMANCE / "deit_tiny_d2" / "image.in.f32").reshape(3, 224, 224)
    expected = tiny.run(image)
    results, errors = [], []

    def worker():
        try:
            for _ in range(3):
                results.append(tiny.run(image))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 12 and all(np.array_equal(result, expected) for result in results)
