#!/usr/bin/env python3
"""Generate the timm conformance fixtures in Tests/Fixtures/conformance.

Every model is a real timm VisionTransformer (eval mode, fp32, one thread) with
all parameters replaced by seeded random values. Weights are rounded to the
stored dtype first and loaded back, so the expected outputs are computed from
exactly the values in the file. Run through scripts/gen-fixtures.sh.

Outputs per model (all raw little-endian float32):
  <model>/model.safetensors
  <model>/<input>.in.f32       [3, S, S]            CHW input
  <model>/<input>.logits.f32   [num_classes]        timm's forward; [D] features if num_classes=0
  <model>/<input>.features.f32 [D]                  forward_head(forward_features(x), pre_logits=True)
  <model>/<input>.blocks.f32   [depth + 1, T, D]    slice 0 = tokens entering block 0,
                                                    slice i = output of block i - 1
  <model>/<input>.tokens.f32   [T, D]               forward_features (models with write_tokens)
plus manifest.tsv describing all models.
"""

import argparse
import os
import sys
from dataclasses import dataclass, field

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import numpy as np
import safetensors.torch
import torch
from PIL import Image

import timm
import timm.data

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(SCRIPT_DIR, "..", "..", "Tests", "Fixtures", "conformance"))

STORAGE_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}

# Top-5 must be unambiguous: consecutive top-6 logits differ by at least this
# fraction of max(1, max|logit|) (50x the Swift runtime's tolerance of 2e-4).
TOP_GAP_FRACTION = 1e-2
MAX_HEAD_TRIALS = 20000
# The fp32 reference itself must be this close to an fp64 run of the same
# weights (relative to max(1, max|ref|)), far inside the runtime's 2e-4.
FP64_AGREEMENT = 2e-5

SYNTHETIC_IMAGE_WIDTH = 300
SYNTHETIC_IMAGE_HEIGHT = 260


@dataclass
class FixtureSpec:
    """One fixture model: which timm architecture, its overrides and storage."""
    name: str
    arch: str
    kwargs: dict
    dtype: str
    seed: int
    distilled: bool
    inputs: tuple = ("random", "image")
    # Overrides of timm's pretrained_cfg (the data config), needed when img_size
    # is changed: timm keeps the architecture's 224 input_size otherwise.
    data_cfg_overlay: dict = field(default_factory=dict)
    # __metadata__ in the safetensors header; num_heads only where dim/64 is wrong,
    # global_pool where the tensors cannot tell (average pooling without fc_norm).
    metadata: dict = field(default_factory=lambda: {"format": "pt"})
    # timm ViT-family options beyond the plain layout (manifest column `features`): see FEATURES.
    # For a CaiT (timm `Cait`): class_attention=J, its class-attention block count.
    features: tuple = ()
    # Also write <input>.tokens.f32, timm's forward_features [T, D] (the fixtures added with
    # deit_session_run_tokens; the older ones keep their files unchanged).
    write_tokens: bool = False

    @property
    def is_cait(self) -> bool:
        return self.arch.startswith("cait_")


# The manifest's `features` words. regN (N register tokens) is matched as a pattern.
FEATURES = {"layer_scale", "no_qkv_bias", "fc_norm", "avg_pool", "no_embed_class", "no_class_token",
            "max_pool", "avgmax_pool", "qk_norm", "pre_norm", "quick_gelu", "norm_eps_1e-5"}


def register_count(spec) -> int:
    return next((int(f[3:]) for f in spec.features if f.startswith("reg") and f[3:].isdigit()), 0)


def pool_of(features) -> str:
    for word, pool in (("avg_pool", "avg"), ("max_pool", "max"), ("avgmax_pool", "avgmax")):
        if word in features:
            return pool
    return "token"


