"""What the catalog knows about each queue: counts by state, waiting work by priority, age and
throughput. The broker's own view (messages in Redis) is added by the queue layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from photoq.catalog.models import Job, JobStatus, utcnow

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from photoq.catalog.store import Catalog

THROUGHPUT_WINDOW = timedelta(minutes=1)
#: Throughput counts work a worker finished; a cancelled job was not processed.
PROCESSED = (JobStatus.SUCCEEDED.value, JobStatus.DEAD.value)


@dataclass
class QueueCounts:
    """One queue's jobs as the catalog counts them."""

    by_status: dict[str, int] = field(default_factory=dict)
    #: Queued jobs per user-facing priority (9 highest).
    waiting_by_priority: dict[int, int] = field(default_factory=dict)
    oldest_queued_at: datetime | None = None
    #: Jobs a worker finished (succeeded or dead) within the last minute.
    finished_last_minute: int = 0

    def count(self, status: JobStatus) -> int:
        return self.by_status.get(status.value, 0)


def queue_counts(catalog: Catalog, queues: Iterable[str]) -> dict[str, QueueCounts]:
    """Counts for each of ``queues`` (zeros for a queue without jobs)."""
    out = {name: QueueCounts() for name in queues}
    since = utcnow() - THROUGHPUT_WINDOW
    queued = Job.status == JobStatus.QUEUED
    with catalog.transaction(read_only=True) as db:
        for queue, status, n in db.execute(
            select(Job.queue, Job.status, func.count()).group_by(Job.queue, Job.status)
        ):
            if queue in out:
                out[queue].by_status[status] = n
        for queue, priority, n in db.execute(
            select(Job.queue, Job.priority, func.count())
            .where(queued)
            .group_by(Job.queue, Job.priority)
        ):
            if queue in out:
                out[queue].waiting_by_priority[priority] = n
        for queue, oldest in db.execute(
            select(Job.queue, func.min(Job.queued_at)).where(queued).group_by(Job.queue)
        ):
            if queue in out:
                out[queue].oldest_queued_at = oldest
        for queue, n in db.execute(
            select(Job.queue, func.count())
            .where(Job.finished_at >= since, Job.status.in_(PROCESSED))
            .group_by(Job.queue)
        ):
            if queue in out:
                out[queue].finished_last_minute = n
    return out
