"""Every band-parallel path at every band count gives exactly the one-band result.

The band count follows OpenCV's thread count (``cv2.setNumThreads``, ``OPENCV_FOR_THREADS_NUM``),
a setting and not the machine's cores: a 2-core box can be told to run 16 threads. So each path
(JPEG encode: file bytes; banded JPEG decode and develop: pixels) is run here at 1, 2, 3, 4, 8
and 16 threads, on landscape and portrait pictures from 0.3 to 61 MP, and compared with the
result at one thread. The sizes include the cases users hit: a 6000×4000 portrait at q ≥ 90
(4:4:4: 750 MCU rows, so the second band's restart markers start at 375) and 61 MP
(9568×6376) frames; sizes that are no multiple of the MCU; and 4:4:4 and 4:2:0.

Each picture is made once per module (module-scoped, one at a time: pytest groups the tests by
picture) and its one-band results are computed once and shared by every thread count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
import pytest
from PIL import Image

from photoq.pipeline import bands
from photoq.pipeline.decode import jpeg as decode_jpeg
from photoq.pipeline.decode.jpeg import decode_in_bands, decode_jpeg_full
from photoq.pipeline.decode.jpeg_stream import RST0, renumbered
from photoq.pipeline.develop import renderer as develop
from photoq.pipeline.develop.renderer import render
from photoq.pipeline.export import jpeg_encode
from photoq.pipeline.export.encoders import JPEG_FULL_CHROMA_QUALITY
from photoq.pipeline.export.jpeg_encode import encode_jpeg
from photoq.pipeline.presets.model import DevelopSettings
from tests.conftest import CORPUS

PHOTO = CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg"  # 1920×1440, a real interior
NIKON = CORPUS / "hdkai+Raw-IO/test/media/align/1.jpg"  # 7360×4912, a restart marker per row
THREADS = (1, 2, 3, 4, 8, 16)
MEGAPIXEL = 1 << 20  # bands.MIN_BAND_PIXELS


class Size(NamedTuple):
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


def _both(width: int, height: int, *marks: pytest.MarkDecorator) -> list[Any]:
    return [
        pytest.param(Size(w, h), id=str(Size(w, h)), marks=marks)
        for w, h in ((width, height), (height, width))
    ]


SMALL = _both(641, 479)  # 0.3 MP, odd: always one band
# 2.8 MP (two bands at most), 12 MP (eleven), 24 MP (the reported 6000×4000 portrait), all odd
# but the last, whose 4:4:4 portrait has 750 MCU rows.
MEDIUM = [*_both(2001, 1403), *_both(4003, 3001), *_both(6000, 4000)]
# 61 MP: 6376 is no multiple of 16; the portrait's 4:4:4 scan has 1196 MCU rows.
LARGE = _both(9568, 6376, pytest.mark.slow)
QUALITIES = [
    pytest.param(JPEG_FULL_CHROMA_QUALITY + 2, id="q92-444"),
    pytest.param(JPEG_FULL_CHROMA_QUALITY - 10, id="q80-420"),
]

# Every banded develop stage: saturation (full size), the HSL stage and the local maps (half
# size), the add-back, sharpening. STRONG leaves a half-size difference outside −127…126 and
# takes the int16 add-back; MILD stays in it and takes the offset uint8 one.
STRONG = DevelopSettings(
    saturation=15, dehaze=100, clarity=100, vignette=-100, hsl_hue=(100,) * 8, sharpness=20
)
MILD = DevelopSettings(
    exposure=0.2, contrast=15, saturation=10, vibrance=15, clarity=20, vignette=-10, sharpness=40
)
PRESETS = [pytest.param(STRONG, True, id="strong-int16"), pytest.param(MILD, False, id="mild")]
BANDED_DEVELOP_STAGES = 7  # saturate, HSV adjust, HSL add-change, local maps, diff, add, sharpen
# The smaller pictures go through every thread count; a 61 MP one at one thread against 16
# (and a count between for the encode, which is cheap).
LARGE_ENCODE_THREADS = (1, 3, 16)
LARGE_THREADS = (1, 16)


@dataclass
class Picture:
    """A test picture and its one-band results, each computed once, at one thread."""

    rgb: np.ndarray
    folder: Path
    _once: dict[object, Any] = field(default_factory=dict)

    @property
    def pixels(self) -> int:
        return int(self.rgb.shape[0] * self.rgb.shape[1])

    def one_band(self, key: object, compute: Callable[[], Any]) -> Any:
        """``compute()`` at one OpenCV thread, checked to run every banded path in one band."""
        if key not in self._once:
            counts: list[int] = []
            before = cv2.getNumThreads()
            with pytest.MonkeyPatch.context() as patch:
                for module in (bands, jpeg_encode, decode_jpeg):
                    patch.setattr(module, "band_count", _recording(counts, bands.band_count))
                cv2.setNumThreads(1)
                try:
                    self._once[key] = compute()
                finally:
                    cv2.setNumThreads(before)
            assert counts
            assert set(counts) == {1}
        return self._once[key]

    def jpeg(self, quality: int) -> bytes:
        """The picture encoded in one piece, as export writes it at ``quality``."""
        data: bytes = self.one_band(("jpeg", quality), lambda: _encode(self.rgb, quality))
        return data

    def jpeg_file(self, quality: int) -> Path:
        path = self.folder / f"q{quality}.jpg"
        if not path.exists():
            path.write_bytes(self.jpeg(quality))
        return path


def _encode(rgb: np.ndarray, quality: int) -> bytes:
    return encode_jpeg(rgb, quality=quality, full_chroma=quality >= JPEG_FULL_CHROMA_QUALITY)


def _photo_like(size: Size) -> np.ndarray:
    """The corpus photo mirror-tiled to ``size`` (real edges and texture at native resolution)
    under gradients that make every tile different, plus grain whose tile fits no MCU grid."""
    with Image.open(PHOTO) as im:
        base = np.asarray(im.convert("RGB"))
    width, height = size
    pad = ((0, max(0, height - base.shape[0])), (0, max(0, width - base.shape[1])), (0, 0))
    tiled = np.pad(base, pad, mode="symmetric")[:height, :width]
    corners = np.array([[(-30, -5, 25), (10, -45, 25)], [(30, 15, -25), (-10, 35, -25)]], np.int16)
    change = cv2.resize(corners, (width, height), interpolation=cv2.INTER_LINEAR)
    grain = np.random.default_rng(7).integers(-12, 13, (1009, 1013, 3), dtype=np.int16)
    for top in range(0, height, grain.shape[0]):
        for left in range(0, width, grain.shape[1]):
            block = change[top : top + grain.shape[0], left : left + grain.shape[1]]
            block += grain[: block.shape[0], : block.shape[1]]
    return cv2.add(tiled, change, dtype=cv2.CV_8U)  # saturated at 0 and 255


@pytest.fixture(scope="module")
def picture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Picture:
    """One picture per size for the whole module: pytest runs every test of a size together."""
    size: Size = request.param
    return Picture(_photo_like(size), tmp_path_factory.mktemp(f"pic{size}"))


def _thread_id(count: int) -> str:
    return f"{count}t"


@pytest.fixture(params=THREADS, ids=_thread_id)
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    """OpenCV's thread count set to the parameter, restored after the test."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(request.param)
    try:
        assert cv2.getNumThreads() == request.param  # a setting, whatever the cores
        yield request.param
    finally:
        cv2.setNumThreads(before)


