#!/usr/bin/env python3
"""Generate Sources/DeiTRuntime/Loading/ArchitectureTable.swift: timm's ViT-family architectures
(every `vit_*`, `deit*` and `cait*` name timm registers) with the facts deit's model description
takes from them, one line per architecture, plus one line per pretrained tag whose preprocessing
or class count differs from the architecture's default tag.

Each model is built on the meta device with pretrained=False (no weights, no download), and the
facts are read from the built module (so defaults resolved inside timm, e.g. fc_norm=None, come out
as timm applies them). Lines use deit's description keys (see ModelDescriptionKeys.swift):

    vit_base_patch16_224 embed_dim=768 depth=12 num_heads=12 ... mean=0.5,0.5,0.5 std=0.5,0.5,0.5
    vit_base_patch16_224.augreg_in21k num_classes=21843            (tag line: only what differs)

    PYTHONPATH=scripts/python .venv/bin/python scripts/python/gen_architecture_table.py
"""
import os
import sys

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import timm
import torch
from timm.models import get_pretrained_cfg

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(SCRIPT_DIR, "..", "..", "Sources", "DeiTRuntime", "Loading",
                                    "ArchitectureTable.swift"))
FAMILIES = ("vit_*", "deit*", "cait*")


def flag(value) -> str:
    return "1" if value else "0"


def floats(values) -> str:
    return ",".join(repr(float(v)) for v in values)


def activation(module) -> str:
    name = type(module).__name__
    if name == "GELU":
        return "gelu_tanh" if getattr(module, "approximate", "none") == "tanh" else "gelu"
    return {"QuickGELU": "quick_gelu", "SiLU": "silu", "ReLU": "relu"}.get(name, name.lower())


def preprocessing(cfg) -> dict:
    """The pretrained cfg's keys deit reads, as description strings."""
    out = {}
    if cfg is None:
        return out
    if cfg.input_size:
        out["input_size"] = ",".join(str(v) for v in cfg.input_size)
    if cfg.interpolation:
        out["interpolation"] = cfg.interpolation
    if cfg.crop_pct is not None:
        out["crop_pct"] = repr(float(cfg.crop_pct))
    if cfg.crop_mode:
        out["crop_mode"] = cfg.crop_mode
    if cfg.mean:
        out["mean"] = floats(cfg.mean)
    if cfg.std:
        out["std"] = floats(cfg.std)
    if cfg.num_classes is not None:
        out["pretrained_classes"] = str(cfg.num_classes)
    return out


