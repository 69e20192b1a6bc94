"""Waiting for queued jobs to finish, with progress; never silently (:mod:`.stall`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import FINAL_STATES
from photoq.errors import CatalogUnavailable
from photoq.services.stall import Watchdog

if TYPE_CHECKING:
    from photoq.services.runtime import Runtime

POLL_INTERVAL_S = 0.2

#: Called with (stage, finished, total) while a command waits.
Progress = Callable[[str, int, int], None]


def wait_for(
    rt: Runtime, job_ids: list[int], progress: Progress | None = None, stage: str = "analysing"
) -> None:
    """Block until every job is final, reporting progress; returns early if workers die.

    Raises :class:`~photoq.errors.ServiceUnavailable` when the broker or the catalog stays gone
    for PHOTOQ_GIVE_UP_AFTER seconds."""
    jobs = JobRepository(rt.catalog)
    total = len(job_ids)
    watch = Watchdog(rt, job_ids)
    finished = -1
    while True:
        try:
            counts = jobs.status_counts(job_ids)
        except CatalogUnavailable as exc:
            watch.service_down("catalog", exc)
            time.sleep(POLL_INTERVAL_S)
            continue
        watch.service_up("catalog")
        done = sum(n for status, n in counts.items() if status in FINAL_STATES)
        if done != finished:
            finished = done
            watch.progressed()
        if progress is not None:
            progress(stage, finished, total)
        if finished >= total:
            return
        if rt.local_workers is not None and not rt.local_workers.alive():
            return
        watch.tick()
        time.sleep(POLL_INTERVAL_S)
