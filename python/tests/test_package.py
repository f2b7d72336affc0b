"""The package itself: its version, how it finds libdeit, and the README's example."""

import os
import re
import subprocess
import sys
from importlib import metadata

import pytest

import deit
from conftest import CONFORMANCE, IMAGES, REPO


def header_version():
    header = (REPO / "include" / "deit.h").read_text()
    parts = [re.search(rf"#define DEIT_VERSION_{part} (\d+)", header).group(1) for part in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


def test_versions_agree_with_the_header():
    assert deit.library_version() == header_version()
    assert deit.abi_version() == 0
    try:
        installed = metadata.version("deit")
    except metadata.PackageNotFoundError:
        pytest.skip("deit is imported from the source tree, not installed: no package version to compare")
    assert installed == deit.__version__ == header_version(), "python/pyproject.toml's version must be deit.h's"


def import_with(environment):
    """Imports deit in a fresh interpreter with `environment` over this one's; (exit code, output)."""
    env = dict(os.environ, **environment)
    result = subprocess.run([sys.executable, "-c", "import deit; print(deit.library_path)"], env=env,
                            capture_output=True, text=True, cwd=str(REPO.parent))
    return result.returncode, result.stdout + result.stderr


def test_deit_library_names_the_file_or_its_directory():
    library = deit.library_path
    code, output = import_with({"DEIT_LIBRARY": library})
    assert code == 0 and output.strip() == library
    code, output = import_with({"DEIT_LIBRARY": os.path.dirname(library)})
    assert code == 0 and os.path.dirname(output.strip()) == os.path.dirname(library)


def test_a_wrong_deit_library_is_an_import_error_naming_it(tmp_path):
    code, output = import_with({"DEIT_LIBRARY": str(tmp_path / "libdeit.so")})
    assert code != 0 and "ImportError" in output and "DEIT_LIBRARY" in output and "no such file" in output
    # Another shared library is not libdeit (no silent fallback to the system's).
    (tmp_path / "libdeit.so").write_bytes(b"\x7fELF not really")
    code, output = import_with({"DEIT_LIBRARY": str(tmp_path / "libdeit.so")})
    assert code != 0 and "ImportError" in output and str(tmp_path) in output


def readme_example():
    """The ```python block of README.md's Python section."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("\n## Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(tmp_path):
    # The example's files: the committed 1000-class fixture and photo under the names it uses.
    (tmp_path / "deit_tiny.safetensors").symlink_to(CONFORMANCE / "deit_tiny_d2" / "model.safetensors")
    (tmp_path / "photo.jpg").symlink_to(IMAGES / "photo_120x90.jpg")
    result = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "harvester" in result.stdout  # deit_tiny_d2's top class on the photo (random weights)
