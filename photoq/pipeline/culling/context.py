"""The shooting context of a photo (portrait, landscape, night …), which chooses its preset.

:func:`classify` scores every context of a rules file (:mod:`photoq.pipeline.culling.rules`)
against a photo's :class:`ContextFacts`: a context's score is the sum of the weights of its rules
whose conditions all hold, and a condition on an unknown value does not hold. The best context
wins if it reaches the file's threshold, earlier contexts winning ties; otherwise the photo gets
the default. Every context's score is kept so that ``photoq inspect`` can show why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from photoq.pipeline.analysis import ANALYSIS_EDGE
from photoq.pipeline.culling.facts import camera_key
from photoq.pipeline.culling.sun import sun_elevation, to_utc

if TYPE_CHECKING:
    from photoq.pipeline.analysis import PhotoAnalysis
    from photoq.pipeline.culling.rules import Condition, ContextRules

__all__ = ["DEFAULT_CONTEXT", "ContextFacts", "ContextResult", "classify", "context_facts"]

DEFAULT_CONTEXT = "default"


@dataclass(frozen=True, slots=True)
class ContextFacts:
    """What the rules can test; each field is a condition name. None means unknown.

    ``scene_ev`` is the scene's light level (EV at ISO 100: ≈ 15 sunny, 8 bright interior,
    3 candle light, below 0 moonlight), from aperture, shutter and ISO. ``hour`` is the camera
    clock's hour (14.5 = 14:30); ``sun_elevation`` needs GPS. ``face_area`` is the largest face's
    share of the frame; ``brightness`` the mean luma 0–1.
    """

    focal_length: float | None = None
    focal_length_35mm: float | None = None
    f_number: float | None = None
    exposure_time: float | None = None
    iso: float | None = None
    scene_ev: float | None = None
    flash: bool | None = None
    lens: str | None = None
    camera: str | None = None
    hour: float | None = None
    sun_elevation: float | None = None
    faces: float | None = None
    face_area: float | None = None
    brightness: float | None = None
    highlights_clipped_pct: float | None = None
    shadows_clipped_pct: float | None = None
    motion_blur: float | None = None
    sharpness: float | None = None


@dataclass(frozen=True, slots=True)
class ContextResult:
    """The chosen context, its preset and blend (0–100 %), and every context's score."""

    context: str
    preset: str
    blend: float
    scores: dict[str, float]

    def to_dict(self) -> dict[str, object]:
        scores = {k: round(v, 3) for k, v in self.scores.items()}
        return {
            "context": self.context,
            "preset": self.preset,
            "blend": self.blend,
            "scores": scores,
        }


def scene_ev(f_number: float | None, exposure: float | None, iso: float | None) -> float | None:
    """EV100 of the exposure the camera chose: log2(N²/t) − log2(ISO/100)."""
    if not f_number or not exposure or not iso or f_number <= 0 or exposure <= 0 or iso <= 0:
        return None
    return math.log2(f_number**2 / exposure) - math.log2(iso / 100.0)


def context_facts(analysis: PhotoAnalysis) -> ContextFacts:
    """The context facts of an analysed photo."""
    exif, sub = analysis.exif, analysis.quality.subscores
    when = exif.captured_at()
    hour = None if when is None else when.hour + when.minute / 60.0 + when.second / 3600.0
    sun = None
    if when is not None and exif.gps_lat is not None and exif.gps_lon is not None:
        sun = sun_elevation(to_utc(when, exif.gps_lon), exif.gps_lat, exif.gps_lon)
    # Face boxes are in analysis-image pixels: the displayed size shrunk to ANALYSIS_EDGE.
    scale = min(1.0, ANALYSIS_EDGE / max(analysis.width, analysis.height, 1))
    frame = max(1.0, analysis.width * scale * analysis.height * scale)
    faces = analysis.quality.faces
    return ContextFacts(
        focal_length=exif.focal_length,
        focal_length_35mm=exif.focal_length_35mm,
        f_number=exif.f_number,
        exposure_time=exif.exposure_time,
        iso=None if exif.iso is None else float(exif.iso),
        scene_ev=scene_ev(exif.f_number, exif.exposure_time, exif.iso),
        flash=exif.flash_fired,
        lens=exif.lens,
        camera=camera_key(exif),
        hour=hour,
        sun_elevation=sun,
        faces=float(len(faces)) if "faces" in sub else None,
        face_area=max((f.w * f.h / frame for f in faces), default=0.0) if "faces" in sub else None,
        brightness=sub.get("brightness"),
        highlights_clipped_pct=sub.get("highlights_clipped_pct"),
        shadows_clipped_pct=sub.get("shadows_clipped_pct"),
        motion_blur=sub.get("motion_blur"),
        sharpness=sub.get("sharpness"),
    )


def _holds(condition: Condition, value: Any) -> bool:
    if value is None:
        return False
    op, want = condition.op, condition.value
    if op == "contains":
        return str(want).casefold() in str(value).casefold()
    if op == "in":
        return value in want or (isinstance(value, str) and value.casefold() in want)
    if op == "between":
        return bool(want[0] <= value <= want[1])
    tests = {
        "eq": lambda: value == want,
        "ne": lambda: value != want,
        "lt": lambda: value < want,
        "lte": lambda: value <= want,
        "gt": lambda: value > want,
        "gte": lambda: value >= want,
    }
    return bool(tests[op]())


def classify(facts: ContextFacts, rules: ContextRules) -> ContextResult:
    """Score every context of ``rules`` for ``facts``; the default when none passes."""
    values = {f.name: getattr(facts, f.name) for f in fields(facts)}
    scores: dict[str, float] = {}
    for name, (_preset, _blend, context_rules) in rules.contexts.items():
        total = 0.0
        for rule in context_rules:
            if all(_holds(c, values[c.field]) for c in rule.conditions):
                total += rule.weight
        scores[name] = total
    best = max(scores, key=lambda n: scores[n], default=None)  # first of equals wins
    if best is None or scores[best] < rules.threshold:
        return ContextResult(DEFAULT_CONTEXT, rules.default_preset, rules.default_blend, scores)
    preset, blend, _ = rules.contexts[best]
    return ContextResult(best, preset, blend, scores)
