"""photoq.pipeline.export.image: every exporter against one contract, plus templates and safety."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageCms, ImageOps

from photoq.pipeline.export.encoders import EXPORTERS, Exporter, get_exporter
from photoq.pipeline.export.errors import (
    ExportError,
    OutputExists,
    UnknownExportFormat,
    UnsafeTemplate,
)
from photoq.pipeline.export.image import export_image, fit_long_edge, to_bit_depth
from photoq.pipeline.export.template import TemplateFields
from photoq.pipeline.metadata.exif import read_exif

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
GPS_JPEG = "Exiv2+exiv2/test/data/FurnaceCreekInn.jpg"  # 400×300, Orientation 1, GPS
ROTATED_GPS_JPEG = "Exiv2+exiv2/test/data/exiv2-bug2565.jpg"  # iPhone, 4032×3024, Orientation 6

# Pillow's name for each exporter's files and the bits per channel it must store.
EXPECTED = {
    "jpeg": ("JPEG", 8),
    "webp": ("WEBP", 8),
    "png": ("PNG", 8),
    "tiff8": ("TIFF", 8),
    "tiff16": ("TIFF", 16),
}
EXIF_IFD, GPS_IFD, ORIENTATION, PIXEL_X, PIXEL_Y = 0x8769, 0x8825, 0x0112, 0xA002, 0xA003


def _corpus_file(rel: str) -> Path:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"corpus file {rel} is not available")
    truth = json.loads((CORPUS / "truth_exif.json").read_text())[rel]
    assert "GPSLatitude" in truth, f"{rel} was chosen for its GPS; truth_exif.json disagrees"
    return path


@pytest.fixture(scope="module")
def gps_photo() -> tuple[np.ndarray, bytes]:
    with Image.open(_corpus_file(GPS_JPEG)) as im:
        return np.asarray(im.convert("RGB")), im.info["exif"]


def _export(
    rgb: NDArray[np.uint8] | NDArray[np.uint16],
    dest: Path,
    fmt: str = "jpeg",
    *,
    long_edge: int | None = 200,
    quality: int = 90,
    template: str = "{stem}",
    fields: TemplateFields | None = None,
    exif_bytes: bytes | None = None,
    strip_gps: bool = False,
    overwrite: bool = False,
) -> Path:
    return export_image(
        rgb,
        dest,
        fmt=fmt,
        long_edge=long_edge,
        quality=quality,
        template=template,
        fields=TemplateFields("photo") if fields is None else fields,
        exif_bytes=exif_bytes,
        strip_gps=strip_gps,
        overwrite=overwrite,
    )


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("name", sorted(EXPORTERS))
class TestExporterContract:
    """What every registered exporter guarantees (Huey-style: one class, every backend)."""

    def test_registered_with_expectations(self, name):
        assert name in EXPECTED, f"add {name!r} to EXPECTED in this test module"
        assert isinstance(get_exporter(name), Exporter)

    def test_size_format_depth_and_srgb_profile(self, name, gps_photo, tmp_path):
        rgb, _ = gps_photo
        out = _export(rgb, tmp_path, name)
        pil_format, bits = EXPECTED[name]
        assert out.name == f"photo.{get_exporter(name).extension}"
        with Image.open(out) as im:
            assert im.format == pil_format
            assert im.size == (200, 150)  # long edge 200, aspect kept
            icc = im.info.get("icc_profile")
        assert icc, "no ICC profile embedded"
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
        assert profile.profile.xcolor_space.strip() == "RGB"
        pixels = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
        assert pixels is not None
        assert pixels.dtype == (np.uint16 if bits == 16 else np.uint8)
        assert pixels.shape == (150, 200, 3)

    def test_exif_kept_with_orientation_1_and_new_size(self, name, gps_photo, tmp_path):
        rgb, exif_bytes = gps_photo
        out = _export(rgb, tmp_path, name, exif_bytes=exif_bytes)
        with Image.open(out) as im:
            exif = im.getexif()
            sub = exif.get_ifd(EXIF_IFD)
        assert exif.get(ORIENTATION) == 1
        assert exif.get(0x010F) == "Canon"  # Make survives
        assert (sub.get(PIXEL_X), sub.get(PIXEL_Y)) == (200, 150)
        assert sub.get(0x9003) == "2008:05:08 09:54:28"  # DateTimeOriginal survives

    def test_gps_kept_unless_stripped(self, name, gps_photo, tmp_path):
        rgb, exif_bytes = gps_photo
        kept = _export(rgb, tmp_path / "kept", name, exif_bytes=exif_bytes)
        gone = _export(rgb, tmp_path / "gone", name, exif_bytes=exif_bytes, strip_gps=True)
        with Image.open(kept) as im:
            gps = im.getexif().get_ifd(GPS_IFD)
            assert gps.get(2) == (36.0, 26.0, 54.0)  # latitude 36°26'54" as in the original
        with Image.open(gone) as im:
            exif = im.getexif()
            assert GPS_IFD not in exif
            assert not exif.get_ifd(GPS_IFD)
            assert exif.get(0x0110) == "Canon PowerShot S5 IS"  # the rest is still there

    def test_sixteen_bit_input_keeps_its_precision(self, name, tmp_path):
        ramp = np.arange(64 * 64 * 3, dtype=np.uint16).reshape(64, 64, 3) * 5  # low bytes vary
        out = _export(ramp, tmp_path, name, long_edge=None, quality=100)
        read = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
        assert read is not None
        pixels = read[..., ::-1]
        if EXPECTED[name][1] == 16:
            np.testing.assert_array_equal(pixels, ramp)
        elif name in ("png", "tiff8"):  # lossless 8-bit: rounded, not truncated
            np.testing.assert_array_equal(pixels, to_bit_depth(ramp, 8))

    def test_failing_encoder_leaves_no_file(self, name, gps_photo, tmp_path, monkeypatch):
        def broken(self, rgb, fh, **kw):
            fh.write(b"half an image")
            msg = "encoder crashed"
            raise RuntimeError(msg)

        monkeypatch.setattr(EXPORTERS[name], "encode", broken)
        with pytest.raises(RuntimeError, match="encoder crashed"):
            _export(gps_photo[0], tmp_path, name)
        assert _listing(tmp_path) == []

    def test_success_leaves_only_the_output(self, name, gps_photo, tmp_path):
        out = _export(gps_photo[0], tmp_path, name, template="{date:%Y}/{stem}")
        assert _listing(tmp_path) == ["undated", str(out.relative_to(tmp_path))]


@pytest.mark.parametrize("name", sorted(n for n, c in EXPORTERS.items() if c.uses_quality))
def test_quality_changes_lossy_output(name, gps_photo, tmp_path):
    low = _export(gps_photo[0], tmp_path, name, quality=30, template="low")
    high = _export(gps_photo[0], tmp_path, name, quality=95, template="high")
    assert low.stat().st_size < high.stat().st_size * 0.7


def test_orientation_applied_pixels_get_orientation_1(tmp_path):
    with Image.open(_corpus_file(ROTATED_GPS_JPEG)) as im:
        assert im.getexif().get(ORIENTATION) == 6
        exif_bytes = im.info["exif"]
        im.draft("RGB", (1008, 756))  # DCT-domain 1/4 decode keeps the test fast
        upright = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    assert upright.shape[0] > upright.shape[1]  # portrait once turned
    out = _export(upright, tmp_path, exif_bytes=exif_bytes, long_edge=400, strip_gps=True)
    with Image.open(out) as im:
        exif = im.getexif()
        assert im.size == (300, 400)
        sub, gps = exif.get_ifd(EXIF_IFD), exif.get_ifd(GPS_IFD)
    assert exif.get(ORIENTATION) == 1
    assert (sub[PIXEL_X], sub[PIXEL_Y]) == (300, 400)
    assert not gps


def test_existing_file_is_not_overwritten(gps_photo, tmp_path):
    first = _export(gps_photo[0], tmp_path, quality=50)
    before = first.read_bytes()
    with pytest.raises(OutputExists, match="--overwrite") as err:
        _export(gps_photo[0], tmp_path, quality=95)
    assert isinstance(err.value, FileExistsError)
    assert str(first) in str(err.value)
    assert first.read_bytes() == before
    assert _listing(tmp_path) == ["photo.jpg"]
    again = _export(gps_photo[0], tmp_path, quality=95, overwrite=True)
    assert again == first
    assert again.read_bytes() != before


@pytest.mark.parametrize(
    ("template", "fields"),
    [
        ("../escaped", TemplateFields("p")),
        ("/tmp/escaped", TemplateFields("p")),
        ("sub/../../escaped", TemplateFields("p")),
        ("{stem}/../../escaped", TemplateFields("p")),
        ("{date:..}/{stem}", TemplateFields("p", date=dt.datetime(2024, 1, 2))),
        ("sub\\..\\..\\escaped", TemplateFields("p")),
        ("{stem.__class__}", TemplateFields("p")),
        ("{stem[0]}", TemplateFields("p")),
        ("{nope}", TemplateFields("p")),
        ("{seq:99999999d}", TemplateFields("p")),
        ("{stem", TemplateFields("p")),
        ("{stem}/", TemplateFields("p")),
        ("", TemplateFields("p")),
    ],
)
def test_unsafe_template_rejected_before_writing(template, fields, tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(UnsafeTemplate):
        _export(np.zeros((4, 4, 3), np.uint8), dest, template=template, fields=fields)
    assert _listing(tmp_path) == []


def test_symlinked_subfolder_leading_outside_is_rejected(tmp_path):
    dest, outside = tmp_path / "out", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "link").symlink_to(outside)
    with pytest.raises(UnsafeTemplate, match="leaves"):
        _export(np.zeros((4, 4, 3), np.uint8), dest, template="link/{stem}")
    assert _listing(outside) == []


def test_field_values_cannot_add_folders(tmp_path):
    fields = TemplateFields("p", preset="../../evil", context="a/b")
    out = _export(np.zeros((4, 4, 3), np.uint8), tmp_path, template="{preset}-{context}")
    assert out.parent == tmp_path.resolve()
    fields_out = _export(
        np.zeros((4, 4, 3), np.uint8), tmp_path, template="{preset}-{context}", fields=fields
    )
    assert fields_out == tmp_path.resolve() / ".._.._evil-a_b.jpg"


def test_stem_that_is_not_utf8_keeps_its_bytes(tmp_path):
    """{stem} of b"caf\\xe9.jpg" (os.walk gives it with a surrogate) names the export with
    the same bytes; the 255-byte limit counts those bytes; control characters become "_"."""
    stem = os.fsdecode(b"caf\xe9\n\x1b[1m")
    out = _export(np.zeros((4, 4, 3), np.uint8), tmp_path, fields=TemplateFields(stem))
    assert os.fsencode(out.name) == b"caf\xe9__[1m.jpg"
    assert os.listdir(os.fsencode(tmp_path)) == [b"caf\xe9__[1m.jpg"]
    with pytest.raises(UnsafeTemplate, match="255 bytes"):
        _export(np.zeros((4, 4, 3), np.uint8), tmp_path, fields=TemplateFields("\udce9" * 252))


def test_template_fields_render(tmp_path):
    exif = read_exif(_corpus_file(GPS_JPEG))
    fields = TemplateFields.for_photo(
        Path("/photos/IMG_0042.CR2"), exif, seq=7, rating=4, context="landscape", preset="vivid"
    )
    template = "{date:%Y}/{date:%Y%m%d}_{seq:04d}_{stem}_{rating}_{context}_{preset}_{seq}"
    out = _export(np.zeros((4, 4, 3), np.uint8), tmp_path, "webp", template=template, fields=fields)
    assert out == tmp_path.resolve() / "2008" / "20080508_0007_IMG_0042_4_landscape_vivid_7.webp"
    bare = _export(
        np.zeros((4, 4, 3), np.uint8), tmp_path, "png", template="{date}_{rating}_{context}"
    )
    assert bare.name == "undated_0_none.png"
    dated = TemplateFields("x", date=dt.date(2024, 3, 9))
    plain = _export(np.zeros((4, 4, 3), np.uint8), tmp_path, template="{date}", fields=dated)
    assert plain.name == "2024-03-09.jpg"


def test_unknown_format_lists_choices_and_aliases_work(tmp_path):
    with pytest.raises(UnknownExportFormat, match="jpeg, png, tiff16, tiff8, webp"):
        get_exporter("gif")
    assert get_exporter("JPG").name == "jpeg"
    assert get_exporter("tif").name == "tiff8"
    assert _export(np.zeros((4, 4, 3), np.uint8), tmp_path, "tif").suffix == ".tif"


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"quality": 0}, (4, 4, 3)),
        ({"quality": 101}, (4, 4, 3)),
        ({"long_edge": 0}, (4, 4, 3)),
        ({}, (4, 4)),
        ({}, (0, 4, 3)),
    ],
)
def test_bad_arguments_are_export_errors(kwargs, shape, tmp_path):
    with pytest.raises(ExportError):
        _export(np.zeros(shape, np.uint8), tmp_path, **kwargs)
    assert _listing(tmp_path) == []


def test_fit_long_edge_shrinks_only():
    portrait = np.zeros((3000, 2000, 3), np.uint8)
    assert fit_long_edge(portrait, 1500).shape == (1500, 1000, 3)
    assert fit_long_edge(portrait, 4000) is portrait  # never enlarged
    assert fit_long_edge(portrait, None) is portrait
    assert fit_long_edge(np.zeros((1, 5000, 3), np.uint16), 100).shape == (1, 100, 3)


def test_bit_depth_conversion_is_exact_and_rounded():
    values = np.array([[[0, 128, 129], [257, 65406, 65407], [65535, 1, 2]]], np.uint16)
    assert to_bit_depth(values, 8).tolist() == [[[0, 0, 1], [1, 254, 255], [255, 0, 0]]]
    eight = np.array([[[0, 1, 255]]], np.uint8)
    assert to_bit_depth(eight, 16).tolist() == [[[0, 257, 65535]]]


def test_new_file_gets_normal_permissions(tmp_path):
    out = _export(np.zeros((4, 4, 3), np.uint8), tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_unencodable_exif_is_an_export_error_and_leaves_nothing(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[EXIF_IFD] = {0x9286: b"ASCII\0\0\0" + b"x" * 70_000}  # over JPEG's 64 KiB APP1
    with pytest.raises(ExportError, match="EXIF data is too long"):
        _export(np.zeros((8, 8, 3), np.uint8), tmp_path, exif_bytes=exif.tobytes())
    assert _listing(tmp_path) == []


def test_unreadable_exif_is_dropped_not_fatal(tmp_path):
    out = _export(np.zeros((8, 8, 3), np.uint8), tmp_path, exif_bytes=b"MM\x00*garbage")
    with Image.open(out) as im:
        assert not im.getexif()
