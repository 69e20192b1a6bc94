"""PHOTOQ_HOME is reachable by its owner only, and a lock held by someone else cannot hang
photoq (issue #14)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from photoq.errors import PhotoqError, ServiceUnavailable
from photoq.queue import embedded
from photoq.queue.embedded import EmbeddedBroker
from tests.helpers import SAMPLE, corpus_shoot

pytestmark = pytest.mark.integration


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    return env


def _loose(home: Path) -> list[str]:
    """Every path under ``home`` (itself included) that group or others can reach."""
    paths = [home, *home.rglob("*")]
    return [
        f"{oct(stat.S_IMODE(p.lstat().st_mode))} {p}"
        for p in paths
        if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]


def test_a_run_leaves_nothing_in_photoq_home_for_other_users(short_tmp: Path) -> None:
    shoot = corpus_shoot(short_tmp / "shoot", f"{SAMPLE}/1.jpg")
    home = short_tmp / "home"
    old = os.umask(0o022)  # the usual umask: photoq itself must keep its home private
    try:
        done = subprocess.run(
            [sys.executable, "-m", "photoq", "run", str(shoot), "--json"],
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        os.umask(old)
    assert json.loads(done.stdout)["photos"] == 1, done.stderr
    names = {p.name for p in home.rglob("*")}
    assert {"catalog.db", "valkey.log", "appendonlydir", "logs"} <= names
    assert _loose(home) == []
    # An existing home made looser by hand is tightened again by the next command.
    home.chmod(0o755)
    jobs = subprocess.run(
        [sys.executable, "-m", "photoq", "jobs", "list"],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert jobs.returncode == 0, jobs.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


HOLD_LOCK = textwrap.dedent(
    """
    import fcntl, sys
    lock = open(sys.argv[1], "ab")
    fcntl.flock(lock, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.readline()
    """
)


@pytest.mark.parametrize("lock", ["valkey.start.lock", "valkey.users"])
def test_a_lock_held_elsewhere_is_a_bounded_wait_naming_it(
    lock: str, short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = short_tmp / "home"
    home.mkdir()
    (home / lock).write_text("4242\n" if lock == "valkey.start.lock" else "")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home / lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    monkeypatch.setattr(embedded, "LOCK_TIMEOUT_S", 0.5, raising=False)
    broker = EmbeddedBroker(home)
    outcome: list[BaseException | None] = []

    def acquire() -> None:
        try:
            broker.acquire()
        except PhotoqError as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    waiter = threading.Thread(target=acquire, daemon=True)
    try:
        waiter.start()
        waiter.join(15)
        assert not waiter.is_alive(), f"photoq still waits for {lock} held by another process"
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
        waiter.join(15)
        broker.release()
    [error] = outcome
    assert isinstance(error, ServiceUnavailable)
    message = str(error)
    assert str(home / lock) in message
    assert "\n" not in message
    if lock == "valkey.start.lock":
        assert "pid 4242" in message
