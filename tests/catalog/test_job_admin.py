"""Job control in the catalog (cancel, purge, failed view, aging, follow-ups, retention), on
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.job_records import NewJob
from photoq.catalog.job_stats import queue_counts
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import Job, JobStatus, utcnow
from photoq.catalog.photos import FileFacts, PhotoRepository
from photoq.catalog.queue_state import QueueStateRepository
from photoq.catalog.retention import delete_finished_before, output_folders
from photoq.catalog.store import Catalog
from photoq.pipeline.export.atomic import stale_temp_files, temp_name_for

NEXT = {"low": "medium", "medium": "high"}


def job(queue: str = "medium", priority: int = 5, **kw: object) -> NewJob:
    return NewJob(kind="probe", queue=queue, priority=priority, max_retries=3, **kw)  # type: ignore[arg-type]


@pytest.fixture
def admin(catalog: Catalog) -> JobAdmin:
    return JobAdmin(catalog)


def _backdate(catalog: Catalog, job_id: int, **ago: timedelta) -> None:
    with catalog.transaction() as db:
        values = {column: utcnow() - delta for column, delta in ago.items()}
        db.execute(update(Job).where(Job.id == job_id).values(**values))


def _dead(jobs: JobRepository, spec: NewJob) -> int:
    (d,) = jobs.create([spec])
    claim = jobs.claim(d.job_id, d.message_id, "w@h")
    assert claim is not None
    assert jobs.mark_dead(claim, d.message_id, ValueError("bad pixels"))
    return d.job_id


def test_cancel_a_running_job_closes_its_attempt(catalog: Catalog, admin: JobAdmin) -> None:
    jobs = JobRepository(catalog)
    (d,) = jobs.create([job()])
    assert jobs.claim(d.job_id, d.message_id, "w@h") is not None
    found = admin.cancel(d.job_id)
    assert found is not None
    assert (found.previous, found.was_running, found.message_id) == ("running", True, d.message_id)
    info = jobs.get(d.job_id)
    assert info is not None
    assert info.status == "cancelled"
    assert [a.outcome for a in jobs.attempts(d.job_id)] == ["cancelled"]
    # The running attempt's result no longer lands, and the old message cannot claim it again.
    assert jobs.claim(d.job_id, d.message_id, "w@h") is None
    again = admin.cancel(d.job_id)
    assert again is not None
    assert again.changed is False
    assert admin.cancel(424242) is None


def test_cancel_waiting_touches_only_waiting_jobs_of_the_queues(
    catalog: Catalog, admin: JobAdmin
) -> None:
    jobs = JobRepository(catalog)
    low = [d.job_id for d in jobs.create([job("low"), job("low", pending=True)])]
    (running,) = jobs.create([job("low")])
    assert jobs.claim(running.job_id, running.message_id, "w@h") is not None
    (other,) = jobs.create([job("medium")])
    cancelled = admin.cancel_waiting(["low"])
    assert sorted(cancelled) == low
    statuses = {i: jobs.get(i).status for i in [*low, running.job_id, other.job_id]}  # type: ignore[union-attr]
    assert statuses == {low[0]: "cancelled", low[1]: "cancelled", running.job_id: "running",
                        other.job_id: "queued"}  # fmt: skip


def test_failed_view_pages_and_hides_retried_jobs(catalog: Catalog, admin: JobAdmin) -> None:
    jobs = JobRepository(catalog)
    dead = [_dead(jobs, job()) for _ in range(3)]
    page, total = admin.failed(limit=2, offset=0)
    assert total == 3
    assert [j.id for j in page] == [dead[2], dead[1]]  # newest first
    assert page[0].error_message == "bad pixels"
    info = jobs.get(dead[0])
    assert info is not None
    (retry,) = jobs.create([admin.retry_spec(info)])
    assert admin.retried_as(dead[0]) == retry.job_id
    page, total = admin.failed(limit=10, offset=0)
    assert (total, [j.id for j in page]) == (2, [dead[2], dead[1]])
    with pytest.raises(IntegrityError):  # two retries racing: only one can exist
        jobs.create([admin.retry_spec(info)])


def test_aging_moves_old_jobs_up_one_tier(catalog: Catalog, admin: JobAdmin) -> None:
    jobs = JobRepository(catalog)
    old_low, old_medium, old_top, fresh, old_gpu, old_paused = jobs.create(
        [job("low", 1), job("medium", 5), job("high", 9), job("low", 1), job("gpu", 5),
         job("medium", 2)]
    )  # fmt: skip
    for d in (old_low, old_medium, old_top, old_gpu, old_paused):
        _backdate(catalog, d.job_id, queued_at=timedelta(minutes=20))
    QueueStateRepository(catalog).set_paused(["high"], True)  # medium's next tier
    cutoff = utcnow() - timedelta(minutes=10)
    aged = admin.age_waiting(cutoff, step=4, ceiling=9, next_queue=NEXT)
    moved = {d.job_id: (d.queue, d.priority) for d in aged}
    assert moved == {
        old_low.job_id: ("medium", 5),
        old_gpu.job_id: ("gpu", 9),  # gpu work stays on its queue
        # Raised, but not moved into the paused queue.
        old_medium.job_id: ("medium", 9),
        old_paused.job_id: ("medium", 6),
    }
    # A superseded message can no longer claim the job; the fresh one can.
    assert jobs.claim(old_low.job_id, old_low.message_id, "w@h") is None
    fresh_id = {d.job_id: d.message_id for d in aged}[old_low.job_id]
    assert jobs.claim(old_low.job_id, fresh_id, "w@h") is not None
    # Aging restarted the clock: nothing is old enough a second time.
    assert admin.age_waiting(cutoff, step=4, ceiling=9, next_queue=NEXT) == []
    assert fresh.job_id not in moved


def test_pending_jobs_wait_for_every_earlier_job_of_their_session(
    catalog: Catalog, admin: JobAdmin
) -> None:
    session = PhotoRepository(catalog).session_for_root("/shoot", "shoot")
    jobs = JobRepository(catalog)
    first, second, follow = jobs.create(
        [job(session_id=session), job(session_id=session), job(session_id=session, pending=True)]
    )
    assert admin.release_pending(session) == []
    for d in (first, second):
        claim = jobs.claim(d.job_id, d.message_id, "w@h")
        assert claim is not None
        jobs.succeed(claim, d.message_id, None)
        released = admin.release_pending(session)
    assert [d.job_id for d in released] == [follow.job_id]
    assert jobs.get(follow.job_id).status == "queued"  # type: ignore[union-attr]
    assert admin.release_pending(session) == []  # released once


def test_requeue_paused_only_for_paused_queues(catalog: Catalog, admin: JobAdmin) -> None:
    jobs = JobRepository(catalog)
    (d,) = jobs.create([job("low")])
    assert admin.requeue_paused(d.job_id, d.message_id) is None
    QueueStateRepository(catalog).set_paused(["low"], True)
    assert jobs.claim(d.job_id, d.message_id, "w@h") is None  # paused: it must not start
    back = admin.requeue_paused(d.job_id, d.message_id)
    assert back is not None
    assert (back.queue, back.message_id != d.message_id) == ("low", True)
    assert admin.requeue_paused(d.job_id, d.message_id) is None  # the old message is stale now
    assert QueueStateRepository(catalog).paused() == {"low"}
    QueueStateRepository(catalog).set_paused(["low"], False)
    assert jobs.claim(d.job_id, back.message_id, "w@h") is not None


def test_queue_counts(catalog: Catalog) -> None:
    jobs = JobRepository(catalog)
    created = jobs.create([job("low", 1), job("low", 1), job("low", 9), job("high", 9)])
    claim = jobs.claim(created[3].job_id, created[3].message_id, "w@h")
    assert claim is not None
    jobs.succeed(claim, created[3].message_id, None)
    counts = queue_counts(catalog, ["low", "high", "gpu"])
    assert counts["low"].waiting_by_priority == {1: 2, 9: 1}
    assert counts["low"].count(JobStatus.QUEUED) == 3
    assert counts["high"].count(JobStatus.SUCCEEDED) == 1
    assert counts["high"].finished_last_minute == 1
    assert counts["gpu"].by_status == {}
    assert counts["low"].oldest_queued_at is not None


def test_retention_deletes_only_old_finished_jobs(catalog: Catalog, admin: JobAdmin) -> None:
    jobs = JobRepository(catalog)
    old = _dead(jobs, job())
    recent = _dead(jobs, job())
    (waiting,) = jobs.create([job()])
    _backdate(catalog, old, finished_at=timedelta(days=8))
    _backdate(catalog, waiting.job_id, created_at=timedelta(days=30))
    info = jobs.get(old)
    assert info is not None
    (retry,) = jobs.create([admin.retry_spec(info)])
    deleted = delete_finished_before(catalog, utcnow() - timedelta(days=7))
    assert (deleted.jobs, deleted.attempts) == (1, 1)
    assert jobs.get(old) is None
    assert jobs.get(recent) is not None
    assert jobs.get(waiting.job_id) is not None
    assert jobs.get(retry.job_id).retry_of is None  # type: ignore[union-attr]


def test_stale_temp_files_and_output_folders(catalog: Catalog, tmp_path: Path) -> None:
    target = tmp_path / "out.jpg"
    old, new = temp_name_for(target), temp_name_for(target)
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    (tmp_path / ".notours.tmp").write_bytes(b"x")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    assert stale_temp_files(tmp_path, older_than=3600) == [old]
    assert stale_temp_files(tmp_path / "missing", older_than=0) == []
    JobRepository(catalog).create([NewJob("export_photo", "low", 1, 3, payload={"out": "/x/y"})])
    session = PhotoRepository(catalog).session_for_root("/s", "s")
    assert session > 0
    assert "/x/y" in output_folders(catalog, "export_photo")


def test_failed_view_names_the_photo(catalog: Catalog, admin: JobAdmin) -> None:
    photos = PhotoRepository(catalog)
    session = photos.session_for_root("/shoot", "shoot")
    photos.register(session, [FileFacts("/shoot/bad.jpg", 11, 1.0, "ab" * 32)])
    [photo] = photos.photos(session)
    dead = _dead(JobRepository(catalog), job(photo_id=photo.id, session_id=session))
    [info], _ = admin.failed(limit=5, offset=0)
    assert (info.id, info.photo_path) == (dead, "/shoot/bad.jpg")
