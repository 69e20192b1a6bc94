"""Changing the queue: cancel, pause, resume, purge and retry."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from photoq.catalog.models import JobStatus
from photoq.catalog.queue_state import QueueStateRepository
from photoq.errors import UsageError
from photoq.queue.broker import broker_errors, purge_broker
from photoq.queue.dispatch import release_followups, submit
from photoq.queue.manager.base import ManagerBase, no_such_job
from photoq.queue.manager_records import CancelResult, PurgeResult
from photoq.queue.routing import ALL_QUEUES, parse_queues


class Changing(ManagerBase):
    """The catalog changes first; the broker is then told (a revoke, a broadcast, a purge)."""

    def cancel_job(self, job_id: int) -> CancelResult:
        """A waiting job never starts; a running one is stopped (its worker process is
        terminated and replaced). Either way the job ends ``cancelled``."""
        found = self.admin.cancel(job_id)
        if found is None:
            raise no_such_job(job_id)
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
