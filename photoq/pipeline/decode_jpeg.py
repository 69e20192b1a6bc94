"""Full-size JPEG decoding for develop and export, straight into a NumPy array.

Pillow decodes into its own 4-byte pixel layout and ``np.asarray`` then repacks it: on a 24 MP
photo that copy costs ~100–150 ms on top of the ~200 ms decode. OpenCV's libjpeg-turbo decodes
into the array itself (in RGB order where OpenCV offers it). Only full-size decodes of YCbCr/RGB
JPEGs come here; reduced-size, greyscale, CMYK and damaged files stay on the Pillow path, which
also owns the error messages: ``None`` from here means "let Pillow do it".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pathlib import Path

# cv2's stubs type every result loosely, hence Any for the dtype.
Pixels = npt.NDArray[Any]

# EXIF orientation → the array operations that turn stored pixels into displayed ones.
_ROTATE = {3: cv2.ROTATE_180, 6: cv2.ROTATE_90_CLOCKWISE, 8: cv2.ROTATE_90_COUNTERCLOCKWISE}
_FLIP = {2: 1, 4: 0}  # cv2.flip codes: 1 mirrors left-right, 0 top-bottom
_IMREAD_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)  # OpenCV ≥ 4.11


def orient_array(rgb: Pixels, orientation: int) -> Pixels:
    """``rgb`` as displayed for an EXIF ``orientation`` (1–8)."""
    if orientation in _ROTATE:
        return cv2.rotate(rgb, _ROTATE[orientation])
    if orientation in _FLIP:
        return cv2.flip(rgb, _FLIP[orientation])
    if orientation == 5:  # transpose: mirror along the main diagonal
        return np.ascontiguousarray(cv2.transpose(rgb))
    if orientation == 7:  # transverse: mirror along the other diagonal
        return cv2.rotate(cv2.transpose(rgb), cv2.ROTATE_180)
    return rgb


def decode_jpeg_full(path: Path, orientation: int) -> Pixels | None:
    """The whole JPEG as displayed RGB, or ``None`` when OpenCV cannot decode it."""
    data = np.fromfile(path, dtype=np.uint8)
    flags = cv2.IMREAD_IGNORE_ORIENTATION | (_IMREAD_RGB or cv2.IMREAD_COLOR)
    pixels = cv2.imdecode(data, flags)
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] != 3:
        return None
    if _IMREAD_RGB is None:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    return orient_array(pixels, orientation)
