"""``photoq run``: ingest a shoot, queue the work each photo still needs, wait, summarise.

Stages, each waited for before the next: analysis of every photo that needs it (one
``process_photo`` job per photo), culling of the session (one ``group_similar_photos`` job:
groups, picks, ratings and the sidecars), then, when asked, a preset for every pick and its
export (:mod:`photoq.services.develop_stage`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from photoq.catalog.culling import CullingRepository, GroupView
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import FINAL_STATES, JobStatus
from photoq.catalog.photos import PhotoOutcome, PhotoRepository
from photoq.pipeline.analysis import ANALYSIS_VERSION
from photoq.queue.dispatch import new_job, republish_unfinished, submit
from photoq.queue.priority import Priority
from photoq.queue.routing import EXPORT_PHOTO, GROUP_PHOTOS, PROCESS_PHOTO
from photoq.services.develop_stage import (
    ExportOptions,
    PresetChoice,
    apply_presets,
    check_export_folder,
    export_picks,
)
from photoq.services.ingest import check_folder, ingest
from photoq.services.run_failures import (
    CULLING,
    DEVELOP,
    EXPORT,
    STEP_KINDS,
    Failure,
    StageJobs,
    headline,
    run_failures,
)
from photoq.services.waiting import Progress, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from photoq.services.runtime import Runtime


@dataclass(frozen=True)
class RunOptions:
    """What ``photoq run`` does besides analysing: sidecars are on unless asked otherwise."""

    sidecars: bool = True
    preset: PresetChoice | None = None
    export: ExportOptions | None = None
    rules: Path | None = None
    #: Globs of files and folders to leave out of the shoot (besides PHOTOQ_IGNORE's).
    ignore: tuple[str, ...] = ()


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
    groups: list[GroupView] = field(default_factory=list)
    picks: list[str] = field(default_factory=list)
    rejects: list[dict[str, str]] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    #: This run's preset and export jobs that did not succeed: {"path", "stage", "error"}.
    failed: list[dict[str, str]] = field(default_factory=list)
    #: Sidecars that could not be written (a read-only folder, say), one line each.
    sidecar_errors: list[str] = field(default_factory=list)
    #: Everything the run did not do (:mod:`photoq.services.run_failures`); empty when ok.
    failures: list[Failure] = field(default_factory=list)
    elapsed_s: float = 0.0
    #: Entries ingest left out, by kind (hidden, OS files, photoq exports, ignored).
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every photo analysed and every step asked for done: ``photoq run`` exits 0."""
        return not self.failures

    @property
    def headline(self) -> str:
        """What failed, in one line (empty when ok)."""
        return headline(self.failures)

    def to_dict(self) -> dict[str, Any]:
        data = {"ok": self.ok, **asdict(self)}
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data


def _needs_work(outcome: PhotoOutcome, changed: set[int]) -> bool:
    if outcome.photo_id in changed or outcome.status in (None, JobStatus.CANCELLED):
        return True
    return outcome.status == JobStatus.SUCCEEDED and outcome.analysis_version != ANALYSIS_VERSION


def plan_jobs(
    rt: Runtime, session_id: int, changed: set[int], rules: Path | None = None
) -> tuple[list[int], list[int]]:
    """Re-publish this session's unfinished jobs (a crashed run's), then queue what is missing.

    Returns (resumed job ids, new job ids). A photo is queued when it is new, its bytes
    changed, it was never analysed, or an older analysis version analysed it; a dead photo whose
    file is unchanged is not retried (its error is permanent until the file changes).
    """
    jobs = JobRepository(rt.catalog)
    unfinished = jobs.unfinished(session_id)
    resumed = republish_unfinished(rt.app, rt.catalog, [j.id for j in unfinished])
    busy = {j.photo_id for j in unfinished if j.kind == PROCESS_PHOTO}
    outcomes = PhotoRepository(rt.catalog).outcomes(session_id, PROCESS_PHOTO)
    todo = [o.photo_id for o in outcomes if o.photo_id not in busy and _needs_work(o, changed)]
    max_retries = rt.settings.max_retries
    payload = {"rules": str(rules)} if rules else None
    specs = [
        new_job(
            PROCESS_PHOTO,
            Priority.MEDIUM,
            max_retries,
            photo_id=pid,
            session_id=session_id,
            payload=payload,
        )
        for pid in todo
    ]
    return resumed, submit(rt.app, rt.catalog, specs)


