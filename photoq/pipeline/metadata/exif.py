"""EXIF as photoq uses it: one flat, typed record per photo.

:func:`read_exif` finds the metadata blocks (:mod:`~photoq.pipeline.metadata.containers`), then
takes each field from the first place that has it, in ExifTool's order of preference: the Exif
sub-IFD, IFD0, the maker note, XMP. Values are converted the way ExifTool converts them, so that
photoq and ExifTool agree on real camera files (``bench/exif_accuracy.py`` measures it).
"""

from __future__ import annotations

import mmap
from typing import TYPE_CHECKING

from photoq.errors import CorruptImage, UnsupportedFormat
from photoq.pipeline.files import open_regular
from photoq.pipeline.formats import SNIFF_BYTES, describe_unknown, sniff_format
from photoq.pipeline.metadata.record import ExifRecord
from photoq.pipeline.metadata.values import build_record

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ExifRecord", "read_exif"]


def read_exif(path: Path) -> ExifRecord:
    """Read the metadata of the photo at ``path``.

    A photo without EXIF gives an all-None record (with its size where the container says).
    Raises :class:`CorruptImage` for an empty file and :class:`UnsupportedFormat` for a file that
    is not an image photoq knows.
    """
    with open_regular(path) as fh:  # a FIFO or device is refused at once, never waited on
        head = fh.read(SNIFF_BYTES)
        if not head:
            msg = "not an image: the file is empty (0 bytes)"
            raise CorruptImage(msg)
        fmt = sniff_format(head)
        if fmt is None:
            raise UnsupportedFormat(describe_unknown(head))
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return build_record(buf, fmt)
