"""Originals are never harmed by an export (DESIGN invariant 1): an export folder among
originals is refused, ``--overwrite`` and retries only replace files photoq exported itself,
and a folder photoq cannot write into fails at once, naming it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from photoq.catalog.jobs import JobRepository
from photoq.catalog.store import Catalog
from photoq.queue.dispatch import new_job
from photoq.queue.priority import Priority
from photoq.queue.retry import is_transient
from photoq.queue.routing import EXPORT_PHOTO
from photoq.services.ingest import ingest
from tests.cli.test_run import photoq, snapshot
from tests.conftest import CORPUS
from tests.helpers import SAMPLE, corpus_shoot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from photoq.catalog.job_records import Claim

pytestmark = pytest.mark.integration

GROUP = CORPUS / "hdkai+Raw-IO/test/media/group"


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    return corpus_shoot(
        tmp_path / "shoot",
        *(f"{SAMPLE}/{name}" for name in ("1.jpg", "3.jpg", "12.jpg")),
        "recurser+exif-orientation-examples/Portrait_6.jpg",
    )


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only for this process: a read-only bind mount for root (whom permission
    bits do not stop), mode 0o555 for anyone else."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    bind = subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False
    )
    if bind.returncode != 0:
        pytest.skip(f"running as root and cannot bind-mount read-only: {bind.stderr!r}")
    try:
        ro = ["mount", "-o", "remount,bind,ro", str(folder), str(folder)]
        if subprocess.run(ro, capture_output=True, check=False).returncode != 0:
            pytest.skip("running as root and cannot remount read-only")
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _job_count(home: Path) -> int:
    catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
    try:
        with catalog.connection() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM jobs").scalar() or 0)
    finally:
        catalog.engine.dispose()


def _refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_an_export_folder_among_originals_is_refused(
    shoot: Path, tmp_path: Path, short_tmp: Path
) -> None:
    home = short_tmp / "home"
    before = snapshot(shoot)
    develop = ["--preset", "vivid", "--overwrite"]
    # The shoot itself, even with --overwrite: nothing queued, not a byte written.
    done = photoq(home, "run", str(shoot), *develop, "--export", str(shoot))
    _refused(done, str(shoot), "export folder")
    assert snapshot(shoot) == before  # originals byte-identical, and no sidecars either
    # The same folder by another spelling.
    done = photoq(home, "run", str(shoot), *develop, "--export", str(shoot / "sub" / ".."))
    _refused(done, "export folder")
    # A folder inside the shoot (the next run would ingest it) is not even created.
    done = photoq(home, "run", str(shoot), *develop, "--export", str(shoot / "exports"))
    _refused(done, "inside")
    assert not (shoot / "exports").exists()
    # A folder holding the shoot.
    done = photoq(home, "run", str(shoot), *develop, "--export", str(tmp_path))
    _refused(done, "holds")
    assert snapshot(shoot) == before
    assert _job_count(home) == 0

    # Another session's folder, known from an earlier run, is refused just the same.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copyfile(GROUP / "2.jpg", other / "2.jpg")
    assert photoq(home, "run", str(other), "--no-sidecars").returncode in (0, 1)
    jobs = _job_count(home)
    kept = snapshot(other)
    done = photoq(home, "run", str(shoot), *develop, "--export", str(other))
    _refused(done, str(other))
    assert snapshot(other) == kept
    assert _job_count(home) == jobs


def test_overwrite_replaces_only_photoq_exports(
    shoot: Path, tmp_path: Path, short_tmp: Path
) -> None:
    home, out, fresh = short_tmp / "home", tmp_path / "out", tmp_path / "fresh"
    first = photoq(home, "run", str(shoot), "--json", "--preset", "vivid", "--export", str(out))
    assert first.returncode == 0, first.stderr
    picks = sorted(Path(p).stem for p in json.loads(first.stdout)["picks"])
    assert len(picks) >= 2, picks
    # One export changed by the user since: no longer photoq's file.
    edited = out / f"{picks[0]}.jpg"
    edited.write_bytes((GROUP / "12.jpg").read_bytes())
    edited_bytes = edited.read_bytes()
    ours = out / f"{picks[1]}.jpg"
    grey = ["--preset", "black_and_white", "--overwrite"]
    done = photoq(home, "run", str(shoot), "--json", *grey, "--export", str(out))
    assert done.returncode == 1, done.stderr
    failed = json.loads(done.stdout)["failed"]
    assert [Path(f["path"]).stem for f in failed] == [picks[0]]
    assert str(edited) in failed[0]["error"]
    assert "not a file photoq exported" in failed[0]["error"]
    assert str(edited) in done.stdout
    assert edited.read_bytes() == edited_bytes  # survived --overwrite
    with Image.open(ours) as im:  # photoq's own export was replaced: now grey
        r, g, b = im.convert("RGB").resize((8, 8)).split()
        assert r.tobytes() == g.tobytes() == b.tobytes()

    # A file that was there before photoq ever exported (a copy of an original, say).
    fresh.mkdir()
    foreign = fresh / f"{picks[0]}.jpg"
    shutil.copyfile(shoot / f"{picks[0]}.jpg", foreign)
    original = foreign.read_bytes()
    done = photoq(home, "run", str(shoot), *grey, "--export", str(fresh))
    assert done.returncode == 1
    assert str(foreign) in done.stdout
    assert "export" in done.stderr.strip().splitlines()[-1]
    assert foreign.read_bytes() == original
    assert (fresh / f"{picks[1]}.jpg").exists()


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalog]:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield catalog
    catalog.engine.dispose()


@pytest.fixture
def export_claim(shoot: Path, tmp_path: Path, cat: Catalog) -> Claim:
    """A claimed export job of one photo into ``tmp_path/out``, in a fresh catalog."""
    catalog = cat
    result = ingest(catalog, shoot)
    photo = next(p for p in result.photos if p.path.endswith("3.jpg"))
    out = tmp_path / "out"
    out.mkdir()
    spec = new_job(
        EXPORT_PHOTO,
        Priority.MEDIUM,
        3,
        photo_id=photo.id,
        session_id=result.session_id,
        payload={"out": str(out), "long_edge": 64, "overwrite": False},
    )
    jobs = JobRepository(catalog)
    [dispatch] = jobs.create([spec])
    claim = jobs.claim(dispatch.job_id, dispatch.message_id, "test-worker")
    assert claim is not None
    return claim


def test_a_retry_never_replaces_a_file_it_did_not_write(
    export_claim: Claim, tmp_path: Path, cat: Catalog
) -> None:
    from photoq.pipeline.export import NotPhotoqExport, OutputExists
    from photoq.queue.develop_tasks import _export_photo

    target = tmp_path / "out" / "3.jpg"
    # The first attempt died before its file was in place; a stale, foreign file sits there.
    target.write_bytes(b"not photoq's")
    retry = dataclasses.replace(export_claim, attempt=2)
    with pytest.raises(NotPhotoqExport, match=r"3\.jpg"):
        _export_photo(cat, retry)
    assert target.read_bytes() == b"not photoq's"

    # A file this same job wrote (an attempt that died after its rename) may be replaced ...
    target.unlink()
    assert _export_photo(cat, export_claim) == {"path": str(target)}
    written = target.read_bytes()
    assert _export_photo(cat, retry) == {"path": str(target)}
    assert target.read_bytes() == written
    # ... by no other job without --overwrite, and by none once changed.
    other = dataclasses.replace(export_claim, job_id=export_claim.job_id + 1000)
    with pytest.raises(OutputExists, match="--overwrite"):
        _export_photo(cat, other)
    target.write_bytes(written[:-1])
    with pytest.raises(NotPhotoqExport):
        _export_photo(cat, retry)
    assert target.read_bytes() == written[:-1]


def test_a_read_only_export_folder_fails_fast_naming_it(
    shoot: Path, tmp_path: Path, short_tmp: Path
) -> None:
    home, out = short_tmp / "home", tmp_path / "out"
    out.mkdir()
    with read_only(out):
        done = photoq(home, "run", str(shoot), "--preset", "vivid", "--export", str(out))
    _refused(done, str(out), "cannot write")
    assert _job_count(home) == 0


def test_an_export_folder_made_read_only_mid_run_is_a_permanent_error(
    export_claim: Claim, tmp_path: Path, cat: Catalog
) -> None:
    from photoq.queue.develop_tasks import StepFailed, _export_photo

    out = tmp_path / "out"
    with read_only(out), pytest.raises(StepFailed) as caught:
        _export_photo(cat, export_claim)
    assert not is_transient(caught.value)  # dead after one attempt, not retried
    message = str(caught.value)
    assert message.startswith("export failed writing ")
    assert str(out) in message
    assert "Read-only file system" in message or "Permission denied" in message
    assert not is_transient(OSError(30, "Read-only file system"))  # EROFS anywhere
