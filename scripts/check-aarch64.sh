#!/usr/bin/env bash
# Checks the aarch64 Linux build under qemu-aarch64 (exit 0 = pass):
#   1. cross-builds libdeit.so / libdeit.a into a prefix (scripts/build-aarch64.sh);
#   2. checks that the GEMM inner loop is NEON `fmla` with no stack spills, that the int8 kernels'
#      loops are `smull`/`smlal` and `sdot` without spills, and that `sdot` appears only in
#      DeiTKernelsDotProd's functions (llvm-objdump);
#   3. cross-compiles examples/ with CMake and cmake/aarch64-linux-gnu.cmake (deit::deit and
#      deit::deit_static), the C tests (Tests/c) with the cross compilers, and the int8 kernel
#      check (Tests/aarch64/Int8KernelCheck.swift, Embedded Swift, static);
#   4. runs under qemu-aarch64, in two parallel lanes, on `-cpu max` (ARMv8.2+ with the dot product:
#      the neon-dotprod set is chosen) unless said: the conformance fixtures (runner linked
#      statically with libdeit.a) and, when ../shared exists, the real-weight reference check on a
#      few of timm's reference inputs, same tolerances as on x86; the fixtures again on `-cpu
#      cortex-a72` (ARMv8.0, no dot product: the neon set is chosen); the int8 kernel check on both
#      CPUs (each runnable set's int8 kernel bit-exact against an integer reference, the chosen
#      kernel named, neon-dotprod refused as DEIT_ERR_UNSUPPORTED on the A72, an int8 model's logits
#      identical across the sets); api_misuse (on both CPUs), alloc_count and header_cxx against
#      libdeit.so; the examples; and a handful of ImageNet photos through deit_classify_file, top-1
#      compared with timm's (Tests/c/classify_photos.c).
# Usage: scripts/check-aarch64.sh [build-dir]   (default: .build/aarch64)
# Env: DEIT_SHARED (default ../shared beside the checkout); DEIT_AARCH64_REFERENCE_LIMIT (reference
# inputs for the real-weight check, default 2; "all" for the 16, ~11 min under qemu);
# DEIT_AARCH64_PHOTOS (photos, default 8).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
build_dir="${1:-.build/aarch64}"
mkdir -p "$build_dir" && build_dir=$(cd "$build_dir" && pwd)
shared="${DEIT_SHARED:-$repo/../shared}"
reference_limit="${DEIT_AARCH64_REFERENCE_LIMIT:-2}"
photo_count="${DEIT_AARCH64_PHOTOS:-8}"
prefix="$build_dir/install"
cross=aarch64-linux-gnu
sysroot=/usr/aarch64-linux-gnu
started=$SECONDS
step() { echo "check-aarch64: [$((SECONDS - started))s] $*"; }

# 1. Tools to run and to build the examples (the cross compilers: scripts/build-aarch64.sh).
step "Debian packages (scripts/setup.sh qemu-user: cmake is among its own)"
scripts/setup.sh qemu-user >/dev/null

step "cross-building libdeit (scripts/build-aarch64.sh $prefix)"
DEIT_AARCH64_BUILD_DIR="$build_dir" scripts/build-aarch64.sh "$prefix" >"$build_dir/build.log" 2>&1 ||
    { cat "$build_dir/build.log" >&2; exit 1; }
grep -E 'NEEDED|exports' "$build_dir/build.log"

