"""Export: developed pixels written as files (JPEG, WebP, PNG, TIFF) with their metadata, under
a filename template, atomically and never over a file by accident; and the XMP sidecars.

Owns the encoders, export metadata, templates, atomic writes and sidecar merging; may use
``decode`` (JPEG stream parsing), ``metadata`` and ``bands``.
"""

from photoq.pipeline.export.atomic import atomic_write_bytes, stale_temp_files
from photoq.pipeline.export.encoders import get_exporter
from photoq.pipeline.export.errors import (
    ExportError,
    NotPhotoqExport,
    OutputExists,
    SidecarError,
)
from photoq.pipeline.export.image import export_image
from photoq.pipeline.export.sidecar import write_sidecar
from photoq.pipeline.export.template import TemplateFields, check_template

__all__ = [
    "ExportError",
    "NotPhotoqExport",
    "OutputExists",
    "SidecarError",
    "TemplateFields",
    "atomic_write_bytes",
    "check_template",
    "export_image",
    "get_exporter",
    "stale_temp_files",
    "write_sidecar",
]
