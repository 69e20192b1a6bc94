"""Content hash of a file's bytes: finds exact duplicates and skips unchanged files on re-runs."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from photoq.pipeline.files import open_regular

if TYPE_CHECKING:
    from pathlib import Path


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, as 64 hex digits (streamed: memory stays flat)."""
    with open_regular(path) as fh:  # a FIFO or device is refused, never read for ever
        return hashlib.file_digest(fh, "sha256").hexdigest()  # type: ignore[arg-type]
