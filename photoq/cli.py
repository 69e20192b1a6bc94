"""The ``photoq`` command: thin wrappers over services; errors become one line and an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from photoq.config import get_settings
from photoq.errors import ConfigError, PhotoqError, ServiceUnavailable, UsageError
from photoq.services.ingest import check_folder

app = typer.Typer(
    help="photoq: cull, score and develop photo shoots on a Celery + Redis job queue.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
EXIT_CODES: dict[type[PhotoqError], int] = {UsageError: 2, ConfigError: 2, ServiceUnavailable: 3}
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str) + "\n")


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("processing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("photos", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of the shoot (searched recursively).")],
    as_json: JsonOption = False,
) -> None:
    """Register a folder's photos as a session; re-ingesting adds only what changed."""
    from photoq.services.ingest import ingest as ingest_folder
    from photoq.services.runtime import open_catalog

    check_folder(folder)
    result = ingest_folder(open_catalog(get_settings()), folder, home=get_settings().home)
    if as_json:
        photos = [{"id": p.id, "path": p.path} for p in result.photos]
        emit_json(
            {
                "session_id": result.session_id,
                "root": str(result.root),
                "photos": photos,
                "changed": result.changed_ids,
            }
        )
        return
    err.print(
        f"session {result.session_id}: {len(result.photos)} photos in {result.root} "
        f"({len(result.changed_ids)} new or changed)"
    )


@app.command()
def run(
    folder: Annotated[Path, typer.Argument(help="Folder of the shoot (searched recursively).")],
    as_json: JsonOption = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Local worker processes to start [default: 1 on the embedded broker, "
            "0 when PHOTOQ_BROKER_URL/REDIS_HOST point at a shared one]",
            min=0,
        ),
    ] = None,
) -> None:
    """Ingest a shoot and process every photo through the queue, with progress and a summary."""
    from photoq.services.run import run_folder
    from photoq.services.runtime import open_runtime

    check_folder(folder)
    settings = get_settings()
    local = workers if workers is not None else (1 if settings.embedded else 0)
    with open_runtime(settings, local_workers=local) as rt, _progress_bar(not as_json) as progress:
        summary = run_folder(rt, folder, progress)
    if as_json:
        emit_json(summary.to_dict())
    else:
        _print_summary(summary)
    if summary.unfinished:
        raise typer.Exit(1)


def _print_summary(summary: Any) -> None:
    out = Console()
    out.print(f"[bold]{summary.root}[/bold] (session {summary.session_id})")
    out.print(
        f"  photos     {summary.photos}  ({summary.queued} queued now, "
        f"{summary.resumed} resumed from an earlier run)"
    )
    out.print(f"  succeeded  {summary.succeeded}")
    out.print(f"  dead       {len(summary.dead)}")
    for dead in summary.dead:
        out.print(f"    {dead.path}: {dead.error}", highlight=False)
    if summary.unfinished:
        out.print(
            f"  [yellow]unfinished {summary.unfinished}: workers stopped; "
            "run the same command again to resume[/yellow]"
        )
    out.print(f"  elapsed    {summary.elapsed_s:.1f} s")


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues to consume.")] = (
        "high,medium,low"
    ),
    concurrency: Annotated[
        int | None, typer.Option(help="Pool processes [default: PHOTOQ_CONCURRENCY, 3]", min=1)
    ] = None,
    autoscale: Annotated[
        str | None, typer.Option(help="MAX,MIN pool processes, grown and shrunk with load.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Node name, e.g. photoq-1@%h.")] = None,
    loglevel: Annotated[str, typer.Option(help="Log level.")] = "INFO",
) -> None:
    """Start a Celery worker with photoq's configuration against the configured broker."""
    from photoq.queue.routing import parse_queues
    from photoq.services.runtime import embedded_broker

    try:
        names = parse_queues(queues)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = get_settings()
    # Mingle and gossip sync revokes and elections between workers; photoq keeps that state in
    # the catalog, and skipping them saves a second at every start.
    argv = ["worker", "--queues", ",".join(names), "--loglevel", loglevel]
    argv += ["--without-mingle", "--without-gossip"]
    argv += ["--concurrency", str(concurrency or settings.concurrency)]
    if autoscale:
        argv += ["--autoscale", autoscale]
    argv += ["--hostname", name or "photoq@%h"]
    with embedded_broker(settings):
        from photoq.queue import app as celery_app

        celery_app.worker_main(argv)


@app.command()
def beat(loglevel: Annotated[str, typer.Option(help="Log level.")] = "INFO") -> None:
    """Start the periodic scheduler (run exactly one per deployment)."""
    from photoq.services.runtime import embedded_broker

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    schedule = settings.home / "beat-schedule"
    with embedded_broker(settings):
        from photoq.queue import app as celery_app

        celery_app.start(["beat", "--loglevel", loglevel, "--schedule", str(schedule)])


def exit_code(exc: PhotoqError) -> int:
    """2 for bad usage or settings, 3 for an unreachable service, 1 for anything else."""
    return next((code for kind, code in EXIT_CODES.items() if isinstance(exc, kind)), 1)


def main() -> None:
    """Entry point: run the Typer app, turning photoq errors into one line and an exit code."""
    try:
        app(standalone_mode=True)
    except PhotoqError as exc:
        err.print(f"photoq: error: {exc}", highlight=False, soft_wrap=True)
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        err.print("photoq: interrupted; queued work stays in the catalog and resumes next run")
        sys.exit(130)
