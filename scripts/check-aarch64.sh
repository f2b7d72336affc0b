#!/usr/bin/env bash
# Cross-builds libdeit for aarch64 Linux (Embedded Swift core + cross-gcc C shims), links the C
# conformance runner statically, checks the GEMM inner loop uses NEON `fmla`, and runs the committed
# conformance fixtures (and, when ../shared exists, the real-weight check) under qemu-aarch64 with the
# same tolerances as on x86 (the runner applies them).
# Usage: scripts/check-aarch64.sh [build-dir]   (default: .build/aarch64)
# Env: DEIT_SHARED (default ../shared beside the checkout).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
build_dir="${1:-.build/aarch64}"
mkdir -p "$build_dir" && build_dir=$(cd "$build_dir" && pwd)
shared="${DEIT_SHARED:-$repo/../shared}"
cross_gcc=aarch64-linux-gnu-gcc
started=$SECONDS
step() { echo "check-aarch64: [$((SECONDS - started))s] $*"; }

# 1. Cross tools (Debian packages), only when missing.
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
if ! command -v "$cross_gcc" >/dev/null || ! command -v qemu-aarch64 >/dev/null ||
   ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    step "installing ${packages[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# The Swift toolchain's lld: GNU ld rejects the Embedded objects (each module carries its own weak
# *protected* copies of shared generic specialisations, e.g. `$es23_ContiguousArrayStorage…`, and
# ld.bfd 2.40 reports "copy relocation against non-copyable protected symbol"); lld accepts them.
lld_dir=$(dirname "$(command -v swiftc)")
[ -x "$lld_dir/ld.lld" ] || { echo "check-aarch64: ld.lld not found beside swiftc" >&2; exit 1; }

# 2. Swift core as Embedded Swift objects for aarch64 (bare-metal target; the code needs only libc).
step "Embedded Swift objects"
scripts/check-embedded.sh "$build_dir/embedded" >"$build_dir/embedded.log" ||
    { cat "$build_dir/embedded.log" >&2; exit 1; }
swift_objects=("$build_dir/embedded/DeiTKernels.o" "$build_dir/embedded/DeiTRuntime.o" "$build_dir/embedded/DeiT.o")

# 3. C shims with the cross compiler (stb_image from Debian's libstb-dev header, /usr/include/stb).
step "C shims with $cross_gcc"
mkdir -p "$build_dir/include"
ln -sfn /usr/include/stb "$build_dir/include/stb"   # only stb, not the host's libc headers
c_objects=()
for source in Sources/CDeiTSupport/*.c Sources/CDeiTImage/*.c; do
    object="$build_dir/$(basename "$source" .c).c.o"
    "$cross_gcc" -O2 -Wall -Wno-unused-function -pthread -I Sources/CDeiTSupport/include -I Sources/CDeiTImage/include \
        -I "$build_dir/include" -c "$source" -o "$object"
    c_objects+=("$object")
done

# 4. Conformance runner, statically linked (qemu-aarch64 then needs no sysroot).
step "linking conformance_runner"
"$cross_gcc" -std=c99 -Wall -Wextra -Werror -pedantic -O2 -I include \
    -c Tests/c/conformance_runner.c -o "$build_dir/conformance_runner.o"
"$cross_gcc" -static -fuse-ld=lld -B"$lld_dir" -pthread -o "$build_dir/conformance_runner" \
    "$build_dir/conformance_runner.o" "${c_objects[@]}" "${swift_objects[@]}" -lm

# 5. NEON evidence: some backward branch in an F32GEMMTile kernel must enclose `fmla` instructions.
step "checking the GEMM inner loop for NEON fmla"
objdump_tool=$(command -v llvm-objdump || command -v aarch64-linux-gnu-objdump)
fmla_in_loop=$("$objdump_tool" -d --no-show-raw-insn "$build_dir/embedded/DeiTKernels.o" | awk '
    function hex(text,   i, value) {   # mawk has no strtonum
        sub(/^0x/, "", text); value = 0
        for (i = 1; i <= length(text); i++) value = value * 16 + index("0123456789abcdef", substr(text, i, 1)) - 1
        return value
    }
    /^[0-9a-f]+ <.*>:$/ { in_tile = ($0 ~ /F32GEMMTile/); n = 0; next }
    !in_tile || !/^ *[0-9a-f]+:/ { next }
    {
        address = hex($1); n++; addresses[n] = address; ops[n] = $2
        if ($2 ~ /^b\./ && $3 ~ /^0x/) {
            target = hex($3)
            if (target < address) {
                count = 0
                for (i = 1; i <= n; i++) if (addresses[i] >= target && ops[i] == "fmla") count++
                if (count > best) best = count
            }
        }
    }
    END { print best + 0 }')
echo "check-aarch64: fmla instructions in the hottest GEMM tile loop: $fmla_in_loop"
[ "$fmla_in_loop" -ge 8 ] || { echo "check-aarch64: FAIL: no NEON fmla GEMM inner loop" >&2; exit 1; }

# 6. The conformance suite under qemu.
[ -d "$shared" ] || echo "SKIP: $shared not found (set DEIT_SHARED): fixtures only"
step "running conformance_runner under qemu-aarch64"
qemu-aarch64 "$build_dir/conformance_runner" Tests/Fixtures/conformance "$shared"
step "OK"
