#!/usr/bin/env bash
# Builds the C and C++ tests against libdeit.so and runs them.
# Usage: Tests/c/run.sh <dir holding libdeit.so> [build dir]   (from scripts/test.sh)
# The shared data is $DEIT_SHARED, else ../shared beside the checkout; tests that need it skip
# without it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
lib_dir=$(cd "${1:?usage: Tests/c/run.sh <dir holding libdeit.so> [build dir]}" && pwd)
build_dir="${2:-$repo/.build/c-tests}"
mkdir -p "$build_dir" && build_dir=$(cd "$build_dir" && pwd)
shared="${DEIT_SHARED:-$repo/../shared}"
cd "$repo"
fixtures=Tests/Fixtures/conformance   # relative paths from here on: the repository root

[ -f "$lib_dir/libdeit.so" ] || { echo "c-tests: $lib_dir/libdeit.so not found" >&2; exit 1; }
[ -f "$fixtures/manifest.tsv" ] || { echo "c-tests: $fixtures/manifest.tsv not found" >&2; exit 1; }

# libdeit.so needs the Swift runtime libraries; ask the toolchain where they live.
swift_runtime_dirs=$(swift -print-target-info |
    sed -n '/"runtimeLibraryPaths"/,/]/p' | grep -o '"/[^"]*"' | tr -d '"')
link_flags=(-L"$lib_dir" -ldeit -Wl,-rpath,"$lib_dir")
for dir in $swift_runtime_dirs; do link_flags+=(-Wl,-rpath,"$dir"); done

c_flags=(-std=c99 -Wall -Wextra -Werror -pedantic -O2 -g -I include)
cxx_flags=(-std=c++11 -Wall -Wextra -Werror -pedantic -O2 -g -I include)

echo "c-tests: building in $build_dir"
gcc "${c_flags[@]}" Tests/c/conformance_runner.c -o "$build_dir/conformance_runner" "${link_flags[@]}" -lm
gcc "${c_flags[@]}" Tests/c/alloc_count.c -o "$build_dir/alloc_count" "${link_flags[@]}"
gcc "${c_flags[@]}" -pthread Tests/c/api_misuse.c -o "$build_dir/api_misuse" "${link_flags[@]}"
g++ "${cxx_flags[@]}" Tests/c/header_cxx.cpp -o "$build_dir/header_cxx" "${link_flags[@]}"

# The fixture models, from the manifest's `model` column.
fixture_models=()
while IFS= read -r model; do fixture_models+=("$fixtures/$model/model.safetensors"); done < <(
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "model") column = i; next }
                column && $column != "" && $column !~ /^#/ { print $column }' "$fixtures/manifest.tsv")
[ "${#fixture_models[@]}" -gt 0 ] || { echo "c-tests: no models in $fixtures/manifest.tsv" >&2; exit 1; }

real_model="$shared/models/deit-tiny-in1k.safetensors"
alloc_models=("${fixture_models[@]}")
if [ -f "$real_model" ]; then
    alloc_models+=("$real_model")
else
    echo "SKIP: ../shared not found (set DEIT_SHARED): alloc_count runs on the fixture models only"
fi

failed=()
run() {
    echo "--- $*"
    "$@" || failed+=("$(basename "$1")")
}
run "$build_dir/header_cxx"
run "$build_dir/api_misuse" "${fixture_models[0]}"
run "$build_dir/conformance_runner" "$fixtures" "$shared"
run "$build_dir/alloc_count" "${alloc_models[@]}"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "c-tests: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "c-tests: all passed"
