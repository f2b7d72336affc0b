#!/usr/bin/env bash
# End-to-end accuracy: classifies the 900 ImageNet photos of ../shared/data/imagenet-sample (JPEG →
# stb_image → timm's eval transform → DeiT-Ti) with `deit-cli classify --json` and compares with
# timm's own top-5 (timm-reference-top5.tsv, made with the same weights):
#   - top-1 agreement with timm  (fails below 98 %)
#   - top-1 accuracy vs the true class, against timm's 79.7 %  (fails if more than 1 point off)
# then again with --precision int8 (the blocks' Linear layers quantised at load), which must agree
# with timm's f32 top-1 on ≥ 889/900 photos (the 99 % target, 891, is reported) and be right on ≥ 713/900. Nothing is calibrated
# on these photos (int8 needs no calibration: weights per channel, activations per token and per 32).
# The int8 pass runs the float checkpoint with --precision int8, or with --int8-model an int8 model
# file (deit-cli quantize; bit-identical to --precision int8, so the same gate): a path, or
# `quantize` to write one from the checkpoint into a temporary file first. --only f32|int8 runs one
# pass (each pass classifies all 900 photos: slow).
# Skips with a message when ../shared (or $DEIT_SHARED) is absent.
# Usage: scripts/check-accuracy.sh [--int8-model FILE|quantize] [--only f32|int8] [path/to/deit-cli]
#        (default: builds the release CLI)
set -euo pipefail
cd "$(dirname "$0")/.."
int8_model="" passes="f32 int8" cli=""
while [ $# -gt 0 ]; do
    case "$1" in
        --int8-model) int8_model=${2:?--int8-model needs a file or 'quantize'}; shift 2 ;;
        --only) passes=${2:?--only needs f32 or int8}; shift 2
                [ "$passes" = f32 ] || [ "$passes" = int8 ] || { echo "check-accuracy: --only f32 or int8" >&2; exit 2; } ;;
        -*) echo "check-accuracy: unknown option $1" >&2; exit 2 ;;
        *) cli=$1; shift ;;
    esac
done
shared=${DEIT_SHARED:-$PWD/../shared}
sample=$shared/data/imagenet-sample
model=$shared/models/deit-tiny-in1k.safetensors
if [ ! -f "$sample/timm-reference-top5.tsv" ] || [ ! -f "$model" ]; then
    echo "check-accuracy: $shared not found (set DEIT_SHARED): skipping the 900-photo accuracy check"
    exit 0
fi

if [ -z "$cli" ]; then
    swift build -c release --product deit-cli >/dev/null
    cli=$(swift build -c release --show-bin-path)/deit-cli
fi
results=$(mktemp)
quantized=$(mktemp --suffix=.safetensors)
trap 'rm -f "$results" "$quantized"' EXIT
if [ "$int8_model" = quantize ]; then
    "$cli" quantize "$model" "$quantized"
    int8_model=$quantized
fi

threads=$(nproc 2>/dev/null || echo 1)
status=0
for precision in $passes; do
if [ "$precision" = int8 ] && [ -n "$int8_model" ]; then
    # The int8 file runs at int8 by itself (its precision comes from the file).
    run=(--model "$int8_model")
    "$cli" info --model "$int8_model" | grep -q '^precision      int8 (from the file' ||
        { echo "check-accuracy: $int8_model is not an int8 model file" >&2; exit 1; }
else
    run=(--model "$model" --precision "$precision")
fi
echo "check-accuracy: classifying $(ls "$sample" | grep -ci '\.jpe\?g$') photos with $cli ${run[*]}"
"$cli" classify "${run[@]}" --top 5 --threads "$threads" --json "$sample" > "$results"

python3 - "$results" "$sample/timm-reference-top5.tsv" "$precision" <<'PY' || status=1
import json, os, sys
ours = {}
for line in open(sys.argv[1]):
    record = json.loads(line)
    ours[os.path.basename(record["file"])] = record
reference = [line.rstrip("\n").split("\t") for line in open(sys.argv[2]) if line.strip()]
missing = [r[0] for r in reference if r[0] not in ours]
agree = correct = timm_correct = top5_overlap = 0
disagreements = []
for file, truth, top5, logits in reference:
    if file not in ours:
        continue
    truth, timm_top = int(truth), [int(i) for i in top5.split(",")]
    our_top = [entry["index"] for entry in ours[file]["top"]]
    agree += our_top[0] == timm_top[0]
    correct += our_top[0] == truth
    timm_correct += timm_top[0] == truth
    top5_overlap += len(set(our_top) & set(timm_top))
    if our_top[0] != timm_top[0]:
        disagreements.append((file, timm_top[0], our_top[0]))
n = len(reference)
infer = sorted(r["infer_ms"] for r in ours.values())
print(f"photos                      {n} ({len(missing)} failed to classify)")
print(f"top-1 agreement with timm   {agree}/{n} = {100 * agree / n:.2f} %")
print(f"top-5 set overlap           {100 * top5_overlap / (5 * n):.2f} %")
print(f"top-1 accuracy (ours)       {correct}/{n} = {100 * correct / n:.2f} %")
print(f"top-1 accuracy (timm)       {timm_correct}/{n} = {100 * timm_correct / n:.2f} %")
print(f"inference median            {infer[len(infer) // 2]:.2f} ms per image")
for file, theirs, mine in disagreements[:20]:
    print(f"  differs: {file}: timm {theirs}, deit {mine}")
if sys.argv[3] == "int8":
    # Issue #14's target is 99 % (891/900), measured 891 with the AVX2 kernels; the gate keeps a
    # two-photo margin (889) because other kernel sets (AVX-512 CI hosts) round the f32 parts
    # differently and 891 has none. The target itself is reported on its own line.
    print(f"int8 target (>= 99 % = {0.99 * n:.0f}/{n} agreement): {'met' if agree >= 0.99 * n else 'NOT met'}")
    ok = not missing and agree >= 889 * n / 900 and correct >= 713 * n / 900
    need = "int8 needs >= 889/900 agreement with timm's f32 and accuracy >= 713/900"
else:
    ok = not missing and agree / n >= 0.98 and abs(correct - timm_correct) / n <= 0.01
    need = "needs >= 98 % agreement and accuracy within 1 point of timm"
print(f"check-accuracy ({sys.argv[3]}): " + ("OK" if ok else f"FAILED ({need})"))
sys.exit(0 if ok else 1)
PY
done

# ONNX Runtime's dynamic int8 of the same checkpoint on the same photos, for the comparison table in
# README (issue 14): only where scripts/bench-vs-ort.sh --precision f32,int8 has made the export and
# the project's .venv has ONNX Runtime (it needs torch + timm, which the gate does not install).
ort_int8=.build/bench/deit-tiny-in1k.int8.onnx
if [ -f "$ort_int8" ] && .venv/bin/python -c "import onnxruntime, timm" 2>/dev/null; then
    echo "check-accuracy: ONNX Runtime dynamic int8 ($ort_int8), timm's eval transform (PIL), same photos"
    PYTHONPATH=scripts/python .venv/bin/python scripts/python/ort_accuracy.py --onnx "$ort_int8" --sample "$sample" \
        --label "ORT dynamic int8" --threads "$threads" || status=1
else
    echo "check-accuracy: ONNX Runtime's int8 row skipped (run scripts/bench-vs-ort.sh --precision f32,int8 first; README has the measured row)"
fi
exit $status
