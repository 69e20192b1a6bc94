"""Full-size JPEG decoding through OpenCV and JPEG metadata segments, checked against Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from photoq.pipeline.decode.images import decode_for_analysis, decode_for_develop
from photoq.pipeline.decode.jpeg import decode_in_bands
from photoq.pipeline.export.encoders import get_exporter
from photoq.pipeline.export.jpeg_encode import encode_jpeg
from photoq.pipeline.export.jpeg_segments import with_metadata
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


def _photo_like(height: int, width: int) -> np.ndarray:
    """Smooth gradients plus grain: both kinds of content a camera JPEG holds."""
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], -1)
    grain = np.random.default_rng(7).integers(-20, 21, (height, width, 3))
    return np.clip(base + grain, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("full_chroma", [True, False])
def test_banded_encode_is_the_one_piece_encode_byte_for_byte(
    full_chroma: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rgb = _photo_like(1701, 2403)  # odd sizes: the last band and the right edge are partial
    whole = encode_jpeg(rgb, quality=90, full_chroma=full_chroma, bands=1)
    bands: list[tuple[int, ...]] = []
    imencode = cv2.imencode

    def counting(ext: str, img: np.ndarray, params: list[int]) -> tuple[bool, np.ndarray]:
        bands.append(img.shape)
        return imencode(ext, img, params)

    monkeypatch.setattr(cv2, "imencode", counting)
    banded = encode_jpeg(rgb, quality=90, full_chroma=full_chroma, bands=3)
    mcu = 8 if full_chroma else 16
    assert len(bands) == 3  # really three encodes (finishing in any order), cut on MCU rows
    assert sum(shape[0] % mcu != 0 for shape in bands) == 1  # only the last band is partial
    assert sum(shape[0] for shape in bands) == 1701
    assert banded == whole  # the join is exactly libjpeg's own stream with restart markers
    numbers = [banded[i + 1] - 0xD0 for i in range(len(banded) - 1)
               if banded[i] == 0xFF and 0xD0 <= banded[i + 1] <= 0xD7]  # fmt: skip
    assert numbers == [n % 8 for n in range(-(-1701 // mcu) - 1)]  # one per MCU row
    for decoded in (_pillow_pixels(banded), _opencv_pixels(banded)[..., ::-1]):
        assert decoded.shape == rgb.shape
        assert np.abs(decoded.astype(int) - rgb).mean() < 12  # and it is the picture (±20 grain)


def _pillow_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _opencv_pixels(data: bytes) -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None
    return pixels


def test_small_pictures_are_encoded_in_one_piece() -> None:
    rgb = _photo_like(100, 150)
    assert encode_jpeg(rgb, quality=80, full_chroma=False, bands=4) == encode_jpeg(
        rgb, quality=80, full_chroma=False, bands=1
    )


NIKON = CORPUS / "hdkai+Raw-IO/test/media/align/1.jpg"  # 7360×4912, a restart marker per row


def _whole(data: bytes) -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB)
    assert pixels is not None
    return pixels


@pytest.mark.parametrize("bands", [2, 3])
def test_a_camera_file_with_restart_markers_decodes_in_bands_to_the_same_pixels(bands):
    if not NIKON.exists():
        pytest.skip(f"{NIKON} is not present")
    data = NIKON.read_bytes()
    banded = decode_in_bands(data, bands=bands)
    assert banded is not None
    np.testing.assert_array_equal(banded, _whole(data))  # 4:2:0: chroma seams included


@pytest.mark.parametrize("full_chroma", [True, False])
def test_photoqs_own_exports_decode_in_bands_to_the_same_pixels(full_chroma: bool) -> None:
    data = encode_jpeg(_photo_like(1701, 2403), quality=85, full_chroma=full_chroma, bands=1)
    banded = decode_in_bands(data, bands=2)
    assert banded is not None
    np.testing.assert_array_equal(banded, _whole(data))


def test_the_develop_decode_takes_the_banded_path_and_matches_pillow(monkeypatch, tmp_path):
    data = encode_jpeg(_photo_like(1701, 2403), quality=90, full_chroma=False, bands=1)
    path = tmp_path / "export.jpg"
    path.write_bytes(data)
    monkeypatch.setattr(cv2, "getNumThreads", lambda: 2)
    fast = decode_for_develop(path, long_edge=1 << 30)
    assert fast.source == "jpeg-opencv-bands"
    np.testing.assert_array_equal(fast.pixels, decode_for_analysis(path, long_edge=1 << 30).pixels)


def test_files_that_cannot_be_cut_are_decoded_whole() -> None:
    rgb = _photo_like(1701, 2403)
    _, plain = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert decode_in_bands(plain.tobytes(), bands=2) is None  # no restart markers
    _, two_rows = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_RST_INTERVAL, 2 * 151])
    assert decode_in_bands(two_rows.tobytes(), bands=2) is None  # not one per block row
    data = encode_jpeg(rgb, quality=90, full_chroma=False, bands=1)
    assert decode_in_bands(data, bands=1) is None  # one core: nothing to gain
    assert decode_in_bands(data[: len(data) // 2], bands=2) is None  # truncated: no EOI
    marker = data.index(b"\xff\xd3", data.index(b"\xff\xda"))  # in the scan
    damaged = data[:marker] + b"\xff\x00" + data[marker + 2 :]  # one marker lost
    assert decode_in_bands(damaged, bands=2) is None
    small = encode_jpeg(_photo_like(300, 400), quality=90, full_chroma=False, bands=1)
    assert decode_in_bands(small, bands=2) is None  # under a megapixel a band costs more
