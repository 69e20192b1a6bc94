"""The worker main process's own duties, beside consuming: heartbeat, reconciliation, webhooks.

Three daemon threads, started after the pool processes are forked (so none inherits them):

* **heartbeat**: every ``heartbeat_interval`` the worker's row in the catalog is stamped with
  the job ids it holds (:mod:`photoq.catalog.workers`);
* **reconciliation**: every ``reconcile_interval`` a pass of :mod:`photoq.queue.reconcile`, so
  lost and orphaned jobs come back even when no ``photoq run`` waits for them;
* **webhooks**: dead jobs' notifications (:mod:`photoq.catalog.dead_letters`), each within
  its total deadline, on a thread of their own so a slow receiver delays neither photo work
  nor the heartbeat.

A catalog or broker outage is logged once when it starts and once when it ends; the threads
keep trying.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from celery import bootsteps
from celery.worker import state as worker_state

from photoq.catalog.dead_letters import take_unnotified
from photoq.catalog.models import utcnow
from photoq.catalog.workers import WorkerRegistry
from photoq.config import Settings, get_settings
from photoq.errors import PhotoqError
from photoq.queue.notify import post_dead
from photoq.queue.reconcile import reconcile
from photoq.queue.recovery import eta_held_job_ids
from photoq.queue.tracking import catalog

log = logging.getLogger(__name__)


def held_job_ids() -> list[int]:
    """Ids of the photoq jobs this worker received and has not finished: running, about to
    run, or waiting for a retry's countdown."""
    held = eta_held_job_ids(time.time())
    for _ in range(10):
        try:
            requests = list(worker_state.reserved_requests)
        except RuntimeError:  # the consumer changed the set while it was copied
            continue
        return held + [
            int(r.args[0])
            for r in requests
            if r.name.startswith("photoq.") and r.args and isinstance(r.args[0], int)
        ]
    return held


class _Outage:
    """Logs a failing duty once when it starts failing and once when it works again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: float | None = None

    def failed(self, exc: Exception) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s failing: %s; retrying", self.what, exc)

    def ok(self) -> None:
        if self.since is not None:
            log.warning("%s working again after %.0f s", self.what, time.monotonic() - self.since)
            self.since = None


class WorkerDuties(bootsteps.StartStopStep):  # type: ignore[misc]
    """Worker step: the heartbeat and webhook threads for the life of the worker."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, worker: Any) -> None:
        settings = get_settings()
        name = worker.hostname
        queues = sorted(worker.app.amqp.queues.consume_from)
        registry = WorkerRegistry(catalog(), settings.worker_dead_after)
        # `photoq worker` registered already (and refused a live twin with one line); a worker
        # started another way registers here, and a live twin stops it.
        registry.register(name, socket.gethostname(), os.getpid(), queues)
        self.threads = [
            threading.Thread(target=self._heartbeat, args=(registry, name, settings), daemon=True),
            threading.Thread(target=self._reconcile, args=(worker.app, settings), daemon=True),
            threading.Thread(target=self._webhooks, args=(settings,), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def stop(self, worker: Any) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=2.0)
        try:
            WorkerRegistry(catalog(), get_settings().worker_dead_after).stopped(worker.hostname)
        except PhotoqError as exc:
            log.warning("could not record this worker's stop: %s", exc)

    def _heartbeat(self, registry: WorkerRegistry, name: str, settings: Settings) -> None:
        beating = _Outage("heartbeat")
        while not self.stopping.wait(settings.heartbeat_interval):
            try:
                at = utcnow()
                registry.beat(name, held_job_ids(), at)
                beating.ok()
            except PhotoqError as exc:
                beating.failed(exc)

    def _reconcile(self, app: Any, settings: Settings) -> None:
        # Its own thread: a broker that hangs must not stop the heartbeat.
        reconciling = _Outage("reconciliation")
        while not self.stopping.wait(settings.reconcile_interval):
            try:
                reconcile(app, catalog(), settings)
                reconciling.ok()
            except PhotoqError as exc:
                reconciling.failed(exc)

    def _webhooks(self, settings: Settings) -> None:
        url = settings.notify_url
        if not url:
            return
        sending = _Outage("dead-job webhooks")
        while not self.stopping.wait(settings.heartbeat_interval):
            try:
                for job in take_unnotified(catalog()):
                    post_dead(job, url, settings.notify_deadline)
                sending.ok()
            except PhotoqError as exc:
                sending.failed(exc)
