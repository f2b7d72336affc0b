#!/usr/bin/env bash
# Regenerate Tests/Fixtures/conformance with timm (sets up .venv on first use).
# Extra arguments go to gen_fixtures.py, e.g. --verify-only or --out DIR.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo_root/scripts/setup-python.sh"
exec "$repo_root/.venv/bin/python" "$repo_root/scripts/python/gen_fixtures.py" "$@"
