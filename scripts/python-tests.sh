#!/usr/bin/env bash
# The Python module's check: installs python/ (the `deit` ctypes bindings) with pip into a fresh
# virtual environment in a temporary directory, as a user would, and runs its pytest suite
# (python/tests) against the just-built libdeit.so. Needs python3 with venv and PyPI for numpy,
# pytest, pillow and setuptools (pip's cache makes later runs fast). Real-weight tests use the
# shared data at $DEIT_SHARED (else ../shared) and skip with a message without it.
# Usage: scripts/python-tests.sh BIN_DIR   (the directory holding libdeit.so, e.g. .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bin=${1:?usage: scripts/python-tests.sh BIN_DIR}
library="$(cd "$bin" && pwd)/libdeit.so"
[ -f "$library" ] || { echo "python-tests: no $library (build first: swift build -c release)" >&2; exit 1; }
python=${DEIT_PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet numpy pytest pillow
# From a copy, so that setuptools' build/ and *.egg-info land in the temporary directory, not the checkout.
cp -R python "$work/source"
"$work/venv/bin/pip" install --quiet "$work/source"
echo "python-tests: $("$work/venv/bin/python" --version), deit $("$work/venv/bin/pip" show deit | sed -n 's/^Version: //p') installed; libdeit: $library"

# From the temporary directory, so that `import deit` is the installed package (site-packages), not
# python/deit of the checkout; the tests find the fixtures through their own path.
cd "$work"
DEIT_LIBRARY="$library" "$work/venv/bin/python" -c 'import deit, sys; sys.exit(0 if "site-packages" in deit.__file__ else "deit imported from " + deit.__file__)'
DEIT_LIBRARY="$library" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider -rs "$repo/python/tests"