SPECS = [
    FixtureSpec(
        name="deit_tiny_d2",
        arch="deit_tiny_patch16_224",
        kwargs=dict(depth=2, num_classes=1000),
        dtype="F16", seed=1001, distilled=False,
    ),
    FixtureSpec(
        name="deit_tiny_distilled_d2",
        arch="deit_tiny_distilled_patch16_224",
        kwargs=dict(depth=2, num_classes=100),
        dtype="BF16", seed=1002, distilled=True,
        inputs=("image",),  # one input keeps the committed fixtures small
    ),
    FixtureSpec(
        name="deit_tiny_384_d1",
        arch="deit_tiny_patch16_224",
        kwargs=dict(img_size=384, depth=1, num_classes=10),
        dtype="F16", seed=1003, distilled=False,
        inputs=("image",),  # a 384 input is 1.8 MB: one keeps the committed fixtures small
        # timm's own *_384 DeiT configs use crop_pct 1.0.
        data_cfg_overlay=dict(input_size=(3, 384, 384), crop_pct=1.0),
    ),
    FixtureSpec(
        name="vit_ragged",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=112, embed_dim=96, num_heads=4, depth=2, mlp_ratio=4.0, num_classes=37),
        dtype="F32", seed=1004, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 112, 112)),
        metadata={"format": "pt", "num_heads": "4"},
    ),
    FixtureSpec(
        name="deit3_layerscale_d2",
        arch="deit3_small_patch16_224",
        kwargs=dict(img_size=112, embed_dim=96, num_heads=4, depth=2, num_classes=21),
        dtype="F16", seed=1005, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 112, 112)),
        metadata={"format": "pt", "num_heads": "4"},
        features=("layer_scale", "no_embed_class"),
    ),
    FixtureSpec(
        name="vit_avgpool_fcnorm",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=96, embed_dim=64, num_heads=2, depth=2, num_classes=17,
                    global_pool="avg", fc_norm=True, qkv_bias=False),
        dtype="F32", seed=1006, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 96, 96)),
        metadata={"format": "pt", "num_heads": "2"},
        features=("no_qkv_bias", "fc_norm", "avg_pool"),
    ),
    FixtureSpec(
        name="vit_avgpool_norm",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=96, embed_dim=64, num_heads=2, depth=1, num_classes=13,
                    global_pool="avg", fc_norm=False),
        dtype="BF16", seed=1007, distilled=False,
        inputs=("image",),
        data_cfg_overlay=dict(input_size=(3, 96, 96)),
        metadata={"format": "pt", "num_heads": "2", "global_pool": "avg"},
        features=("avg_pool",),
    ),
    FixtureSpec(
        # Headless (num_classes=0): no head tensors; timm's forward returns the pooled features.
        name="vit_headless_d1",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=2, depth=1, num_classes=0),
        dtype="F32", seed=1008, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 64, 64)),
        metadata={"format": "pt", "num_heads": "2"},
    ),
    FixtureSpec(
        # timm's reg4_gap layout: no class token, 4 registers without pos_embed, avg pooling + fc_norm.
        name="vit_reg4_gap",
        arch="vit_base_patch16_reg4_gap_256",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=2, depth=2, num_classes=11),
        dtype="F32", seed=1009, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 64, 64)),
        metadata={"format": "pt", "num_heads": "2", "global_pool": "avg"},
        features=("no_class_token", "reg4", "no_embed_class", "fc_norm", "avg_pool"),
        write_tokens=True,
    ),
    FixtureSpec(
        # Class token + 2 registers, pos_embed covering all 3 prefix tokens; max pooling after `norm`.
        name="vit_reg2_max_norm",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=2, depth=1, num_classes=9,
                    reg_tokens=2, global_pool="max", fc_norm=False),
        dtype="BF16", seed=1010, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 64, 64)),
        metadata={"format": "pt", "num_heads": "2", "global_pool": "max"},
        features=("reg2", "max_pool"),
        write_tokens=True,
    ),
    FixtureSpec(
        # No class token, avgmax pooling then fc_norm (timm's default for avgmax).
        name="vit_noclass_avgmax",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=2, depth=2, num_classes=13,
                    class_token=False, global_pool="avgmax"),
        dtype="F32", seed=1011, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 64, 64)),
        metadata={"format": "pt", "num_heads": "2", "global_pool": "avgmax"},
        features=("no_class_token", "fc_norm", "avgmax_pool"),
        write_tokens=True,
    ),
    FixtureSpec(
        name="vit_qknorm",
        arch="vit_tiny_patch16_224",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=2, depth=2, num_classes=15, qk_norm=True),
        dtype="F16", seed=1012, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 64, 64)),
        metadata={"format": "pt", "num_heads": "2"},
        features=("qk_norm",),
        write_tokens=True,
    ),
    FixtureSpec(
        # OpenAI CLIP layout: norm_pre (and no patch-embedding bias), LayerNorm eps 1e-5, QuickGELU.
        # Only the description can say eps and act_layer: __metadata__ carries them.
        name="vit_clip_quickgelu",
        arch="vit_base_patch16_clip_quickgelu_224",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=2, depth=2, num_classes=10),
        dtype="F32", seed=1013, distilled=False,
        data_cfg_overlay=dict(input_size=(3, 64, 64)),
        metadata={"format": "pt", "num_heads": "2", "norm_eps": "1e-05", "act_layer": "quick_gelu"},
        features=("pre_norm", "norm_eps_1e-5", "quick_gelu"),
        write_tokens=True,
    ),
    FixtureSpec(
        # CaiT: talking-heads patch blocks, then class-attention blocks. 4 heads of 48: the head
        # count comes from attn.proj_l's shape (no num_heads in the metadata).
        name="cait_xxs24_d2",
        arch="cait_xxs24_224",
        kwargs=dict(depth=2, depth_token_only=2, num_classes=100),
        dtype="F16", seed=1009, distilled=False,
        features=("layer_scale", "no_embed_class", "class_attention=2"),
    ),
    FixtureSpec(
        # A small CaiT at 384 (576 patches in the talking-heads attention), without qkv bias.
        name="cait_384_small",
        arch="cait_xxs24_384",
        kwargs=dict(embed_dim=64, num_heads=2, depth=1, depth_token_only=1, num_classes=10, qkv_bias=False),
        dtype="F32", seed=1010, distilled=False,
        inputs=("image",),
        features=("layer_scale", "no_embed_class", "no_qkv_bias", "class_attention=1"),
    ),
    FixtureSpec(
        # A headless CaiT with average pooling (timm global_pool='avg': the mean of the normed patch
        # tokens, so the class-attention blocks do not reach the output), told by __metadata__.
        name="cait_avgpool_headless",
        arch="cait_xxs24_224",
        kwargs=dict(img_size=64, embed_dim=64, num_heads=4, depth=2, depth_token_only=1, num_classes=0,
                    global_pool="avg"),
        dtype="BF16", seed=1011, distilled=False,
        inputs=("random",),
        metadata={"format": "pt", "global_pool": "avg"},
        features=("layer_scale", "no_embed_class", "avg_pool", "class_attention=1"),
    ),
]


