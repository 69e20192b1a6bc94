"""Shoots (sessions) and their photos: registration on ingest and analysis results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from photoq.catalog.fs_text import fit
from photoq.catalog.models import Job, Photo, ShootSession, utcnow

if TYPE_CHECKING:
    from datetime import datetime

    from photoq.catalog.store import Catalog


@dataclass(frozen=True)
class PhotoFile:
    """A photo as registered: where it is and what its bytes were when last seen."""

    id: int
    session_id: int
    path: str
    size: int
    mtime: float
    content_hash: str
    analysis_version: int | None


@dataclass(frozen=True)
class FileFacts:
    """What ingest learned about a file on disk."""

    path: str
    size: int
    mtime: float
    content_hash: str


@dataclass(frozen=True)
class PhotoOutcome:
    """A photo with the state of its latest job of one kind."""

    photo_id: int
    path: str
    status: str | None
    error: str | None
    analysis_version: int | None
    #: The latest job of that kind (None when the photo has none).
    job_id: int | None = None


@dataclass(frozen=True)
class DevelopFacts:
    """What developing and exporting a photo needs to know about it."""

    id: int
    path: str
    is_pick: bool | None
    rating: int | None
    context: str | None
    preset: str | None
    preset_blend: float | None
    applied_preset: str | None
    applied_version: int | None
    applied_blend: float | None
    captured_at: datetime | None

    @property
    def sidecar_rating(self) -> int:
        """xmp:Rating: −1 marks a reject, as Lightroom and digiKam read it."""
        return -1 if self.is_pick is False else (self.rating or 0)


def _photo_file(p: Photo) -> PhotoFile:
    return PhotoFile(
        p.id, p.session_id, p.path, p.size, p.mtime, p.content_hash, p.analysis_version
    )


class PhotoRepository:
    """All reads and writes of ``sessions`` and ``photos``."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def session_for_root(self, root: str, name: str) -> int:
        """The id of the session registered for ``root``, created on first use (``name`` cut
        to fit its column)."""
        with self.catalog.transaction() as db:
            found = db.scalar(select(ShootSession.id).where(ShootSession.root == root))
            if found is not None:
                return found
            session = ShootSession(name=fit(name, 255), root=root, created_at=utcnow())
            db.add(session)
            db.flush()
            return session.id

    def session_ids(self) -> list[int]:
        with self.catalog.transaction(read_only=True) as db:
            return list(db.scalars(select(ShootSession.id).order_by(ShootSession.id)))

    def session_roots(self) -> list[str]:
        """The root folder of every session: where originals live."""
        with self.catalog.transaction(read_only=True) as db:
            return list(db.scalars(select(ShootSession.root).order_by(ShootSession.id)))

    def photos(self, session_id: int) -> list[PhotoFile]:
        with self.catalog.transaction(read_only=True) as db:
            stmt = select(Photo).where(Photo.session_id == session_id).order_by(Photo.path)
            return [_photo_file(p) for p in db.scalars(stmt)]

    def scores(self, photo_ids: list[int]) -> dict[int, tuple[int, float | None]]:
        """Session id and quality score of each known photo among ``photo_ids``."""
        out: dict[int, tuple[int, float | None]] = {}
        with self.catalog.transaction(read_only=True) as db:
            for start in range(0, len(photo_ids), 500):
                stmt = select(Photo.id, Photo.session_id, Photo.quality_score).where(
                    Photo.id.in_(photo_ids[start : start + 500])
                )
                out.update({pid: (sid, score) for pid, sid, score in db.execute(stmt)})
        return out

    def get(self, photo_id: int) -> PhotoFile | None:
        with self.catalog.transaction(read_only=True) as db:
            photo = db.get(Photo, photo_id)
            return None if photo is None else _photo_file(photo)

    def applied_presets(
        self, session_id: int
    ) -> dict[int, tuple[str | None, int | None, float | None]]:
        """Each photo's applied preset as (name, version, blend)."""
        stmt = select(
            Photo.id, Photo.applied_preset, Photo.applied_version, Photo.applied_blend
        ).where(Photo.session_id == session_id)
        with self.catalog.transaction(read_only=True) as db:
            return {pid: (name, version, blend) for pid, name, version, blend in db.execute(stmt)}

    def develop_facts(self, photo_id: int) -> DevelopFacts | None:
        with self.catalog.transaction(read_only=True) as db:
            p = db.get(Photo, photo_id)
            if p is None:
                return None
            return DevelopFacts(
                p.id,
                p.path,
                p.is_pick,
                p.rating,
                p.context,
                p.preset,
                p.preset_blend,
                p.applied_preset,
                p.applied_version,
                p.applied_blend,
                p.captured_at,
            )

    def register(self, session_id: int, facts: list[FileFacts]) -> list[int]:
        """Insert new files and refresh changed ones; returns the ids of photos to (re)analyse.

        A file whose bytes changed loses its analysis; one that was only touched (same hash,
        new mtime) keeps it.
        """
        changed: list[int] = []
        with self.catalog.transaction() as db:
            known = {
                p.path: p for p in db.scalars(select(Photo).where(Photo.session_id == session_id))
            }
            for f in facts:
                photo = known.get(f.path)
                if photo is None:
                    photo = Photo(
                        session_id=session_id,
                        path=f.path,
                        size=f.size,
                        mtime=f.mtime,
                        content_hash=f.content_hash,
                    )
                    db.add(photo)
                    db.flush()
                    changed.append(photo.id)
                    continue
                if photo.content_hash != f.content_hash:
                    photo.analysis_version = None
                    photo.is_pick = photo.rating = photo.reject_reason = None
                    photo.exif = None
                    photo.quality = None
                    photo.quality_score = None
                    changed.append(photo.id)
                photo.size, photo.mtime, photo.content_hash = f.size, f.mtime, f.content_hash
        return changed

    def save_analysis(self, photo_id: int, values: dict[str, Any]) -> None:
        """Store analysis results (column → value) on a photo."""
        allowed = set(Photo.__table__.columns.keys()) - {"id", "session_id", "path"}
        unknown = set(values) - allowed
        if unknown:
            msg = f"not photo columns: {sorted(unknown)}"
            raise ValueError(msg)
        with self.catalog.transaction() as db:
            db.execute(update(Photo).where(Photo.id == photo_id).values(**values))

    def outcomes(self, session_id: int, kind: str) -> list[PhotoOutcome]:
        """Each photo of the session with the status of its newest ``kind`` job (or None)."""
        latest = (
            select(Job.photo_id, func.max(Job.id).label("job_id"))
            .where(Job.session_id == session_id, Job.kind == kind)
            .group_by(Job.photo_id)
            .subquery()
        )
        stmt = (
            select(
                Photo.id,
                Photo.path,
                Job.status,
                Job.error_message,
                Photo.analysis_version,
                Job.id,
            )
            .outerjoin(latest, latest.c.photo_id == Photo.id)
            .outerjoin(Job, Job.id == latest.c.job_id)
            .where(Photo.session_id == session_id)
            .order_by(Photo.path)
        )
        with self.catalog.transaction(read_only=True) as db:
            return [PhotoOutcome(*row) for row in db.execute(stmt)]
