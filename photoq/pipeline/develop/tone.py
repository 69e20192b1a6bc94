"""Global tone controls, folded into one 256-entry lookup table per channel.

Every global tone control maps an input level to an output level independently of the pixel's
neighbours, so the whole stack is computed once on the 256 possible values (in float64, cheap)
and applied to the picture with a single ``cv2.LUT`` on uint8. Order, as in Lightroom:

1. **white balance and exposure** in *linear light*: the level is decoded from sRGB, multiplied
   by the channel's white-balance gain and by ``2 ** exposure`` (+1 = one stop = twice the light),
   clipped at white and re-encoded to sRGB;
2. **whites / blacks** move the two ends (weights ``y³`` and ``(1 − y)³``; ±100 shifts the end
   by ±0.15 of the range, so whites +100 clips the brightest tones, blacks −100 crushes the
   darkest);
3. **highlights / shadows**: a bump centred on the highlights (peak at 80 % grey) or the shadows
   (peak at 20 %); ±100 moves the peak tone by ±0.15. Lightroom's versions are locally adaptive;
   these are their global approximations;
4. **contrast**: an S-curve pivoting on middle grey (+100 steepens the midtones ×1.5,
   −100 flattens them ×0.5), ends fixed;
5. the **point curve** (``ToneCurvePV2012``), then the per-channel **red/green/blue curves**,
   each a monotone cubic (Fritsch–Carlson) through the given points, flat beyond the end points.

Steps 2–4 are forced monotone so a strong combination can never invert tones.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from photoq.pipeline.presets.model import IDENTITY_CURVE, Curve, DevelopSettings

FloatArray = NDArray[np.float64]
LEVELS = np.arange(256, dtype=np.float64) / 255.0
END_SHIFT = 0.15  # whites/blacks at ±100 move the end tones by this fraction of the range
BUMP_SHIFT = 0.15  # highlights/shadows at ±100 move their peak tone by this much
CONTRAST_SLOPE = 0.5  # contrast ±100 changes the midtone slope by ±50 %
_BUMP_PEAK = 0.8**4 * 0.2  # max of y⁴(1 − y), at y = 0.8


def srgb_to_linear(x: FloatArray) -> FloatArray:
    """sRGB-encoded values in 0…1 to linear light (IEC 61966-2-1)."""
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: FloatArray) -> FloatArray:
    """Linear light in 0…1 to sRGB encoding."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def tone_is_neutral(s: DevelopSettings, gains: tuple[float, float, float]) -> bool:
    """Whether the tone stage would leave every level as it is."""
    curves = (s.tone_curve, s.tone_curve_red, s.tone_curve_green, s.tone_curve_blue)
    sliders = (s.exposure, s.contrast, s.highlights, s.shadows, s.whites, s.blacks)
    return (
        not any(sliders) and all(g == 1.0 for g in gains) and all(_is_identity(c) for c in curves)
    )


def tone_lut(s: DevelopSettings, gains: tuple[float, float, float]) -> NDArray[np.uint8]:
    """The (256, 1, 3) uint8 table for ``cv2.LUT`` on an RGB image (R, G, B order)."""
    master = curve_function(s.tone_curve)
    per_channel = (s.tone_curve_red, s.tone_curve_green, s.tone_curve_blue)
    out = np.empty((256, 1, 3), dtype=np.uint8)
    for c, (gain, curve) in enumerate(zip(gains, per_channel, strict=True)):
        y = LEVELS
        if gain != 1.0 or s.exposure:
            y = linear_to_srgb(srgb_to_linear(y) * gain * 2.0**s.exposure)
        y = basic_tone(y, s)
        y = curve_function(curve)(master(y))
        out[:, 0, c] = np.clip(np.rint(y * 255.0), 0, 255).astype(np.uint8)
    return out


def basic_tone(y: FloatArray, s: DevelopSettings) -> FloatArray:
    """Whites, blacks, highlights, shadows and contrast on display-referred values in 0…1."""
    if not (s.whites or s.blacks or s.highlights or s.shadows or s.contrast):
        return y
    out = y + END_SHIFT * (s.whites / 100) * y**3 + END_SHIFT * (s.blacks / 100) * (1 - y) ** 3
    out = out + BUMP_SHIFT * (s.highlights / 100) * (y**4 * (1 - y)) / _BUMP_PEAK
    out = out + BUMP_SHIFT * (s.shadows / 100) * ((1 - y) ** 4 * y) / _BUMP_PEAK
    slope = CONTRAST_SLOPE * s.contrast / 100
    out = out - slope / (2 * np.pi) * np.sin(2 * np.pi * np.clip(out, 0, 1))
    return np.clip(np.maximum.accumulate(out), 0.0, 1.0)


def curve_function(points: Curve) -> _Curve:
    """A callable mapping 0…1 to 0…1 through the curve's points (given in 0…255)."""
    return _Curve(points)


class _Curve:
    """Monotone cubic (Fritsch–Carlson) interpolation through a tone curve's points."""

    def __init__(self, points: Curve) -> None:
        self.identity = _is_identity(points)
        self.x = np.array([p[0] for p in points], dtype=np.float64) / 255.0
        self.y = np.array([p[1] for p in points], dtype=np.float64) / 255.0
        self.m = _slopes(self.x, self.y)

    def __call__(self, v: FloatArray) -> FloatArray:
        if self.identity:
            return v
        x, y, m = self.x, self.y, self.m
        v = np.clip(v, x[0], x[-1])  # flat beyond the end points, as in Lightroom
        i = np.clip(np.searchsorted(x, v, side="right") - 1, 0, len(x) - 2)
        h = x[i + 1] - x[i]
        t = (v - x[i]) / h
        h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
        h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
        result = h00 * y[i] + h10 * h * m[i] + h01 * y[i + 1] + h11 * h * m[i + 1]
        return np.asarray(result, dtype=np.float64)


def _slopes(x: FloatArray, y: FloatArray) -> FloatArray:
    delta = np.diff(y) / np.diff(x)
    m = np.empty_like(x)
    m[0], m[-1] = delta[0], delta[-1]
    m[1:-1] = (delta[:-1] + delta[1:]) / 2
    for k, d in enumerate(delta):  # Fritsch–Carlson: no overshoot between points
        if d == 0:
            m[k] = m[k + 1] = 0.0
            continue
        a, b = m[k] / d, m[k + 1] / d
        if a < 0 or b < 0:
            m[k] = max(m[k], 0.0) if d > 0 else min(m[k], 0.0)
            m[k + 1] = max(m[k + 1], 0.0) if d > 0 else min(m[k + 1], 0.0)
            a, b = m[k] / d, m[k + 1] / d
        norm = a * a + b * b
        if norm > 9:
            tau = 3 / np.sqrt(norm)
            m[k], m[k + 1] = tau * a * d, tau * b * d
    return m


def _is_identity(points: Curve) -> bool:
    return tuple(points) == IDENTITY_CURVE or (
        all(x == y for x, y in points) and (points[0][0] == 0 and points[-1][0] == 255)
    )
