"""photoq.pipeline.metadata.exif against ExifTool's values (shared/corpus/truth_exif.json)."""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import cache
from pathlib import Path

import pytest

from photoq.errors import CorruptImage, UnsupportedFormat
from photoq.pipeline.metadata.exif import ExifRecord, read_exif

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

FIELDS: dict[str, str] = {
    "Make": "make",
    "Model": "model",
    "LensModel": "lens",
    "DateTimeOriginal": "capture_time",
    "SubSecTimeOriginal": "subsec",
    "OffsetTimeOriginal": "utc_offset",
    "ExposureTime": "exposure_time",
    "FNumber": "f_number",
    "ISO": "iso",
    "FocalLength": "focal_length",
    "FocalLengthIn35mmFormat": "focal_length_35mm",
    "FlashFired": "flash_fired",
    "Orientation": "orientation",
    "ImageWidth": "width",
    "ImageHeight": "height",
    "GPSLatitude": "gps_lat",
    "GPSLongitude": "gps_lon",
    "Software": "software",
}

# A spread of makers and containers.
SPREAD = [
    "exiftool+exiftool/t/images/Canon.jpg",
    "exiftool+exiftool/t/images/Canon1DmkIII.jpg",
    "exiftool+exiftool/t/images/Nikon.jpg",
    "exiftool+exiftool/t/images/Olympus.jpg",
    "exiftool+exiftool/t/images/Pentax.jpg",
    "exiftool+exiftool/t/images/Sony.jpg",
    "exiftool+exiftool/t/images/FujiFilm.jpg",
    "exiftool+exiftool/t/images/Panasonic.jpg",
    "exiftool+exiftool/t/images/Ricoh2.jpg",
    "exiftool+exiftool/t/images/GPS.jpg",
    "exiftool+exiftool/t/images/Apple.jpg",
    "exiftool+exiftool/t/images/PhotoMechanic.jpg",
    "Exiv2+exiv2/test/data/exiv2-canon-powershot-a520.jpg",
    "Exiv2+exiv2/test/data/exiv2-bug876.jpg",
    "Exiv2+exiv2/test/data/FurnaceCreekInn.jpg",
    "Exiv2+exiv2/test/data/exiv2-bug2565.jpg",
    "hdkai+Raw-IO/test/media/group/17.jpg",
    "hdkai+Raw-IO/test/media/align/1.jpg",
    "Exiv2+exiv2/test/data/Reagan.tiff",
    "exiftool+exiftool/t/images/ExifTool.tif",
    "Exiv2+exiv2/test/data/2021-02-13-1929.heic",
    "Exiv2+exiv2/test/data/Stonehenge.heic",
    "Exiv2+exiv2/test/data/Canon.HIF",
    "Exiv2+exiv2/test/data/issue_9292_sony_6_right_top.HIF",
    "bigcat88+pillow_heif/tests/images/heif_special/xiaomi.heic",
    "bigcat88+pillow_heif/tests/images/heif/L_10__29x100.heif",
    "Exiv2+exiv2/test/data/avif_metadata2.avif",
    "Exiv2+exiv2/test/data/IMG_1361.dng",
    "exiftool+exiftool/t/images/DNG.dng",
    "exiftool+exiftool/t/images/CanonRaw.cr2",
    "exiftool+exiftool/t/images/CanonRaw.cr3",
    "exiftool+exiftool/t/images/CanonRaw.crw",
    "exiftool+exiftool/t/images/Nikon.nef",
    "exiftool+exiftool/t/images/Panasonic.rw2",
    "exiftool+exiftool/t/images/FujiFilm.raf",
    "exiftool+exiftool/t/images/Minolta.mrw",
]


@cache
def truth() -> dict[str, dict[str, object]]:
    path = CORPUS / "truth_exif.json"
    if not path.exists():
        pytest.skip("real-photo corpus not available")
    data: dict[str, dict[str, object]] = json.loads(path.read_text())
    return data


@cache
def record(rel: str) -> ExifRecord:
    return read_exif(CORPUS / rel)


def agrees(ours: object, theirs: object) -> bool:
    if isinstance(ours, dt.datetime):
        return ours.strftime("%Y:%m:%d %H:%M:%S") == str(theirs)[:19]
    if isinstance(ours, float) and isinstance(theirs, int | float) and not isinstance(theirs, bool):
        return math.isclose(ours, float(theirs), rel_tol=1e-4, abs_tol=1e-6)
    return ours == theirs


def _pairs() -> list[tuple[str, str]]:
    path = CORPUS / "truth_exif.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return [(rel, field) for rel in SPREAD for field in FIELDS if field in data.get(rel, {})]


