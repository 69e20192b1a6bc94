"""One run per folder at a time: an flock in PHOTOQ_HOME, held for the whole run.

Two ``photoq run`` of one folder at once would both ingest and queue the same photos; the second
now waits for the first (and then finds the work done) or, asked not to wait, refuses. The lock
file is ``PHOTOQ_HOME/locks/run-<sha256 of the resolved folder>.lock`` (0600, in a 0700 folder);
its holder writes its pid and the folder into it, so that whoever waits can say for whom. The
kernel drops an flock when its process dies, however it dies (``kill -9`` included), so a
crashed run never leaves the folder locked.

The lock is keyed by the folder's resolved path only: a run of a folder and one of a folder
inside it do not exclude each other. It guards the runs that share one PHOTOQ_HOME (one machine,
one user), on the embedded broker and on a shared one alike.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from typing import TYPE_CHECKING

from photoq.errors import PhotoqError
from photoq.private_files import open_private, private_dir

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

#: How long a waiter gives a holder that has the lock to write its pid before naming it unknown.
_HOLDER_WRITE_S = 1.0


class FolderBusy(PhotoqError):
    """Another run holds the folder's lock and the caller asked not to wait (exit 1)."""


def run_lock_path(home: Path, folder: Path) -> Path:
    """The lock file of ``folder`` (resolved) under ``home``."""
    digest = hashlib.sha256(os.fsencode(folder.resolve())).hexdigest()[:32]
    return home / "locks" / f"run-{digest}.lock"


def _holder_pid(path: Path) -> str:
    """The holder's pid as its lock file says, waiting briefly for a holder that just took it."""
    deadline = time.monotonic() + _HOLDER_WRITE_S
    while True:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return str(int(path.read_bytes().split()[0]))
        if time.monotonic() >= deadline:
            return "unknown"
        time.sleep(0.05)


@contextlib.contextmanager
def folder_lock(
    home: Path,
    folder: Path,
    *,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold ``folder``'s run lock for the ``with`` block; yields the lock file's path.

    When another process holds it: with ``wait``, call ``on_wait`` once with a line saying who
    and wait until it lets go; without, raise :class:`FolderBusy` at once.
    """
    resolved = folder.resolve()
    path = run_lock_path(home, resolved)
    private_dir(home)
    private_dir(path.parent, what="PHOTOQ_HOME lock folder")
    with open_private(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = f"another photoq run (pid {_holder_pid(path)}) is working on {resolved}"
            if not wait:
                msg = f"{holder}; refusing to run it twice at once (run without --no-wait to wait)"
                raise FolderBusy(msg) from None
            if on_wait is not None:
                on_wait(f"{holder}; waiting for it to finish… (--no-wait to refuse instead)")
            fcntl.flock(handle, fcntl.LOCK_EX)  # the kernel wakes us when the holder lets go
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode() + os.fsencode(resolved) + b"\n")
        handle.flush()
        try:
            yield path
        finally:
            # Emptied before the lock goes, so that nobody reads a stale pid; the file stays.
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
                handle.flush()
