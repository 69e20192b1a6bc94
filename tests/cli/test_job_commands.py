"""``photoq jobs``, ``photoq queue`` and ``photoq workers`` as a user runs them: embedded Valkey,
SQLite catalog under PHOTOQ_HOME, no workers. Jobs are created straight in the catalog (never
published, so they stay ``queued``); dead ones go through a real claim and ``mark_dead``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from photoq.catalog.jobs import JobRepository
from photoq.catalog.store import Catalog
from tests.helpers import probe

pytestmark = pytest.mark.integration

LONG_MESSAGE = "no space left on /out [while writing IMG_0412.jpg] " + "x" * 120


class DiskFull(Exception):
    pass


def photoq(
    home: Path, *args: str, stdin: str | None = None, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "photoq", *args],
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == expect, (args, done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def as_json(home: Path, *args: str) -> Any:
    return json.loads(photoq(home, *args, "--json").stdout)


@pytest.fixture
def home(short_tmp: Path) -> Path:
    path = short_tmp / "h"
    path.mkdir()
    return path


@pytest.fixture
def jobs(home: Path) -> JobRepository:
    return JobRepository(Catalog.open(f"sqlite:///{home / 'catalog.db'}"))


def queued(jobs: JobRepository, *queues: str) -> list[int]:
    return [d.job_id for d in jobs.create([probe(priority=5, queue=q, sleep=0) for q in queues])]


def dead(jobs: JobRepository, message: str = LONG_MESSAGE) -> int:
    (d,) = jobs.create([probe(priority=5, queue="medium", sleep=0)])
    claim = jobs.claim(d.job_id, d.message_id, "w1@host")
    assert claim is not None
    assert jobs.mark_dead(claim, d.message_id, DiskFull(message))
    return d.job_id


def status(jobs: JobRepository, job_id: int) -> str:
    info = jobs.get(job_id)
    assert info is not None
    return info.status


def table_rows(text: str) -> dict[int, list[str]]:
    """A table's rows by their leading job id."""
    rows = (line.split() for line in text.splitlines())
    return {int(cells[0]): cells for cells in rows if cells and cells[0].isdigit()}


def test_list_show_and_failed(home: Path, jobs: JobRepository) -> None:
    low, medium = queued(jobs, "low", "medium")
    first, second = dead(jobs), dead(jobs, "disk full again")

    listed = as_json(home, "jobs", "list")
    assert [j["id"] for j in listed] == [second, first, medium, low]
    assert [j["status"] for j in listed] == ["dead", "dead", "queued", "queued"]
    assert listed[1]["created_at"].endswith("+00:00")  # UTC
    assert [j["id"] for j in as_json(home, "jobs", "list", "--status", "dead")] == [second, first]
    rows = table_rows(photoq(home, "jobs", "list").stdout)
    assert {i: r[2] for i, r in rows.items()} == {
        second: "dead",
        first: "dead",
        medium: "queued",
        low: "queued",
    }
    assert rows[first][3] == "medium"
    assert rows[low][3] == "low"

    shown = as_json(home, "jobs", "show", str(first))
    assert shown["job"]["status"] == "dead"
    assert shown["retried_as"] is None
    (attempt,) = shown["attempts"]
    assert attempt["number"] == 1
    assert attempt["worker"] == "w1@host"
    assert attempt["outcome"] == "failed"
    assert (attempt["error_type"], attempt["error_message"]) == ("DiskFull", LONG_MESSAGE)

    page = as_json(home, "jobs", "failed")
    assert (page["total"], [j["id"] for j in page["jobs"]]) == (2, [second, first])
    assert page["jobs"][1]["error_message"] == LONG_MESSAGE  # whole in JSON
    table = photoq(home, "jobs", "failed", "--limit", "1", "--offset", "1").stdout
    assert list(table_rows(table)) == [first]
    assert "DiskFull" in table
    assert "…" in table  # the message is cut short in the table
    assert "x" * 120 not in table.replace("\n", "")
    assert "showing 2–2 of 2" in table


def test_retry_by_id_and_all_failed(home: Path, jobs: JobRepository) -> None:
    (waiting,) = queued(jobs, "medium")
    first, second, third = dead(jobs), dead(jobs), dead(jobs)

    (retried,) = as_json(home, "jobs", "retry", str(first))
    assert retried["job_id"] == first
    new = retried["new_job_id"]
    again = jobs.get(new)
    assert again is not None
    assert (again.retry_of, again.status, again.attempts) == (first, "queued", 0)
    assert [j["id"] for j in as_json(home, "jobs", "failed")["jobs"]] == [third, second]

    human = photoq(home, "jobs", "retry", "--all-failed").stdout
    found = [re.fullmatch(r"job (\d+) → job (\d+)", line) for line in human.splitlines()]
    pairs = [(int(m[1]), int(m[2])) for m in found if m]
    assert len(pairs) == len(found)
    assert sorted(old for old, _ in pairs) == [second, third]
    for old, new_id in pairs:
        info = jobs.get(new_id)
        assert info is not None
        assert info.retry_of == old
    assert photoq(home, "jobs", "failed").stdout.strip() == "no failed jobs"
    assert as_json(home, "jobs", "show", str(first))["retried_as"] == new

    bad = photoq(home, "jobs", "retry", str(waiting), expect=2).stderr.strip()
    assert bad == f"photoq: error: job {waiting} is queued; only dead jobs can be retried"


