"""``photoq queue`` (stats, pause, resume, purge) and ``photoq workers``."""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column

from photoq.cli.jobs_cmd import fixed, manager, table
from photoq.cli.output import JsonOption, emit_json, err, out

queue_app = typer.Typer(
    help="The queues (high, medium, low, gpu): counts, pause, resume, purge.",
    no_args_is_help=True,
)

QueueArg = Annotated[
    str | None,
    typer.Argument(
        help="Queue: high, medium, low or gpu, or a comma-separated list of them "
        "[default: all queues].",
        metavar="QUEUE",
        show_default=False,
    ),
]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def listed(names: list[str]) -> str:
    return ", ".join(names)


@queue_app.command("stats")
def stats(as_json: JsonOption = False) -> None:
    """Show counts per queue. For each: paused or active, waiting jobs (also per priority,
    9 highest), pending, running, retrying, succeeded, dead and cancelled jobs, how long the
    oldest waiting job has waited, jobs finished in the last minute, and the messages the
    broker holds (stale ones of cancelled or re-queued jobs included)."""
    with manager() as m:
        rows = m.get_queue_stats()
    if as_json:
        emit_json([r.to_dict() for r in rows])
        return
    t = table(fixed(""), *(Column(r.queue, justify="right") for r in rows))
    lines: dict[str, list[str]] = {
        "state": ["[yellow]paused[/yellow]" if r.paused else "active" for r in rows],
        "waiting": [str(r.waiting) for r in rows],
        "by priority": [
            " ".join(f"{p}:{n}" for p, n in r.waiting_by_priority.items()) or "-" for r in rows
        ],
        "oldest wait": [duration(r.oldest_waiting_s) for r in rows],
    }
    for name in ("pending", "running", "retrying", "succeeded", "dead", "cancelled"):
        lines[name] = [str(getattr(r, name)) for r in rows]
    lines["done last min"] = [str(r.throughput_last_minute) for r in rows]
    lines["broker msgs"] = [str(r.broker_messages) for r in rows]
    for name, cells in lines.items():
        t.add_row(name, *cells)
    out.print(t)


@queue_app.command("pause")
def pause(queue: QueueArg = None, as_json: JsonOption = False) -> None:
    """Pause a queue, or all queues when QUEUE is omitted. Workers stop taking its jobs;
    running jobs finish. The pause is stored, so workers started later honour it too."""
    with manager() as m:
        names = m.pause_queue(queue)
    if as_json:
        emit_json({"paused": names})
        return
    out.print(f"paused {listed(names)}; running jobs finish, waiting ones wait")


@queue_app.command("resume")
def resume(queue: QueueArg = None, as_json: JsonOption = False) -> None:
    """Resume a paused queue, or all queues when QUEUE is omitted."""
    with manager() as m:
        names = m.resume_queue(queue)
    if as_json:
        emit_json({"resumed": names})
        return
    out.print(f"resumed {listed(names)}")


@queue_app.command("purge")
def purge(
    queue: QueueArg = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Purge without asking for confirmation.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Cancel the waiting jobs of a queue, or of all queues when QUEUE is omitted. Its broker
    messages are removed too; running jobs and other queues are untouched. Asks first (the
    answer is read from stdin; no answer means no) unless --yes."""
    with manager() as m:
        names = m.resolve_queues(queue)
        if not yes:
            question = f"Purge {m.count_waiting(names)} waiting jobs from {listed(names)}?"
            echoed = sys.stdin.isatty()  # a piped answer leaves the prompt's line open
            try:  # typer's confirm leaves its prompt's last space on stdout: keep it off
                with redirect_stdout(sys.stderr):
                    agreed = typer.confirm(question, default=False, err=True)
            except typer.Abort:  # end of input: nobody to answer
                agreed = echoed = False
            if not agreed:
                err.print(("" if echoed else "\n") + "purge cancelled; nothing changed")
                raise typer.Exit(1)
        result = m.purge_queue(queue)
    if as_json:
        emit_json(result.to_dict())
        return
    out.print(
        f"purged {listed(result.queues)}: {len(result.cancelled_jobs)} waiting jobs cancelled, "
        f"{result.broker_messages} broker messages removed"
    )


def workers(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the workers' answers.", min=0.1)
    ] = 1.0,
    as_json: JsonOption = False,
) -> None:
    """List the workers that answer. For each one that answers within --timeout: name, pid,
    concurrency, active and reserved jobs, jobs processed, 1-minute load, memory and the
    queues it consumes (a queue it was started for but does not consume now is marked paused).
    """
    from photoq.queue.routing import ALL_QUEUES

    with manager() as m:
        found = m.get_worker_stats(timeout=timeout)
    if as_json:
        emit_json([w.to_dict() for w in found])
        return
    if not found:
        out.print(f"no worker answered within {timeout:g}s")
        return
    t = table("name", *(fixed(h, right=True) for h in ("pid", "conc", "active", "reserved")))
    for header in ("processed", "load 1m", "MiB"):
        t.add_column(header, no_wrap=True, justify="right")
    t.add_column("queues")
    for w in found:
        served = sorted(w.queues, key=lambda q: ALL_QUEUES.index(q) if q in ALL_QUEUES else 99)
        queues = [q if q in w.consuming else f"{q} [yellow](paused)[/yellow]" for q in served]
        t.add_row(
            escape(w.name),
            str(w.pid) if w.pid is not None else "-",
            str(w.concurrency) if w.concurrency is not None else "-",
            str(w.active),
            str(w.reserved),
            str(w.processed),
            f"{w.load_avg[0]:.2f}" if w.load_avg else "-",
            f"{w.memory_rss / 2**20:.0f}" if w.memory_rss else "-",
            ", ".join(queues) or "-",
        )
    out.print(t)
