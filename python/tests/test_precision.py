"""Model(precision=...): the load option deit_load_options.precision, and the `precision` attribute
read back from libdeit (deit_model_get_precision)."""

import numpy as np
import pytest

from conftest import CONFORMANCE

FIXTURE = CONFORMANCE / "deit_tiny_d2"
TINY = FIXTURE / "model.safetensors"


def test_int8_is_asked_for_and_reported(deit):
    f32, int8 = deit.Model(TINY), deit.Model(TINY, precision="int8")
    assert f32.precision == "f32" and deit.Model(TINY, precision="f32").precision == "f32"
    assert int8.precision == "int8"
    assert deit.Model.from_bytes(TINY.read_bytes(), precision="int8").precision == "int8"
    size = f32.info.image_size
    rng = np.random.default_rng(3)
    image = rng.standard_normal((3, size, size)).astype(np.float32)
    reference, quantized = f32.run(image), int8.run(image)
    # The int8 run is another computation (not f32 again) that follows the f32 logits closely.
    assert not np.array_equal(reference, quantized)
    cosine = float(np.dot(reference, quantized) / (np.linalg.norm(reference) * np.linalg.norm(quantized)))
    assert cosine >= 0.99, cosine


@pytest.mark.parametrize("value", ["int4", "INT8", "", 8, b"int8", ["int8"]])
def test_unknown_precisions_are_refused_before_libdeit(deit, value):
    with pytest.raises(deit.InputError, match="precision"):
        deit.Model(TINY, precision=value)
