#!/usr/bin/env python3
"""Generate Tests/Fixtures/description: small timm ViTs (random weights, depth 1, 64-pixel input)
whose preprocessing differs from ImageNet's and is carried by the model's description, with timm's
own preprocessed photo and logits:

  vit_augreg_d1/        config.json beside the file (timm's save_config_for_hf): augreg mean =
                        std = 0.5 from vit_tiny_patch16_224's default pretrained cfg, label_names
  vit_meta_squash_d1/   no config.json; __metadata__ names the architecture (so heads and the rest
                        come from deit's architecture table) and overrides depth, interpolation
                        (bilinear), crop_mode (squash), crop_pct 0.95 and CLIP mean/std

Per fixture: model.safetensors (F16), <photo>.in.f32 = timm's resolve_data_config +
create_transform on the photo (PIL), <photo>.logits.f32 = the model on that tensor (fp32).

    PYTHONPATH=scripts/python .venv/bin/python scripts/python/gen_description_fixtures.py
"""
import json
import os
import sys

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import numpy as np
import safetensors.torch
import timm
import timm.data
import torch
from PIL import Image
from timm.models._hub import save_config_for_hf

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(SCRIPT_DIR, "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "description")
PHOTO = os.path.join(ROOT, "Tests", "Fixtures", "images", "photo_120x90.jpg")
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
KWARGS = dict(img_size=64, depth=1, num_classes=10)


def build(seed: int, overlay: dict) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False,
                              pretrained_cfg_overlay=dict(input_size=(3, 64, 64), **overlay), **KWARGS).eval()
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                tensor.copy_(1 + 0.1 * torch.randn_like(tensor))
            else:
                tensor.copy_(0.2 * torch.randn_like(tensor))
            tensor.copy_(tensor.to(torch.float16).to(torch.float32))   # exactly the stored values
    return model


def write(name: str, model: torch.nn.Module, metadata: dict, config: bool) -> None:
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    safetensors.torch.save_file(state, os.path.join(directory, "model.safetensors"), metadata=metadata)
    if config:
        save_config_for_hf(model, os.path.join(directory, "config.json"),
                           model_config={"label_names": [f"label {i}" for i in range(KWARGS["num_classes"])]})
    data_config = timm.data.resolve_data_config({}, model=model)
    transform = timm.data.create_transform(**data_config)
    image = transform(Image.open(PHOTO).convert("RGB"))
    with torch.no_grad():
        logits = model(image.unsqueeze(0))[0]
    base = os.path.join(directory, os.path.basename(PHOTO))
    image.numpy().astype("<f4").tofile(base + ".in.f32")
    logits.numpy().astype("<f4").tofile(base + ".logits.f32")
    print(f"{name}: {data_config}; top-3 {np.argsort(-logits.numpy())[:3].tolist()}", file=sys.stderr)


def main() -> int:
    torch.set_num_threads(1)
    write("vit_augreg_d1", build(2001, {}), {"format": "pt"}, config=True)
    overlay = dict(interpolation="bilinear", crop_mode="squash", crop_pct=0.95, mean=CLIP_MEAN, std=CLIP_STD)
    metadata = {"format": "pt", "architecture": "vit_tiny_patch16_224", "depth": "1", "num_classes": "10",
                "input_size": "3,64,64", "interpolation": "bilinear", "crop_mode": "squash", "crop_pct": "0.95",
                "mean": ",".join(repr(v) for v in CLIP_MEAN), "std": ",".join(repr(v) for v in CLIP_STD)}
    write("vit_meta_squash_d1", build(2002, overlay), metadata, config=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
