"""The claim/finish protocol of JobRepository (DESIGN.md invariant 2), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from photoq.catalog.job_records import Claim, NewJob
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import Job, JobStatus
from photoq.catalog.photos import PhotoRepository
from photoq.catalog.store import Catalog


class DiskFull(Exception):
    pass


def spec(kind: str = "analyze", session_id: int | None = None, **payload: object) -> NewJob:
    return NewJob(
        kind=kind,
        queue="medium",
        priority=5,
        max_retries=3,
        session_id=session_id,
        payload=payload or None,
    )


@pytest.fixture
def jobs(catalog: Catalog) -> JobRepository:
    return JobRepository(catalog)


def _set_status(catalog: Catalog, job_id: int, status: str, **values: object) -> None:
    with catalog.transaction() as db:
        db.execute(update(Job).where(Job.id == job_id).values(status=status, **values))


def _assert_utc(value: datetime | None, *, near: datetime | None = None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    if near is not None:
        assert abs(value - near) < timedelta(minutes=5)


def _claimed(jobs: JobRepository, worker: str = "w1@host") -> tuple[int, str, Claim]:
    (d,) = jobs.create([spec(n=1)])
    claim = jobs.claim(d.job_id, d.message_id, worker)
    assert claim is not None
    return d.job_id, d.message_id, claim


def test_create_and_claim(jobs: JobRepository) -> None:
    (d,) = jobs.create([spec("analyze", x=7)])
    assert d.kind == "analyze"
    assert d.queue == "medium"
    assert d.priority == 5
    assert d.message_id
    before = jobs.get(d.job_id)
    assert before is not None
    assert before.status == JobStatus.QUEUED
    assert before.attempts == 0
    assert before.started_at is None

    claim = jobs.claim(d.job_id, d.message_id, "w1@host")
    assert claim is not None
    assert claim.job_id == d.job_id
    assert claim.attempt == 1
    assert claim.max_retries == 3
    assert claim.kind == "analyze"
    assert claim.payload == {"x": 7}

    info = jobs.get(d.job_id)
    assert info is not None
    assert info.status == JobStatus.RUNNING
    assert info.attempts == 1
    assert info.worker == "w1@host"
    (attempt,) = jobs.attempts(d.job_id)
    assert attempt.number == claim.attempt
    assert attempt.number == 1
    assert attempt.worker == "w1@host"
    assert attempt.finished_at is None
    assert attempt.outcome is None


def test_timestamps_are_utc_aware(jobs: JobRepository) -> None:
    now = datetime.now(UTC)
    job_id, mid, claim = _claimed(jobs)
    assert jobs.succeed(claim, mid, {"ok": True})
    info = jobs.get(job_id)
    assert info is not None
    for value in (info.created_at, info.started_at, info.finished_at):
        _assert_utc(value, near=now)
    assert info.created_at <= info.started_at <= info.finished_at  # type: ignore[operator]
    (attempt,) = jobs.attempts(job_id)
    _assert_utc(attempt.started_at, near=now)
    _assert_utc(attempt.finished_at, near=now)


def test_claim_with_another_message_id_is_superseded(jobs: JobRepository) -> None:
    (d,) = jobs.create([spec()])
    assert jobs.claim(d.job_id, "not-the-message", "w1") is None
    info = jobs.get(d.job_id)
    assert info is not None
    assert info.status == JobStatus.QUEUED
    assert info.attempts == 0
    assert jobs.attempts(d.job_id) == []
    assert jobs.claim(d.job_id + 1000, d.message_id, "w1") is None


def test_claim_after_succeed_is_dropped(jobs: JobRepository) -> None:
    job_id, mid, claim = _claimed(jobs)
    assert jobs.succeed(claim, mid, {"score": 4.5}) is True
    info = jobs.get(job_id)
    assert info is not None
    assert info.status == JobStatus.SUCCEEDED
    assert info.result == {"score": 4.5}
    assert info.finished_at is not None
    assert info.error_type is None
    (attempt,) = jobs.attempts(job_id)
    assert attempt.outcome == "succeeded"

    assert jobs.claim(job_id, mid, "w2") is None
    after = jobs.get(job_id)
    assert after is not None
    assert after.status == JobStatus.SUCCEEDED
    assert after.attempts == 1
    assert len(jobs.attempts(job_id)) == 1


def test_mark_dead_stores_the_error_and_blocks_claims(jobs: JobRepository) -> None:
    job_id, mid, claim = _claimed(jobs)
    assert jobs.mark_dead(claim, mid, DiskFull("no space left on /out")) is True
    info = jobs.get(job_id)
    assert info is not None
    assert info.status == JobStatus.DEAD
    assert info.error_type == "DiskFull"
    assert info.error_message == "no space left on /out"
    assert info.finished_at is not None
    (attempt,) = jobs.attempts(job_id)
    assert attempt.outcome == "failed"
    assert attempt.error_type == "DiskFull"
    assert attempt.error_message == "no space left on /out"
    assert attempt.finished_at is not None

    assert jobs.claim(job_id, mid, "w2") is None
    assert len(jobs.attempts(job_id)) == 1


def test_cancelled_job_is_not_claimed(jobs: JobRepository, catalog: Catalog) -> None:
    (d,) = jobs.create([spec()])
    _set_status(catalog, d.job_id, JobStatus.CANCELLED)
    assert jobs.claim(d.job_id, d.message_id, "w1") is None
    info = jobs.get(d.job_id)
    assert info is not None
    assert info.status == JobStatus.CANCELLED
    assert info.attempts == 0


def test_redelivery_of_a_running_job_marks_the_old_attempt_lost(jobs: JobRepository) -> None:
    job_id, mid, first = _claimed(jobs, "w1@dead")
    started = jobs.get(job_id).started_at  # type: ignore[union-attr]

    second = jobs.claim(job_id, mid, "w2@alive")
    assert second is not None
    assert second.attempt == 2
    assert second.attempt_id != first.attempt_id

    info = jobs.get(job_id)
    assert info is not None
    assert info.status == JobStatus.RUNNING
    assert info.attempts == 2
    assert info.worker == "w2@alive"
    assert info.started_at == started  # the job's first start is kept

    lost, current = jobs.attempts(job_id)
    assert (lost.number, lost.worker, lost.outcome) == (1, "w1@dead", "lost")
    assert lost.finished_at is not None
    assert lost.error_type == "WorkerLost"
    assert (current.number, current.worker) == (2, "w2@alive")
    assert current.finished_at is None
    assert current.outcome is None


def test_schedule_retry_then_claim_again(jobs: JobRepository) -> None:
    job_id, mid, claim = _claimed(jobs)
    assert jobs.schedule_retry(claim, mid, OSError("disk hiccup"), 3.5) is True
    info = jobs.get(job_id)
    assert info is not None
    assert info.status == JobStatus.RETRYING
    assert info.error_type == "OSError"
    assert info.error_message == "disk hiccup"
    assert info.finished_at is None
    (attempt,) = jobs.attempts(job_id)
    assert attempt.outcome == "retry"
    assert attempt.error_type == "OSError"
    assert attempt.error_message == "disk hiccup"
    assert attempt.retry_delay == pytest.approx(3.5)
    assert attempt.finished_at is not None

    again = jobs.claim(job_id, mid, "w1@host")
    assert again is not None
    assert again.attempt == 2
    first, second = jobs.attempts(job_id)
    assert first.outcome == "retry"  # a finished attempt is not re-labelled as lost
    assert second.outcome is None
    assert jobs.succeed(again, mid, None) is True
    done = jobs.get(job_id)
    assert done is not None
    assert done.status == JobStatus.SUCCEEDED
    assert done.error_type is None
    assert done.error_message is None


def test_succeed_with_a_stale_message_id_leaves_the_job_unfinished(jobs: JobRepository) -> None:
    job_id, old_mid, claim = _claimed(jobs)
    dispatch = jobs.republish(job_id)
    assert dispatch is not None
    assert dispatch.message_id != old_mid

    assert jobs.succeed(claim, old_mid, {"stale": True}) is False
    info = jobs.get(job_id)
    assert info is not None
    assert info.status == JobStatus.RUNNING
    assert info.result is None
    assert info.finished_at is None
    assert [j.id for j in jobs.unfinished()] == [job_id]
    (attempt,) = jobs.attempts(job_id)
    assert attempt.outcome == "dropped"  # the attempt ended, but it no longer owned the job
    assert attempt.finished_at is not None
    assert jobs.mark_dead(claim, old_mid, DiskFull("x")) is False
    assert jobs.schedule_retry(claim, old_mid, OSError("x"), 1.0) is False
    assert jobs.get(job_id).status == JobStatus.RUNNING  # type: ignore[union-attr]

    # The old message can no longer claim it; the new one can.
    assert jobs.claim(job_id, old_mid, "w1") is None
    fresh = jobs.claim(job_id, dispatch.message_id, "w2")
    assert fresh is not None
    assert fresh.attempt == 2
    assert jobs.succeed(fresh, dispatch.message_id, {"fresh": True}) is True
    assert jobs.get(job_id).result == {"fresh": True}  # type: ignore[union-attr]


def test_republish(jobs: JobRepository, catalog: Catalog) -> None:
    a, b, c, d, e = jobs.create([spec() for _ in range(5)])
    # A queued job gets a new id (and optionally a new priority); the old message is superseded.
    again = jobs.republish(a.job_id, priority=9)
    assert again is not None
    assert again.job_id == a.job_id
    assert again.priority == 9
    assert again.message_id != a.message_id
    info = jobs.get(a.job_id)
    assert info is not None
    assert info.priority == 9
    assert info.status == JobStatus.QUEUED
    assert jobs.claim(a.job_id, a.message_id, "w1") is None
    assert jobs.claim(a.job_id, again.message_id, "w1") is not None

    # A pending job becomes queued.
    _set_status(catalog, b.job_id, JobStatus.PENDING)
    moved = jobs.republish(b.job_id)
    assert moved is not None
    assert moved.priority == 5
    assert jobs.get(b.job_id).status == JobStatus.QUEUED  # type: ignore[union-attr]

    # Final jobs are never republished, and keep their message id.
    for dispatch, status in (
        (c, JobStatus.SUCCEEDED),
        (d, JobStatus.DEAD),
        (e, JobStatus.CANCELLED),
    ):
        _set_status(catalog, dispatch.job_id, status)
        assert jobs.republish(dispatch.job_id) is None
        assert jobs.get(dispatch.job_id).status == status  # type: ignore[union-attr]
    assert jobs.republish(10_000) is None


def test_unfinished_by_session(jobs: JobRepository, catalog: Catalog) -> None:
    photos = PhotoRepository(catalog)
    s1 = photos.session_for_root("/shoots/one", "one")
    s2 = photos.session_for_root("/shoots/two", "two")
    created = jobs.create([spec(session_id=s1) for _ in range(5)] + [spec(session_id=s2)])
    ids = [d.job_id for d in created]
    _set_status(catalog, ids[1], JobStatus.RUNNING)
    _set_status(catalog, ids[2], JobStatus.RETRYING)
    _set_status(catalog, ids[3], JobStatus.SUCCEEDED)
    _set_status(catalog, ids[4], JobStatus.DEAD)

    assert [j.id for j in jobs.unfinished(s1)] == ids[:3]
    assert [j.id for j in jobs.unfinished(s2)] == [ids[5]]
    assert [j.id for j in jobs.unfinished()] == [*ids[:3], ids[5]]
    _set_status(catalog, ids[5], JobStatus.CANCELLED)
    assert jobs.unfinished(s2) == []


def test_stranded(jobs: JobRepository, catalog: Catalog) -> None:
    held_ok, superseded, finished, cancelled, mismatched, on_node, elsewhere, free = jobs.create(
        [spec() for _ in range(8)]
    )
    # held and still owned by the held message → stranded
    # held, but the job was re-published since → its message is no longer the owner
    stale_mid = superseded.message_id
    assert jobs.republish(superseded.job_id) is not None
    # held, but final
    _set_status(catalog, finished.job_id, JobStatus.SUCCEEDED)
    _set_status(catalog, cancelled.job_id, JobStatus.CANCELLED)
    # running on the node, its message not held → stranded through ``node``
    assert jobs.claim(on_node.job_id, on_node.message_id, "w1@node") is not None
    assert jobs.claim(elsewhere.job_id, elsewhere.message_id, "w2@other") is not None

    held = {
        held_ok.message_id: held_ok.job_id,
        stale_mid: superseded.job_id,
        finished.message_id: finished.job_id,
        cancelled.message_id: cancelled.job_id,
        # a held message id paired with the wrong job id
        mismatched.message_id: free.job_id,
    }
    assert jobs.stranded(held, "w1@node") == sorted([held_ok.job_id, on_node.job_id])
    assert jobs.stranded(held, None) == [held_ok.job_id]
    assert jobs.stranded({}, "w1@node") == [on_node.job_id]
    assert jobs.stranded({}, "w9@nowhere") == []

    # A running job still owned by a held message counts, once.
    held[on_node.message_id] = on_node.job_id
    assert jobs.stranded(held, "w1@node") == sorted([held_ok.job_id, on_node.job_id])


def test_stranded_with_many_held_messages(jobs: JobRepository, catalog: Catalog) -> None:
    created = jobs.create([spec() for _ in range(1100)])
    held = {d.message_id: d.job_id for d in created}
    _set_status(catalog, created[1050].job_id, JobStatus.SUCCEEDED)
    expected = sorted(d.job_id for i, d in enumerate(created) if i != 1050)
    assert jobs.stranded(held, None) == expected


def test_status_counts_over_many_ids(jobs: JobRepository, catalog: Catalog) -> None:
    created = jobs.create([spec() for _ in range(1201)])
    ids = [d.job_id for d in created]
    with catalog.transaction() as db:
        db.execute(update(Job).where(Job.id <= ids[699]).values(status=JobStatus.SUCCEEDED))
        db.execute(update(Job).where(Job.id == ids[1200]).values(status=JobStatus.DEAD))

    assert jobs.status_counts(ids) == {"succeeded": 700, "queued": 500, "dead": 1}
    # Only the ids asked about are counted; unknown ids are ignored.
    subset = [*ids[600:1100], 10_000_000]
    assert jobs.status_counts(subset) == {"succeeded": 100, "queued": 400}
    assert jobs.status_counts([]) == {}
