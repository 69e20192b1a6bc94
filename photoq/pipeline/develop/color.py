"""Global colour controls on uint8 RGB: white balance, saturation, vibrance, HSL, grayscale.

Reference behaviour:

* **Temperature / tint** (rendered files): a relative shift, Lightroom's *IncrementalTemperature*
  and *IncrementalTint*. ±100 multiplies red by ``2**±0.5`` and blue by ``2**∓0.5`` in linear
  light (tint: green by ``2**∓0.5``, + = magenta), normalised so a grey keeps its luminance. The
  gains are folded into the tone lookup table (:func:`white_balance_gains`).
  An **absolute** ``Temperature`` in kelvin cannot be honoured on a file whose white balance is
  already baked in (a RAW file is instead demosaiced at it, see
  :mod:`photoq.pipeline.decode.white_balance`, and the export task leaves it out here); photoq
  assumes the file was balanced for daylight (:data:`REFERENCE_KELVIN`) and shifts by the difference
  in mireds (100 incremental units = 100 mired; 6500 K ≈ +28, 3200 K ≈ −131, clamped to ±150).
  A value below 2000 cannot be a colour temperature: it is
  read as an offset in kelvin from the reference (hand-written presets use ``+400`` that way).
  An absolute ``Tint`` is applied as an incremental one.
* **Saturation**: ``out = luma + (1 + s/100)·(rgb − luma)``; −100 gives a grey of the same luma.
* **Vibrance**: in HSV, saturation ``S → S·(1 + v/100·(1 − S))``: muted pixels move most,
  fully saturated ones not at all.
* **HSL, eight bands** (red 0°, orange 30°, yellow 60°, green 120°, aqua 180°, blue 240°,
  purple 270°, magenta 300°), each pixel weighted between its two nearest band centres:
  hue ±100 turns the band by ±30°, saturation −100 removes its colour (+100 doubles it),
  luminance ±100 scales brightness by ``1 ± 0.6·S`` (grey pixels, S = 0, are untouched).
  A band at 0 leaves hues outside its neighbours exactly alone: a red shift never moves blue.
* **ConvertToGrayscale**: Rec. 709 luma in all three channels (the B&W mixer is not rendered).

Everything here runs as OpenCV uint8 operations with 256-entry lookup tables: no float image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from photoq.pipeline.bands import per_band

if TYPE_CHECKING:
    from photoq.pipeline.presets import DevelopSettings

# uint8 RGB (H, W, 3). cv2's stubs type every result loosely, hence Any for the dtype.
Image = NDArray[Any]
Table = NDArray[np.uint8]
REFERENCE_KELVIN = 5500.0
WB_STOPS = 0.5  # ±100 temperature/tint moves a channel by this many stops
HUE_SHIFT_DEG = 30.0
LUMA_SPAN = 0.6
BAND_CENTRES = np.array([0, 30, 60, 120, 180, 240, 270, 300], dtype=np.float64)
_LUMA = (0.2126, 0.7152, 0.0722)


def relative_white_balance(s: DevelopSettings) -> tuple[float, float]:
    """(temperature, tint) as incremental shifts, absolute values converted (module doc)."""
    temperature, tint = s.incremental_temperature, s.incremental_tint
    if s.temperature is not None:
        kelvin = s.temperature if s.temperature >= 2000 else REFERENCE_KELVIN + s.temperature
        shift = 1e6 / REFERENCE_KELVIN - 1e6 / max(kelvin, 1000.0)
        temperature += float(np.clip(shift, -150.0, 150.0))
    if s.tint is not None:
        tint += s.tint
    return temperature, tint


def white_balance_gains(temperature: float, tint: float) -> tuple[float, float, float]:
    """Linear-light (R, G, B) gains of a relative temperature/tint shift, luminance kept."""
    if not temperature and not tint:
        return (1.0, 1.0, 1.0)
    r = 2.0 ** (WB_STOPS * temperature / 100)
    b = 2.0 ** (-WB_STOPS * temperature / 100)
    g = 2.0 ** (-WB_STOPS * tint / 100)
    norm = _LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b
    return (r / norm, g / norm, b / norm)


def grayscale(img: Image) -> Image:
    """Rec. 709-weighted luma copied to R, G and B."""
    grey = _luma(img)
    return cv2.merge((grey, grey, grey))


def saturate(img: Image, saturation: float, dst: Image | None = None) -> Image:
    """Scale chroma around the pixel's luma: −100 is grey, +100 doubles the colour.

    ``luma + f·(rgb − luma)`` is linear in RGB, so it is one 3×3 ``cv2.transform`` pass
    (into ``dst`` when given).
    """
    factor = 1.0 + saturation / 100
    luma = np.array(_LUMA, dtype=np.float32)
    matrix = factor * np.eye(3, dtype=np.float32) + (1.0 - factor) * np.outer(np.ones(3), luma)
    return cv2.transform(img, matrix.astype(np.float32), dst=dst)


def hsl_active(s: DevelopSettings) -> bool:
    return bool(s.vibrance or any(s.hsl_hue) or any(s.hsl_saturation) or any(s.hsl_luminance))


def adjust_hsl(img: Image, s: DevelopSettings) -> Image:
    """Vibrance and the eight-band HSL controls, through HSV with per-hue lookup tables.

    The colour conversions use OpenCV's threads; the per-pixel steps between them run in
    bands on every core (:mod:`~photoq.pipeline.bands`).
    """
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV_FULL)
    adjusted = per_band(_adjust_hsv, hsv, tables=_HslTables.of(s))
    # An 8-bit HSV round trip alone moves colours by up to ~5 levels (1.4° hue steps), so only
    # the *difference* the adjustments make is added: untouched hues stay exactly as they were.
    new = cv2.cvtColor(adjusted, cv2.COLOR_HSV2RGB_FULL)
    same = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)
    return per_band(_add_change, img, new, same)


@dataclass(frozen=True)
class _HslTables:
    """256-entry tables indexed by hue (``raise``, ``lower``, ``saturation``, ``hue``) or by
    saturation (``vibrance``); ``None`` where the control is off."""

    raise_: Table | None
    lower: Table | None
    vibrance: Table | None
    saturation: Table | None
    hue: Table | None

    @classmethod
    def of(cls, s: DevelopSettings) -> _HslTables:
        weights = band_weights()
        lum = weights @ (np.array(s.hsl_luminance) / 100 * LUMA_SPAN)
        up, down = _table(np.clip(lum, 0, 1) * 255), _table(np.clip(-lum, 0, 1) * 255)
        x = np.arange(256) / 255.0
        gain = 1 + weights @ (np.array(s.hsl_saturation) / 100)
        shift = weights @ (np.array(s.hsl_hue) / 100 * HUE_SHIFT_DEG)
        return cls(
            raise_=up if up.any() else None,
            lower=down if down.any() else None,
            vibrance=_table(255 * x * (1 + s.vibrance / 100 * (1 - x))) if s.vibrance else None,
            saturation=_table(gain * 128) if any(s.hsl_saturation) else None,
            hue=(np.rint(np.arange(256) + shift * 256 / 360) % 256).astype(np.uint8)
            if any(s.hsl_hue)
            else None,
        )


def _adjust_hsv(hsv: Image, tables: _HslTables, dst: Image) -> Image:
    h, sat, val = cv2.split(hsv)
    if tables.raise_ is not None or tables.lower is not None:
        scaled = cv2.multiply(val, sat, scale=1 / 255)  # V·S: grey pixels get no change
        if tables.raise_ is not None:
            val = cv2.add(val, cv2.multiply(scaled, cv2.LUT(h, tables.raise_), scale=1 / 255))
        if tables.lower is not None:
            val = cv2.subtract(val, cv2.multiply(scaled, cv2.LUT(h, tables.lower), scale=1 / 255))
    if tables.vibrance is not None:
        sat = cv2.LUT(sat, tables.vibrance)
    if tables.saturation is not None:
        sat = cv2.multiply(sat, cv2.LUT(h, tables.saturation), scale=1 / 128)
    if tables.hue is not None:
        h = cv2.LUT(h, tables.hue)
    return cv2.merge((h, sat, val), dst=dst)


def _add_change(img: Image, new: Image, same: Image, dst: Image) -> Image:
    """``img + (new − same)``, written as ``new + (img − same)``: the round-trip error
    ``img − same`` is at most 9 levels over all 2²⁴ colours, so it travels exactly as uint8
    offset by 128 and both steps stay on OpenCV's fast 8-bit path."""
    error = cv2.addWeighted(img, 1.0, same, -1.0, 128.0)
    return cv2.addWeighted(new, 1.0, error, 1.0, -128.0, dst=dst)


def band_weights() -> NDArray[np.float64]:
    """(256, 8) weight of each band for each OpenCV full-range hue (0…255 = 0…360°)."""
    degrees = np.arange(256) * 360.0 / 256
    centres = np.append(BAND_CENTRES, 360.0)
    weights = np.zeros((256, 9))
    for i in range(8):
        lo, hi = centres[i], centres[i + 1]
        inside = (degrees >= lo) & (degrees < hi)
        t = (degrees[inside] - lo) / (hi - lo)
        weights[inside, i] += 1 - t
        weights[inside, i + 1] += t
    weights[:, 0] += weights[:, 8]  # 360° is red again
    return weights[:, :8]


def _table(values: NDArray[np.float64]) -> NDArray[np.uint8]:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _luma(img: Image) -> Image:
    # cv2's RGB2GRAY uses Rec. 601 weights; a 1×3 transform gives Rec. 709 at the same speed.
    weights = np.array([_LUMA], dtype=np.float32)
    return cv2.transform(img, weights)
