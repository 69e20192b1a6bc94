"""Full-size JPEG decoding through OpenCV and JPEG metadata segments, checked against Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from photoq.pipeline.decode import decode_for_analysis, decode_for_develop
from photoq.pipeline.exporters import get_exporter
from photoq.pipeline.jpeg_segments import with_metadata
from tests.conftest import CORPUS

ORIENTED = CORPUS / "recurser+exif-orientation-examples"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_full_size_develop_decode_equals_pillows(orientation: int) -> None:
    path = ORIENTED / f"Portrait_{orientation}.jpg"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    fast = decode_for_develop(path, long_edge=1 << 30)
    reference = decode_for_analysis(path, long_edge=1 << 30)  # Pillow, then transposed
    assert fast.source == "jpeg-opencv"
    assert (fast.width, fast.height) == (reference.width, reference.height)
    np.testing.assert_array_equal(fast.pixels, reference.pixels)


def test_a_reduced_develop_decode_stays_on_pillow(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    Image.new("RGB", (800, 600), (10, 20, 30)).save(path, quality=90)
    assert decode_for_develop(path, long_edge=200).source == "jpeg-draft"
    Image.new("L", (80, 60), 7).save(path)  # greyscale: Pillow's path as well
    assert decode_for_develop(path, long_edge=1 << 30).source == "jpeg"


def _encode(quality: int, icc: bytes | None, exif: Image.Exif | None) -> bytes:
    rgb = (np.random.default_rng(1).random((120, 160, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    get_exporter("jpeg").encode(rgb, buf, quality=quality, icc=icc, exif=exif)
    return buf.getvalue()


def test_jpeg_export_keeps_exif_icc_and_chroma_choice() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    big_icc = bytes(range(256)) * 400  # 102 kB: two APP2 chunks
    for quality, icc, sampling in ((90, b"small profile", 0), (80, big_icc, 2)):
        data = _encode(quality, icc, exif)
        assert data[2:4] == b"\xff\xe0"  # JFIF stays the first segment
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            assert im.size == (160, 120)
            assert im.info["icc_profile"] == icc
            assert im.getexif()[0x010F] == "Canon"
            assert JpegImagePlugin.get_sampling(im) == sampling  # 4:4:4 from q90, else 4:2:0


def test_segments_are_refused_when_they_cannot_fit() -> None:
    plain = _encode(90, None, None)
    with pytest.raises(ValueError, match="EXIF data is too long"):
        with_metadata(plain, exif=b"Exif\x00\x00" + bytes(70_000), icc=None)
    with pytest.raises(ValueError, match="not a JPEG"):
        with_metadata(b"PNG", exif=None, icc=None)
    assert with_metadata(plain, exif=None, icc=None) == plain
