#!/usr/bin/env bash
# Builds the C and C++ tests against libdeit.so and runs them.
# Usage: Tests/c/run.sh <dir holding libdeit.so> [build dir]   (from scripts/test.sh)
# The shared data is $DEIT_SHARED, else ../shared beside the checkout; tests that need it skip
# without it.
#
# Environment (used by scripts/check-sanitizers.sh):
#   DEIT_SANITIZE=address,undefined | thread   build the tests with the Swift toolchain's clang and
#       -fsanitize=…, against a libdeit.so built with the same sanitizer; alloc_count (which
#       replaces malloc) is skipped.
#   DEIT_C_TESTS="image_corpus threads …"   run only these tests (default: all).
#   DEIT_THREADS_RUNS=N   runs per thread in `threads` (default 100).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
lib_dir=$(cd "${1:?usage: Tests/c/run.sh <dir holding libdeit.so> [build dir]}" && pwd)
build_dir="${2:-$repo/.build/c-tests}"
mkdir -p "$build_dir" && build_dir=$(cd "$build_dir" && pwd)
shared="${DEIT_SHARED:-$repo/../shared}"
cd "$repo"
fixtures=Tests/Fixtures/conformance   # relative paths from here on: the repository root
sanitize="${DEIT_SANITIZE:-}"
selected=" ${DEIT_C_TESTS:-header_cxx api_misuse batch conformance_runner resolution_runner alloc_count model_corpus image_corpus threads} "
wants() { [[ "$selected" == *" $1 "* ]]; }

[ -f "$lib_dir/libdeit.so" ] || { echo "c-tests: $lib_dir/libdeit.so not found" >&2; exit 1; }
[ -f "$fixtures/manifest.tsv" ] || { echo "c-tests: $fixtures/manifest.tsv not found" >&2; exit 1; }

# libdeit.so needs the Swift runtime libraries; ask the toolchain where they live.
swift_runtime_dirs=$(swift -print-target-info |
    sed -n '/"runtimeLibraryPaths"/,/]/p' | grep -o '"/[^"]*"' | tr -d '"')
link_flags=(-L"$lib_dir" -ldeit -Wl,-rpath,"$lib_dir")
for dir in $swift_runtime_dirs; do link_flags+=(-Wl,-rpath,"$dir"); done

c_flags=(-std=c99 -Wall -Wextra -Werror -pedantic -O2 -g -I include)
cxx_flags=(-std=c++11 -Wall -Wextra -Werror -pedantic -O2 -g -I include)
cc=gcc
cxx=g++
if [ -n "$sanitize" ]; then
    # The sanitizer runtime must be the one libdeit.so was built against: the Swift toolchain's.
    toolchain_bin=$(dirname "$(command -v swift)")
    cc="$toolchain_bin/clang"
    cxx="$toolchain_bin/clang++"
    sanitizer_flags=(-fsanitize="$sanitize" -fno-omit-frame-pointer -fuse-ld=lld)
    c_flags=(-std=c99 -Wall -Wextra -Werror -pedantic -O1 -g -I include "${sanitizer_flags[@]}")
    cxx_flags=(-std=c++11 -Wall -Wextra -Werror -pedantic -O1 -g -I include "${sanitizer_flags[@]}")
    if [[ "$sanitize" == *thread* ]]; then
        # The toolchain's TSan runtime carries libdispatch interceptors that need these.
        for dir in $swift_runtime_dirs; do link_flags+=(-L"$dir"); done
        link_flags+=(-ldispatch -lBlocksRuntime)
    fi
fi

echo "c-tests: building in $build_dir${sanitize:+ with -fsanitize=$sanitize}"
if wants conformance_runner; then
    "$cc" "${c_flags[@]}" Tests/c/conformance_runner.c -o "$build_dir/conformance_runner" "${link_flags[@]}" -lm
fi
if wants alloc_count && [ -z "$sanitize" ]; then
    "$cc" "${c_flags[@]}" Tests/c/alloc_count.c -o "$build_dir/alloc_count" "${link_flags[@]}"
fi
if wants resolution_runner; then
    "$cc" "${c_flags[@]}" Tests/c/resolution_runner.c -o "$build_dir/resolution_runner" "${link_flags[@]}" -lm
