"""Metadata: EXIF and XMP read from every container photoq decodes, as ExifTool reports them.

Owns the TIFF IFD reader, the JPEG/HEIF (BMFF)/CIFF containers, maker notes, XMP packets and the
values built from them; may use ``formats`` only.
"""

from photoq.pipeline.metadata.exif import read_exif
from photoq.pipeline.metadata.original import original_exif_bytes
from photoq.pipeline.metadata.record import ExifRecord

__all__ = ["ExifRecord", "original_exif_bytes", "read_exif"]
