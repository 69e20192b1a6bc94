"""Errors raised while exporting a photo or writing its XMP sidecar.

They extend :mod:`photoq.errors` (which this part of the tree may not edit) and are all permanent:
running the same export again with the same arguments fails the same way::

    PermanentError
    ├── ExportError              an export cannot be done as asked
    │   ├── UnknownExportFormat  ``fmt`` is not a registered exporter (the message lists them)
    │   ├── UnsafeTemplate       the filename template is malformed or leaves the export folder
    │   └── OutputExists         the target file exists and overwrite was not asked for
    │                            (also a :class:`FileExistsError`, so plain ``except`` works)
    │   └── NotPhotoqExport      the target exists and is not a file photoq exported: never
    │                            replaced, even with overwrite
    └── SidecarError             an existing sidecar is not XMP we can merge into safely
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from photoq.errors import PermanentError

if TYPE_CHECKING:
    from pathlib import Path


class ExportError(PermanentError):
    """An export cannot be done with the arguments given."""


class UnknownExportFormat(ExportError):
    """The requested export format is not registered."""


class UnsafeTemplate(ExportError):
    """The filename template is malformed or would write outside the export folder."""


class OutputExists(ExportError, FileExistsError):
    """The export target already exists and overwriting was not requested."""

    def __init__(self, path: Path) -> None:
        msg = f"{path} already exists; pass --overwrite to replace it"
        super().__init__(msg)
        self.path = path

    def __str__(self) -> str:
        # OSError formats a one-argument instance oddly ("[Errno ...]" only with two); keep ours.
        return str(self.args[0])


class SidecarError(PermanentError):
    """An existing XMP sidecar cannot be merged without risking its contents."""


class NotPhotoqExport(ExportError, FileExistsError):
    """The export target exists and is not a file photoq exported (or has changed since): it is
    never replaced, whatever ``--overwrite`` says."""

    def __init__(self, path: Path) -> None:
        msg = (
            f"{path} already exists and is not a file photoq exported (or it changed since); "
            "photoq never replaces it, even with --overwrite: move it away or export elsewhere"
        )
        super().__init__(msg)
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0])
