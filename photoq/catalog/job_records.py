"""Plain records of jobs that cross the catalog boundary (no ORM objects leave it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from photoq.records import JsonRecord

if TYPE_CHECKING:
    from datetime import datetime

    from photoq.catalog.models import Job, JobAttempt


@dataclass(frozen=True)
class NewJob:
    """What it takes to create a job."""

    kind: str
    queue: str
    priority: int
    max_retries: int
    photo_id: int | None = None
    session_id: int | None = None
    payload: dict[str, Any] | None = None
    #: ``pending`` jobs wait until every earlier job of their session is final.
    pending: bool = False
    retry_of: int | None = None


@dataclass(frozen=True)
class Dispatch:
    """A job ready to be published: the message must carry exactly this id."""

    job_id: int
    kind: str
    queue: str
    priority: int
    message_id: str


@dataclass(frozen=True)
class Claim:
    """A job a worker now owns for one attempt."""

    job_id: int
    attempt_id: int
    attempt: int
    max_retries: int
    priority: int
    kind: str
    photo_id: int | None
    session_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobInfo(JsonRecord):
    """A job as users see it."""

    id: int
    kind: str
    status: str
    queue: str
    priority: int
    attempts: int
    max_retries: int
    photo_id: int | None
    session_id: int | None
    error_type: str | None
    error_message: str | None
    worker: str | None
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    retry_of: int | None = None
    #: The photo's file, where the query that made this record looked it up.
    photo_path: str | None = None


@dataclass(frozen=True)
class AttemptInfo(JsonRecord):
    """One try of a job: when, where, and how it ended."""

    number: int
    worker: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    error_type: str | None
    error_message: str | None
    retry_delay: float | None


def attempt_info(a: JobAttempt) -> AttemptInfo:
    return AttemptInfo(
        a.number,
        a.worker,
        a.started_at,
        a.finished_at,
        a.outcome,
        a.error_type,
        a.error_message,
        a.retry_delay,
    )


def job_info(job: Job) -> JobInfo:
    return JobInfo(
        id=job.id,
        kind=job.kind,
        status=job.status,
        queue=job.queue,
        priority=job.priority,
        attempts=job.attempts,
        max_retries=job.max_retries,
        photo_id=job.photo_id,
        session_id=job.session_id,
        error_type=job.error_type,
        error_message=job.error_message,
        worker=job.worker,
        created_at=job.created_at,
        queued_at=job.queued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result=job.result,
        retry_of=job.retry_of,
    )
