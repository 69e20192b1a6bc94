"""The worker's side of pause/resume and of ``photoq workers``.

Pause is stored in the catalog (``queue_state``) and reaches workers two ways: a live worker gets
a broadcast (:func:`photoq_pause` / :func:`photoq_resume`) and stops or starts consuming at once;
a worker that starts, restarts or reconnects reads the catalog in :class:`ApplyPausedQueues`
before it consumes anything. Either way a worker only ever touches the queues it was started
with: resuming ``low`` never makes a ``--queues gpu`` worker take low work.

Messages a worker had already prefetched when its queue was paused are put back by the task
itself (see :meth:`photoq.queue.tracking.TrackedTask.run_job`).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import psutil
from celery import bootsteps
from celery.worker import state as worker_state
from celery.worker.control import control_command, inspect_command

from photoq.catalog.queue_state import QueueStateRepository
from photoq.queue.routing import ALL_QUEUES
from photoq.queue.tracking import catalog

log = logging.getLogger(__name__)

#: The pausable queues this worker process was started to consume (set once, at first start).
_configured: set[str] = set()


class ApplyPausedQueues(bootsteps.StartStopStep):  # type: ignore[misc]
    """Consumer step: on every (re)connection, consume exactly the configured, unpaused queues."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.first_start = True

    def start(self, c: Any) -> None:
        queues = c.app.amqp.queues
        if self.first_start:
            self.first_start = False
            _configured.clear()
            _configured.update(q for q in queues.consume_from if q in ALL_QUEUES)
        paused = QueueStateRepository(catalog()).paused()
        for name in sorted(_configured):
            if name in paused:
                log.info("queue %s is paused; not consuming from it", name)
                c.cancel_task_queue(name)
            elif name not in queues.consume_from:  # resumed while this worker was away
                c.task_consumer.add_queue(queues.select_add(queues[name]))


def _for_mine(state: Any, queues: list[str], method: str) -> dict[str, Any]:
    """Call the consumer's ``method`` for each of ``queues`` this worker was started with."""
    mine = sorted(set(queues) & _configured)
    for name in mine:
        state.consumer.call_soon(getattr(state.consumer, method), name)
    return {"ok": mine}


@control_command()
def photoq_pause(state: Any, queues: list[str], **_: Any) -> dict[str, Any]:
    """Stop consuming from the given queues (those this worker consumes)."""
    return _for_mine(state, queues, "cancel_task_queue")


@control_command()
def photoq_resume(state: Any, queues: list[str], **_: Any) -> dict[str, Any]:
    """Consume again from the given queues (those this worker was started with)."""
    return _for_mine(state, queues, "add_task_queue")


def _memory_rss() -> int:
    """Resident memory of the worker and its pool processes."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # a pool process that just exited
            continue
    return int(total)


@inspect_command()
def photoq_stats(state: Any, **_: Any) -> dict[str, Any]:
    """Everything ``photoq workers`` shows, in one round trip."""
    consumer = state.consumer
    stats = consumer.controller.stats()
    pool = stats.get("pool") or {}
    active = state.tset(worker_state.active_requests)
    reserved = state.tset(worker_state.reserved_requests) - active
    consuming = consumer.task_consumer.queues if consumer.task_consumer else []
    return {
        "pid": os.getpid(),
        "concurrency": pool.get("max-concurrency"),
        "pool_processes": len(pool.get("processes") or []),
        "active": len(active),
        "reserved": len(reserved),
        "processed": sum((stats.get("total") or {}).values()),
        "load_avg": list(os.getloadavg()),
        "memory_rss": _memory_rss(),
        "queues": sorted(_configured),
        "consuming": sorted(q.name for q in consuming if q.name in ALL_QUEUES),
        "uptime_s": stats.get("uptime"),
    }
