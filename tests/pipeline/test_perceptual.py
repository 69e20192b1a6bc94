"""Perceptual hashes survive resizing and re-encoding, and tell different scenes apart."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from photoq.pipeline.hashes.perceptual import hamming, perceptual_hashes

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
LABELLED = Path(__file__).resolve().parents[2].parent / "shared" / "labelled"


def _load(path: Path, edge: int = 1536) -> np.ndarray:
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with Image.open(path) as src:
        im = ImageOps.exif_transpose(src).convert("RGB")
        im.thumbnail((edge, edge))
        return np.asarray(im)


def _reencode(pixels: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


SCENES = [
    LABELLED / "blur" / "sharp" / "0_IPHONE-SE_S.JPG",
    LABELLED / "blur" / "sharp" / "10_ASUS-ZENFONE-LIVE-ZB501KL_S.jpg",
    LABELLED / "blur" / "sharp" / "176_HONOR-7X_S.jpg",
    CORPUS / "recurser+exif-orientation-examples" / "Landscape_1.jpg",
]


def test_hash_format_and_hamming() -> None:
    hashes = perceptual_hashes(np.zeros((64, 64, 3), np.uint8))
    assert len(hashes.dhash) == 16
    assert len(hashes.phash) == 16
    assert hamming("0" * 16, "f" * 16) == 64
    assert hamming("0123456789abcdef", "0123456789abcdef") == 0
    with pytest.raises(ValueError, match="16 hex"):
        hamming("abc", "0" * 16)


@pytest.mark.parametrize("path", SCENES, ids=lambda p: p.name)
def test_resize_and_reencode_keep_hashes_close(path: Path) -> None:
    big = _load(path, 1600)
    small = _load(path, 1000)
    copy = _reencode(small, 40)
    ref = perceptual_hashes(big)
    for variant in (perceptual_hashes(small), perceptual_hashes(copy)):
        assert hamming(ref.dhash, variant.dhash) <= 6
        assert hamming(ref.phash, variant.phash) <= 6


def test_different_scenes_are_far_apart() -> None:
    hashes = [perceptual_hashes(_load(p)) for p in SCENES]
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            assert hamming(hashes[i].dhash, hashes[j].dhash) >= 16
            assert hamming(hashes[i].phash, hashes[j].phash) >= 16
