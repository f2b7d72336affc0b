#!/usr/bin/env bash
# Checks the consumer side of deit as a C/C++ user sees it: installs into a temporary prefix
# (scripts/install.sh), then
#   - libdeit.so: SONAME libdeit.so.<DEIT_ABI_VERSION>, exports exactly the header's functions
#     (nm -D --defined-only), needs only system libraries (no Swift library, no RUNPATH);
#   - libdeit.a: only the header's functions are global;
#   - the installed header compiles as C99 and C++11 with -Wall -Wextra -Werror -pedantic, and a
#     C++ program following its usage comment builds with `pkg-config --cflags --libs deit`;
#   - every example (examples/) builds with CMake (find_package(deit), shared and DEIT_STATIC=ON)
#     and with pkg-config, runs, and `ldd` of each lists no Swift library;
#   - with ../shared (or $DEIT_SHARED): the examples also run on the real DeiT-Ti weights.
# Exit status 0 when everything passes.
#
#   scripts/check-packaging.sh            (DEIT_BUILD_DIR: SwiftPM scratch path, as install.sh)
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
shared="${DEIT_SHARED:-$repo/../shared}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

fixture_model="$repo/Tests/Fixtures/conformance/deit_tiny_d2/model.safetensors"
fixture_image="$repo/Tests/Fixtures/images/photo_120x90.jpg"
real_model="$shared/models/deit-tiny-in1k.safetensors"

failures=()
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures+=("$*"); }

echo "==== install into $prefix"
scripts/install.sh "$prefix" > "$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAIL  install" >&2; exit 1; }
tail -n 12 "$work/install.log"

abi=$(sed -n 's/^#define DEIT_ABI_VERSION \([0-9][0-9]*\)$/\1/p' include/deit.h)
version=$(sed -n 's/^#define DEIT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9][0-9]*\)$/\2/p' include/deit.h | paste -sd.)
library="$prefix/lib/libdeit.so.$version"
# The header's functions (declarations start in column 0 with a type), as install.sh exports them.
grep -E '^[A-Za-z_][A-Za-z0-9_ ]*[ *]deit_[a-z0-9_]+\(' include/deit.h | grep -oE 'deit_[a-z0-9_]+\(' |
    tr -d '(' | sort -u > "$work/api.txt"

echo "==== libraries"
soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libdeit.so.$abi" ] && pass "SONAME $soname" || fail "SONAME is '$soname', want libdeit.so.$abi"

nm -D --defined-only "$library" | awk '{ print $NF }' | sort -u > "$work/exported.txt"
if diff -u "$work/api.txt" "$work/exported.txt" > "$work/exported.diff"; then
    pass "libdeit.so exports exactly the header's $(wc -l < "$work/api.txt") functions"
else
    cat "$work/exported.diff"; fail "libdeit.so exported symbols differ from include/deit.h"
fi

nm -g --defined-only "$prefix/lib/libdeit.a" | awk 'NF == 3 { print $3 }' | sort -u > "$work/static-globals.txt"
if diff -u "$work/api.txt" "$work/static-globals.txt" > "$work/static.diff"; then
    pass "libdeit.a: only the header's functions are global"
else
    head -n 40 "$work/static.diff"; fail "libdeit.a global symbols differ from include/deit.h"
fi

