"""Text that may carry file names, stored exactly on SQLite and PostgreSQL.

A file name that is not valid UTF-8 reaches Python as a ``str`` with lone surrogates
(``os.fsdecode`` and ``os.walk`` use ``surrogateescape``: the byte ``0xE9`` becomes ``'\\udce9'``).
Neither SQLite's driver nor PostgreSQL accepts such a string, so :class:`FsText` stores it in a
reversible form:

- a value that is valid Unicode and does not start with :data:`ESCAPED_PREFIX` is stored as it is
  (every ordinary path, so the catalog stays readable and old rows need no migration);
- any other value is stored as ``ESCAPED_PREFIX`` followed by the value with ``%`` written
  ``%25``, each surrogate-escaped byte ``%XX`` (``/shoot/caf%E9.jpg``) and any other lone
  surrogate ``%uXXXX``.

Catalog paths are absolute, so they start with ``/`` and never with the prefix; a free text (an
error message) that happens to start with it is escaped too, so no stored form means two values.
Reading decodes back to the exact string, and a bind parameter goes through the same encoding,
so ``Photo.path == path`` lookups keep working. The column stays a plain string column.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

#: Starts every escaped value; cannot start an absolute path.
ESCAPED_PREFIX = "%fs:"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = re.compile(r"%(25|[89A-F][0-9A-F]|u[0-9A-F]{4})")


def _escape_char(char: str) -> str:
    code = ord(char)
    if char == "%":
        return "%25"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as surrogateescape keeps it
        return f"%{code - 0xDC00:02X}"
    return f"%u{code:04X}"


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code == "25":
        return "%"
    if code.startswith("u"):
        return chr(int(code[1:], 16))
    return chr(0xDC00 + int(code, 16))


def encode_text(value: str) -> str:
    """The stored form of ``value``: itself when it is valid Unicode, else escaped."""
    if not value.startswith(ESCAPED_PREFIX) and _SURROGATE.search(value) is None:
        return value
    return ESCAPED_PREFIX + re.sub("[%\ud800-\udfff]", lambda m: _escape_char(m.group()), value)


def decode_text(stored: str) -> str:
    """The value whose stored form is ``stored`` (the inverse of :func:`encode_text`)."""
    if not stored.startswith(ESCAPED_PREFIX):
        return stored
    return _ESCAPE.sub(_unescape, stored[len(ESCAPED_PREFIX) :])


def fit(value: str, length: int) -> str:
    """The longest start of ``value`` whose stored form has at most ``length`` characters
    (for a label kept in a sized column; the cut never splits an escape)."""
    value = value[:length]  # the stored form is never shorter than the value
    while len(encode_text(value)) > length:
        value = value[:-1]
    return value


class _Escaped(TypeDecorator[str]):
    """Stores :func:`encode_text`, reads :func:`decode_text`; subclasses choose the column."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encode_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decode_text(value)


class FsText(_Escaped):
    """A ``Text`` column for paths and for text that may quote them (see the module doc)."""

    impl = Text
    cache_ok = True


class FsString(_Escaped):
    """The same over a sized ``String`` (``FsString(255)``)."""

    impl = String
    cache_ok = True
