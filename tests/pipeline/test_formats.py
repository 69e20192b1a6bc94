"""photoq.pipeline.formats: extensions and content sniffing on real corpus files."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoq.pipeline.formats import (
    PHOTO_EXTENSIONS,
    RAW_EXTENSIONS,
    is_photo_path,
    sniff_file,
    sniff_format,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def corpus_file(rel: str) -> Path:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip("real-photo corpus not available")
    return path


def test_extension_sets() -> None:
    for ext in (".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".hif", ".avif", ".tif", ".png"):
        assert ext in PHOTO_EXTENSIONS
    for ext in (".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".x3f", ".mos"):
        assert ext in RAW_EXTENSIONS
        assert ext in PHOTO_EXTENSIONS
    assert ".jpg" not in RAW_EXTENSIONS
    assert ".txt" not in PHOTO_EXTENSIONS
    assert all(e == e.lower() and e.startswith(".") for e in PHOTO_EXTENSIONS)
    assert is_photo_path(Path("IMG_0001.JPG"))
    assert is_photo_path(Path("a/b/DSC_1.NEF"))
    assert not is_photo_path(Path("notes.xmp"))


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("recurser+exif-orientation-examples/Landscape_1.jpg", "jpeg"),
        ("bigcat88+pillow_heif/tests/images/non_heif/RGB_8__29x100.png", "png"),
        ("bigcat88+pillow_heif/tests/images/non_heif/xmp.webp", "webp"),
        ("Exiv2+exiv2/test/data/Reagan.tiff", "tiff"),
        ("Exiv2+exiv2/test/data/IMG_1361.dng", "tiff"),
        ("Exiv2+exiv2/test/data/2021-02-13-1929.heic", "heif"),
        ("Exiv2+exiv2/test/data/Sony.HIF", "heif"),
        ("Exiv2+exiv2/test/data/avif.avif", "avif"),
        ("Exiv2+exiv2/test/data/Canon-R6-pruned.CR3", "cr3"),
        ("exiftool+exiftool/t/images/CanonRaw.cr2", "cr2"),
        ("exiftool+exiftool/t/images/CanonRaw.crw", "crw"),
        ("exiftool+exiftool/t/images/FujiFilm.raf", "raf"),
        ("exiftool+exiftool/t/images/Panasonic.rw2", "rw2"),
        ("exiftool+exiftool/t/images/Minolta.mrw", "mrw"),
        ("exiftool+exiftool/t/images/Sigma.x3f", "x3f"),
        # ExifTool calls this DNG (its EXIF says so) but the container is a JPEG.
        ("Exiv2+exiv2/test/data/exiv2-bug855.jpg", "jpeg"),
    ],
)
def test_sniff_real_files(rel: str, expected: str) -> None:
    assert sniff_file(corpus_file(rel)) == expected


def test_sniff_rejects_non_images() -> None:
    assert sniff_format(b"") is None
    assert sniff_format(b"\xff\xd8") is None  # too short to be sure
    assert sniff_format(b"hello, this is a text file\n") is None
    assert sniff_format(b"PK\x03\x04" + b"\x00" * 40) is None
    # BigTIFF ("II+") is not read by photoq's decoders: it must not pass for TIFF.
    assert sniff_format(b"II+\x00\x08\x00\x00\x00" + b"\x00" * 8) is None


def test_sniff_synthetic_headers() -> None:
    assert sniff_format(b"\xff\xd8\xff\xe1\x00\x10Exif") == "jpeg"
    assert sniff_format(b"\x89PNG\r\n\x1a\n\x00\x00") == "png"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_format(b"IIRO\x08\x00\x00\x00") == "orf"
    assert sniff_format(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") == "heif"
    assert sniff_format(b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom") == "cr3"
    assert sniff_format(b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2mp41") is None
