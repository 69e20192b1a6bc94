"""``photoq worker`` and ``photoq beat`` start with photoq's configuration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    return env


def _wait_for(proc: subprocess.Popen[str], text: str, timeout: float = 30) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed within {timeout} s:\n{seen}")


def test_beat_starts_on_the_embedded_broker(short_tmp: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "photoq", "beat"],
        env=_env(short_tmp / "h"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = _wait_for(proc, "beat: Starting")
        assert f"redis+socket://{short_tmp / 'h' / 'valkey.sock'}" in seen
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert not (short_tmp / "h" / "valkey.sock").exists()  # the last user stopped the server


def test_worker_consumes_the_queues_it_is_given(short_tmp: Path) -> None:
    args = ["worker", "--queues", "high,gpu", "--concurrency", "1", "--name", "w@%h"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "photoq", *args],
        env=_env(short_tmp / "h"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        seen = _wait_for(proc, "ready.")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    queues = [line.split()[1] for line in seen.splitlines() if line.strip().startswith(".> ")]
    assert queues == ["gpu", "high", "maintenance"]  # beat's tasks go to every worker
    assert "concurrency: 1 (prefork)" in seen


def test_unknown_queue_is_one_line_exit_2(short_tmp: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "photoq", "worker", "--queues", "hihg"],
        env=_env(short_tmp / "h"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "photoq: error: unknown queue hihg; choose from high, medium, low, gpu"
    )
    assert not (short_tmp / "h").exists()


@pytest.mark.parametrize("value", ["1,3", "x", "4,2,1", "0"])
def test_bad_autoscale_is_one_line_exit_2(short_tmp: Path, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "photoq", "worker", "--autoscale", value],
        env=_env(short_tmp / "h"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"photoq: error: --autoscale {value}: give MAX,MIN")
    assert "Traceback" not in done.stderr