# 2. NEON evidence, on the pre-linked object that went into both libraries: the k loop of an
# F32GEMMTile kernel (a backward branch enclosing at least 16 `fmla`, the densest such loop) must
# be at least half `fmla` and must not touch the stack (no spilled accumulators).
step "checking the GEMM inner loop for NEON fmla"
objdump_tool=$(command -v llvm-objdump || command -v "$cross-objdump")
loop_report=$("$objdump_tool" -d --no-show-raw-insn "$build_dir/deit-objects.o" | awk '
    function hex(text,   i, value) {   # mawk has no strtonum
        sub(/^0x/, "", text); sub(/:$/, "", text); value = 0
        for (i = 1; i <= length(text); i++) value = value * 16 + index("0123456789abcdef", substr(text, i, 1)) - 1
        return value
    }
    /^[0-9a-f]+ <.*>:$/ { in_tile = ($0 ~ /F32GEMMTile/); n = 0; next }
    !in_tile || !/^ *[0-9a-f]+:/ { next }
    {
        address = hex($1); n++; addresses[n] = address; ops[n] = $2; stack[n] = ($0 ~ /\[sp/)
        if ($2 ~ /^b\./ && $3 ~ /^0x/ && hex($3) < address) {
            target = hex($3); fmla = 0; total = 0; spills = 0; loads = 0
            for (i = 1; i <= n; i++) if (addresses[i] >= target) {
                total++; fmla += (ops[i] == "fmla"); spills += stack[i]; loads += (ops[i] ~ /^ld/)
            }
            # The best loop: the densest in fmla among those with at least 16 (the k loop of the
            # widest tile; loops around it also enclose the epilogue and the stores).
            if (fmla >= 16 && (best_total == 0 || fmla * best_total > best_fmla * total)) {
                best_fmla = fmla; best_total = total; best_spills = spills; best_loads = loads
            }
        }
    }
    END { printf "%d %d %d %d\n", best_fmla, best_total, best_spills, best_loads }')
read -r fmla_count loop_instructions loop_spills loop_loads <<<"$loop_report"
echo "check-aarch64: GEMM tile inner loop: $fmla_count fmla of $loop_instructions instructions, $loop_loads loads, $loop_spills stack accesses"
if [ "$fmla_count" -lt 16 ] || [ $((2 * fmla_count)) -lt "$loop_instructions" ] || [ "$loop_spills" -ne 0 ]; then
    echo "check-aarch64: FAIL: no spill-free NEON fmla GEMM inner loop" >&2
    exit 1
fi

# The int8 kernels (Int8GEMMTilesNEON.swift): per kind of multiply, the densest loop in functions
# whose name has `pattern` — `smull`/`smlal` in the baseline's, `sdot` in the dot-product module's —
# with its instruction count and stack accesses; and `sdot` nowhere outside DeiTKernelsDotProd (the
# baseline module and the runtime must run on ARMv8.0: KernelChoice reaches the dot-product module
# only through its table, on CPUs with HWCAP_ASIMDDP).
int8_report=$("$objdump_tool" -d --no-show-raw-insn --mattr=+dotprod "$build_dir/deit-objects.o" | awk '
    function hex(text,   i, value) {
        sub(/^0x/, "", text); sub(/:$/, "", text); value = 0
        for (i = 1; i <= length(text); i++) value = value * 16 + index("0123456789abcdef", substr(text, i, 1)) - 1
        return value
    }
    /^[0-9a-f]+ <.*>:$/ {
        name = $2; n = 0
        kind = (name ~ /Int8GEMMTileNEONMull/ && name !~ /DeiTKernelsDotProd/) ? "mull" : (name ~ /DeiTKernelsDotProd.*Int8GEMMTileNEONDot/ ? "dot" : "")
        next
    }
    !/^ *[0-9a-f]+:/ { next }
    $2 == "sdot" && name !~ /DeiTKernelsDotProd/ { stray++; stray_name = name }
    kind == "" { next }
    {
        address = hex($1); n++; addresses[n] = address; ops[n] = $2; stack[n] = ($0 ~ /\[sp/)
        if ($2 ~ /^b\./ && $3 ~ /^0x/ && hex($3) < address) {
            target = hex($3); multiplies = 0; total = 0; spills = 0
            for (i = 1; i <= n; i++) if (addresses[i] >= target) {
                total++; spills += stack[i]
                multiplies += (kind == "mull" ? (ops[i] ~ /^smull|^smlal/) : (ops[i] == "sdot"))
            }
            if (multiplies > best[kind] || (multiplies == best[kind] && total < size[kind])) {
                best[kind] = multiplies; size[kind] = total; spill[kind] = spills
            }
        }
    }
    END { printf "%d %d %d %d %d %d %d %s\n", best["mull"], size["mull"], spill["mull"], best["dot"], size["dot"], spill["dot"], stray, stray_name }')
read -r mull_count mull_instructions mull_spills dot_count dot_instructions dot_spills stray_sdot stray_function <<<"$int8_report"
echo "check-aarch64: int8 smull/smlal loop (neon): $mull_count smull/smlal of $mull_instructions instructions, $mull_spills stack accesses"
echo "check-aarch64: int8 sdot loop (neon-dotprod): $dot_count sdot of $dot_instructions instructions, $dot_spills stack accesses"
if [ "$mull_count" -lt 32 ] || [ "$mull_spills" -ne 0 ] || [ "$dot_count" -lt 32 ] || [ "$dot_spills" -ne 0 ]; then
    echo "check-aarch64: FAIL: no spill-free int8 smull/smlal or sdot loop" >&2
    exit 1
fi
if [ "$stray_sdot" -ne 0 ]; then
    echo "check-aarch64: FAIL: $stray_sdot sdot outside DeiTKernelsDotProd (in $stray_function): SIGILL on ARMv8.0" >&2
    exit 1
fi

# 3. Programs: the examples through CMake and the toolchain file, the C tests with the cross compilers.
step "cross-compiling examples/ (CMake, cmake/aarch64-linux-gnu.cmake) and Tests/c"
cmake_build() {  # <build dir> <extra cmake args...>
    local dir="$1"; shift
    cmake -S examples -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/aarch64-linux-gnu.cmake" \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS=-Werror -DCMAKE_CXX_FLAGS=-Werror "$@" >"$dir.log" 2>&1 &&
    cmake --build "$dir" >>"$dir.log" 2>&1 || { cat "$dir.log" >&2; return 1; }
}
cmake_build "$build_dir/examples"
cmake_build "$build_dir/examples-static" -DDEIT_STATIC=ON
for program in classify latency embed_weights; do
    "$cross-readelf" -h "$build_dir/examples/$program" | grep -q 'AArch64' ||
        { echo "check-aarch64: examples/$program is not an aarch64 binary" >&2; exit 1; }
done

tests="$build_dir/c-tests"
mkdir -p "$tests"
strict=(-Wall -Wextra -Werror -pedantic -O2 -I "$prefix/include")
shared_lib=(-L"$prefix/lib" -ldeit -Wl,-rpath,"$prefix/lib")
"$cross-gcc" -std=c99 "${strict[@]}" -static Tests/c/conformance_runner.c -o "$tests/conformance_runner" \
    "$prefix/lib/libdeit.a" -lm -pthread   # GNU ld, static: libdeit.a as a C program would link it
"$cross-gcc" -std=c99 "${strict[@]}" -pthread Tests/c/api_misuse.c -o "$tests/api_misuse" "${shared_lib[@]}"
"$cross-gcc" -std=c99 "${strict[@]}" Tests/c/alloc_count.c -o "$tests/alloc_count" "${shared_lib[@]}"
"$cross-gcc" -std=c99 "${strict[@]}" Tests/c/classify_photos.c -o "$tests/classify_photos" "${shared_lib[@]}" -lm
"$cross-g++" -std=c++11 "${strict[@]}" Tests/c/header_cxx.cpp -o "$tests/header_cxx" "${shared_lib[@]}"
# The int8 kernel check: Embedded Swift against the modules build-aarch64.sh emitted, linked with the
# pre-linked object (lld: the Embedded objects' weak protected duplicates, as build-aarch64.sh).
lld_dir=$(dirname "$(command -v swiftc)")
embedded_includes=()
for module_map in Sources/*/include/module.modulemap; do embedded_includes+=(-I "$(dirname "$module_map")"); done
swiftc -target aarch64-none-none-elf -enable-experimental-feature Embedded -enable-experimental-feature Extern \
    -wmo -O -package-name deit -I "$build_dir/embedded" "${embedded_includes[@]}" -module-name Int8KernelCheck \
    -c Tests/aarch64/Int8KernelCheck.swift -o "$tests/Int8KernelCheck.o"
"$cross-gcc" -static -fuse-ld=lld -B"$lld_dir" -pthread -o "$tests/int8_kernel_check" "$tests/Int8KernelCheck.o" \
    "$build_dir/deit-objects.o" -lm

# 4. Run everything under qemu-aarch64 in two lanes (each single-threaded qemu is the bottleneck).
export QEMU_LD_PREFIX="$sysroot"   # the target's ld-linux and libc for dynamic binaries
qemu() { qemu-aarch64 -cpu max "$@"; }   # every feature qemu has, the dot product included
qemu_a72() { qemu-aarch64 -cpu cortex-a72 "$@"; }   # ARMv8.0 (Raspberry Pi 4): no dot product
fixtures=Tests/Fixtures/conformance
fixture_model=$fixtures/deit_tiny_d2/model.safetensors
fixture_image=Tests/Fixtures/images/photo_120x90.jpg
real_model=$shared/models/deit-tiny-in1k.safetensors
photos=$shared/data/imagenet-sample
failures="$build_dir/failures"
: >"$failures"

# Runs one named check, timing it; a failure is recorded and the lane goes on.
run() {
    local name="$1" begun=$SECONDS
    shift
    echo "--- $name"
    if "$@"; then
        echo "--- $name: ok ($((SECONDS - begun))s)"
    else
        echo "--- $name: FAILED ($((SECONDS - begun))s)"
        echo "$name" >>"$failures"
    fi
}

conformance_lane() {
    # A few reference inputs: each costs three forward passes (~10 s each under qemu).
    [ "$reference_limit" = all ] || export DEIT_REFERENCE_LIMIT="$reference_limit"
    [ -f "$real_model" ] || echo "SKIP: $shared not found (set DEIT_SHARED): fixtures only, no real-weight check"
    DEIT_EXPECT_KERNEL_SET=neon-dotprod \
        run "conformance_runner (libdeit.a, static; -cpu max: neon-dotprod)" qemu "$tests/conformance_runner" "$fixtures" "$shared"
    DEIT_EXPECT_KERNEL_SET=neon \
        run "conformance_runner, fixtures only (-cpu cortex-a72: neon)" qemu_a72 "$tests/conformance_runner" "$fixtures" /nonexistent
}
int8_kernels() {  # <qemu function> <the int8 kernel it must choose>
    local out
    out=$(DEIT_EXPECT_INT8_KERNEL="$2" DEIT_CHECK_MODEL="$fixture_model" "$1" "$tests/int8_kernel_check") &&
        printf '%s\n' "$out" || { printf '%s\n' "$out"; return 1; }
}

classify_same() {  # the example's output with libdeit.so and with libdeit.a must be identical
    local dynamic static
    dynamic=$(qemu "$build_dir/examples/classify" "$fixture_model" "$fixture_image") &&
    static=$(qemu "$build_dir/examples-static/classify" "$fixture_model" "$fixture_image") &&
    printf '%s\n' "$dynamic" && [ "$dynamic" = "$static" ] && printf '%s\n' "$dynamic" | grep -q '^1\. '
}
embed_weights_from_root() {  # no arguments, from /: the compiled-in weights are all it can find
    local out
    out=$(cd / && qemu "$build_dir/examples-static/embed_weights") && printf '%s\n' "$out" && printf '%s\n' "$out" | grep -q '^1\. '
}
programs_lane() {
    run "header_cxx" qemu "$tests/header_cxx"
    run "int8 kernels (-cpu cortex-a72: qd8_f32_qc7w_gemm_2x16c4__neon_mlal)" \
        int8_kernels qemu_a72 qd8_f32_qc7w_gemm_2x16c4__neon_mlal
    run "int8 kernels (-cpu max: qd8_f32_qc7w_gemm_4x16c4__neondot)" \
        int8_kernels qemu qd8_f32_qc7w_gemm_4x16c4__neondot
    run "api_misuse" qemu "$tests/api_misuse" "$fixture_model"
    run "api_misuse (-cpu cortex-a72: neon-dotprod forced is DEIT_ERR_UNSUPPORTED)" qemu_a72 "$tests/api_misuse" "$fixture_model"
    # The smallest fixture model: 20 runs × 4 session kinds stay quick under qemu.
    run "alloc_count (malloc interposed in front of libdeit.so)" qemu "$tests/alloc_count" "$fixtures/vit_ragged/model.safetensors"
    run "examples/classify (deit::deit and deit::deit_static agree)" classify_same
    run "examples/latency (2 threads)" qemu "$build_dir/examples/latency" "$fixture_model" 2 2 "$fixture_image"
    run "examples/embed_weights (deit::deit_static)" embed_weights_from_root
    if [ -f "$real_model" ] && [ -f "$photos/timm-reference-top5.tsv" ]; then
        run "classify_photos ($photo_count photos, deit_classify_file vs timm)" \
            qemu "$tests/classify_photos" "$real_model" "$photos" "$photo_count" 1
    else
        echo "SKIP: $shared not found (set DEIT_SHARED): no photos through deit_classify_file"
    fi
}

step "running under qemu-aarch64 (two lanes)"
conformance_lane >"$build_dir/lane-conformance.log" 2>&1 &
conformance_pid=$!
programs_lane >"$build_dir/lane-programs.log" 2>&1 &
programs_pid=$!
wait "$conformance_pid" || echo "conformance lane" >>"$failures"
wait "$programs_pid" || echo "programs lane" >>"$failures"
cat "$build_dir/lane-conformance.log" "$build_dir/lane-programs.log"

if [ -s "$failures" ]; then
    echo "check-aarch64: [$((SECONDS - started))s] FAILED: $(paste -sd, "$failures")" >&2
    exit 1
fi
step "OK"
