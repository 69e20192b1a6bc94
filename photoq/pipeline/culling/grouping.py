"""Group a session's photos three ways, kept apart: exact duplicates, bursts and similar shots.

- ``exact``: the same bytes (content hash).
- ``burst``: frames of one camera body whose capture times are at most a window apart (default
  2 s, sub-second aware), chained frame to frame, and that look alike — a burst of a runner
  changes less between neighbouring frames than a turn of the camera does.
- ``similar``: near-identical images whatever their time: close pHash *and* dHash (robust to
  resize, re-encode and small crops), or a pHash close to a rotation or mirror of the other's
  (an orientation variant of the same shot).

A photo is in at most one group of each kind: groups are connected components. Nothing compares
every pair: bursts look back only over the frames inside the time window, and similar pairs come
from a multi-index over the hashes (:mod:`photoq.pipeline.hashes.index`). The result depends only
on the set of photos, not their order: members are sorted by id, groups by kind and first id,
and each group's cover is its best photo (:mod:`photoq.pipeline.culling.ranking`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from photoq.pipeline.culling.ranking import best_of
from photoq.pipeline.hashes.index import dihedral_codes, hex_codes, near_pairs

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from photoq.pipeline.culling.facts import PhotoFacts

__all__ = ["Group", "GroupKind", "GroupingOptions", "group_photos"]

#: Largest gap between neighbouring frames of a burst, in seconds.
BURST_WINDOW_S = 2.0
#: Neighbouring burst frames must have a mean pHash/dHash distance at most this (of 64 bits).
#: Unrelated photos sit near 32; frames of one burst, exposure steps included, stay under ~12.
BURST_MAX_DISTANCE = 16
#: Similar shots: pHash and dHash each within these many bits. Resized and re-encoded copies
#: measure 0–6 on both. Shifted, cropped (≤ 8 %) and ±0.7 EV frames of one shot spread further on
#: pHash (up to ~14) than on dHash (mostly ≤ 8: a brightness gradient keeps its sign under an
#: exposure step), so the pHash limit is the looser one. Chosen from measured pair distances
#: (bench/grouping_eval.py): the closest pairs of *different* shots on the truth and generated
#: sets sit at (pHash, dHash) = (14, 7), (10, 13) and (12, 12), outside the box; the one pair of
#: different shots inside it is the 3 s apart aerial brackets (6, 4), which no hash limit splits.
SIMILAR_MAX_PHASH = 12
SIMILAR_MAX_DHASH = 8
#: A rotated or mirrored copy is matched on pHash alone (the dHash cannot be turned without the
#: pixels), so the limit is tighter.
ROTATED_MAX_PHASH = 6


class GroupKind(StrEnum):
    """The three kinds of group, in the order they are reported."""

    EXACT = "exact"
    BURST = "burst"
    SIMILAR = "similar"


@dataclass(frozen=True, slots=True)
class Group:
    """One group: its kind, its members' ids (ascending) and the id of its cover (best pick)."""

    kind: GroupKind
    members: tuple[int, ...]
    cover: int


@dataclass(frozen=True, slots=True)
class GroupingOptions:
    """The limits grouping uses; the defaults are the module constants."""

    burst_window_s: float = BURST_WINDOW_S
    burst_max_distance: int = BURST_MAX_DISTANCE
    similar_max_phash: int = SIMILAR_MAX_PHASH
    similar_max_dhash: int = SIMILAR_MAX_DHASH
    rotated_max_phash: int = ROTATED_MAX_PHASH


class _Components:
    """Union-find over positions 0..n-1; an optional label per position that a union must not mix.

    The label is the camera body: two bursts of different cameras must not be joined through a
    frame whose camera is unknown.
    """

    def __init__(self, labels: Sequence[str | None]) -> None:
        self._parent = list(range(len(labels)))
        self._label = list(labels)

    def find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        la, lb = self._label[ra], self._label[rb]
        if la is not None and lb is not None and la != lb:
            return
        # The smaller root wins, so the structure does not depend on the order of unions.
        root, child = min(ra, rb), max(ra, rb)
        self._parent[child] = root
        self._label[root] = la if la is not None else lb

    def groups(self) -> list[list[int]]:
        by_root: dict[int, list[int]] = {}
        for i in range(len(self._parent)):
            by_root.setdefault(self.find(i), []).append(i)
        return [members for members in by_root.values() if len(members) > 1]