fi
if wants api_misuse; then
    "$cc" "${c_flags[@]}" -pthread Tests/c/api_misuse.c -o "$build_dir/api_misuse" "${link_flags[@]}"
fi
if wants batch; then
    "$cc" "${c_flags[@]}" Tests/c/batch.c -o "$build_dir/batch" "${link_flags[@]}"
fi
if wants header_cxx; then
    "$cxx" "${cxx_flags[@]}" Tests/c/header_cxx.cpp -o "$build_dir/header_cxx" "${link_flags[@]}"
fi
if wants model_corpus; then
    "$cc" "${c_flags[@]}" Tests/c/model_corpus.c -o "$build_dir/model_corpus" "${link_flags[@]}"
fi
if wants image_corpus; then
    "$cc" "${c_flags[@]}" Tests/c/image_corpus.c -o "$build_dir/image_corpus" "${link_flags[@]}" -lm
fi
if wants threads; then
    "$cc" "${c_flags[@]}" -pthread Tests/c/threads.c -o "$build_dir/threads" "${link_flags[@]}"
fi

# The fixture models, from the manifest's `model` column; `small_model` has the smallest image_size
# among the models with a head (the cheapest forward pass, for the image corpus and the threading test).
fixture_models=()
while IFS= read -r model; do fixture_models+=("$fixtures/$model/model.safetensors"); done < <(
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "model") column = i; next }
                column && $column != "" && $column !~ /^#/ { print $column }' "$fixtures/manifest.tsv")
[ "${#fixture_models[@]}" -gt 0 ] || { echo "c-tests: no models in $fixtures/manifest.tsv" >&2; exit 1; }
small_model="$fixtures/$(awk -F'\t' '
    NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "model") m = i; if ($i == "image_size") s = i; if ($i == "num_classes") c = i }; next }
    $m !~ /^#/ && $c + 0 > 0 && (best == "" || $s + 0 < size) { best = $m; size = $s + 0 }
    END { print best }' "$fixtures/manifest.tsv")/model.safetensors"

real_model="$shared/models/deit-tiny-in1k.safetensors"
alloc_models=("${fixture_models[@]}")
# A model run at another size than it was trained at (pos_embed resampled at load).
alloc_models+=("$fixtures/deit_tiny_d2/model.safetensors@288")
# Int8 precision (quantised at load): the same small model, and at another size.
alloc_models+=("${fixture_models[0]}+int8" "$fixtures/deit_tiny_d2/model.safetensors@288+int8")
if [ -f "$real_model" ]; then
    alloc_models+=("$real_model" "$real_model+int8")
elif wants alloc_count && [ -z "$sanitize" ]; then
    echo "SKIP: ../shared not found (set DEIT_SHARED): alloc_count runs on the fixture models only"
fi

failed=()
run() {
    local start=$SECONDS
    echo "--- $*"
    "$@" || failed+=("$(basename "$1")")
    echo "--- $(basename "$1"): $((SECONDS - start)) s"
}
wants header_cxx && run "$build_dir/header_cxx"
wants api_misuse && run "$build_dir/api_misuse" "${fixture_models[0]}"
batch_models=("${fixture_models[@]}" "${fixture_models[0]}+int8")
[ -f "$real_model" ] && batch_models+=("$real_model" "$real_model+int8")
wants batch && run "$build_dir/batch" "${batch_models[@]}"
wants conformance_runner && run "$build_dir/conformance_runner" "$fixtures" "$shared"
wants resolution_runner && run "$build_dir/resolution_runner" Tests/Fixtures/resolution "$fixtures"
if wants alloc_count; then
    if [ -n "$sanitize" ]; then
        echo "SKIP: alloc_count replaces malloc, which conflicts with -fsanitize=$sanitize"
    else
        run "$build_dir/alloc_count" "${alloc_models[@]}"
    fi
fi
wants model_corpus && run "$build_dir/model_corpus" Tests/Fixtures/malformed
wants image_corpus && run "$build_dir/image_corpus" "$small_model" Tests/Fixtures/malformed-images "$build_dir"
wants threads && run "$build_dir/threads" "$small_model" "${DEIT_THREADS_RUNS:-100}"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "c-tests: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "c-tests: all passed"
