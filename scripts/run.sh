#!/usr/bin/env bash
# The main job on a fresh machine: build the release library and CLI, then run DeiT-Ti.
# With ../shared (or $DEIT_SHARED) present: the real ImageNet DeiT-Ti weights on timm's reference
# inputs, each checked against timm's logits; without it: a committed conformance fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${DEIT_SHARED:-$root/../shared}

scripts/setup.sh
echo "== swift build -c release"
swift build -c release
cli=$(swift build -c release --show-bin-path)/deit-cli
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ -f "$shared/models/deit-tiny-in1k.safetensors" ]; then
    model=$shared/models/deit-tiny-in1k.safetensors
    inputs=("$shared"/data/reference/*.in.f32)
else
    echo "(../shared not found: using the committed fixture model; set DEIT_SHARED for the real weights)"
    model=$root/Tests/Fixtures/conformance/deit_tiny_d2/model.safetensors
    inputs=("$root"/Tests/Fixtures/conformance/deit_tiny_d2/*.in.f32)
fi

echo "== deit-cli info --model $model"
"$cli" info --model "$model"
for input in "${inputs[@]}"; do
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
