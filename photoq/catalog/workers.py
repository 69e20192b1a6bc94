"""Worker heartbeats: which worker processes are alive, and which jobs have no live owner.

Every ``photoq worker`` main process owns one row, keyed by its node name, and beats every few
seconds with the ids of the jobs it holds (received and not yet finished). A job the catalog
shows ``running`` has a live owner only while the worker named in it beats *and* lists it:

* a worker that stopped beating (SIGKILL, OOM, its host gone) owns nothing any more;
* a worker that beats without the job finished it without recording so (the catalog was down
  when it tried), or is a new process under an old process's name.

Both cases are re-published by :mod:`photoq.queue.reconcile`. Times are compared in the
catalog's own records, all written by the worker's host clock, so hosts need no clock sync for
the second case; the first needs clocks within a few seconds of each other (NTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from photoq.catalog.models import Base, Job, JobAttempt, JobStatus, utcnow

if TYPE_CHECKING:
    from photoq.catalog.store import Catalog


class WorkerRow(Base):
    """One worker main process, by node name; ``stopped_at`` set when it shut down cleanly."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    queues: Mapped[list[str]] = mapped_column(JSON)
    #: Job ids this worker held at its last heartbeat.
    active: Mapped[list[int]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column()
    heartbeat_at: Mapped[datetime] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()


@dataclass(frozen=True)
class LiveWorker:
    name: str
    hostname: str
    pid: int
    queues: list[str]
    heartbeat_at: datetime


class WorkerNameTaken(Exception):
    """A live worker already uses this node name."""

    def __init__(self, worker: LiveWorker, age_s: float) -> None:
        super().__init__(
            f"a worker named {worker.name} is already running (pid {worker.pid} on "
            f"{worker.hostname}, heartbeat {age_s:.0f} s ago); give another --name, or leave "
            "--name out for a unique one"
        )


class WorkerRegistry:
    def __init__(self, catalog: Catalog, dead_after: float) -> None:
        self.catalog = catalog
        self.dead_after = timedelta(seconds=dead_after)

    def _fresh_since(self) -> datetime:
        return utcnow() - self.dead_after

    def register(self, name: str, hostname: str, pid: int, queues: list[str]) -> None:
        """Take ``name`` for this process, unless a live worker has it: WorkerNameTaken."""
        now = utcnow()
        values: dict[str, Any] = {
            "hostname": hostname,
            "pid": pid,
            "queues": sorted(queues),
            "active": [],
            "started_at": now,
            "heartbeat_at": now,
            "stopped_at": None,
        }
        with self.catalog.transaction() as db:
            row = db.get(WorkerRow, name, with_for_update=True)
            if row is None:
                db.add(WorkerRow(name=name, **values))
                return
            alive = row.stopped_at is None and row.heartbeat_at >= self._fresh_since()
            if alive and (row.hostname, row.pid) != (hostname, pid):
                age = (now - row.heartbeat_at).total_seconds()
                raise WorkerNameTaken(_live(row), age)
            for key, value in values.items():
                setattr(row, key, value)

    def beat(self, name: str, active: list[int], at: datetime) -> None:
        """Record that ``name`` was alive at ``at`` and held ``active`` (taken after ``at``)."""
        stmt = (
            update(WorkerRow)
            .where(WorkerRow.name == name)
            .values(heartbeat_at=at, active=sorted(set(active)))
        )
        with self.catalog.connection() as conn:
            conn.execute(stmt)

    def stopped(self, name: str) -> None:
        with self.catalog.connection() as conn:
            conn.execute(
                update(WorkerRow)
                .where(WorkerRow.name == name)
                .values(stopped_at=utcnow(), active=[])
            )

    def alive(self) -> list[LiveWorker]:
        """Workers beating now, by name."""
        stmt = (
            select(WorkerRow)
            .where(WorkerRow.stopped_at.is_(None), WorkerRow.heartbeat_at >= self._fresh_since())
            .order_by(WorkerRow.name)
        )
        with self.catalog.transaction(read_only=True) as db:
            return [_live(r) for r in db.scalars(stmt)]

    def listed_job_ids(self) -> set[int]:
        """Every job some live worker said it holds at its last heartbeat."""
        stmt = select(WorkerRow.active).where(
            WorkerRow.stopped_at.is_(None), WorkerRow.heartbeat_at >= self._fresh_since()
        )
        with self.catalog.transaction(read_only=True) as db:
            return {job_id for active in db.scalars(stmt) for job_id in active}

    def orphaned_running(self) -> list[int]:
        """Ids of ``running`` jobs without a live owner (see the module docstring)."""
        fresh_since = self._fresh_since()
        # When the current attempt began: a redelivered job's first start says nothing.
        stmt = (
            select(Job.id, Job.worker, func.max(JobAttempt.started_at))
            .outerjoin(JobAttempt, JobAttempt.job_id == Job.id)
            .where(Job.status == JobStatus.RUNNING.value)
            .group_by(Job.id, Job.worker)
        )
        with self.catalog.transaction(read_only=True) as db:
            running = db.execute(stmt).all()
            if not running:
                return []
            names = {w for _, w, _ in running if w}
            rows = {
                r.name: r for r in db.scalars(select(WorkerRow).where(WorkerRow.name.in_(names)))
            }
        orphans = []
        for job_id, worker, claimed_at in running:
            row = rows.get(worker) if worker else None
            if row is None:
                # A worker from before heartbeats, or one that never registered: trust it as
                # long as the attempt is younger than a dead worker's grace.
                if claimed_at is None or claimed_at < fresh_since:
                    orphans.append(job_id)
            elif row.stopped_at is not None or row.heartbeat_at < fresh_since:
                orphans.append(job_id)
            elif job_id not in row.active and claimed_at and row.heartbeat_at > claimed_at:
                # A job is received before it is claimed, and the beat's time is taken before
                # its list: a beat after the claim lists the job unless it is finished.
                orphans.append(job_id)
        return orphans

    def forget_stopped(self, before: datetime) -> int:
        """Delete rows of workers silent since ``before`` (stopped or gone); returns how many."""
        stmt = delete(WorkerRow).where(WorkerRow.heartbeat_at < before)
        with self.catalog.connection() as conn:
            return int(conn.execute(stmt).rowcount)


def _live(row: WorkerRow) -> LiveWorker:
    return LiveWorker(row.name, row.hostname, row.pid, list(row.queues), row.heartbeat_at)
