"""The MPF "Large Thumbnail" preview of a camera JPEG, used in place of the main image.

Most recent camera bodies (Sony, Nikon, Fujifilm, Pentax, Canon …) write a CIPA DC-007 Multi-Picture
index (APP2 "MPF") after the main image and store a second, complete JPEG of 1,600–2,000 px
behind it: the "Large Thumbnail", MP type 0x010001 (VGA equivalent) or 0x010002 (Full-HD
equivalent). Huffman decoding is the floor of any JPEG decode, and a 2 MP preview holds about a
tenth of the entropy of the 24 MP main image, so decoding it beats even the 1/8 DCT downscale
of the main image. Pillow already parses the index when it opens the file (it then calls the
file "MPO") and ``seek`` moves to another picture, so choosing costs a header read.

A preview is used only when it is a true copy of the frame: a Large Thumbnail type (never a
stereo view or a panorama part), its long edge at least the requested size, its aspect within
1 % of the main image's (a 16:9 preview of a 3:2 frame is cropped or letterboxed, and black
bars would read as clipped shadows), and its bytes inside the file. Anything else, or any error
while looking, leaves the main image selected.
"""

from __future__ import annotations

import struct
from typing import Any

from PIL import Image

__all__ = ["LARGE_THUMBNAIL_TYPES", "select_mpf_preview"]

# Pillow reports MP types by name; these are its names for 0x010001 and 0x010002.
LARGE_THUMBNAIL_TYPES = frozenset(
    {"Large Thumbnail (VGA Equivalent)", "Large Thumbnail (Full HD Equivalent)"}
)
_ASPECT_TOLERANCE = 0.01
# Errors Pillow raises on a damaged or lying MP index / preview header.
_LOOK_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    KeyError,
    TypeError,
    struct.error,
    Image.DecompressionBombError,
)


def _entries(image: Image.Image) -> list[tuple[int, dict[str, Any]]]:
    """(frame index, MP entry) of each Large Thumbnail in the index, in index order."""
    info = getattr(image, "mpinfo", None)
    if not isinstance(info, dict):
        return []
    entries = info.get(0xB002)
    if not isinstance(entries, list):
        return []
    found = []
    for index, entry in enumerate(entries):
        if index == 0 or not isinstance(entry, dict):
            continue  # frame 0 is the main image itself
        attribute = entry.get("Attribute")
        if isinstance(attribute, dict) and attribute.get("MPType") in LARGE_THUMBNAIL_TYPES:
            found.append((index, entry))
    return found


def _fits(
    size: tuple[int, int], main: tuple[int, int], long_edge: int, end: int, file_size: int
) -> bool:
    width, height = size
    if width <= 0 or height <= 0 or max(width, height) < long_edge or end > file_size:
        return False
    return abs(width / height - main[0] / main[1]) <= _ASPECT_TOLERANCE * (main[0] / main[1])


def select_mpf_preview(image: Image.Image, long_edge: int, file_size: int) -> bool:
    """Seek ``image`` (just opened, frame 0) to its best Large Thumbnail, if one fits.

    The best is the smallest preview whose long edge is at least ``long_edge``. Returns True
    when ``image`` now stands on that preview, False when it stands on the main image.
    """
    if image.format != "MPO":
        return False
    main = image.size
    if min(main) <= 0 or max(main) <= long_edge:
        return False
    best: tuple[int, int] | None = None  # (pixels, frame)
    try:
        for index, entry in _entries(image):
            image.seek(index)
            end = int(getattr(image, "offset", 0)) + int(entry.get("Size", 0))
            if _fits(image.size, main, long_edge, end, file_size):
                pixels = image.size[0] * image.size[1]
                if best is None or pixels < best[0]:
                    best = (pixels, index)
        if best is None:
            if image.tell() != 0:
                image.seek(0)
            return False
        if image.tell() != best[1]:
            image.seek(best[1])
    except _LOOK_ERRORS:
        # A damaged index must not cost the photo: fall back to the main image.
        image.seek(0)
        return False
    return True
