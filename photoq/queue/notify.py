"""Telling someone a job is dead: a log line always, a JSON POST when PHOTOQ_NOTIFY_URL is set."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from photoq.catalog.job_records import JobInfo

log = logging.getLogger("photoq.dead")
WEBHOOK_TIMEOUT_S = 5.0


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


def notify_dead(job: JobInfo, url: str | None) -> None:
    """Log the dead job and POST it to ``url``; a webhook failure is logged, never raised."""
    log.error(
        "job %s (%s) is dead after %s attempt(s): %s: %s",
        job.id,
        job.kind,
        job.attempts,
        job.error_type,
        job.error_message,
    )
    if not url:
        return
    try:
        httpx.post(url, json=dead_job_event(job), timeout=WEBHOOK_TIMEOUT_S).raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("dead-job webhook %s failed: %s", url, exc)
