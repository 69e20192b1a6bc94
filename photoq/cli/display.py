"""Untrusted text (file names, paths, messages that quote them) made safe for the terminal.

A file name can hold anything but ``/`` and NUL: bytes that are not UTF-8, newlines, ANSI escape
sequences that recolour or rewrite the terminal, and Rich markup (``[red]``) that the consoles
would interpret. :func:`shown` makes such text printable through Rich, one name on one line:

- a byte that was not UTF-8 (a lone surrogate from ``surrogateescape``) is shown ``\\xNN``;
- newline, tab and carriage return are shown ``\\n``, ``\\t``, ``\\r``, every other control
  character (C0, DEL, C1: ``ESC`` is ``\\x1b``) ``\\xNN``; characters that reorder or break lines
  (bidirectional overrides, line and paragraph separators) and other lone surrogates ``\\uXXXX``;
- Rich markup is escaped, so ``[red]x`` prints as ``[red]x``.

The result is for reading, not for parsing back (a backslash is left as it is): ``--json`` is
the exact form.
"""

from __future__ import annotations

import re

from rich.markup import escape

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# C0 controls, DEL, C1 controls; bidi marks, embeddings, overrides and isolates; line and
# paragraph separators; every surrogate (the undecodable bytes among them).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def plain(text: object) -> str:
    """``text`` with every character that could act on a terminal written as an escape."""
    return _UNSAFE.sub(_escaped, str(text))


def shown(text: object) -> str:
    """``text`` ready to go into Rich markup (a ``print`` or a table cell), printed as
    :func:`plain` gives it wherever it goes in the markup."""
    safe = plain(text)
    body = safe.rstrip("\\")
    if len(body) == len(safe):
        return escape(safe)
    # Rich reads backslashes just before a tag as escapes and elsewhere as text, and
    # rich.markup.escape guesses (one trailing backslash doubled, more left alone). Doubled and
    # closed by an empty span, they print as they are before a tag, text or the end alike.
    return escape(body) + "\\" * (2 * (len(safe) - len(body))) + "[dim][/dim]"
