"""Render develop settings on the pixels: ``render(image, settings, blend)``.

**Input and output.** ``image`` is an RGB array ``(H, W, 3)`` (a 2-D grey array is treated as
R = G = B), either ``uint8`` — the normal case, returned as ``uint8`` — or float in 0…1,
returned as ``float32`` in 0…1 (computed through the same 8-bit path: the output has 8-bit
precision). The input is never modified; the output is a new array. Where the crop applies, the
output has the crop's size.

**Order**, as in Lightroom: crop and angle → white balance, exposure and tone (one lookup table
per channel) → saturation, vibrance, HSL or the grayscale conversion → clarity, dehaze and the
post-crop vignette (smooth maps from a 1/8 guide) → sharpening. The behaviour of each control
is written down in :mod:`~photoq.pipeline.develop.tone`, :mod:`~photoq.pipeline.develop.color`
and :mod:`~photoq.pipeline.develop.local`; ``tests/pipeline/test_develop.py`` checks it.

**Speed.** Global controls never touch a float image: they are folded into 256-entry tables
applied with ``cv2.LUT``/``cv2.addWeighted`` on uint8. Float work is done only on the
half-size copy and the small guide. Stages OpenCV runs on one core go in row bands on every
core (:mod:`~photoq.pipeline.bands`). On a 24 MP photo with every control active this is
~270 ms of CPU and ~170–210 ms on two cores (``bench/export_speed.py`` measures it against the
decode + encode floor).

**Blend** 0…1 scales the preset toward neutral (:meth:`DevelopSettings.blended`): 0 returns
the original exactly, 1 the full preset; a grayscale conversion is mixed with the colour
rendering by the blend amount.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from photoq.pipeline.bands import per_band
from photoq.pipeline.develop.color import (
    adjust_hsl,
    grayscale,
    hsl_active,
    relative_white_balance,
    saturate,
    white_balance_gains,
)
from photoq.pipeline.develop.local import GUIDE_SCALE, apply_local, crop, local_active, sharpen
from photoq.pipeline.develop.tone import tone_is_neutral, tone_lut

if TYPE_CHECKING:
    from photoq.pipeline.presets import DevelopSettings

__all__ = ["prepare", "render"]

# uint8 RGB (H, W, 3). cv2's stubs type every result loosely, hence Any for the dtype.
Image = NDArray[Any]
AnyImage = NDArray[np.uint8] | NDArray[np.floating]


def prepare(settings: DevelopSettings, blend: float = 1.0) -> DevelopSettings:
    """The settings :func:`render` applies: absolute white balance made relative, then blended.

    Converting first lets the blend scale an absolute ``Temperature`` like any other slider.
    """
    if not 0.0 <= blend <= 1.0:
        msg = f"blend must be within 0…1, got {blend}"
        raise ValueError(msg)
    if settings.temperature is not None or settings.tint is not None:
        temperature, tint = relative_white_balance(settings)
        settings = replace(
            settings,
            temperature=None,
            tint=None,
            incremental_temperature=temperature,
            incremental_tint=tint,
        )
    return settings.blended(blend)


def render(image: AnyImage, settings: DevelopSettings, blend: float = 1.0) -> AnyImage:
    """``image`` developed with ``settings`` at ``blend`` (0 = original, 1 = full preset)."""
    rgb, was_float = _as_rgb8(image)
    effective = prepare(settings, blend)
    if effective.is_neutral():
        out = rgb.copy() if rgb is image else rgb
    else:
        out = develop8(rgb, effective, grey_amount=blend)
    if was_float:
        return out.astype(np.float32) / np.float32(255)
    return out


def develop8(img: Image, s: DevelopSettings, grey_amount: float = 1.0) -> Image:
    """The develop stack on uint8 RGB with already prepared settings (see :func:`prepare`)."""
    out = crop(img, s)
    gains = white_balance_gains(s.incremental_temperature, s.incremental_tint)
    if not tone_is_neutral(s, gains):
        out = cv2.LUT(out, tone_lut(s, gains))
    if s.convert_to_grayscale:
        grey = grayscale(out)
        # A partial blend mixes the conversion with the colour picture it started from.
        out = (
            grey
            if grey_amount >= 1
            else cv2.addWeighted(grey, grey_amount, out, 1 - grey_amount, 0)
        )
    colour = not s.convert_to_grayscale or grey_amount < 1
    if colour and s.saturation:
        out = per_band(saturate, out, saturation=s.saturation)  # exact, full size
    colour = colour and hsl_active(s)
    if colour or local_active(s):
        out = _half_size_stage(out, s, colour=bool(colour))
    if s.sharpness:
        out = sharpen(out, s.sharpness)
    if out is img:  # only a no-op crop touched it: never hand back the caller's array
        out = img.copy()
    return out


def _half_size_stage(img: Image, s: DevelopSettings, *, colour: bool) -> Image:
    """Colour and local controls computed on a half-size copy and added back as a difference.

    ``out = img + upsample(F(half) − half)``: F's change is applied at half resolution (the
    chroma resolution of a 4:2:0 JPEG) while the full-resolution detail of ``img`` is kept.
    What this approximates: detail finer than 2 px is not scaled by the local gains (clarity,
    dehaze, vignette) and colour changes are 2 px soft at colour edges. A uniform area gets
    exactly F's result.
    """
    height, width = img.shape[:2]
    if height < 4 or width < 4:
        return _full_size_stage(img, s, colour=colour)
    half = cv2.resize(img, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    changed = _full_size_stage(half, s, colour=colour, guide_scale=GUIDE_SCALE // 2)
    return _add_upsampled_difference(img, changed, half)


def _add_upsampled_difference(img: Image, changed: Image, half: Image) -> Image:
    """``img + upsample(changed − half)``, rounded and saturated once.

    The usual difference fits in −127…126: it is then carried as uint8 offset by 128, so the
    upsample and the add-back run on OpenCV's fast 8-bit paths (bilinear interpolation is
    linear, so the offset passes through it exactly). A shifted value at 0 or 255 may have been
    clipped: then the same computation runs in int16.
    """
    height, width = img.shape[:2]
    shifted = per_band(_shifted_difference, changed, half)
    low, high = cv2.minMaxLoc(shifted.reshape(shifted.shape[0], -1))[:2]
    if low > 0 and high < 255:
        up = cv2.resize(shifted, (width, height), interpolation=cv2.INTER_LINEAR)
        return per_band(_add_shifted, img, up)
    delta = cv2.subtract(changed, half, dtype=cv2.CV_16S)
    delta = cv2.resize(delta, (width, height), interpolation=cv2.INTER_LINEAR)
    return per_band(_add_delta, img, delta)


def _shifted_difference(changed: Image, original: Image, dst: Image) -> Image:
    return cv2.addWeighted(changed, 1.0, original, -1.0, 128.0, dst=dst)


def _add_shifted(img: Image, shifted: Image, dst: Image) -> Image:
    return cv2.addWeighted(img, 1.0, shifted, 1.0, -128.0, dst=dst)


def _add_delta(img: Image, delta: Image, dst: Image) -> Image:
    return cv2.add(img, delta, dst=dst, dtype=cv2.CV_8U)


def _full_size_stage(
    img: Image, s: DevelopSettings, *, colour: bool, guide_scale: int = GUIDE_SCALE
) -> Image:
    out = img
    if colour:
        out = adjust_hsl(out, s)
    if local_active(s):
        out = apply_local(out, s, guide_scale)
    return out


def _as_rgb8(image: AnyImage) -> tuple[Image, bool]:
    """uint8 RGB (H, W, 3) from the accepted inputs, and whether the input was float."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or 0 in image.shape:
        msg = "render() needs an RGB image array of shape (H, W, 3) or a grey (H, W) array"
        raise ValueError(msg)
    if image.ndim == 3 and image.shape[2] != 3:
        msg = f"render() needs 3 colour channels, got {image.shape[2]}"
        raise ValueError(msg)
    was_float = np.issubdtype(image.dtype, np.floating)
    if was_float:
        rgb = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    elif image.dtype == np.uint8:
        rgb = image
    else:
        msg = f"render() takes uint8 or float images, got {image.dtype}"
        raise ValueError(msg)
    if rgb.ndim == 2:
        rgb = cv2.merge((rgb, rgb, rgb))
    return np.ascontiguousarray(rgb), was_float
