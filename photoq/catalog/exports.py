"""The files photoq exported: what lets an export replace a file, and nothing else.

An export target that exists may be replaced only when this table says photoq wrote it and the
file still has the recorded size and SHA-256 (DESIGN invariant 1: an original, or any file the
user put there, is never opened for writing).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from photoq.catalog.models import ExportRow, utcnow

if TYPE_CHECKING:
    from pathlib import Path

    from photoq.catalog.store import Catalog

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportRecord:
    path: str
    size: int
    sha256: str
    photo_id: int | None
    job_id: int | None


def file_sha256(path: Path) -> str:
    """The SHA-256 of ``path``'s bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ExportRepository:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def get(self, path: Path) -> ExportRecord | None:
        """The record of the export last written at ``path`` (absolute), if photoq wrote one."""
        with self.catalog.transaction(read_only=True) as db:
            row = db.scalar(select(ExportRow).where(ExportRow.path == str(path)))
            if row is None:
                return None
            return ExportRecord(row.path, row.size, row.sha256, row.photo_id, row.job_id)

    def matching(self, path: Path) -> ExportRecord | None:
        """The record of ``path`` when the file there is still the one photoq wrote (same size
        and SHA-256); None for a file photoq did not write, or one changed since."""
        record = self.get(path)
        if record is None:
            return None
        try:
            if os.lstat(path).st_size != record.size or file_sha256(path) != record.sha256:
                return None
        except OSError:
            return None
        return record

    def record(self, path: Path, *, photo_id: int | None, job_id: int | None) -> ExportRecord:
        """Record the file photoq just wrote at ``path`` (its size and checksum read back)."""
        size, digest = os.stat(path).st_size, file_sha256(path)
        with self.catalog.transaction() as db:
            row = db.scalar(select(ExportRow).where(ExportRow.path == str(path)))
            if row is None:
                row = ExportRow(path=str(path))
                db.add(row)
            row.size, row.sha256, row.photo_id, row.job_id = size, digest, photo_id, job_id
            row.written_at = utcnow()
        return ExportRecord(str(path), size, digest, photo_id, job_id)
