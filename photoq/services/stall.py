"""While ``photoq run`` waits: keep every job owned, say why nothing moves, give up in time.

The waiting command is one of the places reconciliation runs (:mod:`photoq.queue.reconcile`):
with no worker of its own alive to do it, a job whose message was lost would otherwise wait for
ever. When nothing has progressed for a while it says why, once per reason: the broker or the
catalog does not answer, no live worker consumes a queue that has waiting jobs, a queue is
paused. A broker or catalog that stays gone for PHOTOQ_GIVE_UP_AFTER seconds ends the wait with
:class:`~photoq.errors.ServiceUnavailable` (exit 3); the work stays in the catalog.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from photoq.catalog.jobs import JobRepository
from photoq.catalog.queue_state import QueueStateRepository
from photoq.catalog.workers import WorkerRegistry
from photoq.errors import CatalogUnavailable, ServiceUnavailable
from photoq.queue.reconcile import reconcile

if TYPE_CHECKING:
    from photoq.services.runtime import Runtime


class Watchdog:
    """Called by the wait loop on every poll; see the module docstring."""

    def __init__(self, rt: Runtime, job_ids: list[int]) -> None:
        self.rt = rt
        self.job_ids = job_ids
        settings = rt.settings
        self.give_up_after = settings.give_up_after
        self.reconcile_every = settings.reconcile_interval
        #: Quiet this long and the wait explains itself.
        self.stall_after = max(5.0, settings.reconcile_interval)
        now = time.monotonic()
        self.last_progress = now
        self.next_pass = now + settings.reconcile_interval
        self.down_since: dict[str, float] = {}
        self.said: set[str] = set()

    def _say(self, text: str) -> None:
        if text not in self.said:
            self.said.add(text)
            self.rt.notice(text)

    def progressed(self) -> None:
        self.last_progress = time.monotonic()
        self.said.clear()

    def service_down(self, service: str, exc: Exception) -> None:
        """``service`` (broker, catalog) failed just now; raises once it has been gone too long."""
        now = time.monotonic()
        since = self.down_since.setdefault(service, now)
        if now - since >= self.give_up_after:
            msg = (
                f"gave up after {self.give_up_after:.0f} s without the {service}: {exc}; "
                "the work stays in the catalog and resumes with the next photoq run"
            )
            raise ServiceUnavailable(msg)
        left = self.give_up_after - (now - since)
        self._say(
            f"the {service} does not answer ({exc}); waiting for it, giving up in {left:.0f} s"
        )

    def service_up(self, service: str) -> None:
        if self.down_since.pop(service, None) is not None:
            self.rt.notice(f"the {service} answers again; the work goes on")

    def tick(self) -> None:
        """Reconcile when due, and explain a stall."""
        now = time.monotonic()
        if now >= self.next_pass:
            self.next_pass = now + self.reconcile_every
            try:
                done = reconcile(self.rt.app, self.rt.catalog, self.rt.settings)
            except ServiceUnavailable as exc:
                self.service_down("broker", exc)
            except CatalogUnavailable as exc:
                self.service_down("catalog", exc)
            else:
                self.service_up("broker")
                if done.any:
                    self.rt.notice(f"{done.describe()}; they run again")
        if now - self.last_progress >= self.stall_after and not self.down_since:
            try:
                self._explain(now - self.last_progress)
            except CatalogUnavailable as exc:
                self.service_down("catalog", exc)

    def _explain(self, quiet_s: float) -> None:
        waiting = JobRepository(self.rt.catalog).waiting_by_queue(self.job_ids)
        if not waiting:
            return  # only running jobs: long photos, not a stall
        paused = QueueStateRepository(self.rt.catalog).paused()
        alive = WorkerRegistry(self.rt.catalog, self.rt.settings.worker_dead_after).alive()
        consumed = {q for w in alive for q in w.queues}
        for queue, count in sorted(waiting.items()):
            if queue in paused:
                self._say(
                    f"queue {queue} is paused: its {count} job(s) wait until "
                    f"`photoq queue resume {queue}`"
                )
            elif queue not in consumed:
                self._say(
                    f"no live worker consumes queue {queue} ({count} job(s) wait, nothing "
                    f"moved for {quiet_s:.0f} s); start one: photoq worker --queues {queue}"
                )
