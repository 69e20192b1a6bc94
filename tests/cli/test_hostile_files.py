"""Hostile files through the CLI (issue #14): each is refused in bounded time and memory."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import psutil
import pytest

from tests.cli.test_run import _good_shoot, photoq, start_photoq
from tests.pipeline.test_hostile_yaml import PRESET_BOMB

pytestmark = pytest.mark.integration


def _peak_rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss)
    except psutil.Error:
        return 0


@pytest.mark.timeout(120)
def test_presets_import_refuses_an_alias_bomb(tmp_path: Path, short_tmp: Path) -> None:
    home = short_tmp / "home"
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(PRESET_BOMB)
    baseline = photoq(home, "presets", "list", "--json")  # catalog made, built-ins seeded
    assert baseline.returncode == 0, baseline.stderr
    start = time.monotonic()
    child = start_photoq(home, "presets", "import", str(bomb))
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None and time.monotonic() - start < 60:
        peak = max(peak, _peak_rss(proc))
        time.sleep(0.01)
    if child.poll() is None:
        child.kill()
    _, stderr = child.communicate(timeout=30)
    elapsed = time.monotonic() - start
    assert elapsed < 15  # the CLI's own start-up included; the refusal itself is milliseconds
    assert peak < 400 << 20
    assert child.returncode == 1
    assert str(bomb) in stderr
    assert "alias" in stderr or "anchor" in stderr
    listed = photoq(home, "presets", "list", "--json", timeout=30)
    assert listed.returncode == 0
    assert "laughs" not in listed.stdout
    catalog = home / "catalog.db"
    if catalog.exists():
        assert catalog.stat().st_size < 10 << 20


@pytest.mark.timeout(240)
def test_run_refuses_symlinked_and_fifo_sidecars_and_writes_the_others(
    tmp_path: Path, short_tmp: Path
) -> None:
    shoot = _good_shoot(tmp_path / "shoot", ("1.jpg", "2.jpg", "3.jpg", "12.jpg"))
    link, fifo = shoot / "1.xmp", shoot / "2.xmp"
    link.symlink_to("/dev/zero")
    os.mkfifo(fifo)
    home = short_tmp / "home"
    start = time.monotonic()
    done = photoq(home, "run", str(shoot), "--json", timeout=120)
    elapsed = time.monotonic() - start
    assert elapsed < 60
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ok"] is False
    failed = {Path(f["photo"]).name: f for f in summary["failures"]}
    assert set(failed) == {"1.jpg", "2.jpg"}
    assert all((f["step"], f["status"]) == ("sidecars", "not written") for f in failed.values())
    assert "symlink" in failed["1.jpg"]["reason"]
    assert "FIFO" in failed["2.jpg"]["reason"]
    last = done.stderr.strip().splitlines()[-1]
    assert last == "photoq: error: sidecars not written for 2 photo(s)"
    # The others got theirs; the hostile ones are as they were.
    for name in ("3.xmp", "12.xmp"):
        assert "xmp:Rating" in (shoot / name).read_text()
    assert link.is_symlink()
    assert os.readlink(link) == "/dev/zero"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
