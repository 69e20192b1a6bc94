"""photoq's exception tree.

Every error photoq raises on purpose derives from :class:`PhotoqError`; its message is one line a
user can act on. Whether a failed job is retried is decided by the class alone::

    PhotoqError
    ├── ConfigError            bad setting or environment variable (names the variable)
    ├── UsageError             bad command-line input: missing folder, unknown id, bad option
    ├── ServiceUnavailable     broker or database cannot be reached
    ├── RetryableError         transient: I/O hiccup, database locked, broker blip → retried
    │   └── CatalogUnavailable the catalog database is locked, read-only or unreachable
    └── PermanentError         the input itself is bad → dead at once, never retried
        ├── UnsupportedFormat  not an image photoq reads (wrong extension, non-image)
        ├── CorruptImage       truncated or damaged data, zero-byte file
        └── ImageTooLarge      decompression bomb: more pixels than the configured limit
"""

from __future__ import annotations

import re

#: ``scheme://user:password@`` in any text: the password, up to the last ``@`` before the host.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s/]*@")


def redact(text: object) -> str:
    """``text`` with every URL's password replaced by ``***`` (``redis://:***@host:6379/0``,
    ``postgresql://user:***@host/db``): whatever photoq prints or logs goes through this, so
    that a broker or database password never reaches a terminal, log file or the catalog."""
    return _URL_PASSWORD.sub(r"\1***@", str(text))


class PhotoqError(Exception):
    """Base of every error photoq raises on purpose."""


class ConfigError(PhotoqError):
    """A setting has a value photoq cannot use."""


class UsageError(PhotoqError):
    """The user asked for something that cannot be done as asked."""


class ServiceUnavailable(PhotoqError):
    """A server photoq depends on (broker, database) does not answer."""


class RetryableError(PhotoqError):
    """A transient failure: the same work may succeed if tried again later."""


class CatalogUnavailable(RetryableError):
    """The catalog database refused or lost the connection (locked, read-only, restarted)."""


class PermanentError(PhotoqError):
    """A failure caused by the input itself: retrying cannot help."""


class UnsupportedFormat(PermanentError):
    """The file is not an image format photoq can read."""


class CorruptImage(PermanentError):
    """The file claims to be an image but its data is damaged, truncated or empty."""


class ImageTooLarge(PermanentError):
    """The image has more pixels than the decompression-bomb limit allows."""
