"""Queue behaviour against a real Valkey server and real ``photoq worker`` processes."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from photoq.queue.priority import Priority
from tests.helpers import QueueHarness, probe

pytestmark = pytest.mark.integration


def _start_order(h: QueueHarness, job_ids: list[int]) -> list[int]:
    infos = h.wait_final(job_ids)
    return [i.id for i in sorted(infos, key=lambda i: (i.started_at, i.id))]


def _occupy(h: QueueHarness, seconds: float = 1.5) -> int:
    """Keep the single pool process busy while the test fills the queues behind it."""
    [blocker] = h.submit([probe(Priority.HIGH, sleep=seconds)])
    h.wait_status(blocker, "running")
    return blocker


def test_high_jobs_overtake_queued_low_jobs_in_one_queue(harness: QueueHarness) -> None:
    harness.start_worker(concurrency=1)
    _occupy(harness)
    low = harness.submit([probe(Priority.LOW) for _ in range(20)])
    high = harness.submit([probe(Priority.HIGH) for _ in range(3)])
    order = _start_order(harness, low + high)
    # At most one LOW job may have been prefetched before the HIGH ones arrived.
    assert set(order[:4]) >= set(high), order
    assert max(order.index(j) for j in high) <= 3


def test_high_jobs_overtake_low_jobs_across_queues(harness: QueueHarness) -> None:
    harness.start_worker(concurrency=1)
    _occupy(harness)
    low = harness.submit([probe(Priority.LOW, queue="low") for _ in range(10)])
    low += harness.submit([probe(Priority.LOW, queue="high") for _ in range(10)])
    medium = harness.submit([probe(Priority.MEDIUM, queue="low") for _ in range(2)])
    high = harness.submit([probe(Priority.HIGH, queue="medium") for _ in range(3)])
    order = _start_order(harness, low + medium + high)
    assert max(order.index(j) for j in high) <= 3, order
    # MEDIUM jobs in the low queue still beat LOW jobs in the high queue.
    assert max(order.index(j) for j in medium) <= 5, order


def test_transient_failures_are_retried_with_backoff(harness: QueueHarness) -> None:
    harness.start_worker(concurrency=1)
    [job_id] = harness.submit([probe(Priority.MEDIUM, transient_failures=2)])
    [info] = harness.wait_final([job_id])
    assert info.status == "succeeded"
    assert info.attempts == 3
    attempts = harness.jobs.attempts(job_id)
    assert [a.outcome for a in attempts] == ["retry", "retry", "succeeded"]
    assert attempts[0].error_message == "probe: transient failure 1"
    base = harness.settings.retry_base_delay
    for n, (before, after) in enumerate(itertools.pairwise(attempts)):
        low, high = base * 2**n, base * 2 ** (n + 1)
        assert before.retry_delay is not None
        assert low <= before.retry_delay <= high
        gap = (after.started_at - before.started_at).total_seconds()
        assert low <= gap <= high + 1.5, (n, gap)


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_permanent_failure_is_dead_after_one_attempt_and_notified(harness: QueueHarness) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    harness.env["PHOTOQ_NOTIFY_URL"] = f"http://127.0.0.1:{server.server_port}/dead"
    harness.start_worker(concurrency=1)
    [job_id] = harness.submit([probe(Priority.MEDIUM, permanent_failure="bad pixels")])
    [info] = harness.wait_final([job_id])
    assert info.status == "dead"
    assert info.attempts == 1
    assert info.error_type == "PermanentError"
    assert info.error_message == "bad pixels"
    deadline = time.monotonic() + 10
    while not _Hook.received and time.monotonic() < deadline:
        time.sleep(0.05)
    server.shutdown()
    [event] = _Hook.received
    assert (event["event"], event["job_id"], event["error"]) == ("job.dead", job_id, "bad pixels")


def test_exhausted_retries_make_a_job_dead(harness: QueueHarness) -> None:
    harness.start_worker(concurrency=1)
    spec = probe(Priority.MEDIUM, transient_failures=10)
    spec = type(spec)(**{**spec.__dict__, "max_retries": 1})
    [job_id] = harness.submit([spec])
    [info] = harness.wait_final([job_id])
    assert info.status == "dead"
    assert info.attempts == 2
    assert info.error_message is not None
    assert info.error_message.startswith("gave up after 2 attempts")


def test_stale_messages_are_dropped(harness: QueueHarness, short_tmp: Path) -> None:
    """A superseded message never runs: only the job's current message does."""
    harness.start_worker(concurrency=1)
    blocker = _occupy(harness, seconds=1.0)
    done = short_tmp / "done.txt"
    [job_id] = harness.submit([probe(Priority.MEDIUM, done_file=str(done))])
    from photoq.queue.dispatch import republish_unfinished

    republish_unfinished(harness.app, harness.catalog, [job_id])  # supersedes the first message
    harness.wait_final([blocker, job_id])
    time.sleep(0.5)
    assert done.read_text().split() == [str(job_id)]
    assert harness.jobs.get(job_id).attempts == 1  # type: ignore[union-attr]


def test_killed_pool_process_job_is_redelivered_once(
    harness: QueueHarness, short_tmp: Path
) -> None:
    harness.start_worker(concurrency=1)
    pid_file, done = short_tmp / "pid", short_tmp / "done.txt"
    [job_id] = harness.submit(
        [probe(Priority.MEDIUM, sleep=2, pid_file=str(pid_file), done_file=str(done))]
    )
    harness.wait_status(job_id, "running")
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    first_pid = int(pid_file.read_text())
    pid_file.unlink()
    os.kill(first_pid, signal.SIGKILL)
    [info] = harness.wait_final([job_id], timeout=60)
    assert info.status == "succeeded"
    assert int(pid_file.read_text()) != first_pid
    outcomes = [a.outcome for a in harness.jobs.attempts(job_id)]
    assert outcomes == ["lost", "succeeded"]
    assert done.read_text().split() == [str(job_id)]  # completed exactly once


def test_jobs_survive_a_broker_restart(harness: QueueHarness) -> None:
    harness.start_worker(concurrency=2)
    job_ids = harness.submit([probe(Priority.MEDIUM, sleep=0.3) for _ in range(12)])
    harness.wait_status(job_ids[0], "running")
    harness.broker.stop()
    time.sleep(2)
    harness.broker.start()
    infos = harness.wait_final(job_ids, timeout=120)
    assert [i.status for i in infos] == ["succeeded"] * len(job_ids)


def test_job_that_keeps_killing_its_worker_ends_dead(
    harness: QueueHarness, short_tmp: Path
) -> None:
    """A redelivered job past its attempt budget is not run again: no endless crash loop."""
    harness.start_worker(concurrency=1)
    pid_file = short_tmp / "pid"
    spec = probe(Priority.MEDIUM, sleep=5, pid_file=str(pid_file))
    [job_id] = harness.submit([type(spec)(**{**spec.__dict__, "max_retries": 0})])
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    [info] = harness.wait_final([job_id], timeout=60)
    assert info.status == "dead"
    assert info.error_type == "WorkerKilledError"
    assert [a.outcome for a in harness.jobs.attempts(job_id)] == ["lost", "failed"]
