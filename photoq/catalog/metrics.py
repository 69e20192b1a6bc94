"""The system-metrics time series: one row per sample of the host and the queue depths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, select

from photoq.catalog.models import SystemMetric, utcnow
from photoq.records import JsonRecord

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import CursorResult

    from photoq.catalog.store import Catalog
    from photoq.host import HostSample

#: A day of one-minute samples.
DEFAULT_LIMIT = 1440


@dataclass(frozen=True)
class MetricPoint(JsonRecord):
    """One stored sample, as the dashboard and ``/metrics`` read it."""

    id: int
    recorded_at: datetime
    cpu_percent: float
    load_avg: float
    memory_percent: float
    memory_used: int
    disk_used_percent: float
    disk_free: int
    queue_depths: dict[str, int]
    #: One dict per GPU (the fields of ``photoq.host.GpuSample``); ``None`` without GPUs.
    gpus: list[dict[str, Any]] | None


class MetricsRepository:
    """Reads and writes ``system_metrics``."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def record(
        self, sample: HostSample, queue_depths: dict[str, int], at: datetime | None = None
    ) -> int:
        """Store ``sample`` with the queue depths, stamped ``at`` (now by default); its id."""
        row = SystemMetric(
            recorded_at=at if at is not None else utcnow(),
            cpu_percent=sample.cpu_percent,
            load_avg=sample.load_avg_1m,
            memory_percent=sample.memory_percent,
            memory_used=sample.memory_used_bytes,
            disk_used_percent=sample.disk_used_percent,
            disk_free=sample.disk_free_bytes,
            queue_depths={str(name): int(depth) for name, depth in queue_depths.items()},
            gpus=[gpu.to_dict() for gpu in sample.gpus] or None,
        )
        with self.catalog.transaction() as db:
            db.add(row)
            db.flush()
            return row.id

    def prune(self, older_than: datetime) -> int:
        """Delete the samples recorded before ``older_than``; how many were deleted."""
        stmt = delete(SystemMetric).where(SystemMetric.recorded_at < older_than)
        with self.catalog.transaction() as db:
            result = cast("CursorResult[Any]", db.execute(stmt))
            return result.rowcount

    def recent(
        self, since: datetime | None = None, limit: int = DEFAULT_LIMIT
    ) -> list[MetricPoint]:
        """The newest ``limit`` samples (those at or after ``since``, if given), oldest first."""
        if limit <= 0:
            return []
        stmt = select(SystemMetric)
        if since is not None:
            stmt = stmt.where(SystemMetric.recorded_at >= since)
        stmt = stmt.order_by(SystemMetric.recorded_at.desc(), SystemMetric.id.desc()).limit(limit)
        with self.catalog.transaction(read_only=True) as db:
            points = [_point(row) for row in db.scalars(stmt)]
        points.reverse()
        return points

    def latest(self) -> MetricPoint | None:
        """The newest sample, or ``None`` before the first one."""
        points = self.recent(limit=1)
        return points[0] if points else None


def _point(row: SystemMetric) -> MetricPoint:
    return MetricPoint(
        id=row.id,
        recorded_at=row.recorded_at,
        cpu_percent=row.cpu_percent,
        load_avg=row.load_avg,
        memory_percent=row.memory_percent,
        memory_used=row.memory_used,
        disk_used_percent=row.disk_used_percent,
        disk_free=row.disk_free,
        queue_depths=dict(row.queue_depths),
        gpus=[dict(gpu) for gpu in row.gpus] if row.gpus is not None else None,
    )
