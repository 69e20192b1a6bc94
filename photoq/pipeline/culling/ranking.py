"""Which of two photos is the better keeper, and the criterion that decided it.

The order is the one photographers cull by: the higher quality score, then open eyes (open
beats unknown beats closed), then the sharper subject, then the larger image, then the earlier
frame, and finally the lower id so that the order is total and therefore deterministic.
Grouping uses it to choose each group's cover; picking uses the deciding criterion to explain a
reject in words.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from photoq.pipeline.culling.facts import PhotoFacts

__all__ = ["Criterion", "best_of", "deciding_criterion", "rank_key"]

RankKey = tuple[float, int, float, int, dt.datetime, int]

# Unknown values sort after every known one, so a photo never wins on what we do not know.
_NO_TIME = dt.datetime.max
_EYES_ORDER = {True: 0, None: 1, False: 2}


class Criterion(StrEnum):
    """The tie-break that separated two photos, in the order they are tried."""

    SCORE = "score"
    EYES = "eyes"
    SHARPNESS = "sharpness"
    RESOLUTION = "resolution"
    CAPTURE = "capture"
    ID = "id"


def rank_key(photo: PhotoFacts) -> RankKey:
    """Sort key: the best keeper sorts first."""
    return (
        -(photo.score if photo.score is not None else float("-inf")),
        _EYES_ORDER[photo.eyes_open],
        -(photo.sharpness if photo.sharpness is not None else float("-inf")),
        -(photo.pixels or 0),
        photo.captured_at or _NO_TIME,
        photo.id,
    )


def best_of(photos: Iterable[PhotoFacts]) -> PhotoFacts:
    """The best keeper among ``photos`` (which must not be empty)."""
    best = min(photos, key=rank_key, default=None)
    if best is None:
        msg = "best_of() needs at least one photo"
        raise ValueError(msg)
    return best


def deciding_criterion(winner: PhotoFacts, loser: PhotoFacts) -> Criterion:
    """The first criterion on which ``winner`` ranks ahead of ``loser``."""
    for criterion, a, b in zip(Criterion, rank_key(winner), rank_key(loser), strict=True):
        if a != b:
            return criterion
    return Criterion.ID
