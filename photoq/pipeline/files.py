"""Opening user files safely: only regular files, never blocking, never read without bound.

A shoot folder is untrusted: a name the pipeline opens may be a FIFO (``open`` would wait for a
writer for ever), a device (``/dev/zero`` never ends), or a symlink to either. :func:`open_regular`
opens without blocking (``O_NONBLOCK``; optionally without following a final symlink,
``O_NOFOLLOW``) and checks with ``fstat`` on the opened descriptor, not the name, that it is a
regular file, so a file swapped after a check is caught too. :func:`read_regular` also stops at a
size limit. Refusals are :class:`NotRegularFile` / :class:`FileTooLarge`: permanent errors (a
job is not retried for them) that are also :class:`OSError`, so callers that handle I/O errors
already handle them; the message says why.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from photoq.errors import PermanentError

__all__ = ["FileTooLarge", "NotRegularFile", "open_regular", "read_regular"]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(PermanentError, OSError):
    """The path is a FIFO, device, socket or (when not followed) a symlink; never retried."""


class FileTooLarge(PermanentError, OSError):
    """The file is larger than the caller's limit; it was not read (never retried)."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> BinaryIO:
    """``path`` opened for reading (binary, buffered); refuses anything but a regular file.

    Never blocks on a FIFO. With ``follow_symlinks=False`` a symlink is refused, whatever it
    points at. :class:`FileNotFoundError` and other ``OSError`` pass through as ``open`` raises
    them.
    """
    extra = os.O_NONBLOCK | (0 if follow_symlinks else os.O_NOFOLLOW)

    def opener(name: str, flags: int) -> int:
        return os.open(name, flags | extra)

    try:
        fh = open(path, "rb", opener=opener)  # noqa: SIM115 (returned to the caller)
    except OSError as exc:
        if not follow_symlinks and exc.errno in (errno.ELOOP, errno.EMLINK):
            msg = f"{os.fsdecode(path)}: a symlink; refusing to follow it"
            raise NotRegularFile(msg) from None
        raise
    try:
        fd = fh.fileno()
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):  # as open() says it
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fsdecode(path))
        if not stat.S_ISREG(mode):
            msg = f"{os.fsdecode(path)}: {_kind(mode)}, not a regular file; refusing to read it"
            raise NotRegularFile(msg)
        os.set_blocking(fd, True)  # a regular file never blocks; reads then behave as usual
    except BaseException:
        fh.close()
        raise
    return fh


def read_regular(
    path: str | os.PathLike[str], limit: int, *, follow_symlinks: bool = True
) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes (see :func:`open_regular`)."""
    with open_regular(path, follow_symlinks=follow_symlinks) as fh:
        size = os.fstat(fh.fileno()).st_size
        data = fh.read(limit + 1) if size <= limit else b""
    if size > limit or len(data) > limit:
        shown = max(size, len(data))
        msg = f"{os.fsdecode(path)}: {shown} bytes, more than the {limit} read; refusing it"
        raise FileTooLarge(msg)
    return data
