"""Exposure: clipped highlights and shadows, and brightness against the histogram.

Clipping is counted per pixel on the colour image: a pixel whose brightest channel sits at 255
(or 254, JPEG rounding) has lost highlight detail even when its luma does not show it, as in a
blown red sky; a pixel whose brightest channel is at 0–2 is crushed black. Brightness is read
from the luma histogram, not the mean alone: a low-key photo with a bright subject is not
underexposed, so the upper percentiles decide together with the median.

Shares are fractions of the frame, so they do not depend on the image size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Exposure", "measure_exposure"]

_HIGHLIGHT_LEVEL = 254
_SHADOW_LEVEL = 2
# Clipped share (0–1) that costs nothing, and share at which the exposure score reaches 0.
_CLIP_FREE = 0.01
_CLIP_RUINED = 0.25
# Median luma (0–1) outside which a frame starts to read as under / overexposed.
_DARK_MEDIAN = 0.35
_BRIGHT_MEDIAN = 0.70
# A dark frame whose brightest 2 % stay below this never reached a highlight: underexposed.
_DARK_TOP = 0.80
# A bright frame whose darkest 5 % are above this has no shadows: overexposed.
_BRIGHT_BOTTOM = 0.28


@dataclass(frozen=True, slots=True)
class Exposure:
    """Exposure measures. Shares and brightness are 0–1; ``score`` 1 = well exposed … 0.

    ``verdict`` is "ok", "underexposed" or "overexposed".
    """

    score: float
    brightness: float
    median: float
    highlights_clipped: float
    shadows_clipped: float
    verdict: str


def _ramp(value: float, start: float, end: float) -> float:
    """0 at ``start``, 1 at ``end``, clamped."""
    return float(np.clip((value - start) / (end - start), 0.0, 1.0))


def measure_exposure(rgb: NDArray[np.uint8]) -> Exposure:
    """Exposure of an RGB uint8 image (any size; a small copy is enough)."""
    if rgb.ndim == 3:
        red, green, blue = cv2.split(rgb)
        brightest = cv2.max(cv2.max(red, green), blue)
    else:
        brightest = rgb
    total = float(brightest.size)
    hist_max = cv2.calcHist([brightest], [0], None, [256], [0, 256]).ravel()
    highlights = float(hist_max[_HIGHLIGHT_LEVEL:].sum()) / total
    shadows = float(hist_max[: _SHADOW_LEVEL + 1].sum()) / total

    luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    hist = cv2.calcHist([luma], [0], None, [256], [0, 256]).ravel().astype(np.float64)
    cdf = np.cumsum(hist) / hist.sum()
    p05, median, p98 = (float(np.searchsorted(cdf, q)) / 255.0 for q in (0.05, 0.5, 0.98))
    brightness = float((hist * np.arange(256)).sum() / hist.sum()) / 255.0

    # Darkness counts only when the top of the histogram is dark too (nothing reached white).
    under = min(_ramp(-median, -_DARK_MEDIAN, -0.05), _ramp(-p98, -_DARK_TOP, -0.4)) * 2.0
    over = min(_ramp(median, _BRIGHT_MEDIAN, 0.85), _ramp(p05, _BRIGHT_BOTTOM, 0.5)) * 2.0
    clip_penalty = _ramp(highlights, _CLIP_FREE, _CLIP_RUINED) + 0.5 * _ramp(
        shadows, 2 * _CLIP_FREE, 2 * _CLIP_RUINED
    )
    score = float(np.clip(1.0 - max(under, over) - clip_penalty, 0.0, 1.0))
    verdict = "ok"
    if under >= 0.25 and under >= over:
        verdict = "underexposed"
    elif over >= 0.25 or (highlights >= 0.10 and median >= 0.6):
        verdict = "overexposed"
    return Exposure(
        score=score,
        brightness=brightness,
        median=median,
        highlights_clipped=highlights,
        shadows_clipped=shadows,
        verdict=verdict,
    )
