"""Content hash of a file's bytes: finds exact duplicates and skips unchanged files on re-runs."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, as 64 hex digits (streamed: memory stays flat)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