def _make_groups(
    kind: GroupKind,
    photos: Sequence[PhotoFacts],
    components: Iterable[list[int]],
    *,
    distinct: bool = True,
) -> list[Group]:
    out = []
    for positions in components:
        members = [photos[i] for i in positions]
        # Copies with the same bytes are already an exact group; a burst or a similar group
        # needs two different images.
        if distinct and len({p.content_hash for p in members}) < 2:
            continue
        ids = tuple(sorted(p.id for p in members))
        out.append(Group(kind=kind, members=ids, cover=best_of(members).id))
    return sorted(out, key=lambda g: g.members)


def _exact_groups(photos: Sequence[PhotoFacts]) -> list[Group]:
    by_hash: dict[str, list[int]] = {}
    for i, photo in enumerate(photos):
        by_hash.setdefault(photo.content_hash, []).append(i)
    components = (m for m in by_hash.values() if len(m) > 1)
    return _make_groups(GroupKind.EXACT, photos, components, distinct=False)


def _codes(photo: PhotoFacts) -> tuple[int | None, int | None]:
    return (
        None if photo.phash is None else int(photo.phash, 16),
        None if photo.dhash is None else int(photo.dhash, 16),
    )


def _distance(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> float | None:
    """Mean of the pHash and dHash distances (either alone when only one is known)."""
    dists = [
        (x ^ y).bit_count() for x, y in zip(a, b, strict=True) if x is not None and y is not None
    ]
    return sum(dists) / len(dists) if dists else None


_EPOCH = dt.datetime(1970, 1, 1)


def _seconds(when: dt.datetime | None) -> float:
    return 0.0 if when is None else (when.replace(tzinfo=None) - _EPOCH).total_seconds()


def _burst_groups(photos: Sequence[PhotoFacts], options: GroupingOptions) -> list[Group]:
    timed = sorted(
        (i for i, p in enumerate(photos) if p.captured_at is not None),
        key=lambda i: (photos[i].captured_at, photos[i].id),
    )
    # Seconds since a fixed naive epoch: datetime.timestamp() would read a naive time as local
    # time and jump at daylight-saving changes of the machine running this.
    seconds = [_seconds(photos[i].captured_at) for i in timed]
    components = _Components([photos[i].camera for i in timed])
    codes = [_codes(photos[i]) for i in timed]
    for pos, i in enumerate(timed):
        start = bisect.bisect_left(seconds, seconds[pos] - options.burst_window_s)
        for prev in range(start, pos):
            a, b = photos[timed[prev]], photos[i]
            if a.camera is not None and b.camera is not None and a.camera != b.camera:
                continue
            distance = _distance(codes[prev], codes[pos])
            if distance is not None and distance <= options.burst_max_distance:
                components.union(prev, pos)
    positions = [[timed[p] for p in group] for group in components.groups()]
    return _make_groups(GroupKind.BURST, photos, positions)


def _similar_groups(photos: Sequence[PhotoFacts], options: GroupingOptions) -> list[Group]:
    both = [i for i, p in enumerate(photos) if p.phash is not None and p.dhash is not None]
    phash = hex_codes([photos[i].phash or "" for i in both])
    dhash = hex_codes([photos[i].dhash or "" for i in both])
    components = _Components([None] * len(both))
    limits = (options.similar_max_phash, options.similar_max_dhash)
    for a, b in zip(
        *near_pairs((phash, dhash), (phash, dhash), limits, self_join=True), strict=True
    ):
        components.union(int(a), int(b))
    # Orientation variants: each of the 7 turned or mirrored pHashes against the stored ones.
    # All 7 variants go in one query array: one lookup pass per band set instead of seven.
    turned = dihedral_codes(phash)[1:].reshape(-1)
    limit = (options.rotated_max_phash,)
    for q, b in zip(*near_pairs((turned,), (phash,), limit, agree=2), strict=True):
        a = int(q) % len(both)
        if a != b:
            components.union(a, int(b))
    positions = [[both[p] for p in group] for group in components.groups()]
    return _make_groups(GroupKind.SIMILAR, photos, positions)


def group_photos(
    photos: Iterable[PhotoFacts], options: GroupingOptions | None = None
) -> list[Group]:
    """All exact, burst and similar groups of ``photos`` (ids must be unique).

    Groups come in kind order (exact, burst, similar), then by their members' ids.
    """
    opts = options or GroupingOptions()
    ordered = sorted(photos, key=lambda p: p.id)
    ids = [p.id for p in ordered]
    if len(set(ids)) != len(ids):
        msg = "photo ids must be unique"
        raise ValueError(msg)
    return [
        *_exact_groups(ordered),
        *_burst_groups(ordered, opts),
        *_similar_groups(ordered, opts),
    ]
