"""The dead-job webhook's outbox: dead jobs whose notification has not been taken yet.

A pool process that marks a job dead only records it (``jobs.notified_at`` stays empty); the
worker's main process takes each such job once (a conditional update, so two workers never both
send it) and posts it outside the pool, where a slow receiver cannot hold photo work up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from photoq.catalog.job_records import JobInfo, job_info
from photoq.catalog.models import Job, JobStatus, utcnow

if TYPE_CHECKING:
    from photoq.catalog.store import Catalog


def take_unnotified(catalog: Catalog, limit: int = 20) -> list[JobInfo]:
    """Up to ``limit`` dead jobs not notified yet, now marked as taken by this caller."""
    stmt = (
        select(Job.id)
        .where(Job.status == JobStatus.DEAD.value, Job.notified_at.is_(None))
        .order_by(Job.id)
        .limit(limit)
    )
    with catalog.transaction(read_only=True) as db:
        ids = list(db.scalars(stmt))
    taken: list[JobInfo] = []
    for job_id in ids:
        with catalog.transaction() as db:
            done = db.execute(
                update(Job)
                .where(Job.id == job_id, Job.notified_at.is_(None))
                .values(notified_at=utcnow())
            )
            job = db.get(Job, job_id) if done.rowcount else None  # type: ignore[attr-defined]
            if job is not None:
                taken.append(job_info(job))
    return taken
