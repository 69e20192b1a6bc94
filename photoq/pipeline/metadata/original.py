"""The raw EXIF block of an original, to carry into its exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    from pathlib import Path


def original_exif_bytes(path: Path) -> bytes | None:
    """The original's EXIF as bytes, or None when it has none photoq can carry over.

    HEIF keeps EXIF in an item Pillow cannot open without the plugin; RAW EXIF lives in
    maker-specific TIFF structures. Neither is worth failing an export for.
    """
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            return exif.tobytes() if len(exif) else None
    except (UnidentifiedImageError, OSError, ValueError):
        pass
    try:
        import pillow_heif

        heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
        data = heif.info.get("exif")
        return bytes(data) if data else None
    except (ValueError, OSError, RuntimeError):
        return None
