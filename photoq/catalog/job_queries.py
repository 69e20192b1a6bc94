"""What the catalog knows about jobs: one job, its attempts, the unfinished and stranded ones,
results and payloads of a session's succeeded jobs, counts by state. Reads only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from photoq.catalog.job_records import AttemptInfo, JobInfo, attempt_info, job_info
from photoq.catalog.models import UNFINISHED_STATES, Job, JobAttempt, JobStatus

if TYPE_CHECKING:
    from datetime import datetime

    from photoq.catalog.store import Catalog


class JobQueries:
    """Reads of ``jobs`` and ``job_attempts``, each in a read-only transaction."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def get(self, job_id: int) -> JobInfo | None:
        with self.catalog.transaction(read_only=True) as db:
            job = db.get(Job, job_id)
            return None if job is None else job_info(job)

    def attempts(self, job_id: int) -> list[AttemptInfo]:
        with self.catalog.transaction(read_only=True) as db:
            stmt = select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.id)
            return [attempt_info(a) for a in db.scalars(stmt)]

    def unfinished(self, session_id: int | None = None) -> list[JobInfo]:
        """Jobs that still owe work, oldest first (optionally of one session)."""
        stmt = select(Job).where(Job.status.in_(UNFINISHED_STATES)).order_by(Job.id)
        if session_id is not None:
            stmt = stmt.where(Job.session_id == session_id)
        with self.catalog.transaction(read_only=True) as db:
            return [job_info(j) for j in db.scalars(stmt)]

    def stranded(self, held: dict[str, int], node: str | None) -> list[int]:
        """Unfinished jobs still owned by one of the ``held`` messages (message id → job id),
        plus, when ``node`` is given, the jobs the catalog says are running on that node."""
        found: set[int] = set()
        with self.catalog.transaction(read_only=True) as db:
            ids = list(held.values())
            for start in range(0, len(ids), 500):
                rows = db.execute(
                    select(Job.id, Job.message_id).where(
                        Job.id.in_(ids[start : start + 500]), Job.status.in_(UNFINISHED_STATES)
                    )
                )
                found.update(job_id for job_id, mid in rows if held.get(mid or "") == job_id)
            if node is not None:
                running = select(Job.id).where(Job.status == JobStatus.RUNNING, Job.worker == node)
                found.update(db.scalars(running))
        return sorted(found)

    def latest_result(self, session_id: int, kind: str) -> dict[str, Any]:
        """The result of the session's newest succeeded job of ``kind`` (empty if none)."""
        stmt = (
            select(Job.result)
            .where(
                Job.session_id == session_id, Job.kind == kind, Job.status == JobStatus.SUCCEEDED
            )
            .order_by(Job.id.desc())
            .limit(1)
        )
        with self.catalog.transaction(read_only=True) as db:
            return dict(db.scalar(stmt) or {})

    def result_values(self, session_id: int, kind: str, key: str) -> list[str]:
        """``result[key]`` of the session's succeeded jobs of ``kind``, sorted."""
        stmt = select(Job.result).where(
            Job.session_id == session_id, Job.kind == kind, Job.status == JobStatus.SUCCEEDED
        )
        with self.catalog.transaction(read_only=True) as db:
            values = {str(r[key]) for r in db.scalars(stmt) if r and key in r}
        return sorted(values)

    def succeeded_payload_values(
        self, session_id: int, kind: str, key: str
    ) -> set[tuple[int, str]]:
        """(photo id, ``payload[key]``) of the session's succeeded jobs of ``kind``."""
        stmt = select(Job.photo_id, Job.payload).where(
            Job.session_id == session_id, Job.kind == kind, Job.status == JobStatus.SUCCEEDED
        )
        with self.catalog.transaction(read_only=True) as db:
            return {
                (pid, str(payload[key]))
                for pid, payload in db.execute(stmt)
                if pid is not None and payload and key in payload
            }

    def status_counts(self, job_ids: list[int]) -> dict[str, int]:
        """How many of ``job_ids`` are in each state."""
        counts: dict[str, int] = {}
        with self.catalog.transaction(read_only=True) as db:
            for start in range(0, len(job_ids), 500):
                chunk = job_ids[start : start + 500]
                stmt = (
                    select(Job.status, func.count()).where(Job.id.in_(chunk)).group_by(Job.status)
                )
                for status, count in db.execute(stmt):
                    counts[status] = counts.get(status, 0) + count
        return counts

    def waiting_messages(self, queued_before: datetime) -> dict[int, tuple[str, str]]:
        """Queued or retrying jobs queued before ``queued_before``: id → (message id, queue)."""
        stmt = select(Job.id, Job.message_id, Job.queue).where(
            Job.status.in_([JobStatus.QUEUED.value, JobStatus.RETRYING.value]),
            Job.queued_at < queued_before,
            Job.message_id.is_not(None),
        )
        with self.catalog.transaction(read_only=True) as db:
            return {job_id: (mid, queue) for job_id, mid, queue in db.execute(stmt) if mid}

    def messages_of(self, job_ids: list[int]) -> dict[int, str]:
        """The current message id of each of ``job_ids`` that has one."""
        with self.catalog.transaction(read_only=True) as db:
            stmt = select(Job.id, Job.message_id).where(Job.id.in_(job_ids))
            return {job_id: mid for job_id, mid in db.execute(stmt) if mid}

    def sessions_with_pending(self) -> list[int]:
        """Sessions that have follow-up jobs waiting to be released."""
        stmt = (
            select(Job.session_id)
            .where(Job.status == JobStatus.PENDING.value, Job.session_id.is_not(None))
            .distinct()
        )
        with self.catalog.transaction(read_only=True) as db:
            return [sid for sid in db.scalars(stmt) if sid is not None]

    def waiting_by_queue(self, job_ids: list[int]) -> dict[str, int]:
        """How many of ``job_ids`` wait (queued or retrying) in each queue."""
        counts: dict[str, int] = {}
        waiting = [JobStatus.QUEUED.value, JobStatus.RETRYING.value]
        with self.catalog.transaction(read_only=True) as db:
            for start in range(0, len(job_ids), 500):
                stmt = (
                    select(Job.queue, func.count())
                    .where(Job.id.in_(job_ids[start : start + 500]), Job.status.in_(waiting))
                    .group_by(Job.queue)
                )
                for queue, count in db.execute(stmt):
                    counts[queue] = counts.get(queue, 0) + count
        return counts