def log(message: str) -> None:
    print(message, flush=True)


# ----------------------------------------------------------------------------- model


def create_model(spec: FixtureSpec) -> torch.nn.Module:
    """A freshly initialised timm model for `spec`, in eval mode, with layout checks."""
    overlay = dict(spec.data_cfg_overlay)
    model = timm.create_model(
        spec.arch, pretrained=False, pretrained_cfg_overlay=overlay or None, **spec.kwargs
    ).eval()
    if spec.is_cait:
        check_cait(model, spec)
    else:
        check_plain_vit(model, spec)
    return model


def check_cait(model: torch.nn.Module, spec: FixtureSpec) -> None:
    """Fail unless the model is timm's CaiT layout the Swift runtime implements."""
    from timm.models.cait import Cait, ClassAttn, TalkingHeadAttn

    problems = []
    features = set(spec.features)
    if not isinstance(model, Cait):
        problems.append("not a Cait")
    class_blocks = [f for f in features if f.startswith("class_attention=")]
    if class_blocks != [f"class_attention={len(model.blocks_token_only)}"]:
        problems.append("class_attention does not match blocks_token_only")
    if model.global_pool != ("avg" if "avg_pool" in features else "token"):
        problems.append("global_pool does not match the features")
    if not {"layer_scale", "no_embed_class"} <= features:
        problems.append("a CaiT has LayerScale and a patch-only pos_embed: list both features")
    norms = [model.norm]
    for index, block in enumerate(list(model.blocks) + list(model.blocks_token_only)):
        attention = TalkingHeadAttn if index < len(model.blocks) else ClassAttn
        if not isinstance(block.attn, attention):
            problems.append(f"block {index} attention is not {attention.__name__}")
        bias = block.attn.qkv.bias if attention is TalkingHeadAttn else block.attn.q.bias
        if (bias is None) != ("no_qkv_bias" in features):
            problems.append(f"block {index} qkv bias does not match the features")
        act = block.mlp.act
        if not (isinstance(act, torch.nn.GELU) and act.approximate == "none"):
            problems.append(f"block {index} mlp.act is not exact GELU")
        if block.mlp.fc1.out_features != model.blocks[0].mlp.fc1.out_features:
            problems.append(f"block {index} MLP width differs from the patch blocks' (the manifest has one)")
        norms += [block.norm1, block.norm2]
    if not all(isinstance(norm, torch.nn.LayerNorm) and norm.eps == 1e-6 for norm in norms):
        problems.append("a norm is not LayerNorm(eps=1e-6)")
    if problems:
        raise SystemExit(f"{spec.name}: unexpected model layout: " + "; ".join(problems))


