#!/usr/bin/env python3
"""The 900-photo accuracy check (scripts/check-accuracy.sh) for ONNX Runtime on the same DeiT-Ti.

Each JPEG goes through timm's own eval transform for deit_tiny_patch16_224 (PIL decode, Resize 248
bicubic, CenterCrop 224, ImageNet mean/std) and an ONNX Runtime session on the given export — the
f32 export or its dynamic int8 quantisation (scripts/python/quantize_onnx.py) — and its top-1 is
compared with timm's f32 top-1 and the true class in timm-reference-top5.tsv, printed in the same
lines as check-accuracy.sh prints for deit. Run in the project's .venv (torch, timm, onnxruntime).

  ort_accuracy.py --onnx M.onnx --sample ../shared/data/imagenet-sample [--label NAME] [--threads N]
"""

import argparse
import os

import numpy as np
import onnxruntime as ort
from PIL import Image

import torchvision_stubs  # noqa: F401  (must precede timm: see that module)
import timm
import timm.data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--sample", required=True, help="directory with the photos and timm-reference-top5.tsv")
    parser.add_argument("--label", default="ONNX Runtime")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    model = timm.create_model("deit_tiny_patch16_224", pretrained=False)
    transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model), is_training=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name

    agree = correct = timm_correct = n = 0
    with open(os.path.join(args.sample, "timm-reference-top5.tsv")) as reference:
        for line in reference:
            if not line.strip():
                continue
            file, truth, top5, _ = line.rstrip("\n").split("\t")
            truth, timm_top1 = int(truth), int(top5.split(",")[0])
            image = Image.open(os.path.join(args.sample, file)).convert("RGB")
            x = transform(image).unsqueeze(0).numpy().astype(np.float32)
            top1 = int(np.argmax(session.run(None, {input_name: x})[0].reshape(-1)))
            n += 1
            agree += top1 == timm_top1
            correct += top1 == truth
            timm_correct += timm_top1 == truth
    print(f"{args.label}: photos {n}")
    print(f"{args.label}: top-1 agreement with timm   {agree}/{n} = {100 * agree / n:.2f} %")
    print(f"{args.label}: top-1 accuracy              {correct}/{n} = {100 * correct / n:.2f} % (timm {timm_correct}/{n})")


if __name__ == "__main__":
    main()
