"""photoq.pipeline.decode.images on real corpus files and on hostile inputs made in tmp_path."""

from __future__ import annotations

import json
import struct
import time
import zlib
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photoq.errors import CorruptImage, ImageTooLarge, PermanentError, UnsupportedFormat
from photoq.pipeline.decode.images import DecodedImage, decode_for_analysis

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
ORIENT = "recurser+exif-orientation-examples"


@cache
def truth(name: str) -> dict[str, dict[str, object]]:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("real-photo corpus not available")
    data: dict[str, dict[str, object]] = json.loads(path.read_text())
    return data


def corpus_file(rel: str) -> Path:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip("real-photo corpus not available")
    return path


def dhash64(pixels: np.ndarray) -> int:
    """The corpus' dHash: 9×8 Lanczos grey copy; bit set where the right pixel is brighter."""
    grey = np.asarray(
        Image.fromarray(pixels).convert("L").resize((9, 8), Image.Resampling.LANCZOS), np.int16
    )
    value = 0
    for bit in (grey[:, 1:] > grey[:, :-1]).flatten():
        value = (value << 1) | int(bit)
    return value


def assert_matches_truth(rel: str, result: DecodedImage) -> None:
    expected = truth("truth_decode.json")[rel]
    assert [result.width, result.height] == expected["display_size"]
    h, w, channels = result.pixels.shape
    assert channels == 3
    assert result.pixels.dtype == np.uint8
    # The analysis copy has the displayed aspect: landscape stays landscape, portrait portrait.
    assert (w >= h) == (result.width >= result.height)
    distance = bin(dhash64(result.pixels) ^ int(str(expected["dhash64"]), 16)).count("1")
    assert distance <= 6, (
        f"{rel}: picture differs from the displayed truth (dHash distance {distance})"
    )


@pytest.mark.parametrize("kind", ["Landscape", "Portrait"])
@pytest.mark.parametrize("orientation", range(9))
def test_exif_orientation_gives_displayed_picture(kind: str, orientation: int) -> None:
    rel = f"{ORIENT}/{kind}_{orientation}.jpg"
    result = decode_for_analysis(corpus_file(rel))
    assert result.format == "jpeg"
    assert max(result.pixels.shape[:2]) == 1536  # 1800 px source: shrunk, not upscaled
    assert_matches_truth(rel, result)


@pytest.mark.parametrize(
    "rel",
    [
        "Exiv2+exiv2/test/data/2021-02-13-1929.heic",  # iPhone: irot + EXIF Orientation=6
        "bigcat88+pillow_heif/tests/images/heif_other/arrow.heic",
        "Exiv2+exiv2/test/data/issue_9292_sony_6_right_top.HIF",
        "Exiv2+exiv2/test/data/Stonehenge.heic",
    ],
)
def test_heif_rotation_is_applied_once(rel: str) -> None:
    result = decode_for_analysis(corpus_file(rel))
    assert result.format == "heif"
    assert result.source.startswith("heif")
    assert_matches_truth(rel, result)


def test_large_jpeg_uses_dct_downscale_and_keeps_full_size() -> None:
    rel = "hdkai+Raw-IO/test/media/align/1.jpg"
    result = decode_for_analysis(corpus_file(rel))
    assert result.source == "jpeg-draft"
    assert (result.width, result.height) == (7360, 4912)
    assert result.pixels.shape == (1025, 1536, 3)
    assert result.pixels.flags.c_contiguous
    assert_matches_truth(rel, result)


def test_small_image_is_not_upscaled() -> None:
    rel = "Exiv2+exiv2/test/data/exiv2-bug1026.jpg"
    result = decode_for_analysis(corpus_file(rel))
    assert result.pixels.shape == (142, 214, 3)
    assert_matches_truth(rel, result)


@pytest.mark.parametrize(
    "rel",
    [
        "bigcat88+pillow_heif/tests/images/non_heif/RGB_16__128x128.png",
        "bigcat88+pillow_heif/tests/images/non_heif/L_16__128x128.png",
        "bigcat88+pillow_heif/tests/images/non_heif/RGBA_8__29x100.png",
        "bigcat88+pillow_heif/tests/images/non_heif/xmp.webp",
        "Exiv2+exiv2/test/data/Reagan.tiff",
        "Exiv2+exiv2/test/data/avif.avif",
    ],
)
def test_other_formats_decode_like_pillow(rel: str) -> None:
    assert_matches_truth(rel, decode_for_analysis(corpus_file(rel)))


