"""Local controls: clarity, dehaze and the vignette as smooth maps; sharpening; crop and angle.

Clarity, dehaze and the vignette only need *smooth* information (a blurred base, a haze
estimate, a radial falloff), so they are computed in float32 on a guide image 1/8 of the size
and folded into one per-pixel gain ``G`` and offset ``O``::

    clarity   I1 = I + k·(I − B)            B: the guide blurred (≈ 32 px at full size),
                                            k = clarity/100 · 0.6 (− softens)
    dehaze    I2 = a·I1 + b                 dark-channel prior: a = 1/t, b = A·(1 − 1/t);
                                            −dehaze adds haze: a = 1 − |d|/2, b = A·(1 − a)
    vignette  I3 = V·I2                     V = 1 + v/100 · 0.8 · smoothstep(0.35, 1, r)
    ⇒        I3 = G·I + O,  G = V·a·(1 + k),  O = V·(b − a·k·B)

The two maps are upsampled to the working size and applied in one float32 multiply-add that
rounds and saturates once. The renderer runs this on its half-size working copy and adds the
change back to the full-size picture (``develop._half_size_stage``), so no full-size float
image is ever made. Where the maps are exactly neutral (the vignette's centre) pixels pass
unchanged.

**Sharpness** is an unsharp mask at Lightroom's default radius (3×3 box ≈ 1 px) on the full-size
image, amount ``sharpness/80`` (Lightroom's 25 → 0.31). **Crop**: the rectangle
``CropLeft…CropRight × CropTop…CropBottom`` in fractions of the frame; with ``CropAngle`` the
picture is rotated about the rectangle's centre (positive = clockwise, like Lightroom's
straighten tool) and the rectangle's size kept; areas outside the frame repeat the edge.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from photoq.pipeline.bands import in_bands, per_band

if TYPE_CHECKING:
    from photoq.pipeline.presets import DevelopSettings

# uint8 RGB (H, W, 3). cv2's stubs type every result loosely, hence Any for the dtype.
Image = NDArray[Any]
Map = NDArray[np.float32]
GUIDE_SCALE = 8
CLARITY_GAIN = 0.6
CLARITY_SIGMA = 4.0  # at guide scale (≈ 32 px at full size)
DEHAZE_STRENGTH = 0.8
MIN_TRANSMISSION = 0.3
VIGNETTE_DEPTH = 0.8
SHARPEN_PER_UNIT = 1 / 80


def crop(img: Image, s: DevelopSettings) -> Image:
    """The crop rectangle, rotated by ``crop_angle`` when set; the input when there is none."""
    height, width = img.shape[:2]
    x0, x1 = s.crop_left * width, s.crop_right * width
    y0, y1 = s.crop_top * height, s.crop_bottom * height
    out_w, out_h = max(1, round(x1 - x0)), max(1, round(y1 - y0))
    if not s.crop_angle:
        if (out_w, out_h) == (width, height):
            return img
        left, top = round(x0), round(y0)
        return np.ascontiguousarray(img[top : top + out_h, left : left + out_w])
    theta = -math.radians(s.crop_angle)  # sampling with R(−θ) turns the picture by +θ
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # Inverse map: output pixel (u, v) samples the source at centre + R·(u − w/2, v − h/2).
    matrix = np.array(
        [
            [cos, -sin, cx - cos * out_w / 2 + sin * out_h / 2],
            [sin, cos, cy - sin * out_w / 2 - cos * out_h / 2],
        ]
    )
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    if img.ndim == 3 and img.shape[2] == 3:
        # OpenCV's bilinear warp has a much faster 4-channel path: padding to RGBA and back
        # costs two cheap passes and gives bit-identical RGB (each channel is sampled alone).
        rgba = cv2.cvtColor(img, cv2.COLOR_RGB2RGBA)
        out = cv2.warpAffine(
            rgba, matrix, (out_w, out_h), flags=flags, borderMode=cv2.BORDER_REPLICATE
        )
        return cv2.cvtColor(out, cv2.COLOR_RGBA2RGB)
    return cv2.warpAffine(img, matrix, (out_w, out_h), flags=flags, borderMode=cv2.BORDER_REPLICATE)


def local_active(s: DevelopSettings) -> bool:
    return bool(s.clarity or s.dehaze or s.vignette)


def apply_local(img: Image, s: DevelopSettings, guide_scale: int = GUIDE_SCALE) -> Image:
    """Clarity, dehaze and vignette as one gain/offset pair computed on a reduced guide.

    ``guide_scale`` is the guide's reduction relative to ``img``; the renderer passes
    ``GUIDE_SCALE // 2`` when ``img`` is itself the half-size working copy.
    """
    height, width = img.shape[:2]
    small = (max(1, width // guide_scale), max(1, height // guide_scale))
    guide = cv2.resize(img, small, interpolation=cv2.INTER_AREA).astype(np.float32)
    k = CLARITY_GAIN * s.clarity / 100
    base = cv2.GaussianBlur(guide, (0, 0), CLARITY_SIGMA) if k else guide
    a, b = _dehaze(guide, s.dehaze / 100)
    v = _vignette(small, s.vignette / 100)
    gain = v * a * (1 + k)
    offset = v[..., None] * (b - (a * k)[..., None] * base)
    size = (width, height)
    gain3 = cv2.resize(cv2.merge((gain, gain, gain)), size, interpolation=cv2.INTER_LINEAR)
    offset_full = cv2.resize(offset.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    return per_band(_gain_and_offset, img, gain3, offset_full)


def _gain_and_offset(img: Image, gain: Map, offset: Map, dst: Image) -> Image:
    scaled = cv2.multiply(img, gain, dtype=cv2.CV_32F)
    # One rounding, saturated at 0 and 255.
    return cv2.add(scaled, offset, dst=dst, dtype=cv2.CV_8U)


def sharpen(img: Image, sharpness: float) -> Image:
    """Unsharp mask over a 3×3 box (≈ radius 1 px), amount ``sharpness / 80``:
    ``(1 + a)·I − a·box(I)``. The box blur and the blend are two of OpenCV's cheapest 8-bit
    passes (half the CPU time of the same mask as one 3×3 float convolution, at most half a
    level apart: the blur is rounded once), run in bands on every core."""
    amount = sharpness * SHARPEN_PER_UNIT
    height = img.shape[0]
    out = np.empty_like(img)

    def band(top: int, bottom: int) -> None:
        # One row more on each side inside the picture: the blur sees the true neighbours.
        above, below = max(0, top - 1), min(height, bottom + 1)
        blurred = cv2.blur(img[above:below], (3, 3))[top - above : bottom - above]
        cv2.addWeighted(img[top:bottom], 1 + amount, blurred, -amount, 0, dst=out[top:bottom])

    in_bands(height, img.shape[1], band)
    return out


def _dehaze(guide: Map, amount: float) -> tuple[Map, Map]:
    """Per-pixel gain ``a`` (h×w) and offset ``b`` (h×w×3) removing or adding haze."""
    shape = guide.shape[:2]
    if not amount:
        return np.ones(shape, np.float32), np.zeros(guide.shape, np.float32)
    r, g, b = cv2.split(guide)
    # The per-pixel channel minimum: numpy's min over a length-3 last axis is ~20× slower.
    dark = cv2.erode(cv2.min(cv2.min(r, g), b), np.ones((7, 7), np.uint8))
    count = max(1, dark.size // 1000)  # the haziest 0.1 % of the guide gives the airlight
    brightest = np.argpartition(dark.ravel(), -count)[-count:]
    airlight = guide.reshape(-1, 3)[brightest].mean(axis=0).astype(np.float32)
    if amount > 0:
        dark = cv2.GaussianBlur(dark, (0, 0), 3.0)
        t = 1 - DEHAZE_STRENGTH * amount * dark / max(float(airlight.min()), 1.0)
        a = 1 / np.clip(t, MIN_TRANSMISSION, 1.0)
    else:
        a = np.full(shape, 1 + amount / 2, np.float32)
    b = airlight[None, None, :] * (1 - a)[..., None]
    return a.astype(np.float32), b.astype(np.float32)


def _vignette(size: tuple[int, int], amount: float) -> Map:
    """Radial gain, 1 inside 35 % of the half-diagonal, ``1 + 0.8·amount`` at the corners."""
    width, height = size
    if not amount:
        return np.ones((height, width), np.float32)
    y = (np.arange(height, dtype=np.float32) + 0.5) / height * 2 - 1
    x = (np.arange(width, dtype=np.float32) + 0.5) / width * 2 - 1
    r = np.sqrt(x[None, :] ** 2 + y[:, None] ** 2) / np.sqrt(2)
    t = np.clip((r - 0.35) / 0.65, 0, 1)
    gain: Map = (1 + VIGNETTE_DEPTH * amount * t * t * (3 - 2 * t)).astype(np.float32)
    return gain
