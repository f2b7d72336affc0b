#!/usr/bin/env bash
# The x86-64 kernel sets of the one build (Package.swift compiles the kernels once per set; the
# runtime picks a set per session from CPUID + XGETBV) checked in that build:
#
#   objects   each kernel module holds the vector FMA it promises (portable: none, and no AVX
#             register at all) and never calls libm's fmaf — what `addingProduct` silently turns
#             into without FMA hardware, one call per lane, hundreds of times slower; the runtime,
#             C API and CLI modules hold no AVX instruction (they run before any CPU check);
#   tests     the kernel suite against the baseline module (DeiTKernelsTests) and the AVX2 module
#             (DeiTKernelsAVX2Tests, where the CPU has AVX2), the fixture conformance suite with
#             each set this CPU runs forced, and the kernel-choice tests;
#   qemu      the C conformance runner, built against this libdeit.so, on the small fixtures and
#             DeiT-Ti's shapes (a few minutes under TCG in all) under qemu-x86_64 with `-cpu qemu64`
#             (baseline x86-64: the library must choose portable and never fault — qemu raises
#             SIGILL on any AVX instruction there; forcing avx2-fma must be DEIT_ERR_UNSUPPORTED) and
#             `-cpu Haswell` (it must choose avx2-fma): every session reports the set it chose
#             (deit_session_get_kernel_set) and the runner checks it; `deit-cli bench` under each
#             shows the choice, f32 and int8 (the int8 GEMM: portable, or the AVX2 vpmaddwd one);
#   vnni      avx-vnni and avx512-vnni hold `vpdpbusd` on ymm / zmm, and no other module holds any
#             VNNI instruction (LLVM may fuse `vpmaddwd` + `vpaddd` into `vpdpwssd` where VNNI is on);
#   avx512    and the VNNI sets: their tests (conformance, Int8KernelSetTests) run where this CPU has
#             them (KernelChoice.runnable); otherwise compiled and inspected only — qemu runs neither.
#
#   scripts/check-kernel-sets.sh [build dir]   (default .build; builds release and the tests if needed)
#
# x86-64 only: aarch64 has one set (NEON), checked by scripts/check-aarch64.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
scratch="${1:-.build}"
bin="$scratch/release"

if [ "$(uname -m)" != "x86_64" ]; then
    echo "kernel sets: not an x86-64 machine; nothing to check"
    exit 0
fi

cpu_has() { grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -qx "$1"; }

echo "== build (release): one build for every x86-64 CPU"
swift build -c release --scratch-path "$scratch" 2>&1 | tail -n 1

# One module's objects: no fmaf reference; `want` packed FMAs on `register` registers.
check_objects() {
    local module="$1" register="$2" want="$3"
    local objects
    objects=$(find "$bin/$module.build" -name '*.o')
    [ -n "$objects" ] || { echo "kernel sets: $module: no objects in $bin/$module.build" >&2; exit 1; }
    # Whole outputs first: `nm | grep -q` can report "not found" under pipefail when grep exits
    # early and nm dies of SIGPIPE.
    local undefined disassembly fmas
    undefined=$(nm -u $objects)
    disassembly=$(objdump -d --no-show-raw-insn $objects)
    # (The baseline modules may call fmaf: the position-embedding resampler's scalar addingProduct
    # at load, a few thousand correctly rounded calls, the same bits as an FMA instruction.)
    if [ "$want" != "baseline" ] && grep -qw 'fmaf' <<<"$undefined"; then
        echo "kernel sets: $module calls libm fmaf (addingProduct without FMA hardware)" >&2
        exit 1
    fi
    if [ "$want" = "none" ] || [ "$want" = "baseline" ]; then
        fmas=$(grep -c 'vfmadd' <<<"$disassembly" || true)
        if [ "$fmas" -ne 0 ]; then
            echo "kernel sets: $module: $fmas FMA instructions in code for CPUs without FMA" >&2
            exit 1
        fi
        if grep -qE '%[yz]mm' <<<"$disassembly"; then
            echo "kernel sets: $module: AVX registers in code for SSE2-only CPUs" >&2
            exit 1
        fi
        echo "kernel sets: $module: no FMA instruction, no ymm/zmm$([ "$want" = none ] && echo ", no fmaf calls")"
        return
    fi
    fmas=$(grep -cE "vfmadd[0-9a-z]*ps[[:space:]].*%$register" <<<"$disassembly" || true)
    if [ "$fmas" -eq 0 ]; then
        echo "kernel sets: $module: no packed FMA on %$register registers: the kernels were not vectorised" >&2
        exit 1
    fi
    echo "kernel sets: $module: no fmaf calls; $fmas packed FMAs on %$register"
}

echo "== objects"
check_objects DeiTKernels "xmm" none          # portable: SSE2 only
check_objects DeiTKernelsAVX2 "ymm" some
check_objects DeiTKernelsAVX512 "zmm" some
check_objects DeiTKernelsAVXVNNI "ymm" some
check_objects DeiTKernelsAVX512VNNI "zmm" some

