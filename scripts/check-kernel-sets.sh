#!/usr/bin/env bash
# Every x86-64 kernel set (Package.swift's DEIT_TARGET_CPU) built on its own and checked:
#
#   portable  built without FMA, its kernels and the fixture conformance suite run here (the default
#             test step covers the set this CPU gets, avx2 or avx512);
#   each set  its kernel objects hold the vector FMA it promises (none for portable) and never call
#             libm's fmaf — what `addingProduct` silently turns into without FMA hardware, one call
#             per lane, hundreds of times slower;
#   avx512    compiled and inspected everywhere; its tests run only on a CPU with AVX-512
#             (this script says when they cannot).
#
#   scripts/check-kernel-sets.sh
#
# Builds go to .build-kernels-<set> (a few minutes each on two cores). x86-64 only: aarch64 has one
# set (NEON), checked by scripts/check-aarch64.sh.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ "$(uname -m)" != "x86_64" ]; then
    echo "kernel sets: not an x86-64 machine; nothing to check"
    exit 0
fi

cpu_has() { grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -qx "$1"; }
tests="DeiTKernelsTests|ConformanceTests"

# The kernel objects of one build: no fmaf reference; `want` vector FMAs on `register` registers.
check_objects() {
    local set="$1" register="$2" want="$3"
    local objects
    objects=$(find ".build-kernels-$set/release/DeiTKernels.build" -name '*.o')
    [ -n "$objects" ] || { echo "kernel sets: $set: no DeiTKernels objects" >&2; exit 1; }
    # Whole outputs first: `nm | grep -q` can report "not found" under pipefail when grep exits
    # early and nm dies of SIGPIPE.
    local undefined disassembly fmas
    undefined=$(nm -u $objects)
    disassembly=$(objdump -d --no-show-raw-insn $objects)
    if grep -qw 'fmaf' <<<"$undefined"; then
        echo "kernel sets: $set: DeiTKernels calls libm fmaf (addingProduct without FMA hardware)" >&2
        exit 1
    fi
    if [ "$want" = "none" ]; then
        fmas=$(grep -c 'vfmadd' <<<"$disassembly" || true)
        if [ "$fmas" -ne 0 ]; then
            echo "kernel sets: $set: $fmas FMA instructions in a build for CPUs without FMA" >&2
            exit 1
        fi
        if grep -qE '%[yz]mm' <<<"$disassembly"; then
            echo "kernel sets: $set: AVX registers in a build for SSE2-only CPUs" >&2
            exit 1
        fi
    fi
    fmas=$(grep -cE "vfmadd[0-9a-z]*ps[[:space:]].*%$register" <<<"$disassembly" || true)
    if [ "$want" = "some" ] && [ "$fmas" -eq 0 ]; then
        echo "kernel sets: $set: no packed FMA on %$register registers: the kernels were not vectorised" >&2
        exit 1
    fi
    echo "kernel sets: $set: no fmaf calls; $fmas packed FMAs on %$register"
}

# Builds the set with its tests and runs the kernel and fixture-conformance suites.
build_and_test() {
    local set="$1" log=".build-kernels-$1/test.log"
    mkdir -p ".build-kernels-$set"
    if ! DEIT_TARGET_CPU="$set" swift test -c release --scratch-path ".build-kernels-$set" --filter "$tests" \
        >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "kernel sets: $set: tests failed (log: $log)" >&2
        exit 1
    fi
    grep -E "Test run with|Executed" "$log" | tail -n 2
}

build_kernels_only() {
    DEIT_TARGET_CPU="$1" swift build -c release --target DeiTKernels --scratch-path ".build-kernels-$1" 2>&1 | tail -n 1
}

echo "== portable (SSE2, no FMA): build, objects, kernel and conformance tests"
build_and_test portable
check_objects portable "xmm" none   # and no ymm/zmm at all

echo "== avx2 (x86-64-v3, FMA): objects (the default build on this CPU runs its tests)"
build_kernels_only avx2
check_objects avx2 "ymm" some

echo "== avx512 (x86-64-v4): objects, tests where the CPU has AVX-512"
if cpu_has avx512f && cpu_has avx512bw && cpu_has avx512dq && cpu_has avx512vl; then
    build_and_test avx512
    check_objects avx512 "zmm" some
else
    build_kernels_only avx512
    check_objects avx512 "zmm" some
    echo "kernel sets: avx512: compiled and inspected; its tests cannot run here (this CPU has no AVX-512)"
fi
