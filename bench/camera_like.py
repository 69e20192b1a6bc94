"""Camera-like 24 MP JPEGs for the benchmarks, made from real corpus photos (never committed).

A real photo upscaled, with sensor-like grain and fine texture, so that the file carries the
entropy of a camera JPEG (~10 MB at q95) rather than the smoothness of an upscale; its EXIF is
kept, with Orientation 1.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT.parent / "shared/corpus/hdkai+Raw-IO/test/media/group").glob("*.jpg"))
SIZE = (6000, 4000)


def make_photos(out: Path, count: int, *, seed: int = 7) -> list[Path]:
    """``count`` photos in ``out`` (reused across runs when already there)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        path = out / f"photo_{i:02d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        with Image.open(SOURCES[i % len(SOURCES)]) as src:
            exif = src.getexif()
            big = np.asarray(src.convert("RGB").resize(SIZE, Image.Resampling.BICUBIC))
        grain = rng.normal(0, 6, (SIZE[1], SIZE[0], 1)).astype(np.float32)
        texture = rng.normal(0, 4, (SIZE[1] // 2, SIZE[0] // 2, 3)).astype(np.float32)
        texture = np.asarray(cv2.resize(texture, SIZE, interpolation=cv2.INTER_LINEAR), np.float32)
        pixels = np.clip(big.astype(np.float32) + grain + texture, 0, 255).astype(np.uint8)
        exif[0x0112] = 1
        Image.fromarray(pixels).save(path, quality=95, exif=exif.tobytes())
    return paths
