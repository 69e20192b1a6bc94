"""Decode a photo once, at analysis size, in its displayed orientation.

A camera JPEG whose MPF index holds a large enough preview decodes that preview instead
(:mod:`~photoq.pipeline.decode.mpf`); other JPEGs use DCT-domain downscaling (Pillow ``draft``:
libjpeg decodes at 1/2, 1/4 or 1/8 scale, so a 24 MP file costs about a third of a full
decode); HEIC/HEIF/AVIF go through pillow-heif; RAW through LibRaw
(:mod:`~photoq.pipeline.decode.raw`); everything else through Pillow. The real format is sniffed
from the bytes, so a mislabelled file is read by the right decoder.

Safety: dimensions are checked against ``max_pixels`` from the header before pixels are
allocated; ``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False, so a truncated file is an error, not
a grey half-picture; every decoder failure becomes a :class:`~photoq.errors.PermanentError`
subclass with a one-line reason.
"""

from __future__ import annotations

import mmap
import os
import struct
import warnings
from typing import TYPE_CHECKING

from PIL import Image, ImageFile, UnidentifiedImageError

from photoq.errors import CorruptImage, ImageTooLarge, PermanentError, UnsupportedFormat
from photoq.pipeline.decode.common import (
    DEFAULT_LONG_EDGE,
    DEFAULT_MAX_DECODE_BYTES,
    DEFAULT_MAX_PIXELS,
    SHRINK_FIRST_MODES,
    DecodedImage,
    as_array,
    check_pixels,
    shrink,
    target_size,
    to_rgb,
)
from photoq.pipeline.decode.jpeg import decode_jpeg_full
from photoq.pipeline.decode.mpf import select_mpf_preview
from photoq.pipeline.decode.orientation import apply_orientation, displayed_size, valid_orientation
from photoq.pipeline.files import open_regular
from photoq.pipeline.formats import RAW_EXTENSIONS, SNIFF_BYTES, describe_unknown, sniff_format
from photoq.pipeline.metadata.containers import read_container

if TYPE_CHECKING:
    from pathlib import Path

    from photoq.pipeline.decode.white_balance import WhiteBalance

__all__ = ["DecodedImage", "decode_for_analysis"]

# AVIF goes to Pillow's own AVIF plugin: the pillow-heif wheel is built without an AV1 decoder.
_PILLOW_FORMATS = frozenset({"jpeg", "png", "tiff", "webp", "gif", "bmp", "jpeg2000", "avif"})
_RAW_FORMATS = frozenset({"cr2", "cr3", "crw", "raf", "orf", "rw2", "mrw", "x3f"})
_HEIF_FORMATS = frozenset({"heif"})
_SHRINK_FIRST = SHRINK_FIRST_MODES  # what check_pixels' byte estimate assumes

# Pillow's own bomb guard stays on as a second line of defence, raised to photoq's default so
# that it never refuses what photoq's own (configurable) header check allows.
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, DEFAULT_MAX_PIXELS)
ImageFile.LOAD_TRUNCATED_IMAGES = False


