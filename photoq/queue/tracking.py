"""The base task: every photoq task runs its job through :meth:`TrackedTask.run_job`.

It claims the job in the catalog (or drops a cancelled, finished or superseded message), records
the attempt, retries transient failures with backoff, and marks permanent ones dead (the dead-job
webhook goes out from the worker's main process: :mod:`photoq.queue.heartbeat`). A task body is
a plain function of the claim; it never touches Celery.

No catalog write of the protocol may be skipped: a message acked while the catalog missed its
claim or its outcome would leave the job ``queued`` or ``running`` with no message anywhere.
So each is retried with backoff for PHOTOQ_CATALOG_RETRY_FOR seconds, then the message is
rejected back to the broker to be delivered again (DESIGN.md invariant 7).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from celery.exceptions import Reject

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.job_records import Claim
from photoq.catalog.jobs import JobRepository
from photoq.catalog.store import Catalog
from photoq.config import get_settings
from photoq.errors import CatalogUnavailable, PermanentError, PhotoqError, ServiceUnavailable
from photoq.queue.dispatch import publish, release_followups
from photoq.queue.notify import log_dead
from photoq.queue.priority import to_broker_priority
from photoq.queue.retry import backoff_delay, is_transient

log = logging.getLogger(__name__)

JobBody = Callable[[Catalog, Claim], dict[str, Any] | None]
T = TypeVar("T")
#: Backoff between catalog retries: doubling from the first, never longer than the last.
CATALOG_BACKOFF_S = (0.25, 4.0)


def with_catalog(call: Callable[[], T], job_id: int) -> T:
    """``call()``, retried while the catalog is unavailable; after PHOTOQ_CATALOG_RETRY_FOR
    seconds the message goes back to the broker (:class:`~celery.exceptions.Reject`)."""
    deadline = time.monotonic() + get_settings().catalog_retry_for
    delay, longest = CATALOG_BACKOFF_S
    while True:
        try:
            return call()
        except CatalogUnavailable as exc:
            if time.monotonic() + delay > deadline:
                log.error("job %s: %s; handing its message back to the broker", job_id, exc)
                raise Reject(str(exc), requeue=True) from None
            log.warning("job %s: %s; trying again in %.2f s", job_id, exc, delay)
            time.sleep(delay)
            delay = min(longest, delay * 2)


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
        hostname = self.request.hostname
        claim = with_catalog(lambda: jobs.claim(job_id, message_id, hostname), job_id)
        if claim is None:
            with_catalog(lambda: self._drop(cat, job_id, message_id), job_id)
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
                with_catalog(lambda: jobs.succeed(claim, message_id, result), job_id)
        if claim.session_id is not None:
            # The job is final: a pending follow-up of its session may now be free to run.
            # Should that fail, reconciliation releases it later.
            try:
                release_followups(self.app, cat, claim.session_id)
            except (CatalogUnavailable, ServiceUnavailable) as exc:
                log.warning("job %s: follow-ups not released yet: %s", job_id, exc)
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
            scheduled = with_catalog(
                lambda: jobs.schedule_retry(claim, message_id, exc, delay), claim.job_id
            )
            if scheduled:
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
        error = exc
        notify = settings.notify_url is not None
        if with_catalog(lambda: jobs.mark_dead(claim, message_id, error, notify), claim.job_id):
            log_dead(claim.job_id, claim.kind, claim.attempt, error)


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
