#!/usr/bin/env bash
# Prints one line per (model, input, thread count): the SHA-256 of the logits `deit-cli run` writes,
# for every committed conformance fixture and, with ../shared, the real DeiT-Ti on the 16 reference
# inputs at f32 and int8 (the blocks quantised at load). Run it before and after a change that must not move a bit, and diff the two outputs.
#
#   scripts/logit-digests.sh [path/to/deit-cli] > digests.txt
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${1:-.build/release/deit-cli}"
shared="${DEIT_SHARED:-../shared}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

digest() {  # model input threads label [precision]
    "$cli" run --model "$1" --input "$2" --output "$work/logits.f32" --threads "$3" --precision "${5:-f32}" > /dev/null
    echo "$4 threads=$3${5:+ $5} $(sha256sum < "$work/logits.f32" | cut -c1-64)"
}

for dir in Tests/Fixtures/conformance/*/; do
    model="$dir/model.safetensors"
    [ -f "$model" ] || continue
    for input in "$dir"*.in.f32; do
        for threads in 1 2; do digest "$model" "$input" "$threads" "$(basename "$dir")/$(basename "$input")"; done
    done
done
if [ -d "$shared/data/reference" ]; then
    for input in "$shared"/data/reference/*.in.f32; do
        for threads in 1 2; do
            digest "$shared/models/deit-tiny-in1k.safetensors" "$input" "$threads" "deit-tiny/$(basename "$input")"
            digest "$shared/models/deit-tiny-in1k.safetensors" "$input" "$threads" "deit-tiny/$(basename "$input")" int8
        done
    done
else
    echo "# $shared/data/reference not found: real-weight digests skipped" >&2
fi
# The classify path (decode, eval transform in the arena, forward) on 20 photos, top-5 as printed (timings cut).
if [ -d "$shared/data/imagenet-sample" ]; then
    photos=("$shared"/data/imagenet-sample/*.JPEG)
    for threads in 1 2; do
        echo "classify-20-photos threads=$threads $("$cli" classify --model "$shared/models/deit-tiny-in1k.safetensors" \
            --json --top 5 --threads "$threads" "${photos[@]:0:20}" 2> /dev/null |
            sed 's/,"decode_ms".*//' | sha256sum | cut -c1-64)"
    done
fi
