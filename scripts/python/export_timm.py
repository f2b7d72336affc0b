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
scripts/setup-python.sh). The file's __metadata__ records the model's description in deit's keys
(Sources/DeiTRuntime/Loading/ModelDescriptionKeys.swift): the timm architecture, its model args
(embed_dim, depth, num_heads, global_pool, class_token, reg_tokens, no_embed_class, fc_norm,
qkv_bias, layer_scale, pre_norm, norm_eps, act_layer, num_classes) and the pretrained config's
preprocessing (input_size, interpolation, crop_pct, crop_mode, mean, std, pretrained_classes).
timm's own config.json (save_config_for_hf: architecture, num_classes, global_pool, model_args,
pretrained_cfg, label_names) is written beside the file, where deit reads it; --no-config skips it.
"""
import os
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


def description_metadata(model, name: str) -> dict:
    """The model's description in deit's __metadata__ keys, read from the built module."""
    block = model.blocks[0]
    cfg = getattr(model, "pretrained_cfg", {}) or {}
    identity = torch.nn.Identity
    act = type(block.mlp.act).__name__
    act = {"GELU": "gelu_tanh" if getattr(block.mlp.act, "approximate", "none") == "tanh" else "gelu",
           "QuickGELU": "quick_gelu"}.get(act, act.lower())
    flag = lambda value: "1" if value else "0"  # noqa: E731
    metadata = {
        "architecture": cfg.get("architecture", name.split(".")[0]) + (f".{cfg['tag']}" if cfg.get("tag") else ""),
        "embed_dim": str(model.embed_dim),
        "depth": str(len(model.blocks)),
        "num_heads": str(block.attn.num_heads),
        "patch_size": str(model.patch_embed.patch_size[0]),
        "num_classes": str(model.num_classes),
        "global_pool": getattr(model, "global_pool", "token") or "none",
        "class_token": flag(getattr(model, "cls_token", None) is not None),
        "reg_tokens": str(getattr(model, "num_reg_tokens", 0)),
        "no_embed_class": flag(getattr(model, "no_embed_class", False)),
        "fc_norm": flag(not isinstance(getattr(model, "fc_norm", identity()), identity)),
        "qkv_bias": flag(block.attn.qkv.bias is not None),
        "layer_scale": flag(not isinstance(getattr(block, "ls1", identity()), identity)),
        "pre_norm": flag(not isinstance(getattr(model, "norm_pre", identity()), identity)),
        "norm_eps": repr(float(block.norm1.eps)),
        "act_layer": act,
        "distilled": flag(getattr(model, "dist_token", None) is not None),
        "timm_version": timm.__version__,
    }
    if cfg.get("input_size"):
        metadata["input_size"] = ",".join(str(v) for v in cfg["input_size"])
    for key in ("interpolation", "crop_mode"):
        if cfg.get(key):
            metadata[key] = cfg[key]
    if cfg.get("crop_pct") is not None:
        metadata["crop_pct"] = repr(float(cfg["crop_pct"]))
    for key in ("mean", "std"):
        if cfg.get(key):
            metadata[key] = ",".join(repr(float(v)) for v in cfg[key])
    if cfg.get("num_classes") is not None:
        metadata["pretrained_classes"] = str(cfg["num_classes"])
    return metadata


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="timm model name, e.g. deit_tiny_patch16_224")
    parser.add_argument("output", help="the .safetensors file to write")
    parser.add_argument("--checkpoint", help="load weights from this file instead of downloading them")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="f32", help="stored dtype (default f32)")
    parser.add_argument("--no-config", action="store_true", help="do not write config.json beside the output")
    args = parser.parse_args()

    model = timm.create_model(args.model, pretrained=args.checkpoint is None,
                              checkpoint_path=args.checkpoint or "")
    model.eval()
    state = {name: tensor.detach().to(DTYPES[args.dtype]).contiguous()
             for name, tensor in model.state_dict().items()}
    metadata = description_metadata(model, args.model)
    safetensors.torch.save_file(state, args.output, metadata=metadata)
    if not args.no_config:
        from timm.models._hub import save_config_for_hf
        config_path = os.path.join(os.path.dirname(os.path.abspath(args.output)), "config.json")
        save_config_for_hf(model, config_path)
        print(f"export_timm: wrote {config_path}")
    parameters = sum(t.numel() for t in state.values())
    print(f"export_timm: wrote {args.output}: {len(state)} tensors, {parameters:,} parameters, {args.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
