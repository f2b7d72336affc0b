"""Writes Tests/Fixtures/images: small synthetic images in every pixel layout the decoder must
handle, and timm's own eval-transform output for each, so the Swift tests check decoding and
preprocessing bit for bit without ../shared.

    scripts/setup-python.sh && PYTHONPATH=scripts/python .venv/bin/python scripts/python/gen_image_fixtures.py

Per image: `<name>` (PNG or JPEG) and `<name>.s<S>_c<crop>.in.f32` = timm's
transforms_imagenet_eval(img_size=S, crop_pct=crop, interpolation="bicubic") applied to
PIL's Image.open(file).convert("RGB"), float32 little-endian CHW. For JPEGs also `<name>.pil.rgb`:
PIL's decoded pixels (H·W·3 bytes), to measure stb_image against libjpeg. manifest.tsv lists all.
"""
import io
import pathlib

import torchvision_stubs  # noqa: F401  (must precede timm)

import numpy as np
from PIL import Image
from timm.data.transforms_factory import transforms_imagenet_eval

REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "Fixtures" / "images"
RNG = np.random.default_rng(20240604)


def texture(width: int, height: int, channels: int) -> np.ndarray:
    """Smooth gradients plus noise and a few hard edges: every resize tap matters."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    planes = []
    for c in range(channels):
        phase = 1.7 * c
        smooth = 127 + 100 * np.sin(x / (3 + 2 * c) + phase) * np.cos(y / (4 + c) - phase)
        edges = np.where((x // 7 + y // 5 + c) % 3 == 0, 60.0, -40.0)
        noise = RNG.normal(0, 25, size=(height, width))
        planes.append(smooth + edges + noise)
    return np.clip(np.stack(planes, axis=-1), 0, 255).round().astype(np.uint8)


def make_images() -> dict:
    images = {}
    images["rgb_97x61.png"] = Image.fromarray(texture(97, 61, 3), "RGB")
    images["gray_50x80.png"] = Image.fromarray(texture(50, 80, 1)[..., 0], "L")
    images["gray_alpha_64x64.png"] = Image.fromarray(texture(64, 64, 2), "LA")
    images["rgba_45x30.png"] = Image.fromarray(texture(45, 30, 4), "RGBA")
    images["palette_40x40.png"] = Image.fromarray(texture(40, 40, 3), "RGB").quantize(colors=64)
    images["tiny_1x1.png"] = Image.fromarray(np.array([[[200, 30, 90]]], dtype=np.uint8), "RGB")
    images["wide_1000x3.png"] = Image.fromarray(texture(1000, 3, 3), "RGB")
    images["small_20x13.png"] = Image.fromarray(texture(20, 13, 3), "RGB")
    images["photo_120x90.jpg"] = Image.fromarray(texture(120, 90, 3), "RGB")
    images["gray_77x51.jpg"] = Image.fromarray(texture(77, 51, 1)[..., 0], "L")
    return images


# (image size, crop_pct) pairs every image is transformed with; the first is timm's DeiT default.
SETTINGS = [(32, 0.9), (32, 0.875), (24, 1.0)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = ["# file\timage_size\tcrop_pct\texpected (float32 CHW)\tpil_rgb"]
    for name, image in make_images().items():
        path = OUT / name
        if name.endswith(".jpg"):
            image.save(path, quality=90)  # libjpeg default: 4:2:0 subsampling for RGB
        else:
            image.save(path, optimize=False)
        decoded = Image.open(path).convert("RGB")  # exactly what timm's dataset loader does
        pil_rgb = ""
        if name.endswith(".jpg"):
            pil_rgb = f"{name}.pil.rgb"
            (OUT / pil_rgb).write_bytes(np.asarray(decoded, dtype=np.uint8).tobytes())
        for size, crop in SETTINGS:
            transform = transforms_imagenet_eval(img_size=size, crop_pct=crop, interpolation="bicubic")
            tensor = transform(decoded).numpy().astype("<f4")
            assert tensor.shape == (3, size, size), tensor.shape
            expected = f"{name}.s{size}_c{crop}.in.f32"
            (OUT / expected).write_bytes(tensor.tobytes())
            manifest.append(f"{name}\t{size}\t{crop}\t{expected}\t{pil_rgb}")
    (OUT / "manifest.tsv").write_text("\n".join(manifest) + "\n")
    print(f"wrote {len(manifest) - 1} expectations to {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
