"""Model(max_batch=N).run: a numpy batch N×3×S×S goes to libdeit max_batch images at a time
(deit_session_run_batch) and gives, bit for bit, the logits of each image run alone."""

import numpy as np
import pytest

from conftest import CONFORMANCE, SHARED, manifest, read_f32


def inputs_for(row, count):
    """`count` different 3×S×S inputs: the fixture's own, then scaled and shifted copies of them."""
    size = row["image_size"]
    base = [read_f32(CONFORMANCE / row["model"] / f"{name}.in.f32").reshape(3, size, size) for name in row["inputs"]]
    images = [base[index % len(base)] * (1 + 0.05 * (index // len(base))) - 0.01 * (index // len(base))
              for index in range(count)]
    return np.ascontiguousarray(np.stack(images), dtype=np.float32)


def singles(model, batch):
    return np.stack([model.run(image) for image in batch])


VIT_MODELS = [row for row in manifest() if not row["model"].startswith("cait")]


@pytest.mark.parametrize("row", VIT_MODELS, ids=[row["model"] for row in VIT_MODELS])
@pytest.mark.parametrize("threads", [1, 2])
def test_batches_are_bit_identical_to_single_runs(deit, row, threads):
    path = CONFORMANCE / row["model"] / "model.safetensors"
    batch = inputs_for(row, 5)
    with deit.Model(path, threads=threads) as single:
        expected = singles(single, batch)
    assert not np.array_equal(expected[0], expected[1]), "the test images must give different logits"
    # max_batch 3 on 5 images: one batch of 3, then one of 2.
    with deit.Model(path, threads=threads, max_batch=3) as batched:
        assert batched.max_batch == 3
        logits = batched.run(batch)
        assert logits.shape == (5, single.info.output_dim) and logits.dtype == np.float32
        assert np.array_equal(logits.view(np.uint32), expected.view(np.uint32))
        # One image, and a batch of exactly max_batch.
        assert np.array_equal(batched.run(batch[2]).view(np.uint32), expected[2].view(np.uint32))
        assert np.array_equal(batched.run(batch[:3]).view(np.uint32), expected[:3].view(np.uint32))


def test_max_batch_is_checked(deit):
    path = CONFORMANCE / "deit_tiny_d2" / "model.safetensors"
    for bad in (0, -1, 4097, 2.5, True):
        with pytest.raises(deit.InputError, match="max_batch"):
            deit.Model(path, max_batch=bad)


def test_cait_refuses_batches_by_name(deit):
    path = CONFORMANCE / "cait_xxs24_d2" / "model.safetensors"
    with pytest.raises(deit.DeiTError, match="CaiT"):
        deit.Model(path, max_batch=2)
    with deit.Model(path) as model:  # max_batch 1 still works
        assert model.max_batch == 1


def test_real_deit_tiny_batches_are_bit_identical(deit):
    model_path = SHARED / "models" / "deit-tiny-in1k.safetensors"
    reference = SHARED / "data" / "reference"
    if not model_path.exists() or not reference.exists():
        pytest.skip(f"real DeiT-Ti weights or reference inputs not found under {SHARED} (set DEIT_SHARED)")
    names = sorted(reference.glob("*.in.f32"))[:6]
    batch = np.stack([read_f32(name).reshape(3, 224, 224) for name in names])
    for threads in (1, 2):
        with deit.Model(model_path, threads=threads) as single:
            expected = singles(single, batch)
        with deit.Model(model_path, threads=threads, max_batch=4) as batched:
            assert np.array_equal(batched.run(batch).view(np.uint32), expected.view(np.uint32)), f"threads {threads}"
