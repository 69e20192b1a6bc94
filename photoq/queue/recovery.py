"""Recovering work a worker held when it lost its broker connection or was killed.

On Redis, a message a worker had received but not acknowledged waits in the broker's ``unacked``
set until the visibility timeout (an hour) before anyone gets it again. Celery cancels running
late-ack tasks when the connection drops, and the acknowledgement cannot reach the broker either,
so without help those jobs would sit idle for an hour. This consumer step re-publishes them from
the catalog as soon as the worker is connected again:

* every message this worker process received whose job is still unfinished under that message;
* at the first start, the jobs the catalog says are ``running`` on this node name: a previous
  process with the same name was killed (SIGKILL, OOM) while running them.

The re-published job gets a fresh message id, so the old message is dropped when Redis finally
restores it (DESIGN.md invariant 2).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from celery import bootsteps
from celery.signals import task_received

from photoq.catalog.jobs import JobRepository
from photoq.queue.dispatch import publish
from photoq.queue.tracking import catalog

log = logging.getLogger(__name__)

#: Enough to cover prefetched and ETA-held messages of any sane worker.
MAX_TRACKED = 10_000
_held: OrderedDict[str, int] = OrderedDict()
#: Messages held for a retry's countdown: message id → (job id, when it comes due). Celery
#: lists them nowhere until they are due, yet the heartbeat must say this worker holds them.
_waiting_eta: OrderedDict[str, tuple[int, float]] = OrderedDict()


@task_received.connect
def _remember(request: Any = None, **_: Any) -> None:
    if request is None or not request.name.startswith("photoq.") or not request.args:
        return
    _held[request.id] = int(request.args[0])
    while len(_held) > MAX_TRACKED:
        _held.popitem(last=False)
    if request.eta is not None:
        _waiting_eta[request.id] = (int(request.args[0]), request.eta.timestamp())
        while len(_waiting_eta) > MAX_TRACKED:
            _waiting_eta.popitem(last=False)


def eta_held_job_ids(now: float) -> list[int]:
    """Jobs whose retry message this worker holds until its countdown ends (those due by
    ``now`` are listed by Celery as received instead, and forgotten here)."""
    for message_id, (_, due) in list(_waiting_eta.items()):
        if due <= now:
            _waiting_eta.pop(message_id, None)
    return [job_id for job_id, _ in list(_waiting_eta.values())]


class RecoverHeldJobs(bootsteps.StartStopStep):  # type: ignore[misc]
    """Consumer step: on every (re)connection, re-publish jobs stranded in ``unacked``."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.first_start = True

    def start(self, parent: Any) -> None:
        jobs = JobRepository(catalog())
        stranded = jobs.stranded(dict(_held), parent.hostname if self.first_start else None)
        self.first_start = False
        _held.clear()
        fresh = [d for d in (jobs.republish(job_id) for job_id in stranded) if d is not None]
        if fresh:
            log.warning(
                "re-publishing %d job(s) stranded by a lost connection or a killed worker: %s",
                len(fresh),
                [d.job_id for d in fresh],
            )
            publish(parent.app, fresh)
