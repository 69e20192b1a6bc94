"""``photoq inspect``: direct analysis of files, one JSON object per line with ``--json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import CORPUS

GOOD = CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg"
ROTATED = CORPUS / "recurser+exif-orientation-examples/Landscape_6.jpg"


def inspect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photoq", "inspect", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _corpus() -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")


def test_json_lines_carry_the_path_as_given_and_the_analysis(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(GOOD.read_bytes()[:5000])
    done = inspect("--json", str(GOOD), str(bad), str(ROTATED))
    assert done.returncode == 1  # one file failed
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(GOOD), str(bad), str(ROTATED)]
    good, broken, rotated = lines
    assert good["exif"]["make"] == "OLYMPUS CORPORATION"
    assert good["exif"]["f_number"] == 8.0
    assert good["exif"]["iso"] == 200
    assert (good["width"], good["height"]) == (1920, 1440)
    assert 1.0 <= good["quality"]["score"] <= 5.0
    assert len(good["hashes"]["dhash"]) == 16
    assert len(good["content_hash"]) == 64
    assert "truncated" in broken["error"]
    assert broken["error_type"] == "CorruptImage"
    assert (rotated["width"], rotated["height"]) == (1800, 1200)  # stored 1200×1800, orientation 6


def test_human_output_and_missing_file(tmp_path: Path) -> None:
    done = inspect(str(GOOD), str(tmp_path / "missing.jpg"))
    assert done.returncode == 1
    assert "OLYMPUS CORPORATION E-M1MarkII" in done.stdout
    assert "f/8, ISO 200" in done.stdout
    assert done.stderr.strip() == f"{tmp_path / 'missing.jpg'}: error: no such file"


def _bad_files(folder: Path) -> list[Path]:
    tiny, truncated, empty = folder / "tiny1x1.png", folder / "truncated.jpg", folder / "empty.jpg"
    Image.new("RGB", (1, 1), (200, 100, 50)).save(tiny)  # no photo: too small to analyse
    whole = GOOD.read_bytes()
    truncated.write_bytes(whole[: len(whole) // 3])
    empty.write_bytes(b"")
    return [tiny, truncated, empty]


def test_every_failing_file_is_one_line_and_the_rest_go_on(tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    done = inspect(str(GOOD), str(bad[0]), str(bad[1]), str(bad[2]), str(ROTATED))
    assert done.returncode == 1
    headers = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert headers == [str(GOOD), str(ROTATED)]  # both good files, in order
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 3, done.stderr
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"{path}: error: ")
    assert "2×2" in errors[0]  # the 1×1 image's own reason, not a crash of the whole command
    assert "truncated" in errors[1]
    assert "empty" in errors[2]
    assert "internal error:" not in done.stderr  # not the generic handler's exit 70


def test_json_gives_a_line_per_file_in_order_failures_included(tmp_path: Path) -> None:
    bad = _bad_files(tmp_path)
    done = inspect("--json", str(GOOD), str(bad[0]), str(bad[1]), str(bad[2]), str(ROTATED))
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(GOOD), *map(str, bad), str(ROTATED)]
    good, tiny, truncated, empty, rotated = lines
    assert "error" not in good
    assert "error" not in rotated
    assert good["exif"]["make"] == "OLYMPUS CORPORATION"
    assert all(line["error"] and line["error_type"] for line in (tiny, truncated, empty))
    assert done.stderr == ""
