"""What a ``photoq run`` failed to do: the one place that decides whether a run is ok.

A run is ok only when every photo of the shoot is analysed and every step the run asked for
(culling, sidecars, develop, export) succeeded. Everything else is a :class:`Failure`: a dead,
cancelled or unfinished photo; a culling job that died, was cancelled or never ran; sidecars
that could not be written; a preset or an export job of this run that did not succeed. A photo
skipped because it is unchanged since an earlier run is not a failure, nor is a pick skipped
because it was already exported the same way; a photo still dead from an earlier run (its file
unchanged) is one: it is still not analysed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import JobStatus
from photoq.catalog.photos import PhotoRepository
from photoq.queue.routing import APPLY_PRESET, EXPORT_PHOTO, GROUP_PHOTOS, PROCESS_PHOTO

if TYPE_CHECKING:
    from collections.abc import Mapping

    from photoq.catalog.store import Catalog

#: The steps of a run, as failures name them.
ANALYSIS = "analysis"
CULLING = "culling"
SIDECARS = "sidecars"
DEVELOP = "develop"
EXPORT = "export"

#: The job kind behind each step.
STEP_KINDS = {
    ANALYSIS: PROCESS_PHOTO,
    CULLING: GROUP_PHOTOS,
    DEVELOP: APPLY_PRESET,
    EXPORT: EXPORT_PHOTO,
}

#: What became of a step's job, as failures say it.
DEAD = str(JobStatus.DEAD)
CANCELLED = str(JobStatus.CANCELLED)
UNFINISHED = "unfinished"
NOT_RUN = "not run"
NOT_WRITTEN = "not written"

_REASONS = {
    CANCELLED: "cancelled (photoq jobs cancel, or a purge of its queue)",
    UNFINISHED: "the workers stopped first; run the same command again to resume",
    NOT_RUN: "the workers stopped before this step; run the same command again",
}

#: The job ids of each later step this run asked for or needed ({step: ids}); None for a step
#: that was due but never started because the workers had stopped. A step not asked for is
#: absent.
StageJobs = dict[str, list[int] | None]


@dataclass(frozen=True)
class Failure:
    """One thing a run did not do: the step, what became of it (``dead``, ``cancelled``,
    ``unfinished``, ``not run``, ``not written``), the photo and/or job it concerns, and why
    in one line."""

    step: str
    status: str
    photo: str | None
    job: int | None
    reason: str


def _failure(
    step: str, status: str | None, photo: str | None, job: int | None, error: str | None
) -> Failure:
    """A job of ``step`` that did not succeed, said as a failure."""
    if status == DEAD:
        return Failure(step, DEAD, photo, job, error or "unknown error")
    if status == CANCELLED:
        return Failure(step, CANCELLED, photo, job, _REASONS[CANCELLED])
    if status is None and job is None:
        return Failure(step, NOT_RUN, photo, job, _REASONS[NOT_RUN])
    return Failure(step, UNFINISHED, photo, job, f"{status}: {_REASONS[UNFINISHED]}")


def run_failures(
    catalog: Catalog, session_id: int, stages: Mapping[str, list[int] | None], *, sidecars: bool
) -> list[Failure]:
    """Every failure of a run of session ``session_id`` whose later steps had ``stages``;
    ``sidecars``: whether the run asked for sidecars."""
    photos = PhotoRepository(catalog)
    failures = [
        _failure(ANALYSIS, o.status, o.path, o.job_id, o.error)
        for o in photos.outcomes(session_id, PROCESS_PHOTO)
        if o.status != JobStatus.SUCCEEDED
    ]
    jobs = JobRepository(catalog)
    if CULLING in stages:
        ids = stages[CULLING]
        if ids is None:
            failures.append(_failure(CULLING, None, None, None, None))
        for job_id in ids or []:
            info = jobs.get(job_id)
            if info is None or info.status != JobStatus.SUCCEEDED:
                status = info.status if info else DEAD
                error = info.error_message if info else "the job is gone from the catalog"
                failures.append(_failure(CULLING, status, None, job_id, error))
    if sidecars and not any(f.step == CULLING for f in failures):
        failures.extend(_sidecar_failures(jobs.latest_result(session_id, GROUP_PHOTOS)))
    for step in (DEVELOP, EXPORT):
        if step not in stages:
            continue
        ids = stages[step]
        if ids is None:
            failures.append(_failure(step, None, None, None, None))
            continue
        mine = set(ids)
        failures.extend(
            _failure(step, o.status, o.path, o.job_id, o.error)
            for o in photos.outcomes(session_id, STEP_KINDS[step])
            if o.job_id in mine and o.status != JobStatus.SUCCEEDED
        )
    return failures


def _sidecar_failures(result: dict[str, Any]) -> list[Failure]:
    """The sidecars the newest culling could not write (it keeps the first few in full)."""
    kept: list[dict[str, str]] = result.get("sidecar_failures") or [
        {"photo": "", "error": line} for line in result.get("sidecar_errors", [])
    ]  # a culling result from before they were kept structured
    failures = [Failure(SIDECARS, NOT_WRITTEN, f["photo"] or None, None, f["error"]) for f in kept]
    more = int(result.get("sidecars_not_written", len(kept))) - len(kept)
    if more > 0:
        reason = f"{more} more sidecar(s) not written (only the first {len(kept)} are listed)"
        failures.append(Failure(SIDECARS, NOT_WRITTEN, None, None, reason))
    return failures


def headline(failures: list[Failure]) -> str:
    """What failed, in one line: "3 photo(s) dead, culling job cancelled, 2 export(s) dead"."""
    parts = []
    for step, noun in ((ANALYSIS, "photo(s)"), (DEVELOP, "preset(s)"), (EXPORT, "export(s)")):
        counts = Counter(f.status for f in failures if f.step == step)
        parts += [f"{n} {noun} {status}" for status, n in counts.items()]
    parts += [f"culling job {f.status}: {f.reason}" for f in failures if f.step == CULLING]
    sidecars = [f for f in failures if f.step == SIDECARS]
    if sidecars:
        listed = sum(f.photo is not None for f in sidecars)
        more = "more than " if len(sidecars) > listed else ""
        parts.append(f"sidecars not written for {more}{listed or 'some'} photo(s)")
    return ", ".join(parts)