def test_dng_is_decoded_by_libraw_and_rotated() -> None:
    rel = "Exiv2+exiv2/test/data/IMG_1361.dng"
    result = decode_for_analysis(corpus_file(rel), long_edge=1024)
    raw = truth("truth_decode.json")[rel]
    sizes = raw["raw_sizes"]
    assert isinstance(sizes, dict)
    assert sizes["flip"] == 6
    # flip 6 turns the stored 4032×3024 into a 3024×4032 portrait.
    assert (result.width, result.height) == (sizes["height"], sizes["width"])
    assert result.pixels.shape == (1024, 768, 3)
    assert result.source == "raw-demosaic-half"
    assert result.format == "dng"


def test_mislabelled_dng_jpeg_decodes_as_jpeg() -> None:
    rel = "Exiv2+exiv2/test/data/exiv2-bug855.jpg"
    result = decode_for_analysis(corpus_file(rel))
    assert result.format == "jpeg"
    assert_matches_truth(rel, result)


def _undecodable() -> list[str]:
    path = CORPUS / "truth_bad_inputs.json"
    if not path.exists():
        return []
    files: dict[str, dict[str, list[str]]] = json.loads(path.read_text())["files"]
    return sorted(
        rel
        for rel, info in files.items()
        if {"pixel_decode_failed", "raw_decode_failed"} & set(info["classes"])
    )


@pytest.mark.parametrize("rel", _undecodable())
def test_undecodable_files_fail_cleanly(rel: str) -> None:
    start = time.monotonic()
    with pytest.raises(PermanentError) as info:
        decode_for_analysis(corpus_file(rel))
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert message.strip()
    assert "\n" not in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(CorruptImage, match=r"empty \(0 bytes\)"):
        decode_for_analysis(path)


def test_text_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("This is not a photo, just some notes about the shoot.\n" * 3)
    with pytest.raises(UnsupportedFormat, match="text"):
        decode_for_analysis(path)


def test_png_named_jpg_still_decodes(tmp_path: Path) -> None:
    source = corpus_file("bigcat88+pillow_heif/tests/images/non_heif/RGB_8__29x100.png")
    path = tmp_path / "really_a_png.jpg"
    path.write_bytes(source.read_bytes())
    result = decode_for_analysis(path)
    assert result.format == "png"
    assert (result.width, result.height) == (29, 100)


def test_jpeg_cut_in_half_is_corrupt(tmp_path: Path) -> None:
    data = corpus_file(f"{ORIENT}/Landscape_3.jpg").read_bytes()
    path = tmp_path / "half.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptImage, match="truncated JPEG") as info:
        decode_for_analysis(path)
    assert f"{len(data) // 2:,}" in str(info.value)


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    idat = zlib.compress(b"\x00" * 64)
    idat_chunk = struct.pack(">I", len(idat)) + b"IDAT" + idat
    idat_crc = struct.pack(">I", zlib.crc32(b"IDAT" + idat) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk + crc + idat_chunk + idat_crc


def test_decompression_bomb_refused_from_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(40_000, 40_000))
    start = time.monotonic()
    with pytest.raises(ImageTooLarge, match=r"40000×40000 = 1,600 MP, over the 250 MP limit"):
        decode_for_analysis(path)
    assert time.monotonic() - start < 1


def test_pixel_limit_is_configurable() -> None:
    with pytest.raises(ImageTooLarge, match="over the 1 MP limit"):
        decode_for_analysis(corpus_file(f"{ORIENT}/Landscape_1.jpg"), max_pixels=1_000_000)


def test_raw_develop_decode_is_full_size_with_camera_white_balance() -> None:
    from photoq.pipeline.decode.images import decode_for_develop

    dng = CORPUS / "Exiv2+exiv2/test/data/IMG_1361.dng"
    if not dng.exists():
        pytest.skip("corpus DNG absent")
    full = decode_for_develop(dng, long_edge=1 << 30)
    assert full.source == "raw-demosaic-full"
    assert full.pixels.shape == (4032, 3024, 3)  # flip 6 applied: displayed portrait
    assert (full.width, full.height) == (3024, 4032)
    half = decode_for_develop(dng, long_edge=1500)
    assert half.source == "raw-demosaic-half"
    assert max(half.pixels.shape[:2]) == 1500
