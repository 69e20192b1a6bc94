"""Ingest leaves out what is no part of a shoot: photoq's own exports of earlier runs, hidden
and OS files, and what an ignore glob matches (issue #14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from photoq.catalog import models
from photoq.catalog.models import Job
from photoq.catalog.store import Catalog
from photoq.pipeline.formats import is_photo_path
from photoq.queue.routing import EXPORT_PHOTO
from photoq.services.ingest import ingest

KEPT = ["a.jpg", "day1/b.NEF", "day1/raw/c.jpg", "day1/raw2/d.jpg", "rejected.jpg"]
LITTER = [
    ".DS_Store",
    "._a.jpg",
    "day1/._b.NEF",
    "Thumbs.db",
    "desktop.ini",
    "@eaDir/a.jpg/SYNOPHOTO_THUMB_XL.jpg",
    ".@__thumb/a.jpg",
    "$RECYCLE.BIN/S-1-5/old.jpg",
]
HIDDEN = [".hidden.jpg", ".git/objects/x.jpg", "day1/.cache/e.jpg"]
IGNORED = ["scratch.tmp.jpg", "day1/rejects/f.jpg", "day1/raw/g.jpg"]


def _shoot(root: Path) -> Path:
    shoot = root / "shoot"
    for rel in [*KEPT, *LITTER, *HIDDEN, *IGNORED, "exports/a.jpg", "exports/day1/b.jpg"]:
        path = shoot / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rel.encode())
    return shoot


def _names(result_photos: list[str], shoot: Path) -> list[str]:
    return sorted(Path(p).relative_to(shoot).as_posix() for p in result_photos)


def test_is_photo_path_refuses_hidden_and_apple_double_names() -> None:
    assert is_photo_path(Path("IMG_0001.JPG"))
    assert not is_photo_path(Path("._IMG_0001.JPG"))
    assert not is_photo_path(Path("d/.IMG_0001.jpg"))


def test_ignore_globs_match_names_or_relative_paths() -> None:
    from photoq.services.ingest import is_ignored, skipped_line

    assert is_ignored("day1/rejects", ["rejects"])
    assert is_ignored("a/b/x.tmp.jpg", ["*.tmp.jpg"])
    assert is_ignored("day1/raw/g.jpg", ["day1/raw/g*"])
    assert not is_ignored("day2/raw/g.jpg", ["day1/raw/g*"])
    assert not is_ignored("day1/raw/g.jpg", ["raw/g*"])  # a path glob starts at the shoot
    assert skipped_line({"hidden": 0}) == ""
    assert (
        skipped_line({"hidden": 2, "OS files": 1, "ignored": 0}) == "skipped 3 (hidden, OS files)"
    )


def test_ingest_skips_exports_hidden_os_files_and_ignored(catalog: Catalog, tmp_path: Path) -> None:
    shoot = _shoot(tmp_path)
    with catalog.transaction() as db:  # an earlier run exported into shoot/exports
        db.add(
            Job(
                kind=EXPORT_PHOTO,
                queue="low",
                priority=1,
                max_retries=3,
                payload={"out": str(shoot / "exports")},
                status="succeeded",
            )
        )
        exported = getattr(models, "ExportRow", None)
        if exported is not None:  # and a file it exported, recorded where it lies
            (shoot / "old-export.jpg").write_bytes(b"x")
            db.add(exported(path=str(shoot / "old-export.jpg"), size=1, sha256="0" * 64))
    result = ingest(catalog, shoot, ignore=["*.tmp.jpg", "rejects", "day1/raw/g*"])
    assert _names([p.path for p in result.photos], shoot) == sorted(KEPT)
    assert result.skipped["hidden"] == 3
    assert result.skipped["OS files"] == len(LITTER)
    assert result.skipped["photoq exports"] == 1 + (exported is not None)
    assert result.skipped["ignored"] == 3
    # Asked for explicitly, an export folder is a shoot like any other.
    exports = ingest(catalog, shoot / "exports")
    assert _names([p.path for p in exports.photos], shoot / "exports") == ["a.jpg", "day1/b.jpg"]


def test_ingest_command_takes_ignore_options_and_photoq_ignore(tmp_path: Path) -> None:
    shoot = _shoot(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    env |= {"PHOTOQ_HOME": str(tmp_path / "home"), "PHOTOQ_IGNORE": "*.tmp.jpg, rejects"}
    command = [sys.executable, "-m", "photoq", "ingest", str(shoot)]

    def photoq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    done = photoq("--json", "--ignore", "day1/raw/g*", "--ignore", "exports")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert _names([p["path"] for p in data["photos"]], shoot) == sorted(KEPT)
    assert data["skipped"] == {
        "hidden": 3,
        "OS files": len(LITTER),
        "photoq exports": 0,
        "ignored": 4,
    }
    human = photoq()
    assert human.returncode == 0, human.stderr
    assert "skipped 13 (hidden, OS files, ignored)" in human.stderr  # exports/ not ignored now
    helped = subprocess.run(
        [sys.executable, "-m", "photoq", "run", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "--ignore GLOB" in helped.stdout
    assert "relative to the shoot" in helped.stdout
