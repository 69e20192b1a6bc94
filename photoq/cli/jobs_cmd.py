"""``photoq jobs``: list, show, cancel and retry jobs, and the failed (dead-letter) view."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column, Table

from photoq.cli.display import shown
from photoq.cli.output import JsonOption, emit_json, out
from photoq.errors import UsageError

if TYPE_CHECKING:
    from photoq.queue.manager import JobQueueManager

jobs_app = typer.Typer(
    help="Jobs in the catalog: list, show, cancel, retry, and the failed (dead-letter) view.",
    no_args_is_help=True,
)

#: How many characters of an error message a table shows (``--json`` has all of it).
ERROR_WIDTH = 100
#: Page size when ``retry --all-failed`` reads the failed view.
RETRY_PAGE = 200

JobIds = Annotated[
    list[int], typer.Argument(help="Job ids (photoq jobs list shows them).", metavar="ID")
]
LimitOption = Annotated[int, typer.Option(help="Show at most this many jobs.", min=1)]
OffsetOption = Annotated[int, typer.Option(help="Skip this many jobs first (paging).", min=0)]


def manager() -> JobQueueManager:
    """The configured manager; imported late because building the Celery app reads settings."""
    from photoq.queue.manager import get_job_queue_manager

    return get_job_queue_manager()


def table(*columns: str | Column) -> Table:
    """A borderless table; pass :func:`fixed` columns for values that must not wrap."""
    return Table(*columns, box=None, padding=(0, 1), collapse_padding=True, pad_edge=False)


def fixed(header: str, *, right: bool = False) -> Column:
    return Column(header, no_wrap=True, justify="right" if right else "left")


def when(value: datetime | None, fmt: str = "%m-%d %H:%M:%S") -> str:
    """A catalog time (UTC) in local time."""
    return value.astimezone().strftime(fmt) if value else "-"


def dash(value: object) -> str:
    return "-" if value is None else shown(str(value))


def short(text: str | None, width: int = ERROR_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    line = " ".join((text or "-").split())
    return shown(line if len(line) <= width else line[: width - 1] + "…")


@jobs_app.command("list")
def list_jobs(
    status: Annotated[
        str | None,
        typer.Option(
            help="Only jobs in this state: pending, queued, running, retrying, succeeded, "
            "dead or cancelled [default: every state].",
            show_default=False,
        ),
    ] = None,
    session: Annotated[int | None, typer.Option(help="Only the jobs of this session.")] = None,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """List jobs, newest first. Shows id, kind, state, queue, priority, attempts used of
    allowed, photo and session, when it was created (local time) and a failed job's error."""
    with manager() as m:
        jobs = m.list_jobs(status=status, session_id=session, limit=limit, offset=offset)
    if as_json:
        emit_json([j.to_dict() for j in jobs])
        return
    if not jobs:
        out.print("no jobs" + (" on this page" if offset else ""))
        return
    t = table(fixed("id", right=True), "kind", fixed("status"), fixed("queue"))
    for header in ("prio", "tries", "photo", "session"):
        t.add_column(header, no_wrap=True, justify="right")
    t.add_column("created", no_wrap=True)
    t.add_column("error")
    for j in jobs:
        numbers = (str(j.priority), f"{j.attempts}/{j.max_retries + 1}")
        subject = (dash(j.photo_id), dash(j.session_id), when(j.created_at))
        head = (str(j.id), shown(j.kind), j.status, j.queue)
        t.add_row(*head, *numbers, *subject, dash(j.error_type))
    out.print(t)


@jobs_app.command("show")
def show(
    job_id: Annotated[
        int, typer.Argument(help="Job id (photoq jobs list shows them).", metavar="ID")
    ],
    as_json: JsonOption = False,
) -> None:
    """Show one job and its attempts. Shows state, queue, priority, photo and session, times,
    result or error, every attempt (worker, start, end, outcome, error) and the job that
    retried it, if any."""
    with manager() as m:
        report = m.get_job_status(job_id)
    if as_json:
        emit_json(report.to_dict())
        return
    j, full = report.job, "%Y-%m-%d %H:%M:%S"
    out.print(f"[bold]job {j.id}[/bold] {shown(j.kind)}: {j.status}")
    fields = {
        "queue": f"{j.queue}, priority {j.priority}",
        "attempts": f"{j.attempts} of {j.max_retries + 1}",
        "photo": dash(j.photo_path or j.photo_id),
        "session": dash(j.session_id),
        "worker": dash(j.worker),
    }
    for step in ("created", "queued", "started", "finished"):
        fields[step] = when(getattr(j, f"{step}_at"), full)
    if j.error_type or j.error_message:
        fields["error"] = shown(f"{j.error_type}: {j.error_message}")
    if j.result is not None:
        fields["result"] = shown(str(j.result))
    if j.retry_of is not None:
        fields["retry of"] = f"job {j.retry_of}"
    if report.retried_as is not None:
        fields["retried as"] = f"job {report.retried_as}"
    for key, value in fields.items():
        out.print(f"  {key:<11}{value}")
    if not report.attempts:
        out.print("  no attempts yet")
        return
    t = table(fixed("#", right=True), "worker", fixed("started"), fixed("ended"), "outcome")
    t.add_column("error")
    t.add_column("retry in", no_wrap=True, justify="right")
    for a in report.attempts:
        error = shown(f"{a.error_type}: {a.error_message}") if a.error_type else "-"
        delay = f"{a.retry_delay:.1f}s" if a.retry_delay is not None else "-"
        times = (when(a.started_at), when(a.finished_at))
        t.add_row(str(a.number), dash(a.worker), *times, dash(a.outcome), error, delay)
    out.print(t)


