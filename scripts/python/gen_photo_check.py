#!/usr/bin/env python3
"""Generate Tests/Fixtures/photo-check/expected.tsv: timm's answers on photos, end to end, for every
committed fixture model, so `Tests/cli/photo_check.sh` can check that `deit-cli classify` (file →
decoder → the model's eval transform → model) gives timm's top-1 — at the checkpoint's resolution
and at others (`--image-size`), at 1 and 2 threads.

Models: every conformance fixture (`gen_fixtures.SPECS`, rebuilt with timm and loaded from the
committed model.safetensors, widened to float32), each resolution case (`gen_resolution_fixtures.
MODEL_CASES`, pos_embed resampled by timm's checkpoint_filter_fn) and the description fixtures
(their config.json / __metadata__ preprocessing). Photos: the committed `photo_120x90.jpg` and
`rgb_97x61.png`, and with ../shared four of its ImageNet photos (only timm's outputs are committed;
those rows skip without ../shared).

Preprocessing: timm's `create_transform` with the values deit resolves for the model — the
description's pretrained_cfg where the file has one, else deit's documented defaults (ImageNet
mean/std, bicubic, centre crop, crop_pct 0.9, 1.0 from 384 px up). Each row records them, and the
check asserts that `deit-cli info` reports the same values, so the defaults cannot drift apart.

Columns: case, model (relative to the repository), image_size, photo (fixtures:NAME or shared:NAME),
kind (classify, or embed for headless models), crop_pct, interpolation, crop_mode, mean, std,
expected (classify: timm's top-5 indices; embed: the feature vector), logits (timm's top-5 logits),
gap (timm's top-1 minus top-2 logit).

    PYTHONPATH=scripts/python .venv/bin/python scripts/python/gen_photo_check.py [--shared DIR]
"""
import argparse
import json
import os

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import safetensors
import safetensors.torch
import timm
import timm.data
import torch
from PIL import Image

import gen_fixtures
import gen_resolution_fixtures

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(SCRIPT_DIR, "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
OUT = os.path.join(FIXTURES, "photo-check", "expected.tsv")
FIXTURE_PHOTOS = ["photo_120x90.jpg", "rgb_97x61.png"]
SHARED_PHOTO_COUNT = 4
IMAGENET_MEAN = timm.data.IMAGENET_DEFAULT_MEAN
IMAGENET_STD = timm.data.IMAGENET_DEFAULT_STD


def deit_defaults(image_size: int) -> dict:
    """deit's preprocessing for a model without a description (README, Preprocessing.swift)."""
    return dict(crop_pct=1.0 if image_size >= 384 else 0.9, interpolation="bicubic", crop_mode="center",
                mean=IMAGENET_MEAN, std=IMAGENET_STD)


def load_weights(model: torch.nn.Module, path: str) -> torch.nn.Module:
    state = {key: value.to(torch.float32) for key, value in safetensors.torch.load_file(path).items()}
    model.load_state_dict(state, strict=True)
    return model.eval()


def conformance_models():
    for spec in gen_fixtures.SPECS:
        path = os.path.join(FIXTURES, "conformance", spec.name, "model.safetensors")
        model = load_weights(gen_fixtures.create_model(spec), path)
        size = model.patch_embed.img_size[0]
        yield spec.name, path, size, model, deit_defaults(size)


def resolution_models():
    for case, name, size, _seed in gen_resolution_fixtures.MODEL_CASES:
        path = os.path.join(FIXTURES, "conformance", name, "model.safetensors")
        yield case, path, size, gen_resolution_fixtures.model_at(name, size), deit_defaults(size)


def description_models():
    """The description fixtures: preprocessing from their config.json or __metadata__."""
    directory = os.path.join(FIXTURES, "description")
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name, "model.safetensors")
        config_path = os.path.join(directory, name, "config.json")
        if os.path.exists(config_path):
            with open(config_path) as handle:
                config = json.load(handle)
            arch, cfg, kwargs = config["architecture"], config["pretrained_cfg"], config.get("model_args", {})
            kwargs = dict(kwargs, num_classes=config["num_classes"])
        else:
            with safetensors.safe_open(path, "pt") as handle:
                meta = handle.metadata()
            arch = meta["architecture"]
            cfg = {key: meta[key] for key in ("interpolation", "crop_mode") if key in meta}
            cfg.update({key: float(meta[key]) for key in ("crop_pct",) if key in meta})
            cfg.update({key: tuple(float(v) for v in meta[key].split(",")) for key in ("mean", "std") if key in meta})
            cfg["input_size"] = tuple(int(v) for v in meta["input_size"].split(","))
            kwargs = dict(img_size=cfg["input_size"][-1], depth=int(meta["depth"]), num_classes=int(meta["num_classes"]))
        model = load_weights(timm.create_model(arch, pretrained=False, **kwargs), path)
        size = model.patch_embed.img_size[0]
        defaults = deit_defaults(size)
        preprocessing = {key: cfg.get(key, defaults[key]) for key in defaults}
        yield name, path, size, model, preprocessing


def photos(shared: str):
    for name in FIXTURE_PHOTOS:
        yield f"fixtures:{name}", os.path.join(FIXTURES, "images", name)
    sample = os.path.join(shared, "data", "imagenet-sample")
    if os.path.isdir(sample):
        names = sorted(n for n in os.listdir(sample) if n.endswith(".JPEG"))
        step = max(1, len(names) // SHARED_PHOTO_COUNT)
        for name in names[::step][:SHARED_PHOTO_COUNT]:
            yield f"shared:{name}", os.path.join(sample, name)
    else:
        print(f"no {sample}: rows for the shared photos are not generated")


def numbers(values) -> str:
    return ",".join(repr(float(v)) for v in values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    all_models = list(conformance_models()) + list(resolution_models()) + list(description_models())
    photo_list = list(photos(args.shared))
    for case, path, size, model, pre in all_models:
        transform = timm.data.create_transform(input_size=(3, size, size), is_training=False, **pre)
        for photo, photo_path in photo_list:
            with Image.open(photo_path) as image:
                x = transform(image.convert("RGB")).unsqueeze(0)
            with torch.no_grad():
                out = model(x)[0]
            headless = getattr(model, "num_classes", 1) == 0
            if headless:
                kind, expected, logits, gap = "embed", numbers(out), "-", "-"
            else:
                top = torch.topk(out, k=min(5, out.numel()))
                kind, expected = "classify", ",".join(str(int(i)) for i in top.indices)
                logits = numbers(top.values)
                gap = repr(float(top.values[0] - top.values[1])) if out.numel() > 1 else "inf"
            rows.append([case, os.path.relpath(path, ROOT), str(size), photo, kind, repr(float(pre["crop_pct"])),
                         pre["interpolation"], pre["crop_mode"], numbers(pre["mean"]), numbers(pre["std"]),
                         expected, logits, gap])
        print(f"{case:<28} {size:>4} px  {len(photo_list)} photos")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    header = ["case", "model", "image_size", "photo", "kind", "crop_pct", "interpolation", "crop_mode",
              "mean", "std", "expected", "logits", "gap"]
    with open(OUT, "w", newline="\n") as handle:
        for row in [header] + rows:
            handle.write("\t".join(row) + "\n")
    print(f"wrote {len(rows)} rows to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
