#!/usr/bin/env python3
"""Generate the "any resolution" fixtures in Tests/Fixtures/resolution.

Two kinds, both from timm 1.0.31 / torch (fp32, one thread):

  resample/  pos_embed resampling alone. A seeded random pos_embed [1, prefix + H*W, D] and timm's
             `resample_abs_pos_embed(posemb, new_size, old_size, num_prefix_tokens,
             interpolation='bicubic', antialias=True)`, as raw little-endian float32:
               <case>.in.f32   [prefix + H*W, D]      <case>.out.f32  [prefix + H'*W', D]
             listed in resample.tsv (case, prefix, dim, old_h, old_w, new_h, new_w).

  models/    a committed conformance model (Tests/Fixtures/conformance/<model>/model.safetensors,
             not copied) run at another image size S'. As timm does when a model is created with
             another img_size: `timm.create_model(arch, img_size=S', ...)`, then the checkpoint's
             state dict through `timm.models.vision_transformer.checkpoint_filter_fn` (which
             resamples pos_embed with resample_abs_pos_embed, bicubic, antialias) and a strict load.
             The stored F16/BF16 tensors are widened to float32 before the filter, as the runtime
             widens them at load, so the resampling runs on the same float32 values. Per case:
               <case>.in.f32      [3, S', S']   seeded random CHW input
               <case>.logits.f32  [num_classes]
             listed in models.tsv (case, model, trained_size, image_size, num_classes). The input
             seed is drawn until the top-6 logits are separated by 1e-2 * max(1, max|logit|), so a
             top-5 comparison is unambiguous at the runtime's 2e-4 tolerance.

Usage: .venv/bin/python scripts/python/gen_resolution_fixtures.py [--out DIR] [--verify-only]
"""

import argparse
import os
import sys

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import numpy as np
import safetensors.torch
import torch

import timm
from timm.layers.pos_embed import resample_abs_pos_embed
from timm.models.vision_transformer import checkpoint_filter_fn

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(SCRIPT_DIR, "..", "..", "Tests", "Fixtures"))
DEFAULT_OUT = os.path.join(FIXTURES, "resolution")
CONFORMANCE = os.path.join(FIXTURES, "conformance")

# (case, prefix tokens, D, old (h, w), new (h, w), seed)
RESAMPLE_CASES = [
    ("g14_to_10_p1", 1, 8, (14, 14), (10, 10), 11),
    ("g14_to_18_p2", 2, 8, (14, 14), (18, 18), 12),
    ("g14_to_24_p1", 1, 8, (14, 14), (24, 24), 13),
    ("g24_to_14_p2", 2, 8, (24, 24), (14, 14), 14),
    ("g7_to_5_p1", 1, 8, (7, 7), (5, 5), 15),
    ("g24_to_10_p1", 1, 8, (24, 24), (10, 10), 16),   # downscale 2.4: sums of 9-10 taps
    ("g6x9_to_10x7_p1", 1, 8, (6, 9), (10, 7), 17),   # non-square, up one axis and down the other
    ("g4_to_6_p3", 3, 8, (4, 4), (6, 6), 18),         # class token + 2 registers kept as they are
]

