"""Any name the file system allows, end to end: ``photoq run`` (embedded default, real workers)
ingests, analyses, culls, develops, exports and writes the sidecars of photos named with bytes
that are not UTF-8, newlines, tabs, ANSI escape sequences and Rich markup; the terminal shows the
names escaped, ``--json`` gives them exactly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

A = CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg"
B = CORPUS / "recurser+exif-orientation-examples/Landscape_6.jpg"
C = CORPUS / "bigcat88+pillow_heif/tests/images/heif/zPug_3.heic"

#: The shoot's own folder: markup, a byte that is not UTF-8 and an escape sequence.
ROOT = b"shoot [blue]\xe9\x1b[1m"
#: Relative name → corpus file. Two copies of A make an exact-duplicate group, whose cover and
#: reject reason show a name in the human summary.
FILES = {
    b"caf\xe9.jpg": A,
    b"tab\there [bold].jpg": A,
    b"new\nline\x1b[31mred.jpg": B,
    # A sub-folder "[red]x[" makes the path read "[red]x[/red][bold.heic".
    b"[red]x[/red][bold.heic": C,
}
ESC, RAW_BYTES = b"\x1b", (b"\xe9", b"\xff")


def photoq(home: Path, *args: str | bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    """The photoq command, its output as bytes (exactly what a terminal would receive)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOQ_", "REDIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "photoq", *args],
        env={**clean, "PHOTOQ_HOME": str(home), **env},
        capture_output=True,
        timeout=240,
        check=False,
    )


def terminal_text(done: subprocess.CompletedProcess[bytes]) -> str:
    """stdout + stderr, checked to hold no raw ESC and no raw byte of a name, as text."""
    for stream in (done.stdout, done.stderr):
        assert ESC not in stream
        assert not any(b in stream for b in RAW_BYTES)
    return (done.stdout + done.stderr).decode("utf-8")


def no_raw_name(text: str) -> None:
    """No name was printed raw: each one shows up only in its escaped form."""
    assert "new\nline" not in text
    assert "tab\there" not in text


@pytest.fixture
def shoot(tmp_path: Path) -> bytes:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    root = os.path.join(os.fsencode(tmp_path), ROOT)
    os.makedirs(os.path.join(root, b"[red]x["))
    for name, source in FILES.items():
        shutil.copyfile(source, os.path.join(root, name))
    return root