def decode_for_analysis(
    path: Path,
    *,
    long_edge: int = DEFAULT_LONG_EDGE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> DecodedImage:
    """Decode ``path`` to RGB with its long edge at most ``long_edge``, oriented as displayed.

    An image over ``max_pixels``, or whose decode would need more than ``max_bytes``
    (:func:`~photoq.pipeline.decode.common.decode_bytes`), is refused from its header."""
    return _decode(
        path, long_edge=long_edge, max_pixels=max_pixels, max_bytes=max_bytes, develop=False
    )


def decode_for_develop(
    path: Path,
    *,
    long_edge: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    white_balance: WhiteBalance | None = None,
    max_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> DecodedImage:
    """Like :func:`decode_for_analysis`, for rendering an export: RAW files are demosaiced
    (with the camera's white balance, or ``white_balance`` when the camera's colour matrix
    allows it: see ``DecodedImage.white_balanced``) instead of standing in for themselves with
    their preview. Other formats ignore ``white_balance``: theirs is baked in."""
    return _decode(
        path,
        long_edge=long_edge,
        max_pixels=max_pixels,
        max_bytes=max_bytes,
        develop=True,
        white_balance=white_balance,
    )


def _decode(
    path: Path,
    *,
    long_edge: int,
    max_pixels: int,
    develop: bool,
    white_balance: WhiteBalance | None = None,
    max_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> DecodedImage:
    with open_regular(path) as fh:  # a FIFO or device is refused at once, never waited on
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(SNIFF_BYTES)
    if size == 0:
        msg = "not an image: the file is empty (0 bytes)"
        raise CorruptImage(msg)
    fmt = sniff_format(head)
    if fmt is None:
        raise UnsupportedFormat(describe_unknown(head))
    if fmt in _RAW_FORMATS or (fmt == "tiff" and path.suffix.lower() in RAW_EXTENSIONS):
        from photoq.pipeline.decode.raw import decode_raw, develop_raw  # LibRaw only when needed

        raw_fmt = path.suffix.lower().lstrip(".") if fmt == "tiff" else fmt
        if develop:
            return develop_raw(
                path,
                raw_fmt,
                long_edge=long_edge,
                max_pixels=max_pixels,
                white_balance=white_balance,
            )
        return decode_raw(path, raw_fmt, long_edge=long_edge, max_pixels=max_pixels)
    if fmt in _HEIF_FORMATS:
        from photoq.pipeline.decode.heif import decode_heif

        return decode_heif(path, fmt, long_edge=long_edge, max_pixels=max_pixels)
    if fmt in _PILLOW_FORMATS:
        _check_header_size(path, fmt, max_pixels)
        return _decode_pillow(
            path,
            fmt,
            size,
            long_edge=long_edge,
            max_pixels=max_pixels,
            max_bytes=max_bytes,
            develop=develop,
        )
    msg = (
        f"{fmt.upper()} images are not supported (only JPEG, HEIC/HEIF/AVIF, TIFF, PNG, WebP, RAW)"
    )
    raise UnsupportedFormat(msg)


def _decode_pillow(
    path: Path,
    fmt: str,
    file_size: int,
    *,
    long_edge: int,
    max_pixels: int,
    max_bytes: int,
    develop: bool,
) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            # Bombs are refused by check_pixels; Pillow's warnings about odd tags are noise here.
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                check_pixels(width, height, max_pixels, mode=image.mode, max_bytes=max_bytes)
                orientation = valid_orientation(image.getexif().get(0x0112))
                source = "pillow"
                # Camera JPEGs with an MPF index (most recent bodies) open as "MPO": same decoder.
                is_jpeg = image.format in ("JPEG", "MPO")
                if is_jpeg and select_mpf_preview(image, long_edge, file_size):
                    source = "jpeg-mpf-preview"
                    # The preview may itself be larger than needed: DCT-downscale it too.
                    image.draft("RGB", _draft_request(*image.size, long_edge))
                elif is_jpeg and max(width, height) > long_edge:
                    image.draft("RGB", _draft_request(width, height, long_edge))
                    source = "jpeg-draft" if image.size[0] < width else "jpeg"
                elif is_jpeg:
                    source = "jpeg"
                    if develop and image.mode == "RGB":
                        full = decode_jpeg_full(path, orientation)
                        if full is not None:
                            w, h = displayed_size(width, height, orientation)
                            return DecodedImage(full[0], fmt, w, h, full[1])
                image.load()
                out: Image.Image = image
                if out.mode in _SHRINK_FIRST:
                    out = to_rgb(shrink(out, long_edge))
                else:
                    out = shrink(to_rgb(out), long_edge)
                out = apply_orientation(out, orientation)
                pixels = as_array(out)
    except PermanentError:
        raise
    except Image.DecompressionBombError as exc:
        msg = f"image is too large to decode safely ({' '.join(str(exc).split())})"
        raise ImageTooLarge(msg) from exc
    except UnidentifiedImageError as exc:
        msg = f"damaged {fmt.upper()} file: the header cannot be read"
        raise CorruptImage(msg) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise CorruptImage(_damage_reason(exc, fmt, file_size)) from exc
    except MemoryError as exc:
        msg = f"{fmt.upper()} image is too large to decode in memory"
        raise ImageTooLarge(msg) from exc
    w, h = displayed_size(width, height, orientation)
    return DecodedImage(pixels, fmt, w, h, source)


def _check_header_size(path: Path, fmt: str, max_pixels: int) -> None:
    """Refuse a bomb from the container header, before Pillow (coarser guard) opens it."""
    with open_regular(path) as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if fmt == "jpeg":
            check_jpeg_markers(buf)
        try:
            size = read_container(buf, fmt).size
        except (struct.error, ValueError, IndexError):
            return  # damaged headers are reported by the decoder with its own reason
    if size is not None:
        check_pixels(int(size[0]), int(size[1]), max_pixels)


#: The most bytes between two JPEG segments searched for the next marker. Pillow's header parser
#: skips junk one byte read at a time (a 2 GB file of zeros behind a header took two minutes);
#: real files have at most a few stray bytes there.
MAX_JPEG_JUNK = 64 << 10


def check_jpeg_markers(buf: mmap.mmap | bytes) -> None:
    """Walk a JPEG's segments from SOI to the first SOS (lengths only, no decode) and refuse,
    as :class:`CorruptImage`, a segment running past the end of the file or junk longer than
    :data:`MAX_JPEG_JUNK` where a marker should be, before Pillow scans it byte by byte."""
    pos, end = 2, len(buf)
    while True:
        if pos >= end:
            msg = f"truncated JPEG file: its header ends at byte {end:,} before any image data"
            raise CorruptImage(msg)
        if buf[pos] != 0xFF:
            found = buf.find(b"\xff", pos, min(end, pos + MAX_JPEG_JUNK))
            if found < 0:
                msg = (
                    f"damaged JPEG file: no marker in the {min(end - pos, MAX_JPEG_JUNK):,} "
                    f"bytes after byte {pos:,} (a header followed by junk)"
                )
                raise CorruptImage(msg)
            pos = found
        fill = pos
        while pos < end and buf[pos] == 0xFF and pos - fill < MAX_JPEG_JUNK:  # fill bytes
            pos += 1
        if pos >= end:
            continue
        marker = buf[pos]
        pos += 1
        if marker == 0xFF:  # fill longer than any real file has
            msg = f"damaged JPEG file: {MAX_JPEG_JUNK:,} fill bytes after byte {fill:,}"
            raise CorruptImage(msg)
        if marker in (0x00, 0x01, *range(0xD0, 0xD8)):  # junk, TEM, RSTn: no length
            continue
        if marker in (0xDA, 0xD9):  # the scan starts (or the image ends): Pillow takes over
            return
        if pos + 2 > end:
            continue
        length = (buf[pos] << 8) | buf[pos + 1]
        if pos + length > end:
            msg = (
                f"truncated JPEG file: a header segment (marker {marker:02X}) runs past its "
                f"end at byte {end:,}"
            )
            raise CorruptImage(msg)
        pos += length


def _draft_request(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """The size to ask ``draft`` for: libjpeg picks the largest 1/2ⁿ scale still at least this."""
    return target_size(width, height, long_edge)


def _damage_reason(exc: BaseException, fmt: str, file_size: int) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "truncated" in text.lower() or isinstance(exc, EOFError):
        return f"truncated {fmt.upper()} data (file ends at byte {file_size:,})"
    return f"damaged {fmt.upper()} data: {text}"
