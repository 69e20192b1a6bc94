"""Atomic file output: write a temporary file beside the target, fsync it, rename it into place.

DESIGN invariant 3: outputs appear whole or not at all. The temporary file lives in the target's
own folder because :func:`os.replace` is atomic only within one file system. A reader sees either
the old file, no file, or the complete new one — never a half-written export — and a crash leaves
at most a hidden ``.NAME.<random>.tmp`` that no later run mistakes for an output.

Not clobbering an existing file is also done atomically: without ``overwrite`` the finished
temporary file is hard-linked to the target name, which fails if the name exists, so two workers
exporting to the same name cannot both "win" (a check-then-rename would race).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from photoq.pipeline.export.errors import OutputExists

if TYPE_CHECKING:
    from collections.abc import Iterator

# Permission bits for a new file before the umask, as open(path, "wb") would give.
_NEW_FILE_MODE = 0o666
# Errors from os.link on file systems without hard links (FAT/exFAT, some network shares).
_NO_HARDLINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


def temp_name_for(target: Path) -> Path:
    """The hidden temporary path used while writing ``target``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")


_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")


def stale_temp_files(folder: Path, older_than: float) -> list[Path]:
    """Temporary files of :func:`temp_name_for` in ``folder`` last modified more than
    ``older_than`` seconds ago: left by a writer that was killed before its rename. A missing or
    unreadable folder has none."""
    cutoff = time.time() - older_than
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if _TEMP_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            found.append(Path(entry.path))
    except OSError:
        return []
    return sorted(found)


@contextmanager
def atomic_output(target: Path, *, overwrite: bool) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it becomes ``target``, on an exception it vanishes.

    Raises :class:`OutputExists` (before anything is written, and again at the final rename if
    another writer got there first) when ``target`` exists and ``overwrite`` is false.
    """
    if not overwrite and os.path.lexists(target):
        raise OutputExists(target)
    tmp = temp_name_for(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _copy_mode_if_replacing(target, tmp, overwrite=overwrite)
        _publish(tmp, target, overwrite=overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``target`` atomically (see :func:`atomic_output`)."""
    with atomic_output(target, overwrite=overwrite) as fh:
        fh.write(data)


def _copy_mode_if_replacing(target: Path, tmp: Path, *, overwrite: bool) -> None:
    # A replaced file (a merged sidecar, an overwritten export) keeps the permissions its owner
    # gave it instead of silently changing to the umask default.
    if not overwrite:
        return
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    os.chmod(tmp, mode & 0o7777)


def _publish(tmp: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise OutputExists(target) from None
    except OSError as exc:
        if exc.errno not in _NO_HARDLINK:
            raise
        # No hard links here: fall back to check-then-rename; the race window is tiny.
        if os.path.lexists(target):
            raise OutputExists(target) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open a directory, which is harmless.
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
