#!/usr/bin/env bash
# Static throughput of the aarch64 GEMM inner loops (llvm-mca), from the cross-built object:
#
#   scripts/aarch64-loop-mca.sh [deit-objects.o]   (default: .build/aarch64/deit-objects.o, from
#                                                    scripts/build-aarch64.sh or check-aarch64.sh)
#
# Takes from llvm-objdump the densest loop of each kind — the f32 tile's `fmla` loop (F32GEMMTile),
# the baseline int8 tile's `smull`/`smlal` loop (Int8GEMMTileNEONMull) and the dot-product tile's
# `sdot` loop (DeiTKernelsDotProd's Int8GEMMTileNEONDot) — and runs llvm-mca on it for Cortex-A55,
# A72 and A76 (LLVM 19 models the A76 with its Neoverse-N1 model; the A72 has no `sdot`). Prints cycles per iteration (llvm-mca's block reciprocal throughput, a model: no cache
# misses, perfect branch prediction) and multiply-adds per cycle: 4 per `fmla` (4 f32 lanes), 8 per
# `smull`/`smlal` (8 byte products), 16 per `sdot` (4 lanes × 4 byte products). An estimate, not a
# measurement on a board. Needs llvm-mca-19 (or llvm-mca) and llvm-objdump.
set -euo pipefail
cd "$(dirname "$0")/.."
object="${1:-.build/aarch64/deit-objects.o}"
[ -f "$object" ] || { echo "aarch64-loop-mca: $object not found (run scripts/build-aarch64.sh)" >&2; exit 1; }
mca=$(command -v llvm-mca-19 || command -v llvm-mca) || { echo "aarch64-loop-mca: llvm-mca not found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

llvm-objdump -d --no-show-raw-insn --mattr=+dotprod "$object" > "$work/disassembly.txt"

# extract <kind> <function-name regex> <op regex>: the loop (backward branch) with the most ops
# matching <op regex> in functions matching the name regex, as assembly llvm-mca reads.
extract() {
    awk -v pattern="$2" -v opre="$3" -v exclude="${4:-^$}" '
        function hex(text,   i, value) {
            sub(/^0x/, "", text); sub(/:$/, "", text); value = 0
            for (i = 1; i <= length(text); i++) value = value * 16 + index("0123456789abcdef", substr(text, i, 1)) - 1
            return value
        }
        /^[0-9a-f]+ <.*>:$/ { inside = ($2 ~ pattern && $2 !~ exclude); n = 0; next }
        !inside || !/^ *[0-9a-f]+:/ { next }
        {
            address = hex($1); n++; addresses[n] = address; ops[n] = $2
            line = $0; sub(/^ *[0-9a-f]+:[ \t]*/, "", line); sub(/[ \t]*<.*$/, "", line); texts[n] = line
            if ($2 ~ /^b\./ && $3 ~ /^0x/ && hex($3) < address) {
                target = hex($3); count = 0; total = 0
                for (i = 1; i <= n; i++) if (addresses[i] >= target) { total++; count += (ops[i] ~ opre) }
                # The densest loop with at least 16 such ops (the k loop of the widest tile; the
                # loops around it also enclose its epilogue).
                if (count >= 16 && (best == 0 || count * best_total > best * total)) {
                    best = count; best_total = total; body = ""
                    for (i = 1; i <= n; i++) if (addresses[i] >= target) {
                        text = texts[i]
                        if (ops[i] ~ /^(b|b\..*|cbz|cbnz|tbz|tbnz)$/) { sub(/0x[0-9a-f]+$/, "loop", text) }
                        body = body "\t" text "\n"
                    }
                }
            }
        }
        END { printf "loop:\n%s", body }' "$work/disassembly.txt"
}

report() {  # <label> <file> <op regex> <multiply-adds per op>
    local label="$1" file="$2" opre="$3" per="$4" ops
    ops=$(grep -cE "^[[:space:]]+($opre)[[:space:]]" "$file" || true)
    [ "$ops" -gt 0 ] || { echo "$label: no loop found"; return; }
    printf '%s: %d instructions, %d multiply instructions (%d multiply-adds) per iteration\n' \
        "$label" "$(($(wc -l < "$file") - 1))" "$ops" $((ops * per))
    for cpu in cortex-a55 cortex-a72 cortex-a76; do
        local attrs=""
        [ "$cpu" = cortex-a72 ] || attrs="-mattr=+dotprod"
        cycles=$({ "$mca" -mtriple=aarch64 -mcpu="$cpu" $attrs -iterations=200 "$file" 2>/dev/null || true; } |
            awk '/Block RThroughput:/ { print $3 }')
        if [ -z "$cycles" ]; then echo "  $cpu: not modelled (the instructions are not in this core)"; continue; fi
        awk -v cpu="$cpu" -v cycles="$cycles" -v macs=$((ops * per)) \
            'BEGIN { printf "  %-11s %6.1f cycles/iteration  %5.1f multiply-adds/cycle\n", cpu, cycles, macs / cycles }'
    done
}

extract f32 'F32GEMMTile16' '^fmla$' > "$work/f32.s"
extract mull 'Int8GEMMTileNEONMull' '^(smull|smlal)' 'DeiTKernelsDotProd' > "$work/mull.s"
extract dot 'DeiTKernelsDotProd.*Int8GEMMTileNEONDot' '^sdot$' > "$work/dot.s"
report "f32 fmla loop (f32_gemm_6x16__neon)" "$work/f32.s" 'fmla' 4
report "int8 smull/smlal loop (qd8_f32_qc7w_gemm_2x16c4__neon_mlal)" "$work/mull.s" 'smull2?|smlal2?' 8
report "int8 sdot loop (qd8_f32_qc7w_gemm_4x16c4__neondot; no sdot on the A72)" "$work/dot.s" 'sdot' 16
