"""The ``photoq`` command tree, assembled here and only here, and the one place errors become
exit codes. Command modules define plain functions (or a sub-app for a group) and never import
this module back."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from photoq import __version__
from photoq.cli import (
    ingest_cmd,
    inspect_cmd,
    jobs_cmd,
    presets_cmd,
    processes_cmd,
    queue_cmd,
    run_cmd,
)
from photoq.cli.display import shown
from photoq.cli.output import err, out
from photoq.errors import ConfigError, PhotoqError, ServiceUnavailable, UsageError, redact

__all__ = ["EXIT_CODES", "app", "exit_code", "main"]

app = typer.Typer(
    help="photoq: cull, score and develop photo shoots on a Celery + Redis job queue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Click hands these down to every sub-command's context.
    context_settings={"help_option_names": ["-h", "--help"]},
)
# The shoot first, then the queue, then the processes that serve it.
app.command()(run_cmd.run)
app.command()(ingest_cmd.ingest)
app.command()(inspect_cmd.inspect)
app.add_typer(presets_cmd.presets_app, name="presets")
app.add_typer(jobs_cmd.jobs_app, name="jobs")
app.add_typer(queue_cmd.queue_app, name="queue")
app.command()(queue_cmd.workers)
app.command()(processes_cmd.worker)
app.command()(processes_cmd.beat)

EXIT_CODES: dict[type[PhotoqError], int] = {UsageError: 2, ConfigError: 2, ServiceUnavailable: 3}


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


def exit_code(exc: PhotoqError) -> int:
    """2 for bad usage or settings, 3 for an unreachable service, 1 for anything else."""
    return next((code for kind, code in EXIT_CODES.items() if isinstance(exc, kind)), 1)


def main() -> None:
    """Entry point: run the Typer app, turning photoq errors into one line and an exit code."""
    try:
        app(standalone_mode=True)
    except PhotoqError as exc:
        err.print(f"photoq: error: {shown(redact(exc))}")
        sys.exit(exit_code(exc))
    except Exception as exc:  # a bug: still one line, the traceback only on request
        if os.environ.get("PHOTOQ_DEBUG"):
            raise
        err.print(
            f"photoq: internal error: {type(exc).__name__}: {shown(redact(exc))} "
            "(set PHOTOQ_DEBUG=1 for the traceback, and please report it)"
        )
        sys.exit(70)
    except KeyboardInterrupt:
        err.print("photoq: interrupted; queued work stays in the catalog and resumes next run")
        sys.exit(130)
