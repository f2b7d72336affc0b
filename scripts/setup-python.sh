#!/usr/bin/env bash
# Create (or reuse) the repo-local virtual environment .venv used ONLY to regenerate
# the timm conformance fixtures. The Swift tests never need it.
# Installs the exact versions in scripts/python/requirements.txt from the configured
# PyPI index; torch is the CPU-only build (torch==2.13.0+cpu), a large download done once.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
requirements="$repo_root/scripts/python/requirements.txt"
stamp="$venv/.fixture-requirements.sha256"  # hash of the requirements last installed
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "setup-python: creating $venv"
    "$python" -m venv "$venv"
fi

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    echo "setup-python: $venv already has the pinned requirements"
else
    echo "setup-python: installing pinned requirements into $venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --only-binary=:all: \
        --requirement "$requirements"
    echo "$wanted" > "$stamp"
fi

# Smoke test: timm (and so torchvision) imports with the op stubs, and torch is the CPU build.
PYTHONPATH="$repo_root/scripts/python" "$venv/bin/python" -c '
import torchvision_stubs, torch, torchvision, timm
assert torch.__version__ == "2.13.0+cpu", torch.__version__
print(f"setup-python: torch {torch.__version__}, torchvision {torchvision.__version__}, timm {timm.__version__}")
'
