#!/usr/bin/env bash
# deit-cli's contract: exit codes (0 ok, 1 failure, 2 usage), one-line errors naming the file,
# --json output, bench --synthetic. Needs only the committed fixtures.
# Usage: Tests/cli/run.sh BIN_DIR   (the directory holding deit-cli, e.g. .build/release)
set -uo pipefail
cd "$(dirname "$0")/../.."
cli=${1:?usage: Tests/cli/run.sh BIN_DIR}/deit-cli
model=Tests/Fixtures/conformance/deit_tiny_d2/model.safetensors
images=Tests/Fixtures/images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit code, keeps stdout/stderr.
expect() {
    local code=$1 description=$2; shift 3
    "$@" >"$work/out" 2>"$work/err"
    local actual=$?
    if [ "$actual" -eq "$code" ]; then
        echo "ok    $description (exit $actual)"
    else
        echo "FAIL  $description: exit $actual, expected $code"; sed 's/^/      /' "$work/err" | head -5
        failures=$((failures + 1))
    fi
}
# contains FILE TEXT DESCRIPTION
contains() {
    if grep -q -- "$2" "$work/$1"; then echo "ok    $3"; else
        echo "FAIL  $3: '$2' not in $1:"; sed 's/^/      /' "$work/$1" | head -5; failures=$((failures + 1)); fi
}

head -c 700 "$images/photo_120x90.jpg" >"$work/truncated.jpg"
printf 'not an image' >"$work/notes.jpg"

expect 0 "classify PNGs (gray, gray+alpha, RGBA, palette, 1×1, 1000×3)" -- "$cli" classify --model "$model" --top 3 \
    "$images/gray_50x80.png" "$images/gray_alpha_64x64.png" "$images/rgba_45x30.png" "$images/palette_40x40.png" \
    "$images/tiny_1x1.png" "$images/wide_1000x3.png"
contains out "tench\|class\|%" "human-readable top-3"
expect 0 "classify a directory, --json" -- "$cli" classify --model "$model" --json --top 2 "$images"
if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]; r=json.loads(open(sys.argv[1]).readline()); assert set(r) >= {"file","top","decode_ms","infer_ms"} and set(r["top"][0]) == {"index","label","logit","prob"}' "$work/out"; then
    echo "ok    --json prints one valid object per line"; else echo "FAIL  --json output"; failures=$((failures + 1)); fi
