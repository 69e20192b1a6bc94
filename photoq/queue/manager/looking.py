"""Looking at the queue: a job, lists of jobs, waiting counts, queues, workers, the failed view."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from photoq.catalog.job_admin import WAITING_STATES
from photoq.catalog.job_stats import queue_counts
from photoq.catalog.models import JobStatus, utcnow
from photoq.catalog.photos import PhotoRepository
from photoq.catalog.queue_state import QueueStateRepository
from photoq.errors import UsageError
from photoq.queue.broker import broker_depths
from photoq.queue.manager.base import ManagerBase
from photoq.queue.manager_records import FailedJobs, JobStatusReport, QueueStats
from photoq.queue.routing import ALL_QUEUES
from photoq.queue.workers_view import worker_stats

if TYPE_CHECKING:
    from photoq.catalog.job_records import JobInfo
    from photoq.queue.manager_records import WorkerStats


class Looking(ManagerBase):
    """Read-only views; only :meth:`get_queue_stats` and :meth:`get_worker_stats` ask the
    broker, everything else is the catalog's answer."""

    def get_job_status(self, job_id: int) -> JobStatusReport:
        """Status, attempts with their errors, timings, worker and result of one job."""
        job = self._job(job_id)
        photo = PhotoRepository(self.catalog).get(job.photo_id) if job.photo_id else None
        if photo is not None:
            job = dataclasses.replace(job, photo_path=photo.path)
        return JobStatusReport(job, self.jobs.attempts(job_id), self.admin.retried_as(job_id))

    def list_jobs(
        self,
        status: str | None = None,
        session_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JobInfo]:
        """Jobs newest first, optionally of one status and one session."""
        if status is not None and status not in set(JobStatus):
            msg = f"unknown status {status}; choose from {', '.join(JobStatus)}"
            raise UsageError(msg)
        if session_id is not None:
            self._photos_of(session_id)
        return self.admin.list_jobs(
            status=status, session_id=session_id, limit=limit, offset=offset
        )

    def count_waiting(self, queues: list[str]) -> int:
        """Jobs of ``queues`` not yet started (queued, pending or retrying): what a purge
        would cancel. The catalog alone answers; the broker is not asked."""
        counts = queue_counts(self.catalog, queues)
        return sum(counts[name].count(status) for name in queues for status in WAITING_STATES)

    def get_queue_stats(self) -> list[QueueStats]:
        """Per queue: waiting (by priority), running, finished counts, paused flag, oldest
        waiting age, throughput over the last minute and the broker's message count."""
        counts = queue_counts(self.catalog, ALL_QUEUES)
        paused = QueueStateRepository(self.catalog).paused()
        depths = broker_depths(self._broker(), ALL_QUEUES)
        now = utcnow()
        out = []
        for name in ALL_QUEUES:
            c = counts[name]
            oldest = c.oldest_queued_at
            out.append(
                QueueStats(
                    queue=name,
                    paused=name in paused,
                    waiting=c.count(JobStatus.QUEUED),
                    waiting_by_priority={
                        str(p): n for p, n in sorted(c.waiting_by_priority.items(), reverse=True)
                    },
                    pending=c.count(JobStatus.PENDING),
                    running=c.count(JobStatus.RUNNING),
                    retrying=c.count(JobStatus.RETRYING),
                    succeeded=c.count(JobStatus.SUCCEEDED),
                    dead=c.count(JobStatus.DEAD),
                    cancelled=c.count(JobStatus.CANCELLED),
                    oldest_waiting_s=(now - oldest).total_seconds() if oldest else None,
                    throughput_last_minute=c.finished_last_minute,
                    broker_messages=depths[name],
                )
            )
        return out

    def get_worker_stats(self, timeout: float = 1.0) -> list[WorkerStats]:
        """Per worker: host, pid, concurrency, active/reserved jobs, processed count, load,
        memory and queues. Workers that do not answer within ``timeout`` are not listed."""
        return worker_stats(self._broker(), timeout)

    def get_failed_jobs(self, limit: int = 50, offset: int = 0) -> FailedJobs:
        """The dead-letter view: dead jobs not yet retried, newest first, with their error."""
        jobs, total = self.admin.failed(limit, offset)
        return FailedJobs(jobs, total, limit, offset)
