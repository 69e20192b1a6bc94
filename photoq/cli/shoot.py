"""Working on a shoot: ``photoq ingest`` and ``photoq run``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from photoq.cli.app import JsonOption, app, emit_json, err, out
from photoq.config import get_settings
from photoq.services.ingest import check_folder

if TYPE_CHECKING:
    from photoq.services.run import RunSummary


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
            help="Local worker processes to start (default: 1 on the embedded broker, "
            "0 when PHOTOQ_BROKER_URL or REDIS_HOST point at a shared one).",
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


def _print_summary(summary: RunSummary) -> None:
    out.print(f"[bold]{summary.root}[/bold] (session {summary.session_id})")
    out.print(
        f"  photos     {summary.photos}  ({summary.queued} queued now, "
        f"{summary.resumed} resumed from an earlier run)"
    )
    out.print(f"  succeeded  {summary.succeeded}")
    out.print(f"  dead       {len(summary.dead)}")
    for dead in summary.dead:
        out.print(f"    {dead.path}: {dead.error}")
    if summary.unfinished:
        out.print(
            f"  [yellow]unfinished {summary.unfinished}: workers stopped; "
            "run the same command again to resume[/yellow]"
        )
    out.print(f"  elapsed    {summary.elapsed_s:.1f} s")