def cull(rt: Runtime, session_id: int, options: RunOptions, progress: Progress | None) -> list[int]:
    """Group the session's analysed photos and decide picks (one job, waited for); returns
    ``[its id]``."""
    spec = new_job(
        GROUP_PHOTOS,
        Priority.MEDIUM,
        rt.settings.max_retries,
        session_id=session_id,
        payload={"sidecars": options.sidecars},
    )
    ids = submit(rt.app, rt.catalog, [spec])
    wait_for(rt, ids, progress, "culling")
    return ids


def summarise(
    rt: Runtime,
    session_id: int,
    root: Path,
    resumed: int,
    queued: int,
    started: float,
    stages: StageJobs | None = None,
    *,
    sidecars: bool = True,
) -> RunSummary:
    """What the run of ``session_id`` did; ``stages``: the later steps' jobs it ran
    (:data:`~photoq.services.run_failures.StageJobs`), ``sidecars``: whether it asked for them."""
    outcomes = PhotoRepository(rt.catalog).outcomes(session_id, PROCESS_PHOTO)
    dead = [
        DeadPhoto(o.path, o.error or "unknown error")
        for o in outcomes
        if o.status == JobStatus.DEAD
    ]
    culling = CullingRepository(rt.catalog).view(session_id)
    failures = run_failures(rt.catalog, session_id, stages or {}, sidecars=sidecars)
    failed = [
        {"path": f.photo, "stage": STEP_KINDS[f.step], "error": f.reason}
        for f in failures
        if f.step in (DEVELOP, EXPORT) and f.photo is not None
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
        groups=culling.groups,
        picks=culling.picks,
        rejects=culling.rejects,
        exported=JobRepository(rt.catalog).result_values(session_id, EXPORT_PHOTO, "path"),
        failed=failed,
        sidecar_errors=JobRepository(rt.catalog)
        .latest_result(session_id, GROUP_PHOTOS)
        .get("sidecar_errors", []),
        failures=failures,
        elapsed_s=time.monotonic() - started,
    )


def run_folder(
    rt: Runtime, folder: Path, options: RunOptions | None = None, progress: Progress | None = None
) -> RunSummary:
    """Ingest ``folder``, analyse every photo that needs it, then cull the session (and
    develop and export the picks when asked). A step due after the workers stopped is not run;
    the summary lists it among the failures."""
    options = options or RunOptions()
    started = time.monotonic()
    if options.export:
        # Before anything is ingested or queued: never among originals, and writable.
        check_export_folder(rt, options.export.out, check_folder(folder))
    ignore = (*rt.settings.ignore_globs, *options.ignore)
    result = ingest(rt.catalog, folder, home=rt.settings.home, ignore=ignore)
    resumed, queued = plan_jobs(rt, result.session_id, set(result.changed_ids), options.rules)
    stages: StageJobs = {}
    # An unchanged, already culled shoot needs no worker at all: the summary is in the catalog.
    if resumed or queued or _culling_due(rt, result.session_id, options):
        rt.ensure_workers()
        wait_for(rt, resumed + queued, progress)
        stages[CULLING] = None
        if _workers_alive(rt):
            stages[CULLING] = cull(rt, result.session_id, options, progress)
    if options.preset:
        stages[DEVELOP] = None
        if _workers_alive(rt):
            rt.ensure_workers()
            stages[DEVELOP] = apply_presets(
                rt, result.session_id, options.preset, options.sidecars, progress
            )
    if options.export:
        stages[EXPORT] = None
        if _workers_alive(rt):
            rt.ensure_workers()
            stages[EXPORT] = export_picks(rt, result.session_id, options.export, progress)
    summary = summarise(
        rt,
        result.session_id,
        result.root,
        len(resumed),
        len(queued),
        started,
        stages,
        sidecars=options.sidecars,
    )
    summary.skipped = result.skipped
    return summary


def _culling_due(rt: Runtime, session_id: int, options: RunOptions) -> bool:
    """Whether an unchanged shoot needs culling again: it never was culled, or sidecars are
    asked for and the last culling wrote none (``--no-sidecars``) or not all of them (say the
    folder was read-only then)."""
    if not CullingRepository(rt.catalog).is_culled(session_id):
        return True
    if not options.sidecars:
        return False
    last = JobRepository(rt.catalog).latest_result(session_id, GROUP_PHOTOS)
    return last.get("sidecars") is False or bool(
        last.get("sidecars_not_written") or last.get("sidecar_errors")
    )


def _workers_alive(rt: Runtime) -> bool:
    return rt.local_workers is None or not rt.local_workers.processes or rt.local_workers.alive()
