#!/usr/bin/env bash
# Runs every test of deit: the command README and CI (.ci/run) use.
#
#   scripts/test.sh           the full gate (CI)
#   scripts/test.sh --quick   the edit loop: no-trap lint, release build, Swift tests (release), C/C++
#                             tests, CLI tests and the Python module's tests against that build — a
#                             few minutes; no setup, other
#                             kernel sets, aarch64, OpenBLAS, packaging, fuzzing, sanitizers or photos
#
# Steps: install build dependencies, no-trap lint, release build (libdeit.so, deit-cli), Swift tests
# (release), the other x86-64 kernel sets, aarch64 cross-build + tests under qemu (with the Embedded
# Swift compile check), C/C++ tests and crafted corpora against libdeit.so, the optional OpenBLAS
# backend, packaging, CLI tests, the Python module (fresh venv, pip install ./python, pytest),
# bounded fuzzing, sanitizers, 900-photo accuracy. Stops at the first failing step.
# Real-weight checks use the shared data at $DEIT_SHARED, else ../shared beside the checkout; without
# it they skip with a message and everything else still runs.
set -euo pipefail

quick=0
case "${1:-}" in
    "") ;;
    --quick) quick=1 ;;
    *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
repo=$(pwd)

shared="${DEIT_SHARED:-$repo/../shared}"
if [ -d "$shared" ]; then
    DEIT_SHARED=$(cd "$shared" && pwd)
    export DEIT_SHARED
    echo "shared data: $DEIT_SHARED"
else
    export DEIT_SHARED="$shared"
    echo "shared data: not found at $shared (set DEIT_SHARED); real-weight tests will skip"
fi

source scripts/lib/steps.sh

# The quick tier: the same step commands as the full gate below, the slow steps left out.
if [ "$quick" = 1 ]; then
    steps_begin "summary (quick tier)" "quick tests passed (the full gate is scripts/test.sh without --quick)"

    step "lint: nothing reachable from the C API traps (fatalError, try!, force unwrap, abort...)"
    python3 scripts/python/check_no_traps.py "$repo"

    step "lint: the runtime, C API and CLI reach kernels only through the session's KernelTable"
    python3 scripts/python/check_kernel_calls.py --self-test
    python3 scripts/python/check_kernel_calls.py "$repo"

    step "swift build -c release (libdeit.so, deit-cli)"
    swift build -c release
    release_bin=$(swift build -c release --show-bin-path)

    step "swift test (release)"
    swift test -c release

    step "C and C++ tests against libdeit.so"
    Tests/c/run.sh "$release_bin"

    step "deit-cli tests (exit codes, errors, JSON)"
    Tests/cli/run.sh "$release_bin"

    step "Python module: pip install ./python into a fresh venv, pytest against libdeit.so"
    scripts/python-tests.sh "$release_bin"

    finish_step
    exit 0
fi

steps_begin "summary" "all tests passed"

step "setup: build dependencies"
scripts/setup.sh

step "lint: nothing reachable from the C API traps (fatalError, try!, force unwrap, abort...)"
python3 scripts/python/check_no_traps.py "$repo"

step "lint: the runtime, C API and CLI reach kernels only through the session's KernelTable"
python3 scripts/python/check_kernel_calls.py --self-test
python3 scripts/python/check_kernel_calls.py "$repo"

step "swift build -c release (libdeit.so, deit-cli)"
swift build -c release
release_bin=$(swift build -c release --show-bin-path)
ls -l "$release_bin/libdeit.so" "$release_bin/deit-cli"

# Release, not debug: unoptimised SIMD kernels make the conformance suites take tens of minutes.
# -enable-testing lets the test targets use @testable imports in an optimised build.
step "swift test (release)"
swift test -c release

step "kernel sets: portable (no FMA) tests; avx2/avx512 objects use FMA, never libm fmaf"
scripts/check-kernel-sets.sh

# Includes the Embedded Swift compile check (scripts/check-embedded.sh) of the core modules.
step "aarch64: Embedded Swift core + cross gcc, conformance, C tests, examples, photos under qemu"
scripts/check-aarch64.sh

step "C and C++ tests against libdeit.so"
Tests/c/run.sh "$release_bin"

step "OpenBLAS backend (DEIT_BLAS=openblas, .build-openblas): conformance, threads, no allocation, bench"
scripts/check-openblas.sh

step "packaging: install to a temp prefix, examples via CMake and pkg-config, exports, SONAME, ldd"
scripts/check-packaging.sh

step "deit-cli tests (exit codes, errors, JSON)"
Tests/cli/run.sh "$release_bin"

step "Python module: pip install ./python into a fresh venv, pytest against libdeit.so"
scripts/python-tests.sh "$release_bin"

step "fuzz: libFuzzer + ASan on model loading, image decoding + preprocessing, classify (bounded)"
scripts/fuzz.sh "${DEIT_FUZZ_SECONDS:-60}"

step "sanitizers: ASan+UBSan (C tests, corpora, Swift suites), TSan (threads)"
scripts/check-sanitizers.sh

step "accuracy on 900 photos vs timm (needs ../shared)"
scripts/check-accuracy.sh "$release_bin/deit-cli"

finish_step
