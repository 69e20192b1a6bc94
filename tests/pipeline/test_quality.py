"""The quality score on real photos and controlled degradations of them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from photoq.pipeline.quality.faces import face_models_dir
from photoq.pipeline.quality.score import assess_quality

if TYPE_CHECKING:
    from numpy.typing import NDArray

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
LABELLED = Path(__file__).resolve().parents[2].parent / "shared" / "labelled"
SHARP = [
    LABELLED / "blur" / "sharp" / "0_IPHONE-SE_S.JPG",
    LABELLED / "blur" / "sharp" / "176_HONOR-7X_S.jpg",
    CORPUS / "recurser+exif-orientation-examples" / "Landscape_1.jpg",
]


@cache
def _load_cached(path: Path, edge: int) -> np.ndarray:
    with Image.open(path) as src:
        im = ImageOps.exif_transpose(src).convert("RGB")
        im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        return np.asarray(im)


def load(path: Path, edge: int = 1536) -> NDArray[np.uint8]:
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return np.asarray(_load_cached(path, edge), dtype=np.uint8)


def soften(img: np.ndarray, sigma: float) -> NDArray[np.uint8]:
    return np.asarray(cv2.GaussianBlur(img, (0, 0), sigma), dtype=np.uint8)


def motion(img: np.ndarray, length: int) -> NDArray[np.uint8]:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return np.asarray(cv2.filter2D(img, -1, kernel), dtype=np.uint8)


def ev(img: np.ndarray, stops: float) -> NDArray[np.uint8]:
    linear = (img.astype(np.float32) / 255.0) ** 2.2 * (2.0**stops)
    return np.asarray(np.clip(linear, 0, 1) ** (1 / 2.2) * 255.0 + 0.5, dtype=np.uint8)


@pytest.mark.parametrize("path", SHARP, ids=lambda p: p.name)
def test_gaussian_blur_scores_lower_and_reads_out_of_focus(path: Path) -> None:
    img = load(path)
    original = assess_quality(img, faces=False)
    blurred = assess_quality(soften(img, 4.0), faces=False)
    assert original.subscores["sharpness"] >= 0.7
    assert "out of focus" not in original.reasons
    assert blurred.score <= original.score - 1.0
    assert "out of focus" in blurred.reasons


@pytest.mark.parametrize("path", SHARP, ids=lambda p: p.name)
def test_motion_blur_is_named(path: Path) -> None:
    img = load(path)
    original = assess_quality(img, faces=False)
    smeared = assess_quality(motion(img, 25), faces=False)
    assert original.subscores["motion_blur"] < 0.3
    assert smeared.subscores["motion_blur"] >= 0.5
    assert "motion blur" in smeared.reasons
    assert smeared.score <= original.score - 1.0


def test_over_and_under_exposure_are_named() -> None:
    img = load(SHARP[0])
    original = assess_quality(img, faces=False)
    over = assess_quality(ev(img, 2.5), faces=False)
    under = assess_quality(ev(img, -2.5), faces=False)
    assert original.subscores["exposure"] >= 0.9
    assert "overexposed" in over.reasons
    assert any(r.startswith("highlights clipped") for r in over.reasons)
    assert over.subscores["highlights_clipped_pct"] > 20.0
    assert "underexposed" in under.reasons
    assert over.score < original.score
    assert under.score < original.score


def test_pure_black_and_white_frames_are_clipped() -> None:
    black = assess_quality(np.zeros((800, 1200, 3), np.uint8), faces=False)
    white = assess_quality(np.full((800, 1200, 3), 255, np.uint8), faces=False)
    assert black.subscores["shadows_clipped_pct"] == pytest.approx(100.0)
    assert "underexposed" in black.reasons
    assert white.subscores["highlights_clipped_pct"] == pytest.approx(100.0)
    assert "overexposed" in white.reasons
    assert black.score < 2.0
    assert white.score < 2.0


def test_noise_is_measured_and_costs_score() -> None:
    img = load(SHARP[1])
    rng = np.random.default_rng(1)
    noisy = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    original = assess_quality(img, faces=False)
    degraded = assess_quality(noisy, faces=False)
    assert original.subscores["noise"] >= 0.9
    assert degraded.subscores["noise_sigma"] > original.subscores["noise_sigma"] + 2.0
    assert "noisy" in degraded.reasons
    assert degraded.score < original.score


@pytest.mark.parametrize("path", SHARP, ids=lambda p: p.name)
def test_resolution_independent(path: Path) -> None:
    small = assess_quality(load(path, 1000), faces=False)
    large = assess_quality(load(path, 1600), faces=False)
    assert abs(small.score - large.score) <= 0.1
    assert abs(small.subscores["sharpness"] - large.subscores["sharpness"]) <= 0.05


def test_shallow_depth_of_field_subject_is_sharp() -> None:
    img = load(SHARP[1])
    h, w = img.shape[:2]
    portrait = soften(img, 6.0)
    # A sharp subject covering a tenth of the frame on a very soft background.
    y0, y1, x0, x1 = h // 4, 3 * h // 4, 2 * w // 5, 3 * w // 5
    portrait[y0:y1, x0:x1] = img[y0:y1, x0:x1]
    report = assess_quality(portrait, faces=False)
    everything_soft = assess_quality(soften(img, 6.0), faces=False)
    assert report.subscores["sharpness"] >= 0.7
    assert "out of focus" not in report.reasons
    assert report.score >= everything_soft.score + 1.5

    def laplacian_var(a: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())

    # The global measure would call the portrait far softer than the original.
    assert laplacian_var(portrait) < 0.4 * laplacian_var(img)


def test_labelled_blur_set_sharp_beats_both_blurred() -> None:
    labels_path = LABELLED / "blur" / "labels.json"
    if not labels_path.is_file():
        pytest.skip("labelled blur set not present")
    scenes = json.loads(labels_path.read_text())["scenes"]
    for scene, files in scenes.items():
        score = {
            k: assess_quality(load(LABELLED / "blur" / v), faces=False).score
            for k, v in files.items()
        }
        assert score["sharp"] > score["defocused_blurred"], scene
        assert score["sharp"] > score["motion_blurred"], scene


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="H×W×3"):
        assess_quality(np.zeros((500, 500), np.uint8))


def test_tiny_image_scores_lowest_with_a_reason() -> None:
    report = assess_quality(np.zeros((20, 500, 3), np.uint8))
    assert report.score == 1.0
    assert report.reasons == ["too small to judge (500×20 px)"]


def test_report_is_json_friendly() -> None:
    report = assess_quality(load(SHARP[0]))
    data = json.loads(json.dumps(report.to_dict()))
    assert 1.0 <= data["score"] <= 5.0
    assert set(data["subscores"]) >= {"sharpness", "motion_blur", "exposure", "noise", "brightness"}
    assert isinstance(data["face_detector"], str)


def test_without_face_models_degrades_gracefully(monkeypatch: pytest.MonkeyPatch) -> None:
    import photoq.pipeline.quality.faces as faces

    monkeypatch.setattr(faces, "face_models_dir", lambda: None)
    report = assess_quality(load(SHARP[0]))
    assert report.faces == []
    assert report.face_detector.startswith("none: face models not found")
    assert 1.0 <= report.score <= 5.0


EYES = [
    ("open/Akbar_Al_Baker_0001.jpg", "open"),
    ("open/Victor_Hanescu_0001.jpg", "open"),
    ("closed/closed_eye_0065.jpg_face_1.jpg", "closed"),
    ("closed/closed_eye_0142.jpg_face_1.jpg", "closed"),
]


@pytest.mark.parametrize(("name", "state"), EYES)
def test_faces_and_eyes_on_labelled_images(name: str, state: str) -> None:
    assert face_models_dir() is not None, "photoq's face models are missing"
    path = LABELLED / "eyes" / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with Image.open(path) as im:
        img = np.asarray(im.convert("RGB"))
    if min(img.shape[:2]) < 128:
        pad = (128 - min(img.shape[:2])) // 2 + 1
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    report = assess_quality(img)
    assert report.faces, "no face found"
    face = report.faces[0]
    assert face.w > 20
    assert 0 <= face.x < img.shape[1]
    assert 0 <= face.y < img.shape[0]
    assert face.eyes == state
    assert ("eyes closed" in report.reasons) == (state == "closed")
