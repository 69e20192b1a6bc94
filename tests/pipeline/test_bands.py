"""Band-parallel stages: every row once, and exactly the one-piece result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from photoq.pipeline import bands
from photoq.pipeline.develop import renderer as develop
from photoq.pipeline.develop.renderer import render
from photoq.pipeline.presets.model import DevelopSettings
from tests.conftest import CORPUS

PHOTO = CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg"
# Every control the bands touch (saturation, local maps, add-back, sharpening), and the rest.
EVERYTHING = DevelopSettings(
    exposure=0.3, contrast=20, highlights=-30, shadows=30, vibrance=20, saturation=10,
    clarity=40, dehaze=25, vignette=-15, sharpness=60, hsl_hue=(10, 0, 0, 0, 0, -5, 0, 0),
    crop_left=0.02, crop_right=0.97, crop_angle=1.5,
)  # fmt: skip


# Strong enough that a half-size difference leaves −127…126: the add-back's int16 path.
STRONG = DevelopSettings(dehaze=100, clarity=100, vignette=-100, hsl_hue=(100,) * 8, sharpness=20)


@pytest.fixture
def threads() -> Iterator[Callable[[int], None]]:
    """OpenCV's thread count, restored after the test."""
    before = cv2.getNumThreads()
    yield cv2.setNumThreads
    cv2.setNumThreads(before)


def test_bands_cover_every_row_once(threads: Callable[[int], None]) -> None:
    threads(3)
    seen: list[tuple[int, int]] = []
    bands.in_bands(4000, 1000, lambda top, bottom: seen.append((top, bottom)))
    assert sorted(seen) == [(0, 1333), (1333, 2666), (2666, 4000)]
    seen.clear()
    bands.in_bands(400, 1000, lambda top, bottom: seen.append((top, bottom)))
    assert seen == [(0, 400)]  # below a megapixel a thread costs more than it saves


@pytest.mark.parametrize(("settings", "wide"), [(EVERYTHING, False), (STRONG, True)])
def test_a_banded_render_is_the_one_band_render_exactly(
    settings: DevelopSettings,
    wide: bool,
    threads: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Image.open(PHOTO) as im:
        photo = np.asarray(im.convert("RGB").resize((2400, 1800)))
    threads(1)
    whole = render(photo, settings)
    threads(4)
    calls: list[tuple[int, int]] = []
    in_bands = bands.in_bands

    def recording(height: int, width: int, work: Callable[[int, int], object]) -> None:
        def recorded(top: int, bottom: int) -> None:
            calls.append((top, bottom))
            work(top, bottom)

        in_bands(height, width, recorded)

    monkeypatch.setattr(bands, "in_bands", recording)
    int16: list[bool] = []
    add_delta: Callable[..., NDArray[Any]] = develop._add_delta

    def counted_add_delta(*args: NDArray[Any], **kwargs: NDArray[Any]) -> NDArray[Any]:
        int16.append(True)
        return add_delta(*args, **kwargs)

    monkeypatch.setattr(develop, "_add_delta", counted_add_delta)
    banded = render(photo, settings)
    assert len(calls) > 4  # several stages, each in more than one band (sharpening too)
    assert bool(int16) == wide  # the strong preset takes the int16 add-back, in bands too
    np.testing.assert_array_equal(banded, whole)
