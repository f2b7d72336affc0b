"""Model.attention, attention_rollout and attention_distance against timm's probabilities and the
numpy reference in Tests/Fixtures/attention (scripts/python/gen_attention_fixtures.py)."""

import numpy as np
import pytest

import deit
from conftest import CONFORMANCE, FIXTURES, read_f32

ATTENTION = FIXTURES / "attention"
CASES = [dict(zip(["case", "model", "rows", "depth", "heads", "tokens", "prefix", "patch_size"], line.split("\t")))
         for line in (ATTENTION / "attention.tsv").read_text().splitlines()[1:]]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
@pytest.mark.parametrize("threads", [1, 2])
def test_attention_matches_timm(case, threads):
    depth, heads, tokens, prefix = (int(case[k]) for k in ("depth", "heads", "tokens", "prefix"))
    rows = tokens if case["rows"] == "all" else prefix
    expected = read_f32(ATTENTION / f"{case['case']}.attn.f32").reshape(depth, heads, rows, tokens)
    with deit.Model(CONFORMANCE / case["model"] / "model.safetensors", threads=threads) as model:
        assert model.info.num_prefix_tokens == prefix
        size = model.info.image_size
        image = read_f32(CONFORMANCE / case["model"] / "image.in.f32").reshape(3, size, size)
        maps = model.attention(image, rows=case["rows"])
        assert maps.shape == expected.shape
        assert float(np.max(np.abs(maps - expected))) <= 1e-5
        last = model.attention(image, rows=case["rows"], blocks=range(depth - 1, depth))
        assert np.array_equal(last[0], maps[-1])
        if case["rows"] == "all":
            rollout = deit.attention_rollout(maps)
            assert float(np.max(np.abs(rollout - read_f32(ATTENTION / f"{case['case']}.rollout.f32").reshape(tokens, tokens)))) <= 1e-5
            distance = deit.attention_distance(maps, prefix, int(case["patch_size"]))
            reference = read_f32(ATTENTION / f"{case['case']}.distance.f32").reshape(depth, heads)
            assert np.allclose(distance, reference, rtol=1e-4, atol=1e-4)


def test_attention_refuses_bad_arguments():
    case = CASES[0]
    with deit.Model(CONFORMANCE / case["model"] / "model.safetensors") as model:
        size = model.info.image_size
        image = np.zeros((3, size, size), dtype=np.float32)
        with pytest.raises(deit.InputError):
            model.attention(image, rows="some")
        with pytest.raises(deit.InputError):
            model.attention(image, blocks=range(0, model.info.depth + 1))
        with pytest.raises(deit.InputError):
            model.attention(np.zeros((2, 3, size, size), dtype=np.float32))
        with pytest.raises(deit.InputError):
            deit.attention_rollout(np.zeros((1, 1, 3, 4), dtype=np.float32))
        with pytest.raises(deit.InputError):
            deit.attention_distance(model.attention(image, rows="all"), model.info.num_tokens + 1, 16)
