"""Long-running processes: ``photoq worker`` and ``photoq beat``."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Annotated

import typer

from photoq.config import get_settings
from photoq.errors import UsageError


def _autoscale(text: str) -> str:
    """Check ``MAX,MIN`` (Celery's order) before Celery would fail on it with a traceback."""
    parts = text.split(",")
    try:
        most, least = (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0)
    except ValueError:
        most = least = -1
    if len(parts) > 2 or least < 0 or most < max(1, least):
        msg = f"--autoscale {text}: give MAX,MIN pool processes, e.g. 8,2 (MAX ≥ MIN ≥ 0)"
        raise UsageError(msg)
    return f"{most},{least}"


def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues to consume.")] = (
        "high,medium,low"
    ),
    concurrency: Annotated[
        int | None, typer.Option(help="Pool processes [default: PHOTOQ_CONCURRENCY, 3]", min=1)
    ] = None,
    autoscale: Annotated[
        str | None,
        typer.Option(
            help="MAX,MIN pool processes, grown and shrunk with load (overrides --concurrency)."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="Node name, e.g. photoq-1@%h; one a live worker uses is refused "
            "[default: photoq-<random>@%h, unique per process]."
        ),
    ] = None,
    loglevel: Annotated[str, typer.Option(help="Log level.")] = "INFO",
) -> None:
    """Start a Celery worker with photoq's configuration against the configured broker.

    It consumes the given queues (gpu only when named) plus beat's maintenance tasks, and skips
    queues paused with `photoq queue pause` until they are resumed."""
    from celery.utils.nodenames import host_format

    from photoq.catalog.workers import WorkerNameTaken, WorkerRegistry
    from photoq.queue.routing import MAINTENANCE_QUEUE, parse_queues
    from photoq.services.runtime import embedded_broker, open_catalog

    try:
        names = parse_queues(queues)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = get_settings()
    # Mingle and gossip sync revokes and elections between workers; photoq keeps that state in
    # the catalog, and skipping them saves a second at every start.
    # Every worker also takes beat's maintenance tasks, which pausing photo work never stops.
    # Listed first: among messages of equal priority Redis serves queues in this order, and
    # aging must not wait behind the stream of top-priority work it exists to break through.
    argv = ["worker", "--queues", ",".join([MAINTENANCE_QUEUE, *names]), "--loglevel", loglevel]
    argv += ["--without-mingle", "--without-gossip"]
    argv += ["--concurrency", str(concurrency or settings.concurrency)]
    if autoscale:
        argv += ["--autoscale", _autoscale(autoscale)]
    node = host_format(name or f"photoq-{uuid.uuid4().hex[:8]}@%h")
    argv += ["--hostname", node]
    cat = open_catalog(settings)  # creates or upgrades the schema before any task needs it
    try:
        # Recovery is keyed on the name: two live processes must never share one.
        registry = WorkerRegistry(cat, settings.worker_dead_after)
        registry.register(node, socket.gethostname(), os.getpid(), [MAINTENANCE_QUEUE, *names])
    except WorkerNameTaken as exc:
        raise UsageError(str(exc)) from None
    with embedded_broker(settings):
        from photoq.queue import app as celery_app

        celery_app.worker_main(argv)


def beat(loglevel: Annotated[str, typer.Option(help="Log level.")] = "INFO") -> None:
    """Start the periodic scheduler (run exactly one per deployment)."""
    from photoq.private_files import PRIVATE_UMASK, private_dir
    from photoq.services.runtime import embedded_broker

    settings = get_settings()
    private_dir(settings.home)
    schedule = settings.home / "beat-schedule"
    os.umask(PRIVATE_UMASK)  # beat writes only its schedule, under PHOTOQ_HOME
    with embedded_broker(settings):
        from photoq.queue import app as celery_app

        celery_app.start(["beat", "--loglevel", loglevel, "--schedule", str(schedule)])
