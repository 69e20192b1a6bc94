"""``photoq run``: ingest a shoot, queue the work each photo still needs, wait, summarise."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import FINAL_STATES, JobStatus
from photoq.catalog.photos import PhotoOutcome, PhotoRepository
from photoq.pipeline.analysis import ANALYSIS_VERSION
from photoq.queue.dispatch import new_job, republish_unfinished, submit
from photoq.queue.priority import Priority
from photoq.services.ingest import ingest

if TYPE_CHECKING:
    from pathlib import Path

    from photoq.services.runtime import Runtime

ANALYSIS_KIND = "process_photo"
POLL_INTERVAL_S = 0.2

#: Called with (finished, total) while the run waits.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DeadPhoto:
    path: str
    error: str


@dataclass
class RunSummary:
    """What a run did; ``to_dict`` is the ``--json`` output."""

    session_id: int
    root: str
    photos: int
    queued: int
    resumed: int
    succeeded: int
    dead: list[DeadPhoto] = field(default_factory=list)
    unfinished: int = 0
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data


def _needs_work(outcome: PhotoOutcome, changed: set[int]) -> bool:
    if outcome.photo_id in changed or outcome.status in (None, JobStatus.CANCELLED):
        return True
    return outcome.status == JobStatus.SUCCEEDED and outcome.analysis_version != ANALYSIS_VERSION


def plan_jobs(rt: Runtime, session_id: int, changed: set[int]) -> tuple[list[int], list[int]]:
    """Re-publish this session's unfinished jobs (a crashed run's), then queue what is missing.

    Returns (resumed job ids, new job ids). A photo is queued when it is new, its bytes
    changed, it was never analysed, or an older analysis version analysed it; a dead photo whose
    file is unchanged is not retried (its error is permanent until the file changes).
    """
    jobs = JobRepository(rt.catalog)
    unfinished = jobs.unfinished(session_id)
    resumed = republish_unfinished(rt.app, rt.catalog, [j.id for j in unfinished])
    busy = {j.photo_id for j in unfinished}
    outcomes = PhotoRepository(rt.catalog).outcomes(session_id, ANALYSIS_KIND)
    todo = [o.photo_id for o in outcomes if o.photo_id not in busy and _needs_work(o, changed)]
    max_retries = rt.settings.max_retries
    specs = [
        new_job(ANALYSIS_KIND, Priority.MEDIUM, max_retries, photo_id=pid, session_id=session_id)
        for pid in todo
    ]
    return resumed, submit(rt.app, rt.catalog, specs)


def wait_for(rt: Runtime, job_ids: list[int], progress: Progress | None = None) -> None:
    """Block until every job is final, reporting progress; returns early if workers die."""
    jobs = JobRepository(rt.catalog)
    total = len(job_ids)
    while True:
        counts = jobs.status_counts(job_ids)
        finished = sum(n for status, n in counts.items() if status in FINAL_STATES)
        if progress is not None:
            progress(finished, total)
        if finished >= total:
            return
        if rt.local_workers is not None and not rt.local_workers.alive():
            return
        time.sleep(POLL_INTERVAL_S)


def summarise(
    rt: Runtime, session_id: int, root: Path, resumed: int, queued: int, started: float
) -> RunSummary:
    outcomes = PhotoRepository(rt.catalog).outcomes(session_id, ANALYSIS_KIND)
    dead = [
        DeadPhoto(o.path, o.error or "unknown error")
        for o in outcomes
        if o.status == JobStatus.DEAD
    ]
    return RunSummary(
        session_id=session_id,
        root=str(root),
        photos=len(outcomes),
        queued=queued,
        resumed=resumed,
        succeeded=sum(o.status == JobStatus.SUCCEEDED for o in outcomes),
        dead=dead,
        unfinished=sum(o.status not in FINAL_STATES for o in outcomes),
        elapsed_s=time.monotonic() - started,
    )


def run_folder(rt: Runtime, folder: Path, progress: Progress | None = None) -> RunSummary:
    """Ingest ``folder`` and process every photo that needs it through the queue."""
    started = time.monotonic()
    result = ingest(rt.catalog, folder, home=rt.settings.home)
    resumed, queued = plan_jobs(rt, result.session_id, set(result.changed_ids))
    if resumed or queued:
        rt.start_local_workers()
        wait_for(rt, resumed + queued, progress)
    return summarise(rt, result.session_id, result.root, len(resumed), len(queued), started)
