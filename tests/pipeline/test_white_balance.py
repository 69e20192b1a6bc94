"""Absolute white balance on RAW files: Planckian white points, LibRaw multipliers, direction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rawpy

from photoq.pipeline.decode.images import decode_for_develop
from photoq.pipeline.decode.white_balance import (
    WhiteBalance,
    planckian_xy,
    raw_multipliers,
)
from photoq.pipeline.develop.white_point import absolute_white_balance
from photoq.pipeline.presets.model import DevelopSettings
from tests.conftest import CORPUS

DNG = CORPUS / "exiftool+exiftool/t/images/DNG.dng"
# The corpus's RAW files are stubs (a few KB); this one still demosaics to non-black pixels.
RW2 = CORPUS / "exiftool+exiftool/t/images/Panasonic.rw2"
NO_MATRIX_DNG = CORPUS / "Exiv2+exiv2/test/data/IMG_1361.dng"


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not present")


def test_planckian_locus_matches_known_white_points() -> None:
    # A black body at 6504 K sits just below D65 (0.3127, 0.3290), and at 2856 K is illuminant A.
    x, y = planckian_xy(6504)
    assert (round(x, 3), round(y, 3)) == (0.313, 0.324)
    x, y = planckian_xy(2856)
    assert abs(x - 0.4476) < 0.001
    assert abs(y - 0.4074) < 0.001


def test_daylight_gives_libraw_daylight_multipliers() -> None:
    _need(DNG)
    with rawpy.imread(str(DNG)) as raw:
        daylight = np.array(raw.daylight_whitebalance[:3])
        ours = raw_multipliers(WhiteBalance(6504, 10), raw.rgb_xyz_matrix, raw.camera_whitebalance)
    assert ours is not None
    np.testing.assert_allclose(np.array(ours[:3]), daylight / daylight[1], rtol=0.02)
    assert ours[3] == ours[1]


def test_blend_runs_from_as_shot_to_the_target() -> None:
    _need(DNG)
    with rawpy.imread(str(DNG)) as raw:
        matrix, shot = raw.rgb_xyz_matrix, raw.camera_whitebalance
        none = raw_multipliers(WhiteBalance(3000, 0, amount=0.0), matrix, shot)
        full = raw_multipliers(WhiteBalance(3000, 0, amount=1.0), matrix, shot)
        half = raw_multipliers(WhiteBalance(3000, 0, amount=0.5), matrix, shot)
    assert none is not None and full is not None and half is not None  # noqa: PT018
    np.testing.assert_allclose(none[:3], np.array(shot[:3]) / shot[1], rtol=1e-9)
    np.testing.assert_allclose(half[:3], np.sqrt(np.array(none[:3]) * np.array(full[:3])))


def _mean_rgb(temperature: float, tint: float = 0.0) -> tuple[np.ndarray, bool]:
    decoded = decode_for_develop(RW2, long_edge=600, white_balance=WhiteBalance(temperature, tint))
    return decoded.pixels.reshape(-1, 3).astype(np.float64).mean(axis=0), decoded.white_balanced


def test_temperature_and_tint_turn_a_raw_the_way_lightroom_does() -> None:
    _need(RW2)
    as_shot = decode_for_develop(RW2, long_edge=600)
    assert as_shot.white_balanced is False
    cold, applied = _mean_rgb(3000)
    warm, _ = _mean_rgb(7500)
    assert applied is True
    # A low temperature assumes warm light and corrects toward blue; a high one toward red.
    assert cold[2] / cold[0] > 1.5 * (warm[2] / warm[0])
    plain, _ = _mean_rgb(5500, 0)
    magenta, _ = _mean_rgb(5500, 50)

    def green_share(rgb: np.ndarray) -> float:
        return float(rgb[1] / (rgb[0] + rgb[2]))

    assert green_share(magenta) < 0.95 * green_share(plain)


def test_a_raw_without_a_colour_matrix_keeps_the_camera_balance() -> None:
    _need(NO_MATRIX_DNG)
    decoded = decode_for_develop(NO_MATRIX_DNG, long_edge=400, white_balance=WhiteBalance(3000, 0))
    assert decoded.white_balanced is False  # the renderer's relative shift applies instead


def test_only_a_real_absolute_temperature_is_absolute() -> None:
    assert absolute_white_balance(DevelopSettings(), 1.0) is None
    assert absolute_white_balance(DevelopSettings(temperature=400), 1.0) is None  # an offset
    assert absolute_white_balance(DevelopSettings(tint=10), 1.0) is None
    assert absolute_white_balance(DevelopSettings(temperature=5200, tint=8), 0.5) == WhiteBalance(
        5200, 8, 0.5
    )