def test_run_takes_every_name_and_prints_it_safely(
    shoot: bytes, tmp_path: Path, short_tmp: Path
) -> None:
    home = short_tmp / "home"
    export = os.path.join(os.fsencode(tmp_path), b"out [i]\xff")
    threshold = {"PHOTOQ_PICK_THRESHOLD": "1.0"}  # every photo in no group is a pick
    args = (b"run", shoot, b"--preset", b"natural", b"--export", export, b"--long-edge", b"320")
    done = photoq(home, *args, **threshold)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    text = terminal_text(done)
    no_raw_name(text)
    # The root (markup, a non-UTF-8 byte, an escape sequence) and the cover, shown escaped.
    assert "shoot [blue]\\xe9\\x1b[1m" in text
    assert "succeeded  4" in text
    assert re.search(r"exact +2 photos, cover (caf\\xe9\.jpg|tab\\there \[bold\]\.jpg)", text)
    assert "out [i]\\xff" in text  # the export folder

    again = photoq(home, *args, b"--json", **threshold)
    assert again.returncode == 0, again.stderr.decode(errors="replace")
    assert again.stdout.isascii()  # surrogate-escaped names travel as \udcXX escapes
    summary = json.loads(again.stdout)
    assert os.fsencode(summary["root"]) == shoot
    expected = {os.path.join(shoot, name) for name in FILES}
    decided = [*summary["picks"], *(r["path"] for r in summary["rejects"])]
    assert {os.fsencode(p) for p in decided} == expected
    (group,) = summary["groups"]
    assert {os.fsencode(m) for m in group["members"]} == {
        os.path.join(shoot, b"caf\xe9.jpg"),
        os.path.join(shoot, b"tab\there [bold].jpg"),
    }
    (reject,) = summary["rejects"]
    winner = os.path.splitext(os.path.basename(os.fsencode(group["cover"])))[0]
    assert os.fsencode(reject["reason"]) == b"exact duplicate of " + winner

    # Every original has its sidecar beside it, under the original's own bytes.
    for path in expected:
        assert os.path.isfile(os.path.splitext(path)[0] + b".xmp"), path
    # Every pick is exported under its stem's bytes (control characters made "_").
    exported = {os.fsencode(p) for p in summary["exported"]}
    stems = [os.path.splitext(os.path.basename(os.fsencode(p)))[0] for p in summary["picks"]]
    wanted = {
        os.path.join(export, re.sub(rb"[\x00-\x1f\x7f]", b"_", stem) + b".jpg") for stem in stems
    }
    assert exported == wanted
    assert set(os.listdir(export)) == {os.path.basename(p) for p in wanted}

    ingest = photoq(home, b"ingest", shoot)
    assert ingest.returncode == 0
    assert "shoot [blue]\\xe9\\x1b[1m" in terminal_text(ingest)
    listed = json.loads(photoq(home, b"ingest", shoot, b"--json").stdout)
    assert {os.fsencode(p["path"]) for p in listed["photos"]} == expected

    # jobs show names the photo of each job, escaped.
    jobs = json.loads(photoq(home, "jobs", "list", "--json").stdout)
    shown_photos = set()
    for job in jobs:
        if job["kind"] == "process_photo":
            show = photoq(home, "jobs", "show", str(job["id"]))
            assert show.returncode == 0
            text = terminal_text(show)
            no_raw_name(text)
            shown_photos.add(re.search(r"photo +(.*)\n", text).group(1))  # type: ignore[union-attr]
    prefix = f"{tmp_path}/shoot [blue]\\xe9\\x1b[1m/"
    assert shown_photos == {
        prefix + "caf\\xe9.jpg",
        prefix + "tab\\there [bold].jpg",
        prefix + "new\\nline\\x1b[31mred.jpg",
        prefix + "[red]x[/red][bold.heic",
    }

    inspect = photoq(home, b"inspect", *expected)
    assert inspect.returncode == 0
    text = terminal_text(inspect)
    no_raw_name(text)
    assert f"{prefix}[red]x[/red][bold.heic\n" in text
    assert f"{prefix}new\\nline\\x1b[31mred.jpg\n" in text
    for line in photoq(home, b"inspect", b"--json", *expected).stdout.splitlines():
        assert os.fsencode(json.loads(line)["path"]) in expected


def test_a_bad_file_with_a_hostile_name_fails_alone_and_is_shown_escaped(
    tmp_path: Path, short_tmp: Path
) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    home = short_tmp / "home"
    root = os.path.join(os.fsencode(tmp_path), b"s")
    os.makedirs(root)
    bad = os.path.join(root, b"bad\xff\n\x1b[2J[red]x.jpg")
    with open(bad, "wb") as fh:
        fh.write(b"this is not a photo\n")
    shutil.copyfile(A, os.path.join(root, b"good\xe9.jpg"))
    done = photoq(home, b"run", root)
    assert done.returncode in (0, 1)  # not 70: nothing crashed; the bad file is dead
    text = terminal_text(done)
    assert "succeeded  1" in text
    assert "bad\\xff\\n\\x1b[2J[red]x.jpg: not an image" in text

    summary = json.loads(photoq(home, b"run", root, b"--json").stdout)
    assert [os.fsencode(d["path"]) for d in summary["dead"]] == [bad]

    failed = photoq(home, "jobs", "failed", COLUMNS="200")  # wide enough for the whole name
    assert failed.returncode == 0
    assert "bad\\xff\\n\\x1b[2J[red]x" in terminal_text(failed)
    page = json.loads(photoq(home, "jobs", "failed", "--json").stdout)
    assert [os.fsencode(j["photo_path"]) for j in page["jobs"]] == [bad]
    listed = photoq(home, "jobs", "list")
    assert listed.returncode == 0
    terminal_text(listed)

    missing = photoq(home, b"run", os.path.join(root, b"gone\xe9\n[red]x"))
    assert missing.returncode == 2
    assert terminal_text(missing).strip().endswith("gone\\xe9\\n[red]x: no such folder")
