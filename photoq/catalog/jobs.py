"""Job rows and their attempts: creation, re-publishing and the claim/finish protocol.

The protocol that makes cancel, purge, redelivery and re-publishing safe (DESIGN.md invariant 2):
a job row names the one broker message allowed to run it (``message_id``). A worker *claims* the
job with that id; a message whose id no longer matches, or whose job is final, is dropped.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, exists, func, insert, update

from photoq.catalog.job_queries import JobQueries
from photoq.catalog.job_records import (
    Claim,
    Dispatch,
    NewJob,
)
from photoq.catalog.models import (
    FINAL_STATES,
    Job,
    JobAttempt,
    JobStatus,
    QueueState,
    UTCDateTime,
    utcnow,
)
from photoq.errors import redact

if TYPE_CHECKING:
    from sqlalchemy import Table


CLAIMABLE = (JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.RUNNING)

# The claim/finish statements run twice per task: built once, in Core, they skip the ORM's
# per-call statement construction and session bookkeeping (most of the tracking cost measured).
_JOBS, _ATTEMPTS = cast("Table", Job.__table__), cast("Table", JobAttempt.__table__)
_STATE = cast("Table", QueueState.__table__)
_CLAIM = (
    update(_JOBS)
    .where(
        _JOBS.c.id == bindparam("j_id"),
        _JOBS.c.message_id == bindparam("m_id"),
        _JOBS.c.status.in_([s.value for s in CLAIMABLE]),
        # A message prefetched before its queue was paused must not start (see JobAdmin).
        ~exists().where(_STATE.c.queue == _JOBS.c.queue, _STATE.c.paused.is_(True)),
    )
    .values(
        status=JobStatus.RUNNING.value,
        attempts=_JOBS.c.attempts + 1,
        worker=bindparam("worker"),
        started_at=func.coalesce(_JOBS.c.started_at, bindparam("now", type_=UTCDateTime)),
    )
    .returning(
        _JOBS.c.attempts,
        _JOBS.c.max_retries,
        _JOBS.c.priority,
        _JOBS.c.kind,
        _JOBS.c.photo_id,
        _JOBS.c.session_id,
        _JOBS.c.payload,
    )
)
_LOSE_OPEN_ATTEMPTS = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.job_id == bindparam("j_id"), _ATTEMPTS.c.finished_at.is_(None))
    .values(
        finished_at=bindparam("now", type_=UTCDateTime),
        outcome="lost",
        error_type="WorkerLost",
        error_message="the worker running this attempt died",
    )
)
_NEW_ATTEMPT = insert(_ATTEMPTS).returning(_ATTEMPTS.c.id)
_FINISH_JOB = update(_JOBS).where(
    _JOBS.c.id == bindparam("j_id"),
    _JOBS.c.message_id == bindparam("m_id"),
    _JOBS.c.status == JobStatus.RUNNING.value,
)
_FINISH_ATTEMPT = update(_ATTEMPTS).where(_ATTEMPTS.c.id == bindparam("a_id"))


def new_message_id() -> str:
    return str(uuid.uuid4())


class JobRepository(JobQueries):
    """The life of ``jobs`` and ``job_attempts`` rows (the reads are :class:`JobQueries`')."""

    def create(self, specs: list[NewJob]) -> list[Dispatch]:
        """Insert jobs already marked queued with their message ids, in one transaction.

        The row is written before the message is sent, so a worker never sees a message for a
        job it cannot find; a message that then fails to send is re-published by recovery.
        A ``pending`` spec is stored without being queued: nothing must publish its dispatch
        until :meth:`JobAdmin.release_pending` does.
        """
        if not specs:
            return []
        now = utcnow()
        message_ids = [new_message_id() for _ in specs]
        rows = [
            {
                "kind": s.kind,
                "queue": s.queue,
                "priority": s.priority,
                "max_retries": s.max_retries,
                "photo_id": s.photo_id,
                "session_id": s.session_id,
                "payload": s.payload,
                "status": (JobStatus.PENDING if s.pending else JobStatus.QUEUED).value,
                "attempts": 0,
                "message_id": message_id,
                "retry_of": s.retry_of,
                "created_at": now,
                "queued_at": None if s.pending else now,
            }
            for s, message_id in zip(specs, message_ids, strict=True)
        ]
        insert_rows = insert(_JOBS).returning(_JOBS.c.id, sort_by_parameter_order=True)
        with self.catalog.connection() as conn:
            ids = conn.execute(insert_rows, rows).scalars().all()
        return [
            Dispatch(job_id, s.kind, s.queue, s.priority, message_id)
            for job_id, s, message_id in zip(ids, specs, message_ids, strict=True)
        ]

    def republish(self, job_id: int, *, priority: int | None = None) -> Dispatch | None:
        """Give an unfinished job a fresh message id; the old message becomes superseded."""
        message_id = new_message_id()
        values: dict[str, Any] = {"message_id": message_id, "queued_at": utcnow()}
        if priority is not None:
            values["priority"] = priority
        with self.catalog.transaction() as db:
            job = db.get(Job, job_id)
            if job is None or job.status in FINAL_STATES:
                return None
            if job.status == JobStatus.PENDING:
                values["status"] = JobStatus.QUEUED
            db.execute(update(Job).where(Job.id == job_id).values(**values))
            return Dispatch(
                job.id, job.kind, job.queue, values.get("priority", job.priority), message_id
            )

    def claim(self, job_id: int, message_id: str, worker: str | None) -> Claim | None:
        """Take the job for one attempt, or ``None`` if this message must be dropped (or, when
        its queue is paused, put back: :meth:`JobAdmin.requeue_paused`).

        A job still ``running`` under the same message id is a redelivery after its worker died:
        the dangling attempt is closed as ``lost`` and a new one begins.
        """
        now = utcnow()
        with self.catalog.connection() as conn:
            claimed = conn.execute(
                _CLAIM, {"j_id": job_id, "m_id": message_id, "worker": worker, "now": now}
            ).one_or_none()
            if claimed is None:
                return None
            if claimed.attempts > 1:
                conn.execute(_LOSE_OPEN_ATTEMPTS, {"j_id": job_id, "now": now})
            attempt_id = conn.execute(
                _NEW_ATTEMPT,
                {
                    "job_id": job_id,
                    "number": claimed.attempts,
                    "message_id": message_id,
                    "worker": worker,
                    "started_at": now,
                },
            ).scalar_one()
            return Claim(
                job_id,
                attempt_id,
                claimed.attempts,
                claimed.max_retries,
                claimed.priority,
                claimed.kind,
                claimed.photo_id,
                claimed.session_id,
                claimed.payload or {},
            )

    def _finish(
        self,
        claim: Claim,
        message_id: str,
        job_values: dict[str, Any],
        attempt_values: dict[str, Any],
    ) -> bool:
        """Close the attempt and move the job on, unless it was cancelled or superseded while
        the attempt ran: then the attempt is recorded as ``dropped`` and the job left alone."""
        with self.catalog.connection() as conn:
            done = conn.execute(
                _FINISH_JOB.values(**job_values), {"j_id": claim.job_id, "m_id": message_id}
            )
            kept = bool(done.rowcount)
            if not kept:
                attempt_values = {
                    **attempt_values,
                    "outcome": "dropped",
                    "error_message": "the job was cancelled or re-queued while this attempt ran",
                }
            conn.execute(
                _FINISH_ATTEMPT.values(finished_at=utcnow(), **attempt_values),
                {"a_id": claim.attempt_id},
            )
            return kept

    def succeed(self, claim: Claim, message_id: str, result: dict[str, Any] | None) -> bool:
        """Mark the job succeeded; False when it was cancelled or superseded meanwhile."""
        return self._finish(
            claim,
            message_id,
            {
                "status": JobStatus.SUCCEEDED,
                "result": result,
                "finished_at": utcnow(),
                "error_type": None,
                "error_message": None,
            },
            {"outcome": "succeeded"},
        )

    def schedule_retry(
        self, claim: Claim, message_id: str, error: BaseException, delay: float
    ) -> bool:
        """Record a transient failure; the job waits ``delay`` seconds as ``retrying``."""
        kind, text = type(error).__name__, redact(error)
        return self._finish(
            claim,
            message_id,
            {"status": JobStatus.RETRYING, "error_type": kind, "error_message": text},
            {"outcome": "retry", "error_type": kind, "error_message": text, "retry_delay": delay},
        )

    def mark_dead(
        self, claim: Claim, message_id: str, error: BaseException, notify: bool = False
    ) -> bool:
        """Record a permanent failure (or exhausted retries): the job is dead; with ``notify``
        its webhook waits to be sent (:mod:`photoq.catalog.dead_letters`)."""
        kind, text = type(error).__name__, redact(error)
        now = utcnow()
        return self._finish(
            claim,
            message_id,
            {
                "status": JobStatus.DEAD,
                "error_type": kind,
                "error_message": text,
                "finished_at": now,
                "notified_at": None if notify else now,
            },
            {"outcome": "failed", "error_type": kind, "error_message": text},
        )
