"""The Typer application, shared output helpers, and the one place errors become exit codes."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from photoq import __version__
from photoq.cli.display import shown
from photoq.errors import ConfigError, PhotoqError, ServiceUnavailable, UsageError

app = typer.Typer(
    help="photoq: cull, score and develop photo shoots on a Celery + Redis job queue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Click hands these down to every sub-command's context.
    context_settings={"help_option_names": ["-h", "--help"]},
)
# No emoji codes: a file name such as ":fire:.jpg" prints as it is. Untrusted text (names,
# paths, messages quoting them) goes through photoq.cli.display.shown before it is printed.
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
out = Console(highlight=False, soft_wrap=True, emoji=False)
EXIT_CODES: dict[type[PhotoqError], int] = {UsageError: 2, ConfigError: 2, ServiceUnavailable: 3}
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _print_version(value: bool) -> None:
    if value:
        out.print(f"photoq {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print photoq's version and exit.",
        ),
    ] = False,
) -> None:
    """photoq: cull, score and develop photo shoots on a Celery + Redis job queue."""


def emit_json(data: Any) -> None:
    """One JSON document on one line of stdout."""
    sys.stdout.write(json.dumps(data, default=str) + "\n")
    sys.stdout.flush()


def exit_code(exc: PhotoqError) -> int:
    """2 for bad usage or settings, 3 for an unreachable service, 1 for anything else."""
    return next((code for kind, code in EXIT_CODES.items() if isinstance(exc, kind)), 1)


def main() -> None:
    """Entry point: run the Typer app, turning photoq errors into one line and an exit code."""
    from photoq.cli import commands  # noqa: F401  (registers the commands)

    try:
        app(standalone_mode=True)
    except PhotoqError as exc:
        err.print(f"photoq: error: {shown(exc)}")
        sys.exit(exit_code(exc))
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("PHOTOQ_DEBUG"):
            raise
        err.print(
            f"photoq: internal error: {type(exc).__name__}: {shown(exc)} "
            "(set PHOTOQ_DEBUG=1 for the traceback, and please report it)"
        )
        sys.exit(70)
    except KeyboardInterrupt:
        err.print("photoq: interrupted; queued work stays in the catalog and resumes next run")
        sys.exit(130)
