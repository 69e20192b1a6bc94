"""Camera JPEGs with an MPF "Large Thumbnail": the preview is decoded instead of the main image.

The files are built here with Pillow's MPO writer, which marks appended pictures as MP type 0
(undefined); cameras mark the preview 0x010002 (Full-HD equivalent) or 0x010001 (VGA), so the
test patches the type in the MP entry list. The main image and the preview differ in colour, so
every test can tell which one was decoded.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from photoq.pipeline.decode.images import decode_for_analysis

if TYPE_CHECKING:
    from pathlib import Path

    from photoq.pipeline.decode.common import DecodedImage

MAIN_RGB = (200, 40, 40)  # red
PREVIEW_RGB = (40, 180, 60)  # green
FULL_HD = 0x010002
VGA = 0x010001
DISPARITY = 0x020002  # the second view of a stereo pair: never a stand-in for the main image


def _entry_list(data: bytearray) -> tuple[int, str]:
    """Offset of the MP entry list (16 bytes per picture) and the index's byte order."""
    start = data.find(b"MPF\x00") + 4
    endian = "<" if data[start : start + 2] == b"II" else ">"
    ifd = start + struct.unpack_from(endian + "L", data, start + 4)[0]
    for i in range(struct.unpack_from(endian + "H", data, ifd)[0]):
        tag, _kind, _count, value = struct.unpack_from(endian + "HHLL", data, ifd + 2 + 12 * i)
        if tag == 0xB002:
            return start + value, endian
    msg = "no MP entry list"
    raise AssertionError(msg)


def write_mpf(
    path: Path,
    main_size: tuple[int, int] = (3000, 2000),
    preview_size: tuple[int, int] = (1536, 1024),
    *,
    orientation: int = 1,
    mp_type: int = FULL_HD,
    preview_bytes_claimed: int | None = None,
) -> Path:
    """A JPEG whose main image is red and whose MPF preview is green with a white top-left mark."""
    main = Image.new("RGB", main_size, MAIN_RGB)
    preview = Image.new("RGB", preview_size, PREVIEW_RGB)
    # The mark covers the stored top-left fifth of the preview: it shows where rotation put it.
    preview.paste((255, 255, 255), (0, 0, preview_size[0] // 5, preview_size[1] // 5))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    main.save(buf, "MPO", save_all=True, append_images=[preview], quality=90, exif=exif)
    data = bytearray(buf.getvalue())
    entries, endian = _entry_list(data)
    attribute = struct.unpack_from(endian + "L", data, entries + 16)[0]
    struct.pack_into(endian + "L", data, entries + 16, (attribute & 0xFF000000) | mp_type)
    if preview_bytes_claimed is not None:
        struct.pack_into(endian + "L", data, entries + 20, preview_bytes_claimed)
    path.write_bytes(bytes(data))
    return path


def centre_colour(result: DecodedImage) -> tuple[int, int, int]:
    h, w = result.pixels.shape[:2]
    r, g, b = (int(v) for v in result.pixels[h // 2, w // 2])
    return r, g, b


def is_close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(colour, expected, strict=True)) <= 8


@pytest.mark.parametrize("mp_type", [FULL_HD, VGA])
def test_large_thumbnail_is_decoded_instead_of_main_image(tmp_path: Path, mp_type: int) -> None:
    path = write_mpf(tmp_path / "cam.jpg", mp_type=mp_type)
    assert Image.open(path).format == "MPO"  # Pillow sees the index the way cameras write it
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg-mpf-preview"
    assert is_close(centre_colour(result), PREVIEW_RGB)
    # Size reported is the main image's; pixels are the preview brought to the analysis size.
    assert (result.width, result.height) == (3000, 2000)
    assert result.pixels.shape == (683, 1024, 3)
    assert result.format == "jpeg"


@pytest.mark.parametrize(
    ("orientation", "mark_at"),
    [(1, "top-left"), (3, "bottom-right"), (6, "top-right"), (8, "bottom-left")],
)
def test_main_image_orientation_is_applied_to_the_preview(
    tmp_path: Path, orientation: int, mark_at: str
) -> None:
    path = write_mpf(tmp_path / "cam.jpg", orientation=orientation)
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg-mpf-preview"
    turned = orientation in (6, 8)
    assert (result.width, result.height) == ((2000, 3000) if turned else (3000, 2000))
    assert result.pixels.shape == ((1024, 683, 3) if turned else (683, 1024, 3))
    px = result.pixels
    corners = {
        "top-left": px[5, 5],
        "top-right": px[5, -6],
        "bottom-left": px[-6, 5],
        "bottom-right": px[-6, -6],
    }
    for name, value in corners.items():
        colour = (int(value[0]), int(value[1]), int(value[2]))
        assert is_close(colour, (255, 255, 255) if name == mark_at else PREVIEW_RGB), name


def test_preview_smaller_than_requested_falls_back_to_draft(tmp_path: Path) -> None:
    path = write_mpf(tmp_path / "cam.jpg", preview_size=(960, 640))
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg-draft"
    assert is_close(centre_colour(result), MAIN_RGB)
    assert result.pixels.shape == (683, 1024, 3)


@pytest.mark.parametrize(
    ("preview_size", "mp_type"),
    [
        ((1920, 1080), FULL_HD),  # 16:9 preview of a 3:2 frame: cropped or letterboxed
        ((1536, 1024), 0),  # undefined type, as Pillow writes it
        ((1536, 1024), DISPARITY),  # another view, not a preview
    ],
)
def test_other_pictures_are_not_used(
    tmp_path: Path, preview_size: tuple[int, int], mp_type: int
) -> None:
    path = write_mpf(tmp_path / "cam.jpg", preview_size=preview_size, mp_type=mp_type)
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg-draft"
    assert is_close(centre_colour(result), MAIN_RGB)


def test_preview_claiming_bytes_past_the_end_is_ignored(tmp_path: Path) -> None:
    path = write_mpf(tmp_path / "cam.jpg", preview_bytes_claimed=50_000_000)
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg-draft"
    assert is_close(centre_colour(result), MAIN_RGB)


def test_preview_offset_past_the_end_is_ignored(tmp_path: Path) -> None:
    path = write_mpf(tmp_path / "cam.jpg")
    data = bytearray(path.read_bytes())
    entries, endian = _entry_list(data)
    struct.pack_into(endian + "L", data, entries + 24, len(data) * 2)  # DataOffset
    path.write_bytes(bytes(data))
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg-draft"
    assert is_close(centre_colour(result), MAIN_RGB)


def test_image_already_small_enough_decodes_main(tmp_path: Path) -> None:
    path = write_mpf(tmp_path / "cam.jpg", main_size=(900, 600), preview_size=(600, 400))
    result = decode_for_analysis(path, long_edge=1024)
    assert result.source == "jpeg"
    assert is_close(centre_colour(result), MAIN_RGB)
    assert result.pixels.shape == (600, 900, 3)
    assert np.array_equal(result.pixels[0, 0], result.pixels[-1, -1])
