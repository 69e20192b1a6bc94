"""``photoq run`` and ``photoq ingest`` end to end, as a user runs them: embedded Valkey, real
worker processes, SQLite catalog under PHOTOQ_HOME."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

GOOD = [
    "recurser+exif-orientation-examples/Landscape_6.jpg",
    "recurser+exif-orientation-examples/Portrait_3.jpg",
    "hdkai+Raw-IO/test/media/group/1.jpg",
    "bigcat88+pillow_heif/tests/images/heif/zPug_3.heic",
]


def photoq(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "photoq", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    folder = tmp_path / "shoot"
    (folder / "day2").mkdir(parents=True)
    for i, rel in enumerate(GOOD):
        target = folder / ("day2" if i % 2 else "") / Path(rel).name
        shutil.copyfile(CORPUS / rel, target)
    whole = (CORPUS / GOOD[2]).read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not a photo\n")
    (folder / "readme.txt").write_text("ignored: not a photo extension\n")
    return folder


def test_run_processes_good_photos_and_kills_bad_ones(shoot: Path, short_tmp: Path) -> None:
    home = short_tmp / "home"
    before = snapshot(shoot)
    done = photoq(home, "run", str(shoot), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["photos"] == 7
    assert summary["succeeded"] == 4
    dead = {Path(d["path"]).name: d["error"] for d in summary["dead"]}
    assert set(dead) == {"truncated.jpg", "empty.jpg", "notes.jpg"}
    assert "truncated" in dead["truncated.jpg"]
    assert "empty" in dead["empty.jpg"]
    assert all("\n" not in reason and reason for reason in dead.values())
    after = snapshot(shoot)
    originals = {k: v for k, v in after.items() if not k.endswith(".xmp")}
    assert originals.keys() == before.keys()
    assert originals == before  # same bytes, same mtimes
    # Only sidecars were added, one per analysed photo.
    assert sorted(k for k in after if k.endswith(".xmp")) == sorted(
        str(Path(k).with_suffix(".xmp"))
        for k in before
        if not k.startswith(("truncated", "empty", "notes", "readme"))
    )
    assert not (home / "valkey.sock").exists()  # the embedded server stopped with the run

    with sqlite3.connect(home / "catalog.db") as db:
        exif = dict(db.execute("select path, orientation from photos"))
    assert exif[str(shoot / "Landscape_6.jpg")] == 6
    assert exif[str(shoot / "day2" / "Portrait_3.jpg")] == 3


def test_rerun_queues_only_what_changed(shoot: Path, short_tmp: Path) -> None:
    home = short_tmp / "home"
    assert photoq(home, "run", str(shoot), "--json").returncode == 0
    again = json.loads(photoq(home, "run", str(shoot), "--json").stdout)
    assert (again["queued"], again["resumed"], again["succeeded"]) == (0, 0, 4)
    shutil.copyfile(CORPUS / GOOD[0], shoot / "1.jpg")  # new bytes under an old name
    third = json.loads(photoq(home, "run", str(shoot), "--json").stdout)
    assert third["queued"] == 1
    assert third["succeeded"] == 4


def test_human_output_has_summary(shoot: Path, short_tmp: Path) -> None:
    done = photoq(short_tmp / "home", "run", str(shoot))
    assert done.returncode == 0, done.stderr
    assert "succeeded  4" in done.stdout
    assert "dead       3" in done.stdout
    assert "empty.jpg" in done.stdout


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_folder_is_one_line_exit_2_and_writes_nothing(
    kind: str, tmp_path: Path, short_tmp: Path
) -> None:
    target = tmp_path / "nope"
    if kind == "file":
        target.write_text("x")
    home = short_tmp / "home"
    for command in ("run", "ingest"):
        done = photoq(home, command, str(target))
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert str(target) in done.stderr
        assert "Traceback" not in done.stderr
        assert not home.exists()


def test_ingest_json_and_reingest(shoot: Path, short_tmp: Path) -> None:
    home = short_tmp / "home"
    first = json.loads(photoq(home, "ingest", str(shoot), "--json").stdout)
    assert len(first["photos"]) == 7
    assert sorted(first["changed"]) == sorted(p["id"] for p in first["photos"])
    assert {Path(p["path"]).name for p in first["photos"]} >= {"zPug_3.heic", "empty.jpg"}
    shutil.copyfile(CORPUS / GOOD[1], shoot / "new.jpg")
    second = json.loads(photoq(home, "ingest", str(shoot), "--json").stdout)
    assert second["session_id"] == first["session_id"]
    new_id = next(p["id"] for p in second["photos"] if p["path"].endswith("new.jpg"))
    assert second["changed"] == [new_id]


def _count(home: Path, status: str) -> int:
    try:
        with sqlite3.connect(home / "catalog.db", timeout=5) as db:
            row = db.execute("select count(*) from jobs where status=?", (status,)).fetchone()
    except sqlite3.OperationalError:
        return 0  # the catalog is not created yet
    return int(row[0])


def test_killed_run_resumes_at_once(tmp_path: Path, short_tmp: Path) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    folder = tmp_path / "big"
    folder.mkdir()
    sources = sorted((CORPUS / "hdkai+Raw-IO/test/media/group").glob("*.jpg"))
    for i in range(40):
        shutil.copyfile(sources[i % len(sources)], folder / f"{i:03d}.jpg")
        with (folder / f"{i:03d}.jpg").open("ab") as fh:
            fh.write(str(i).encode())  # distinct bytes
    home = short_tmp / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env.update(PHOTOQ_HOME=str(home), PHOTOQ_CONCURRENCY="1")
    run = subprocess.Popen(
        [sys.executable, "-m", "photoq", "run", str(folder), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while _count(home, "succeeded") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = psutil.Process(run.pid).children(recursive=True)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert _count(home, "succeeded") < 40, "the run finished before it could be killed"
    _gone, alive = psutil.wait_procs(children, timeout=60)
    assert not alive, "worker processes outlived the killed run"

    started = time.monotonic()
    done = photoq(home, "run", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["succeeded"] == 40
    assert summary["resumed"] + summary["queued"] >= 1
    assert time.monotonic() - started < 90  # not the broker's one-hour visibility timeout
    with sqlite3.connect(home / "catalog.db") as db:
        succeeded_attempts = db.execute(
            "select job_id, count(*) from job_attempts where outcome='succeeded' group by job_id"
            " having count(*) > 1"
        ).fetchall()
    assert succeeded_attempts == []


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(tmp_path: Path, short_tmp: Path) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    folder = tmp_path / "shoot"
    folder.mkdir()
    sources = sorted((CORPUS / "hdkai+Raw-IO/test/media/group").glob("*.jpg"))
    for i in range(30):
        (folder / f"{i:03d}.jpg").write_bytes(sources[i % len(sources)].read_bytes() + bytes([i]))
    home = short_tmp / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env.update(PHOTOQ_HOME=str(home), PHOTOQ_CONCURRENCY="1")
    run = subprocess.Popen(
        [sys.executable, "-m", "photoq", "run", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while _count(home, "succeeded") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    done = photoq(home, "run", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["succeeded"] == 30


def test_run_on_a_paused_queue_says_so_and_finishes_after_resume(
    shoot: Path, short_tmp: Path
) -> None:
    home = short_tmp / "home"
    assert photoq(home, "queue", "pause", "medium").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    run = subprocess.Popen(
        [sys.executable, "-m", "photoq", "run", str(shoot), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert run.stderr is not None
        line = run.stderr.readline()  # the first thing it says, before any progress
        assert "queue medium is paused" in line
        assert "photoq queue resume medium" in line
        time.sleep(2)
        assert run.poll() is None  # waiting, not failing
        assert photoq(home, "queue", "resume", "medium").returncode == 0
        out, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, out
    summary = json.loads(out)
    assert summary["succeeded"] == len(GOOD)
    assert summary["unfinished"] == 0
