"""photoq.cli.display: untrusted names printed through Rich come out escaped, on one line."""

from __future__ import annotations

import io
import os

import pytest
from rich.console import Console
from rich.table import Table

from photoq.cli.display import plain, shown


def printed(markup: str) -> str:
    """What photoq's consoles write for ``markup`` (as configured in photoq.cli.output)."""
    buffer = io.StringIO()
    Console(file=buffer, highlight=False, soft_wrap=True, emoji=False).print(markup)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (os.fsdecode(b"caf\xe9.jpg"), "caf\\xe9.jpg"),
        (os.fsdecode(b"\xff\xfe.jpg"), "\\xff\\xfe.jpg"),
        ("new\nline.jpg", "new\\nline.jpg"),
        ("tab\tand\rreturn", "tab\\tand\\rreturn"),
        ("\x1b[31mred\x1b[0m.jpg", "\\x1b[31mred\\x1b[0m.jpg"),
        ("bell\x07 del\x7f csi\x9b2J", "bell\\x07 del\\x7f csi\\x9b2J"),
        ("\u202egpj.exe", "\\u202egpj.exe"),
        ("line\u2028sep", "line\\u2028sep"),
        ("\ud800 lone", "\\ud800 lone"),
        ("ordinary é ü 日本.jpg", "ordinary é ü 日本.jpg"),
    ],
)
def test_plain_escapes_what_acts_on_a_terminal(name: str, expected: str) -> None:
    assert plain(name) == expected
    assert printed(shown(name)) == expected + "\n"


@pytest.mark.parametrize(
    "name",
    [
        "[red]x[/red].jpg",
        "[bold",
        "[bold]unclosed.jpg",
        "[/]",
        "back\\[red]slash",
        "ends with a backslash\\",
        "ends with two\\\\",
        "\\",
        "[link=http://x]x[/link]",
        ":fire: emoji code",
    ],
)
def test_markup_is_printed_literally(name: str) -> None:
    # As photoq prints names: inside its own markup (a trailing backslash must not escape it).
    assert printed(shown(name)) == name + "\n"
    markup = f"[bold]{shown(name)}[/bold]: {shown(name)} [red]{shown(name)}[/red]{shown(name)}"
    assert printed(markup) == f"{name}: {name} {name}{name}\n"


def test_no_escape_byte_or_newline_reaches_the_output() -> None:
    name = os.fsdecode(b"a\xe9\n\x1b]0;title\x07[blink]b")
    out = printed(f"[bold]{shown(name)}[/bold]: {shown('error: ' + name)}")
    assert "\x1b" not in out
    assert out.count("\n") == 1
    assert out.encode("utf-8")  # no surrogate left: a UTF-8 terminal takes it


def test_table_cells_are_literal_too() -> None:
    table = Table("photo", box=None)
    table.add_row(shown("[red]x[/red]\n.jpg"))
    buffer = io.StringIO()
    Console(file=buffer, highlight=False, width=80, emoji=False).print(table)
    assert "[red]x[/red]\\n.jpg" in buffer.getvalue()


def test_non_strings_are_shown_as_str() -> None:
    assert shown(42) == "42"
    assert shown(None) == "None"
