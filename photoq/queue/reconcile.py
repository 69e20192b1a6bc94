"""Reconciliation: every unfinished job has a live owner, or it is re-published from the catalog.

DESIGN.md invariant 7. One pass finds three kinds of job without an owner and sends each a fresh
message (the old one, should it ever come back, is dropped as superseded: invariant 2):

* **lost**: ``queued`` or ``retrying``, but its message is neither waiting in the broker nor
  held by a live worker (a Redis restarted without persistence, a purge, a failover; or a
  prefetched or retry-countdown message left unacked by a worker that died, which Redis would
  hand out again only after its one-hour visibility timeout);
* **orphaned**: ``running`` on a worker that stopped beating, or that beats without holding it
  (:meth:`photoq.catalog.workers.WorkerRegistry.orphaned_running`);
* **stuck follow-ups**: ``pending`` jobs whose earlier jobs are all final, when the worker that
  finished the last of them could not release them (the catalog was down then).

A message can be between two places for a moment (popped from its list, not yet recorded as
unacked; or a job's row written, its message not yet sent), so a job counts as lost only when
two scans a little apart both miss it and the catalog still shows it under the same message.
The waiting ``photoq run`` and every worker's main process run a pass every
``reconcile_interval``; a broker-wide lock lets one pass in per interval. Passes are safe to run
concurrently anyway: each re-queue is conditional on the message id it read.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.jobs import JobRepository
from photoq.catalog.models import utcnow
from photoq.catalog.workers import WorkerRegistry
from photoq.queue.broker import broker_errors
from photoq.queue.broker_scan import BrokerHeld, held_messages
from photoq.queue.dispatch import publish, release_followups

if TYPE_CHECKING:
    from celery import Celery

    from photoq.catalog.store import Catalog
    from photoq.config import Settings

log = logging.getLogger(__name__)

LOCK_KEY = "photoq:reconcile"
#: Between the two broker scans: far longer than a message spends between two places.
RESCAN_AFTER_S = 0.5


@dataclass
class Reconciled:
    lost: list[int] = field(default_factory=list)
    orphaned: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.lost or self.orphaned or self.released)

    def describe(self) -> str:
        parts = []
        if self.lost:
            parts.append(f"{len(self.lost)} whose broker message was gone")
        if self.orphaned:
            parts.append(f"{len(self.orphaned)} whose worker stopped")
        if self.released:
            parts.append(f"{len(self.released)} follow-up(s) nobody released")
        return "re-published " + ", ".join(parts)


def _take_turn(app: Celery, period_s: float) -> bool:
    """One pass per period across the deployment: whoever sets the key first runs it."""
    with broker_errors(app), app.connection_for_write() as conn:
        client = conn.default_channel.client
        token = uuid.uuid4().hex
        return bool(client.set(LOCK_KEY, token, nx=True, px=max(1, int(period_s * 800))))


def reconcile(
    app: Celery, catalog: Catalog, settings: Settings, *, force: bool = False
) -> Reconciled:
    """One pass (skipped when another process ran one this period, unless ``force``).

    Raises :class:`~photoq.errors.ServiceUnavailable` when the broker does not answer and
    :class:`~photoq.errors.RetryableError` when the catalog does not.
    """
    done = Reconciled()
    if not force and not _take_turn(app, settings.reconcile_interval):
        return done
    admin = JobAdmin(catalog)
    orphans = WorkerRegistry(catalog, settings.worker_dead_after).orphaned_running()
    if orphans:
        seen = JobRepository(catalog).messages_of(orphans)
        fresh = admin.requeue_unowned(seen)
        publish(app, fresh)
        done.orphaned = [d.job_id for d in fresh]
    done.lost = _republish_lost(app, catalog, settings)
    for session_id in JobRepository(catalog).sessions_with_pending():
        done.released += release_followups(app, catalog, session_id)
    if done.any:
        log.warning(
            "reconcile: %s: lost %s, orphaned %s, released %s",
            done.describe(),
            done.lost,
            done.orphaned,
            done.released,
        )
    return done


def _republish_lost(app: Celery, catalog: Catalog, settings: Settings) -> list[int]:
    jobs = JobRepository(catalog)
    # A job queued this instant may not have been sent yet: give its publisher a period.
    waiting = jobs.waiting_messages(utcnow() - timedelta(seconds=settings.reconcile_interval))
    if not waiting:
        return []
    queues = {queue for _, queue in waiting.values()}
    registry = WorkerRegistry(catalog, settings.worker_dead_after)

    def missing(held: BrokerHeld, listed: set[int]) -> set[int]:
        gone = set()
        for job_id, (mid, _) in waiting.items():
            if mid in held.waiting:
                continue
            delivered = held.unacked.get(mid)
            # Unacked for longer than a heartbeat takes to list it, and no live worker does:
            # its holder died.
            if delivered is None or (
                job_id not in listed and time.time() - delivered > settings.worker_dead_after
            ):
                gone.add(job_id)
        return gone

    first = missing(held_messages(app, queues), registry.listed_job_ids())
    if not first:
        return []
    time.sleep(RESCAN_AFTER_S)
    both = first & missing(held_messages(app, queues), registry.listed_job_ids())
    now_seen = jobs.messages_of(sorted(both))
    lost = {job_id: mid for job_id, mid in now_seen.items() if mid == waiting[job_id][0]}
    if not lost:
        return []
    fresh = JobAdmin(catalog).requeue_unowned(lost)
    publish(app, fresh)
    return [d.job_id for d in fresh]