def check_plain_vit(model: torch.nn.Module, spec: FixtureSpec) -> None:
    """Fail unless the model is the plain DeiT/ViT layout the Swift runtime implements."""
    from timm.models.deit import VisionTransformerDistilled

    features = set(spec.features)
    registers = register_count(spec)
    unknown = {f for f in features - FEATURES if not (f.startswith("reg") and f[3:].isdigit())}
    if unknown:
        raise SystemExit(f"{spec.name}: unknown features {sorted(unknown)}")
    problems = []
    if spec.distilled != isinstance(model, VisionTransformerDistilled):
        problems.append("distillation class mismatch")
    if (model.cls_token is None) != ("no_class_token" in features):
        problems.append("class token does not match the features")
    if model.num_reg_tokens != registers or (model.reg_token is None) != (registers == 0):
        problems.append("register tokens do not match the features")
    if model.no_embed_class != ("no_embed_class" in features):
        problems.append("no_embed_class does not match the features")
    if model.global_pool != pool_of(features):
        problems.append("global_pool does not match the features")
    if isinstance(model.fc_norm, torch.nn.Identity) == ("fc_norm" in features):
        problems.append("fc_norm does not match the features")
    if isinstance(model.norm, torch.nn.Identity) != ("fc_norm" in features):
        problems.append("norm should be Identity exactly when fc_norm is used")
    if model.attn_pool is not None:
        problems.append("expected no attention pooling")
    if isinstance(model.norm_pre, torch.nn.Identity) == ("pre_norm" in features) or model.dynamic_img_size:
        problems.append("norm_pre does not match the features, or the image size is dynamic")
    if model.pool_include_prefix:
        problems.append("expected pooling without the prefix tokens")
    eps = 1e-5 if "norm_eps_1e-5" in features else 1e-6
    for index, block in enumerate(model.blocks):
        identities = ("attn.norm", "mlp.norm")
        if "qk_norm" not in features:
            identities += ("attn.q_norm", "attn.k_norm")
        else:
            for module_name in ("attn.q_norm", "attn.k_norm"):
                norm = block.get_submodule(module_name)
                if not (isinstance(norm, torch.nn.LayerNorm) and norm.eps == eps):
                    problems.append(f"blocks.{index}.{module_name} is not LayerNorm(eps={eps})")
        if "layer_scale" not in features:
            identities += ("ls1", "ls2")
        for module_name in identities:
            if not isinstance(block.get_submodule(module_name), torch.nn.Identity):
                problems.append(f"blocks.{index}.{module_name} is not Identity")
        if (block.attn.qkv.bias is None) != ("no_qkv_bias" in features):
            problems.append(f"blocks.{index}.attn.qkv bias does not match the features")
        act = block.mlp.act
        if "quick_gelu" in features:
            if type(act).__name__ != "QuickGELU":
                problems.append(f"blocks.{index}.mlp.act is not QuickGELU")
        elif not (isinstance(act, torch.nn.GELU) and act.approximate == "none"):
            problems.append(f"blocks.{index}.mlp.act is not exact GELU")
        for norm in (block.norm1, block.norm2):
            if not (isinstance(norm, torch.nn.LayerNorm) and norm.eps == eps):
                problems.append(f"blocks.{index} norm is not LayerNorm(eps={eps})")
    if problems:
        raise SystemExit(f"{spec.name}: unexpected model layout: " + "; ".join(problems))


def expected_keys(spec: FixtureSpec, depth: int) -> list:
    """The exact state_dict keys the fixture must contain, nothing more."""
    features = set(spec.features)
    if spec.is_cait:
        return cait_expected_keys(spec, depth)
    keys = ["pos_embed", "patch_embed.proj.weight"]
    if "no_class_token" not in features:
        keys.append("cls_token")
    if "pre_norm" in features:  # timm drops the patch-embedding bias with norm_pre
        keys += ["norm_pre.weight", "norm_pre.bias"]
    else:
        keys.append("patch_embed.proj.bias")
    if register_count(spec):
        keys.append("reg_token")
    if spec.distilled:
        keys.append("dist_token")
    for index in range(depth):
        for layer in ("norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"):
            keys += [f"blocks.{index}.{layer}.weight", f"blocks.{index}.{layer}.bias"]
        if "no_qkv_bias" in features:
            keys.remove(f"blocks.{index}.attn.qkv.bias")
        if "layer_scale" in features:
            keys += [f"blocks.{index}.ls1.gamma", f"blocks.{index}.ls2.gamma"]
        if "qk_norm" in features:
            keys += [f"blocks.{index}.attn.{n}_norm.{p}" for n in ("q", "k") for p in ("weight", "bias")]
    final_norm = "fc_norm" if "fc_norm" in features else "norm"
    keys += [f"{final_norm}.weight", f"{final_norm}.bias"]
    if spec.kwargs.get("num_classes") != 0:
        keys += ["head.weight", "head.bias"]
    if spec.distilled and spec.kwargs.get("num_classes") != 0:
        keys += ["head_dist.weight", "head_dist.bias"]
    return sorted(keys)


