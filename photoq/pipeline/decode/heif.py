"""HEIC, HEIF and AVIF through pillow-heif (libheif).

libheif applies the container's rotation and mirror (``irot``/``imir``) while decoding and
pillow-heif then resets the EXIF Orientation to 1, so the result is already as displayed: EXIF
orientation must not be applied again (iPhone files carry both and would be turned twice).
libheif cannot decode at a reduced scale, so the full image is decoded and then shrunk; an
embedded thumbnail is used instead when one is at least the analysis size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pillow_heif

from photoq.errors import CorruptImage, ImageTooLarge, PermanentError
from photoq.pipeline.decode.common import DecodedImage, as_array, check_pixels, shrink, to_rgb

if TYPE_CHECKING:
    from pathlib import Path

    from PIL import Image


def decode_heif(path: Path, fmt: str, *, long_edge: int, max_pixels: int) -> DecodedImage:
    """Decode the primary image of a HEIF/AVIF file to analysis size."""
    try:
        heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
        primary: Any = heif[heif.primary_index]
        width, height = primary.size
        check_pixels(int(width), int(height), max_pixels)
        source = "heif"
        image = _thumbnail(primary, long_edge)
        if image is not None:
            source = "heif-thumbnail"
        else:
            image = primary.to_pillow()
        out = (
            to_rgb(shrink(image, long_edge))
            if image.mode in ("RGB", "RGBA", "L")
            else shrink(to_rgb(image), long_edge)
        )
        pixels = as_array(out)
    except PermanentError:
        raise
    except MemoryError as exc:
        msg = f"{fmt.upper()} image is too large to decode in memory"
        raise ImageTooLarge(msg) from exc
    except (OSError, ValueError, RuntimeError, EOFError, SyntaxError) as exc:
        raise CorruptImage(_reason(exc, fmt)) from exc
    return DecodedImage(pixels, fmt, int(width), int(height), source)


def _thumbnail(primary: Any, long_edge: int) -> Image.Image | None:
    """A decoded embedded thumbnail whose long edge reaches ``long_edge``, if the file has one.

    ``info["thumbnails"]`` lists each thumbnail's long edge, so none is decoded needlessly. A
    thumbnail that fails to decode (Sony's 1616 px ones do, with libheif 1.20) is skipped.
    """
    for index, box in enumerate(primary.info.get("thumbnails") or []):
        if not isinstance(box, int) or box < long_edge:
            continue
        try:
            image: Image.Image = primary.get_thumbnail(index).to_pillow()
        except (OSError, ValueError, RuntimeError, AttributeError, IndexError):
            continue
        if max(image.size) >= long_edge:
            return image
    return None


def _reason(exc: BaseException, fmt: str) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    label = fmt.upper()
    if "end of file" in lowered or "truncated" in lowered or isinstance(exc, EOFError):
        return f"truncated {label} data ({text})"
    return f"damaged {label} file ({text})"
