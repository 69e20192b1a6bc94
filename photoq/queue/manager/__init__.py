"""``JobQueueManager``: the queue's high-level interface, with the seed's method names.

Every method returns plain data (records with ``to_dict()``, ids, lists). The catalog is the
source of truth; the broker is told what changed (a revoke, a broadcast, a purge) and whatever
it still holds that the catalog no longer wants is dropped on arrival (DESIGN.md invariant 2).

Bad input — an unknown job, photo, session, queue or status — raises :class:`UsageError` with
a one-line message; an unreachable broker raises :class:`ServiceUnavailable`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from photoq.catalog.store import Catalog
from photoq.config import get_settings
from photoq.private_files import private_dir
from photoq.queue.manager.changing import Changing
from photoq.queue.manager.looking import Looking
from photoq.queue.manager.submitting import Submitting

if TYPE_CHECKING:
    from photoq.config import Settings

__all__ = ["JobQueueManager", "get_job_queue_manager"]


class JobQueueManager(Submitting, Looking, Changing):
    """Submit, inspect, cancel, pause, purge and retry photoq's work.

    Use it as a context manager (or call :meth:`close`): on the embedded default it joins
    photoq's private Valkey server for as long as it is open.
    """


def get_job_queue_manager(settings: Settings | None = None) -> JobQueueManager:
    """A manager for the configured broker and catalog (the environment's settings)."""
    if settings is None:
        from photoq.queue import app

        settings = get_settings()
    else:
        from photoq.queue.app import create_app

        app = create_app(settings)
    if settings.database_url is None:  # the SQLite catalog lives in PHOTOQ_HOME: keep it private
        private_dir(settings.home)
    return JobQueueManager(settings, Catalog.open(settings.resolved_database_url), app)
