"""Where the tests find libdeit, the repository's fixtures and the optional shared data.

libdeit: DEIT_LIBRARY as set by the caller (scripts/python-tests.sh sets it to the just-built
library); unset, the release build of this checkout when there is one, so that a bare `pytest`
in a development tree tests the tree's library rather than an installed one.
"""

import os
import pathlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures"
CONFORMANCE = FIXTURES / "conformance"
IMAGES = FIXTURES / "images"
SHARED = pathlib.Path(os.environ.get("DEIT_SHARED") or REPO.parent / "shared")

if "DEIT_LIBRARY" not in os.environ and (REPO / ".build" / "release" / "libdeit.so").exists():
    os.environ["DEIT_LIBRARY"] = str(REPO / ".build" / "release" / "libdeit.so")

# The conformance tolerance of the Swift and C runners (Tests/Fixtures/conformance/README.md).
RELATIVE_TOLERANCE = 2e-4


def read_f32(path):
    return np.fromfile(path, dtype="<f4")


def within_tolerance(actual, reference):
    """max|actual - reference| <= 2e-4 · max(1, max|reference|), and the error itself."""
    error = float(np.max(np.abs(actual.astype(np.float64) - reference)))
    return error <= RELATIVE_TOLERANCE * max(1.0, float(np.max(np.abs(reference)))), error


def manifest():
    """The conformance models: dicts of manifest.tsv's columns, numbers as ints."""
    lines = (CONFORMANCE / "manifest.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        for key in ("image_size", "patch_size", "embed_dim", "depth", "num_heads", "num_classes", "distilled"):
            row[key] = int(row[key])
        row["inputs"] = row["inputs"].split(",")
        rows.append(row)
    return rows


@pytest.fixture(scope="session")
def deit():
    import deit as module

    return module


@pytest.fixture(scope="session")
def tiny(deit):
    """deit_tiny_d2: 1000 classes (ImageNet labels), 224 px, two blocks."""
    with deit.Model(CONFORMANCE / "deit_tiny_d2" / "model.safetensors") as model:
        yield model


@pytest.fixture(scope="session")
def shared_model(deit):
    """The real DeiT-Ti from ../shared, or a skip saying where it was looked for."""
    path = SHARED / "models" / "deit-tiny-in1k.safetensors"
    if not path.exists():
        pytest.skip(f"real DeiT-Ti weights not found at {path} (set DEIT_SHARED to the shared data)")
    with deit.Model(path, threads=2) as model:
        yield model