def test_cancel(home: Path, jobs: JobRepository) -> None:
    low, medium = queued(jobs, "low", "medium")
    gone = dead(jobs)

    (result,) = as_json(home, "jobs", "cancel", str(low))
    assert result == {
        "job_id": low,
        "previous_status": "queued",
        "status": "cancelled",
        "stopped": False,
    }
    assert status(jobs, low) == "cancelled"
    unknown = photoq(home, "jobs", "cancel", str(medium), "999", expect=2)
    assert (
        unknown.stderr.strip()
        == "photoq: error: no job with id 999 (photoq jobs list shows the jobs)"
    )
    assert status(jobs, medium) == "queued"  # every id is looked up before any change
    lines = photoq(home, "jobs", "cancel", str(medium), str(gone)).stdout.splitlines()
    assert lines == [
        f"job {medium}: queued → cancelled",
        f"job {gone}: already dead; nothing changed",
    ]
    assert (status(jobs, medium), status(jobs, gone)) == ("cancelled", "dead")


def test_pause_resume_and_stats(home: Path, jobs: JobRepository) -> None:
    queued(jobs, "low", "low", "medium")

    assert as_json(home, "queue", "pause", "low") == {"paused": ["low"]}
    stats = {q["queue"]: q for q in as_json(home, "queue", "stats")}
    assert {name: q["paused"] for name, q in stats.items()} == {
        "high": False,
        "medium": False,
        "low": True,
        "gpu": False,
    }
    assert (stats["low"]["waiting"], stats["medium"]["waiting"]) == (2, 1)
    assert stats["low"]["waiting_by_priority"] == {"5": 2}
    human = photoq(home, "queue", "stats").stdout.splitlines()
    assert human[0].split() == ["high", "medium", "low", "gpu"]
    assert human[1].split() == ["state", "active", "active", "paused", "active"]
    assert human[2].split() == ["waiting", "0", "1", "2", "0"]

    assert photoq(home, "queue", "resume").stdout.strip() == "resumed high, medium, low, gpu"
    assert not any(q["paused"] for q in as_json(home, "queue", "stats"))


def test_purge_asks_first(home: Path, jobs: JobRepository) -> None:
    low = queued(jobs, "low", "low")
    (medium,) = queued(jobs, "medium")

    refused = photoq(home, "queue", "purge", "low", stdin="n\n", expect=1)
    assert "Purge 2 waiting jobs from low? [y/N]" in refused.stderr
    assert refused.stderr.strip().endswith("purge cancelled; nothing changed")
    assert refused.stdout == ""
    no_input = photoq(home, "queue", "purge", expect=1)  # stdin at its end: nobody answers
    assert "Purge 3 waiting jobs from high, medium, low, gpu? [y/N]" in no_input.stderr
    assert [status(jobs, i) for i in [*low, medium]] == ["queued"] * 3

    purged = as_json(home, "queue", "purge", "low", "--yes")
    assert (purged["queues"], purged["cancelled_jobs"]) == (["low"], low)
    assert [status(jobs, i) for i in low] == ["cancelled", "cancelled"]
    assert status(jobs, medium) == "queued"


def test_workers_with_none_running(home: Path) -> None:
    assert as_json(home, "workers", "--timeout", "0.2") == []
    human = photoq(home, "workers", "--timeout", "0.2").stdout
    assert human.strip() == "no worker answered within 0.2s"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jobs", "show", "999"], "no job with id 999 (photoq jobs list shows the jobs)"),
        (["queue", "pause", "nope"], "unknown queue nope; choose from high, medium, low, gpu"),
        (
            ["queue", "purge", "nope", "--yes"],
            "unknown queue nope; choose from high, medium, low, gpu",
        ),
        (
            ["jobs", "list", "--status", "nope"],
            "unknown status nope; choose from pending, queued, running, retrying, succeeded, "
            "dead, cancelled",
        ),
        (["jobs", "retry"], "give either job IDs or --all-failed (photoq jobs retry --help)"),
        (
            ["jobs", "retry", "1", "--all-failed"],
            "give either job IDs or --all-failed (photoq jobs retry --help)",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(home: Path, args: list[str], message: str) -> None:
    done = photoq(home, *args, expect=2)
    assert done.stderr.splitlines() == [f"photoq: error: {message}"]
    assert done.stdout == ""


def test_limit_below_one_is_refused(home: Path) -> None:
    done = photoq(home, "jobs", "failed", "--limit", "0", expect=2)
    assert "--limit" in done.stderr


def test_workers_lists_a_running_worker_and_its_paused_queue(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    args = ["worker", "--queues", "high,medium", "--concurrency", "1", "--name", "cli@%h"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "photoq", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        found: list[Any] = []
        for _ in range(60):  # the worker answers once it is up (a few seconds)
            found = as_json(home, "workers", "--timeout", "0.5")
            if found:
                break
        [w] = found
        assert (w["pid"], w["concurrency"], w["queues"]) == (worker.pid, 1, ["high", "medium"])
        photoq(home, "queue", "pause", "medium")
        for _ in range(20):
            [w] = as_json(home, "workers", "--timeout", "0.5")
            if w["consuming"] == ["high"]:
                break
        assert w["consuming"] == ["high"]
        human = photoq(home, "workers", "--timeout", "0.5").stdout
        assert w["name"] in human
        assert "medium (paused)" in human
    finally:
        worker.terminate()
        worker.wait(timeout=30)
