"""Absolute white balance for RAW files: Lightroom's ``Temperature``/``Tint`` as LibRaw multipliers.

A RAW file's colours are not yet balanced, so an absolute setting can be honoured exactly, the
way Camera Raw does it:

1. **White point.** ``Temperature`` (kelvin) picks a point on the Planckian locus (the cubic
   spline fit of Kim et al., 2002, valid 1667–25000 K; values outside are clamped). ``Tint``
   moves it along the locus's normal in CIE 1960 uv, 1 unit = 1/3000 uv (Adobe's scale); a
   positive tint assumes a *greener* light, so the picture turns *magenta*, as in Lightroom.
2. **Camera response.** The camera's XYZ→camera matrix (LibRaw's ``rgb_xyz_matrix``, from the
   DNG ``ColorMatrix`` or LibRaw's own table) gives the raw values that white point produces.
3. **Multipliers.** Their reciprocals, normalised to green = 1: the light of that colour comes out
   neutral. A higher temperature assumes a bluer light, so the picture turns warmer.

For D65 (≈ 6504 K, tint ≈ +10) this reproduces LibRaw's own daylight multipliers, which are
derived from the same matrix (``tests/pipeline/test_white_balance.py`` checks it on corpus DNGs).

**Blend** toward the camera's as-shot balance is geometric per channel:
``m = as_shot^(1−a) · target^a`` — 0 is the as-shot picture, 1 the preset's white balance.

A file without a usable matrix (all zeros, as some phone DNGs read through LibRaw) gets ``None``:
the caller falls back to the relative shift used for rendered files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray


MIN_KELVIN, MAX_KELVIN = 1667.0, 25000.0
TINT_SCALE = 3000.0  # tint units per unit of uv distance


@dataclass(frozen=True)
class WhiteBalance:
    """An absolute white balance to demosaic with, and how far to go from the as-shot one."""

    kelvin: float
    tint: float
    amount: float = 1.0


def planckian_xy(kelvin: float) -> tuple[float, float]:
    """CIE 1931 xy of a black body at ``kelvin`` (Kim et al. cubic spline)."""
    t = min(max(kelvin, MIN_KELVIN), MAX_KELVIN)
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def _uv(x: float, y: float) -> tuple[float, float]:
    d = -2 * x + 12 * y + 3
    return 4 * x / d, 6 * y / d


def _xy(u: float, v: float) -> tuple[float, float]:
    d = 2 * u - 8 * v + 4
    return 3 * u / d, 2 * v / d


def white_point_xyz(kelvin: float, tint: float) -> NDArray[np.float64]:
    """XYZ (Y = 1) of the light a ``kelvin``/``tint`` setting assumes."""
    u0, v0 = _uv(*planckian_xy(kelvin))
    u1, v1 = _uv(*planckian_xy(kelvin * 1.01))  # the locus's direction here
    du, dv = u1 - u0, v1 - v0
    norm = math.hypot(du, dv)
    nu, nv = -dv / norm, du / norm
    if nv < 0:  # the normal pointing to green (higher v)
        nu, nv = -nu, -nv
    x, y = _xy(u0 + tint / TINT_SCALE * nu, v0 + tint / TINT_SCALE * nv)
    return np.array([x / y, 1.0, (1 - x - y) / y])


def raw_multipliers(
    wb: WhiteBalance, cam_xyz: NDArray[np.floating], as_shot: Sequence[float]
) -> list[float] | None:
    """LibRaw ``user_wb`` (R, G, B, G2) for ``wb``, blended from ``as_shot``; ``None`` when the
    camera matrix cannot give one."""
    matrix = np.asarray(cam_xyz, dtype=np.float64)[:3, :3]
    response = matrix @ white_point_xyz(wb.kelvin, wb.tint)
    if not np.all(np.isfinite(response)) or np.any(response <= 0):
        return None
    target = response[1] / response  # green = 1
    shot = np.asarray(as_shot[:3], dtype=np.float64)
    if np.any(shot <= 0):
        shot = target
    shot = shot / shot[1]
    mixed = shot ** (1 - wb.amount) * target**wb.amount
    r, g, b = (float(m) for m in mixed)
    return [r, g, b, g]
