"""A broker or database password never reaches a terminal or a log file (issue #14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SAMPLE, corpus_shoot

SECRET = "S3cr3t"
BROKER = f"redis://:{SECRET}@127.0.0.1:1/0"  # nothing listens on port 1
DATABASE = f"postgresql://u:{SECRET}@127.0.0.1:1/x"


def test_redact_masks_url_passwords_only() -> None:
    from photoq.errors import redact

    assert redact(BROKER) == "redis://:***@127.0.0.1:1/0"
    assert redact(f"cannot reach {DATABASE}: refused") == (
        "cannot reach postgresql://u:***@127.0.0.1:1/x: refused"
    )
    assert (
        redact("rediss://user:p@ss@host:6380/1 and a@b") == "rediss://user:***@host:6380/1 and a@b"
    )
    assert redact("redis+socket:///tmp/h/valkey.sock at 12:30") == (
        "redis+socket:///tmp/h/valkey.sock at 12:30"
    )


def _env(home: Path, database: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env |= {"PHOTOQ_HOME": str(home), "PHOTOQ_BROKER_URL": BROKER}
    if database:
        env["PHOTOQ_DATABASE_URL"] = DATABASE
    return env


def _photoq(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photoq", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _logs(home: Path) -> str:
    if not home.exists():
        return ""
    return "".join(p.read_text(errors="replace") for p in home.rglob("*.log") if p.is_file())


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    return corpus_shoot(tmp_path / "shoot", f"{SAMPLE}/1.jpg")


@pytest.mark.integration
@pytest.mark.parametrize("database", [True, False], ids=["postgres-down", "sqlite"])
@pytest.mark.parametrize("command", ["run", "ingest", "jobs list", "queue stats", "workers"])
def test_unreachable_services_exit_3_without_the_password(
    command: str, database: bool, shoot: Path, short_tmp: Path
) -> None:
    home = short_tmp / "home"
    args = command.split() + ([str(shoot)] if command in ("run", "ingest") else [])
    done = _photoq(_env(home, database), *args)
    if not database and command in ("ingest", "jobs list"):
        assert done.returncode == 0, done.stderr  # the SQLite catalog alone is enough
    else:
        assert done.returncode == 3, (done.stdout, done.stderr)
        assert "***@127.0.0.1:1" in done.stderr
    assert SECRET not in done.stdout + done.stderr + _logs(home)


@pytest.mark.integration
@pytest.mark.parametrize("database", [True, False], ids=["postgres-down", "sqlite"])
def test_worker_start_up_never_logs_the_password(database: bool, short_tmp: Path) -> None:
    home = short_tmp / "home"
    worker = subprocess.Popen(
        [sys.executable, "-m", "photoq", "worker", "--concurrency", "1"],
        env=_env(home, database),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = worker.communicate(timeout=8)
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        assert not database, "the worker must stop at once when the catalog is unreachable"
        assert "Cannot connect to redis://:*" in output  # it did try, masked
    else:
        assert database, output
        assert worker.returncode == 3, output
    assert SECRET not in output + _logs(home)