# The conformance models (their timm constructor arguments, as gen_fixtures.py builds them) and the
# sizes to run them at.
MODELS = {
    "deit_tiny_d2": dict(arch="deit_tiny_patch16_224", kwargs=dict(depth=2, num_classes=1000), trained=224),
    "deit_tiny_384_d1": dict(arch="deit_tiny_patch16_224", kwargs=dict(depth=1, num_classes=10), trained=384),
    # no_embed_class: timm resamples pos_embed with no prefix tokens (checkpoint_filter_fn).
    "deit3_layerscale_d2": dict(arch="deit3_small_patch16_224",
                                kwargs=dict(embed_dim=96, num_heads=4, depth=2, num_classes=21), trained=112),
    # average pooling over the patches: every token of the new grid reaches the head.
    "vit_avgpool_fcnorm": dict(arch="vit_tiny_patch16_224",
                               kwargs=dict(embed_dim=64, num_heads=2, depth=2, num_classes=17,
                                           global_pool="avg", fc_norm=True, qkv_bias=False), trained=96),
    # registers: no class token, no_embed_class (pos_embed resampled without prefix tokens).
    "vit_reg4_gap": dict(arch="vit_base_patch16_reg4_gap_256",
                         kwargs=dict(embed_dim=64, num_heads=2, depth=2, num_classes=11), trained=64),
    # class token + 2 registers, all 3 covered by pos_embed (kept as they are when resampling).
    "vit_reg2_max_norm": dict(arch="vit_tiny_patch16_224",
                              kwargs=dict(embed_dim=64, num_heads=2, depth=1, num_classes=9, reg_tokens=2,
                                          global_pool="max", fc_norm=False), trained=64),
    # CaiT: pos_embed covers the patches only. timm's cait checkpoint_filter_fn does not resample it,
    # so the reference resamples it as ViT's filter does a no-prefix pos_embed (see model_at).
    "cait_xxs24_d2": dict(arch="cait_xxs24_224", kwargs=dict(depth=2, depth_token_only=2, num_classes=100),
                          trained=224),
}
MODEL_CASES = [
    ("deit_tiny_d2_at160", "deit_tiny_d2", 160, 2101),
    ("deit_tiny_d2_at288", "deit_tiny_d2", 288, 2102),
    ("deit_tiny_d2_at384", "deit_tiny_d2", 384, 2103),
    ("deit_tiny_384_d1_at224", "deit_tiny_384_d1", 224, 2104),
    ("deit3_layerscale_d2_at160", "deit3_layerscale_d2", 160, 2105),
    ("vit_avgpool_fcnorm_at128", "vit_avgpool_fcnorm", 128, 2106),
    ("vit_reg4_gap_at96", "vit_reg4_gap", 96, 2107),
    ("vit_reg2_max_norm_at48", "vit_reg2_max_norm", 48, 2108),
    ("cait_xxs24_d2_at160", "cait_xxs24_d2", 160, 2107),
]

TOP_GAP_FRACTION = 1e-2
MAX_INPUT_TRIALS = 200
FP64_AGREEMENT = 2e-5


def log(message: str) -> None:
    print(message, flush=True)


def write_f32(path: str, tensor: torch.Tensor) -> None:
    array = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4", copy=False)
    with open(path, "wb") as handle:
        handle.write(array.tobytes())


def read_f32(path: str) -> np.ndarray:
    return np.fromfile(path, dtype="<f4")


def resample(posemb: torch.Tensor, prefix: int, old, new) -> torch.Tensor:
    return resample_abs_pos_embed(posemb, new_size=list(new), old_size=list(old), num_prefix_tokens=prefix,
                                  interpolation="bicubic", antialias=True)


def model_at(name: str, image_size: int, dtype=torch.float32) -> torch.nn.Module:
    """The conformance model `name` created at `image_size`, its checkpoint loaded through timm's
    checkpoint_filter_fn (pos_embed resampled), in eval mode."""
    spec = MODELS[name]
    model = timm.create_model(spec["arch"], pretrained=False, img_size=image_size, **spec["kwargs"]).eval()
    state = safetensors.torch.load_file(os.path.join(CONFORMANCE, name, "model.safetensors"))
    state = {key: value.to(torch.float32) for key, value in state.items()}
    if spec["arch"].startswith("cait_"):
        grid = model.patch_embed.grid_size
        state["pos_embed"] = resample_abs_pos_embed(state["pos_embed"], new_size=list(grid), num_prefix_tokens=0,
                                                    interpolation="bicubic", antialias=True)
    else:
        state = checkpoint_filter_fn(state, model)
    if dtype != torch.float32:
        model = model.to(dtype)
        state = {key: value.to(dtype) for key, value in state.items()}
    model.load_state_dict(state, strict=True)
    return model


def top_gap(logits: torch.Tensor):
    top = torch.topk(logits, k=min(6, logits.numel())).values
    gaps = top[:-1] - top[1:]
    return gaps.min().item(), TOP_GAP_FRACTION * max(1.0, logits.abs().max().item())


