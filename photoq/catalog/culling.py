"""Culling in the catalog: the facts grouping needs, and the groups and decisions it made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from photoq.catalog.models import GroupMember, Photo, PhotoGroup
from photoq.pipeline.culling import PhotoFacts, camera_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from photoq.catalog.store import Catalog
    from photoq.pipeline.culling import Decision, Group


@dataclass(frozen=True)
class GroupView:
    kind: str
    cover: str | None
    members: list[str]


@dataclass(frozen=True)
class CullingView:
    """A session's culling result as ``photoq run`` reports it."""

    groups: list[GroupView] = field(default_factory=list)
    picks: list[str] = field(default_factory=list)
    rejects: list[dict[str, str]] = field(default_factory=list)


def _facts(photo: Photo) -> PhotoFacts:
    quality, exif = photo.quality or {}, photo.exif or {}
    subscores = quality.get("subscores", {})
    eyes = subscores.get("eyes")
    return PhotoFacts(
        id=photo.id,
        path=photo.path,
        content_hash=photo.content_hash,
        dhash=photo.dhash,
        phash=photo.phash,
        captured_at=photo.captured_at,
        camera=camera_id(exif.get("make"), exif.get("model"), exif.get("serial")),
        score=photo.quality_score,
        eyes_open=None if eyes is None else eyes >= 1.0,
        sharpness=subscores.get("sharpness"),
        pixels=(photo.width or 0) * (photo.height or 0) or None,
        faults=tuple(quality.get("reasons", ())),
    )


class CullingRepository:
    """Reads the analysed photos of a session and stores groups, picks and ratings."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def facts(self, session_id: int) -> list[PhotoFacts]:
        """Every analysed photo of the session (a photo whose analysis died is left out)."""
        stmt = select(Photo).where(Photo.session_id == session_id, Photo.quality_score.is_not(None))
        with self.catalog.transaction(read_only=True) as db:
            return [_facts(p) for p in db.scalars(stmt.order_by(Photo.id))]

    def save(self, session_id: int, groups: Sequence[Group], decisions: Sequence[Decision]) -> None:
        """Replace the session's groups and decisions (running culling twice gives the same)."""
        with self.catalog.transaction() as db:
            db.execute(delete(PhotoGroup).where(PhotoGroup.session_id == session_id))
            for group in groups:
                row = PhotoGroup(
                    session_id=session_id, kind=str(group.kind), cover_photo_id=group.cover
                )
                db.add(row)
                db.flush()
                db.execute(
                    insert(GroupMember),
                    [{"group_id": row.id, "photo_id": member} for member in group.members],
                )
            for d in decisions:
                db.execute(
                    update(Photo)
                    .where(Photo.id == d.photo_id)
                    .values(is_pick=d.pick, rating=d.rating, reject_reason=d.reason)
                )

    def pick_ids(self, session_id: int) -> list[int]:
        """The session's picks, in path order (the order ``{seq}`` numbers exports in)."""
        stmt = select(Photo.id).where(Photo.session_id == session_id, Photo.is_pick.is_(True))
        with self.catalog.transaction(read_only=True) as db:
            return list(db.scalars(stmt.order_by(Photo.path)))

    def is_culled(self, session_id: int) -> bool:
        """Whether every analysed photo of the session has a pick/reject decision."""
        stmt = select(Photo.id).where(
            Photo.session_id == session_id,
            Photo.quality_score.is_not(None),
            Photo.is_pick.is_(None),
        )
        with self.catalog.transaction(read_only=True) as db:
            return db.execute(stmt.limit(1)).first() is None

    def view(self, session_id: int) -> CullingView:
        with self.catalog.transaction(read_only=True) as db:
            rows = db.execute(select(Photo.id, Photo.path).where(Photo.session_id == session_id))
            paths: dict[int, str] = {photo_id: path for photo_id, path in rows}
            members: dict[int, list[str]] = {}
            for group_id, photo_id in db.execute(
                select(GroupMember.group_id, GroupMember.photo_id)
                .join(PhotoGroup, PhotoGroup.id == GroupMember.group_id)
                .where(PhotoGroup.session_id == session_id)
            ):
                members.setdefault(group_id, []).append(paths[photo_id])
            groups = [
                GroupView(g.kind, paths.get(g.cover_photo_id or -1), sorted(members.get(g.id, [])))
                for g in db.scalars(
                    select(PhotoGroup)
                    .where(PhotoGroup.session_id == session_id)
                    .order_by(PhotoGroup.kind, PhotoGroup.id)
                )
            ]
            decided = db.execute(
                select(Photo.path, Photo.is_pick, Photo.reject_reason)
                .where(Photo.session_id == session_id, Photo.is_pick.is_not(None))
                .order_by(Photo.path)
            ).all()
        return CullingView(
            groups=groups,
            picks=[path for path, pick, _ in decided if pick],
            rejects=[
                {"path": path, "reason": reason or ""} for path, pick, reason in decided if not pick
            ],
        )
