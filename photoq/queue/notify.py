"""Telling someone a job is dead: a log line always, a JSON POST when PHOTOQ_NOTIFY_URL is set.

The POST is sent by the worker's main process (:mod:`photoq.queue.heartbeat`), never by the
pool process that ran the job, and within a total deadline (PHOTOQ_NOTIFY_DEADLINE)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import httpx

from photoq.errors import redact

if TYPE_CHECKING:
    from photoq.catalog.job_records import JobInfo

log = logging.getLogger("photoq.dead")


def _unicode(value: Any) -> Any:
    """``value`` as valid Unicode: a file name's byte that is not UTF-8 (a lone surrogate, as
    an error message quoting the name carries it) becomes ``\\xNN``, so any JSON parser reads
    the event (many refuse the ``\\udcNN`` escapes Python would write)."""
    if not isinstance(value, str):
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system name gives
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def dead_job_event(job: JobInfo) -> dict[str, Any]:
    """The webhook's JSON body; every string in it is valid Unicode."""
    event = {
        "event": "job.dead",
        "job_id": job.id,
        "kind": job.kind,
        "photo_id": job.photo_id,
        "session_id": job.session_id,
        "attempts": job.attempts,
        "error_type": job.error_type,
        "error": job.error_message,
        "worker": job.worker,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
    return {key: _unicode(value) for key, value in event.items()}


def log_dead(job_id: int, kind: str, attempts: int, error: BaseException) -> None:
    """The log line every dead job gets, written where it died."""
    log.error(
        "job %s (%s) is dead after %s attempt(s): %s: %s",
        job_id,
        kind,
        attempts,
        type(error).__name__,
        redact(error),
    )


def post_dead(job: JobInfo, url: str, deadline_s: float) -> bool:
    """POST the event to ``url`` within ``deadline_s`` all told; False (and a log line) when
    the receiver fails or is too slow. httpx's timeouts bound each read, not the whole call,
    so a receiver that drips a header line every few seconds is cut off by the thread join."""
    outcome: list[BaseException | None] = []

    def send() -> None:
        try:
            httpx.post(url, json=dead_job_event(job), timeout=deadline_s).raise_for_status()
            outcome.append(None)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    sender = threading.Thread(target=send, name=f"webhook-{job.id}", daemon=True)
    sender.start()
    sender.join(deadline_s)
    if not outcome:
        log.warning(
            "dead-job webhook %s: no answer within %.0f s; given up", redact(url), deadline_s
        )
        return False
    if outcome[0] is not None:
        log.warning("dead-job webhook %s failed: %s", redact(url), redact(outcome[0]))
        return False
    return True
