#!/usr/bin/env python3
"""The main job end to end against timm: `deit-cli classify` (and `embed` for headless models) on
photos, for every fixture model in Tests/Fixtures/photo-check/expected.tsv (written by
scripts/python/gen_photo_check.py), at the checkpoint's resolution and at others (`--image-size`),
at 1 and 2 threads.

Per case it first checks that `deit-cli info` resolves the preprocessing timm was run with
(crop_pct, interpolation, crop mode, mean, std). Then per photo:
  classify  top-1 equal to timm's. For PNG photos the decoded pixels and the transform are
            bit-identical to timm's (README, Images), so the top-5 indices must be equal too and
            each top-5 logit within 2e-4 · max(1, |logit|max). JPEGs are decoded by stb_image, timm's
            by libjpeg (a few 8-bit levels apart), so only the top-1 is compared and the largest
            logit difference is printed.
  embed     the features within 2e-4 · max(1, |feature|max) for PNG photos, cosine ≥ 0.999 for JPEGs.
Rows of ../shared photos skip with a message when the shared data is absent.

    Tests/cli/photo_check.py BIN_DIR [SHARED_DIR]
"""
import json
import math
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXPECTED = os.path.join(ROOT, "Tests", "Fixtures", "photo-check", "expected.tsv")
TOLERANCE = 2e-4
JPEG_COSINE = 0.999
THREADS = (1, 2)


def floats(text):
    return [float(v) for v in text.split(",")]


def photo_path(photo, shared):
    source, name = photo.split(":", 1)
    if source == "fixtures":
        return os.path.join(ROOT, "Tests", "Fixtures", "images", name)
    return os.path.join(shared, "data", "imagenet-sample", name)


def run(command):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: exit {result.returncode}: {result.stderr.strip()[:300]}")
    return result.stdout


def info_preprocessing(cli, model, size):
    """The preprocessing block of `deit-cli info`: {'crop pct': '0.9', 'mean': '0.485, ...', ...}."""
    values = {}
    for line in run([cli, "info", "--model", model, "--image-size", size]).splitlines():
        for key in ("interpolation", "crop pct", "crop mode", "mean", "std"):
            if line.strip().startswith(key + " ") and key not in values:
                values[key] = line.strip()[len(key):].split("(")[0].strip()
    return values


def check_preprocessing(cli, row):
    """Problems (empty when deit resolves the preprocessing timm used for this row)."""
    got = info_preprocessing(cli, row["model"], row["image_size"])
    problems = []
    if not math.isclose(float(got.get("crop pct", "nan")), float(row["crop_pct"]), abs_tol=1e-6):
        problems.append(f"crop pct {got.get('crop pct')} vs timm {row['crop_pct']}")
    for key, column in (("interpolation", "interpolation"), ("crop mode", "crop_mode")):
        if got.get(key) != row[column]:
            problems.append(f"{key} {got.get(key)} vs timm {row[column]}")
    for key in ("mean", "std"):
        ours = [float(v) for v in got.get(key, "nan").split(",")]
        if len(ours) != 3 or any(not math.isclose(a, b, rel_tol=1e-6) for a, b in zip(ours, floats(row[key]))):
            problems.append(f"{key} {got.get(key)} vs timm {row[key]}")
    return problems


def compare(row, result):
    """(ok, detail) for one photo's deit-cli JSON object against timm's row."""
    exact = row["photo"].endswith(".png")
    if row["kind"] == "embed":
        ours, theirs = result["features"], floats(row["expected"])
        if len(ours) != len(theirs):
            return False, f"{len(ours)} features, timm {len(theirs)}"
        scale = max(1.0, max(abs(v) for v in theirs))
        worst = max(abs(a - b) for a, b in zip(ours, theirs))
        cosine = sum(a * b for a, b in zip(ours, theirs)) / math.sqrt(sum(a * a for a in ours) * sum(b * b for b in theirs))
        ok = worst <= TOLERANCE * scale if exact else cosine >= JPEG_COSINE
        return ok, f"max |Δ| {worst:.2e}, cosine {cosine:.6f}"
    top = [entry["index"] for entry in result["top"]]
    theirs = [int(v) for v in row["expected"].split(",")]
    their_logits = floats(row["logits"])
    ours_by_index = {entry["index"]: entry["logit"] for entry in result["top"]}
    shared = [i for i in theirs if i in ours_by_index]
    worst = max(abs(ours_by_index[i] - their_logits[theirs.index(i)]) for i in shared) if shared else math.inf
    detail = f"top-1 {top[0]} (timm {theirs[0]}, gap {float(row['gap']):.3f}), top-5 logits max |Δ| {worst:.2e}"
    if top[0] != theirs[0]:
        return False, detail
    if exact:
        scale = max(1.0, max(abs(v) for v in their_logits))
        if top != theirs[:len(top)] or worst > TOLERANCE * scale:
            return False, detail + f", top-5 {top} vs timm {theirs}"
    return True, detail


def main():
    if len(sys.argv) < 2:
        print("usage: Tests/cli/photo_check.py BIN_DIR [SHARED_DIR]", file=sys.stderr)
        return 2
    cli = os.path.abspath(os.path.join(sys.argv[1], "deit-cli"))
    shared = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("DEIT_SHARED", os.path.join(ROOT, "..", "shared"))
    with open(EXPECTED) as handle:
        header, *lines = [line.rstrip("\n").split("\t") for line in handle]
    rows = [dict(zip(header, line)) for line in lines]
    cases = {}
    for row in rows:
        cases.setdefault(row["case"], []).append(row)
    have_shared = os.path.isdir(os.path.join(shared, "data", "imagenet-sample"))
    if not have_shared:
        print(f"skip  the ../shared photo rows: no {shared}/data/imagenet-sample (set DEIT_SHARED)")
    failures = checked = 0
    for case, case_rows in cases.items():
        case_rows = [r for r in case_rows if have_shared or r["photo"].startswith("fixtures:")]
        first = case_rows[0]
        problems = check_preprocessing(cli, first)
        if problems:
            print(f"FAIL  {case}: deit's preprocessing differs from timm's: {'; '.join(problems)}")
            failures += 1
            continue
        command = "embed" if first["kind"] == "embed" else "classify"
        for threads in THREADS:
            args = [cli, command, "--model", first["model"], "--image-size", first["image_size"], "--json",
                    "--threads", str(threads)] + (["--top", "5"] if command == "classify" else [])
            try:
                output = run(args + [photo_path(r["photo"], shared) for r in case_rows])
            except RuntimeError as error:
                print(f"FAIL  {case} threads={threads}: {error}")
                failures += 1
                continue
            results = [json.loads(line) for line in output.splitlines() if line.strip()]
            if len(results) != len(case_rows):
                print(f"FAIL  {case} threads={threads}: {len(results)} results for {len(case_rows)} photos")
                failures += 1
                continue
            for row, result in zip(case_rows, results):
                ok, detail = compare(row, result)
                checked += 1
                failures += 0 if ok else 1
                print(f"{'ok  ' if ok else 'FAIL'}  {case} @{row['image_size']} {command} threads={threads} "
                      f"{row['photo']}: {detail}")
    print(f"{checked} photo runs over {len(cases)} cases, {failures} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
