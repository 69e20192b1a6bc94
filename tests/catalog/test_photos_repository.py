"""Sessions and photos: registration on ingest, analysis results, outcomes per job kind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from photoq.catalog.job_records import NewJob
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import JobStatus, Photo
from photoq.catalog.photos import FileFacts, PhotoRepository
from photoq.catalog.store import Catalog

ANALYSIS = {
    "exif": {"Make": "Canon", "ISO": 400},
    "quality": {"sharpness": 0.8, "noise": 0.1},
    "quality_score": 4.2,
    "analysis_version": 3,
    "make": "Canon",
}


@pytest.fixture
def photos(catalog: Catalog) -> PhotoRepository:
    return PhotoRepository(catalog)


def facts(path: str, content_hash: str, *, size: int = 1000, mtime: float = 100.0) -> FileFacts:
    return FileFacts(path=path, size=size, mtime=mtime, content_hash=content_hash)


def _row(catalog: Catalog, photo_id: int) -> dict[str, Any]:
    with catalog.transaction() as db:
        photo = db.scalar(select(Photo).where(Photo.id == photo_id))
        assert photo is not None
        return {c: getattr(photo, c) for c in Photo.__table__.columns.keys()}  # noqa: SIM118


def test_session_for_root_is_idempotent(photos: PhotoRepository) -> None:
    first = photos.session_for_root("/shoots/wedding", "wedding")
    again = photos.session_for_root("/shoots/wedding", "another name")
    other = photos.session_for_root("/shoots/party", "party")
    assert again == first
    assert other != first
    assert photos.session_ids() == sorted([first, other])


def test_register_new_files(photos: PhotoRepository) -> None:
    session = photos.session_for_root("/shoots/a", "a")
    ids = photos.register(session, [facts("a/1.jpg", "h1"), facts("a/2.jpg", "h2", size=5)])
    assert len(ids) == 2
    assert len(set(ids)) == 2
    listed = photos.photos(session)
    assert [p.path for p in listed] == ["a/1.jpg", "a/2.jpg"]
    assert sorted(p.id for p in listed) == sorted(ids)
    two = photos.get(listed[1].id)
    assert two is not None
    assert (two.session_id, two.size, two.content_hash, two.analysis_version) == (
        session,
        5,
        "h2",
        None,
    )
    # The same path in another session is another photo.
    other = photos.session_for_root("/shoots/b", "b")
    assert len(photos.register(other, [facts("a/1.jpg", "h1")])) == 1
    assert len(photos.photos(session)) == 2


def test_register_again_returns_only_what_changed(
    photos: PhotoRepository, catalog: Catalog
) -> None:
    session = photos.session_for_root("/shoots/a", "a")
    first = photos.register(
        session, [facts("1.jpg", "h1"), facts("2.jpg", "h2"), facts("3.jpg", "h3")]
    )
    ids_by_path = {p.path: p.id for p in photos.photos(session)}
    assert sorted(first) == sorted(ids_by_path.values())
    for photo_id in first:
        photos.save_analysis(photo_id, ANALYSIS)

    # Nothing changed: nothing to analyse.
    assert (
        photos.register(session, [facts("1.jpg", "h1"), facts("2.jpg", "h2"), facts("3.jpg", "h3")])
        == []
    )

    # 1.jpg only touched (new mtime, same bytes), 2.jpg rewritten, 3.jpg unchanged, 4.jpg new.
    changed = photos.register(
        session,
        [
            facts("1.jpg", "h1", mtime=200.0),
            facts("2.jpg", "h2-new", size=2000, mtime=300.0),
            facts("3.jpg", "h3"),
            facts("4.jpg", "h4"),
        ],
    )
    by_path = {p.path: p for p in photos.photos(session)}
    assert sorted(changed) == sorted([by_path["2.jpg"].id, by_path["4.jpg"].id])

    touched = _row(catalog, by_path["1.jpg"].id)
    assert touched["mtime"] == 200.0
    assert touched["exif"] == ANALYSIS["exif"]
    assert touched["quality"] == ANALYSIS["quality"]
    assert touched["analysis_version"] == 3

    rewritten = _row(catalog, by_path["2.jpg"].id)
    assert (rewritten["content_hash"], rewritten["size"], rewritten["mtime"]) == (
        "h2-new",
        2000,
        300.0,
    )
    assert rewritten["exif"] is None
    assert rewritten["quality"] is None
    assert rewritten["quality_score"] is None
    assert rewritten["analysis_version"] is None

    assert _row(catalog, by_path["3.jpg"].id)["analysis_version"] == 3
    assert photos.register(session, [facts("2.jpg", "h2-new", size=2000, mtime=300.0)]) == []


def test_save_analysis(photos: PhotoRepository, catalog: Catalog) -> None:
    session = photos.session_for_root("/shoots/a", "a")
    (photo_id,) = photos.register(session, [facts("1.jpg", "h1")])
    photos.save_analysis(photo_id, {"width": 6000, "height": 4000, "quality": {"s": 1.5}})
    row = _row(catalog, photo_id)
    assert (row["width"], row["height"], row["quality"]) == (6000, 4000, {"s": 1.5})

    for bad in ({"no_such_column": 1}, {"path": "elsewhere.jpg"}, {"id": 99}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            photos.save_analysis(photo_id, {"rating": 5, **bad})
    row = _row(catalog, photo_id)
    assert row["rating"] is None  # nothing of a rejected call is written
    assert row["path"] == "1.jpg"
    assert row["id"] == photo_id


def test_outcomes_show_the_newest_job_of_a_kind(photos: PhotoRepository, catalog: Catalog) -> None:
    jobs = JobRepository(catalog)
    session = photos.session_for_root("/shoots/a", "a")
    other_session = photos.session_for_root("/shoots/b", "b")
    photos.register(session, [facts(f"{n}.jpg", f"h{n}") for n in (1, 2, 3, 4)])
    (elsewhere,) = photos.register(other_session, [facts("x.jpg", "hx")])
    ids = {p.path: p.id for p in photos.photos(session)}

    def job(photo_id: int, kind: str = "analyze", session_id: int = session) -> NewJob:
        return NewJob(kind, "medium", 5, 3, photo_id=photo_id, session_id=session_id)

    def run(spec: NewJob, outcome: str) -> None:
        (d,) = jobs.create([spec])
        claim = jobs.claim(d.job_id, d.message_id, "w1")
        assert claim is not None
        if outcome == "dead":
            assert jobs.mark_dead(claim, d.message_id, ValueError(f"bad {spec.photo_id}"))
        else:
            assert jobs.succeed(claim, d.message_id, None)

    # 1.jpg: failed first, then succeeded on a newer job → succeeded, no error.
    run(job(ids["1.jpg"]), "dead")
    run(job(ids["1.jpg"]), "succeeded")
    # 2.jpg: succeeded first, then a newer job died → dead with its error.
    run(job(ids["2.jpg"]), "succeeded")
    run(job(ids["2.jpg"]), "dead")
    # 3.jpg: only a queued job.
    jobs.create([job(ids["3.jpg"])])
    # 4.jpg: no job of this kind (one of another kind does not count).
    run(job(ids["4.jpg"], kind="export"), "dead")
    run(job(elsewhere, session_id=other_session), "dead")

    outcomes = photos.outcomes(session, "analyze")
    assert [(o.photo_id, o.path, o.status, o.error) for o in outcomes] == [
        (ids["1.jpg"], "1.jpg", JobStatus.SUCCEEDED, None),
        (ids["2.jpg"], "2.jpg", JobStatus.DEAD, f"bad {ids['2.jpg']}"),
        (ids["3.jpg"], "3.jpg", JobStatus.QUEUED, None),
        (ids["4.jpg"], "4.jpg", None, None),
    ]
    export = {o.path: (o.status, o.error) for o in photos.outcomes(session, "export")}
    assert export == {
        "1.jpg": (None, None),
        "2.jpg": (None, None),
        "3.jpg": (None, None),
        "4.jpg": (JobStatus.DEAD, f"bad {ids['4.jpg']}"),
    }
    assert [(o.path, o.status) for o in photos.outcomes(other_session, "analyze")] == [
        ("x.jpg", JobStatus.DEAD)
    ]
