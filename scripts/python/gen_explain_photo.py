#!/usr/bin/env python3
"""Generate Tests/Fixtures/images/explain_ball_320x240.png, the committed test photo of
`deit-cli explain`: an orange ball (with a highlight) on grey noise, and its box (x0 y0 x1 y1 in the
photo's pixels) in explain_ball_320x240.box. The real DeiT-Ti (../shared) calls it a ping-pong ball,
and Tests/cli/explain_check.py requires the rollout heat-map's peak inside the box.

    .venv/bin/python scripts/python/gen_explain_photo.py
"""
import os

import numpy as np
from PIL import Image, ImageDraw

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "images")
BOX = (170, 110, 250, 190)


def main() -> None:
    rng = np.random.default_rng(7)
    # Grey noise in 4×4 blocks (a texture that compresses: the file stays small).
    noise = Image.fromarray(rng.normal(120, 12, (60, 80, 3)).clip(0, 255).astype("uint8"))
    image = noise.resize((320, 240), Image.NEAREST)
    draw = ImageDraw.Draw(image)
    draw.ellipse(BOX, fill=(235, 120, 20))
    draw.ellipse((190, 125, 215, 150), fill=(255, 200, 120))
    image.save(os.path.join(OUT, "explain_ball_320x240.png"))
    with open(os.path.join(OUT, "explain_ball_320x240.box"), "w") as handle:
        handle.write(" ".join(str(v) for v in BOX) + "\n")


if __name__ == "__main__":
    main()
