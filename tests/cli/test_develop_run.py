"""``photoq run --preset … --export …`` and ``photoq presets``, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.test_run import photoq, snapshot
from tests.conftest import CORPUS
from tests.helpers import SAMPLE, corpus_shoot

pytestmark = pytest.mark.integration

PRESETS = CORPUS / "presets/lightroom_xmp_exported"


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    return corpus_shoot(
        tmp_path / "shoot",
        *(f"{SAMPLE}/{name}" for name in ("1.jpg", "2.jpg", "3.jpg", "12.jpg")),
        "recurser+exif-orientation-examples/Portrait_6.jpg",
    )


def test_run_develops_and_exports_the_picks(shoot: Path, tmp_path: Path, short_tmp: Path) -> None:
    home, out = short_tmp / "home", tmp_path / "out"
    originals = {k: v for k, v in snapshot(shoot).items() if k.endswith(".jpg")}
    done = photoq(
        home,
        "run",
        str(shoot),
        "--json",
        "--preset",
        "auto",
        "--export",
        str(out),
        "--long-edge",
        "640",
        "--template",
        "{seq:02d}_{stem}",
        "--strip-gps",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ok"] is True  # every photo, culling, sidecars, presets and exports done
    assert summary["failures"] == []
    picks = [Path(p).stem for p in summary["picks"]]
    assert picks
    assert len(picks) < 5
    assert summary["failed"] == []
    groups = {(g["kind"], frozenset(Path(m).name for m in g["members"])) for g in summary["groups"]}
    assert ("burst", frozenset({"1.jpg", "2.jpg"})) in groups  # shot 0.x s apart, same camera
    assert all(g["cover"] in g["members"] for g in summary["groups"])
    assert all(r["reason"] for r in summary["rejects"])
    exported = sorted(p.name for p in out.iterdir())
    assert exported == [f"{i:02d}_{stem}.jpg" for i, stem in enumerate(sorted(picks), 1)]
    assert sorted(Path(p).name for p in summary["exported"]) == exported
    for name in exported:
        with Image.open(out / name) as im:
            assert max(im.size) == 640
            assert im.getexif().get(0x0112) in (None, 1)
            assert im.info.get("icc_profile")
    with Image.open(next(out.glob("*Portrait_6.jpg"))) as im:
        assert im.size == (427, 640)  # orientation 6 applied: displayed portrait

    # Originals untouched; a sidecar beside each, a reject rated −1.
    after = snapshot(shoot)
    assert {k: v for k, v in after.items() if k.endswith(".jpg")} == originals
    assert sorted(k for k in after if k.endswith(".xmp")) == sorted(
        f"{Path(k).stem}.xmp" for k in originals
    )
    reject = Path(summary["rejects"][0]["path"])
    assert 'xmp:Rating="-1"' in (shoot / f"{reject.stem}.xmp").read_text()
    pick = Path(summary["picks"][0])
    assert "crs:" in (shoot / f"{pick.stem}.xmp").read_text()  # the applied preset

    # The same export again: nothing to do, nothing touched.
    same = ["--export", str(out), "--long-edge", "640", "--template", "{seq:02d}_{stem}"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = photoq(home, "run", str(shoot), "--json", "--preset", "auto", *same, "--strip-gps")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["failed"] == []
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps

    # Another preset into the same files: refused file by file unless --overwrite.
    other = photoq(home, "run", str(shoot), "--json", "--preset", "black_and_white", *same)
    assert other.returncode == 1
    assert json.loads(other.stdout)["ok"] is False
    failed = json.loads(other.stdout)["failed"]
    assert sorted(Path(f["path"]).stem for f in failed) == sorted(picks)
    assert all(f["stage"] == "export_photo" and "--overwrite" in f["error"] for f in failed)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    forced = photoq(
        home, "run", str(shoot), "--json", "--preset", "black_and_white", *same, "--overwrite"
    )
    assert json.loads(forced.stdout)["failed"] == [], forced.stdout
    assert forced.returncode == 0, forced.stdout
    with Image.open(out / exported[0]) as im:
        r, g, b = im.convert("RGB").resize((8, 8)).split()
        assert r.tobytes() == g.tobytes() == b.tobytes()  # now grey


def test_unknown_preset_and_bad_export_options_are_usage_errors(
    shoot: Path, short_tmp: Path
) -> None:
    home = short_tmp / "home"
    done = photoq(home, "run", str(shoot), "--preset", "nope")
    assert done.returncode == 2
    assert "no preset 'nope'" in done.stderr
    assert "vivid" in done.stderr
    done = photoq(home, "run", str(shoot), "--export", str(shoot / "x"), "--format", "gif")
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert "gif" in done.stderr
    done = photoq(home, "run", str(shoot), "--export", str(shoot / "x"), "--template", "../up")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert not (shoot / "x").exists()


def test_presets_import_versions_show_and_export(tmp_path: Path, short_tmp: Path) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    home = short_tmp / "home"
    xmp = sorted(PRESETS.glob("*.xmp"))[0]
    first = json.loads(photoq(home, "presets", "import", str(xmp), "--json").stdout)
    [result] = first
    assert result["created"]
    assert result["version"] == 1
    assert result["unsupported"]  # listed, never silently dropped
    listed = {p["name"]: p for p in json.loads(photoq(home, "presets", "list", "--json").stdout)}
    assert {"natural", "vivid", result["name"]} <= set(listed)

    exported = tmp_path / "p.yaml"
    assert photoq(home, "presets", "export", result["name"], str(exported)).returncode == 0
    changed = exported.read_text().replace("settings:", "settings:\n  exposure: 0.5", 1)
    exported.write_text(changed)
    [second] = json.loads(photoq(home, "presets", "import", str(exported), "--json").stdout)
    assert (second["created"], second["version"]) == (True, 2)
    shown = json.loads(photoq(home, "presets", "show", result["name"], "--json").stdout)
    assert shown["versions"] == [1, 2]
    assert shown["settings"]["exposure"] == 0.5

    again = photoq(home, "presets", "export", result["name"], str(exported))
    assert again.returncode != 0
    assert "--overwrite" in again.stderr
    missing = photoq(home, "presets", "show", "nope")
    assert missing.returncode == 2


def test_presets_export_writes_xmp_by_extension(tmp_path: Path, short_tmp: Path) -> None:
    home = short_tmp / "home"
    xmp = tmp_path / "natural.xmp"
    assert photoq(home, "presets", "export", "natural", str(xmp)).returncode == 0
    data = xmp.read_bytes()
    assert data.startswith(b"<x:xmpmeta")  # XMP, not photoq's YAML
    assert b'crs:ProcessVersion="11.0"' in data
    assert b'crs:PresetType="Normal"' in data
    [back] = json.loads(photoq(home, "presets", "import", str(xmp), "--json").stdout)
    assert (back["name"], back["created"]) == ("natural", False)  # the same settings

    yml = tmp_path / "natural.yml"
    assert photoq(home, "presets", "export", "natural", str(yml)).returncode == 0
    assert b"settings:" in yml.read_bytes()

    bad = photoq(home, "presets", "export", "natural", str(tmp_path / "natural.txt"))
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert ".txt" in bad.stderr
    assert not (tmp_path / "natural.txt").exists()
