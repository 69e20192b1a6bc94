"""``get_worker_stats``: one broadcast, every worker's answer as a record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from photoq.queue.broker import broker_errors
from photoq.queue.manager_records import WorkerStats

if TYPE_CHECKING:
    from celery import Celery


def _record(name: str, reply: dict[str, Any]) -> WorkerStats:
    return WorkerStats(
        name=name,
        host=name.partition("@")[2] or name,
        pid=reply.get("pid"),
        concurrency=reply.get("concurrency"),
        pool_processes=int(reply.get("pool_processes") or 0),
        active=int(reply.get("active") or 0),
        reserved=int(reply.get("reserved") or 0),
        processed=int(reply.get("processed") or 0),
        load_avg=[float(x) for x in reply.get("load_avg") or []],
        memory_rss=int(reply.get("memory_rss") or 0),
        queues=list(reply.get("queues") or []),
        consuming=list(reply.get("consuming") or []),
        uptime_s=reply.get("uptime_s"),
    )


def worker_stats(app: Celery, timeout: float) -> list[WorkerStats]:
    """Ask every worker for ``photoq_stats`` and wait ``timeout`` seconds for the answers."""
    with broker_errors(app):
        replies = app.control.broadcast("photoq_stats", reply=True, timeout=timeout) or []
    found: dict[str, WorkerStats] = {}
    for reply in replies:
        for name, body in reply.items():
            if isinstance(body, dict) and "error" not in body:
                found[name] = _record(name, body)
    return [found[name] for name in sorted(found)]