# `vpdpbusd` on `register` registers in `module`, or (want none) no VNNI instruction at all.
check_vnni() {
    local module="$1" register="$2" count
    count=$(objdump -d --no-show-raw-insn $(find "$bin/$module.build" -name '*.o') | grep -cE "vpdp(bu|ws)ds?[[:space:]]" || true)
    if [ "$register" = none ]; then
        [ "$count" -eq 0 ] || { echo "kernel sets: $module: $count VNNI instructions in code for CPUs without VNNI" >&2; exit 1; }
        return
    fi
    count=$(objdump -d --no-show-raw-insn $(find "$bin/$module.build" -name '*.o') | grep -cE "vpdpbusd[[:space:]].*%$register" || true)
    [ "$count" -gt 0 ] || { echo "kernel sets: $module: no vpdpbusd on %$register: the VNNI int8 kernel is missing" >&2; exit 1; }
    echo "kernel sets: $module: $count vpdpbusd on %$register"
}
check_vnni DeiTKernelsAVXVNNI ymm
check_vnni DeiTKernelsAVX512VNNI zmm
for module in DeiTKernels DeiTKernelsAVX2 DeiTKernelsAVX512 DeiTKernelTable DeiTRuntime DeiT deit_cli; do
    check_vnni "$module" none
done
echo "kernel sets: no VNNI instruction outside the VNNI modules"
for module in DeiTKernelTable DeiTRuntime DeiT deit_cli; do   # baseline code: runs before the choice
    check_objects "$module" "xmm" baseline
done

echo "== tests: kernels per module, conformance with every set this CPU runs, the choice"
tests="DeiTKernelsTests|ConformanceTests|KernelChoiceTests|Int8KernelSetTests"
if cpu_has avx2 && cpu_has fma; then
    tests="$tests|DeiTKernelsAVX2Tests"
else
    echo "kernel sets: this CPU has no AVX2: DeiTKernelsAVX2Tests skipped"
fi
log="$scratch/kernel-sets-tests.log"
if ! swift test -c release --scratch-path "$scratch" --filter "$tests" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "kernel sets: tests failed (log: $log)" >&2
    exit 1
fi
grep -E "Test run with|Executed" "$log" | tail -n 2
for set in avx512 avx512-vnni avx-vnni; do
    case "$set" in
        avx512) runs=$(cpu_has avx512f && cpu_has avx512bw && cpu_has avx512vl && echo yes || true) ;;
        avx512-vnni) runs=$(cpu_has avx512f && cpu_has avx512vl && cpu_has avx512_vnni && echo yes || true) ;;
        avx-vnni) runs=$(cpu_has avx2 && cpu_has avx_vnni && echo yes || true) ;;
    esac
    if [ -n "$runs" ]; then
        echo "kernel sets: $set: this CPU runs it: forced through the conformance suite and Int8KernelSetTests above"
    else
        echo "kernel sets: $set: compiled and inspected; its tests cannot run here (not on this CPU, nor in qemu)"
    fi
done

echo "== qemu-x86_64: the same libdeit.so on a baseline x86-64 CPU and on Haswell"
command -v qemu-x86_64 >/dev/null || scripts/setup.sh qemu-user >/dev/null
if ! command -v qemu-x86_64 >/dev/null; then
    echo "kernel sets: qemu-x86_64 not found (apt-get install qemu-user)" >&2
    exit 1
fi
runner="$scratch/kernel-sets/conformance_runner"
mkdir -p "$(dirname "$runner")"
swift_runtime_dirs=$(swift -print-target-info |
    sed -n '/"runtimeLibraryPaths"/,/]/p' | grep -o '"/[^"]*"' | tr -d '"')
lib_dir=$(cd "$bin" && pwd)
rpaths=(-Wl,-rpath,"$lib_dir")
for dir in $swift_runtime_dirs; do rpaths+=(-Wl,-rpath,"$dir"); done
gcc -std=c99 -O2 -I include Tests/c/conformance_runner.c -o "$runner" -L"$lib_dir" -ldeit "${rpaths[@]}" -lm
misuse="$scratch/kernel-sets/api_misuse"
gcc -std=c99 -O2 -pthread -I include Tests/c/api_misuse.c -o "$misuse" -L"$lib_dir" -ldeit "${rpaths[@]}" -lm
fixtures=Tests/Fixtures/conformance
no_shared="$scratch/kernel-sets/no-shared"   # the committed fixtures only: DeiT-Ti under TCG is slow
# Under TCG the 224/384-pixel fixtures take about a minute each, so qemu runs the fixtures of at most
# 112 pixels (every architecture feature: ragged tiles, QuickGELU, qk_norm, registers, max/avg pooling,
# LayerScale, CaiT's talking heads and class attention) plus deit_tiny_d2 (DeiT-Ti's own shapes: 197
# tokens, full GEMM tiles, several attention row blocks): about a minute per CPU model.
subset="$scratch/kernel-sets/qemu-fixtures"
rm -rf "$subset"
mkdir -p "$subset"
fixtures_abs=$(cd "$fixtures" && pwd)
awk -F '\t' 'NR == 1 || $2 <= 112 || $1 == "deit_tiny_d2"' "$fixtures/manifest.tsv" > "$subset/manifest.tsv"
for model in $(awk -F '\t' 'NR > 1 { print $1 }' "$subset/manifest.tsv"); do
    ln -s "$fixtures_abs/$model" "$subset/$model"