@pytest.mark.parametrize(("rel", "field"), _pairs())
def test_field_matches_exiftool(rel: str, field: str) -> None:
    ours = getattr(record(rel), FIELDS[field])
    theirs = truth()[rel][field]
    assert agrees(ours, theirs), f"{rel} {field}: photoq {ours!r}, ExifTool {theirs!r}"


def test_accuracy_per_group_over_whole_corpus() -> None:
    groups = {"JPEG": "JPEG", "TIFF": "TIFF", "HEIC": "HEIC", "HEIF": "HEIC", "DNG": "DNG"}
    counts = {g: [0, 0] for g in ("JPEG", "TIFF", "HEIC", "DNG")}
    for rel, expected in truth().items():
        group = groups.get(str(expected.get("FileType")))
        if group is None:
            continue
        try:
            rec = read_exif(CORPUS / rel)
        except (UnsupportedFormat, CorruptImage):
            rec = ExifRecord()  # counts as a miss for every field ExifTool has
        for field, attr in FIELDS.items():
            if field in expected:
                counts[group][0] += 1
                counts[group][1] += agrees(getattr(rec, attr), expected[field])
    for group, (n, ok) in counts.items():
        assert n > 0
        assert ok / n >= 0.99, f"{group}: {ok}/{n} agree with ExifTool"


def test_iphone_heic_values() -> None:
    rec = record("Exiv2+exiv2/test/data/2021-02-13-1929.heic")
    assert rec.make == "Apple"
    assert rec.orientation == 6
    assert (rec.width, rec.height) == (4032, 3024)  # stored, before rotation
    assert rec.iso == 500
    assert rec.gps_lat == pytest.approx(30.5803667, abs=1e-6)
    assert rec.gps_lon == pytest.approx(-88.0739056, abs=1e-6)  # west is negative
    assert rec.capture_time == dt.datetime(2021, 2, 13, 11, 3, 31)


def test_captured_at_is_aware_with_subseconds() -> None:
    rel = "Exiv2+exiv2/test/data/Canon.HIF"
    expected = truth()[rel]
    rec = record(rel)
    when = rec.captured_at()
    assert when is not None
    assert when.utcoffset() == dt.timedelta(0)
    assert rec.utc_offset == expected["OffsetTimeOriginal"]
    subsec = str(expected["SubSecTimeOriginal"])
    assert when.microsecond == int(subsec.ljust(6, "0")[:6])
    as_dict = rec.to_dict()
    json.dumps(as_dict)
    assert as_dict["captured_at"] == when.isoformat()


def test_captured_at_naive_without_offset() -> None:
    rec = ExifRecord(capture_time=dt.datetime(2020, 1, 2, 3, 4, 5), subsec="5")
    when = rec.captured_at()
    assert when == dt.datetime(2020, 1, 2, 3, 4, 5, 500000)
    assert when is not None
    assert when.tzinfo is None
    aware = ExifRecord(capture_time=dt.datetime(2020, 1, 2, 3, 4, 5), utc_offset="-05:30")
    got = aware.captured_at()
    assert got is not None
    assert got.utcoffset() == -dt.timedelta(hours=5, minutes=30)


def test_nikon_makernote_iso_reads_the_used_value() -> None:
    # ExifTool's -n output for Nikon:ISO is "0 200" and the truth file kept the 0; the ISO the
    # D70 used is the second number (ExifTool prints 200).
    assert record("exiftool+exiftool/t/images/NikonD70.jpg").iso == 200


def test_file_without_exif_gives_empty_record() -> None:
    rec = read_exif(CORPUS / "bigcat88+pillow_heif/tests/images/non_heif/RGB_8__29x100.png")
    assert (rec.width, rec.height) == (29, 100)
    assert rec.make is None
    assert rec.capture_time is None
    assert rec.orientation is None


def test_hostile_files_do_not_raise_unexpectedly() -> None:
    messages = []
    for rel in truth():
        if "poc" in rel or "crash" in rel:
            try:
                read_exif(CORPUS / rel)
            except (UnsupportedFormat, CorruptImage) as exc:
                messages.append(str(exc))
    assert messages  # BigTIFF and non-TIFF crash files are refused ...
    assert all(m and "\n" not in m for m in messages)  # ... with one-line reasons


def test_non_images(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(CorruptImage, match="empty"):
        read_exif(empty)
    text = tmp_path / "text.jpg"
    text.write_text("just text\n")
    with pytest.raises(UnsupportedFormat):
        read_exif(text)