def describe(name: str) -> dict:
    with torch.device("meta"):
        model = timm.create_model(name, pretrained=False)
    facts = {"class": type(model).__name__}
    # CaiT: pos_embed covers the patch tokens only (the class token joins at the class-attention
    # blocks), which deit describes as no_embed_class; its LayerScaleBlock is CaiT's own block.
    is_cait = type(model).__name__ == "Cait"
    blocks = getattr(model, "blocks", None)
    block = blocks[0] if blocks is not None and len(blocks) else None
    facts["embed_dim"] = str(model.embed_dim)
    if blocks is not None:
        facts["depth"] = str(len(blocks))
    attn = getattr(block, "attn", None)
    if attn is not None and hasattr(attn, "num_heads"):
        facts["num_heads"] = str(attn.num_heads)
    patch_embed = getattr(model, "patch_embed", None)
    if patch_embed is not None and hasattr(patch_embed, "patch_size"):
        ps = patch_embed.patch_size
        facts["patch_size"] = ",".join(str(v) for v in ps) if ps[0] != ps[1] else str(ps[0])
    facts["global_pool"] = getattr(model, "global_pool", "token") or "none"
    facts["class_token"] = flag(getattr(model, "cls_token", None) is not None)
    facts["reg_tokens"] = str(getattr(model, "num_reg_tokens", 0))
    facts["no_embed_class"] = flag(getattr(model, "no_embed_class", False) or is_cait)
    fc_norm = getattr(model, "fc_norm", None)
    facts["fc_norm"] = flag(fc_norm is not None and not isinstance(fc_norm, torch.nn.Identity))
    if attn is not None:
        qkv = getattr(attn, "qkv", None)
        if qkv is not None and hasattr(qkv, "bias"):
            facts["qkv_bias"] = flag(qkv.bias is not None)
        q_norm = getattr(attn, "q_norm", None)
        facts["qk_norm"] = flag(q_norm is not None and not isinstance(q_norm, torch.nn.Identity))
    ls1 = getattr(block, "ls1", None)
    facts["layer_scale"] = flag(type(ls1).__name__ == "LayerScale" or hasattr(block, "gamma_1"))
    norm_pre = getattr(model, "norm_pre", None)
    facts["pre_norm"] = flag(norm_pre is not None and not isinstance(norm_pre, torch.nn.Identity))
    norm1 = getattr(block, "norm1", None)
    if norm1 is not None:
        if type(norm1).__name__ != "LayerNorm":
            facts["norm"] = type(norm1).__name__.lower()
        if hasattr(norm1, "eps"):
            facts["norm_eps"] = repr(float(norm1.eps))
    mlp = getattr(block, "mlp", None)
    if mlp is not None:
        if type(mlp).__name__ != "Mlp":
            facts["mlp"] = type(mlp).__name__.lower()
        if hasattr(mlp, "act"):
            facts["act_layer"] = activation(mlp.act)
    if block is not None and type(block).__name__ != "Block" and not (is_cait and type(block).__name__ == "LayerScaleBlock"):
        facts["block"] = type(block).__name__.lower()
    if getattr(model, "dist_token", None) is not None:
        facts["distilled"] = "1"
    if getattr(model, "pos_embed", 0) is None:
        facts["pos_embed"] = "none"
    facts.update(preprocessing(model.pretrained_cfg and get_pretrained_cfg(name)))
    return facts


def main() -> int:
    names = sorted({n for pattern in FAMILIES for n in timm.list_models(pattern)})
    lines = []
    failed = []
    for name in names:
        try:
            facts = describe(name)
        except Exception as error:  # noqa: BLE001 (reported and left out of the table)
            failed.append(f"{name}: {type(error).__name__}")
            continue
        lines.append(name + " " + " ".join(f"{k}={v}" for k, v in facts.items()))
        base = preprocessing(get_pretrained_cfg(name))
        for tagged in timm.list_pretrained(name + ".*"):
            if "." not in tagged or tagged.split(".")[0] != name:
                continue
            differing = {k: v for k, v in preprocessing(get_pretrained_cfg(tagged)).items() if base.get(k) != v}
            if differing:
                lines.append(tagged + " " + " ".join(f"{k}={v}" for k, v in differing.items()))
    with open(OUT, "w") as out:
        out.write("// Generated by scripts/python/gen_architecture_table.py from timm "
                  f"{timm.__version__}; do not edit.\n")
        out.write("// One line per timm ViT-family architecture (`vit_*`, `deit*`, `cait*`): its facts in deit's\n")
        out.write("// description keys (ModelDescriptionKeys.swift) and its default pretrained tag's preprocessing;\n")
        out.write("// then \"name.tag\" lines for the tags whose preprocessing or class count differs.\n")
        out.write("// `class` is timm's model class: deit runs VisionTransformer, VisionTransformerDistilled and Cait.\n")
        for failure in failed:
            out.write(f"// not built offline: {failure}\n")
        out.write("\nenum ArchitectureTable {\n    static let text: StaticString = \"\"\"\n")
        for line in lines:
            out.write("        " + line + "\n")
        out.write("        \"\"\"\n}\n")
    print(f"gen_architecture_table: {len(names) - len(failed)} architectures, {len(lines)} lines, "
          f"{len(failed)} not built; wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
