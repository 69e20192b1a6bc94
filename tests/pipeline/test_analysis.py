"""The whole analysis of one photo, end to end from the file: decode, quality, hashes.

The scores must not depend on the camera's resolution: the same scene written as a 12 MP and as
a 45 MP JPEG goes down different decode paths (DCT scale 1/2 or 1/4 then a resize, against 1/8
straight to the analysis size) and must still score the same within ±0.1, with the same faults.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photoq.pipeline.analysis import ANALYSIS_EDGE, PhotoAnalysis, analyse_photo

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
GROUP = CORPUS / "hdkai+Raw-IO" / "test" / "media" / "group"
# 3:2 frames, as most interchangeable-lens cameras write: 12.0 MP and 44.8 MP.
SIZES = {"12 MP": (4240, 2832), "45 MP": (8192, 5464)}


@cache
def _scene(name: str) -> Image.Image:
    path = GROUP / name
    if not path.is_file():
        pytest.skip("real-photo corpus not available")
    with Image.open(path) as src:
        return src.convert("RGB")


def _write(scene: Image.Image, size: tuple[int, int], path: Path) -> Path:
    # Upscaled content is still the same content once the analysis has brought it back down.
    scene.resize(size, Image.Resampling.BICUBIC).save(path, quality=92)
    return path


@pytest.fixture(scope="module")
def analyses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PhotoAnalysis]:
    folder = tmp_path_factory.mktemp("resolution")
    scene = _scene("14.jpg")  # sharp, well exposed, 1920×1280
    return {
        label: analyse_photo(_write(scene, size, folder / f"{label[:2]}mp.jpg"))
        for label, size in SIZES.items()
    }


def test_both_resolutions_are_decoded_at_analysis_size(
    analyses: dict[str, PhotoAnalysis],
) -> None:
    for label, result in analyses.items():
        assert (result.width, result.height) == SIZES[label]
        assert result.decoded_by == "jpeg-draft"
        assert result.format == "jpeg"


def test_same_scene_scores_the_same_at_12_and_45_mp(analyses: dict[str, PhotoAnalysis]) -> None:
    small, large = analyses["12 MP"].quality, analyses["45 MP"].quality
    assert abs(small.score - large.score) <= 0.1, (small.score, large.score)
    assert small.reasons == large.reasons
    # The photo is sharp and clean, and both copies say so.
    assert small.score >= 3.5
    assert "out of focus" not in small.reasons
    for key in ("sharpness", "exposure", "noise", "compression"):
        assert abs(small.subscores[key] - large.subscores[key]) <= 0.05, key
    assert small.subscores["motion_blur"] < 0.5
    assert large.subscores["motion_blur"] < 0.5
    assert len(small.faces) == len(large.faces)


def test_same_scene_hashes_alike_at_12_and_45_mp(analyses: dict[str, PhotoAnalysis]) -> None:
    small, large = analyses["12 MP"].hashes.to_dict(), analyses["45 MP"].hashes.to_dict()
    for kind, value in small.items():
        other = large[kind]
        assert isinstance(value, str)
        assert isinstance(other, str)
        distance = bin(int(value, 16) ^ int(other, 16)).count("1")
        assert distance <= 6, (kind, distance)


def test_analysis_is_json_friendly(analyses: dict[str, PhotoAnalysis]) -> None:
    data = analyses["12 MP"].to_dict()
    assert data["decoded_by"] == "jpeg-draft"
    assert data["width"] == 4240
    assert isinstance(data["quality"], dict)
    assert 1.0 <= float(data["quality"]["score"]) <= 5.0
    assert np.isfinite(float(data["quality"]["subscores"]["focus_log"]))
    assert ANALYSIS_EDGE >= 1000  # the analysis size: long edge about 1,000–1,600 px
