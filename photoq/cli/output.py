"""What every command prints through: the two consoles, ``--json`` and its one-line documents."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["JsonOption", "emit_json", "err", "out"]

# No emoji codes: a file name such as ":fire:.jpg" prints as it is. Untrusted text (names,
# paths, messages quoting them) goes through photoq.cli.display.shown before it is printed.
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
out = Console(highlight=False, soft_wrap=True, emoji=False)
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(data: Any) -> None:
    """One JSON document on one line of stdout."""
    sys.stdout.write(json.dumps(data, default=str) + "\n")
    sys.stdout.flush()
