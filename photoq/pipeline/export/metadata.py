"""The metadata an export carries: its EXIF, rewritten for the new pixels, and an sRGB profile.

EXIF is rebuilt tag by tag rather than patched, because the exported file is a new image:

- ``Orientation`` becomes 1 — the pixels handed to the exporter are already upright, and a viewer
  that applied the original orientation again would turn the export a second time;
- ``PixelXDimension``/``PixelYDimension`` (and ``ImageWidth``/``ImageLength`` where the original
  had them) state the exported size;
- the GPS IFD is dropped on request (publishing without the location);
- image-structure tags of a TIFF or RAW original (strip offsets, bit depth, compression …), the
  IFD1 thumbnail (it shows the undeveloped, possibly rotated original) and the MakerNote are not
  copied. A MakerNote holds offsets into the *original* file that Pillow would copy as opaque
  bytes and so corrupt; Lightroom's exports drop it too.
"""

from __future__ import annotations

import logging
import warnings
from functools import cache
from typing import Any

from PIL import Image, ImageCms

log = logging.getLogger(__name__)

EXIF_HEADER = b"Exif\x00\x00"

TAG_IMAGE_WIDTH = 0x0100
TAG_IMAGE_LENGTH = 0x0101
TAG_ORIENTATION = 0x0112
TAG_EXIF_IFD = 0x8769
TAG_GPS_IFD = 0x8825
TAG_INTEROP_IFD = 0xA005
TAG_MAKER_NOTE = 0x927C
TAG_PIXEL_X = 0xA002
TAG_PIXEL_Y = 0xA003

# IFD0 tags that describe how the *original's* pixels were stored, or that point into it.
_STRUCTURE_TAGS = frozenset(
    {
        0x00FE, 0x00FF, 0x0102, 0x0103, 0x0106, 0x0107, 0x0111, 0x0115, 0x0116, 0x0117,
        0x011C, 0x0122, 0x0123, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145, 0x014A, 0x0152,
        0x0153, 0x0201, 0x0202, 0x02BC, 0x83BB, 0x8649, 0x8773, 0xC612, 0xC614,
    }
)  # fmt: skip


@cache
def srgb_icc() -> bytes:
    """An sRGB ICC profile (LittleCMS's built-in, v2, ≈600 bytes) to embed in every export."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def load_exif(exif_bytes: bytes) -> Image.Exif | None:
    """Parse an EXIF block, with or without its ``Exif\\0\\0`` APP1 header.

    None when it cannot be read or holds no tags at all.
    """
    exif = Image.Exif()
    data = exif_bytes if exif_bytes.startswith(EXIF_HEADER) else EXIF_HEADER + exif_bytes
    # Pillow reports a damaged IFD with a UserWarning and carries on; record it for our log.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exif.load(data)
            tags = dict(exif.items())  # Pillow parses lazily: surface a damaged IFD0 here
        except (SyntaxError, ValueError, TypeError, OSError, KeyError, IndexError) as exc:
            log.warning("source EXIF is unreadable (%s); exporting without it", exc)
            return None
    for warning in caught:
        log.warning("source EXIF is damaged: %s", warning.message)
    if not tags:
        return None
    return exif


def export_exif(
    exif_bytes: bytes | None, width: int, height: int, *, strip_gps: bool
) -> Image.Exif | None:
    """A fresh :class:`PIL.Image.Exif` for an exported image of ``width`` × ``height``.

    None when there is no source EXIF, or when it cannot be read — an export is not failed for
    the camera's metadata (the reason is logged).
    """
    if not exif_bytes:
        return None
    source = load_exif(exif_bytes)
    if source is None:
        return None
    out = Image.Exif()
    for tag, value in source.items():
        if tag in _STRUCTURE_TAGS or tag in (TAG_EXIF_IFD, TAG_GPS_IFD):
            continue
        out[tag] = value
    out[TAG_ORIENTATION] = 1
    if TAG_IMAGE_WIDTH in out:
        out[TAG_IMAGE_WIDTH] = width
    if TAG_IMAGE_LENGTH in out:
        out[TAG_IMAGE_LENGTH] = height
    out[TAG_EXIF_IFD] = _exif_ifd(source, width, height)
    if not strip_gps:
        gps = _sub_ifd(source, TAG_GPS_IFD)
        if gps:
            out[TAG_GPS_IFD] = gps
    return out


def exif_payload(exif: Image.Exif | None) -> bytes | None:
    """The APP1-style bytes (``Exif\\0\\0`` + TIFF) Pillow's encoders take as ``exif=``."""
    return exif.tobytes() if exif is not None else None


def _exif_ifd(source: Image.Exif, width: int, height: int) -> dict[int, Any]:
    ifd = {k: v for k, v in _sub_ifd(source, TAG_EXIF_IFD).items() if k != TAG_MAKER_NOTE}
    if TAG_INTEROP_IFD in ifd:
        interop = _sub_ifd(source, TAG_INTEROP_IFD)
        # The pointer is an offset into the original; Pillow re-serialises a dict in its place.
        if interop:
            ifd[TAG_INTEROP_IFD] = interop
        else:
            del ifd[TAG_INTEROP_IFD]
    ifd[TAG_PIXEL_X] = width
    ifd[TAG_PIXEL_Y] = height
    return ifd


def _sub_ifd(source: Image.Exif, tag: int) -> dict[int, Any]:
    if tag not in source and tag != TAG_INTEROP_IFD:
        return {}
    try:
        return dict(source.get_ifd(tag))
    except (SyntaxError, ValueError, TypeError, OSError, KeyError, IndexError) as exc:
        log.warning("EXIF sub-IFD 0x%04X is unreadable (%s); not copied", tag, exc)
        return {}