def _expected_bands(pixels: int, threads: int) -> int:
    return max(1, min(threads, pixels // MEGAPIXEL))


def _assert_same_pixels(actual: np.ndarray, expected: np.ndarray) -> None:
    # np.testing's comparison takes ~3 s on 61 MP; it only runs to describe a difference.
    if not np.array_equal(actual, expected):
        np.testing.assert_array_equal(actual, expected)


def _recording(calls: list[Any], function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, appending its result to ``calls`` (from any thread)."""
    lock = threading.Lock()

    def recorded(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        with lock:
            calls.append(result)
        return result

    return recorded


def _named(calls: list[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, appending ``name`` to ``calls`` when it runs (from any thread)."""
    return _recording(calls, lambda *args, **kwargs: (function(*args, **kwargs), name)[1])


# At one thread a test only makes the reference (``Picture.one_band`` checks it was one band);
# at more it compares with it.

# --- JPEG encode -------------------------------------------------------------------------------


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("picture", [*SMALL, *MEDIUM], indirect=True)
def test_banded_encode_is_the_one_band_file_at_every_thread_count(
    picture: Picture, threads: int, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_encode(picture, threads, quality, monkeypatch)


@pytest.mark.parametrize("threads", LARGE_ENCODE_THREADS, indirect=True, ids=_thread_id)
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("picture", LARGE, indirect=True)
def test_banded_encode_of_61_megapixels_is_the_one_band_file(
    picture: Picture, threads: int, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_encode(picture, threads, quality, monkeypatch)


def _check_encode(
    picture: Picture, threads: int, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = picture.jpeg(quality)
    if threads == 1:
        return
    encodes: list[Any] = []
    monkeypatch.setattr(cv2, "imencode", _recording(encodes, cv2.imencode))
    banded = _encode(picture.rgb, quality)
    mcu = 8 if quality >= JPEG_FULL_CHROMA_QUALITY else 16
    mcu_rows = -(-picture.rgb.shape[0] // mcu)
    assert len(encodes) == min(_expected_bands(picture.pixels, threads), mcu_rows)
    assert banded == whole  # byte for byte, restart marker numbers included


# --- JPEG decode in bands ----------------------------------------------------------------------


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("picture", [*SMALL, *MEDIUM], indirect=True)
def test_banded_decode_is_the_one_band_decode_at_every_thread_count(
    picture: Picture, threads: int, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_decode(picture, threads, quality, monkeypatch)


@pytest.mark.parametrize("threads", LARGE_THREADS, indirect=True, ids=_thread_id)
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("picture", LARGE, indirect=True)
def test_banded_decode_of_61_megapixels_is_the_one_band_decode(
    picture: Picture, threads: int, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_decode(picture, threads, quality, monkeypatch)


def _check_decode(
    picture: Picture, threads: int, quality: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = picture.jpeg_file(quality)  # a restart marker after every MCU row, as exported
    whole, whole_source = picture.one_band(("decode", quality), lambda: decode_jpeg_full(path, 1))
    assert whole_source == "jpeg-opencv"
    if threads == 1:
        return
    decodes: list[Any] = []
    monkeypatch.setattr(decode_jpeg, "_imdecode", _recording(decodes, decode_jpeg._imdecode))
    decoded = decode_jpeg_full(path, 1)
    assert decoded is not None
    pixels, source = decoded
    count = _expected_bands(picture.pixels, threads)
    assert (source, len(decodes)) == (
        ("jpeg-opencv-bands", count) if count > 1 else (whole_source, 1)
    )
    _assert_same_pixels(pixels, whole)


@pytest.fixture(scope="module")
def nikon() -> tuple[bytes, np.ndarray]:
    if not NIKON.exists():
        pytest.skip(f"{NIKON} is not present")
    data = NIKON.read_bytes()
    whole = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB)
    assert whole is not None
    return data, whole


def test_a_camera_file_decodes_in_bands_to_the_same_pixels_at_every_thread_count(
    nikon: tuple[bytes, np.ndarray], threads: int
) -> None:
    data, whole = nikon
    banded = decode_in_bands(data)  # 36 MP, 4:2:0
    if threads == 1:
        assert banded is None  # one band: decoded whole
    else:
        assert banded is not None
        _assert_same_pixels(banded, whole)


# --- develop -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("settings", "wide"), PRESETS)
@pytest.mark.parametrize("picture", [*SMALL, *MEDIUM], indirect=True)
def test_banded_develop_is_the_one_band_develop_at_every_thread_count(
    picture: Picture,
    threads: int,
    settings: DevelopSettings,
    wide: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _check_develop(picture, threads, settings, wide, monkeypatch)


@pytest.mark.parametrize("threads", LARGE_THREADS, indirect=True, ids=_thread_id)
@pytest.mark.parametrize(("settings", "wide"), PRESETS)
@pytest.mark.parametrize("picture", LARGE, indirect=True)
def test_banded_develop_of_61_megapixels_is_the_one_band_develop(
    picture: Picture,
    threads: int,
    settings: DevelopSettings,
    wide: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _check_develop(picture, threads, settings, wide, monkeypatch)


def _check_develop(
    picture: Picture,
    threads: int,
    settings: DevelopSettings,
    wide: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = picture.one_band(("develop", settings), lambda: render(picture.rgb, settings))
    if threads == 1:
        return
    counts: list[int] = []
    monkeypatch.setattr(bands, "band_count", _recording(counts, bands.band_count))
    add_backs: list[str] = []
    for name in ("_add_delta", "_add_shifted"):
        monkeypatch.setattr(develop, name, _named(add_backs, name, getattr(develop, name)))
    out = render(picture.rgb, settings)
    assert len(counts) == BANDED_DEVELOP_STAGES  # sharpening's in_bands included
    assert max(counts) == _expected_bands(picture.pixels, threads)  # the full-size stages
    assert set(add_backs) == {"_add_delta" if wide else "_add_shifted"}
    _assert_same_pixels(out, whole)


# --- the pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize("height", [1, 2, 7, 1603, 4003])
def test_bands_cover_every_row_once_at_every_thread_count(height: int, threads: int) -> None:
    width = 64 * MEGAPIXEL // height  # enough pixels for every thread to get a band
    seen: list[tuple[int, int]] = []
    bands.in_bands(height, width, _recording(seen, lambda top, bottom: (top, bottom)))
    seen.sort()
    assert len(seen) == min(threads, height)
    assert [top for top, _ in seen] == [0, *(bottom for _, bottom in seen[:-1])]
    assert seen[-1][1] == height


@pytest.mark.parametrize("shift", [0, 1, 7, 8, 9, 200, 255, 256, 257, 375, 598, 1195, 8191, -3])
def test_restart_markers_are_renumbered_for_any_shift(shift: int) -> None:
    numbers = [n % 8 for n in range(20)]
    scan = b"".join(bytes((0x12, 0xFF, 0x00, 0xFF, RST0 + n)) for n in numbers) + b"\x34"
    expected = b"".join(bytes((0x12, 0xFF, 0x00, 0xFF, RST0 + (n + shift) % 8)) for n in numbers)
    assert bytes(renumbered(memoryview(scan), shift)) == expected + b"\x34"