@jobs_app.command("cancel")
def cancel(job_ids: JobIds, as_json: JsonOption = False) -> None:
    """Cancel jobs. A waiting job never starts; a running one is stopped on its worker (whose
    worker process is replaced); a finished one is left as it is. Every id is looked up before
    any job is cancelled."""
    ids = list(dict.fromkeys(job_ids))
    with manager() as m:
        for job_id in ids:
            m.get_job_status(job_id)  # an unknown id stops the command before any change
        results = [m.cancel_job(job_id) for job_id in ids]
    if as_json:
        emit_json([r.to_dict() for r in results])
        return
    for r in results:
        if r.previous_status == r.status:
            out.print(f"job {r.job_id}: already {r.status}; nothing changed")
        else:
            stopped = ", stopped on its worker" if r.stopped else ""
            out.print(f"job {r.job_id}: {r.previous_status} → {r.status}{stopped}")


@jobs_app.command("retry")
def retry(
    job_ids: Annotated[
        list[int] | None,
        typer.Argument(
            help="Dead job ids (photoq jobs failed lists them).",
            metavar="ID",
            show_default=False,
        ),
    ] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Retry every job in photoq jobs failed.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Submit dead jobs again as new jobs. Each new job gets a fresh attempt budget and its
    retry_of names the old one, which leaves the failed view. Give job IDs or --all-failed."""
    if bool(job_ids) == all_failed:
        msg = "give either job IDs or --all-failed (photoq jobs retry --help)"
        raise UsageError(msg)
    with manager() as m:
        if all_failed:
            ids = all_failed_ids(m)
        else:
            ids = list(dict.fromkeys(job_ids or []))
            for job_id in ids:
                m.get_job_status(job_id)  # an unknown id stops the command before any change
        pairs = [(job_id, m.retry_failed_job(job_id)) for job_id in ids]
    if as_json:
        emit_json([{"job_id": old, "new_job_id": new} for old, new in pairs])
        return
    if not pairs:
        out.print("no failed jobs to retry")
    for old, new in pairs:
        out.print(f"job {old} → job {new}")


def all_failed_ids(m: JobQueueManager) -> list[int]:
    """Every job id in the failed view, read whole before any is retried (a retried job leaves
    the view, which would shift the pages under a walk that retried as it went)."""
    ids: list[int] = []
    while True:
        page = m.get_failed_jobs(limit=RETRY_PAGE, offset=len(ids))
        ids += [j.id for j in page.jobs]
        if not page.jobs or len(ids) >= page.total:
            return ids


@jobs_app.command("failed")
def failed(limit: LimitOption = 50, offset: OffsetOption = 0, as_json: JsonOption = False) -> None:
    """List dead jobs not yet retried (the dead-letter view). Newest first, with the photo's
    file and the error (cut short in the table; --json has it whole, with the photo's full path,
    queue and session); photoq jobs retry submits them again."""
    with manager() as m:
        page = m.get_failed_jobs(limit=limit, offset=offset)
    if as_json:
        emit_json(page.to_dict())
        return
    if not page.jobs:
        out.print("no failed jobs" + (f" on this page; {page.total} in all" if page.total else ""))
        return
    t = table(fixed("id", right=True), fixed("kind"), "photo", fixed("tries", right=True))
    t.add_column("finished", no_wrap=True)
    t.add_column("error")
    for j in page.jobs:
        photo = Path(j.photo_path).name if j.photo_path else dash(j.photo_id)
        error = f"{j.error_type or 'error'}: {j.error_message or '-'}"
        row = (shown(photo), str(j.attempts), when(j.finished_at), short(error))
        t.add_row(str(j.id), shown(j.kind), *row)
    out.print(t)
    if offset or len(page.jobs) < page.total:
        out.print(f"showing {offset + 1}–{offset + len(page.jobs)} of {page.total}")
