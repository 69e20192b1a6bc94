"""PHOTOQ_HOME is photoq's alone: the catalog, the broker's socket and append-only file, logs
and locks are created reachable by their owner only (folders 0700, files 0600), so that another
local user can neither read the catalog nor hold a lock that every photoq command waits on.

Exports and sidecars are the photographer's files and keep the usual umask: nothing here
changes the process-wide umask, only the mode of what photoq creates under its home.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from typing import IO, TYPE_CHECKING

from photoq.errors import ConfigError, ServiceUnavailable

if TYPE_CHECKING:
    from pathlib import Path

#: The umask for servers photoq starts under its home (the embedded Valkey): 0700 / 0600.
PRIVATE_UMASK = 0o077
_LOCK_POLL_S = 0.05


def private_dir(path: Path, *, what: str = "PHOTOQ_HOME") -> Path:
    """Create ``path`` (0700) or tighten it to 0700 when group or others can reach it; a folder
    that belongs to another user is refused, since that user could read or lock everything."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.geteuid() and os.geteuid() != 0:
        msg = (
            f"{what}: {path} belongs to another user (uid {info.st_uid}); photoq keeps its "
            "catalog and broker in a folder only you can reach: choose one of your own"
        )
        raise ConfigError(msg)
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it is missing; tighten it to 0600 if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def open_private(path: Path, mode: str = "ab") -> IO[bytes]:
    """``path.open(mode)`` in binary, created 0600 (and tightened to 0600 if it was looser)."""
    private_file(path)
    return path.open(mode)


def _holder(path: Path) -> str:
    """Who holds the lock on ``path``, as well as the file tells: its holder writes its pid."""
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return "a process that did not say who it is"
    try:
        import psutil

        name = " ".join(psutil.Process(pid).cmdline()) or psutil.Process(pid).name()
    except Exception:  # gone, not ours to see, or psutil missing: the pid is still worth naming
        return f"pid {pid}"
    return f"pid {pid} ({name[:120]})"


def lock_within(handle: IO[bytes], path: Path, timeout: float, *, shared: bool = False) -> None:
    """Take an flock on ``handle`` (``path`` open), waiting at most ``timeout`` seconds; past
    that, a one-line :class:`ServiceUnavailable` naming the lock file and its holder."""
    kind = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                msg = (
                    f"cannot take the lock {path} within {timeout:g} s: held by {_holder(path)}; "
                    "wait for it to finish, or stop that process"
                )
                raise ServiceUnavailable(msg) from None
            time.sleep(_LOCK_POLL_S)
        else:
            break
    if not shared:
        with contextlib.suppress(OSError):
            os.ftruncate(handle.fileno(), 0)
            os.write(handle.fileno(), f"{os.getpid()}\n".encode())
