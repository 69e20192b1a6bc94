"""The develop renderer: each control's direction and rough magnitude, checked numerically."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photoq.pipeline.develop.renderer import render
from photoq.pipeline.develop.tone import srgb_to_linear
from photoq.pipeline.presets.library import builtin_presets, read_preset
from photoq.pipeline.presets.model import DevelopSettings
from tests.conftest import CORPUS

PRESETS = CORPUS / "presets"
XMP_FILES = sorted(PRESETS.glob("lightroom_xmp_*/*.xmp"))
PHOTO = CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg"


def patch(rgb: tuple[int, int, int], size: int = 64) -> np.ndarray:
    return np.full((size, size, 3), rgb, dtype=np.uint8)


def strip(levels: list[int], size: int = 32) -> np.ndarray:
    """Grey patches side by side, one per level."""
    return np.concatenate([patch((v, v, v), size) for v in levels], axis=1)


def means(img: np.ndarray, count: int, size: int = 32) -> list[float]:
    return [float(img[:, i * size + 4 : (i + 1) * size - 4].mean()) for i in range(count)]


def linear(level: float) -> float:
    return float(srgb_to_linear(np.array(level / 255.0)))


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    with Image.open(PHOTO) as im:
        im.draft("RGB", (800, 800))
        return np.asarray(im.convert("RGB"))


def test_neutral_settings_return_an_equal_copy(photo):
    out = render(photo, DevelopSettings())
    assert out is not photo
    assert np.array_equal(out, photo)


def test_plus_one_exposure_doubles_linear_light_of_mid_grey():
    out = render(patch((118, 118, 118)), DevelopSettings(exposure=1.0))
    ratio = linear(out.mean()) / linear(118)
    assert 1.8 <= ratio <= 2.2


def test_minus_one_exposure_halves_linear_light():
    out = render(patch((160, 160, 160)), DevelopSettings(exposure=-1.0))
    assert 0.45 <= linear(out.mean()) / linear(160) <= 0.55


def test_saturation_minus_100_is_grey(photo):
    out = render(photo, DevelopSettings(saturation=-100)).astype(int)
    spread = out.max(axis=2) - out.min(axis=2)
    assert np.percentile(spread, 99) < 2
    flat = render(patch((200, 40, 60)), DevelopSettings(saturation=-100)).astype(int)
    assert (flat.max(axis=2) - flat.min(axis=2)).max() < 2


def test_identity_curve_changes_nothing(photo):
    curve = ((0, 0), (64, 64), (128, 128), (255, 255))
    settings = DevelopSettings(tone_curve=curve, tone_curve_red=curve, tone_curve_blue=curve)
    assert np.abs(render(photo, settings).astype(int) - photo).max() <= 1


def test_point_curve_follows_its_points():
    curve = ((0, 0), (128, 160), (255, 255))
    out = render(strip([0, 128, 255]), DevelopSettings(tone_curve=curve))
    assert means(out, 3) == pytest.approx([0, 160, 255], abs=1)


def test_red_hue_shift_leaves_blue_alone():
    img = np.concatenate([patch((200, 30, 30)), patch((30, 60, 210))], axis=1)
    hue = (100.0, 0, 0, 0, 0, 0, 0, 0)
    out = render(img, DevelopSettings(hsl_hue=hue)).astype(int)
    # HSL is computed at half size: the colour change may bleed 2 px across an edge, no further
    assert np.abs(out[:, 66:] - img[:, 66:]).max() <= 2
    assert np.abs(out[:, :64] - img[:, :64]).max() >= 20  # the red patch did move
    assert out[8:-8, 8:56, 1].mean() > 40  # +hue turns red toward orange: more green


def test_convert_to_grayscale_gives_equal_channels(photo):
    out = render(photo, DevelopSettings(convert_to_grayscale=True))
    assert np.array_equal(out[..., 0], out[..., 1])
    assert np.array_equal(out[..., 1], out[..., 2])


def test_blend_zero_is_the_original_and_one_the_preset(photo):
    settings = DevelopSettings(exposure=0.7, saturation=40, vignette=-30, clarity=25)
    assert np.array_equal(render(photo, settings, blend=0.0), photo)
    assert np.array_equal(render(photo, settings, blend=1.0), render(photo, settings))
    half = render(photo, settings, blend=0.5).astype(float).mean()
    assert photo.mean() < half < render(photo, settings).astype(float).mean()


def test_highlights_minus_100_darkens_highlights_more_than_midtones():
    out = means(render(strip([128, 215]), DevelopSettings(highlights=-100)), 2)
    assert 128 - out[0] < 215 - out[1]
    assert 215 - out[1] > 15


def test_shadows_plus_100_lifts_shadows_more_than_midtones():
    out = means(render(strip([45, 128]), DevelopSettings(shadows=100)), 2)
    assert out[0] - 45 > out[1] - 128
    assert out[0] - 45 > 15


def test_whites_and_blacks_move_the_ends():
    out = means(render(strip([20, 128, 235]), DevelopSettings(blacks=-100, whites=100)), 3)
    assert out[0] < 20 - 5
    assert out[2] > 235 + 5
    assert abs(out[1] - 128) < abs(out[0] - 20)


def test_contrast_spreads_tones_around_mid_grey():
    out = means(render(strip([70, 128, 190]), DevelopSettings(contrast=100)), 3)
    assert out[0] < 70 - 5
    assert out[2] > 190 + 5
    assert abs(out[1] - 128) <= 3


def test_vibrance_boosts_muted_colours_more_than_saturated_ones():
    def chroma(img: np.ndarray) -> float:
        return float(img.max(axis=2).astype(int).mean() - img.min(axis=2).astype(int).mean())

    muted, vivid = patch((150, 130, 120)), patch((220, 40, 30))
    settings = DevelopSettings(vibrance=100)
    gain_muted = chroma(render(muted, settings)) / chroma(muted)
    gain_vivid = chroma(render(vivid, settings)) / chroma(vivid)
    assert gain_muted > 1.3
    assert gain_muted > gain_vivid + 0.2


def test_vignette_darkens_corners_not_the_centre():
    img = patch((150, 150, 150), 200)
    out = render(img, DevelopSettings(vignette=-60)).astype(int)
    assert np.array_equal(out[90:110, 90:110], img[90:110, 90:110])
    assert out[:10, :10].mean() < 150 - 20


def test_clarity_raises_local_contrast_of_a_texture():
    y, x = np.mgrid[0:256, 0:256]
    texture = 128 + 40 * np.sin(x / 6.0) * np.sin(y / 6.0)
    img = np.repeat(texture[..., None], 3, axis=2).astype(np.uint8)
    out = render(img, DevelopSettings(clarity=100))
    assert out[32:-32, 32:-32].std() > img[32:-32, 32:-32].std() * 1.2
    assert abs(float(out.mean()) - float(img.mean())) < 5


def test_dehaze_deepens_a_hazy_picture():
    _, x = np.mgrid[0:256, 0:256]
    scene = 90 + 60 * np.sin(x / 9.0)
    hazy = np.repeat((0.5 * scene + 0.5 * 220)[..., None], 3, axis=2).astype(np.uint8)
    out = render(hazy, DevelopSettings(dehaze=100))
    assert out.std() > hazy.std() * 1.2
    assert out.mean() < hazy.mean()


def test_sharpness_adds_edge_contrast():
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, 32:] = 200
    img[:, :32] = 60
    out = render(img, DevelopSettings(sharpness=100)).astype(int)
    assert out[:, 32].mean() > 200
    assert out[:, 31].mean() < 60


def test_temperature_plus_is_warmer():
    grey = patch((128, 128, 128))
    out = render(grey, DevelopSettings(incremental_temperature=50)).astype(float)
    assert out[..., 0].mean() / out[..., 2].mean() > 1.15
    cooler = render(grey, DevelopSettings(temperature=3200)).astype(float)
    assert cooler[..., 0].mean() < cooler[..., 2].mean()
    magenta = render(grey, DevelopSettings(incremental_tint=50)).astype(float)
    assert magenta[..., 1].mean() < magenta[..., 0].mean() - 5


def test_hsl_blue_luminance_darkens_blue_not_grey():
    img = np.concatenate([patch((40, 90, 220)), patch((128, 128, 128))], axis=1)
    lum = (0, 0, 0, 0, 0, -100.0, 0, 0)
    out = render(img, DevelopSettings(hsl_luminance=lum)).astype(int)
    assert out[:, 8:56].mean() < img[:, 8:56].mean() - 20
    assert np.abs(out[:, 72:120] - 128).max() <= 1


def test_crop_gives_the_expected_size():
    img = np.zeros((400, 600, 3), np.uint8)
    box = DevelopSettings(crop_left=0.1, crop_right=0.6, crop_top=0.25, crop_bottom=0.75)
    assert render(img, box).shape == (200, 300, 3)
    tilted = DevelopSettings(
        crop_left=0.1, crop_right=0.6, crop_top=0.25, crop_bottom=0.75, crop_angle=5
    )
    assert render(img, tilted).shape == (200, 300, 3)


def test_float_input_gives_float_output():
    img = np.full((16, 16, 3), 0.5, np.float32)
    out = render(img, DevelopSettings(exposure=1.0))
    assert out.dtype == np.float32
    assert 0.6 < float(out.mean()) < 0.8


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="3 colour channels"):
        render(np.zeros((4, 4, 4), np.uint8), DevelopSettings())
    with pytest.raises(ValueError, match="blend"):
        render(np.zeros((4, 4, 3), np.uint8), DevelopSettings(), blend=1.5)


@pytest.mark.parametrize("path", XMP_FILES, ids=lambda p: p.name)
def test_every_corpus_preset_renders_on_a_real_photo(photo, path):
    out = render(photo, read_preset(path).settings)
    assert out.dtype == np.uint8
    assert out.ndim == 3
    assert out.shape[2] == 3
    assert 5 < float(out.mean()) < 250


def test_every_builtin_preset_renders(photo):
    for preset in builtin_presets().values():
        out = render(photo, preset.settings, blend=0.8)
        assert out.shape == photo.shape
        assert 5 < float(out.mean()) < 250
