"""Changing jobs from outside the workers: cancel, purge, dead-letter retry, aging, follow-ups.

Every change here goes through the message-id protocol of :mod:`photoq.catalog.jobs`: a job
that is cancelled or given a fresh message id makes its old broker message stale, and a stale
message is dropped when it arrives (DESIGN.md invariant 2). Each update is conditional on the
state it was read in, so a worker claiming the same job at the same moment cannot be overruled
halfway: one of the two statements wins whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import aliased

from photoq.catalog.job_records import Dispatch, JobInfo, NewJob, job_info
from photoq.catalog.jobs import CLAIMABLE, new_message_id
from photoq.catalog.models import (
    FINAL_STATES,
    UNFINISHED_STATES,
    Job,
    JobAttempt,
    JobStatus,
    Photo,
    QueueState,
    utcnow,
)
from photoq.catalog.queue_state import QueueStateRepository

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable
    from datetime import datetime

    from sqlalchemy import ColumnElement, Select

    from photoq.catalog.store import Catalog

#: Work that has not started: purge cancels these, never a running job.
WAITING_STATES = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RETRYING)


@dataclass(frozen=True)
class Cancelled:
    """What cancelling found: the state the job was in and the message it was running under."""

    job_id: int
    previous: str
    message_id: str | None
    session_id: int | None

    @property
    def changed(self) -> bool:
        return self.previous not in FINAL_STATES

    @property
    def was_running(self) -> bool:
        return self.previous == JobStatus.RUNNING


def _not_retried() -> ColumnElement[bool]:
    later = aliased(Job)
    return ~exists(select(later.id).where(later.retry_of == Job.id))


class JobAdmin:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def cancel(self, job_id: int) -> Cancelled | None:
        """Mark an unfinished job cancelled and close its open attempt; ``None`` if unknown."""
        now = utcnow()
        with self.catalog.transaction() as db:
            job = db.get(Job, job_id, with_for_update=True)
            if job is None:
                return None
            found = Cancelled(job.id, job.status, job.message_id, job.session_id)
            if not found.changed:
                return found
            job.status, job.finished_at = JobStatus.CANCELLED, now
            job.error_type, job.error_message = "Cancelled", "cancelled by request"
            db.execute(
                update(JobAttempt)
                .where(JobAttempt.job_id == job_id, JobAttempt.finished_at.is_(None))
                .values(finished_at=now, outcome="cancelled")
            )
            return found

    def cancel_waiting(self, queues: Iterable[str]) -> dict[int, int | None]:
        """Cancel every job of ``queues`` that has not started (running jobs are left alone);
        returns the cancelled job ids with their session ids."""
        now = utcnow()
        waiting = [s.value for s in WAITING_STATES]
        with self.catalog.transaction() as db:
            rows = db.execute(
                update(Job)
                .where(Job.queue.in_(list(queues)), Job.status.in_(waiting))
                .values(
                    status=JobStatus.CANCELLED,
                    finished_at=now,
                    error_type="Cancelled",
                    error_message="purged from its queue",
                )
                .returning(Job.id, Job.session_id)
            ).all()
        return {job_id: session_id for job_id, session_id in sorted(rows)}

    def failed(self, limit: int, offset: int) -> tuple[list[JobInfo], int]:
        """Dead jobs not yet retried, newest first, and how many there are in all."""
        where = and_(Job.status == JobStatus.DEAD, _not_retried())
        stmt = (
            select(Job, Photo.path)
            .outerjoin(Photo, Photo.id == Job.photo_id)
            .where(where)
            .order_by(Job.finished_at.desc(), Job.id.desc())
        )
        with self.catalog.transaction(read_only=True) as db:
            total = db.scalar(select(func.count()).select_from(Job).where(where)) or 0
            rows = db.execute(stmt.limit(limit).offset(offset)).all()
            return [replace(job_info(j), photo_path=path) for j, path in rows], total

    def retried_as(self, job_id: int) -> int | None:
        """The job that retried ``job_id``, if any."""
        with self.catalog.transaction(read_only=True) as db:
            return db.scalar(select(Job.id).where(Job.retry_of == job_id).order_by(Job.id))

    def retry_spec(self, job: JobInfo) -> NewJob:
        """A fresh job doing what ``job`` did (same payload), with a full attempt budget."""
        with self.catalog.transaction(read_only=True) as db:
            payload = db.scalar(select(Job.payload).where(Job.id == job.id))
        return NewJob(
            kind=job.kind,
            queue=job.queue,
            priority=job.priority,
            max_retries=job.max_retries,
            photo_id=job.photo_id,
            session_id=job.session_id,
            payload=payload,
            retry_of=job.id,
        )

    def list_jobs(
        self, *, status: str | None, session_id: int | None, limit: int, offset: int
    ) -> list[JobInfo]:
        """Jobs newest first, optionally of one status and one session."""
        stmt = select(Job).order_by(Job.id.desc()).limit(limit).offset(offset)
        if status is not None:
            stmt = stmt.where(Job.status == status)
        if session_id is not None:
            stmt = stmt.where(Job.session_id == session_id)
        with self.catalog.transaction(read_only=True) as db:
            return [job_info(j) for j in db.scalars(stmt)]

    def age_waiting(
        self,
        waited_since: datetime,
        *,
        step: int,
        ceiling: int,
        next_queue: dict[str, str],
        limit: int = 1000,
    ) -> list[Dispatch]:
        """Move every job queued before ``waited_since`` one tier up: ``step`` priority levels
        higher (at most ``ceiling``) and into ``next_queue[queue]`` where there is one, under a
        fresh message id. Jobs whose queue, or next queue, is paused stay as they are."""
        paused = QueueStateRepository(self.catalog).paused()
        stmt = (
            select(Job.id, Job.kind, Job.queue, Job.priority, Job.message_id)
            .where(
                Job.status == JobStatus.QUEUED,
                Job.queued_at < waited_since,
                (Job.priority < ceiling) | Job.queue.in_(list(next_queue)),
                Job.queue.not_in(paused),
            )
            .order_by(Job.queued_at)
            .limit(limit)
        )

        def up(queue: str, priority: int) -> tuple[str, int]:
            target = next_queue.get(queue, queue)
            return (queue if target in paused else target), min(ceiling, priority + step)

        return self._requeue(stmt, up, (JobStatus.QUEUED,))

    def release_pending(self, session_id: int) -> list[Dispatch]:
        """Queue the session's pending jobs whose earlier jobs are all final."""
        earlier = aliased(Job)
        blocked = exists(
            select(earlier.id).where(
                earlier.session_id == session_id,
                earlier.id < Job.id,
                earlier.status.in_([s.value for s in UNFINISHED_STATES]),
            )
        )
        stmt = select(Job.id, Job.kind, Job.queue, Job.priority, Job.message_id).where(
            Job.session_id == session_id, Job.status == JobStatus.PENDING, ~blocked
        )
        return self._requeue(stmt, lambda q, p: (q, p), (JobStatus.PENDING,))

    def requeue_paused(self, job_id: int, message_id: str) -> Dispatch | None:
        """Put back a job whose message reached a worker after its queue was paused (prefetched,
        a retry's countdown, a redelivery): a fresh message waits in the paused queue, the job
        is ``queued`` again. ``None`` if the queue is not paused or the message is stale."""
        paused = select(QueueState.queue).where(QueueState.paused.is_(True))
        stmt = select(Job.id, Job.kind, Job.queue, Job.priority, Job.message_id).where(
            Job.id == job_id,
            Job.message_id == message_id,
            Job.status.in_([s.value for s in CLAIMABLE]),
            Job.queue.in_(paused),
        )
        found = self._requeue(stmt, lambda q, p: (q, p), CLAIMABLE)
        return found[0] if found else None

    def requeue_unowned(self, messages: dict[int, str]) -> list[Dispatch]:
        """Re-queue each job (id → the message id it was seen with) that is still unfinished
        under that message: its message was lost, or its worker is gone."""
        stmt = select(Job.id, Job.kind, Job.queue, Job.priority, Job.message_id).where(
            Job.id.in_(list(messages)), Job.status.in_([s.value for s in CLAIMABLE])
        )
        return self._requeue(stmt, lambda q, p: (q, p), CLAIMABLE, seen=messages)

    def _requeue(
        self,
        stmt: Select[int, str, str, int, str | None],
        change: Callable[[str, int], tuple[str, int]],
        expected: Collection[JobStatus],
        seen: dict[int, str] | None = None,
    ) -> list[Dispatch]:
        """Give each selected job a fresh message id (and the queue and priority ``change``
        gives), as ``queued``; a row whose status left ``expected`` or whose message changed
        since it was read, or since it was ``seen`` (job id → message id), is skipped (the
        update is conditional on both)."""
        # Read first, without the write lock: this runs after every job of a session (are its
        # follow-ups free now?) and almost always finds nothing to change.
        with self.catalog.transaction(read_only=True) as db:
            rows = db.execute(stmt).all()
        if seen is not None:
            rows = [r for r in rows if seen.get(r[0]) == r[4]]
        if not rows:
            return []
        out: list[Dispatch] = []
        now = utcnow()
        with self.catalog.transaction() as db:
            for job_id, kind, queue, priority, old in rows:
                fresh = new_message_id()
                new_queue, new_priority = change(queue, priority)
                conditions = [
                    Job.id == job_id,
                    Job.message_id == old,
                    Job.status.in_([s.value for s in expected]),
                ]
                done = db.execute(
                    update(Job)
                    .where(*conditions)
                    .values(
                        message_id=fresh,
                        queue=new_queue,
                        priority=new_priority,
                        status=JobStatus.QUEUED,
                        queued_at=now,
                    )
                )
                if done.rowcount:  # type: ignore[attr-defined]
                    out.append(Dispatch(job_id, kind, new_queue, new_priority, fresh))
        return out