def cait_expected_keys(spec: FixtureSpec, depth: int) -> list:
    """A CaiT's state_dict keys (timm names, LayerScale as gamma_1 / gamma_2)."""
    no_bias = "no_qkv_bias" in spec.features
    class_blocks = int(next(f for f in spec.features if f.startswith("class_attention=")).split("=")[1])
    keys = ["cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias", "norm.weight", "norm.bias"]
    if spec.kwargs.get("num_classes") != 0:
        keys += ["head.weight", "head.bias"]
    for index in range(depth):
        prefix = f"blocks.{index}."
        for layer in ("norm1", "attn.qkv", "attn.proj", "attn.proj_l", "attn.proj_w", "norm2", "mlp.fc1", "mlp.fc2"):
            keys += [prefix + layer + ".weight", prefix + layer + ".bias"]
        if no_bias:
            keys.remove(prefix + "attn.qkv.bias")
        keys += [prefix + "gamma_1", prefix + "gamma_2"]
    for index in range(class_blocks):
        prefix = f"blocks_token_only.{index}."
        for layer in ("norm1", "attn.q", "attn.k", "attn.v", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"):
            keys += [prefix + layer + ".weight"]
            if not (no_bias and layer in ("attn.q", "attn.k", "attn.v")):
                keys += [prefix + layer + ".bias"]
        keys += [prefix + "gamma_1", prefix + "gamma_2"]
    return sorted(keys)


# ----------------------------------------------------------------------------- weights


def nonzero_normal(shape, std, generator, floor):
    """N(0, std) pushed away from zero by `floor`, so every element is nonzero
    even after rounding to F16/BF16."""
    values = torch.randn(shape, generator=generator) * std
    return values + torch.sign(values) * floor + (values == 0) * floor


def random_parameter(name: str, shape, embed_dim: int, generator) -> torch.Tensor:
    """A random value for one parameter, scaled so activations stay O(1)."""
    fan_in = 1
    for extent in shape[1:]:
        fan_in *= extent
    if name in ("cls_token", "dist_token", "reg_token", "pos_embed"):
        return torch.randn(shape, generator=generator) * 0.5
    if name.endswith((".attn.proj_l.weight", ".attn.proj_w.weight")):  # CaiT's talking-heads mixes
        # Near the identity, so each head keeps its own pattern, with clear cross-head mixing.
        return torch.eye(shape[0]) + torch.randn(shape, generator=generator) * (0.4 / fan_in ** 0.5)
    if name.endswith(".attn.proj_w.bias"):
        # Added to every one of the N attention weights of a row, so it scales Σ_j v_j: kept small
        # (still nonzero) so the residual stream stays O(10).
        return nonzero_normal(shape, 0.002, generator, 0.0005)
    if name.endswith((".gamma", ".gamma_1", ".gamma_2")):  # LayerScale: far from timm's 1e-6 init, so the branches matter
        return 0.2 + torch.rand(shape, generator=generator)
    if "norm" in name and name.endswith(".weight"):  # LayerNorm gamma: 1 +- noticeable noise
        return 1.0 + (torch.rand(shape, generator=generator) * 2 - 1) * 0.35
    if name.endswith(".bias"):
        return nonzero_normal(shape, 0.08, generator, 0.01)
    gains = {
        "patch_embed.proj.weight": 1.0,
        "attn.qkv.weight": 1.5,  # attention noticeably peaked, not uniform
        "attn.q.weight": 1.5,  # CaiT's class attention, likewise
        "attn.k.weight": 1.5,
        "attn.v.weight": 1.0,
        "attn.proj.weight": 0.7,
        "mlp.fc1.weight": 1.0,
        "mlp.fc2.weight": 0.7,
    }
    for suffix, gain in gains.items():
        if name.endswith(suffix):
            return torch.randn(shape, generator=generator) * (gain / fan_in ** 0.5)
    raise SystemExit(f"no randomisation rule for parameter {name}")


def round_to_storage(tensor: torch.Tensor, dtype: str) -> torch.Tensor:
    """The fp32 value of `tensor` after a round trip through the storage dtype."""
    return tensor.to(STORAGE_DTYPES[dtype]).to(torch.float32)


def randomise_trunk(model: torch.nn.Module, spec: FixtureSpec, generator) -> None:
    """Replace every non-head parameter with rounded random values."""
    embed_dim = model.embed_dim
    state = {}
    for name, value in model.state_dict().items():
        if name.startswith("head"):
            state[name] = value
            continue
        state[name] = round_to_storage(random_parameter(name, tuple(value.shape), embed_dim, generator), spec.dtype)
    model.load_state_dict(state, strict=True)


def head_modules(model, spec):
    return [model.head, model.head_dist] if spec.distilled else [model.head]


def top_gap(logits: torch.Tensor):
    """(smallest gap among the top-6 consecutive logits, required gap)."""
    top = torch.topk(logits, k=min(6, logits.numel())).values
    gaps = top[:-1] - top[1:]
    required = TOP_GAP_FRACTION * max(1.0, logits.abs().max().item())
    return gaps.min().item(), required


def randomise_head(model, spec, features_per_input, generator) -> int:
    """Draw heads until every input has a clearly separated top-5; return the trial count.

    `features_per_input` are the outputs of forward_features (final norm applied);
    forward_head on them is exactly what the full forward computes.
    """
    embed_dim = model.embed_dim
    num_classes = model.num_classes
    if num_classes == 0:  # headless: nothing to draw
        return 0
    for trial in range(1, MAX_HEAD_TRIALS + 1):
        with torch.no_grad():
            for head in head_modules(model, spec):
                weight = torch.randn((num_classes, embed_dim), generator=generator) * (2.5 / embed_dim ** 0.5)
                bias = nonzero_normal((num_classes,), 0.3, generator, 0.01)
                head.weight.copy_(round_to_storage(weight, spec.dtype))
                head.bias.copy_(round_to_storage(bias, spec.dtype))
            ok = True
            for features in features_per_input:
                gap, required = top_gap(model.forward_head(features)[0])
                if gap < required:
                    ok = False
                    break
        if ok:
            return trial
    raise SystemExit(f"{spec.name}: no head with separated top-5 after {MAX_HEAD_TRIALS} trials")


# ----------------------------------------------------------------------------- inputs


def synthetic_image() -> Image.Image:
    """A deterministic RGB test image: smooth gradients plus a few hard-edged shapes."""
    height, width = SYNTHETIC_IMAGE_HEIGHT, SYNTHETIC_IMAGE_WIDTH
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / (width - 1), y / (height - 1)
    radius = np.hypot(u - 0.35, v - 0.6)
    red = 0.15 + 0.7 * u
    green = 0.2 + 0.6 * v * (1 - 0.5 * u)
    blue = 0.5 + 0.4 * np.cos(6.0 * radius)
    # Shapes: a disc, a rectangle, a triangle and diagonal stripes.
    disc = np.hypot(x - 210, y - 80) < 45
    red[disc], green[disc], blue[disc] = 0.95, 0.85, 0.1
    rect = (x > 30) & (x < 120) & (y > 150) & (y < 230)
    red[rect], green[rect], blue[rect] = 0.1, 0.3, 0.85
    tri = (y > 140) & (y < 240) & (np.abs(x - 230) < (y - 140) * 0.6)
    red[tri], green[tri], blue[tri] = 0.8, 0.1, 0.2
    stripes = ((x + y) % 24 < 8) & (x < 110) & (y < 110)
    red[stripes], green[stripes], blue[stripes] = 0.05, 0.05, 0.05
    rgb = np.stack([red, green, blue], axis=-1)
    return Image.fromarray(np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8), mode="RGB")


