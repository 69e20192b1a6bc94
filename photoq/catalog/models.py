"""SQLAlchemy models of the catalog: the source of truth for shoots, photos and jobs.

The schema itself is owned by the Alembic migrations in ``migrations/versions``; these classes must
match them (``tests/catalog/test_migrations.py`` checks that they do).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from photoq.catalog.fs_text import FsString, FsText

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect


class JobStatus(StrEnum):
    """Job states: pending → queued → running → succeeded | retrying | dead | cancelled."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    DEAD = "dead"
    CANCELLED = "cancelled"


#: States a job never leaves by itself; a message for a job in one of these is dropped.
FINAL_STATES = frozenset({JobStatus.SUCCEEDED, JobStatus.DEAD, JobStatus.CANCELLED})
#: States in which a job still owes work.
UNFINISHED_STATES = frozenset(
    {JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING}
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class ShootSession(Base):
    """A shoot: one folder of photos registered together."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The folder's name; cut to fit the column (see :func:`photoq.catalog.fs_text.fit`).
    name: Mapped[str] = mapped_column(FsString(255))
    #: Absolute; like every path and text that may quote one, exact whatever its bytes.
    root: Mapped[str] = mapped_column(FsText, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Photo(Base):
    """One original file; analysis results are filled in by the pipeline tasks."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("session_id", "path", name="uq_photos_session_path"),
        Index("ix_photos_content_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(FsText)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    content_hash: Mapped[str] = mapped_column(String(64))
    format: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    exif: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    make: Mapped[str | None] = mapped_column(String(128))
    model: Mapped[str | None] = mapped_column(String(128))
    lens: Mapped[str | None] = mapped_column(String(255))
    #: Camera clock time with sub-seconds, naive as the camera wrote it; the offset beside it.
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    capture_offset: Mapped[str | None] = mapped_column(String(8))
    exposure_time: Mapped[float | None] = mapped_column(Float)
    f_number: Mapped[float | None] = mapped_column(Float)
    iso: Mapped[int | None] = mapped_column(Integer)
    focal_length: Mapped[float | None] = mapped_column(Float)
    orientation: Mapped[int | None] = mapped_column(Integer)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    quality_score: Mapped[float | None] = mapped_column(Float)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dhash: Mapped[str | None] = mapped_column(String(16))
    phash: Mapped[str | None] = mapped_column(String(16))
    analysis_version: Mapped[int | None] = mapped_column(Integer)
    is_pick: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[str | None] = mapped_column(String(64))
    context_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    preset: Mapped[str | None] = mapped_column(String(128))
    #: How strongly the recommended preset applies, 0–100 %.
    preset_blend: Mapped[float | None] = mapped_column(Float)
    reject_reason: Mapped[str | None] = mapped_column(FsText)
    #: The preset actually applied (by ``apply_preset``), its version and blend, 0–100 %.
    applied_preset: Mapped[str | None] = mapped_column(String(128))
    applied_version: Mapped[int | None] = mapped_column(Integer)
    applied_blend: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Job(Base):
    """A unit of queued work. The broker message carries only ``id``; this row is the truth."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status", "status"),
        Index("ix_jobs_session_id", "session_id"),
        Index("ix_jobs_photo_id", "photo_id"),
        # Releasing a session's pending follow-ups runs after each of its jobs finishes.
        Index("ix_jobs_session_status", "session_id", "status"),
        # A dead job is retried at most once, even by two requests at the same moment.
        Index("ix_jobs_retry_of", "retry_of", unique=True),
        Index("ix_jobs_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    queue: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer)
    #: The id of the one broker message allowed to run this job; any other is superseded.
    message_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_type: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(FsText)
    worker: Mapped[str | None] = mapped_column(String(255))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    #: When the dead-job webhook for this job was taken to be sent (at most once).
    notified_at: Mapped[datetime | None] = mapped_column()


class JobAttempt(Base):
    """One try at a job: when, on which worker, and how it ended."""

    __tablename__ = "job_attempts"
    __table_args__ = (Index("ix_job_attempts_job_id", "job_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    #: succeeded | retry | failed | lost | dropped
    outcome: Mapped[str | None] = mapped_column(String(16))
    error_type: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(FsText)
    retry_delay: Mapped[float | None] = mapped_column(Float)


class QueueState(Base):
    """Persisted pause flag per queue, honoured by every worker that starts."""

    __tablename__ = "queue_state"

    queue: Mapped[str] = mapped_column(String(32), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PhotoGroup(Base):
    """Photos that belong together: the same bytes, a burst, or near-identical shots."""

    __tablename__ = "groups"
    __table_args__ = (Index("ix_groups_session_id", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    #: exact | burst | similar
    kind: Mapped[str] = mapped_column(String(16))
    cover_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    """A photo's membership of a group; a photo is in at most one group of each kind."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )


class PresetRow(Base):
    """A develop preset; importing a newer version keeps the older ones."""

    __tablename__ = "presets"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_presets_name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(255))
    #: The preset in photoq's own format (YAML text), as ``photoq presets export`` writes it.
    document: Mapped[str] = mapped_column(Text)
    unsupported: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SystemMetric(Base):
    """One sample of the host and the queues, taken every minute by ``update_system_metrics``."""

    __tablename__ = "system_metrics"
    __table_args__ = (Index("ix_system_metrics_recorded_at", "recorded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cpu_percent: Mapped[float] = mapped_column(Float)
    #: The 1-minute load average.
    load_avg: Mapped[float] = mapped_column(Float)
    memory_percent: Mapped[float] = mapped_column(Float)
    memory_used: Mapped[int] = mapped_column(BigInteger)
    disk_used_percent: Mapped[float] = mapped_column(Float)
    disk_free: Mapped[int] = mapped_column(BigInteger)
    #: Queue name → messages waiting in it (empty when the broker could not be asked).
    queue_depths: Mapped[dict[str, int]] = mapped_column(JSON)
    #: One dict per GPU (``photoq.host.GpuSample``); null on a host without GPUs.
    gpus: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class ExportRow(Base):
    """A file photoq wrote into an export folder: the only kind of file an export may replace
    (with ``--overwrite``, or on a retry of the job that wrote it), and only while its size and
    SHA-256 are still the recorded ones."""

    __tablename__ = "exports"
    __table_args__ = (UniqueConstraint("path", name="uq_exports_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Absolute, as written; exact whatever its bytes.
    path: Mapped[str] = mapped_column(FsText)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


# The worker heartbeat rows share this metadata (migrations and their test compare all of it).
from photoq.catalog import workers as _workers  # noqa: E402, F401
