"""``photoq run`` never waits silently (issue #13 item 6): it says why nothing moves, and gives
up with exit 3 when the broker stays gone. On the main of 2026-12-04 a run whose embedded Valkey
was killed hung for more than 240 s without a word."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_run import GOOD, start_photoq
from tests.helpers import QueueHarness, corpus_shoot

pytestmark = pytest.mark.integration

GIVE_UP_AFTER = 4


def _running_jobs(catalog: Path) -> int:
    if not catalog.exists():
        return 0
    with sqlite3.connect(catalog, timeout=5) as db:
        return int(db.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()[0])


def test_a_run_whose_broker_dies_says_so_and_exits_3(short_tmp: Path) -> None:
    home = short_tmp / "home"
    shoot = corpus_shoot(short_tmp / "shoot", *GOOD)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env |= {
        "PHOTOQ_HOME": str(home),
        "PHOTOQ_GIVE_UP_AFTER": str(GIVE_UP_AFTER),
        "PHOTOQ_RECOVERY_WITHIN": "3",
        "PHOTOQ_CONCURRENCY": "1",
    }
    run = start_photoq(home, "run", str(shoot), env=env)
    try:
        deadline = time.monotonic() + 60
        while _running_jobs(home / "catalog.db") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(int((home / "valkey.pid").read_text()), signal.SIGKILL)
        killed = time.monotonic()
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 3, stderr
    assert "the broker does not answer" in stderr
    assert f"gave up after {GIVE_UP_AFTER} s without the broker" in stderr
    assert "Traceback" not in stderr
    # Give-up time, one reconcile attempt against the dead socket, and stopping the workers.
    assert time.monotonic() - killed < 60


def test_a_run_says_no_live_worker_consumes_its_queue(
    harness: QueueHarness, short_tmp: Path
) -> None:
    harness.env["PHOTOQ_RECOVERY_WITHIN"] = "3"
    harness.start_worker(concurrency=1, queues="high")
    shoot = corpus_shoot(short_tmp / "shoot", GOOD[0])
    run = subprocess.Popen(
        [sys.executable, "-m", "photoq", "run", str(shoot)],
        env=harness.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert run.stderr is not None
        deadline = time.monotonic() + 60
        said = ""
        while time.monotonic() < deadline and "no live worker" not in said:
            said = run.stderr.readline()
    finally:
        run.kill()
        run.wait()
    assert "no live worker consumes queue medium (1 job(s) wait" in said
    assert "photoq worker --queues medium" in said
