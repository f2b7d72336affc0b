#!/usr/bin/env bash
# deit against ONNX Runtime on DeiT-Ti, batch 1, 1 and 2 threads, interleaved in one process.
#
#   scripts/bench-vs-ort.sh [--openblas] [--precision f32,int8] [--batch-mode] [--runs N] [--warmup N]
#                           [--threads 1,2] [--settle-ms MS]
#
# --batch-mode: throughput instead (images/s at batches 1, 4 and 16, or $DEIT_BENCH_BATCHES): deit's
# deit_session_run_batch against ORT on an export with a dynamic batch axis; DeiT-Ti only.
# $DEIT_BENCH_PYTHON: a Python that already has onnxruntime, torch and timm (e.g. another
# checkout's .venv/bin/python); the repo-local .venv is then neither created nor changed.
#
# --precision (default f32): deit's precisions; with int8, deit quantises the blocks at load and ORT's
# dynamic int8 (quantize_dynamic, int8 weights per channel: scripts/python/quantize_onnx.py) of the same
# export runs in the same rounds, and the ratios int8/ORT-int8 and int8/f32 are printed.
# --openblas also builds libdeit with DEIT_BLAS=openblas (linear layers through Debian's OpenBLAS,
# in .build-openblas) and benchmarks it in the same rounds as `deit-openblas`.
# Two models: DeiT-Ti and the distilled DeiT-Ti⚗ (two tokens, two heads averaged at inference).
# Builds libdeit.so (release; kernels chosen at run time, DEIT_KERNEL_SET forces a set), installs
# the pinned ONNX Runtime into .venv (scripts/setup-python.sh first: torch + timm for the export),
# exports the same checkpoint to ONNX with timm, then runs scripts/python/bench_vs_ort.py.
# DeiT-Ti is the real checkpoint from $DEIT_SHARED (default ../shared) when present, else a
# random-init DeiT-Ti exported the same way; the distilled model is always random-init (there is no
# real distilled checkpoint here; speed does not depend on the values).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
work="$repo/.build/bench"
mkdir -p "$work"

scripts/setup.sh >/dev/null   # Debian packages the build needs (libstb-dev, ...); quiet when present
if [ -n "${DEIT_BENCH_PYTHON:-}" ]; then
    venv_python="$DEIT_BENCH_PYTHON"
else
    scripts/setup-python.sh >/dev/null
    venv_python="$repo/.venv/bin/python"
    stamp="$repo/.venv/.bench-requirements.sha256"
    wanted=$(sha256sum scripts/python/requirements-bench.txt | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        "$venv_python" -m pip install --disable-pip-version-check --only-binary=:all: \
            --requirement scripts/python/requirements-bench.txt
        echo "$wanted" > "$stamp"
    fi
fi

shared="${DEIT_SHARED:-$repo/../shared}"
# Random-init weights for `arch` (safetensors for deit, ONNX for ONNX Runtime), made once.
export_random() {
    local arch="$1"
    [ -f "$work/$arch-random.onnx" ] || PYTHONPATH=scripts/python "$venv_python" scripts/python/export_onnx.py \
        --arch "$arch" --safetensors-out "$work/$arch-random.safetensors" --out "$work/$arch-random.onnx" 2>/dev/null
}

swift build -c release --product deit >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
libs=(--lib "$(swift build -c release --show-bin-path)/libdeit.so")
options=()
batch_mode=0
for argument in "$@"; do
    if [ "$argument" = "--batch-mode" ]; then
        batch_mode=1
    elif [ "$argument" = "--openblas" ]; then
        openblas=(--scratch-path "$repo/.build-openblas")
        DEIT_BLAS=openblas swift build -c release --product deit "${openblas[@]}" >"$work/build-openblas.log" 2>&1 || {
            cat "$work/build-openblas.log" >&2; exit 1; }
        libs+=(--lib "openblas=$(DEIT_BLAS=openblas swift build -c release "${openblas[@]}" --show-bin-path)/libdeit.so")
    else
        options+=("$argument")
    fi
done

arch=deit_tiny_patch16_224
if [ "$batch_mode" = 1 ]; then
    if [ -f "$shared/models/deit-tiny-in1k.safetensors" ]; then
        weights="$shared/models/deit-tiny-in1k.safetensors"
        onnx="$work/deit-tiny-in1k-dynamic-batch.onnx"
        echo "== model: DeiT-Ti, $weights (real weights); ONNX with a dynamic batch axis"
    else
        weights="$work/$arch-random.safetensors"
        onnx="$work/$arch-random-dynamic-batch.onnx"
        [ -f "$weights" ] || PYTHONPATH=scripts/python "$venv_python" scripts/python/export_onnx.py --arch "$arch" \
            --safetensors-out "$weights" --out "$work/$arch-random.onnx" 2>/dev/null
        echo "== model: DeiT-Ti, random-init $arch (no checkpoint at $shared/models); ONNX with a dynamic batch axis"
    fi
    [ -f "$onnx" ] && [ "$onnx" -nt "$weights" ] || \
        PYTHONPATH=scripts/python "$venv_python" scripts/python/export_onnx.py --arch "$arch" --dynamic-batch \
            --weights "$weights" --out "$onnx" 2>/dev/null
    "$venv_python" scripts/python/bench_vs_ort.py "${libs[@]}" --model "$weights" --onnx "$onnx" \
        --batches "${DEIT_BENCH_BATCHES:-1,4,16}" ${options[@]+"${options[@]}"}
    exit 0
fi
if [ -f "$shared/models/deit-tiny-in1k.safetensors" ]; then
    weights="$shared/models/deit-tiny-in1k.safetensors"
    onnx="$work/deit-tiny-in1k.onnx"
    [ -f "$onnx" ] && [ "$onnx" -nt "$weights" ] || \
        PYTHONPATH=scripts/python "$venv_python" scripts/python/export_onnx.py --arch "$arch" \
            --weights "$weights" --out "$onnx" 2>/dev/null
    onnx_int8="$work/deit-tiny-in1k.int8.onnx"
    [ -f "$onnx_int8" ] && [ "$onnx_int8" -nt "$onnx" ] || "$venv_python" scripts/python/quantize_onnx.py "$onnx" "$onnx_int8"
    echo "== model: DeiT-Ti, $weights (real weights)"
else
    export_random "$arch"
    weights="$work/$arch-random.safetensors"
    onnx="$work/$arch-random.onnx"
    onnx_int8="$work/$arch-random.int8.onnx"
    [ -f "$onnx_int8" ] || "$venv_python" scripts/python/quantize_onnx.py "$onnx" "$onnx_int8"
    echo "== model: DeiT-Ti, random-init $arch (no checkpoint at $shared/models)"
fi
"$venv_python" scripts/python/bench_vs_ort.py "${libs[@]}" --model "$weights" --onnx "$onnx" --onnx-int8 "$onnx_int8" \
    ${options[@]+"${options[@]}"}

arch=deit_tiny_distilled_patch16_224
export_random "$arch"
echo
echo "== model: DeiT-Ti distilled, random-init $arch"
"$venv_python" scripts/python/bench_vs_ort.py "${libs[@]}" --model "$work/$arch-random.safetensors" \
    --onnx "$work/$arch-random.onnx" ${options[@]+"${options[@]}"}