def make_input(kind: str, model, spec: FixtureSpec, image_size: int) -> torch.Tensor:
    """A [3, S, S] float32 input of the given kind."""
    if kind == "random":
        generator = torch.Generator().manual_seed(spec.seed * 10 + 7)
        return torch.randn((3, image_size, image_size), generator=generator)
    if kind == "image":
        data_cfg = timm.data.resolve_data_config({}, model=model)
        transform = timm.data.create_transform(**data_cfg)
        tensor = transform(synthetic_image()).to(torch.float32).contiguous()
        if tuple(tensor.shape) != (3, image_size, image_size):
            raise SystemExit(f"{spec.name}: eval transform produced {tuple(tensor.shape)}")
        return tensor
    raise SystemExit(f"unknown input kind {kind}")


# ----------------------------------------------------------------------------- forward


def pooled_features(model, chw: torch.Tensor) -> torch.Tensor:
    """timm's pre-logits features [D]: forward_head(forward_features(x), pre_logits=True)."""
    with torch.no_grad():
        return model.forward_head(model.forward_features(chw.unsqueeze(0)), pre_logits=True)[0].contiguous()


def forward_features(model, chw: torch.Tensor) -> torch.Tensor:
    """timm's forward_features [T, D]: every token after the final norm."""
    with torch.no_grad():
        return model.forward_features(chw.unsqueeze(0))[0].contiguous()


def run_with_blocks(model, chw: torch.Tensor):
    """(logits [C], blocks [depth+1, T, D]) from one real timm forward pass.

    A CaiT's patch blocks see the patch tokens alone ([N, D]); its class token is `cls_token`,
    unchanged until the class-attention blocks, so each slice is [cls_token, block output] as in
    the runtime's residual stream."""
    captured = []
    handles = [model.blocks[0].register_forward_pre_hook(lambda _m, args: captured.append(args[0].detach().clone()))]
    for block in model.blocks:
        handles.append(block.register_forward_hook(lambda _m, _a, out: captured.append(out.detach().clone())))
    try:
        with torch.no_grad():
            logits = model(chw.unsqueeze(0))
    finally:
        for handle in handles:
            handle.remove()
    if getattr(model, "blocks_token_only", None) is not None:
        captured = [torch.cat([model.cls_token.detach().to(t.dtype), t], dim=1) for t in captured]
    return logits[0].contiguous(), torch.stack([t[0] for t in captured]).contiguous()


def relative_error(actual: torch.Tensor, reference: torch.Tensor) -> float:
    scale = max(1.0, reference.abs().max().item())
    return (actual.double() - reference.double()).abs().max().item() / scale


def write_f32(path: str, tensor: torch.Tensor) -> None:
    array = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4", copy=False)
    with open(path, "wb") as handle:
        handle.write(array.tobytes())


def read_f32(path: str) -> np.ndarray:
    return np.fromfile(path, dtype="<f4")


# ----------------------------------------------------------------------------- per model


