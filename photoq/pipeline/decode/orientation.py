"""EXIF orientation (1–8) and LibRaw's ``flip``: turning stored pixels into displayed ones.

Orientation is applied after the analysis-size resize, when the image is small, so rotating costs
well under a millisecond. HEIF is the exception that must never come here: libheif already applies
the container's ``irot``/``imir`` and pillow-heif resets the EXIF tag, so rotating again would turn
an iPhone portrait on its side.
"""

from __future__ import annotations

from PIL import Image

# EXIF orientation → the Pillow transpose that undoes it (as ``ImageOps.exif_transpose`` does).
_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# LibRaw ``sizes.flip`` (dcraw's convention) → EXIF orientation.
_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}


def valid_orientation(value: object) -> int:
    """The orientation to apply: 1 for missing, malformed or out-of-range values."""
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def swaps_axes(orientation: int) -> bool:
    """Whether displaying the image exchanges its width and height (orientations 5–8)."""
    return orientation >= 5


def displayed_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """Size as displayed, given the stored size and the orientation."""
    return (height, width) if swaps_axes(orientation) else (width, height)


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """Return ``image`` turned the way the orientation tag says it is displayed."""
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


def libraw_flip_to_orientation(flip: int) -> int:
    """Translate LibRaw's ``flip`` into the EXIF orientation meaning the same turn."""
    return _FLIP_TO_ORIENTATION.get(flip, 1)
