"""The quality score ("AI score", 1.0–5.0) of one analysis-size image, with its reasons.

Every measure is taken on a canonical grey copy with a fixed long edge (or as a share of the
frame), so the same photo scores the same whether it arrived at 1,000 or 1,600 px. The score is
sharpness of the subject, discounted by motion blur, exposure, noise, JPEG blocks and closed
eyes; each factor is kept as a sub-score and each fault is named in plain words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np

from photoq.pipeline.quality.exposure import measure_exposure
from photoq.pipeline.quality.faces import Face, FaceScan, detect_faces
from photoq.pipeline.quality.noise import blockiness, blockiness_score, measure_noise
from photoq.pipeline.quality.sharpness import measure_sharpness

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["CANONICAL_EDGE", "QualityReport", "assess_quality"]

CANONICAL_EDGE = 1024
_MIN_EDGE = 128
# Sub-score thresholds below which a fault is named.
_OUT_OF_FOCUS = 0.45
_MOTION = 0.5
_NOISY = 0.5
_BLOCKY = 0.5
_HIGHLIGHTS_PCT = 2.0
_SHADOWS_PCT = 5.0
_CLOSED_EYES_FACTOR = 0.6


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Score 1.0–5.0, the sub-scores it came from, the faults in words, and the faces.

    Sub-scores (all 0–1, 1 = good, unless stated): ``sharpness``, ``motion_blur`` (0 = none,
    1 = strong), ``exposure``, ``highlights_clipped_pct`` and ``shadows_clipped_pct`` (percent
    of the frame), ``brightness`` (mean luma 0–1), ``noise`` (1 = clean), ``noise_sigma`` (grey
    levels on the canonical copy), ``compression`` (1 = no JPEG blocks), ``faces`` (count),
    ``eyes`` (share of judged faces with open eyes; absent when none was judged), ``focus_log``.
    ``timings_ms`` holds the cost of each stage.
    """

    score: float
    subscores: dict[str, float]
    reasons: list[str]
    faces: list[Face]
    face_detector: str
    sharpness_region: str = "sharpest tiles"
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "subscores": {k: round(v, 4) for k, v in self.subscores.items()},
            "reasons": list(self.reasons),
            "faces": [face.to_dict() for face in self.faces],
            "face_detector": self.face_detector,
            "sharpness_region": self.sharpness_region,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


def _canonical_grey(grey: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], float]:
    h, w = grey.shape
    scale = CANONICAL_EDGE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(grey, size, interpolation=method), dtype=np.uint8), scale


def _check(pixels: NDArray[np.uint8]) -> None:
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        msg = f"expected an H×W×3 uint8 RGB image, got {pixels.shape} {pixels.dtype}"
        raise ValueError(msg)


def _too_small(pixels: NDArray[np.uint8]) -> QualityReport:
    # Below this size no measure means anything; a thumbnail is never a keeper.
    size = f"{pixels.shape[1]}×{pixels.shape[0]} px"
    return QualityReport(
        score=1.0,
        subscores={},
        reasons=[f"too small to judge ({size})"],
        faces=[],
        face_detector="none: image too small",
    )


def assess_quality(pixels: NDArray[np.uint8], *, faces: bool = True) -> QualityReport:
    """Score an oriented RGB uint8 analysis image. ``faces=False`` skips face detection.

    Images under 128 px on a side score 1.0 with the reason "too small to judge".
    """
    _check(pixels)
    if min(pixels.shape[:2]) < _MIN_EDGE:
        return _too_small(pixels)
    marks = [time.perf_counter()]
    grey_full = np.asarray(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    grey, scale = _canonical_grey(grey_full)
    marks.append(time.perf_counter())
    noise = measure_noise(grey)
    compression = blockiness_score(blockiness(grey_full))
    marks.append(time.perf_counter())
    # Every other pixel is plenty for shares of the frame, at a quarter of the cost; nearest
    # neighbour keeps pure 0 and 255 values intact, which averaging would hide.
    half = (max(1, pixels.shape[1] // 2), max(1, pixels.shape[0] // 2))
    exposure = measure_exposure(
        np.asarray(cv2.resize(pixels, half, interpolation=cv2.INTER_NEAREST), dtype=np.uint8)
    )
    marks.append(time.perf_counter())
    scan = detect_faces(pixels) if faces else FaceScan([], "none: not requested")
    marks.append(time.perf_counter())
    boxes = [(f.x * scale, f.y * scale, f.w * scale, f.h * scale) for f in scan.faces]
    sharp = measure_sharpness(grey, noise.sigma, boxes)
    marks.append(time.perf_counter())

    judged = [f for f in scan.faces if f.eyes != "unknown"]
    closed = [f for f in judged if f.eyes == "closed"]
    subscores = {
        "sharpness": sharp.score,
        "motion_blur": sharp.motion_blur,
        "exposure": exposure.score,
        "highlights_clipped_pct": 100.0 * exposure.highlights_clipped,
        "shadows_clipped_pct": 100.0 * exposure.shadows_clipped,
        "brightness": exposure.brightness,
        "noise": noise.score,
        "noise_sigma": noise.sigma,
        "compression": compression,
        "faces": float(len(scan.faces)),
        "focus_log": sharp.focus,
    }
    if judged:
        subscores["eyes"] = 1.0 - len(closed) / len(judged)

    # Squared so that the measure's jitter near zero costs nothing, while clear smear does.
    quality = sharp.score * (1.0 - 0.5 * sharp.motion_blur**2)
    quality *= 0.4 + 0.6 * exposure.score
    quality *= 0.5 + 0.5 * noise.score
    quality *= 0.5 + 0.5 * compression
    if closed:
        quality *= _CLOSED_EYES_FACTOR
    score = round(1.0 + 4.0 * float(np.clip(quality, 0.0, 1.0)), 2)

    reasons = _reasons(subscores, exposure.verdict, len(closed), len(judged))
    stages = ("prepare", "noise", "exposure", "faces", "sharpness")
    timings = {name: 1000.0 * (b - a) for name, a, b in zip(stages, marks, marks[1:], strict=False)}
    timings["total"] = 1000.0 * (marks[-1] - marks[0])
    return QualityReport(
        score=score,
        subscores=subscores,
        reasons=reasons,
        faces=scan.faces,
        face_detector=scan.detector,
        sharpness_region=sharp.region,
        timings_ms=timings,
    )


def _reasons(sub: dict[str, float], verdict: str, closed: int, judged: int) -> list[str]:
    reasons = []
    if sub["motion_blur"] >= _MOTION:
        reasons.append("motion blur")
    elif sub["sharpness"] < _OUT_OF_FOCUS:
        reasons.append("out of focus")
    if verdict != "ok":
        reasons.append(verdict)
    if sub["highlights_clipped_pct"] >= _HIGHLIGHTS_PCT:
        reasons.append(f"highlights clipped {sub['highlights_clipped_pct']:.0f} %")
    if sub["shadows_clipped_pct"] >= _SHADOWS_PCT:
        reasons.append(f"shadows clipped {sub['shadows_clipped_pct']:.0f} %")
    if sub["noise"] < _NOISY:
        reasons.append("noisy")
    if sub["compression"] < _BLOCKY:
        reasons.append("compression artifacts")
    if closed:
        reasons.append("eyes closed" if judged == 1 else f"eyes closed ({closed} of {judged})")
    return reasons
