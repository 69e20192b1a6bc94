"""Pieces shared by the decoders: the result type, limits, errors and the final resize."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from photoq.errors import ImageTooLarge

DEFAULT_LONG_EDGE = 1536
DEFAULT_MAX_PIXELS = 250_000_000
#: The memory one decode may need at its peak, estimated from the header (see
#: :func:`decode_bytes`): a 250 MP 8-bit RGB photo needs 1 GB, a 16-bit grey one 3.5 GB.
DEFAULT_MAX_DECODE_BYTES = 2 << 30

# Bytes per pixel Pillow stores for a mode (RGB, RGBA, CMYK, I, F … are 4: one 32-bit word).
_STORED = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# Modes the decoders shrink before converting (so the full-size working copy is small).
SHRINK_FIRST_MODES = frozenset({"RGB", "L", "RGBA", "LA", "CMYK", "YCbCr"})
# High-bit-depth modes that :func:`to_rgb` converts at full size through NumPy: the array copy,
# a float32 copy and its scaled temporary (4 + 4), the 8-bit grey (1) and its RGB image (4).
_HIGH_BIT_WORKING = 13


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """An analysis-size, displayed-orientation RGB copy of a photo.

    ``width``/``height`` are the full-resolution displayed size (after orientation), so callers
    can report and compare resolution without a second decode.
    """

    pixels: npt.NDArray[np.uint8]  # H×W×3, RGB, C-contiguous
    format: str  # the real container, whatever the extension says
    width: int
    height: int
    source: str  # how it was decoded: "jpeg-draft", "pillow", "heif", "raw-preview" …
    #: True when a RAW was demosaiced at the absolute white balance asked for.
    white_balanced: bool = False


def decode_bytes(width: int, height: int, mode: str = "RGB") -> int:
    """Peak memory a full-size decode of a ``mode`` image (Pillow's mode) needs, estimated:
    the decoded pixels as Pillow stores them plus the full-size working copies the conversion
    to 8-bit RGB makes (none when the image is shrunk first)."""
    stored = _STORED.get(mode, 4)
    if mode in SHRINK_FIRST_MODES:
        working = 0
    elif mode.startswith("I") or mode == "F":
        working = _HIGH_BIT_WORKING
    else:
        working = 4  # one full-size RGB conversion (P, PA, La, HSV, LAB …)
    return width * height * (stored + working)


def check_pixels(
    width: int,
    height: int,
    max_pixels: int,
    *,
    mode: str = "RGB",
    max_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> None:
    """Refuse a decompression bomb from its header, before any pixel is allocated: more than
    ``max_pixels``, or a decode needing more than ``max_bytes`` (:func:`decode_bytes`; a 16-bit
    image costs several times an 8-bit one of the same size)."""
    if width <= 0 or height <= 0:
        return
    if width * height > max_pixels:
        msg = (
            f"image is {width}×{height} = {width * height / 1e6:,.0f} MP, "
            f"over the {max_pixels / 1e6:,.0f} MP limit"
        )
        raise ImageTooLarge(msg)
    needed = decode_bytes(width, height, mode)
    if needed > max_bytes:
        msg = (
            f"image is {width}×{height} in mode {mode}: decoding it needs about "
            f"{needed / 1e9:,.1f} GB ({needed:,} bytes), over the {max_bytes / 1e9:,.1f} GB limit"
        )
        raise ImageTooLarge(msg)


def target_size(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """Size with the long edge at most ``long_edge``, aspect kept; never larger than the input."""
    longest = max(width, height)
    if longest <= long_edge:
        return width, height
    scale = long_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB; high-bit-depth greys are scaled, not clipped."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow's own I→RGB conversion clips at 255, turning a 16-bit photo white.
        arr = np.asarray(image)
        peak = 65535 if arr.max(initial=0) > 255 else 255
        grey = (arr.astype(np.float32) * (255.0 / peak)).clip(0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if image.mode == "F":
        return Image.fromarray(np.asarray(image).clip(0, 255).astype(np.uint8)).convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return image.convert("RGB")


def shrink(image: Image.Image, long_edge: int) -> Image.Image:
    """Resize to the analysis size with a box filter, the same low-pass as DCT-domain scaling.

    The filter decides how much pixel-level detail the sharpness measure sees. A 45 MP JPEG
    reaches 1,024 px by DCT scaling alone (1/8: an 8-pixel average), a 12 MP one by 1/4 and then
    a resize by 1.035. A bilinear resize at such a factor blends neighbours and cost the 12 MP
    copy 0.35 points of score against the 45 MP one; a box filter keeps the two within 0.05,
    whatever the camera's resolution, and is also the cheapest Pillow resize.
    """
    size = target_size(image.width, image.height, long_edge)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.BOX)


def as_array(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The pixels as an H×W×3 uint8 array (one copy, made after the resize)."""
    arr = np.asarray(image, dtype=np.uint8)
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
