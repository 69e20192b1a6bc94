"""Hostile files (issue #14): FIFOs, devices, symlinked sidecars, 16-bit bombs and junk behind a
JPEG header are refused at once, in bounded time and memory, with a reason."""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from photoq.errors import CorruptImage, ImageTooLarge, PermanentError
from photoq.pipeline.decode import decode_for_analysis
from photoq.pipeline.export import write_sidecar
from photoq.pipeline.export.errors import SidecarError
from photoq.pipeline.hashes.content import content_hash
from photoq.pipeline.metadata.exif import read_exif

SIDE = 15_800  # 249.6 MP: under the pixel limit, 3.5 GB to decode as 16-bit grey


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png16(width: int, height: int) -> bytes:
    """A valid 16-bit greyscale PNG of zeros (2 MB at 15,800 x 15,800, fast compression),
    built row block by row block so that making it never holds the pixels."""
    row = b"\0" * (1 + 2 * width)
    rows_per_block = max(1, (4 << 20) // len(row))
    z, parts, left = zlib.compressobj(1), [], height
    while left:
        n = min(left, rows_per_block)
        parts.append(z.compress(row * n))
        left -= n
    parts.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def png16(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "huge16.png"
    path.write_bytes(_png16(SIDE, SIDE))
    return path


def _measured(call: Callable[[], object]) -> tuple[BaseException | None, float, int]:
    """Run ``call``; what it raised, the seconds it took and the peak memory it allocated."""
    tracemalloc.start()
    start = time.perf_counter()
    raised: BaseException | None = None
    try:
        call()
    except Exception as exc:  # returned to the test
        raised = exc
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return raised, elapsed, peak


@pytest.mark.timeout(120)
def test_a_16_bit_png_is_refused_by_its_bytes_from_the_header(png16: Path) -> None:
    assert png16.stat().st_size < 3 << 20  # a few MB on disk, 500 MB of 16-bit samples
    with Image.open(png16) as probe:
        assert (probe.size, probe.mode) == ((SIDE, SIDE), "I;16")
    raised, elapsed, peak = _measured(lambda: decode_for_analysis(png16))
    assert isinstance(raised, ImageTooLarge), raised
    assert "GB" in str(raised)
    assert "bytes" in str(raised)
    assert elapsed < 1.0
    assert peak < 50 << 20  # tracemalloc sees NumPy's and Pillow's allocations too


def test_an_8_bit_image_of_the_same_size_passes_the_byte_budget() -> None:
    from photoq.pipeline.decode.common import (
        DEFAULT_MAX_DECODE_BYTES,
        DEFAULT_MAX_PIXELS,
        check_pixels,
        decode_bytes,
    )

    check_pixels(SIDE, SIDE, DEFAULT_MAX_PIXELS, mode="RGB")  # 1 GB: a big photo, allowed
    assert decode_bytes(SIDE, SIDE, "I;16") > DEFAULT_MAX_DECODE_BYTES
    with pytest.raises(ImageTooLarge, match=r"over the 0\.1 GB limit"):
        check_pixels(8000, 6000, DEFAULT_MAX_PIXELS, mode="RGB", max_bytes=100_000_000)


@pytest.fixture
def sparse_jpeg(tmp_path: Path) -> Iterator[Path]:
    """A JPEG header (SOI, an APP1 saying 8 KB) and then 2 GB of zeros; costs no disk."""
    header = b"\xff\xd8\xff\xe1" + struct.pack(">H", 0x2000) + b"Exif\0\0" + b"\0" * 54
    path = tmp_path / "junk.jpg"
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(2 << 30)
    yield path
    path.unlink()


@pytest.mark.timeout(120)
def test_junk_behind_a_jpeg_header_is_corrupt_in_bounded_time(sparse_jpeg: Path) -> None:
    raised, elapsed, peak = _measured(lambda: decode_for_analysis(sparse_jpeg))
    assert isinstance(raised, CorruptImage), raised
    assert "JPEG" in str(raised)
    assert elapsed < 10
    assert peak < 50 << 20
    start = time.perf_counter()
    read_exif(sparse_jpeg)  # EXIF reading maps the file, reads only the header
    assert time.perf_counter() - start < 10


def _writer_never_comes(path: Path) -> Callable[[], None]:
    """Unblock a reader that did open the FIFO anyway, so a failing test ends."""

    def release() -> None:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)

    return release


@pytest.mark.timeout(60)
@pytest.mark.parametrize("reader", [decode_for_analysis, read_exif, content_hash])
def test_a_fifo_swapped_in_is_refused_at_once(tmp_path: Path, reader: Callable) -> None:  # type: ignore[type-arg]
    path = tmp_path / "swapped.jpg"
    os.mkfifo(path)
    rescue = threading.Timer(20, lambda: _try(_writer_never_comes(path)))
    rescue.start()
    try:
        raised, elapsed, _ = _measured(lambda: reader(path))
    finally:
        rescue.cancel()
    assert isinstance(raised, PermanentError), raised  # not retried: it will not change
    assert "FIFO" in str(raised)
    assert elapsed < 1.0


def _try(call: Callable[[], None]) -> None:
    with contextlib.suppress(OSError):
        call()


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "elsewhere.xmp"])
def test_a_sidecar_that_is_a_symlink_is_refused_and_left_alone(tmp_path: Path, target: str) -> None:
    original = tmp_path / "IMG_1.jpg"
    original.write_bytes(b"jpeg")
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    elif target == "elsewhere.xmp":
        (tmp_path / target).write_bytes(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    link = tmp_path / "IMG_1.xmp"
    link.symlink_to(target)
    start = time.perf_counter()
    with pytest.raises(SidecarError, match="symlink"):
        write_sidecar(original, rating=3, label=None, pick=True, develop_settings=None)
    assert time.perf_counter() - start < 1.0
    assert os.readlink(link) == target
    if target == "elsewhere.xmp":
        assert (tmp_path / target).read_bytes() == b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"


def test_a_fifo_or_oversized_sidecar_is_refused(tmp_path: Path) -> None:
    from photoq.pipeline.export.sidecar import MAX_SIDECAR_BYTES

    for name, make in (
        ("fifo", lambda p: os.mkfifo(p)),
        ("big", lambda p: p.write_bytes(b" " * (MAX_SIDECAR_BYTES + 1))),
    ):
        original = tmp_path / f"{name}.jpg"
        original.write_bytes(b"jpeg")
        make(tmp_path / f"{name}.xmp")
        start = time.perf_counter()
        with pytest.raises(SidecarError, match=r"FIFO|more than"):
            write_sidecar(original, rating=3, label=None, pick=True, develop_settings=None)
        assert time.perf_counter() - start < 1.0
