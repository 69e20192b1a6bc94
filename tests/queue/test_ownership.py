"""Every job has a live owner (DESIGN.md invariant 7), against real Valkey and real workers:
a broker that comes back empty, a worker killed outright, two workers under one name, a slow
webhook. Each of these failed on the main of 2026-12-04 (jobs waited for ever, or an hour)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from photoq.catalog.workers import WorkerRegistry
from photoq.queue.priority import Priority
from tests.helpers import QueueHarness, probe

pytestmark = pytest.mark.integration

#: Short enough for a test: heartbeat every 0.5 s, dead after 1.5 s, reconcile every 1 s.
RECOVERY_WITHIN = 3.0


@pytest.fixture
def owned(harness: QueueHarness) -> QueueHarness:
    harness.env["PHOTOQ_RECOVERY_WITHIN"] = str(RECOVERY_WITHIN)
    return harness


def _succeeded_once(h: QueueHarness, job_ids: list[int]) -> list[int]:
    """How many attempts of each job succeeded (every one must be exactly 1)."""
    return [sum(a.outcome == "succeeded" for a in h.jobs.attempts(j)) for j in job_ids]


def test_jobs_lost_with_the_broker_contents_are_run_from_the_catalog(
    owned: QueueHarness,
) -> None:
    """A Redis restarted without persistence comes back empty: the catalog re-sends them."""
    owned.start_worker(concurrency=1)
    job_ids = owned.submit([probe(Priority.MEDIUM, sleep=0.3) for _ in range(8)])
    owned.wait_status(job_ids[0], "running")
    with owned.app.connection_for_write() as conn:
        conn.default_channel.client.flushall()
    started = time.monotonic()
    infos = owned.wait_final(job_ids, timeout=8 * RECOVERY_WITHIN)
    assert [i.status for i in infos] == ["succeeded"] * len(job_ids)
    assert _succeeded_once(owned, job_ids) == [1] * len(job_ids)
    # Eight 0.3 s jobs plus at most one recovery period and a reconcile pass.
    assert time.monotonic() - started < 3 * RECOVERY_WITHIN + 8 * 0.3


def test_a_killed_workers_job_is_taken_over_by_another_worker(
    owned: QueueHarness, short_tmp: Path
) -> None:
    """SIGKILL of a standalone worker: its job runs elsewhere within the bound, not in an
    hour (the broker's visibility timeout)."""
    owned.start_worker(concurrency=1)
    done = short_tmp / "done.txt"
    [job_id] = owned.submit([probe(Priority.MEDIUM, sleep=2, done_file=str(done))])
    owned.wait_status(job_id, "running")
    victim = owned.workers.pop()
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    owned.start_worker(concurrency=1)
    [info] = owned.wait_final([job_id], timeout=6 * RECOVERY_WITHIN + 2)
    assert info.status == "succeeded"
    assert [a.outcome for a in owned.jobs.attempts(job_id)] == ["lost", "succeeded"]
    assert done.read_text().split() == [str(job_id)]


def test_a_retry_countdown_held_by_a_killed_worker_runs_elsewhere(owned: QueueHarness) -> None:
    """The retry's message waits unacked in the worker that took it; killed, that worker would
    leave the job to Redis's one-hour visibility timeout."""
    owned.env["PHOTOQ_RETRY_BASE_DELAY"] = "30"  # a 30-60 s countdown
    owned.start_worker(concurrency=1)
    [job_id] = owned.submit([probe(Priority.MEDIUM, transient_failures=1)])
    owned.wait_status(job_id, "retrying")
    time.sleep(1.0)  # the retry message reaches the worker and waits there for its countdown
    victim = owned.workers.pop()
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    killed = time.monotonic()
    owned.start_worker(concurrency=1)
    [info] = owned.wait_final([job_id], timeout=25)
    assert info.status == "succeeded"
    assert time.monotonic() - killed < 25  # before the countdown itself could have ended
    assert [a.outcome for a in owned.jobs.attempts(job_id)] == ["retry", "succeeded"]


def test_a_second_worker_under_a_live_name_is_refused(owned: QueueHarness) -> None:
    name = owned.start_worker(concurrency=1)
    twin = subprocess.run(
        [sys.executable, "-m", "photoq", "worker", "--name", name, "--concurrency", "1"],
        env=owned.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert twin.returncode == 2
    lines = twin.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"a worker named {name} is already running" in lines[0]


def test_default_worker_names_are_unique_per_process(owned: QueueHarness) -> None:
    for _ in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "photoq", "worker", "--concurrency", "1"],
            env=owned.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        owned.workers.append(proc)
    registry = WorkerRegistry(owned.catalog, RECOVERY_WITHIN / 2)
    deadline = time.monotonic() + 30
    while len(registry.alive()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    names = [w.name for w in registry.alive()]
    assert len(set(names)) == 2
    assert all(n.startswith("photoq-") for n in names)


class _DripHook(BaseHTTPRequestHandler):
    """A receiver that answers one header line every 2 s, for ever: httpx's read timeout
    never fires, so only a total deadline ends the call."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(60):
            try:
                self.wfile.write(f"X-Drip-{n}: 1\r\n".encode())
                self.wfile.flush()
            except OSError:
                return
            time.sleep(2)

    def log_message(self, *args: object) -> None:
        pass


def test_a_slow_webhook_never_delays_photo_work(owned: QueueHarness) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DripHook)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    owned.env["PHOTOQ_NOTIFY_URL"] = f"http://127.0.0.1:{server.server_port}/dead"
    owned.env["PHOTOQ_NOTIFY_DEADLINE"] = "3"
    owned.start_worker(concurrency=1)
    try:
        dead = owned.submit([probe(Priority.HIGH, permanent_failure=f"bad {n}") for n in range(3)])
        owned.wait_final(dead)
        started = time.monotonic()
        quick = owned.submit([probe(Priority.MEDIUM) for _ in range(5)])
        infos = owned.wait_final(quick, timeout=30)
        # The pool process was free at once: three webhooks of a 60 s drip did not hold it.
        assert time.monotonic() - started < 5
        assert [i.status for i in infos] == ["succeeded"] * 5
    finally:
        server.shutdown()