def generate(spec: FixtureSpec, out_dir: str) -> dict:
    torch.manual_seed(spec.seed)
    model = create_model(spec)
    depth = len(model.blocks)
    image_size = model.patch_embed.img_size[0]
    patch_size = model.patch_embed.patch_size[0]
    embed_dim = model.embed_dim
    num_heads = model.blocks[0].attn.num_heads
    mlp_hidden = model.blocks[0].mlp.fc1.out_features
    num_classes = model.num_classes

    keys = sorted(model.state_dict().keys())
    if keys != expected_keys(spec, depth):
        raise SystemExit(f"{spec.name}: unexpected state_dict keys {sorted(set(keys) ^ set(expected_keys(spec, depth)))}")

    generator = torch.Generator().manual_seed(spec.seed)
    randomise_trunk(model, spec, generator)

    inputs = {kind: make_input(kind, model, spec, image_size) for kind in spec.inputs}
    with torch.no_grad():
        features = [model.forward_features(x.unsqueeze(0)) for x in inputs.values()]
    head_trials = randomise_head(model, spec, features, generator)

    # The stored state: exactly the (rounded) values the model now holds.
    state = {name: value.detach().clone() for name, value in model.state_dict().items()}
    for name, value in state.items():
        if not torch.equal(round_to_storage(value, spec.dtype), value):
            raise SystemExit(f"{spec.name}: {name} is not representable in {spec.dtype}")
        if name.endswith(".bias") and int((value == 0).sum()) != 0:
            raise SystemExit(f"{spec.name}: {name} has zero entries")

    model_dir = os.path.join(out_dir, spec.name)
    os.makedirs(model_dir, exist_ok=True)
    weights_path = os.path.join(model_dir, "model.safetensors")
    stored = {name: value.to(STORAGE_DTYPES[spec.dtype]).contiguous() for name, value in state.items()}
    safetensors.torch.save_file(stored, weights_path, metadata=dict(spec.metadata))
    os.chmod(weights_path, 0o644)  # save_file creates it 0600

    model64 = create_model(spec).double()
    model64.load_state_dict({k: v.double() for k, v in state.items()}, strict=True)

    summary = dict(
        name=spec.name, params=sum(v.numel() for v in state.values()),
        file_bytes=os.path.getsize(weights_path), head_trials=head_trials,
        max_logit=0.0, min_gap=float("inf"), min_gap_ratio=float("inf"), fp64_error=0.0, block_max=[],
    )
    for kind, chw in inputs.items():
        logits, blocks = run_with_blocks(model, chw)
        tokens = model.num_prefix_tokens + (image_size // patch_size) ** 2  # sequence length, any pos_embed
        assert tuple(blocks.shape) == (depth + 1, tokens, embed_dim), blocks.shape
        assert tuple(logits.shape) == (num_classes or embed_dim,)
        if not (torch.isfinite(logits).all() and torch.isfinite(blocks).all()):
            raise SystemExit(f"{spec.name}/{kind}: non-finite activations")
        gap, required = top_gap(logits) if num_classes else (1.0, 1.0)  # headless: no ranking
        if gap < required:
            raise SystemExit(f"{spec.name}/{kind}: top-5 gap {gap} < {required}")
        features = pooled_features(model, chw)
        assert tuple(features.shape) == (embed_dim,)
        if num_classes == 0 and not torch.equal(features, logits):
            raise SystemExit(f"{spec.name}/{kind}: headless forward is not the pre-logits features")
        fp64_error = relative_error(features, pooled_features(model64, chw.double()))
        logits64, blocks64 = run_with_blocks(model64, chw.double())
        fp64_error = max(fp64_error, relative_error(logits, logits64),
                         max(relative_error(blocks[i], blocks64[i]) for i in range(depth + 1)))
        if spec.write_tokens:
            all_tokens = forward_features(model, chw)
            assert tuple(all_tokens.shape) == (tokens, embed_dim), all_tokens.shape
            fp64_error = max(fp64_error, relative_error(all_tokens, forward_features(model64, chw.double())))
        if fp64_error > FP64_AGREEMENT:
            raise SystemExit(f"{spec.name}/{kind}: fp32 reference is {fp64_error:.2e} from fp64")

        write_f32(os.path.join(model_dir, f"{kind}.in.f32"), chw)
        write_f32(os.path.join(model_dir, f"{kind}.logits.f32"), logits)
        write_f32(os.path.join(model_dir, f"{kind}.blocks.f32"), blocks)
        write_f32(os.path.join(model_dir, f"{kind}.features.f32"), features)
        if spec.write_tokens:
            write_f32(os.path.join(model_dir, f"{kind}.tokens.f32"), all_tokens)

        summary["max_logit"] = max(summary["max_logit"], logits.abs().max().item())
        summary["min_gap"] = min(summary["min_gap"], gap)
        summary["min_gap_ratio"] = min(summary["min_gap_ratio"], gap / required * TOP_GAP_FRACTION)
        summary["fp64_error"] = max(summary["fp64_error"], fp64_error)
        summary["block_max"].append(f"{kind}:" + "/".join(f"{blocks[i].abs().max().item():.1f}" for i in range(depth + 1)))

    summary["manifest"] = [
        spec.name, image_size, patch_size, embed_dim, depth, num_heads, mlp_hidden, num_classes,
        int(spec.distilled), spec.dtype, ",".join(spec.inputs), ",".join(spec.features) or "-",
    ]
    return summary


def verify(spec: FixtureSpec, out_dir: str) -> None:
    """Reload the written files into a fresh timm model (strict) and reproduce them bit for bit."""
    model_dir = os.path.join(out_dir, spec.name)
    weights_path = os.path.join(model_dir, "model.safetensors")
    loaded = safetensors.torch.load_file(weights_path)
    for name, value in loaded.items():
        if value.dtype != STORAGE_DTYPES[spec.dtype]:
            raise SystemExit(f"verify {spec.name}: {name} stored as {value.dtype}")
    with safetensors.safe_open(weights_path, framework="pt") as handle:
        if handle.metadata() != spec.metadata:
            raise SystemExit(f"verify {spec.name}: metadata {handle.metadata()}")
    model = create_model(spec)
    model.load_state_dict({k: v.to(torch.float32) for k, v in loaded.items()}, strict=True)
    for kind in spec.inputs:
        image_size = model.patch_embed.img_size[0]
        chw = torch.from_numpy(read_f32(os.path.join(model_dir, f"{kind}.in.f32")).copy()).reshape(3, image_size, image_size)
        logits, blocks = run_with_blocks(model, chw)
        outputs = [("logits", logits), ("blocks", blocks), ("features", pooled_features(model, chw))]
        if spec.write_tokens:
            outputs.append(("tokens", forward_features(model, chw)))
        for suffix, actual in outputs:
            stored = read_f32(os.path.join(model_dir, f"{kind}.{suffix}.f32"))
            if not np.array_equal(stored, actual.numpy().reshape(-1)):
                raise SystemExit(f"verify {spec.name}/{kind}: {suffix} not reproduced exactly")
        # The distilled eval output is the mean of both heads (timm's forward_head).
        if spec.distilled:
            tokens = blocks[-1].unsqueeze(0)
            with torch.no_grad():
                normed = model.norm(tokens)[0]
                mean_heads = (model.head(normed[0]) + model.head_dist(normed[1])) / 2
            if not torch.equal(mean_heads, logits):
                raise SystemExit(f"verify {spec.name}/{kind}: logits are not (head+head_dist)/2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--verify-only", action="store_true", help="only check existing fixtures")
    parser.add_argument("--only", action="append", default=[],
                        help="(re)generate only this model (repeatable); the other manifest rows are kept")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    if not args.verify_only:
        unknown = set(args.only) - {spec.name for spec in SPECS}
        if unknown:
            raise SystemExit(f"--only: unknown models {sorted(unknown)}")
        chosen = [spec for spec in SPECS if not args.only or spec.name in args.only]
        summaries = [generate(spec, args.out) for spec in chosen]
        rows = {s["name"]: "\t".join(str(column) for column in s["manifest"]) for s in summaries}
        if args.only:  # keep the committed rows of the models not regenerated
            with open(os.path.join(args.out, "manifest.tsv")) as handle:
                for line in handle.read().splitlines()[1:]:
                    rows.setdefault(line.split("\t")[0], line)
        header = ["model", "image_size", "patch_size", "embed_dim", "depth", "num_heads", "mlp_hidden",
                  "num_classes", "distilled", "dtype", "inputs", "features"]
        with open(os.path.join(args.out, "manifest.tsv"), "w", newline="\n") as handle:
            handle.write("\t".join(header) + "\n")
            for spec in SPECS:
                if spec.name in rows:
                    handle.write(rows[spec.name] + "\n")
        log(f"{'model':<24}{'params':>10}{'file bytes':>12}{'max|logit|':>12}{'min top5 gap':>14}"
            f"{'gap/scale':>11}{'fp64 err':>10}{'heads tried':>12}  block max|x|")
        for s in summaries:
            log(f"{s['name']:<24}{s['params']:>10}{s['file_bytes']:>12}{s['max_logit']:>12.3f}"
                f"{s['min_gap']:>14.4f}{s['min_gap_ratio']:>11.4f}{s['fp64_error']:>10.1e}"
                f"{s['head_trials']:>12}  {' '.join(s['block_max'])}")

    for spec in SPECS:
        verify(spec, args.out)
    total = sum(os.path.getsize(os.path.join(root, name))
                for root, _dirs, names in os.walk(args.out) for name in names)
    log(f"verified {len(SPECS)} models: strict reload reproduces every logits/blocks/features file exactly; "
        f"folder size {total} bytes")


if __name__ == "__main__":
    sys.exit(main())
