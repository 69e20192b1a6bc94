"""Job control through JobQueueManager against a real Valkey server and real workers."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from photoq.errors import UsageError
from photoq.queue.priority import Priority
from photoq.services.ingest import ingest
from tests.conftest import CORPUS
from tests.helpers import QueueHarness, probe

pytestmark = pytest.mark.integration


def _statuses(h: QueueHarness, ids: list[int]) -> list[str]:
    return [info.status for info in (h.jobs.get(i) for i in ids) if info is not None]


def _stats(h: QueueHarness) -> dict[str, dict[str, object]]:
    return {s.queue: s.to_dict() for s in h.manager.get_queue_stats()}


def test_pause_holds_a_queue_across_a_worker_restart(harness: QueueHarness) -> None:
    m = harness.manager
    harness.start_worker(concurrency=2)
    assert m.pause_queue("low") == ["low"]
    time.sleep(0.5)  # the broadcast is applied by the worker's event loop
    low = harness.submit([probe(Priority.LOW, queue="low") for _ in range(3)])
    high = harness.submit([probe(Priority.HIGH, queue="high") for _ in range(2)])
    assert [i.status for i in harness.wait_final(high)] == ["succeeded"] * 2
    time.sleep(1.0)
    assert _statuses(harness, low) == ["queued"] * 3
    stats = _stats(harness)
    assert (stats["low"]["paused"], stats["low"]["waiting"]) == (True, 3)
    assert stats["high"]["paused"] is False
    [worker] = m.get_worker_stats()
    assert worker.queues == ["high", "low", "medium"]
    assert worker.consuming == ["high", "medium"]

    harness.stop_workers()
    harness.start_worker(concurrency=2)  # reads the pause from the catalog at start
    time.sleep(1.5)
    assert _statuses(harness, low) == ["queued"] * 3

    assert m.resume_queue("low") == ["low"]
    assert [i.status for i in harness.wait_final(low, timeout=30)] == ["succeeded"] * 3
    assert _stats(harness)["low"]["paused"] is False


def test_pause_all_and_unknown_queue(harness: QueueHarness) -> None:
    m = harness.manager
    assert m.pause_queue() == ["high", "medium", "low", "gpu"]
    assert all(s.paused for s in m.get_queue_stats())
    m.resume_queue()
    assert not any(s.paused for s in m.get_queue_stats())
    with pytest.raises(UsageError, match="unknown queue nope"):
        m.pause_queue("nope")


def test_cancel_waiting_and_running_jobs(harness: QueueHarness, short_tmp: Path) -> None:
    m = harness.manager
    harness.start_worker(concurrency=1)
    pid_file = short_tmp / "pid"
    [running] = harness.submit([probe(Priority.HIGH, sleep=60, pid_file=str(pid_file))])
    harness.wait_status(running, "running")
    [waiting] = harness.submit([probe(Priority.HIGH)])

    first = m.cancel_job(waiting)
    assert (first.previous_status, first.status, first.stopped) == ("queued", "cancelled", False)
    cancelled_at = time.monotonic()
    second = m.cancel_job(running)
    assert (second.previous_status, second.status, second.stopped) == ("running", "cancelled", True)

    pid = int(pid_file.read_text())
    while time.monotonic() - cancelled_at < 10:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the pool process running the cancelled job was not stopped within 10 s")
    stopped_after = time.monotonic() - cancelled_at

    [after] = harness.submit([probe(Priority.HIGH, tag="after")])
    [done] = harness.wait_final([after])
    assert done.status == "succeeded"  # the worker goes on with other work
    never = harness.jobs.get(waiting)
    assert never is not None
    assert (never.status, never.attempts, never.started_at) == ("cancelled", 0, None)
    report = m.get_job_status(running)
    assert report.job.status == "cancelled"
    assert [a.outcome for a in report.attempts] == ["cancelled"]
    assert stopped_after < 10
    assert m.cancel_job(running).stopped is False  # cancelling twice changes nothing
    with pytest.raises(UsageError, match="no job with id 999999"):
        m.cancel_job(999999)


def test_purge_empties_the_broker_queue_and_cancels_its_jobs(harness: QueueHarness) -> None:
    m = harness.manager
    low = harness.submit([probe(Priority.LOW, queue="low") for _ in range(5)])
    medium = harness.submit([probe(Priority.MEDIUM, queue="medium") for _ in range(2)])
    before = _stats(harness)
    assert (before["low"]["broker_messages"], before["medium"]["broker_messages"]) == (5, 2)

    result = m.purge_queue("low")
    assert (result.queues, result.cancelled_jobs, result.broker_messages) == (["low"], low, 5)
    after = _stats(harness)
    assert (after["low"]["broker_messages"], after["low"]["waiting"]) == (0, 0)
    assert after["low"]["cancelled"] == 5
    assert (after["medium"]["broker_messages"], after["medium"]["waiting"]) == (2, 2)
    assert _statuses(harness, low) == ["cancelled"] * 5
    assert _statuses(harness, medium) == ["queued"] * 2

    harness.start_worker(concurrency=1)
    assert [i.status for i in harness.wait_final(medium)] == ["succeeded"] * 2
    assert [(i.status, i.attempts) for i in map(harness.jobs.get, low) if i] == [
        ("cancelled", 0)
    ] * 5


def test_failed_job_is_listed_and_succeeds_when_retried(
    harness: QueueHarness, short_tmp: Path
) -> None:
    m = harness.manager
    harness.start_worker(concurrency=1)
    needed = short_tmp / "fixed"
    [job] = harness.submit([probe(Priority.MEDIUM, needs_file=str(needed))])
    [ok] = harness.submit([probe(Priority.MEDIUM)])
    harness.wait_final([job, ok])
    failed = m.get_failed_jobs(limit=10)
    assert [j.id for j in failed.jobs] == [job]
    assert failed.total == 1
    assert failed.jobs[0].error_type == "PermanentError"
    assert f"{needed} is missing" in (failed.jobs[0].error_message or "")

    with pytest.raises(UsageError, match="only dead jobs"):
        m.retry_failed_job(ok)
    needed.write_text("now it exists")
    again = m.retry_failed_job(job)
    [done] = harness.wait_final([again])
    assert (done.status, done.retry_of, done.attempts) == ("succeeded", job, 1)
    assert m.get_failed_jobs().total == 0
    assert m.get_job_status(job).retried_as == again
    with pytest.raises(UsageError, match=f"already retried as job {again}"):
        m.retry_failed_job(job)


def test_aging_lets_an_old_low_job_overtake_newer_high_jobs(harness: QueueHarness) -> None:
    harness.env.update({"PHOTOQ_AGING_AFTER": "1", "PHOTOQ_AGING_INTERVAL": "0.5"})
    harness.start_worker(concurrency=1)
    harness.start_beat()
    stream = harness.submit([probe(Priority.HIGH, queue="high", sleep=0.3) for _ in range(3)])
    [low] = harness.submit([probe(Priority.LOW, queue="low")])
    deadline = time.monotonic() + 30
    # One tier per aging: low/1 → medium/5 → high/9, where it is ahead of newer high work.
    while (info := harness.jobs.get(low)) is not None and info.queue != "high":
        assert info.status == "queued", info
        assert time.monotonic() < deadline, f"never aged to the top: {info}"
        if _statuses(harness, stream).count("queued") < 3:  # a stream of high work, never dry
            stream += harness.submit([probe(Priority.HIGH, queue="high", sleep=0.3)])
        time.sleep(0.05)
    newer = harness.submit([probe(Priority.HIGH, queue="high") for _ in range(3)])
    infos = {i.id: i for i in harness.wait_final([*stream, low, *newer], timeout=60)}
    started = infos[low].started_at
    assert started is not None
    assert all(started < (infos[j].started_at or started) for j in newer), infos
    assert (infos[low].queue, infos[low].priority) == ("high", Priority.HIGH)
    assert infos[low].attempts == 1  # its superseded messages were dropped, not run


def test_queue_and_worker_stats_match_the_setup(harness: QueueHarness, short_tmp: Path) -> None:
    m = harness.manager
    harness.submit([probe(9, queue="medium") for _ in range(3)])
    harness.submit([probe(1, queue="medium") for _ in range(2)])
    harness.submit([probe(5, queue="low")])
    stats = _stats(harness)
    medium = stats["medium"]
    assert (medium["waiting"], medium["waiting_by_priority"]) == (5, {"9": 3, "1": 2})
    assert (medium["broker_messages"], stats["low"]["waiting"], stats["high"]["waiting"]) == (
        5,
        1,
        0,
    )
    assert isinstance(medium["oldest_waiting_s"], float)
    assert medium["oldest_waiting_s"] >= 0
    assert stats["high"]["oldest_waiting_s"] is None
    assert m.get_worker_stats() == []

    harness.start_worker(concurrency=2)
    harness.wait_final(list(range(1, 7)))
    stats = _stats(harness)
    assert (stats["medium"]["succeeded"], stats["low"]["succeeded"]) == (5, 1)
    assert stats["medium"]["throughput_last_minute"] == 5
    busy = harness.submit([probe(5, sleep=3) for _ in range(2)])
    for job_id in busy:
        harness.wait_status(job_id, "running")
    [worker] = m.get_worker_stats()
    assert (worker.pid, worker.concurrency, worker.active) == (harness.workers[0].pid, 2, 2)
    assert worker.processed >= 6
    assert worker.memory_rss > 10 * 2**20
    assert len(worker.load_avg) == 3
    assert stats["medium"]["running"] == 0


def test_session_processing_culls_after_every_analysis(
    harness: QueueHarness, tmp_path: Path
) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    shutil.copyfile(CORPUS / "recurser+exif-orientation-examples/Portrait_5.jpg", shoot / "a.jpg")
    shutil.copyfile(CORPUS / "recurser+exif-orientation-examples/Portrait_8.jpg", shoot / "b.jpg")
    session = ingest(harness.catalog, shoot).session_id
    m = harness.manager
    ids = m.submit_session_processing(session)
    *photos, select = ids
    assert len(photos) == 2
    assert _statuses(harness, [select]) == ["pending"]
    harness.start_worker(concurrency=2)
    infos = {i.id: i for i in harness.wait_final(ids, timeout=120)}
    assert [infos[i].status for i in ids] == ["succeeded"] * 3
    last_analysis = max(done for p in photos if (done := infos[p].finished_at))
    assert infos[select].kind == "group_similar_photos"
    assert (infos[select].started_at or last_analysis) >= last_analysis
    assert (infos[select].result or {}).get("picks", 0) >= 1

    photo_id = infos[photos[0]].photo_id
    assert photo_id is not None
    single = harness.jobs.get(m.submit_photo_processing(photo_id, user_requested=True))
    assert single is not None
    assert (single.priority, single.kind) == (Priority.HIGH, "process_photo")
    with pytest.raises(UsageError, match="no session with id 4242"):
        m.submit_session_processing(4242)
    with pytest.raises(UsageError, match="no photo with id 4242"):
        m.submit_batch_processing([4242])


def test_a_retry_that_comes_due_while_paused_waits_for_resume(harness: QueueHarness) -> None:
    # The worker already holds a retrying job's message (its countdown runs in the worker),
    # so pausing cannot keep it from arriving: the task itself must put it back.
    harness.env["PHOTOQ_RETRY_BASE_DELAY"] = "2"
    harness.start_worker(concurrency=1)
    [job] = harness.submit([probe(Priority.LOW, queue="low", transient_failures=1)])
    harness.wait_status(job, "retrying")
    harness.manager.pause_queue("low")
    time.sleep(5)  # past the 2–4 s countdown
    info = harness.jobs.get(job)
    assert info is not None
    assert (info.status, info.attempts) == ("queued", 1)
    harness.manager.resume_queue("low")
    [done] = harness.wait_final([job], timeout=30)
    assert (done.status, done.attempts) == ("succeeded", 2)
