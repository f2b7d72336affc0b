#!/usr/bin/env python3
"""`deit-cli explain` writes a PNG that decodes to what it should (Python's zlib only: no Pillow).

Always (committed fixture model, random weights): the rollout PNG is S×S, the --per-head grid holds
one S×S tile per head, and the heat-map is not constant.
With ../shared (real DeiT-Ti): on the committed test photo Tests/Fixtures/images/explain_ball_320x240.png
the heat-map's peak lies inside the ball's box (explain_ball_320x240.box, mapped through the centre
crop). The heat values are read back from `--alpha 1` PNGs (the heat-map alone) by inverting the jet
colour map.

    Tests/cli/explain_check.py BIN_DIR [SHARED_DIR]
"""
import math
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IMAGES = os.path.join(ROOT, "Tests", "Fixtures", "images")
PHOTO = os.path.join(IMAGES, "explain_ball_320x240.png")
failures = 0


def report(ok, what):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'}  explain: {what}")
    failures += 0 if ok else 1


def decode_png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB, non-interlaced PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, width = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour, interlace) == (8, 2, 0), "expected 8-bit RGB, not interlaced"
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * 3, [], bytearray(width * 3)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - 3] if i >= 3 else 0
            up, corner = previous[i], previous[i - 3] if i >= 3 else 0
            if kind == 1: line[i] = (line[i] + left) & 255
            elif kind == 2: line[i] = (line[i] + up) & 255
            elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    return width, height, rows


def run(*args):
    result = subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}: {result.stderr.strip()[:300]}")
    return result.stdout


def jet(v):
    ramp = lambda x: round(max(0.0, min(1.0, x)) * 255)
    return ramp(1.5 - abs(4 * v - 3)), ramp(1.5 - abs(4 * v - 2)), ramp(1.5 - abs(4 * v - 1))


JET = [(i / 255, jet(i / 255)) for i in range(256)]


def heat_values(png_rows, size):
    """The heat value (0..1) of each pixel of an --alpha 1 PNG: the nearest colour of the jet map."""
    cache = {}
    def value(colour):
        if colour not in cache:
            cache[colour] = min(JET, key=lambda entry: sum((a - b) ** 2 for a, b in zip(entry[1], colour)))[0]
        return cache[colour]
    return [[value(tuple(row[x * 3:x * 3 + 3])) for x in range(size)] for row in png_rows[:size]]


def crop_box(size, crop_pct=0.9):
    """The ball's box in centre-crop coordinates (timm's eval transform: resize shorter side, crop)."""
    x0, y0, x1, y1 = (int(v) for v in open(os.path.join(IMAGES, "explain_ball_320x240.box")).read().split())
    short = math.floor(size / crop_pct)
    scale = short / 240
    width = int(320 * scale)
    left, top = round((width - size) / 2), round((short - size) / 2)
    return x0 * scale - left, y0 * scale - top, x1 * scale - left, y1 * scale - top


def main():
    if len(sys.argv) < 2:
        print("usage: Tests/cli/explain_check.py BIN_DIR [SHARED_DIR]", file=sys.stderr)
        return 2
    cli = os.path.abspath(os.path.join(sys.argv[1], "deit-cli"))
    shared = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("DEIT_SHARED", os.path.join(ROOT, "..", "shared"))
    with tempfile.TemporaryDirectory() as work:
        fixture = "Tests/Fixtures/conformance/vit_ragged/model.safetensors"   # 112 px, 4 heads
        out = os.path.join(work, "rollout.png")
        stdout = run(cli, "explain", "--model", fixture, "--output", out, PHOTO)
        width, height, rows = decode_png(out)
        report((width, height) == (112, 112), f"rollout PNG of a 112-pixel model is 112×112 (got {width}×{height})")
        report("1." in stdout and out in stdout, "prints the top-5 and the output path")
        flat = os.path.join(work, "heat.png")
        run(cli, "explain", "--model", fixture, "--alpha", "1", "--output", flat, PHOTO)
        values = [v for row in heat_values(decode_png(flat)[2], 112) for v in row]
        report(max(values) - min(values) > 0.5, f"the heat-map is not constant (values {min(values):.2f}..{max(values):.2f})")
        grid = os.path.join(work, "heads.png")
        run(cli, "explain", "--model", fixture, "--per-head", "--threads", "2", "--output", grid, PHOTO)
        width, height, _ = decode_png(grid)
        report((width, height) == (224, 224), f"--per-head: 4 heads in a 2×2 grid of 112-pixel tiles (got {width}×{height})")
        result = subprocess.run([cli, "explain", "--model", fixture, PHOTO], cwd=ROOT, capture_output=True, text=True)
        report(result.returncode == 2 and "output" in result.stderr, "explain without --output is a usage error (exit 2)")

        model = os.path.join(shared, "models", "deit-tiny-in1k.safetensors")
        if not os.path.exists(model):
            print(f"skip  explain on the real DeiT-Ti: no {model} (set DEIT_SHARED)")
        else:
            out = os.path.join(work, "ball.png")
            run(cli, "explain", "--model", model, "--alpha", "1", "--output", out, PHOTO)
            width, height, rows = decode_png(out)
            size = width
            scores = heat_values(rows, size)
            # The peak of a 9×9 box average (a single pixel of the blend is noisy).
            best, peak = None, None
            for y in range(4, size - 4, 2):
                for x in range(4, size - 4, 2):
                    total = sum(scores[y + dy][x + dx] for dy in range(-4, 5) for dx in range(-4, 5))
                    if best is None or total > best:
                        best, peak = total, (x, y)
            x0, y0, x1, y1 = crop_box(size)
            inside = x0 <= peak[0] <= x1 and y0 <= peak[1] <= y1
            report((width, height) == (224, 224) and inside,
                   f"real DeiT-Ti: rollout peak at {peak} inside the ball's box ({x0:.0f}, {y0:.0f})–({x1:.0f}, {y1:.0f})")
    print(f"explain checks: {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
