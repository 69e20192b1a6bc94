"""Ingest: register a folder's photos as a session, hashing only what changed."""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from photoq.catalog.outputs import photoq_outputs
from photoq.catalog.photos import FileFacts, PhotoFile, PhotoRepository
from photoq.errors import UsageError
from photoq.pipeline.formats import HIDDEN, OS_FILE, is_photo_path, litter_kind
from photoq.pipeline.hashes import content_hash

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

    from photoq.catalog.store import Catalog

#: Why ingest left an entry out, in the order the summary names them.
EXPORTS = "photoq exports"
IGNORED = "ignored"
SKIP_KINDS = (HIDDEN, OS_FILE, EXPORTS, IGNORED)


@dataclass(frozen=True)
class IngestResult:
    session_id: int
    root: Path
    photos: list[PhotoFile]
    changed_ids: list[int]
    #: Entries left out, by kind (SKIP_KINDS); a skipped folder counts once, not its files.
    skipped: dict[str, int] = field(default_factory=dict)


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


def is_ignored(relative: str, patterns: Sequence[str]) -> bool:
    """Whether an entry matches an ignore glob: a pattern without ``/`` is matched against the
    entry's name, one with ``/`` against its path relative to the shoot (``/``-separated)."""
    name = relative.rsplit("/", 1)[-1]
    for pattern in (p.strip() for p in patterns):
        if "/" in pattern:
            if fnmatch.fnmatchcase(relative, pattern.strip("/")):
                return True
        elif pattern and fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def _skip_kind(
    here: Path,
    name: str,
    root: Path,
    ignore: Sequence[str],
    outputs: Collection[Path],
) -> str | None:
    litter = litter_kind(name)
    if litter is not None:
        return litter
    path = here / name
    if path in outputs:
        return EXPORTS
    if ignore and is_ignored(path.relative_to(root).as_posix(), ignore):
        return IGNORED
    return None


def find_photos(
    root: Path,
    skip: Path | None = None,
    *,
    ignore: Sequence[str] = (),
    outputs: Collection[Path] = frozenset(),
    skipped: Counter[str] | None = None,
) -> Iterator[Path]:
    """Photo files under ``root``, recursively, in a stable order. Left out, and counted in
    ``skipped`` by kind: hidden and OS files and folders, photoq's own outputs (``outputs``:
    export folders and exported files; ``skip``: PHOTOQ_HOME), and what ``ignore`` matches."""
    counts: Counter[str] = Counter() if skipped is None else skipped
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            kind = EXPORTS if skip is not None and here / d == skip else None
            kind = kind or _skip_kind(here, d, root, ignore, outputs)
            if kind is None:
                kept.append(d)
            else:
                counts[kind] += 1
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            kind = _skip_kind(here, name, root, ignore, outputs)
            if kind is not None:
                counts[kind] += 1
            elif is_photo_path(path) and path.is_file():
                yield path


def _photoq_outputs(catalog: Catalog, root: Path) -> set[Path]:
    """Export folders of earlier runs inside ``root`` and exported files under it, as the catalog
    recorded them (folders also resolved). Nothing when ``root`` itself is, or lies inside, an
    export folder: whoever runs photoq on its exports asks for them."""
    # Imported here: importing photoq.queue builds the Celery app, and the CLI imports this
    # module before the settings are checked.
    from photoq.queue.routing import EXPORT_PHOTO

    recorded = photoq_outputs(catalog, EXPORT_PHOTO)
    folders = {p for text in recorded.folders for p in (Path(text), Path(text).resolve())}
    if any(root == folder or folder in root.parents for folder in folders):
        return set()
    files = (Path(text) for text in recorded.files)
    return {path for path in (*folders, *files) if root in path.parents}


def _facts(path: Path, known: PhotoFile | None) -> FileFacts:
    stat = path.stat()
    unchanged = known is not None and known.size == stat.st_size and known.mtime == stat.st_mtime
    digest = known.content_hash if unchanged and known else content_hash(path)
    return FileFacts(str(path), stat.st_size, stat.st_mtime, digest)


def ingest(
    catalog: Catalog, folder: Path, *, home: Path | None = None, ignore: Sequence[str] = ()
) -> IngestResult:
    """Register every photo under ``folder``; a re-ingest hashes only files whose size or mtime
    moved, and reports as changed only those whose bytes differ. Hidden and OS files, photoq's
    own exports and what an ``ignore`` glob matches are left out (and counted)."""
    root = check_folder(folder)
    photos = PhotoRepository(catalog)
    session_id = photos.session_for_root(str(root), root.name)
    known = {p.path: p for p in photos.photos(session_id)}
    skipped: Counter[str] = Counter()
    found = find_photos(
        root, skip=home, ignore=ignore, outputs=_photoq_outputs(catalog, root), skipped=skipped
    )
    facts = [_facts(path, known.get(str(path))) for path in found]
    changed = photos.register(session_id, facts)
    counts = {kind: skipped[kind] for kind in SKIP_KINDS}
    return IngestResult(session_id, root, photos.photos(session_id), changed, counts)


def skipped_line(skipped: dict[str, int]) -> str:
    """``skipped 3 (hidden, OS files, photoq exports, ignored)`` naming the kinds that occurred,
    or "" when nothing was skipped."""
    total = sum(skipped.values())
    if not total:
        return ""
    kinds = ", ".join(kind for kind in SKIP_KINDS if skipped.get(kind))
    return f"skipped {total} ({kinds})"
