"""Open or closed eyes of one detected face, from the eyelid contour's aspect ratio.

The face is cut out square (1.5× the detector box, turned so the eyes are level) at 192 px for
the face-mesh model, which places the eye corners well but barely moves its eyelids when eyes
close. Each eye is then cut out (2.3× its width, as MediaPipe does) at 64 px for the iris model,
whose eyelid contour follows closure closely. The eye aspect ratio is the mean lid gap over the
eye width: ≈0.3 open, under 0.15 closed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["CLOSED_BELOW", "MIN_FACE_PX", "eye_state"]

EyeState = Literal["open", "closed", "unknown"]
# Mean eye aspect ratio below which eyes are called closed (tuned on labelled/eyes: open faces'
# 5th percentile ≈ 0.22, closed faces' median ≈ 0.12).
CLOSED_BELOW = 0.20
# Smaller faces carry too few pixels per eye for the lids to be seen.
MIN_FACE_PX = 24
_MESH_SIZE = 192
_IRIS_SIZE = 64
_FACE_MARGIN = 1.5
_EYE_MARGIN = 2.3
# Face-mesh indices of each eye's outer and inner corners (image-left eye first).
_EYE_CORNERS = ((33, 133), (263, 362))
# Eye-contour points of the iris model: 0 and 8 are the corners, (11, 3), (12, 4), (13, 5)
# are upper/lower lid pairs across the eye.
_LID_PAIRS = ((11, 3), (12, 4), (13, 5))


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(value, 80.0), -80.0)))


def _run(net: cv2.dnn.Net, patch: NDArray[np.uint8]) -> list[NDArray[np.float32]]:
    blob = (np.ascontiguousarray(patch).astype(np.float32) / 255.0).transpose(2, 0, 1)
    net.setInput(blob[np.newaxis])
    outputs = net.forward(net.getUnconnectedOutLayersNames())
    return [np.asarray(o, dtype=np.float32) for o in outputs]


def _cut(
    image: NDArray[np.uint8], centre: NDArray[np.float32], angle: float, side: float, size: int
) -> NDArray[np.uint8]:
    """A square of ``side`` px around ``centre``, turned by ``angle`` degrees, at ``size`` px."""
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, size / side)
    matrix[0, 2] += size / 2 - float(centre[0])
    matrix[1, 2] += size / 2 - float(centre[1])
    return np.asarray(
        cv2.warpAffine(
            image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ),
        dtype=np.uint8,
    )


def _eye_ratio(
    iris: cv2.dnn.Net,
    face: NDArray[np.uint8],
    outer: NDArray[np.float32],
    inner: NDArray[np.float32],
    mirror: bool,
) -> float:
    width = float(np.linalg.norm(outer - inner))
    angle = math.degrees(math.atan2(float(inner[1] - outer[1]), float(inner[0] - outer[0])))
    if mirror:
        angle += 180.0
    centre = ((outer + inner) / 2).astype(np.float32)
    patch = _cut(face, centre, angle, max(width * _EYE_MARGIN, 2.0), _IRIS_SIZE)
    if mirror:
        # The iris model is trained on one eye; the other is shown to it mirrored.
        patch = patch[:, ::-1]
    contour = next(o for o in _run(iris, patch) if o.size == 213).reshape(71, 3)[:, :2]
    span = float(np.linalg.norm(contour[0] - contour[8]))
    gap = float(np.mean([np.linalg.norm(contour[u] - contour[d]) for u, d in _LID_PAIRS]))
    return gap / max(span, 1e-6)


def eye_state(
    mesh: cv2.dnn.Net,
    iris: cv2.dnn.Net,
    rgb: NDArray[np.uint8],
    box: NDArray[np.float32],
    eye_points: NDArray[np.float32],
) -> tuple[EyeState, float | None]:
    """State of the eyes of the face at ``box`` (x, y, w, h) with detector eye keypoints."""
    x, y, w, h = (float(v) for v in box)
    if min(w, h) < MIN_FACE_PX:
        return "unknown", None
    left, right = eye_points[0], eye_points[1]
    angle = math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))
    centre = np.array([x + w / 2, y + h / 2], dtype=np.float32)
    face = _cut(rgb, centre, angle, max(w, h) * _FACE_MARGIN, _MESH_SIZE)
    outputs = _run(mesh, face)
    flag = next(o for o in outputs if o.size == 1)
    points = next(o for o in outputs if o.size == 1404).reshape(468, 3)[:, :2]
    if _sigmoid(float(flag.reshape(-1)[0])) < 0.5:
        return "unknown", None
    ratios = [
        _eye_ratio(iris, face, points[outer], points[inner], mirror=index == 1)
        for index, (outer, inner) in enumerate(_EYE_CORNERS)
    ]
    openness = float(np.mean(ratios))
    return ("closed" if openness < CLOSED_BELOW else "open"), openness