# Only the C and C++ runtime of the system: what any Linux machine without Swift has.
system_libs='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$'
needed=$(readelf -d "$library" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
unexpected=$(printf '%s\n' "$needed" | grep -Ev "$system_libs" || true)
[ -z "$unexpected" ] && pass "libdeit.so needs only $(echo $needed)" || fail "libdeit.so needs $unexpected"
dynamic_section=$(readelf -d "$library")   # whole, so an early grep exit cannot mask a match
if grep -qE '\((RPATH|RUNPATH)\)' <<<"$dynamic_section"; then
    fail "libdeit.so has an RPATH/RUNPATH: $(grep -E 'RPATH|RUNPATH' <<<"$dynamic_section")"
else
    pass "libdeit.so has no RPATH/RUNPATH"
fi
echo "      sizes: $(stat -c '%n %s' "$library" "$prefix/lib/libdeit.a" | sed "s|$prefix/lib/||g" | paste -sd' ')"

echo "==== header"
cat > "$work/header.c" <<'EOF'
#include <deit.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", DEIT_VERSION_MAJOR, DEIT_VERSION_MINOR, DEIT_VERSION_PATCH);
    if (!DEIT_ABI_COMPATIBLE() || strcmp(expected, deit_version_string()) != 0) {
        fprintf(stderr, "header %s ABI %d, library %s ABI %d\n", expected, DEIT_ABI_VERSION,
                deit_version_string(), (int)deit_abi_version());
        return 1;
    }
    return 0;
}
EOF
# Someone else's C++ program, written from the header's usage comment.
cat > "$work/usage.cpp" <<'EOF'
#include <deit.h>
#include <cstdio>
#include <vector>
int main(int argc, char **argv) {
    if (argc != 2) return 2;
    deit_model *model = nullptr;  deit_session *session = nullptr;
    if (deit_model_load_file(argv[1], &model) != DEIT_OK) { std::fprintf(stderr, "%s\n", deit_last_error()); return 1; }
    deit_model_info info;  info.struct_size = sizeof info;  deit_model_get_info(model, &info);
    if (deit_session_create(model, 1, nullptr, 0, &session) != DEIT_OK) return 1;
    std::vector<float> input(3 * static_cast<size_t>(info.image_size) * info.image_size, 0.0f);
    std::vector<float> logits(static_cast<size_t>(info.num_classes));
    const deit_status status = deit_session_run(session, input.data(), input.size(), logits.data(), logits.size());
    deit_session_free(session);  deit_model_free(model);
    std::printf("usage.cpp: %s, %d logits\n", deit_status_string(status), info.num_classes);
    return status == DEIT_OK ? 0 : 1;
}
EOF
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pc_cflags=$(pkg-config --cflags deit)
pc_libs=$(pkg-config --libs deit)
pc_static_libs=$(pkg-config --static --libs deit)
rpath="-Wl,-rpath,$(pkg-config --variable=libdir deit)"
strict=(-Wall -Wextra -Werror -pedantic -O2)
# shellcheck disable=SC2086
if gcc -std=c99 "${strict[@]}" $pc_cflags "$work/header.c" -o "$work/header_c" $pc_libs $rpath &&
   "$work/header_c"; then
    pass "deit.h compiles as C99 (strict), versions agree (deit_version_string, deit_abi_version)"
else
    fail "deit.h as C99 / version check"
fi
# shellcheck disable=SC2086
if g++ -std=c++11 "${strict[@]}" -x c++ $pc_cflags "$work/header.c" -o "$work/header_cxx" $pc_libs $rpath &&
   "$work/header_cxx"; then
    pass "deit.h compiles as C++11 (strict)"
else
    fail "deit.h as C++11"
fi
# shellcheck disable=SC2086
if g++ -std=c++11 "${strict[@]}" "$work/usage.cpp" -o "$work/usage" $(pkg-config --cflags --libs deit) $rpath &&
   "$work/usage" "$fixture_model"; then
    pass "a C++ program following the usage comment builds with pkg-config --cflags --libs deit and runs"
else
    fail "usage-comment C++ program"
fi

echo "==== examples with pkg-config"
embed_define="-DDEIT_WEIGHTS_FILE=\"$fixture_model\""
mkdir -p "$work/pc" "$work/pc-static"
build_pkg_config() {  # <out dir> <libs...>
    local out="$1"; shift
    # shellcheck disable=SC2086
    gcc -std=c99 "${strict[@]}" $pc_cflags examples/classify.c -o "$out/classify" "$@" &&
    g++ -std=c++11 "${strict[@]}" -pthread $pc_cflags examples/latency.cpp -o "$out/latency" "$@" &&
    gcc -std=c99 "${strict[@]}" $pc_cflags "$embed_define" examples/embed_weights.c -o "$out/embed_weights" "$@"
}
# shellcheck disable=SC2086
build_pkg_config "$work/pc" $pc_libs $rpath && pass "pkg-config: examples build (libdeit.so)" ||
    fail "pkg-config build (libdeit.so)"
# shellcheck disable=SC2086
build_pkg_config "$work/pc-static" "$prefix/lib/libdeit.a" $(echo " $pc_static_libs " | sed 's/ -ldeit / /') &&
    pass "pkg-config --static: examples build (libdeit.a)" || fail "pkg-config build (libdeit.a)"

