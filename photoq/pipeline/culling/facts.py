"""The few facts about a photo that grouping and picking look at, taken from its analysis.

Grouping runs over a whole session (up to tens of thousands of photos), so it works on this small
frozen record rather than on full :class:`~photoq.pipeline.analysis.PhotoAnalysis` objects: the
catalog can build one from stored columns without decoding anything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from photoq.pipeline.analysis import PhotoAnalysis
    from photoq.pipeline.metadata import ExifRecord

__all__ = ["PhotoFacts", "camera_id", "camera_key", "facts_from_analysis"]


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """One photo as grouping and picking see it. Every optional field may be None (unknown).

    ``captured_at`` is naive camera-clock time with sub-seconds: frames of one camera share its
    clock, and bursts are only ever looked for within one camera. ``camera`` identifies the body
    (model and serial when known, else make and model). ``phash``/``dhash`` are the 16-hex-digit
    hashes of the oriented image. ``eyes_open`` is True when every judged face has open eyes,
    False when any is closed. ``sharpness`` is the subject sharpness sub-score (0–1) and
    ``pixels`` the image's pixel count. ``faults`` are the quality report's reasons in words.
    """

    id: int
    path: str
    content_hash: str
    dhash: str | None = None
    phash: str | None = None
    captured_at: dt.datetime | None = None
    camera: str | None = None
    score: float | None = None
    eyes_open: bool | None = None
    sharpness: float | None = None
    pixels: int | None = None
    faults: tuple[str, ...] = ()

    @property
    def stem(self) -> str:
        """The file name without folder or extension, as a photographer refers to a frame."""
        return PurePath(self.path).stem


def camera_key(exif: ExifRecord) -> str | None:
    """Which camera body took the photo: model and serial, else make and model, else None.

    The model is kept next to the serial because serial numbers are only unique per model.
    """
    return camera_id(exif.make, exif.model, exif.serial)


def camera_id(make: str | None, model: str | None, serial: str | None) -> str | None:
    """:func:`camera_key` from the separate fields (as the catalog stores them)."""
    name = " ".join(part for part in (make, model) if part) or None
    if serial:
        return f"{name or 'camera'} #{serial}"
    return name


def _camera_clock(exif: ExifRecord) -> dt.datetime | None:
    # Dropping the offset keeps the camera's own clock: comparing frames of one body needs no
    # time zone, and naive and aware datetimes cannot be compared with each other.
    when = exif.captured_at()
    return None if when is None else when.replace(tzinfo=None)


def _eyes_open(share_open: float | None) -> bool | None:
    if share_open is None:
        return None
    return share_open >= 1.0


def facts_from_analysis(photo_id: int, path: str, analysis: PhotoAnalysis) -> PhotoFacts:
    """The grouping facts of one analysed photo."""
    quality = analysis.quality
    return PhotoFacts(
        id=photo_id,
        path=path,
        content_hash=analysis.content_hash,
        dhash=analysis.hashes.dhash,
        phash=analysis.hashes.phash,
        captured_at=_camera_clock(analysis.exif),
        camera=camera_key(analysis.exif),
        score=quality.score,
        eyes_open=_eyes_open(quality.subscores.get("eyes")),
        sharpness=quality.subscores.get("sharpness"),
        pixels=analysis.width * analysis.height,
        faults=tuple(quality.reasons),
    )
