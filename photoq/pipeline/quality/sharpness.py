"""Subject-aware sharpness and directional motion blur.

The frame is cut into square tiles; each tile gets a focus value, the energy of the Laplacian
less what the measured noise alone would put there, relative to the tile's brightness (so an
exposure change does not read as a focus change). The photo's sharpness is that of its subject:
the tiles under detected faces, or else the sharpest twentieth of the frame. A shallow
depth-of-field portrait is sharp where it matters, which the global mean Laplacian gets wrong.

Motion blur smears the image along one direction, so the gradients left in the sharpest tiles
all point across the smear. The anisotropy of their structure tensor, less that of the same
tiles at an eighth of the size (where a natural scene's own directional structure remains but
a few pixels of smear no longer show), tells motion blur from a scene full of parallel lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = ["TILE", "Sharpness", "measure_sharpness"]

TILE = 64
# The 3×3 Laplacian multiplies the variance of white noise by 1² · 4 + 4² = 20.
_LAPLACIAN_NOISE_GAIN = 20.0
# Keeps the brightness normalisation finite in black tiles (grey levels).
_DARK_FLOOR = 24.0
# Percentile of tile focus taken as "the sharpest regions" when no face is known.
_SUBJECT_PERCENTILE = 95.0
# log10 of the relative focus at which a photo reads as fully blurred / fully sharp.
_FOCUS_BLURRED = -1.9
_FOCUS_SHARP = -0.35
# Fine-scale coherence, less half the coherence at 1/8 scale (the scene's own structure), at
# which motion blur starts to show / is certain. Tuned on labelled/blur and synthetic smears.
_MOTION_START = 0.25
_MOTION_FULL = 0.55
_COARSE_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Sharpness:
    """Sharpness of the subject (0–1), motion blur (0 none – 1 strong) and where it was measured.

    ``focus`` is the raw relative focus value (log10); ``direction_deg`` the smear direction
    when motion blur is present; ``region`` "faces" or "sharpest tiles".
    """

    score: float
    focus: float
    motion_blur: float
    direction_deg: float
    region: str


def _tile_means(values: NDArray[np.float32], rows: int, cols: int) -> NDArray[np.float32]:
    # INTER_AREA at an exact integer factor is a per-tile mean, and far faster than reshaping.
    return np.asarray(cv2.resize(values, (cols, rows), interpolation=cv2.INTER_AREA))


def _face_tiles(
    faces: Sequence[tuple[float, float, float, float]], rows: int, cols: int
) -> NDArray[np.bool_]:
    """Tiles covered by the central part of each face (x, y, w, h in canonical pixels)."""
    mask = np.zeros((rows, cols), dtype=bool)
    for x, y, w, h in faces:
        # The middle of the face box holds eyes, nose and mouth: the detail focus is judged on.
        x0, x1 = x + 0.2 * w, x + 0.8 * w
        y0, y1 = y + 0.2 * h, y + 0.8 * h
        c0, c1 = int(x0 // TILE), math.ceil(x1 / TILE)
        r0, r1 = int(y0 // TILE), math.ceil(y1 / TILE)
        mask[max(r0, 0) : min(r1, rows), max(c0, 0) : min(c1, cols)] = True
    return mask


def _anisotropy(jxx: float, jyy: float, jxy: float) -> tuple[float, float]:
    """Coherence of a structure tensor and the angle (degrees) of its weakest direction."""
    trace = jxx + jyy
    if trace <= 1e-9:
        return 0.0, 0.0
    coherence = math.sqrt((jxx - jyy) ** 2 + 4.0 * jxy**2) / trace
    # Gradients point across the smear; the smear runs along the eigenvector of least energy.
    angle = 0.5 * math.degrees(math.atan2(2.0 * jxy, jxx - jyy)) + 90.0
    return coherence, angle % 180.0


def _tensor(grey: NDArray[np.float32], mask: NDArray[np.bool_], rows: int, cols: int) -> float:
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    jxx = float(_tile_means(gx * gx, rows, cols)[mask].sum())
    jyy = float(_tile_means(gy * gy, rows, cols)[mask].sum())
    jxy = float(_tile_means(gx * gy, rows, cols)[mask].sum())
    return _anisotropy(jxx, jyy, jxy)[0]


def _motion_blur(
    grey: NDArray[np.float32], mask: NDArray[np.bool_], rows: int, cols: int
) -> tuple[float, float]:
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    jxx = float(_tile_means(gx * gx, rows, cols)[mask].sum())
    jyy = float(_tile_means(gy * gy, rows, cols)[mask].sum())
    jxy = float(_tile_means(gx * gy, rows, cols)[mask].sum())
    fine, angle = _anisotropy(jxx, jyy, jxy)
    coarse_grey = cv2.pyrDown(cv2.pyrDown(cv2.pyrDown(grey)))
    coarse = _tensor(np.asarray(coarse_grey, dtype=np.float32), mask, rows, cols)
    gain = fine - _COARSE_WEIGHT * coarse
    blur = (gain - _MOTION_START) / (_MOTION_FULL - _MOTION_START)
    return float(np.clip(blur, 0.0, 1.0)), angle


def measure_sharpness(
    grey: NDArray[np.uint8],
    noise_sigma: float,
    faces: Sequence[tuple[float, float, float, float]] = (),
) -> Sharpness:
    """Sharpness and motion blur of ``grey`` (the canonical copy); faces in its pixels."""
    rows, cols = grey.shape[0] // TILE, grey.shape[1] // TILE
    if rows < 1 or cols < 1:
        msg = f"image too small for sharpness tiles: {grey.shape}"
        raise ValueError(msg)
    src = np.asarray(grey[: rows * TILE, : cols * TILE], dtype=np.float32)
    lap = cv2.Laplacian(src, cv2.CV_32F, ksize=1)
    energy = _tile_means(lap * lap, rows, cols)
    brightness = _tile_means(src, rows, cols)
    signal = np.maximum(energy - _LAPLACIAN_NOISE_GAIN * noise_sigma**2, 1e-6)
    focus = np.log10(np.sqrt(signal) / (brightness + _DARK_FLOOR))

    mask = _face_tiles(faces, rows, cols) if faces else np.zeros((rows, cols), dtype=bool)
    if mask.any():
        region = "faces"
        subject = float(np.percentile(focus[mask], 75.0))
    else:
        region = "sharpest tiles"
        subject = float(np.percentile(focus, _SUBJECT_PERCENTILE))
        mask = focus >= subject
    # Motion blur is judged on the tiles at or above the subject's focus: blur elsewhere may be
    # a moving background, which is no fault of the photo.
    motion, angle = _motion_blur(src, mask, rows, cols)
    score = (subject - _FOCUS_BLURRED) / (_FOCUS_SHARP - _FOCUS_BLURRED)
    return Sharpness(
        score=float(np.clip(score, 0.0, 1.0)),
        focus=subject,
        motion_blur=motion,
        direction_deg=angle,
        region=region,
    )