image_count=$(find "$images" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) | wc -l)
[ "$(wc -l <"$work/out")" -eq "$image_count" ] && echo "ok    $image_count images in the directory" || { echo "FAIL  directory listing"; failures=$((failures + 1)); }
# Batches (--batch B): the same output as batch 1, and as each file classified alone (the single-file
# path, no decode thread), timings aside; a failing file in the middle keeps its place.
strip_ms() { python3 -c 'import json,sys; [print(json.dumps({k: v for k, v in json.loads(l).items() if not k.endswith("_ms")})) for l in open(sys.argv[1])]' "$1"; }
for f in "$images"/*.png "$images"/*.jpg; do "$cli" classify --model "$model" --json --top 3 "$f"; done >"$work/alone.json" 2>/dev/null
strip_ms "$work/alone.json" >"$work/alone.txt"
for batch in 1 3 4 16; do
    expect 0 "classify a directory, --batch $batch" -- "$cli" classify --model "$model" --json --top 3 --threads 2 --batch "$batch" \
        "$images"/*.png "$images"/*.jpg
    strip_ms "$work/out" >"$work/batch$batch.txt"
    if [ -s "$work/batch$batch.txt" ] && cmp -s "$work/batch$batch.txt" "$work/alone.txt"; then
        echo "ok    --batch $batch: the same --json output (timings aside) as each image classified alone"
    else echo "FAIL  --batch $batch output differs from the images classified alone"; diff "$work/batch$batch.txt" "$work/alone.txt" | head -5; failures=$((failures + 1)); fi
done
expect 0 "classify text output, --batch 4" -- "$cli" classify --model "$model" --top 3 --batch 4 "$images"
head -n -4 "$work/out" >"$work/text4.txt"
expect 0 "classify text output, --batch 1" -- "$cli" classify --model "$model" --top 3 "$images"
head -n -4 "$work/out" >"$work/text1.txt"
if [ -s "$work/text1.txt" ] && cmp -s "$work/text1.txt" "$work/text4.txt"; then echo "ok    text output: --batch 4 equals --batch 1 (summary aside)"
else echo "FAIL  text output differs between --batch 4 and 1"; failures=$((failures + 1)); fi
for batch in 1 4; do
    expect 1 "a bad file among good ones, --batch $batch → exit 1" -- "$cli" classify --model "$model" --json --top 2 --batch "$batch" \
        "$images/gray_50x80.png" "$images/rgb_97x61.png" "$work/truncated.jpg" "$images/photo_120x90.jpg" "$images/tiny_1x1.png"
    strip_ms "$work/out" >"$work/bad$batch.txt"
    grep -v "^[0-9]* images\|^decode\|^preprocess\|^infer" "$work/err" >"$work/bad$batch.err"
done
if [ "$(wc -l <"$work/bad4.txt")" -eq 4 ] && cmp -s "$work/bad1.txt" "$work/bad4.txt" && cmp -s "$work/bad1.err" "$work/bad4.err" &&
    grep -q "truncated.jpg" "$work/bad4.err"; then
    echo "ok    a failing file: the other 4 reported in order, the same errors, --batch 4 as --batch 1"
else echo "FAIL  a failing file among batches"; failures=$((failures + 1)); fi
expect 2 "--batch 0 → exit 2" -- "$cli" classify --model "$model" --batch 0 "$images/tiny_1x1.png"
expect 0 "bench --batch 3 --json" -- "$cli" bench --synthetic deit_tiny --batch 3 --runs 2 --warmup 0 --json
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["batch"] == 3 and r["images_per_second"] > 0, r' "$work/out"; then
    echo "ok    bench --json reports \"batch\": 3 and images/s"; else echo "FAIL  bench --batch --json"; failures=$((failures + 1)); fi
expect 0 "bench --batch 2 (text)" -- "$cli" bench --synthetic deit_tiny --batch 2 --runs 2 --warmup 0
contains out "per batch" "bench --batch prints the per-batch latency"
expect 2 "bench --batch 2 --profile → exit 2" -- "$cli" bench --synthetic deit_tiny --batch 2 --profile
expect 1 "truncated JPEG → exit 1" -- "$cli" classify --model "$model" "$work/truncated.jpg"
contains err "truncated.jpg.*truncated" "error names the file and the reason"
[ "$(wc -l <"$work/err")" -eq 1 ] && echo "ok    one-line error" || { echo "FAIL  error is not one line"; failures=$((failures + 1)); }
expect 1 "not an image → exit 1" -- "$cli" classify --model "$model" "$work/notes.jpg"
contains err "DEIT_ERR_UNSUPPORTED" "unsupported format status"
expect 1 "missing image → exit 1" -- "$cli" classify --model "$model" "$work/missing.png"
expect 1 "image above --max-pixels → exit 1" -- "$cli" classify --model "$model" --max-pixels 100 "$images/rgb_97x61.png"
contains err "limit" "limit named in the error"
expect 1 "missing model → exit 1" -- "$cli" classify --model "$work/none.safetensors" "$images/tiny_1x1.png"
contains err "none.safetensors" "error names the model file"
expect 1 "labels file shorter than the classes → exit 1" -- "$cli" classify --model "$model" --labels "$images/manifest.tsv" "$images/tiny_1x1.png"
seq 0 999 | sed 's/^/label-/' >"$work/labels.txt"
expect 0 "--labels file" -- "$cli" classify --model "$model" --labels "$work/labels.txt" --json "$images/tiny_1x1.png"
contains out '"label":"label-' "user labels used"
expect 2 "no command → exit 2" -- "$cli"
expect 2 "unknown command → exit 2" -- "$cli" frobnicate
expect 2 "unknown option → exit 2" -- "$cli" classify --model "$model" --bogus 1 "$images/tiny_1x1.png"
expect 2 "--top 0 → exit 2" -- "$cli" classify --model "$model" --top 0 "$images/tiny_1x1.png"
expect 2 "--top above the classes → exit 2" -- "$cli" classify --model "$model" --top 1001 "$images/tiny_1x1.png"
expect 2 "--crop-pct 1.5 → exit 2" -- "$cli" classify --model "$model" --crop-pct 1.5 "$images/tiny_1x1.png"
expect 2 "classify without images → exit 2" -- "$cli" classify --model "$model"
expect 2 "bench without a model → exit 2" -- "$cli" bench
expect 2 "bench --synthetic unknown → exit 2" -- "$cli" bench --synthetic resnet50
expect 0 "bench --synthetic deit_tiny --json" -- "$cli" bench --synthetic deit_tiny --warmup 0 --runs 2 --json
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["parameters"] == 5717416 and r["runs"] == 2 and r["latency_ms"]["median"] > 0 and r["peak_rss_bytes"] > 0 and r["arena_bytes"] > 0' "$work/out"; then
    echo "ok    bench --json fields"; else echo "FAIL  bench --json fields"; cat "$work/out"; failures=$((failures + 1)); fi
expect 0 "bench --model" -- "$cli" bench --model "$model" --warmup 0 --runs 2
expect 0 "preprocess writes a tensor" -- "$cli" preprocess --image-size 32 --crop-pct 0.9 --output "$work/x.f32" "$images/rgb_97x61.png"
cmp -s "$work/x.f32" "$images/rgb_97x61.png.s32_c0.9.in.f32" && echo "ok    preprocess output equals timm's tensor" \
    || { echo "FAIL  preprocess output differs from timm's"; failures=$((failures + 1)); }
expect 0 "info" -- "$cli" info --model "$model"
expect 1 "run with a wrong-size input → exit 1" -- "$cli" run --model "$model" --input "$work/x.f32" --output "$work/y.f32"

# --image-size: the 224 model run at another multiple of its patch size (pos_embed resampled at load).
resolution=Tests/Fixtures/resolution/models
expect 0 "classify --image-size 288" -- "$cli" classify --model "$model" --image-size 288 --json --top 3 "$images/photo_120x90.jpg"
contains out '"index":' "classify --image-size 288 prints predictions"
expect 1 "classify --image-size 100 (not a multiple of 16) → exit 1" -- "$cli" classify --model "$model" --image-size 100 "$images/tiny_1x1.png"
contains err "patch size 16" "the refusal names the patch size"
expect 1 "classify --image-size 4096 (above the token limit) → exit 1" -- "$cli" classify --model "$model" --image-size 4096 "$images/tiny_1x1.png"
contains err "maxTokens" "the refusal names the token limit"
expect 2 "classify --image-size 0 → exit 2" -- "$cli" classify --model "$model" --image-size 0 "$images/tiny_1x1.png"
expect 0 "info --image-size 384" -- "$cli" info --model "$model" --image-size 384
contains out "trained at 224" "info says the trained size"
contains out "tokens         577" "info gives the tokens at 384"
expect 0 "run --image-size 288 on timm's input" -- "$cli" run --model "$model" --image-size 288 --threads 2 \
    --input "$resolution/deit_tiny_d2_at288.in.f32" --output "$work/at288.f32"
ours=$(awk '{ print $1 }' "$work/out" | sort -n | tr '\n' ' ')
theirs=$(od -An -v -f "$resolution/deit_tiny_d2_at288.logits.f32" | tr -s ' ' '\n' | grep -v '^$' | nl -v0 |
    sort -k2 -g -r | head -5 | awk '{ print $1 }' | sort -n | tr '\n' ' ')
[ -n "$ours" ] && [ "$ours" = "$theirs" ] && echo "ok    run --image-size 288: top-5 equals timm's ($ours)" \
    || { echo "FAIL  run --image-size 288: top-5 '$ours', timm '$theirs'"; failures=$((failures + 1)); }
expect 0 "preprocess --model --image-size 288" -- "$cli" preprocess --model "$model" --image-size 288 --output "$work/p288.f32" "$images/photo_120x90.jpg"
[ "$(wc -c <"$work/p288.f32")" -eq $((3 * 288 * 288 * 4)) ] && echo "ok    preprocess --model --image-size 288 writes 3×288×288 floats" \
    || { echo "FAIL  preprocess --model --image-size 288 wrote $(wc -c <"$work/p288.f32") bytes"; failures=$((failures + 1)); }
expect 0 "bench --model --image-size 160" -- "$cli" bench --model "$model" --image-size 160 --warmup 0 --runs 2 --json
contains out '"image_size":160' "bench reports the run size"

# embed: the pooled features; a headless model (num_classes=0) embeds but does not classify.
headless=Tests/Fixtures/conformance/vit_headless_d1/model.safetensors
expect 0 "embed a directory, --json" -- "$cli" embed --model "$model" --json "$images"
if python3 -c 'import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; assert len(rows) == int(sys.argv[2]) and all(r["dim"] == 192 and len(r["features"]) == 192 and {"file","norm","infer_ms"} <= set(r) for r in rows)' "$work/out" "$image_count"; then
    echo "ok    embed --json: one object per image with 192 features"; else echo "FAIL  embed --json output"; failures=$((failures + 1)); fi
expect 0 "embed (human-readable)" -- "$cli" embed --model "$headless" "$images/photo_120x90.jpg"
contains out "dim 64  norm" "embed prints the dim and norm"
expect 1 "embed a truncated JPEG → exit 1" -- "$cli" embed --model "$model" "$work/truncated.jpg"
contains err "truncated.jpg" "embed error names the file"
expect 2 "embed without images → exit 2" -- "$cli" embed --model "$model"
expect 1 "classify a headless model → exit 1" -- "$cli" classify --model "$headless" "$images/photo_120x90.jpg"
contains err "use deit_session_run_features / deit-cli embed" "classify on a headless model says to use embed"
# run on a headless model writes timm's features (its forward's output).
expect 0 "run a headless model" -- "$cli" run --model "$headless" --input Tests/Fixtures/conformance/vit_headless_d1/image.in.f32 --output "$work/headless.f32"
if python3 -c 'import struct,sys; a=open(sys.argv[1],"rb").read(); b=open(sys.argv[2],"rb").read(); x=struct.unpack("<%df" % (len(a)//4), a); y=struct.unpack("<%df" % (len(b)//4), b); assert len(x) == len(y) == 64 and max(abs(p-q) for p,q in zip(x,y)) <= 2e-4 * max(1, max(map(abs,y)))' "$work/headless.f32" Tests/Fixtures/conformance/vit_headless_d1/image.logits.f32; then
    echo "ok    run on a headless model writes timm's 64 features"; else echo "FAIL  run on a headless model"; failures=$((failures + 1)); fi
# embed --json on the fixture input image equals timm's pre-logits features (same eval transform).
expect 0 "embed --json --image-size 224 on deit_tiny_d2" -- "$cli" embed --model "$model" --image-size 224 --json "$images/photo_120x90.jpg"
contains out '"dim":192' "embed --image-size reports the dim"

# The main job against timm: classify/embed on photos for every fixture model, at its own and other
# resolutions, 1 and 2 threads (rows of ../shared photos skip without it).
if python3 Tests/cli/photo_check.py "$(dirname "$cli")" > "$work/photos" 2>&1; then
    echo "ok    photo check: $(tail -1 "$work/photos")"
else
    grep -v '^ok' "$work/photos" | sed 's/^/      /' | head -20; echo "FAIL  photo check (Tests/cli/photo_check.py)"
    failures=$((failures + 1))
fi
# explain: the PNG decodes to the right size, a non-constant heat-map, and with ../shared the real
# DeiT-Ti's rollout peaks inside the ball of the committed test photo.
if python3 Tests/cli/explain_check.py "$(dirname "$cli")" > "$work/explain" 2>&1; then
    echo "ok    explain check: $(tail -1 "$work/explain")"
else
    grep -v '^ok' "$work/explain" | sed 's/^/      /' | head -20; echo "FAIL  explain check (Tests/cli/explain_check.py)"
    failures=$((failures + 1))
fi

# --help, COMMAND --help, --version: exit 0, on standard output, nothing on standard error.
# lacks FILE TEXT DESCRIPTION: the opposite of contains.
lacks() {
    if grep -q -- "$2" "$work/$1"; then
        echo "FAIL  $3: '$2' in $1:"; grep -- "$2" "$work/$1" | head -3 | cat -A | sed 's/^/      /'; failures=$((failures + 1))
    else echo "ok    $3"; fi
}
# empty FILE DESCRIPTION
empty() {
    if [ -s "$work/$1" ]; then echo "FAIL  $2: $1 not empty:"; head -3 "$work/$1" | sed 's/^/      /'; failures=$((failures + 1))
    else echo "ok    $2"; fi
}
for form in --help -h help; do
    expect 0 "deit-cli $form" -- "$cli" $form
    contains out "usage: deit-cli COMMAND" "deit-cli $form prints the usage on standard output"
    empty err "deit-cli $form writes nothing on standard error"
done
for command in classify embed explain bench info run preprocess; do
    expect 0 "$command --help" -- "$cli" $command --help
    contains out "^usage: deit-cli $command " "$command --help starts with its usage"
    contains out "^  --" "$command --help lists its options"
    empty err "$command --help writes nothing on standard error"
    # --help wins over missing or unknown options (nothing is loaded or run).
    expect 0 "$command -h with other arguments" -- "$cli" $command --bogus -h
    contains out "^usage: deit-cli $command " "$command -h prints its usage"
    expect 2 "$command --bogus → exit 2" -- "$cli" $command --bogus
    contains err "unknown option '--bogus'" "$command names the unknown option"
    contains err "usage: deit-cli $command " "$command's usage error shows its synopsis"
    empty out "$command's usage error writes nothing on standard output"
done
expect 0 "help classify" -- "$cli" help classify
contains out "^usage: deit-cli classify " "help classify prints classify's usage"
expect 2 "help frobnicate → exit 2" -- "$cli" help frobnicate
expect 2 "unknown global option → exit 2" -- "$cli" --bogus
contains err "unknown option '--bogus'" "an unknown global option is named"
# The version is the header's DEIT_VERSION_* (deit_version_string() is tested against the same macros).
header_version=$(awk '/#define DEIT_VERSION_(MAJOR|MINOR|PATCH)/ { v = v sep $3; sep = "." } END { print v }' include/deit.h)
expect 0 "--version" -- "$cli" --version
contains out "^deit-cli $header_version (libdeit $header_version, ABI " "--version prints deit.h's version ($header_version)"
empty err "--version writes nothing on standard error"

# Progress: nothing on a standard error that is not a terminal; on a terminal, done/total, images/s
# and ETA redrawn in place, while standard output (--json) stays as it is without a terminal.
expect 0 "classify a directory, stderr to a file" -- "$cli" classify --model "$model" --top 2 "$images"
empty err "classify many images: nothing on a non-terminal standard error"
expect 0 "classify --json a directory, stderr to a file" -- "$cli" classify --model "$model" --json --top 2 "$images"
cp "$work/out" "$work/json.pipe"
lacks err $'\r' "classify --json: no carriage return on a non-terminal standard error"
lacks err $'\e' "classify --json: no escape sequence on a non-terminal standard error"
lacks err "ETA" "classify --json: no progress on a non-terminal standard error"
expect 0 "embed a directory, stderr to a file" -- "$cli" embed --model "$model" "$images"
empty err "embed many images: nothing on a non-terminal standard error"
# util-linux `script` gives the command a pseudo-terminal; without it the terminal case is skipped.
if script -qec true /dev/null </dev/null >/dev/null 2>&1; then
    # Only standard error reaches the terminal: standard output goes to a file.
    expect 0 "classify --json a directory, stderr on a terminal" -- \
        script -qec "'$cli' classify --model '$model' --json --top 2 '$images' >'$work/json.tty'" /dev/null </dev/null
    contains out "$((image_count - 1))/$image_count" "progress shows done/total"
    contains out "images/s  ETA [0-9]*:[0-9][0-9]" "progress shows images/s and the ETA"
    contains out $'\r\e\\[K\\[' "progress is redrawn in place (carriage return, erase line)"
    strip='import json,sys; [print(json.dumps({k: v for k, v in json.loads(l).items() if not k.endswith("_ms")})) for l in open(sys.argv[1])]'
    if [ "$(python3 -c "$strip" "$work/json.tty")" = "$(python3 -c "$strip" "$work/json.pipe")" ] && [ -s "$work/json.tty" ]; then
        echo "ok    --json output with progress on a terminal equals the output without (timings aside)"
    else echo "FAIL  --json output differs when standard error is a terminal"; failures=$((failures + 1)); fi
    expect 0 "embed two images, stderr on a terminal" -- \
        script -qec "'$cli' embed --model '$model' '$images/tiny_1x1.png' '$images/rgb_97x61.png' >/dev/null" /dev/null </dev/null
    contains out "1/2  .* images/s" "embed shows progress too"
    expect 0 "classify one image, stderr on a terminal" -- \
        script -qec "'$cli' classify --model '$model' '$images/tiny_1x1.png' >/dev/null" /dev/null </dev/null
    empty out "one image: no progress line"
    expect 0 "classify on a 30-column terminal" -- \
        script -qec "stty cols 30; '$cli' classify --model '$model' --json '$images' >/dev/null" /dev/null </dev/null
    if python3 -c 'import sys; s=open(sys.argv[1], "rb").read().split(b"\n")[0]; parts=[p for p in s.split(b"\r\x1b[K") if p]; assert len(parts) >= 9 and max(map(len, parts[:-1])) < 30, parts' "$work/out"; then
        echo "ok    the progress line is cut to the terminal's width (no wrapping)"
    else echo "FAIL  progress line wider than a 30-column terminal"; failures=$((failures + 1)); fi
    expect 0 "TERM=dumb: no progress" -- \
        script -qec "TERM=dumb '$cli' classify --model '$model' --json '$images' >/dev/null" /dev/null </dev/null
    lacks out "ETA" "TERM=dumb: no progress line"
else
    echo "skip  progress on a terminal: util-linux 'script' is not available"
fi

# quantize: an int8 model file (StoredInt8.swift) that loads at int8 and runs as --precision int8 does.
expect 2 "quantize without arguments → exit 2" -- "$cli" quantize
expect 2 "quantize with one argument → exit 2" -- "$cli" quantize "$model"
expect 2 "quantize with three arguments → exit 2" -- "$cli" quantize "$model" "$work/a" "$work/b"
expect 2 "quantize with an option → exit 2" -- "$cli" quantize --model "$model" "$work/int8.safetensors"
expect 1 "quantize a missing file → exit 1" -- "$cli" quantize "$work/none.safetensors" "$work/int8.safetensors"
contains err "none.safetensors" "error names the input"
expect 1 "quantize a malformed file → exit 1" -- "$cli" quantize Tests/Fixtures/malformed/nan_weight.safetensors "$work/int8.safetensors"
contains err "DEIT_ERR_FORMAT" "the load's status"
expect 0 "quantize the fixture" -- "$cli" quantize "$model" "$work/int8.safetensors"
if [ -s "$work/int8.safetensors" ] && [ "$(wc -c <"$work/int8.safetensors")" -lt "$(wc -c <"$model")" ]; then
    echo "ok    the int8 file is smaller"; else echo "FAIL  int8 file missing or not smaller"; failures=$((failures + 1)); fi
expect 1 "quantize an int8 file → exit 1" -- "$cli" quantize "$work/int8.safetensors" "$work/again.safetensors"
contains err "int8 file already" "says the file is int8 already"
expect 0 "info on the int8 file" -- "$cli" info --model "$work/int8.safetensors"
contains out "precision      int8 (from the file" "info: int8, from the file"
expect 0 "info on the float file" -- "$cli" info --model "$model"
contains out "precision      f32 (default)" "info: f32 by default"
expect 0 "info --precision int8 on the float file" -- "$cli" info --model "$model" --precision int8
contains out "precision      int8 (from --precision, quantised at load" "info: int8 from the option"
expect 1 "--precision f32 on the int8 file → exit 1" -- "$cli" info --model "$work/int8.safetensors" --precision f32
contains err "DEIT_ERR_UNSUPPORTED.*int8" "refused as unsupported"
expect 0 "bench --json on the int8 file" -- "$cli" bench --model "$work/int8.safetensors" --runs 1 --warmup 0 --json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["precision"] == "int8" and d["precision_source"] == "file" and d["load_ms"] >= 0' "$work/out"; then
    echo "ok    bench --json: precision int8 from the file"; else echo "FAIL  bench --json precision fields"; failures=$((failures + 1)); fi
input=Tests/Fixtures/conformance/deit_tiny_d2/image.in.f32
expect 0 "run the int8 file" -- "$cli" run --model "$work/int8.safetensors" --input "$input" --output "$work/stored.f32"
expect 0 "run the float file at int8" -- "$cli" run --model "$model" --precision int8 --input "$input" --output "$work/loadtime.f32"
if cmp -s "$work/stored.f32" "$work/loadtime.f32"; then echo "ok    int8 file logits = --precision int8 logits, bit for bit"
else echo "FAIL  int8 file logits differ from --precision int8"; failures=$((failures + 1)); fi
# The same int8 file under the portable set (its int8 panels are the same in every set): the same logits.
DEIT_KERNEL_SET=portable "$cli" run --model "$work/int8.safetensors" --input "$input" --output "$work/stored-portable.f32" >/dev/null 2>&1
DEIT_KERNEL_SET=portable "$cli" run --model "$model" --precision int8 --input "$input" --output "$work/loadtime-portable.f32" >/dev/null 2>&1
if [ -s "$work/stored-portable.f32" ] && cmp -s "$work/stored-portable.f32" "$work/loadtime-portable.f32"; then
    echo "ok    DEIT_KERNEL_SET=portable: int8 file logits = --precision int8 logits, bit for bit"
else echo "FAIL  DEIT_KERNEL_SET=portable: int8 file logits differ from --precision int8 (or missing)"; failures=$((failures + 1)); fi

# bench-gemm: the GEMMs of the set a session would choose, named on the first line.
expect 0 "bench-gemm one shape" -- "$cli" bench-gemm --m 7 --n 20 --k 40 --runs 2 --warmup 0
contains out "^kernels  [a-z0-9-]*: f32 f32_gemm_.*, int8 qd8_f32_qc7w_gemm_" "bench-gemm names the set and both kernels"
contains out "custom 7×40→20" "bench-gemm prints the shape"
expect 0 "bench-gemm, DEIT_KERNEL_SET=portable" -- env DEIT_KERNEL_SET=portable "$cli" bench-gemm --m 3 --n 17 --k 33 --runs 1 --warmup 0
contains out "^kernels  portable: f32 f32_gemm_2x16__portable, int8 qd8_f32_qc7w_gemm_2x16c4__portable" "bench-gemm runs the forced set"
expect 2 "bench-gemm with --m alone → exit 2" -- "$cli" bench-gemm --m 3
expect 1 "bench-gemm, DEIT_KERNEL_SET=avx1024 → exit 1" -- env DEIT_KERNEL_SET=avx1024 "$cli" bench-gemm --m 3 --n 3 --k 3
contains err "avx1024" "the error names the set"

if [ "$failures" -gt 0 ]; then echo "cli tests: $failures FAILED"; exit 1; fi
echo "cli tests: all passed"
