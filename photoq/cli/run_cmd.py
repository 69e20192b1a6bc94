"""``photoq run``: the main job, from a folder to a culled, rated shoot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from photoq.cli.display import shown
from photoq.cli.ingest_cmd import IgnoreOption
from photoq.cli.output import JsonOption, emit_json, err, out
from photoq.config import get_settings
from photoq.services.ingest import check_folder, skipped_line

if TYPE_CHECKING:
    from photoq.services.run import RunSummary

TOP_REASONS = 5


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def run(
    folder: Annotated[Path, typer.Argument(help="Folder of the shoot (searched recursively).")],
    as_json: JsonOption = False,
    sidecars: Annotated[
        bool,
        typer.Option(
            "--sidecars/--no-sidecars",
            help="Write ratings, labels and pick flags into <name>.xmp next to each original "
            "(merged into an existing sidecar; the original is never written).",
        ),
    ] = True,
    preset: Annotated[
        str | None,
        typer.Option(
            help="Develop the picks with a preset: a name (photoq presets list), a "
            "Lightroom XMP or photoq YAML file, or 'auto' for the one the shooting "
            "context recommends."
        ),
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="Export the (developed) picks into this folder.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Export format: jpeg, webp, png, tiff8, tiff16.")
    ] = "jpeg",
    long_edge: Annotated[
        int | None, typer.Option(help="Resize exports to this long edge (px).", min=16)
    ] = None,
    quality: Annotated[int, typer.Option(help="Export quality 1–100.", min=1, max=100)] = 90,
    template: Annotated[
        str,
        typer.Option(
            help="Export file name without extension: {stem} {seq} {date:%Y%m%d} "
            "{rating} {context} {preset}."
        ),
    ] = "{stem}",
    strip_gps: Annotated[bool, typer.Option(help="Remove GPS data from exports.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing export files.")] = False,
    rules: Annotated[
        Path | None,
        typer.Option(
            help="Context rules file (default: PHOTOQ_CONTEXT_RULES, else the shipped rules)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Local worker processes to start (default: 1 on the embedded broker, "
            "0 when PHOTOQ_BROKER_URL or REDIS_HOST point at a shared one).",
            min=0,
        ),
    ] = None,
    ignore: IgnoreOption = None,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="When another photoq run is working on the same folder, refuse at once "
            "(exit 1) instead of waiting for it to finish.",
        ),
    ] = False,
) -> None:
    """Ingest a shoot, analyse every photo through the queue (EXIF, quality, faces, hashes),
    group duplicates, bursts and similar shots, pick the best of each, and summarise.

    A re-run only does what changed; after a crash the next run resumes at once. One run per
    folder at a time: a second run of the same folder waits for the first (saying so once),
    then finds its work done; with --no-wait it refuses instead (exit 1).

    Exit status: 0 only when every photo was analysed and every step asked for (culling,
    sidecars, develop, export) succeeded; 1 when anything failed: dead photos, the culling
    job, sidecars not written, presets or exports (the summary says what, and --json has
    "ok": false and a "failures" list), or --no-wait found the folder busy; 2 for bad usage;
    3 when the broker or the catalog cannot be reached; 130 when interrupted."""
    from photoq.pipeline.culling import load_rules
    from photoq.services.develop_stage import ExportOptions, choose_preset
    from photoq.services.folder_lock import folder_lock
    from photoq.services.run import RunOptions, run_folder
    from photoq.services.runtime import open_runtime

    check_folder(folder)
    settings = get_settings()
    rules = rules or settings.context_rules
    load_rules(rules)  # a broken rules file stops the run before anything is queued
    export_options = None
    if export is not None:
        export_options = ExportOptions(
            export, fmt, long_edge, quality, template, strip_gps, overwrite
        )
        export_options.check()
    local = workers if workers is not None else (1 if settings.embedded else 0)
    try:
        with (
            folder_lock(
                settings.home,
                folder,
                wait=not no_wait,
                on_wait=lambda text: err.print(f"photoq: {shown(text)}"),
            ),
            open_runtime(settings, local_workers=local) as rt,
            _progress_bar(not as_json) as progress,
        ):
            rt.notice = lambda text: err.print(f"photoq: warning: {shown(text)}")
            options = RunOptions(
                sidecars=sidecars,
                export=export_options,
                rules=rules.resolve() if rules else None,
                preset=choose_preset(rt, preset) if preset else None,
                ignore=tuple(ignore or ()),
            )
            summary = run_folder(rt, folder, options, progress)
    except KeyboardInterrupt:
        # Caught here, after the workers were stopped: click would otherwise swallow it.
        err.print(
            "photoq: interrupted; unfinished work stays queued and the same command resumes it"
        )
        raise typer.Exit(130) from None
    if as_json:
        emit_json(summary.to_dict())
    else:
        _print_summary(summary)
    if not summary.ok:
        err.print(f"photoq: error: {shown(summary.headline)}")
        raise typer.Exit(1)


def _print_summary(summary: RunSummary) -> None:
    from photoq.services.run_failures import CULLING, NOT_RUN

    out.print(f"[bold]{shown(summary.root)}[/bold] (session {summary.session_id})")
    out.print(
        f"  photos     {summary.photos}  ({summary.queued} queued now, "
        f"{summary.resumed} resumed from an earlier run)"
    )
    skipped = skipped_line(summary.skipped)
    if skipped:
        out.print(f"  {skipped}")
    out.print(f"  succeeded  {summary.succeeded}")
    out.print(f"  dead       {len(summary.dead)}")
    for dead in summary.dead:
        out.print(f"    {shown(dead.path)}: {shown(dead.error)}")
    out.print(f"  groups     {len(summary.groups)}")
    for group in summary.groups:
        cover = shown(Path(group.cover).name) if group.cover else "-"
        out.print(f"    {group.kind:<8} {len(group.members)} photos, cover {cover}")
    out.print(f"  picks      {len(summary.picks)}")
    out.print(f"  rejects    {len(summary.rejects)}")
    reasons = Counter(_reason_kind(r["reason"]) for r in summary.rejects)
    for reason, count in reasons.most_common(TOP_REASONS):
        out.print(f"    {count} × {shown(reason)}")
    if summary.exported:
        out.print(
            f"  exported   {len(summary.exported)} → {shown(Path(summary.exported[0]).parent)}"
        )
    if summary.sidecar_errors:
        out.print(
            f"  [yellow]sidecars not written[/yellow] for {len(summary.sidecar_errors)} "
            f"photo(s), first: {shown(summary.sidecar_errors[0])}"
        )
    for failure in summary.failed:
        where, error = shown(failure["path"]), shown(failure["error"])
        out.print(f"  [red]{shown(failure['stage'])} failed[/red] {where}: {error}")
    for f in summary.failures:
        if f.step == CULLING or f.status == NOT_RUN:
            job = f" (job {f.job})" if f.job is not None else ""
            out.print(f"  [red]{f.step} {f.status}[/red]{job}: {shown(f.reason)}")
    if summary.unfinished:
        out.print(
            f"  [yellow]unfinished {summary.unfinished}: workers stopped; "
            "run the same command again to resume[/yellow]"
        )
    out.print(f"  elapsed    {summary.elapsed_s:.1f} s")


def _reason_kind(reason: str) -> str:
    """The kind of a reject reason, so that the summary can count alike ones together:
    "duplicate of IMG_0412, …" → "duplicate"; "score 2.1 below 3.0: motion blur, …" →
    "low score: motion blur"."""
    if not reason:
        return "unknown"
    if reason.startswith("score") and ":" in reason:
        return "low score: " + reason.split(":", 1)[1].split(",", 1)[0].strip()
    return reason.split(" of ", 1)[0].split(":", 1)[0]