def generate_resample(out_dir: str) -> None:
    os.makedirs(os.path.join(out_dir, "resample"), exist_ok=True)
    rows = []
    for case, prefix, dim, old, new, seed in RESAMPLE_CASES:
        generator = torch.Generator().manual_seed(seed)
        posemb = torch.randn((1, prefix + old[0] * old[1], dim), generator=generator)
        out = resample(posemb, prefix, old, new)
        assert tuple(out.shape) == (1, prefix + new[0] * new[1], dim), out.shape
        assert torch.equal(out[:, :prefix], posemb[:, :prefix])
        write_f32(os.path.join(out_dir, "resample", f"{case}.in.f32"), posemb[0])
        write_f32(os.path.join(out_dir, "resample", f"{case}.out.f32"), out[0])
        rows.append([case, prefix, dim, old[0], old[1], new[0], new[1]])
        log(f"resample {case:<18} max|out| {out.abs().max().item():.3f}")
    with open(os.path.join(out_dir, "resample.tsv"), "w", newline="\n") as handle:
        handle.write("case\tprefix\tdim\told_h\told_w\tnew_h\tnew_w\n")
        for row in rows:
            handle.write("\t".join(str(column) for column in row) + "\n")


def generate_models(out_dir: str) -> None:
    os.makedirs(os.path.join(out_dir, "models"), exist_ok=True)
    rows = []
    for case, name, image_size, seed in MODEL_CASES:
        model = model_at(name, image_size)
        model64 = model_at(name, image_size, torch.float64)
        for trial in range(MAX_INPUT_TRIALS):
            generator = torch.Generator().manual_seed(seed * 1000 + trial)
            chw = torch.randn((3, image_size, image_size), generator=generator)
            with torch.no_grad():
                logits = model(chw.unsqueeze(0))[0].contiguous()
            gap, required = top_gap(logits)
            if gap >= required:
                break
        else:
            raise SystemExit(f"{case}: no input with a separated top-5 after {MAX_INPUT_TRIALS} trials")
        with torch.no_grad():
            logits64 = model64(chw.double().unsqueeze(0))[0]
        fp64_error = (logits.double() - logits64).abs().max().item() / max(1.0, logits64.abs().max().item())
        if fp64_error > FP64_AGREEMENT:
            raise SystemExit(f"{case}: fp32 reference is {fp64_error:.2e} from fp64")
        write_f32(os.path.join(out_dir, "models", f"{case}.in.f32"), chw)
        write_f32(os.path.join(out_dir, "models", f"{case}.logits.f32"), logits)
        rows.append([case, name, MODELS[name]["trained"], image_size, model.num_classes])
        log(f"model {case:<24} S'={image_size} tokens {model.pos_embed.shape[1]} input trials {trial + 1} "
            f"max|logit| {logits.abs().max().item():.3f} top-6 gap {gap:.4f} (>= {required:.4f}) fp64 err {fp64_error:.1e}")
    with open(os.path.join(out_dir, "models.tsv"), "w", newline="\n") as handle:
        handle.write("case\tmodel\ttrained_size\timage_size\tnum_classes\n")
        for row in rows:
            handle.write("\t".join(str(column) for column in row) + "\n")


def verify(out_dir: str) -> None:
    """Recompute every stored output from the stored inputs and compare bit for bit."""
    for case, prefix, dim, old, new, _seed in RESAMPLE_CASES:
        posemb = torch.from_numpy(read_f32(os.path.join(out_dir, "resample", f"{case}.in.f32")).copy())
        out = resample(posemb.reshape(1, -1, dim), prefix, old, new)
        if not np.array_equal(out.numpy().reshape(-1), read_f32(os.path.join(out_dir, "resample", f"{case}.out.f32"))):
            raise SystemExit(f"verify resample {case}: not reproduced exactly")
    for case, name, image_size, _seed in MODEL_CASES:
        model = model_at(name, image_size)
        chw = torch.from_numpy(read_f32(os.path.join(out_dir, "models", f"{case}.in.f32")).copy())
        with torch.no_grad():
            logits = model(chw.reshape(1, 3, image_size, image_size))[0]
        if not np.array_equal(logits.numpy(), read_f32(os.path.join(out_dir, "models", f"{case}.logits.f32"))):
            raise SystemExit(f"verify model {case}: logits not reproduced exactly")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--verify-only", action="store_true", help="only check existing fixtures")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if not args.verify_only:
        generate_resample(args.out)
        generate_models(args.out)
    verify(args.out)
    total = sum(os.path.getsize(os.path.join(root, name)) for root, _dirs, names in os.walk(args.out) for name in names)
    log(f"verified {len(RESAMPLE_CASES)} resampling cases and {len(MODEL_CASES)} model runs exactly; folder size {total} bytes")


if __name__ == "__main__":
    sys.exit(main())
