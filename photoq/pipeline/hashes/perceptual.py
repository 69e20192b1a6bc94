"""Perceptual hashes (dHash, pHash) of an analysis-size image, for near-duplicate grouping.

Both hashes are 64 bits, written as 16 lowercase hex digits, and compared with :func:`hamming`.
They are computed on a small grey copy: shrinking first costs ≈2 ms instead of ≈40 ms on the
full analysis image, and the hashes only look at an 8×8 / 32×32 summary anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["PerceptualHashes", "dhash", "grey_thumbnail", "hamming", "perceptual_hashes", "phash"]

# Long edge of the grey working copy. Large enough that the 32×32 pHash input is an average over
# many pixels (robust to JPEG noise), small enough to be cheap.
_WORK_EDGE = 256
_HEX_DIGITS = 16


@dataclass(frozen=True, slots=True)
class PerceptualHashes:
    """The perceptual hashes of one image, each 16 hex digits (64 bits)."""

    dhash: str
    phash: str

    def to_dict(self) -> dict[str, str]:
        return {"dhash": self.dhash, "phash": self.phash}


def _check_pixels(pixels: NDArray[np.uint8]) -> None:
    if pixels.ndim not in (2, 3) or pixels.shape[0] < 2 or pixels.shape[1] < 2:
        msg = f"expected an H×W×3 image of at least 2×2 pixels, got shape {pixels.shape}"
        raise ValueError(msg)
    if pixels.dtype != np.uint8:
        msg = f"expected uint8 pixels, got {pixels.dtype}"
        raise ValueError(msg)


def grey_thumbnail(pixels: NDArray[np.uint8], edge: int = _WORK_EDGE) -> NDArray[np.uint8]:
    """A grey copy whose long edge is at most ``edge`` pixels (area-averaged)."""
    _check_pixels(pixels)
    h, w = pixels.shape[:2]
    scale = edge / max(h, w)
    small = pixels
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    if small.ndim == 3:
        return np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    return np.asarray(small, dtype=np.uint8)


def _bits_to_hex(bits: NDArray[np.bool_]) -> str:
    value = 0
    for bit in bits.ravel():
        value = (value << 1) | int(bit)
    return f"{value:0{_HEX_DIGITS}x}"


def dhash(grey: NDArray[np.uint8]) -> str:
    """Difference hash: is each of 8×8 cells brighter than its right-hand neighbour."""
    cells = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    return _bits_to_hex(cells[:, 1:] > cells[:, :-1])


def phash(grey: NDArray[np.uint8]) -> str:
    """DCT hash: the 8×8 lowest frequencies of a 32×32 copy, each above or below their median."""
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8]
    # The DC term is the mean brightness; leaving it out of the median keeps a global
    # exposure change from flipping bits.
    median = float(np.median(low.ravel()[1:]))
    return _bits_to_hex(low > median)


def perceptual_hashes(pixels: NDArray[np.uint8]) -> PerceptualHashes:
    """dHash and pHash of an oriented RGB (or grey) uint8 image."""
    grey = grey_thumbnail(pixels)
    return PerceptualHashes(dhash=dhash(grey), phash=phash(grey))


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two 16-hex-digit hashes."""
    if len(a) != _HEX_DIGITS or len(b) != _HEX_DIGITS:
        msg = f"hashes must be {_HEX_DIGITS} hex digits, got {a!r} and {b!r}"
        raise ValueError(msg)
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        msg = f"hashes must be hexadecimal, got {a!r} and {b!r}"
        raise ValueError(msg) from None
