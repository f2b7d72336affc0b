#!/usr/bin/env python3
"""Export a DeiT / ViT checkpoint to ONNX for the ONNX Runtime comparison (scripts/bench-vs-ort.sh).

The model is built by timm (eval mode, fp32) and, when a safetensors checkpoint is given, loaded
with exactly those weights, so ONNX Runtime and deit run the same network. Without a checkpoint a
seeded random-init model of the named architecture is exported (the speed does not depend on the
values) and, with --safetensors-out, its weights are written for deit too.

  export_onnx.py --arch deit_tiny_patch16_224 [--weights W.safetensors] --out model.onnx
                 [--safetensors-out W.safetensors] [--dynamic-batch]

--dynamic-batch makes the batch axis of the input and the logits dynamic (ONNX Runtime then takes
N×3×S×S), for the batch comparison (scripts/bench-vs-ort.sh --batch-mode).
"""

import argparse
import sys

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)

import safetensors.torch
import timm
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="deit_tiny_patch16_224", help="timm architecture name")
    parser.add_argument("--weights", help="safetensors checkpoint with timm's parameter names")
    parser.add_argument("--out", required=True, help="ONNX file to write")
    parser.add_argument("--safetensors-out", help="also write the (random-init) weights here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dynamic-batch", action="store_true", help="a dynamic batch axis (input and logits)")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = timm.create_model(args.arch, pretrained=False).eval()
    if args.weights:
        state = safetensors.torch.load_file(args.weights)
        missing, unexpected = model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        if missing or unexpected:
            sys.exit(f"export_onnx: {args.weights} does not match {args.arch}: "
                     f"missing {missing[:5]}, unexpected {unexpected[:5]}")
    elif args.safetensors_out:
        safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                                    args.safetensors_out)

    size = model.default_cfg.get("input_size", (3, 224, 224))
    example = torch.randn(1, *size)
    with torch.no_grad():
        dynamic = {"input": {0: "batch"}, "logits": {0: "batch"}} if args.dynamic_batch else None
        torch.onnx.export(model, (example,), args.out, input_names=["input"], output_names=["logits"],
                          opset_version=17, dynamo=False, dynamic_axes=dynamic)
    print(f"export_onnx: {args.arch} → {args.out}")


if __name__ == "__main__":
    main()
