"""A small baseline-TIFF writer for 8- and 16-bit RGB with EXIF, GPS and an ICC profile.

Why not Pillow's TIFF encoder: Pillow keeps RGB at 8 bits per channel (there is no 48-bit RGB
mode to save from), and its compressed path goes through libtiff, which refuses the EXIF sub-IFD
("Bad LONG8 or IFD8 value … EXIFIFDOffset"). Writing the file ourselves is short: one IFD that
Pillow's :class:`~PIL.TiffImagePlugin.ImageFileDirectory_v2` serialises (sub-IFDs included), then
the pixel strips. Strips are Deflate-compressed with the horizontal-differencing predictor
(Compression 8, Predictor 2), which every TIFF reader (Photoshop, Lightroom, libtiff, tifffile,
ExifTool) understands and which shrinks 16-bit photos by roughly a third.

File layout (little-endian)::

    header (8 bytes) │ IFD0 + its out-of-line values + EXIF/GPS sub-IFDs │ strip 0 │ strip 1 │ …
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
from PIL import TiffImagePlugin, TiffTags

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from PIL import Image

_HEADER = b"II*\x00" + struct.pack("<I", 8)  # little-endian, IFD0 right after the header
# Aim for strips of about 256 KiB of raw pixels: big enough for Deflate to work well, small
# enough that a reader can decode part of the image.
_STRIP_BYTES = 256 * 1024
# zlib level 6 is zlib's default: level 9 costs ~2× the time for ~2 % smaller 16-bit files.
DEFLATE_LEVEL = 6

T_WIDTH, T_LENGTH, T_BITS, T_COMPRESSION, T_PHOTOMETRIC = 256, 257, 258, 259, 262
T_STRIP_OFFSETS, T_SAMPLES, T_ROWS_PER_STRIP, T_STRIP_COUNTS = 273, 277, 278, 279
T_X_RES, T_Y_RES, T_PLANAR, T_RES_UNIT, T_PREDICTOR, T_SAMPLE_FORMAT = 282, 283, 284, 296, 317, 339
T_ICC = 34675
COMPRESSION_DEFLATE = 8  # "Adobe Deflate", the code libtiff and Photoshop write
PREDICTOR_HORIZONTAL = 2


def write_tiff(
    fh: BinaryIO,
    rgb: NDArray[np.uint8] | NDArray[np.uint16],
    *,
    icc: bytes | None,
    exif: Image.Exif | None,
    level: int = DEFLATE_LEVEL,
) -> None:
    """Write ``rgb`` (H×W×3, uint8 or uint16) to ``fh`` as a Deflate-compressed RGB TIFF."""
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    bits = rgb.dtype.itemsize * 8
    pixels: NDArray[np.unsignedinteger[Any]] = np.ascontiguousarray(
        rgb, dtype=rgb.dtype.newbyteorder("<")
    )
    rows = max(1, _STRIP_BYTES // (width * 3 * rgb.dtype.itemsize))
    strips = [
        zlib.compress(_predict(pixels[top : top + rows]).tobytes(), level)
        for top in range(0, height, rows)
    ]
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=_HEADER)
    _put_exif(ifd, exif)
    _put(ifd, T_WIDTH, width, TiffTags.LONG)
    _put(ifd, T_LENGTH, height, TiffTags.LONG)
    _put(ifd, T_BITS, (bits, bits, bits), TiffTags.SHORT)
    _put(ifd, T_COMPRESSION, COMPRESSION_DEFLATE, TiffTags.SHORT)
    _put(ifd, T_PHOTOMETRIC, 2, TiffTags.SHORT)  # RGB
    _put(ifd, T_SAMPLES, 3, TiffTags.SHORT)
    _put(ifd, T_ROWS_PER_STRIP, rows, TiffTags.LONG)
    _put(ifd, T_STRIP_COUNTS, tuple(len(s) for s in strips), TiffTags.LONG)
    _put(ifd, T_PLANAR, 1, TiffTags.SHORT)  # chunky: RGBRGB…
    _put(ifd, T_PREDICTOR, PREDICTOR_HORIZONTAL, TiffTags.SHORT)
    _put(ifd, T_SAMPLE_FORMAT, (1, 1, 1), TiffTags.SHORT)  # unsigned integers
    for tag, default in ((T_X_RES, 72.0), (T_Y_RES, 72.0), (T_RES_UNIT, 2)):
        if tag not in ifd:  # baseline TIFF requires them; the camera's values win when present
            ifd[tag] = default
    if icc:
        _put(ifd, T_ICC, icc, TiffTags.UNDEFINED)
    # Offsets relative to the end of the IFD block: Pillow adds that end when it serialises.
    relative, position = [], 0
    for strip in strips:
        relative.append(position)
        position += len(strip) + (len(strip) & 1)
    _put(ifd, T_STRIP_OFFSETS, tuple(relative), TiffTags.LONG)
    fh.write(_HEADER)
    fh.write(ifd.tobytes(len(_HEADER)))
    for strip in strips:
        fh.write(strip)
        if len(strip) & 1:
            fh.write(b"\x00")  # keep every strip word-aligned, as the TIFF spec recommends


def _predict(block: NDArray[np.unsignedinteger[Any]]) -> NDArray[np.unsignedinteger[Any]]:
    """Horizontal differencing (TIFF Predictor 2): each sample minus its left neighbour, mod 2ⁿ."""
    out = block.copy()
    out[:, 1:] -= block[:, :-1]  # unsigned arithmetic wraps, exactly as the predictor defines
    return out


def _put(ifd: TiffImagePlugin.ImageFileDirectory_v2, tag: int, value: object, typ: int) -> None:
    ifd[tag] = value
    ifd.tagtype[tag] = typ


def _put_exif(ifd: TiffImagePlugin.ImageFileDirectory_v2, exif: Image.Exif | None) -> None:
    # IFD0 EXIF tags (Make, Model, DateTime, Orientation …) sit beside the image tags; the EXIF
    # and GPS sub-IFDs are dicts, which Pillow writes as nested IFDs. Image tags set afterwards
    # take precedence over any stale copy.
    if exif is None:
        return
    for tag, value in exif.items():
        ifd[tag] = value
