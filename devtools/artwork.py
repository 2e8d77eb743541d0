"""Generate the show's license-clean cover art (3000x3000 JPEG) with Pillow.

    python -m devtools.artwork assets/cover.jpg
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = 3000


def make_cover(path: Path, title: str = "AI WEEKLY", subtitle: str = "COMPUTE · WEB3 · NEWS") -> None:
    img = Image.new("RGB", (SIZE, SIZE))
    px = img.load()
    for y in range(0, SIZE, 4):  # diagonal gradient, painted in 4x4 blocks
        for x in range(0, SIZE, 4):
            t = (x + y) / (2 * SIZE)
            c = (int(20 + 40 * t), int(30 + 60 * (1 - t)), int(90 + 120 * t))
            for dy in range(4):
                for dx in range(4):
                    px[x + dx, y + dy] = c
    draw = ImageDraw.Draw(img)
    cx = cy = SIZE // 2
    for r in range(300, 1400, 110):  # sound-wave rings
        w = 18 if r % 220 else 8
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(255, 255, 255, 60), width=w)
    for i in range(48):  # waveform bars
        h = int(220 + 200 * abs(math.sin(i * 0.55)))
        x = 420 + i * 45
        draw.rectangle([x, cy + 650 - h // 2, x + 26, cy + 650 + h // 2], fill=(255, 196, 0))
    big = ImageFont.load_default(size=380)
    small = ImageFont.load_default(size=150)
    draw.text((cx, cy - 300), title, font=big, fill="white", anchor="mm")
    draw.text((cx, cy + 120), subtitle, font=small, fill=(230, 230, 255), anchor="mm")
    img.save(path, "JPEG", quality=88, optimize=True)


if __name__ == "__main__":
    make_cover(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/cover.jpg"))
