"""``JobQueueManager``: the queue's high-level interface, with the seed's method names.

Every method returns plain data (records with ``to_dict()``, ids, lists). The catalog is the
source of truth; the broker is told what changed (a revoke, a broadcast, a purge) and whatever
it still holds that the catalog no longer wants is dropped on arrival (DESIGN.md invariant 2).

Bad input — an unknown job, photo, session, queue or status — raises :class:`UsageError` with
a one-line message; an unreachable broker raises :class:`ServiceUnavailable`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from photoq.catalog.job_admin import WAITING_STATES, JobAdmin
from photoq.catalog.job_stats import queue_counts
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import JobStatus, utcnow
from photoq.catalog.photos import PhotoRepository
from photoq.catalog.queue_state import QueueStateRepository
from photoq.catalog.store import Catalog
from photoq.config import get_settings
from photoq.errors import UsageError
from photoq.queue.broker import broker_depths, broker_errors, purge_broker
from photoq.queue.dispatch import new_job, release_followups, submit
from photoq.queue.embedded import EmbeddedBroker
from photoq.queue.manager_records import (
    CancelResult,
    FailedJobs,
    JobStatusReport,
    PurgeResult,
    QueueStats,
)
from photoq.queue.priority import Priority, get_priority_for_photo
from photoq.queue.routing import ALL_QUEUES, GROUP_PHOTOS, PROCESS_PHOTO, parse_queues
from photoq.queue.workers_view import worker_stats

if TYPE_CHECKING:
    from celery import Celery

    from photoq.catalog.job_records import JobInfo, NewJob
    from photoq.config import Settings
    from photoq.queue.manager_records import WorkerStats


class JobQueueManager:
    """Submit, inspect, cancel, pause, purge and retry photoq's work.

    Use it as a context manager (or call :meth:`close`): on the embedded default it joins
    photoq's private Valkey server for as long as it is open.
    """

    def __init__(self, settings: Settings, catalog: Catalog, app: Celery) -> None:
        self.settings, self.catalog, self.app = settings, catalog, app
        self.jobs, self.admin = JobRepository(catalog), JobAdmin(catalog)
        self._embedded: EmbeddedBroker | None = None

    def __enter__(self) -> JobQueueManager:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.release()
            self._embedded = None

    def _broker(self) -> Celery:
        """The app, with the embedded broker running if that is the broker."""
        if self.settings.embedded and self._embedded is None:
            self._embedded = EmbeddedBroker(self.settings.home)
            self._embedded.acquire()
        return self.app

    # -- submitting ---------------------------------------------------------------------------

    def _photo_job(self, photo_id: int, session_id: int, score: float | None, user: bool) -> NewJob:
        return new_job(
            PROCESS_PHOTO,
            get_priority_for_photo(score, user),
            self.settings.max_retries,
            photo_id=photo_id,
            session_id=session_id,
            user_requested=user,
        )

    def submit_photo_processing(self, photo_id: int, user_requested: bool = False) -> int:
        """Queue the analysis of one photo; its priority comes from its AI score, and a
        user-requested photo goes to the top. Returns the job id."""
        return self._submit_photos([photo_id], user_requested)[0]

    def submit_batch_processing(self, photo_ids: list[int]) -> list[int]:
        """Queue the analysis of several photos, each at its own priority; returns job ids."""
        return self._submit_photos(list(dict.fromkeys(photo_ids)), False)

    def _submit_photos(self, photo_ids: list[int], user: bool) -> list[int]:
        known = PhotoRepository(self.catalog).scores(photo_ids)
        missing = [str(pid) for pid in photo_ids if pid not in known]
        if missing:
            msg = f"no photo with id {', '.join(missing[:5])} in the catalog (photoq ingest adds)"
            raise UsageError(msg)
        specs = [self._photo_job(pid, *known[pid], user) for pid in photo_ids]
        return submit(self._broker(), self.catalog, specs)

    def submit_session_processing(
        self, session_id: int, auto_select: bool = True, *, sidecars: bool = False
    ) -> list[int]:
        """Queue the analysis of every photo of a session; with ``auto_select`` also the
        culling (groups, picks, ratings), which waits as ``pending`` until every analysis has
        finished. Returns the job ids, the culling job last."""
        photos = self._photos_of(session_id)
        ids = [p.id for p in photos.photos(session_id)]
        scores = photos.scores(ids)
        specs = [self._photo_job(pid, session_id, scores[pid][1], False) for pid in ids]
        if auto_select:
            select = new_job(
                GROUP_PHOTOS,
                Priority.MEDIUM,
                self.settings.max_retries,
                session_id=session_id,
                payload={"sidecars": sidecars},
            )
            specs.append(dataclasses.replace(select, pending=True))
        app = self._broker()
        job_ids = submit(app, self.catalog, specs)
        release_followups(app, self.catalog, session_id)  # a session without photos
        return job_ids

    def _photos_of(self, session_id: int) -> PhotoRepository:
        """The photo repository, once ``session_id`` is known to exist."""
        photos = PhotoRepository(self.catalog)
        if session_id not in photos.session_ids():
            msg = f"no session with id {session_id} (photoq ingest FOLDER creates one)"
            raise UsageError(msg)
        return photos

    # -- looking ------------------------------------------------------------------------------

    def get_job_status(self, job_id: int) -> JobStatusReport:
        """Status, attempts with their errors, timings, worker and result of one job."""
        job = self._job(job_id)
        photo = PhotoRepository(self.catalog).get(job.photo_id) if job.photo_id else None
        if photo is not None:
            job = dataclasses.replace(job, photo_path=photo.path)
        return JobStatusReport(job, self.jobs.attempts(job_id), self.admin.retried_as(job_id))

    def _job(self, job_id: int) -> JobInfo:
        info = self.jobs.get(job_id)
        if info is None:
            raise _no_such_job(job_id)
        return info

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

    # -- changing -----------------------------------------------------------------------------

    def cancel_job(self, job_id: int) -> CancelResult:
        """A waiting job never starts; a running one is stopped (its worker process is
        terminated and replaced). Either way the job ends ``cancelled``."""
        found = self.admin.cancel(job_id)
        if found is None:
            raise _no_such_job(job_id)
        stopped = False
        if found.was_running and found.message_id:
            app = self._broker()
            with broker_errors(app):
                app.control.revoke(found.message_id, terminate=True, signal="SIGTERM")
            stopped = True
        if found.changed and found.session_id is not None:
            release_followups(self._broker(), self.catalog, found.session_id)
        status = JobStatus.CANCELLED if found.changed else found.previous
        return CancelResult(job_id, found.previous, status, stopped)

    def resolve_queues(self, queue: str | None) -> list[str]:
        """The queues ``queue`` names (a comma-separated list; all when ``None``)."""
        if queue is None:
            return list(ALL_QUEUES)
        try:
            return parse_queues(queue)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def pause_queue(self, queue: str | None = None) -> list[str]:
        """Stop handing out work from one queue (or all). Running jobs finish; the pause is
        stored, so workers started later honour it. Returns the queues paused."""
        return self._set_paused(self.resolve_queues(queue), paused=True)

    def resume_queue(self, queue: str | None = None) -> list[str]:
        """Undo :meth:`pause_queue`; returns the queues resumed."""
        return self._set_paused(self.resolve_queues(queue), paused=False)

    def _set_paused(self, names: list[str], *, paused: bool) -> list[str]:
        QueueStateRepository(self.catalog).set_paused(names, paused)
        app = self._broker()
        command = "photoq_pause" if paused else "photoq_resume"
        with broker_errors(app):
            app.control.broadcast(command, arguments={"queues": names})
        return names

    def purge_queue(self, queue: str | None = None) -> PurgeResult:
        """Remove the waiting work of one queue (or all) from the broker and mark those jobs
        cancelled in the catalog. Running jobs and other queues are untouched."""
        names = self.resolve_queues(queue)
        cancelled = self.admin.cancel_waiting(names)
        app = self._broker()
        removed = purge_broker(app, names)
        for session_id in sorted({s for s in cancelled.values() if s is not None}):
            release_followups(app, self.catalog, session_id)
        return PurgeResult(names, sorted(cancelled), removed)

    def retry_failed_job(self, job_id: int) -> int:
        """Submit a dead job again as a new job with a fresh attempt budget; returns its id."""
        info = self._job(job_id)
        if info.status != JobStatus.DEAD:
            msg = f"job {job_id} is {info.status}; only dead jobs can be retried"
            raise UsageError(msg)
        again = self.admin.retried_as(job_id)
        if again is not None:
            msg = f"job {job_id} was already retried as job {again}"
            raise UsageError(msg)
        spec = self.admin.retry_spec(info)
        try:
            return submit(self._broker(), self.catalog, [spec])[0]
        except IntegrityError:  # another retry of the same job won the race (unique retry_of)
            msg = f"job {job_id} was already retried as job {self.admin.retried_as(job_id)}"
            raise UsageError(msg) from None


def _no_such_job(job_id: int) -> UsageError:
    return UsageError(f"no job with id {job_id} (photoq jobs list shows the jobs)")


def get_job_queue_manager(settings: Settings | None = None) -> JobQueueManager:
    """A manager for the configured broker and catalog (the environment's settings)."""
    if settings is None:
        from photoq.queue import app

        settings = get_settings()
    else:
        from photoq.queue.app import create_app

        app = create_app(settings)
    return JobQueueManager(settings, Catalog.open(settings.resolved_database_url), app)
