"""What makes a ``photoq run`` not ok: the failures decided from the catalog's jobs, on a real
catalog (SQLite, and PostgreSQL where one answers)."""

from __future__ import annotations

from typing import Any

import pytest

from photoq.catalog.job_records import NewJob
from photoq.catalog.jobs import JobRepository
from photoq.catalog.photos import FileFacts, PhotoRepository
from photoq.catalog.store import Catalog
from photoq.errors import PermanentError
from photoq.queue.routing import APPLY_PRESET, EXPORT_PHOTO, GROUP_PHOTOS, PROCESS_PHOTO
from photoq.services.run_failures import (
    ANALYSIS,
    CULLING,
    DEVELOP,
    EXPORT,
    NOT_RUN,
    SIDECARS,
    Failure,
    headline,
    run_failures,
)


class Shoot:
    """A session of photos in a real catalog, with jobs run to the outcome a test asks for."""

    def __init__(self, catalog: Catalog, names: list[str]) -> None:
        self.catalog = catalog
        self.jobs = JobRepository(catalog)
        photos = PhotoRepository(catalog)
        self.session = photos.session_for_root("/shoot", "shoot")
        facts = [FileFacts(f"/shoot/{n}", 10, 1.0, f"h-{n}") for n in names]
        self.ids = dict(zip(names, photos.register(self.session, facts), strict=True))

    def job(
        self,
        kind: str,
        outcome: str,
        name: str | None = None,
        *,
        error: Exception | None = None,
        result: dict[str, Any] | None = None,
    ) -> int:
        spec = NewJob(
            kind=kind,
            queue="medium",
            priority=5,
            max_retries=0,
            photo_id=self.ids[name] if name else None,
            session_id=self.session,
        )
        (d,) = self.jobs.create([spec])
        if outcome == "queued":
            return d.job_id
        claim = self.jobs.claim(d.job_id, d.message_id, "w1@host")
        assert claim is not None
        if outcome == "succeeded":
            assert self.jobs.succeed(claim, d.message_id, result)
        else:
            assert self.jobs.mark_dead(claim, d.message_id, error or PermanentError("broken"))
        return d.job_id

    def failures(
        self, stages: dict[str, list[int] | None], *, sidecars: bool = True
    ) -> list[Failure]:
        return run_failures(self.catalog, self.session, stages, sidecars=sidecars)


@pytest.fixture
def shoot(catalog: Catalog) -> Shoot:
    return Shoot(catalog, ["a.jpg", "b.jpg", "c.jpg"])


def test_all_analysed_and_culled_is_ok(shoot: Shoot) -> None:
    for name in shoot.ids:
        shoot.job(PROCESS_PHOTO, "succeeded", name)
    culling = shoot.job(GROUP_PHOTOS, "succeeded", result={"sidecar_errors": []})
    assert shoot.failures({CULLING: [culling]}) == []
    # An unchanged shoot that needs no culling this time: still ok.
    assert shoot.failures({}) == []


def test_dead_and_unfinished_photos_fail_the_run_even_from_an_earlier_run(shoot: Shoot) -> None:
    shoot.job(PROCESS_PHOTO, "succeeded", "a.jpg")
    dead = shoot.job(PROCESS_PHOTO, "dead", "b.jpg", error=PermanentError("truncated JPEG data"))
    waiting = shoot.job(PROCESS_PHOTO, "queued", "c.jpg")
    failures = shoot.failures({})  # nothing re-run: the dead photo is still dead
    assert failures == [
        Failure(ANALYSIS, "dead", "/shoot/b.jpg", dead, "truncated JPEG data"),
        Failure(
            ANALYSIS,
            "unfinished",
            "/shoot/c.jpg",
            waiting,
            "queued: the workers stopped first; run the same command again to resume",
        ),
    ]
    assert headline(failures) == "1 photo(s) dead, 1 photo(s) unfinished"


def test_a_dead_culling_job_fails_the_run_and_its_sidecars_are_not_blamed(shoot: Shoot) -> None:
    for name in shoot.ids:
        shoot.job(PROCESS_PHOTO, "succeeded", name)
    # An earlier culling's result that listed a sidecar error must not be reported now.
    shoot.job(GROUP_PHOTOS, "succeeded", result={"sidecar_errors": ["/shoot/a.jpg: old"]})
    culling = shoot.job(GROUP_PHOTOS, "dead", error=RuntimeError("grouping blew up"))
    failures = shoot.failures({CULLING: [culling]})
    assert failures == [Failure(CULLING, "dead", None, culling, "grouping blew up")]
    assert headline(failures) == "culling job dead: grouping blew up"


def test_steps_the_workers_never_reached_are_failures(shoot: Shoot) -> None:
    for name in shoot.ids:
        shoot.job(PROCESS_PHOTO, "succeeded", name)
    failures = shoot.failures({CULLING: None, DEVELOP: None, EXPORT: None})
    assert [(f.step, f.status, f.job) for f in failures] == [
        (CULLING, NOT_RUN, None),
        (DEVELOP, NOT_RUN, None),
        (EXPORT, NOT_RUN, None),
    ]


def test_sidecars_not_written_are_failures_only_when_asked_for(shoot: Shoot) -> None:
    for name in shoot.ids:
        shoot.job(PROCESS_PHOTO, "succeeded", name)
    result = {
        "sidecar_errors": ["/shoot/a.jpg: [Errno 21] Is a directory: '/shoot/a.xmp'"],
        "sidecar_failures": [
            {"photo": "/shoot/a.jpg", "error": "[Errno 21] Is a directory: '/shoot/a.xmp'"}
        ],
        "sidecars_not_written": 3,
    }
    culling = shoot.job(GROUP_PHOTOS, "succeeded", result=result)
    failures = shoot.failures({CULLING: [culling]})
    assert failures[0] == Failure(
        SIDECARS,
        "not written",
        "/shoot/a.jpg",
        None,
        "[Errno 21] Is a directory: '/shoot/a.xmp'",
    )
    assert failures[1].photo is None
    assert "2 more" in failures[1].reason
    assert headline(failures) == "sidecars not written for more than 1 photo(s)"
    assert shoot.failures({CULLING: [culling]}, sidecars=False) == []


def test_develop_and_export_count_only_this_runs_jobs(shoot: Shoot) -> None:
    for name in shoot.ids:
        shoot.job(PROCESS_PHOTO, "succeeded", name)
    culling = shoot.job(GROUP_PHOTOS, "succeeded", result={})
    # An earlier run's dead export of c.jpg, not exported again this run.
    shoot.job(EXPORT_PHOTO, "dead", "c.jpg", error=PermanentError("old"))
    preset = shoot.job(APPLY_PRESET, "succeeded", "a.jpg")
    ok = shoot.job(EXPORT_PHOTO, "succeeded", "a.jpg")
    exists = PermanentError("/out/b.jpg already exists; pass --overwrite to replace it")
    refused = shoot.job(EXPORT_PHOTO, "dead", "b.jpg", error=exists)
    failures = shoot.failures({CULLING: [culling], DEVELOP: [preset], EXPORT: [ok, refused]})
    assert failures == [Failure(EXPORT, "dead", "/shoot/b.jpg", refused, str(exists))]
    assert headline(failures) == "1 export(s) dead"
    # A run that does not export says nothing of exports at all.
    assert shoot.failures({CULLING: [culling]}) == []
