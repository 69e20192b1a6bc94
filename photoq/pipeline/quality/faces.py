"""Faces and whether their eyes are open, with MediaPipe's models run by OpenCV's DNN module.

Models: BlazeFace (full-range, then short-range for faces that fill the frame), the 468-point
face mesh to place the eyes, and the iris/eye-contour model whose eyelid points give the eye
aspect ratio (lid gap / eye width). The four ``.tflite`` files (Apache-2.0, from MediaPipe)
ship inside photoq (``photoq/data/faces``), so every install detects faces with no TensorFlow
and nothing downloaded at run time. ``PHOTOQ_FACE_MODELS`` may name a folder with the same files
instead; a folder that lacks one of them is refused with the name of what is missing.

Without the models every call answers "no faces" and says why; the rest of the quality score
does not need them.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

import photoq
from photoq.pipeline.quality import eyes as eye_model

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Face", "FaceScan", "detect_faces", "face_models_dir"]

EyeState = Literal["open", "closed", "unknown"]
DETECTOR_NAME = "blazeface+facemesh+iris (mediapipe tflite via cv2.dnn)"
MISSING = "none: face models not found (reinstall photoq, or fix PHOTOQ_FACE_MODELS)"
_MODEL_FILES = (
    "face_detection_full_range.tflite",
    "face_detection_short_range.tflite",
    "face_landmark.tflite",
    "iris_landmark.tflite",
)
# (file, input size, anchor strides, anchors per cell) from MediaPipe's SSD anchor options.
_FULL = ("face_detection_full_range.tflite", 192, (4,), 1)
_SHORT = ("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2)
SHIPPED_MODELS = Path(photoq.__file__).resolve().parent / "data" / "faces"
_MIN_SCORE = 0.5
_NMS_IOU = 0.3
_MAX_FACES = 8


@dataclass(frozen=True, slots=True)
class Face:
    """A face box in analysis-image pixels, the detector's confidence and the eyes' state.

    ``eye_openness`` is the mean eye aspect ratio (lid gap / eye width; open ≈ 0.3, closed
    < 0.15), or None when it could not be measured.
    """

    x: int
    y: int
    w: int
    h: int
    score: float
    eyes: EyeState
    eye_openness: float | None

    def to_dict(self) -> dict[str, object]:
        openness = None if self.eye_openness is None else round(self.eye_openness, 3)
        return {
            "x": self.x,
            "y": self.y,
            "w": self.w,
            "h": self.h,
            "score": round(self.score, 3),
            "eyes": self.eyes,
            "eye_openness": openness,
        }


@dataclass(frozen=True, slots=True)
class FaceScan:
    """All faces found, largest first, and which detector ran (or "none: <why>")."""

    faces: list[Face]
    detector: str


def face_models_dir() -> Path | None:
    """The folder holding the face models: ``PHOTOQ_FACE_MODELS`` when set, else the copy
    shipped with photoq; None when that folder lacks one of the files."""
    override = os.environ.get("PHOTOQ_FACE_MODELS")
    folder = Path(override) if override else SHIPPED_MODELS
    if all((folder / name).is_file() for name in _MODEL_FILES):
        return folder
    return None


def _anchors(size: int, strides: tuple[int, ...], per_cell: int) -> NDArray[np.float32]:
    parts = []
    for stride, group in itertools.groupby(strides):
        repeats = len(list(group)) * per_cell
        cells = size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 1, 2)
        parts.append(np.repeat(centres, repeats, axis=1).reshape(-1, 2))
    return np.concatenate(parts).astype(np.float32)


class _Models:
    """The loaded networks. cv2.dnn nets are not thread-safe, hence the lock around use."""

    def __init__(self, folder: Path) -> None:
        def load(name: str) -> cv2.dnn.Net:
            return _read_tflite(folder / name)

        self.detectors = [
            (load(name), size, _anchors(size, strides, per_cell))
            for name, size, strides, per_cell in (_FULL, _SHORT)
        ]
        self.mesh = load("face_landmark.tflite")
        self.iris = load("iris_landmark.tflite")
        self.lock = threading.Lock()


_loaded: dict[Path, _Models] = {}


def _read_tflite(path: Path) -> cv2.dnn.Net:
    """The network, on the engine that returns every output tensor of these models.

    OpenCV 4.x has one engine. 5.0 added a new default that drops the score tensors, and
    ``ENGINE_CLASSIC`` to keep the old one; 5.1 removed the classic engine, and its new one
    returns every tensor again (the detector tests check the boxes on every version).
    """
    classic = getattr(cv2.dnn, "ENGINE_CLASSIC", None)
    if classic is None:
        return cv2.dnn.readNetFromTFLite(str(path))
    return cv2.dnn.readNetFromTFLite(str(path), classic)


def _detect(
    rgb: NDArray[np.uint8], net: cv2.dnn.Net, size: int, anchors: NDArray[np.float32]
) -> list[tuple[float, NDArray[np.float32], NDArray[np.float32]]]:
    """BlazeFace on a letterboxed copy: (score, box x y w h, eye keypoints 2×2) in image px."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top : top + nh, left : left + nw] = cv2.resize(
        rgb, (nw, nh), interpolation=cv2.INTER_AREA
    )
    blob = (canvas.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[np.newaxis]
    net.setInput(blob)
    outputs = net.forward(net.getUnconnectedOutLayersNames())
    raw_scores, raw_boxes = sorted(outputs, key=lambda a: int(a.shape[-1]))
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -80.0, 80.0)))
    boxes = raw_boxes.reshape(-1, 8, 2) / size
    keep = np.nonzero(scores > _MIN_SCORE)[0]
    found = []
    offset = np.array([left, top], dtype=np.float32)
    for i in keep:
        centre = (boxes[i, 0] + anchors[i]) * size
        extent = boxes[i, 1] * size
        if extent[0] <= 0 or extent[1] <= 0:
            continue
        corner = (centre - extent / 2 - offset) / scale
        eyes = ((boxes[i, 2:4] + anchors[i]) * size - offset) / scale
        box = np.array([*corner, *(extent / scale)], dtype=np.float32)
        found.append((float(scores[i]), box, eyes.astype(np.float32)))
    if not found:
        return []
    kept = cv2.dnn.NMSBoxes(
        [[float(v) for v in b] for _, b, _ in found], [s for s, _, _ in found], _MIN_SCORE, _NMS_IOU
    )
    return [found[int(i)] for i in np.asarray(kept).reshape(-1)]


def detect_faces(rgb: NDArray[np.uint8]) -> FaceScan:
    """Faces (boxes in the pixels of ``rgb``) and their eyes; empty with a reason when the
    models are not installed."""
    folder = face_models_dir()
    if folder is None:
        return FaceScan(faces=[], detector=MISSING)
    models = _loaded.get(folder)
    if models is None:
        models = _loaded.setdefault(folder, _Models(folder))
    with models.lock:
        found: list[tuple[float, NDArray[np.float32], NDArray[np.float32]]] = []
        # Full range first (faces up to ~5 m away); the short-range model only when it finds
        # nothing, for close-ups where one face fills the frame.
        for net, size, anchors in models.detectors:
            found = _detect(rgb, net, size, anchors)
            if found:
                break
        found.sort(key=lambda f: -float(f[1][2] * f[1][3]))
        faces = []
        for score, box, eye_points in found[:_MAX_FACES]:
            state, openness = eye_model.eye_state(models.mesh, models.iris, rgb, box, eye_points)
            x, y, w, h = (round(float(v)) for v in box)
            faces.append(Face(x, y, w, h, score, state, openness))
    return FaceScan(faces=faces, detector=DETECTOR_NAME)
