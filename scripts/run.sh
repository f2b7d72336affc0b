#!/usr/bin/env bash
# The main job on a fresh machine: build the release library and CLI, measure DeiT-Ti's latency on a
# seeded random model built in memory (no download), then classify photos when weights are at hand.
#
#   scripts/run.sh                              # bench; plus ../shared's real DeiT-Ti if present
#   scripts/run.sh MODEL.safetensors [IMAGE|DIR...]   # also classify your photos with your weights
#
# With ../shared (or $DEIT_SHARED): the real ImageNet DeiT-Ti weights on timm's reference inputs, each
# checked against timm's logits, and a few sample photos classified end to end from JPEG.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${DEIT_SHARED:-$root/../shared}
user_model=${1:-}
user_images=("${@:2}")

scripts/setup.sh
echo "== swift build -c release"
swift build -c release
cli=$(swift build -c release --show-bin-path)/deit-cli
threads=$(nproc 2>/dev/null || echo 1)

echo "== deit-cli bench --synthetic deit_tiny (seeded random weights, 1 thread)"
"$cli" bench --synthetic deit_tiny --warmup 3 --runs 20
if [ "$threads" -gt 1 ]; then
    echo "== deit-cli bench --synthetic deit_tiny --threads $threads"
    "$cli" bench --synthetic deit_tiny --threads "$threads" --warmup 3 --runs 20
fi

if [ -n "$user_model" ]; then
    echo "== deit-cli info --model $user_model"
    "$cli" info --model "$user_model"
    if [ "${#user_images[@]}" -gt 0 ]; then
        echo "== deit-cli classify --model $user_model ${user_images[*]}"
        "$cli" classify --model "$user_model" --top 5 --threads "$threads" "${user_images[@]}"
    fi
fi

if [ ! -f "$shared/models/deit-tiny-in1k.safetensors" ]; then
    echo "(../shared not found: skipping the real-weight checks; set DEIT_SHARED, or pass MODEL [IMAGES])"
    exit 0
fi
model=$shared/models/deit-tiny-in1k.safetensors
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== deit-cli info --model $model"
"$cli" info --model "$model"
for input in "$shared"/data/reference/*.in.f32; do
    name=$(basename "$input" .in.f32)
    echo "== deit-cli run --model … --input $name.in.f32 (top 5: class, logit)"
    "$cli" run --model "$model" --input "$input" --output "$out/$name.logits.f32"
    python3 - "$out/$name.logits.f32" "${input%.in.f32}.logits.f32" <<'PY'
import struct, sys
ours = open(sys.argv[1], "rb").read(); ref = open(sys.argv[2], "rb").read()
a = struct.unpack(f"<{len(ours)//4}f", ours); b = struct.unpack(f"<{len(ref)//4}f", ref)
err = max(abs(x - y) for x, y in zip(a, b)); tol = 2e-4 * max(1.0, max(abs(y) for y in b))
print(f"   vs timm: max |error| {err:.2e} (tolerance {tol:.2e}) {'OK' if err <= tol else 'MISMATCH'}")
PY
done

# End to end from JPEG: the photos timm's reference tensors were made from (two are grayscale).
photos=()
for input in "$shared"/data/reference/*.in.f32; do
    photo=$shared/data/imagenet-sample/$(basename "$input" .in.f32).JPEG
    [ -f "$photo" ] && photos+=("$photo")
done
echo "== deit-cli classify --model … --top 3 (${#photos[@]} sample photos, JPEG → label)"
"$cli" classify --model "$model" --top 3 --threads "$threads" "${photos[@]}"
echo "(all 900 photos against timm: scripts/check-accuracy.sh)"
