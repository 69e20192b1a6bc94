"""Ingest: register a folder's photos as a session, hashing only what changed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from photoq.catalog.photos import FileFacts, PhotoFile, PhotoRepository
from photoq.errors import UsageError
from photoq.pipeline.formats import is_photo_path
from photoq.pipeline.hashes import content_hash

if TYPE_CHECKING:
    from collections.abc import Iterator

    from photoq.catalog.store import Catalog


@dataclass(frozen=True)
class IngestResult:
    session_id: int
    root: Path
    photos: list[PhotoFile]
    changed_ids: list[int]


def check_folder(folder: Path) -> Path:
    """The absolute folder, or a UsageError saying what is wrong with it."""
    if not folder.exists():
        msg = f"{folder}: no such folder"
        raise UsageError(msg)
    if not folder.is_dir():
        msg = f"{folder}: is a file, not a folder; give the folder that holds the shoot"
        raise UsageError(msg)
    if not os.access(folder, os.R_OK | os.X_OK):
        msg = f"{folder}: cannot read this folder (permission denied)"
        raise UsageError(msg)
    return folder.resolve()


def find_photos(root: Path, skip: Path | None = None) -> Iterator[Path]:
    """Photo files under ``root``, recursively, in a stable order; hidden entries are skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or here / d != skip)
        )
        for name in sorted(filenames):
            path = here / name
            if not name.startswith(".") and is_photo_path(path) and path.is_file():
                yield path


def _facts(path: Path, known: PhotoFile | None) -> FileFacts:
    stat = path.stat()
    unchanged = known is not None and known.size == stat.st_size and known.mtime == stat.st_mtime
    digest = known.content_hash if unchanged and known else content_hash(path)
    return FileFacts(str(path), stat.st_size, stat.st_mtime, digest)


def ingest(catalog: Catalog, folder: Path, *, home: Path | None = None) -> IngestResult:
    """Register every photo under ``folder``; a re-ingest hashes only files whose size or mtime
    moved, and reports as changed only those whose bytes differ."""
    root = check_folder(folder)
    photos = PhotoRepository(catalog)
    session_id = photos.session_for_root(str(root), root.name)
    known = {p.path: p for p in photos.photos(session_id)}
    facts = [_facts(path, known.get(str(path))) for path in find_photos(root, skip=home)]
    changed = photos.register(session_id, facts)
    return IngestResult(session_id, root, photos.photos(session_id), changed)
