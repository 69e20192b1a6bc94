"""Picks, rejects and star ratings for a session, with each reject's reason in plain words.

The best photo of every group is its cover and a pick; every other member is a reject, and its
reason names the better frame by file name and says what made it better ("duplicate of
IMG_0412, sharper", "burst: IMG_0413 has eyes open"). A photo in several groups is rejected by
the first one it loses, in the order exact, burst, similar. A photo in no group is a pick when
its quality score reaches the threshold; otherwise its reason gives the score and the faults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from photoq.pipeline.culling.grouping import GroupKind
from photoq.pipeline.culling.ranking import Criterion, deciding_criterion

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from photoq.pipeline.culling.facts import PhotoFacts
    from photoq.pipeline.culling.grouping import Group

__all__ = ["PICK_THRESHOLD", "Decision", "decide", "star_rating"]

#: A photo in no group is a pick from this quality score up (the setting's default).
PICK_THRESHOLD = 3.0
#: Rejects never show more stars than this, so sorting by rating never puts a reject first.
_REJECT_MAX_STARS = 2
_PICK_MIN_STARS = 2

# How the better photo is described, as an adjective ("duplicate of X, sharper") and as a
# predicate ("burst: X is sharper").
_ADJECTIVE = {
    Criterion.EYES: "eyes open",
    Criterion.SHARPNESS: "sharper",
    Criterion.RESOLUTION: "higher resolution",
    Criterion.CAPTURE: "shot earlier",
    Criterion.ID: "same quality",
}
_PREDICATE = {
    Criterion.EYES: "has eyes open",
    Criterion.SHARPNESS: "is sharper",
    Criterion.RESOLUTION: "has higher resolution",
    Criterion.CAPTURE: "was shot earlier",
    Criterion.ID: "is as good and comes first",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """What culling decided for one photo: pick or reject, 1–5 stars, and why it was rejected."""

    photo_id: int
    pick: bool
    rating: int
    reason: str | None = None


def star_rating(score: float | None, *, pick: bool) -> int:
    """Stars 1–5: the rounded quality score, at most 2 for a reject and at least 2 for a pick."""
    stars = 1 if score is None else int(min(5.0, max(1.0, score)) + 0.5)
    if pick:
        return max(stars, _PICK_MIN_STARS)
    return min(stars, _REJECT_MAX_STARS)


def _score_text(winner: PhotoFacts, loser: PhotoFacts) -> tuple[str, str]:
    # Two decimals: scores are stored rounded to 0.01, and "4.8 vs 4.8" would explain nothing.
    scores = f"{winner.score or 0.0:.2f} vs {loser.score if loser.score is not None else 0.0:.2f}"
    return f"higher score ({scores})", f"scores {scores}"


def _group_reason(kind: GroupKind, winner: PhotoFacts, loser: PhotoFacts) -> str:
    if kind is GroupKind.EXACT:
        return f"exact duplicate of {winner.stem}"
    criterion = deciding_criterion(winner, loser)
    if criterion is Criterion.SCORE:
        adjective, predicate = _score_text(winner, loser)
    else:
        adjective, predicate = _ADJECTIVE[criterion], _PREDICATE[criterion]
    if kind is GroupKind.BURST:
        return f"burst: {winner.stem} {predicate}"
    return f"duplicate of {winner.stem}, {adjective}"


def _alone_reason(photo: PhotoFacts, threshold: float) -> str | None:
    if photo.score is None:
        return "no quality score"
    if photo.score >= threshold:
        return None
    # Closed eyes lead: it is the fault a photographer checks first and cannot fix in develop.
    faults = sorted(photo.faults, key=lambda f: not f.startswith("eyes closed"))
    if photo.eyes_open is False and not any(f.startswith("eyes closed") for f in faults):
        faults.insert(0, "eyes closed")
    why = f": {', '.join(faults)}" if faults else ""
    return f"score {photo.score:.1f} below {threshold:.1f}{why}"


def decide(
    photos: Iterable[PhotoFacts],
    groups: Sequence[Group],
    *,
    threshold: float = PICK_THRESHOLD,
) -> list[Decision]:
    """One decision per photo, sorted by id. ``groups`` come from :func:`group_photos`."""
    by_id = {p.id: p for p in photos}
    order = {GroupKind.EXACT: 0, GroupKind.BURST: 1, GroupKind.SIMILAR: 2}
    lost: dict[int, tuple[int, str]] = {}
    grouped: set[int] = set()
    for group in groups:
        winner = by_id[group.cover]
        grouped.update(group.members)
        for member in group.members:
            if member == group.cover:
                continue
            rank = order[group.kind]
            if member not in lost or rank < lost[member][0]:
                lost[member] = (rank, _group_reason(group.kind, winner, by_id[member]))
    decisions = []
    for photo_id in sorted(by_id):
        photo = by_id[photo_id]
        if photo_id in lost:
            reason: str | None = lost[photo_id][1]
        elif photo_id in grouped:
            reason = None
        else:
            reason = _alone_reason(photo, threshold)
        pick = reason is None
        rating = star_rating(photo.score, pick=pick)
        decisions.append(Decision(photo_id=photo_id, pick=pick, rating=rating, reason=reason))
    return decisions
