#!/usr/bin/env python3
"""Writes the generated seeds of the fuzz corpora (Tests/fuzz/corpus/<target>/gen_*), all tiny.

- model_load: valid DeiT/ViT checkpoints at the edges of the schema (1 class, 1×1 grid, head dim
  1, 1000 classes so labels answer, distilled BF16, ...), built with gen_malformed_safetensors.py.
  The malformed corpus itself (Tests/Fixtures/malformed) is a second seed directory, not copied.
- image: PNGs of every colour type and bit depth stb_image decodes (gray 1/2/4/8/16, RGB 8/16,
  palette 1/2/4/8 with tRNS, gray+alpha, RGBA 8/16), Adam7 interlacing, all five row filters,
  split IDAT chunks, Apple's CgBI variant, and a few broken headers; plus JPEGs (baseline 4:4:4,
  4:2:2, 4:2:0, gray, progressive, optimised Huffman tables, restart markers, CMYK) when Pillow is
  importable (scripts/setup-python.sh; PNGs need only the standard library).
- classify: a few of the image seeds (the classify fuzzer also reads corpus/image).

Deterministic: rerunning it leaves `git status` clean (JPEGs given the same Pillow/libjpeg).
Files the fuzzers found (reproducers, named after their finding) live beside them and are kept.

Usage: .venv/bin/python scripts/python/gen_fuzz_seeds.py   (or python3 without Pillow: no JPEGs)
"""
import io
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "Tests" / "fuzz" / "corpus"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_malformed_safetensors as st  # noqa: E402  (after the path change)


def write(target, name, data):
    path = CORPUS / target / f"gen_{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# ---------------------------------------------------------------- safetensors

def model_seeds():
    def checkpoint(heads, **spec):
        full = dict(st.BASE)
        full.update(spec)
        return st.file_from(st.model(**full), metadata=[("format", "pt"), ("num_heads", str(heads))])

    return {
        "one_class_1x1_grid.safetensors": checkpoint(2, patch=1, grid=1, depth=1, hidden=8, classes=1),
        "head_dim_1.safetensors": checkpoint(8, depth=1),
        "classes_1000_f16.safetensors": checkpoint(2, depth=1, classes=1000, dtype="F16"),
        "distilled_bf16_grid3.safetensors": checkpoint(2, grid=3, depth=1, classes=5, distilled=True, dtype="BF16"),
        "hidden_1_patch3_grid5.safetensors": checkpoint(1, patch=3, grid=5, depth=1, hidden=1),
        "header_only_empty_object.safetensors": st.assemble("{}", b""),
        "metadata_only.safetensors": st.assemble('{"__metadata__":{"num_heads":"2"}}', b""),
        # Int8 files (deit-cli quantize): I8 block weights + F32 scales, one group and several (k 40,
        # hidden 72: a partial group), LayerScale folded, the other tensors F16.
        "int8_tiny.safetensors": int8_checkpoint(2, depth=1),
        "int8_groups_k40_h72.safetensors": int8_checkpoint(2, d=40, depth=1, hidden=72, classes=2),
        "int8_layer_scale_f16.safetensors": int8_checkpoint(2, depth=2, dtype="F16", layer_scale=True),
        # deit-cli quantize's format since 2026-12-02: F16 scales, I8 heads.
        "int8_f16_scales_heads.safetensors": int8_checkpoint(2, depth=1, current=True),
        "int8_f16_scales_distilled.safetensors": int8_checkpoint(2, depth=1, distilled=True, current=True),
    }


def int8_checkpoint(heads, layer_scale=False, current=False, **spec):
    """A tiny int8 file (StoredInt8.swift), quantised by the corpus generator."""
    full = dict(st.BASE)
    full.update(spec)
    tensors = st.model(**full)
    metadata = [("format", "pt"), ("num_heads", str(heads)), ("deit.precision", "int8"), ("deit.int8.group_size", "32")]
    if layer_scale:
        tensors = sorted(tensors + [st.Tensor(f"blocks.{i}.ls{j}.gamma", [full["d"]]) for i in range(full["depth"])
                                    for j in (1, 2)], key=lambda t: t.name)
        metadata.append(("deit.int8.layer_scale", "folded"))
    return st.file_from(st.quantize(tensors, current=current), metadata=metadata)


