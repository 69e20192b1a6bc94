"""Sensor noise and JPEG blockiness, measured on the canonical grey copy.

Noise uses Immerkær's fast estimator ("Fast Noise Variance Estimation", CVIU 1996): the mask
below is orthogonal to local planes, so on flat areas its response is noise alone. Texture also
answers it, so only the smoothest half of the pixels (by gradient) is counted; otherwise a sharp,
detailed photo would read as a noisy one.

Both numbers are in 8-bit grey levels / plain ratios of the canonical copy, which has a fixed
long edge, so the same scene gives the same value whatever the analysis size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["NoiseLevel", "blockiness", "blockiness_score", "measure_noise"]

_SECOND = np.array([1, -2, 1], dtype=np.float32)
# Every n-th row (column) is enough to average steps per column (row) for blockiness.
_BLOCK_STRIDE = 4
# σ (grey levels of the 1,024 px copy, where downscaling has already averaged some noise
# away) below which noise is invisible, and at which it ruins a print.
_CLEAN_SIGMA = 1.0
_RUINED_SIGMA = 5.0
# JPEG blocks are 8 px; a ratio of boundary to interior steps above this means visible blocks.
_BLOCK = 8
_BLOCK_VISIBLE = 1.15
_BLOCK_RUINED = 1.8


@dataclass(frozen=True, slots=True)
class NoiseLevel:
    """Noise of one image: ``sigma`` in grey levels, ``score`` 1 = clean … 0 = very noisy."""

    sigma: float
    score: float


def measure_noise(grey: NDArray[np.uint8]) -> NoiseLevel:
    """Estimate the standard deviation of additive noise on flat areas of ``grey``."""
    # 8-bit saturated magnitudes are enough: only flat pixels are counted, and their responses
    # are far below 255. Integer OpenCV kernels keep this to a few milliseconds.
    # The mask is the outer product of [1, -2, 1] with itself; separable filtering is 4× faster.
    response = cv2.convertScaleAbs(cv2.sepFilter2D(grey, cv2.CV_16S, _SECOND, _SECOND))[1:-1, 1:-1]
    gx = cv2.convertScaleAbs(cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3))
    gy = cv2.convertScaleAbs(cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3))
    energy = cv2.add(gx, gy)[1:-1, 1:-1]
    # A sample of pixels sets the threshold: the exact median is not needed and a full
    # partition of a megapixel costs more than the rest of the estimate.
    threshold = float(np.median(energy[::7, ::7]))
    # 255 where the gradient is at or below the median: the flat half of the frame.
    _, flat = cv2.threshold(energy, threshold, 255, cv2.THRESH_BINARY_INV)
    count = cv2.countNonZero(flat)
    if count == 0:
        return NoiseLevel(sigma=0.0, score=1.0)
    total = float(cv2.sumElems(cv2.bitwise_and(response, flat))[0])
    sigma = math.sqrt(math.pi / 2.0) * total / (6.0 * count)
    score = 1.0 - (sigma - _CLEAN_SIGMA) / (_RUINED_SIGMA - _CLEAN_SIGMA)
    return NoiseLevel(sigma=sigma, score=float(np.clip(score, 0.0, 1.0)))


def blockiness(grey: NDArray[np.uint8]) -> float:
    """Ratio of grey steps across 8-px block boundaries to steps inside blocks (≈1 = none).

    Meaningful only on pixels still on the JPEG grid (the analysis image as decoded, not a
    resized copy).
    """
    h, w = grey.shape
    if h < 4 * _BLOCK or w < 4 * _BLOCK:
        return 1.0
    rows = grey[::_BLOCK_STRIDE]
    cols = grey[:, ::_BLOCK_STRIDE]
    dx = cv2.absdiff(rows[:, 1:], rows[:, :-1]).mean(axis=0, dtype=np.float32)
    dy = cv2.absdiff(cols[1:], cols[:-1]).mean(axis=1, dtype=np.float32)
    ratios = []
    for steps in (dx, dy):
        at_edge = steps[_BLOCK - 1 :: _BLOCK]
        inside = np.delete(steps, np.s_[_BLOCK - 1 :: _BLOCK])
        ratios.append(float(at_edge.mean()) / max(float(inside.mean()), 1e-3))
    return float(np.mean(ratios))


def blockiness_score(ratio: float) -> float:
    """1 = no visible JPEG blocks … 0 = blocks dominate."""
    score = 1.0 - (ratio - _BLOCK_VISIBLE) / (_BLOCK_RUINED - _BLOCK_VISIBLE)
    return float(np.clip(score, 0.0, 1.0))
