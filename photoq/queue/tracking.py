"""The base task: every photoq task runs its job through :meth:`TrackedTask.run_job`.

It claims the job in the catalog (or drops a cancelled, finished or superseded message), records
the attempt, retries transient failures with backoff, and marks permanent ones dead with a
notification. A task body is a plain function of the claim; it never touches Celery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.job_records import Claim
from photoq.catalog.jobs import JobRepository
from photoq.catalog.store import Catalog
from photoq.config import get_settings
from photoq.errors import PermanentError, PhotoqError
from photoq.queue.dispatch import publish, release_followups
from photoq.queue.notify import notify_dead
from photoq.queue.priority import to_broker_priority
from photoq.queue.retry import backoff_delay, is_transient

log = logging.getLogger(__name__)

JobBody = Callable[[Catalog, Claim], dict[str, Any] | None]


def catalog() -> Catalog:
    """The catalog of this worker process (one engine per process)."""
    return Catalog.open(get_settings().resolved_database_url, migrate=False)


class TrackedTask(Task):  # type: ignore[misc]
    """Celery task whose state lives in the catalog's job row."""

    abstract = True
    #: Retries are counted in the catalog, against the job's own budget.
    max_retries = None

    def run_job(self, job_id: int, body: JobBody) -> dict[str, Any] | None:
        message_id: str = self.request.id
        cat = catalog()
        jobs = JobRepository(cat)
        claim = jobs.claim(job_id, message_id, self.request.hostname)
        if claim is None:
            self._drop(cat, job_id, message_id)
            return None
        result = None
        if claim.attempt > claim.max_retries + 1:
            # Scheduled retries never get here; only redeliveries after the worker process died
            # mid-task do. A file that kills its worker every time must not loop forever.
            self._fail(jobs, claim, message_id, WorkerKilledError(claim.attempt - 1))
        else:
            try:
                result = body(cat, claim)
            except Exception as exc:
                self._fail(jobs, claim, message_id, exc)  # raises Retry when it retries
            else:
                jobs.succeed(claim, message_id, result)
        if claim.session_id is not None:
            # The job is final: a pending follow-up of its session may now be free to run.
            release_followups(self.app, cat, claim.session_id)
        return result

    def _drop(self, cat: Catalog, job_id: int, message_id: str) -> None:
        """A message the catalog does not let run: put it back if its queue was paused after
        this worker prefetched it, else drop it (cancelled, finished or superseded)."""
        back = JobAdmin(cat).requeue_paused(job_id, message_id)
        if back is not None:
            publish(self.app, [back])
            log.info("job %s: its queue %s is paused; put back to wait", job_id, back.queue)
            return
        log.info(
            "job %s: message %s is stale (cancelled, finished or superseded); dropped",
            job_id,
            message_id,
        )

    def _fail(self, jobs: JobRepository, claim: Claim, message_id: str, exc: Exception) -> None:
        settings = get_settings()
        retries_used = claim.attempt - 1
        if is_transient(exc) and retries_used < claim.max_retries:
            delay = backoff_delay(
                retries_used, base=settings.retry_base_delay, cap=settings.retry_max_delay
            )
            if jobs.schedule_retry(claim, message_id, exc, delay):
                log.warning(
                    "job %s attempt %s failed (%s: %s); retrying in %.1f s",
                    claim.job_id,
                    claim.attempt,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                raise self.retry(
                    exc=exc, countdown=delay, priority=to_broker_priority(claim.priority)
                )
            return
        if is_transient(exc):
            exc = RetriesExhaustedError(claim.attempt, exc)
        elif not isinstance(exc, PhotoqError):
            log.error("job %s hit an unexpected error", claim.job_id, exc_info=exc)
        if jobs.mark_dead(claim, message_id, exc):
            info = jobs.get(claim.job_id)
            if info is not None:
                notify_dead(info, settings.notify_url)


class WorkerKilledError(PermanentError):
    """The process running the job died (crash, out of memory, hard time limit) every time."""

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"the worker process died while running this job {attempts} time(s) "
            "(a crash, out of memory or the hard time limit); not trying again"
        )


class RetriesExhaustedError(Exception):
    """A transient error that kept happening until the job's retry budget ran out."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempts: {type(last).__name__}: {last}")