echo "==== examples with CMake (find_package(deit))"
cmake_build() {  # <build dir> <extra cmake args...>
    local dir="$1"; shift
    cmake -S examples -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS=-Werror -DCMAKE_CXX_FLAGS=-Werror "$@" > "$dir.log" 2>&1 &&
    cmake --build "$dir" >> "$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
}
cmake_build "$work/cmake" && pass "CMake: examples build (deit::deit)" || fail "CMake build (deit::deit)"
cmake_build "$work/cmake-static" -DDEIT_STATIC=ON && pass "CMake: examples build (deit::deit_static)" ||
    fail "CMake build (deit::deit_static)"
# A request for another major version must not find this package (SameMajorVersion).
mkdir -p "$work/version-probe"
cat > "$work/version-probe/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(probe NONE)
find_package(deit ${WANT} QUIET)
if(deit_FOUND)
    message(STATUS "deit found: ${deit_VERSION}")
else()
    message(STATUS "deit not found")
endif()
EOF
probe() { cmake -S "$work/version-probe" -B "$work/version-probe/build-$1" -DCMAKE_PREFIX_PATH="$prefix" -DWANT="$1" 2>&1 | grep -o 'deit [a-z ]*found.*'; }
if probe "$version" | grep -q 'deit found' && probe "$((${version%%.*} + 1)).0" | grep -q 'not found'; then
    pass "deitConfigVersion.cmake: $version found, next major version refused"
else
    fail "deitConfigVersion.cmake compatibility"
fi

echo "==== run the examples"
expected_top1=$("$prefix/bin/deit-cli" classify --model "$fixture_model" --json --top 1 "$fixture_image" |
    sed -n 's/.*"index":\([0-9]*\).*/\1/p')
for dir in pc pc-static cmake cmake-static; do
    bin="$work/$dir"
    [ -x "$bin/classify" ] || continue
    if out=$("$bin/classify" "$fixture_model" "$fixture_image") &&
       [ "$(printf '%s\n' "$out" | sed -n 's/^1\. *[0-9.]*% *\([0-9]*\) .*/\1/p')" = "$expected_top1" ]; then
        pass "$dir/classify: top-1 $(printf '%s\n' "$out" | sed -n 's/^1\. *//p') (deit-cli agrees)"
    else
        printf '%s\n' "${out:-}"; fail "$dir/classify"
    fi
    "$bin/latency" "$fixture_model" 2 3 "$fixture_image" > "$work/latency.out" && [ "$(grep -cE '^ +[0-9]+ +[0-9.]+ ' "$work/latency.out")" -eq 2 ] &&
        pass "$dir/latency: 2 threads, fixture image" || { cat "$work/latency.out"; fail "$dir/latency"; }
    # From / with no arguments: the embedded weights are the only model it can find.
    (cd / && "$bin/embed_weights") > "$work/embed.out" && grep -q '^1\. ' "$work/embed.out" &&
        pass "$dir/embed_weights: $(head -n 1 "$work/embed.out")" || { cat "$work/embed.out"; fail "$dir/embed_weights"; }
    for program in classify latency embed_weights; do
        if ldd "$bin/$program" | grep -Ei 'swift|not found'; then fail "ldd $dir/$program lists a Swift library or a missing one"; fi
    done
done
ldd "$work/cmake/classify" | sed 's/^/      ldd classify: /'

if [ -f "$real_model" ]; then
    echo "==== real DeiT-Ti weights ($real_model)"
    "$work/cmake/classify" "$real_model" "$fixture_image" > "$work/real.out" && pass "classify (real weights): $(sed -n 's/^1\. *//p' "$work/real.out")" ||
        fail "classify with the real weights"
    "$work/cmake/latency" "$real_model" 2 5 > "$work/real-latency.out" && sed 's/^/      /' "$work/real-latency.out" &&
        pass "latency (real weights)" || fail "latency with the real weights"
    # The real weights compiled in (5.7 MB of .rodata): the board case for real.
    cmake_build "$work/cmake-real" -DDEIT_EMBED_WEIGHTS="$real_model" && (cd / && "$work/cmake-real/embed_weights") > "$work/real-embed.out" &&
        pass "embed_weights with the real weights: $(head -n 1 "$work/real-embed.out")" || fail "embed_weights with the real weights"
else
    echo "SKIP: ../shared not found (set DEIT_SHARED): examples ran on the fixture model only"
fi

echo
if [ "${#failures[@]}" -gt 0 ]; then
    printf 'check-packaging: %d FAILED:\n' "${#failures[@]}"; printf '  %s\n' "${failures[@]}"
    exit 1
fi
echo "check-packaging: all passed"
