#!/usr/bin/env python3
"""Exports a timm DeiT / ViT classifier to a safetensors file deit can load, keeping timm's key
names (cls_token, pos_embed, patch_embed.proj.*, blocks.N.*, norm.*, head.*, and dist_token /
head_dist.* for distilled models).

    # with internet: timm downloads the pretrained weights from the Hugging Face hub
    python scripts/python/export_timm.py deit_tiny_patch16_224 deit_tiny.safetensors
    python scripts/python/export_timm.py deit_base_distilled_patch16_384 deit_b384.safetensors --dtype f16
    # or from a checkpoint file you already have
    python scripts/python/export_timm.py deit_small_patch16_224 out.safetensors --checkpoint deit_small.pth

Needs torch, timm and safetensors (`pip install timm safetensors`, or this repository's
scripts/setup-python.sh). The file's __metadata__ records the timm model name, num_heads and the
eval transform settings (crop_pct, interpolation) from the model's pretrained config.
"""
import argparse
import sys

try:
    import torchvision_stubs  # noqa: F401  (this repository's .venv: see that module)
except ImportError:
    pass

import safetensors.torch
import timm
import torch

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="timm model name, e.g. deit_tiny_patch16_224")
    parser.add_argument("output", help="the .safetensors file to write")
    parser.add_argument("--checkpoint", help="load weights from this file instead of downloading them")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="f32", help="stored dtype (default f32)")
    args = parser.parse_args()

    model = timm.create_model(args.model, pretrained=args.checkpoint is None,
                              checkpoint_path=args.checkpoint or "")
    model.eval()
    if getattr(model, "global_pool", "token") != "token" or getattr(model, "num_reg_tokens", 0):
        print(f"export_timm: {args.model} pools without the class token or has register tokens; "
              "deit runs class-token DeiT/ViT models only", file=sys.stderr)
        return 1
    state = {name: tensor.detach().to(DTYPES[args.dtype]).contiguous()
             for name, tensor in model.state_dict().items()}
    config = getattr(model, "pretrained_cfg", {}) or {}
    metadata = {
        "timm_model": args.model,
        "num_heads": str(model.blocks[0].attn.num_heads),
        "crop_pct": str(config.get("crop_pct", "")),
        "interpolation": str(config.get("interpolation", "")),
        "timm_version": timm.__version__,
    }
    safetensors.torch.save_file(state, args.output, metadata=metadata)
    parameters = sum(t.numel() for t in state.values())
    print(f"export_timm: wrote {args.output}: {len(state)} tensors, {parameters:,} parameters, {args.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
