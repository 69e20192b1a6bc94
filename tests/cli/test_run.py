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
from PIL import Image

from tests.conftest import CORPUS
from tests.helpers import SAMPLE as SAMPLE_DIR
from tests.helpers import corpus_shoot

pytestmark = pytest.mark.integration

GOOD = [
    "recurser+exif-orientation-examples/Landscape_6.jpg",
    "recurser+exif-orientation-examples/Portrait_3.jpg",
    "hdkai+Raw-IO/test/media/group/1.jpg",
    "bigcat88+pillow_heif/tests/images/heif/zPug_3.heic",
]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env["PHOTOQ_HOME"] = str(home)
    return env


def start_photoq(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``photoq ARGS`` started in the background, its output piped (``env``: instead of the
    clean environment with ``PHOTOQ_HOME=home``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "photoq", *args],
        env=_env(home) if env is None else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def photoq(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photoq", *args],
        env=_env(home),
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
    assert done.returncode == 1, done.stderr  # three photos are dead: not every photo processed
    summary = json.loads(done.stdout)
    assert summary["ok"] is False
    assert summary["photos"] == 7
    assert summary["succeeded"] == 4
    dead = {Path(d["path"]).name: d["error"] for d in summary["dead"]}
    assert set(dead) == {"truncated.jpg", "empty.jpg", "notes.jpg"}
    assert "truncated" in dead["truncated.jpg"]
    assert "empty" in dead["empty.jpg"]
    assert all("\n" not in reason and reason for reason in dead.values())
    failed = {Path(f["photo"]).name: f for f in summary["failures"]}
    assert set(failed) == set(dead)
    assert all(f["step"] == "analysis" and f["status"] == "dead" for f in failed.values())
    assert all(failed[name]["reason"] == dead[name] for name in dead)
    assert done.stderr.strip().splitlines()[-1] == "photoq: error: 3 photo(s) dead"
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
    assert photoq(home, "run", str(shoot), "--json").returncode == 1  # three bad files
    rerun = photoq(home, "run", str(shoot), "--json")
    again = json.loads(rerun.stdout)
    assert (again["queued"], again["resumed"], again["succeeded"]) == (0, 0, 4)
    # The skipped good photos are no failure; the bad ones, unchanged, are still dead.
    assert rerun.returncode == 1
    assert sorted(Path(f["photo"]).name for f in again["failures"]) == [
        "empty.jpg",
        "notes.jpg",
        "truncated.jpg",
    ]
    shutil.copyfile(CORPUS / GOOD[0], shoot / "1.jpg")  # new bytes under an old name
    third = json.loads(photoq(home, "run", str(shoot), "--json").stdout)
    assert third["queued"] == 1
    assert third["succeeded"] == 4


def test_human_output_has_summary(shoot: Path, short_tmp: Path) -> None:
    done = photoq(short_tmp / "home", "run", str(shoot))
    assert done.returncode == 1, done.stderr
    assert "succeeded  4" in done.stdout
    assert "dead       3" in done.stdout
    assert "empty.jpg" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "photoq: error: 3 photo(s) dead"


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
    run = start_photoq(home, "run", str(shoot), "--json")
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
    assert run.returncode == 1, out  # the shoot's three bad files
    summary = json.loads(out)
    assert summary["succeeded"] == len(GOOD)
    assert summary["unfinished"] == 0
    assert {f["step"] for f in summary["failures"]} == {"analysis"}


# Exit codes: 0 only when every photo was processed and every step asked for succeeded.

SAMPLE = CORPUS / "hdkai+Raw-IO/test/media/group"


def _only_bad_files(folder: Path) -> Path:
    folder.mkdir()
    whole = (SAMPLE / "1.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not a photo\n")
    Image.new("RGB", (1, 1), (128, 64, 32)).save(folder / "tiny.png")
    return folder


def _good_shoot(folder: Path, names: tuple[str, ...] = ("1.jpg", "12.jpg")) -> Path:
    return corpus_shoot(folder, *(f"{SAMPLE_DIR}/{name}" for name in names))


def test_run_of_only_bad_files_exits_1_with_every_photo_in_failures(
    tmp_path: Path, short_tmp: Path
) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    folder = _only_bad_files(tmp_path / "bad")
    done = photoq(short_tmp / "home", "run", str(folder), "--json")
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ok"] is False
    assert summary["succeeded"] == 0
    failures = summary["failures"]
    assert sorted(Path(f["photo"]).name for f in failures) == [
        "empty.jpg",
        "notes.jpg",
        "tiny.png",
        "truncated.jpg",
    ]
    for f in failures:
        assert (f["step"], f["status"]) == ("analysis", "dead")
        assert isinstance(f["job"], int)
        assert f["reason"]
        assert "\n" not in f["reason"]
    assert done.stderr.strip().splitlines()[-1] == "photoq: error: 4 photo(s) dead"


def test_run_whose_exports_fail_exits_1_and_says_so(tmp_path: Path, short_tmp: Path) -> None:
    shoot = _good_shoot(tmp_path / "shoot")
    out = tmp_path / "out"
    out.mkdir()
    for photo in shoot.iterdir():  # whichever photos are picks: their export target exists
        (out / f"{photo.stem}.jpg").write_bytes(b"someone else's file")
    done = photoq(short_tmp / "home", "run", str(shoot), "--json", "--export", str(out))
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ok"] is False
    assert summary["picks"]
    failures = summary["failures"]
    assert sorted(f["photo"] for f in failures) == sorted(summary["picks"])
    assert all((f["step"], f["status"]) == ("export", "dead") for f in failures)
    assert all("--overwrite" in f["reason"] for f in failures)
    n = len(summary["picks"])
    assert done.stderr.strip().splitlines()[-1] == f"photoq: error: {n} export(s) dead"
    assert {p.read_bytes() for p in out.iterdir()} == {b"someone else's file"}  # untouched


def test_a_sidecar_that_cannot_be_written_fails_the_run_until_it_can(
    tmp_path: Path, short_tmp: Path
) -> None:
    shoot = _good_shoot(tmp_path / "shoot")
    blocker = shoot / "12.xmp"
    blocker.mkdir()  # a folder where 12.jpg's sidecar has to go
    home = short_tmp / "home"
    done = photoq(home, "run", str(shoot))
    assert done.returncode == 1, done.stderr
    assert "sidecars not written for 1 photo(s)" in done.stdout
    assert str(blocker) in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last == "photoq: error: sidecars not written for 1 photo(s)"

    again = photoq(home, "run", str(shoot), "--json")
    assert again.returncode == 1
    summary = json.loads(again.stdout)
    assert summary["ok"] is False
    [failure] = summary["failures"]
    assert (failure["step"], failure["status"]) == ("sidecars", "not written")
    assert failure["photo"] == str(shoot / "12.jpg")
    assert "Is a directory" in failure["reason"]

    blocker.rmdir()  # fixed: the next run writes the sidecar, though no photo changed
    fixed = photoq(home, "run", str(shoot), "--json")
    assert fixed.returncode == 0, fixed.stdout
    assert json.loads(fixed.stdout)["ok"] is True
    assert "xmp:Rating" in blocker.read_text()


def test_a_cancelled_culling_job_fails_the_run(tmp_path: Path, short_tmp: Path) -> None:
    shoot = _good_shoot(tmp_path / "shoot")
    home = short_tmp / "home"
    assert photoq(home, "queue", "pause", "low").returncode == 0  # culling runs on low
    run = start_photoq(home, "run", str(shoot), "--json")
    try:
        deadline = time.monotonic() + 120
        job = None
        while job is None and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
            try:
                with sqlite3.connect(home / "catalog.db", timeout=5) as db:
                    row = db.execute(
                        "select id from jobs where kind='group_similar_photos'"
                    ).fetchone()
            except sqlite3.OperationalError:
                continue  # the catalog is not created yet
            job = row[0] if row else None
        assert job is not None, "the culling job was never queued"
        assert photoq(home, "jobs", "cancel", str(job)).returncode == 0
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1, err
    summary = json.loads(out)
    assert summary["ok"] is False
    assert summary["succeeded"] == 2  # the photos themselves are fine
    [failure] = summary["failures"]
    assert (failure["step"], failure["status"], failure["job"]) == ("culling", "cancelled", job)
    assert err.strip().splitlines()[-1].startswith("photoq: error: culling job cancelled")


def test_run_help_documents_the_exit_codes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "photoq", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "Exit status: 0 only when every photo was analysed" in text
    assert '"ok": false and a "failures" list' in text
    assert "2 for bad usage; 3 when the broker or the catalog cannot be reached" in text


# One run per folder at a time: a second run of the folder waits (or, --no-wait, refuses).


def _distinct_shoot(folder: Path, n: int) -> Path:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    folder.mkdir()
    sources = sorted(SAMPLE.glob("*.jpg"))
    for i in range(n):
        (folder / f"{i:03d}.jpg").write_bytes(sources[i % len(sources)].read_bytes() + bytes([i]))
    return folder


def _slow_env(home: Path) -> dict[str, str]:
    return {**_env(home), "PHOTOQ_CONCURRENCY": "1"}


def _wait_until_holding(home: Path, run: subprocess.Popen[str], folder: Path) -> None:
    """Until ``run`` holds ``folder``'s run lock: its lock file names its pid and the folder."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        for lock in (home / "locks").glob("run-*.lock"):
            lines = lock.read_text().splitlines()
            if lines[:2] == [str(run.pid), str(folder.resolve())]:
                assert lock.stat().st_mode & 0o777 == 0o600
                return
        time.sleep(0.05)
    raise AssertionError(f"the first run never took the folder's lock (exit {run.poll()})")


def _start(home: Path, *args: str) -> subprocess.Popen[str]:
    return start_photoq(home, *args, env=_slow_env(home))


def test_a_second_run_of_the_folder_waits_for_the_first_and_finds_the_work_done(
    tmp_path: Path, short_tmp: Path
) -> None:
    folder = _distinct_shoot(tmp_path / "shoot", 12)
    home = short_tmp / "home"
    first = _start(home, "run", str(folder), "--json")
    second: subprocess.Popen[str] | None = None
    try:
        _wait_until_holding(home, first, folder)
        second = _start(home, "run", str(folder), "--json")
        out1, err1 = first.communicate(timeout=240)
        out2, err2 = second.communicate(timeout=120)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    waiting = [line for line in err2.splitlines() if "waiting for it to finish" in line]
    assert waiting == [
        f"photoq: another photoq run (pid {first.pid}) is working on {folder.resolve()}; "
        "waiting for it to finish… (--no-wait to refuse instead)"
    ]
    assert "waiting" not in err1
    for text in (out1, err1, out2, err2):
        assert "already exists" not in text
    one, two = json.loads(out1), json.loads(out2)
    assert one["succeeded"] == two["succeeded"] == 12
    assert (two["queued"], two["resumed"]) == (0, 0)  # the first run's work, found done
    with sqlite3.connect(home / "catalog.db") as db:
        per_photo = db.execute(
            "select j.photo_id, count(*) from jobs j join job_attempts a on a.job_id = j.id"
            " where j.kind = 'process_photo' group by j.photo_id"
        ).fetchall()
        jobs = db.execute("select count(*) from jobs where kind = 'process_photo'").fetchone()
    assert len(per_photo) == 12
    assert {count for _photo, count in per_photo} == {1}  # each photo analysed exactly once
    assert jobs == (12,)


def test_no_wait_refuses_while_another_run_holds_the_folder(
    tmp_path: Path, short_tmp: Path
) -> None:
    folder = _distinct_shoot(tmp_path / "shoot", 8)
    home = short_tmp / "home"
    first = _start(home, "run", str(folder), "--json")
    try:
        _wait_until_holding(home, first, folder)
        started = time.monotonic()
        refused = photoq(home, "run", str(folder), "--no-wait", "--json")
        assert time.monotonic() - started < 30
        assert first.poll() is None, "the first run finished before the second one asked"
        first.communicate(timeout=240)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        f"photoq: error: another photoq run (pid {first.pid}) is working on "
        f"{folder.resolve()}; refusing to run it twice at once (run without --no-wait to wait)"
    ]


def test_a_run_killed_with_sigkill_leaves_the_folder_unlocked(
    tmp_path: Path, short_tmp: Path
) -> None:
    folder = _distinct_shoot(tmp_path / "shoot", 8)
    home = short_tmp / "home"
    first = _start(home, "run", str(folder), "--json")
    try:
        _wait_until_holding(home, first, folder)
        children = psutil.Process(first.pid).children(recursive=True)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    # At once, not after its workers are gone: none of them inherited the lock.
    done = photoq(home, "run", str(folder), "--no-wait", "--json")
    psutil.wait_procs(children, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "another photoq run" not in done.stderr
    assert json.loads(done.stdout)["succeeded"] == 8
