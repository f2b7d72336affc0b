#!/usr/bin/env python3
"""Generate Tests/Fixtures/attention: timm's attention probabilities for committed conformance
models, captured with a forward hook on each block's `attn.attn_drop` (the softmax output, with
timm's fused attention switched off so the probabilities exist), and the numpy reference rollout
and mean attention distance of those maps (scripts/python/attention_reference.py).

Per case (raw little-endian float32), for the model's `image` input (Tests/Fixtures/conformance):
  <case>.attn.f32      [depth, heads, R, T]  R = T (full maps) or the prefix rows, as attention.tsv says
  <case>.rollout.f32   [T, T]                full-map cases only
  <case>.distance.f32  [depth, heads]        full-map cases only
listed in attention.tsv (case, model, rows: all|prefix, depth, heads, tokens, prefix, patch_size).

    PYTHONPATH=scripts/python .venv/bin/python scripts/python/gen_attention_fixtures.py
"""
import os

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import numpy as np
import safetensors.torch
import torch

import attention_reference
import gen_fixtures

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(SCRIPT_DIR, "..", "..", "Tests", "Fixtures"))
OUT = os.path.join(FIXTURES, "attention")

# (case, conformance model, rows): full maps where T is small, prefix rows for the distilled model.
CASES = [
    ("vit_ragged", "vit_ragged", "all"),
    ("deit3_layerscale_d2", "deit3_layerscale_d2", "all"),
    ("vit_avgpool_fcnorm", "vit_avgpool_fcnorm", "all"),
    ("deit_tiny_distilled_d2", "deit_tiny_distilled_d2", "prefix"),
    ("deit_tiny_d2", "deit_tiny_d2", "prefix"),
]


def attention_maps(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """[depth, heads, T, T] softmax probabilities of every block for input x."""
    captured = []
    hooks = []
    for block in model.blocks:
        block.attn.fused_attn = False
        hooks.append(block.attn.attn_drop.register_forward_hook(lambda _m, _i, out: captured.append(out[0].detach())))
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return torch.stack(captured).numpy()


def main() -> None:
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    specs = {spec.name: spec for spec in gen_fixtures.SPECS}
    rows = []
    for case, name, which in CASES:
        spec = specs[name]
        directory = os.path.join(FIXTURES, "conformance", name)
        model = gen_fixtures.create_model(spec)
        state = {k: v.to(torch.float32) for k, v in safetensors.torch.load_file(os.path.join(directory, "model.safetensors")).items()}
        model.load_state_dict(state, strict=True)
        size = model.patch_embed.img_size[0]
        x = torch.from_numpy(np.fromfile(os.path.join(directory, "image.in.f32"), dtype="<f4").reshape(1, 3, size, size).copy())
        maps = attention_maps(model.eval(), x)
        depth, heads, tokens, _ = maps.shape
        prefix = model.num_prefix_tokens
        patch = model.patch_embed.patch_size[0]
        stored = maps if which == "all" else maps[:, :, :prefix, :]
        stored.astype("<f4").tofile(os.path.join(OUT, f"{case}.attn.f32"))
        if which == "all":
            attention_reference.rollout(maps).astype("<f4").tofile(os.path.join(OUT, f"{case}.rollout.f32"))
            attention_reference.mean_distance(maps, prefix, patch).astype("<f4").tofile(os.path.join(OUT, f"{case}.distance.f32"))
        rows.append([case, name, which, str(depth), str(heads), str(tokens), str(prefix), str(patch)])
        print(f"{case:<24} {which:<6} depth {depth} heads {heads} tokens {tokens} prefix {prefix}")
    with open(os.path.join(OUT, "attention.tsv"), "w", newline="\n") as handle:
        handle.write("case\tmodel\trows\tdepth\theads\ttokens\tprefix\tpatch_size\n")
        for row in rows:
            handle.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