done
echo "kernel sets: qemu fixtures: $(awk -F '\t' 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' "$subset/manifest.tsv")"

# `deit-cli bench` on a synthetic DeiT-Ti at 32 pixels (5 tokens: quick under TCG), f32 and int8: its
# "kernels" line names the set the session chose, its "precision" line the int8 GEMM kernel.
bench_under() {  # cpu precision
    qemu-x86_64 -cpu "$1" "$bin/deit-cli" bench --synthetic deit_tiny --image-size 32 --runs 1 --warmup 0 \
        --precision "$2" 2>/dev/null
}

# Forcing a set this CPU lacks is refused with DEIT_ERR_UNSUPPORTED, not a SIGILL (exit 132): no code of
# the AVX2 module may run, not even to build its table (first: it takes seconds, the runs minutes).
set +e
output=$(DEIT_KERNEL_SET=avx2-fma qemu-x86_64 -cpu qemu64 "$bin/deit-cli" bench --synthetic deit_tiny --image-size 32 --runs 1 --warmup 0 2>&1)
status=$?
set -e
if [ "$status" -eq 0 ] || [ "$status" -ge 128 ] || ! grep -q "DEIT_ERR_UNSUPPORTED" <<<"$output"; then
    echo "kernel sets: qemu -cpu qemu64 with DEIT_KERNEL_SET=avx2-fma: exit $status, expected DEIT_ERR_UNSUPPORTED:" >&2
    echo "$output" >&2
    exit 1
fi
echo "kernel sets: qemu -cpu qemu64, DEIT_KERNEL_SET=avx2-fma: refused ($(grep -o 'DEIT_ERR_UNSUPPORTED.*' <<<"$output" | head -n 1))"
# Through the C API too: api_misuse forces every known set by name (deit_session_options.kernel_set);
# on qemu64 each but portable must be DEIT_ERR_UNSUPPORTED, and nothing may fault.
log="$scratch/kernel-sets/qemu-qemu64-api_misuse.log"
if ! qemu-x86_64 -cpu qemu64 "$misuse" "$fixtures/deit_tiny_d2/model.safetensors" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "kernel sets: qemu -cpu qemu64: api_misuse failed (log: $log)" >&2
    exit 1
fi
echo "kernel sets: qemu -cpu qemu64: api_misuse: $(tail -n 1 "$log")"
qemu_start=$SECONDS
for cpu in qemu64 Haswell; do
    case "$cpu" in
        qemu64) want=portable want_int8=qd8_f32_qc7w_gemm_2x16c4__portable ;;
        Haswell) want=avx2-fma want_int8=qd8_f32_qc7w_gemm_6x16c4__avx2 ;;
    esac
    chosen=$(bench_under "$cpu" f32 | awk '$1 == "kernels" { print $2 }')
    if [ "$chosen" != "$want" ]; then
        echo "kernel sets: qemu -cpu $cpu: deit-cli bench chose \"$chosen\", expected $want" >&2
        exit 1
    fi
    int8_line=$(bench_under "$cpu" int8 | grep '^precision' || true)
    if ! grep -q "$want_int8" <<<"$int8_line"; then
        echo "kernel sets: qemu -cpu $cpu: deit-cli bench --precision int8 ran \"$int8_line\", expected $want_int8" >&2
        exit 1
    fi
    # bench-gemm calls the GEMMs and the int8 packing outside a session, through the same choice.
    gemm_line=$(qemu-x86_64 -cpu "$cpu" "$bin/deit-cli" bench-gemm --m 3 --n 17 --k 33 --runs 1 --warmup 0 2>/dev/null | head -n 1 || true)
    if ! grep -q "^kernels  $want: .*$want_int8" <<<"$gemm_line"; then
        echo "kernel sets: qemu -cpu $cpu: deit-cli bench-gemm ran \"$gemm_line\", expected $want and $want_int8" >&2
        exit 1
    fi
    # The C conformance runner, through libdeit.so only: every session must report the expected set
    # (deit_session_get_kernel_set) and match timm.
    log="$scratch/kernel-sets/qemu-$cpu.log"
    if ! DEIT_EXPECT_KERNEL_SET="$want" qemu-x86_64 -cpu "$cpu" "$runner" "$subset" "$no_shared" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "kernel sets: qemu -cpu $cpu: the C conformance runner failed (log: $log)" >&2
        exit 1
    fi
    grep -q "^kernel set: $want " "$log" || { echo "kernel sets: qemu -cpu $cpu: the runner did not report $want" >&2; exit 1; }
    echo "kernel sets: qemu -cpu $cpu: libdeit.so chose $want (int8: $want_int8); C conformance runner: $(tail -n 1 "$log")"
done
echo "kernel sets: qemu checks took $((SECONDS - qemu_start)) s"

echo "kernel sets: OK"
