"""numpy reference for deit's attention analysis (Sources/DeiTRuntime/Execution/AttentionAnalysis.swift,
include/deit.h "Attention"), from full attention maps [blocks, heads, T, T].

  rollout(maps)                         Abnar & Zuidema's attention rollout as in ViT's Appendix D.8:
                                        A_b = (mean_h attn_b + I), rows renormalised; A_last ... A_0.
  mean_distance(maps, prefix, patch)    ViT's Appendix D.7: per block and head, for each patch query
                                        the attention-weighted distance (pixels) to the patch keys,
                                        averaged over the patch queries.
"""
import numpy as np


def rollout(maps: np.ndarray) -> np.ndarray:
    maps = maps.astype(np.float64)
    tokens = maps.shape[-1]
    result = np.eye(tokens)
    for block in maps:
        fused = block.mean(axis=0) + np.eye(tokens)
        fused = fused / fused.sum(axis=-1, keepdims=True)
        result = fused @ result
    return result


def mean_distance(maps: np.ndarray, prefix: int, patch_size: int) -> np.ndarray:
    maps = maps.astype(np.float64)
    patches = maps.shape[-1] - prefix
    side = int(round(patches ** 0.5))
    assert side * side == patches
    ys, xs = np.divmod(np.arange(patches), side)
    distance = np.sqrt((ys[:, None] - ys[None, :]) ** 2 + (xs[:, None] - xs[None, :]) ** 2) * patch_size
    weights = maps[:, :, prefix:, prefix:]                      # [blocks, heads, queries, keys]
    return (weights * distance).sum(axis=-1).mean(axis=-1)      # [blocks, heads]