# ---------------------------------------------------------------- PNG (standard library only)

def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def pixel_bytes(width, height, channels, depth, seed):
    """Rows of samples (no filter byte), packed as the PNG bit depth requires."""
    rows = []
    for y in range(height):
        samples = [(x * 37 + y * 61 + c * 97 + seed * 13) % (1 << depth) for x in range(width) for c in range(channels)]
        if depth == 16:
            rows.append(b"".join(struct.pack(">H", s) for s in samples))
        elif depth == 8:
            rows.append(bytes(samples))
        else:  # 1, 2, 4 bits: big-endian within each byte, rows padded to a byte
            bits = "".join(format(s, f"0{depth}b") for s in samples)
            bits += "0" * (-len(bits) % 8)
            rows.append(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)))
    return rows


def filtered(rows, bytes_per_pixel, filters):
    """Applies PNG row filters (filters[y % len]) so the decoder must undo each of them."""
    out, previous = b"", bytes(len(rows[0]) if rows else 0)
    for y, row in enumerate(rows):
        kind = filters[y % len(filters)]
        line = bytearray()
        for i, value in enumerate(row):
            a = row[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
            b = previous[i]
            c = previous[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = a
            elif kind == 2:
                predictor = b
            elif kind == 3:
                predictor = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line.append((value - predictor) & 0xFF)
        out += bytes([kind]) + bytes(line)
        previous = row
    return out


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type → samples per pixel
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(width, height, color_type, depth, *, interlace=False, filters=(0,), palette=None, trns=None,
        idat_parts=1, seed=0, cgbi=False, cgbi_trailer=True):
    channels = CHANNELS[color_type]
    bytes_per_pixel = max(1, channels * depth // 8)
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
            if w > 0 and h > 0:
                raw += filtered(pixel_bytes(w, h, channels, depth, seed + x0 + 8 * y0), bytes_per_pixel, filters)
    else:
        raw = filtered(pixel_bytes(width, height, channels, depth, seed), bytes_per_pixel, filters)
    compressed = zlib.compress(raw, 9)
    if cgbi:  # Apple's variant: raw deflate without the zlib header (and, optionally, the Adler-32)
        compressed = compressed[2:] if cgbi_trailer else compressed[2:-4]
    out = b"\x89PNG\r\n\x1a\n"
    if cgbi:
        out += chunk(b"CgBI", b"\x50\x00\x20\x06")
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    step = -(-len(compressed) // idat_parts)
    for i in range(idat_parts):
        out += chunk(b"IDAT", compressed[i * step:(i + 1) * step])
    return out + chunk(b"IEND", b"")


def image_seeds():
    palette16 = [(i * 53 + c * 91) % 256 for i in range(16) for c in range(3)]
    seeds = {}
    for depth in (1, 2, 4, 8, 16):
        seeds[f"gray{depth}_7x5.png"] = png(7, 5, 0, depth, filters=(0, 1, 2, 3, 4))
    seeds["rgb8_9x6_filters.png"] = png(9, 6, 2, 8, filters=(0, 1, 2, 3, 4))
    seeds["rgb16_5x4.png"] = png(5, 4, 2, 16, filters=(4, 3))
    seeds["gray_alpha8_6x3.png"] = png(6, 3, 4, 8, filters=(1,))
    seeds["gray_alpha16_3x3.png"] = png(3, 3, 4, 16)
    seeds["rgba8_4x7.png"] = png(4, 7, 6, 8, filters=(2, 4))
    seeds["rgba16_3x2.png"] = png(3, 2, 6, 16)
    for depth in (1, 2, 4, 8):
        entries = min(16, 1 << depth)
        seeds[f"palette{depth}_9x4_trns.png"] = png(9, 4, 3, depth, palette=palette16[:3 * entries],
                                                    trns=[255, 0, 128][:entries])
    seeds["rgb8_trns_5x5.png"] = png(5, 5, 2, 8, trns=[0, 37, 0, 61, 0, 97])
    seeds["adam7_rgb8_11x9.png"] = png(11, 9, 2, 8, interlace=True, filters=(0, 1, 2, 3, 4))
    seeds["adam7_palette4_10x3.png"] = png(10, 3, 3, 4, interlace=True, palette=palette16)
    seeds["adam7_gray16_2x2.png"] = png(2, 2, 0, 16, interlace=True)
    seeds["split_idat_rgb8_12x8.png"] = png(12, 8, 2, 8, idat_parts=4)
    seeds["cgbi_rgba8_4x4.png"] = png(4, 4, 6, 8, cgbi=True)
    seeds["cgbi_no_adler_rgba8_4x4.png"] = png(4, 4, 6, 8, cgbi=True, cgbi_trailer=False)  # stb: "bad huffman code"
    seeds["one_pixel_gray1.png"] = png(1, 1, 0, 1)
    seeds["tall_1x40_rgb8.png"] = png(1, 40, 2, 8, filters=(2,))
    # Broken: header fields stb must reject, and data that does not match the header.
    valid = png(3, 2, 2, 8)
    ihdr_at = 8 + 8  # signature, then IHDR's length and type
    seeds["bad_zero_width.png"] = valid[:ihdr_at] + b"\0\0\0\0" + valid[ihdr_at + 4:]
    seeds["bad_depth_3.png"] = valid[:ihdr_at + 8] + b"\x03" + valid[ihdr_at + 9:]
    seeds["bad_width_above_limit.png"] = png(5000, 1, 0, 1)   # header 5000×1, data for it (tiny)
    seeds["bad_short_idat.png"] = png(6, 6, 2, 8)[:-40] + chunk(b"IEND", b"")
    seeds["bad_palette_missing.png"] = png(4, 4, 3, 8)
    return seeds


# ---------------------------------------------------------------- JPEG (Pillow, when available)

def jpeg_seeds():
    try:
        from PIL import Image
    except ImportError:
        print("gen_fuzz_seeds: Pillow not importable: JPEG seeds not regenerated", file=sys.stderr)
        return {}

    def picture(mode, width, height):
        image = Image.new("RGB", (width, height))
        image.putdata([((x * 29 + y * 7) % 256, (x * 3 + y * 41) % 256, (x * y * 5) % 256)
                       for y in range(height) for x in range(width)])
        return image.convert(mode)

    def encode(image, **options):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", **options)
        return buffer.getvalue()

    return {
        "baseline_444_9x7.jpg": encode(picture("RGB", 9, 7), quality=90, subsampling=0),
        "baseline_422_17x8.jpg": encode(picture("RGB", 17, 8), quality=75, subsampling=1),
        "baseline_420_19x13.jpg": encode(picture("RGB", 19, 13), quality=50, subsampling=2),
        "gray_11x5.jpg": encode(picture("L", 11, 5), quality=80),
        "progressive_420_16x16.jpg": encode(picture("RGB", 16, 16), quality=70, progressive=True),
        "progressive_gray_9x9.jpg": encode(picture("L", 9, 9), quality=70, progressive=True),
        "optimized_huffman_12x12.jpg": encode(picture("RGB", 12, 12), quality=60, optimize=True),
        "restart_markers_32x16.jpg": encode(picture("RGB", 32, 16), quality=60, restart_marker_blocks=1),
        "cmyk_8x8.jpg": encode(picture("CMYK", 8, 8), quality=80),
        "quality_1_8x8.jpg": encode(picture("RGB", 8, 8), quality=1),
        "one_pixel.jpg": encode(picture("RGB", 1, 1), quality=95),
    }


def main():
    for name, data in model_seeds().items():
        write("model_load", name, data)
    images = {**image_seeds(), **jpeg_seeds()}
    for name, data in images.items():
        write("image", name, data)
    for name in ("rgb8_9x6_filters.png", "palette4_9x4_trns.png", "adam7_rgb8_11x9.png",
                 "baseline_420_19x13.jpg", "progressive_420_16x16.jpg", "gray_11x5.jpg"):
        if name in images:
            write("classify", name, images[name])
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"gen_fuzz_seeds: wrote seeds; corpus total {total} bytes")


if __name__ == "__main__":
    main()
