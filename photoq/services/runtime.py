"""What a command needs to do queued work: settings, the catalog, the Celery app, a broker.

On the embedded default the broker is photoq's own Valkey server, joined (or started) for the
duration of the command, and ``photoq run`` adds its own worker processes.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from photoq.catalog.queue_state import QueueStateRepository
from photoq.catalog.store import Catalog
from photoq.private_files import private_dir
from photoq.queue.embedded import EmbeddedBroker
from photoq.queue.local_workers import LocalWorkers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from celery import Celery

    from photoq.config import Settings


@dataclass
class Runtime:
    settings: Settings
    catalog: Catalog
    app: Celery
    local_workers: LocalWorkers | None
    #: Where a one-line notice for the user goes (the CLI prints it on stderr).
    notice: Callable[[str], None] = lambda _text: None
    _checked: bool = False

    def ensure_workers(self) -> None:
        """Start the local worker processes if this command has any; otherwise check, once,
        that some worker listens. Either way say, once, when the work would only wait: no
        worker, or paused queues."""
        if self.local_workers is not None and not self.local_workers.processes:
            self.local_workers.start(env=dict(os.environ))
        if self._checked:
            return
        self._checked = True
        if self.local_workers is None and not self.app.control.ping(timeout=1.0):
            self.notice(
                "no worker answered on the broker; the work waits until one starts "
                "(photoq worker), or press Ctrl-C and resume later"
            )
        paused = sorted(QueueStateRepository(self.catalog).paused())
        if paused:
            names = ",".join(paused)
            self.notice(
                f"queue {names} is paused: its jobs wait until `photoq queue resume "
                f"{names}` (or press Ctrl-C and resume later)"
            )


@contextmanager
def embedded_broker(settings: Settings) -> Iterator[EmbeddedBroker | None]:
    """Join the embedded Valkey server for the block (None when a broker is configured)."""
    if not settings.embedded:
        yield None
        return
    broker = EmbeddedBroker(settings.home)
    broker.acquire()
    try:
        yield broker
    finally:
        broker.release()


def open_catalog(settings: Settings) -> Catalog:
    if settings.database_url is None:  # the SQLite catalog lives in PHOTOQ_HOME: keep it private
        private_dir(settings.home)
    return Catalog.open(settings.resolved_database_url)


@contextmanager
def open_runtime(settings: Settings, *, local_workers: int = 0) -> Iterator[Runtime]:
    """Catalog, app and broker for one command, with ``local_workers`` worker processes that
    :meth:`Runtime.ensure_workers` starts when there is work, and the block's end stops."""
    catalog = open_catalog(settings)
    with embedded_broker(settings):
        from photoq.queue import app  # imported late: building the app reads the settings

        workers = None
        if local_workers:
            workers = LocalWorkers(local_workers, settings.concurrency, settings.home / "logs")
        try:
            yield Runtime(settings, catalog, app, workers)
        finally:
            if workers is not None:
                workers.stop()
