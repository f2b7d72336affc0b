#!/usr/bin/env bash
# Compiles the core modules as Embedded Swift for bare-metal aarch64, proving they need no Swift
# runtime, Foundation or libc module: DeiTKernels → DeiTRuntime → DeiT, one object file each.
# (The C shims' headers must stay freestanding: <stddef.h>, <stdint.h>.)
# Usage: scripts/check-embedded.sh [output-dir]   (default: .build/embedded-aarch64)
set -euo pipefail

cd "$(dirname "$0")/.."
out_dir="${1:-.build/embedded-aarch64}"
mkdir -p "$out_dir"

target=aarch64-none-none-elf
embedded_flags=(
    -target "$target" -enable-experimental-feature Embedded
    -wmo -O -parse-as-library
    -package-name deit   # as SwiftPM passes: `package` declarations cross the modules
    -I "$out_dir"
)
# The C shims the core imports (CDeiTSupport, ...): every Sources/<target>/include with a module map.
for module_map in Sources/*/include/module.modulemap; do
    embedded_flags+=(-I "$(dirname "$module_map")")
done

# In dependency order: each module imports the .swiftmodule files emitted before it.
# DeiTKernelsDotProd is Sources/DeiTKernels again (a symbolic link), for ARMv8.2 with the dot product
# (the int8 GEMM's `sdot` kernel); the runtime uses it only where HWCAP_ASIMDDP says the CPU has it.
modules=(DeiTKernelTable DeiTKernels DeiTKernelsDotProd DeiTRuntime DeiT)
module_flags() {
    case "$1" in
        # armv8-a + dotprod, not armv8.2-a: the dot product alone, no LSE atomics or other v8.1/v8.2
        # instructions in the module's copies of shared code (the refcounting, weak in every object).
        DeiTKernelsDotProd) echo -Xcc -march=armv8-a+dotprod -D DEIT_DOTPROD ;;
    esac
}

for module in "${modules[@]}"; do
    rm -f "$out_dir/$module".*   # no stale module may satisfy an import
    sources=()
    while IFS= read -r -d '' file; do sources+=("$file"); done \
        < <(find "Sources/$module/" -name '*.swift' -print0 | sort -z)
    if [ "${#sources[@]}" -eq 0 ]; then
        echo "check-embedded: no Swift sources in Sources/$module" >&2
        exit 1
    fi
    echo "check-embedded: $module (${#sources[@]} files)"
    # shellcheck disable=SC2046  # the flags are words
    swiftc "${embedded_flags[@]}" $(module_flags "$module") -c "${sources[@]}" \
        -module-name "$module" \
        -emit-module -emit-module-path "$out_dir/$module.swiftmodule" \
        -o "$out_dir/$module.o"
done

echo "check-embedded: object sizes for $target (bytes)"
objects=()
for module in "${modules[@]}"; do objects+=("$out_dir/$module.o"); done
if command -v size >/dev/null; then
    size "${objects[@]}"
else
    wc -c "${objects[@]}"
fi

# What the objects still need from outside (libc, CDeiTSupport): informative, not a failure.
if command -v nm >/dev/null; then
    defined=$(nm --defined-only -j "${objects[@]}" 2>/dev/null | sort -u)
    external=$(nm --undefined-only -j "${objects[@]}" 2>/dev/null | sort -u | comm -23 - <(printf '%s\n' "$defined"))
    echo "check-embedded: external symbols: $(echo $external)"
fi
echo "check-embedded: OK"
