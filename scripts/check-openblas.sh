#!/usr/bin/env bash
# Checks the optional OpenBLAS backend (exit 0 = pass): builds with DEIT_BLAS=openblas into its own
# scratch path (the Linear layers through Debian's libopenblas-dev, scripts/setup.sh), then runs
# against that build the conformance suites (timm fixtures and, with ../shared, the real weights),
# the thread-count and backend tests, the C conformance and no-allocation tests against its
# libdeit.so, and `deit-cli bench`, which must name OpenBLAS on its kernels line.
# Usage: scripts/check-openblas.sh [scratch-dir]   (default: .build-openblas)
# Every command on the scratch path carries DEIT_BLAS=openblas: without it SwiftPM would rebuild
# the default backend there.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
scratch="${1:-.build-openblas}"
shared="${DEIT_SHARED:-$repo/../shared}"
export DEIT_BLAS=openblas
started=$SECONDS
step() { echo "check-openblas: [$((SECONDS - started))s] $*"; }

step "swift build -c release --scratch-path $scratch (DEIT_BLAS=openblas)"
swift build -c release --scratch-path "$scratch"
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
# Whole output first: `ldd | grep -q` can fail under pipefail when grep exits early (SIGPIPE).
libraries=$(ldd "$bin/libdeit.so")
grep -q 'libopenblas' <<<"$libraries" ||
    { echo "check-openblas: $bin/libdeit.so does not link libopenblas" >&2; exit 1; }

step "swift test: conformance, threading and backend suites against the OpenBLAS build"
swift test -c release --scratch-path "$scratch" --filter 'ConformanceTests|ThreadingTests|BLASLinearTests'

step "C conformance runner and no-allocation check against the OpenBLAS libdeit.so"
DEIT_C_TESTS="conformance_runner alloc_count" Tests/c/run.sh "$bin" "$scratch/c-tests"

step "deit-cli bench names OpenBLAS on its kernels line"
if [ -f "$shared/models/deit-tiny-in1k.safetensors" ]; then
    model=(--model "$shared/models/deit-tiny-in1k.safetensors")
else
    model=(--synthetic deit_tiny)
fi
bench=$("$bin/deit-cli" bench "${model[@]}" --runs 3)
echo "$bench"
grep -Eq '^kernels +openblas [^ ]+ for linear layers; attention ' <<<"$bench" ||
    { echo "check-openblas: the kernels line does not name OpenBLAS" >&2; exit 1; }

step "OK"
