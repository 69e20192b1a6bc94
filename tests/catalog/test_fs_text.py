"""File names the file system allows but UTF-8 does not: stored exactly on SQLite and PostgreSQL.

os.walk hands a name that is not UTF-8 over as a str with lone surrogates (surrogateescape);
neither SQLite's driver nor PostgreSQL takes such a str, so the catalog stores it escaped
(photoq.catalog.fs_text) and reads it back exactly.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text

from photoq.catalog.culling import CullingRepository
from photoq.catalog.fs_text import ESCAPED_PREFIX, decode_text, encode_text, fit
from photoq.catalog.job_records import NewJob
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import Photo, ShootSession
from photoq.catalog.photos import FileFacts, PhotoRepository
from photoq.catalog.store import Catalog
from photoq.pipeline.culling.grouping import Group, GroupKind
from photoq.pipeline.culling.picking import Decision

ROOT = os.fsdecode(b"/shoots/f\xeate \xff")
NAMES = [
    os.fsdecode(b"caf\xe9.jpg"),
    "new\nline\x1b[31mred.jpg",
    "[red]x[bold.jpg",
    "100% real.jpg",
    ESCAPED_PREFIX + "looks escaped.jpg",
    "ordinary é.jpg",
]


def test_codec_round_trips_and_leaves_valid_text_alone() -> None:
    for name in [*NAMES, "", "%", "%fs:", "%fs:%E9", "\ud800 lone high", "%uD800"]:
        assert decode_text(encode_text(name)) == name
        stored = encode_text(name)
        stored.encode("utf-8")  # what the drivers need: valid Unicode
    assert encode_text("/shoots/ordinary é.jpg") == "/shoots/ordinary é.jpg"
    assert encode_text("/a/100% real.jpg") == "/a/100% real.jpg"
    assert encode_text(os.fsdecode(b"/a/caf\xe9.jpg")) == ESCAPED_PREFIX + "/a/caf%E9.jpg"
    # A stored escaped form never starts like an absolute path, so none is ambiguous.
    assert not encode_text(os.fsdecode(b"/\xff")).startswith("/")


def test_fit_cuts_by_the_stored_length() -> None:
    name = os.fsdecode(b"\xe9" * 200)
    cut = fit(name, 255)
    assert len(encode_text(cut)) <= 255
    assert name.startswith(cut)
    assert fit("short", 255) == "short"


def test_paths_round_trip_and_lookups_work(catalog: Catalog) -> None:
    photos = PhotoRepository(catalog)
    session = photos.session_for_root(ROOT, os.path.basename(ROOT))
    assert photos.session_for_root(ROOT, "again") == session  # the lookup by root finds it
    paths = [f"{ROOT}/{name}" for name in NAMES]
    files = [FileFacts(p, 10, 1.0, f"h{i}") for i, p in enumerate(paths)]
    ids = photos.register(session, files)
    assert len(ids) == len(paths)
    listed = {p.path: p.id for p in photos.photos(session)}
    assert set(listed) == set(paths)
    for path in paths:
        assert os.fsencode(path) in {os.fsencode(p) for p in listed}
    # Re-registering the same files finds every one of them by path: nothing new.
    assert photos.register(session, files) == []
    with catalog.transaction(read_only=True) as db:
        for path in paths:
            assert db.scalar(select(Photo.id).where(Photo.path == path)) == listed[path]
        assert db.scalar(select(ShootSession.name).where(ShootSession.root == ROOT)) == (
            os.path.basename(ROOT)
        )
        # Ordinary names are stored as they are; the others in the escaped form.
        stored = set(db.scalars(text("select path from photos")))
    assert f"{ROOT}/ordinary é.jpg" not in stored  # the root itself is not UTF-8
    assert encode_text(f"{ROOT}/ordinary é.jpg") in stored
    assert all(s.startswith(ESCAPED_PREFIX) for s in stored)
    outcome = {o.path for o in photos.outcomes(session, "process_photo")}
    assert outcome == set(paths)


def test_reasons_errors_and_json_keep_the_name(catalog: Catalog) -> None:
    """A reject reason and an error message quote a name; results and payloads hold paths."""
    photos = PhotoRepository(catalog)
    session = photos.session_for_root("/shoots/plain", "plain")
    bad = "/shoots/plain/" + NAMES[0]
    good = "/shoots/plain/ordinary.jpg"
    bad_id, good_id = photos.register(
        session, [FileFacts(bad, 1, 1.0, "same"), FileFacts(good, 1, 1.0, "same")]
    )
    stem = os.path.splitext(NAMES[0])[0]
    CullingRepository(catalog).save(
        session,
        [Group(GroupKind.EXACT, (bad_id, good_id), bad_id)],
        [
            Decision(bad_id, True, 5, None),
            Decision(good_id, False, 1, f"exact duplicate of {stem}"),
        ],
    )
    view = CullingRepository(catalog).view(session)
    assert view.groups[0].cover == bad
    assert view.picks == [bad]
    assert view.rejects == [{"path": good, "reason": f"exact duplicate of {stem}"}]

    jobs = JobRepository(catalog)
    payload = {"out": "/exports/" + NAMES[0], "rules": bad}
    (dispatch,) = jobs.create(
        [NewJob("export_photo", "low", 1, 0, photo_id=bad_id, session_id=session, payload=payload)]
    )
    claim = jobs.claim(dispatch.job_id, dispatch.message_id, "w1")
    assert claim is not None
    assert claim.payload == payload
    assert jobs.mark_dead(claim, dispatch.message_id, ValueError(f"{bad}: broken"))
    info = jobs.get(dispatch.job_id)
    assert info is not None
    assert info.error_message == f"{bad}: broken"
    assert jobs.attempts(dispatch.job_id)[0].error_message == f"{bad}: broken"

    (dispatch,) = jobs.create(
        [NewJob("export_photo", "low", 1, 0, photo_id=bad_id, session_id=session, payload=payload)]
    )
    claim = jobs.claim(dispatch.job_id, dispatch.message_id, "w1")
    assert claim is not None
    exported = "/exports/" + NAMES[0]
    assert jobs.succeed(claim, dispatch.message_id, {"path": exported, "errors": [bad]})
    assert jobs.result_values(session, "export_photo", "path") == [exported]
    assert jobs.latest_result(session, "export_photo")["errors"] == [bad]


@pytest.mark.parametrize("name", NAMES)
def test_each_name_alone(catalog: Catalog, name: str) -> None:
    photos = PhotoRepository(catalog)
    session = photos.session_for_root("/s", "s")
    (pid,) = photos.register(session, [FileFacts(f"/s/{name}", 1, 1.0, "h")])
    got = photos.get(pid)
    assert got is not None
    assert os.fsencode(got.path) == os.fsencode(f"/s/{name}")
