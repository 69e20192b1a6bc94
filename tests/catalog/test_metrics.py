"""The system-metrics time series, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from photoq.catalog.metrics import MetricPoint, MetricsRepository
from photoq.catalog.models import SystemMetric
from photoq.catalog.store import Catalog
from photoq.host import GpuSample, HostSample

T0 = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
GIB = 1024**3
H200 = GpuSample(
    index=0,
    name="NVIDIA H200",
    utilization_percent=37.0,
    memory_used_bytes=3 * GIB,
    memory_total_bytes=141 * GIB,
    temperature_c=61,
)


def host(cpu: float = 12.5, gpus: list[GpuSample] | None = None) -> HostSample:
    return HostSample(
        cpu_percent=cpu,
        load_avg_1m=1.75,
        memory_percent=43.25,
        memory_used_bytes=7 * GIB + 123,
        memory_total_bytes=16 * GIB,
        disk_path="/srv/photoq",
        disk_used_percent=81.125,
        disk_free_bytes=6 * 1024**4 + 1,  # over 2**32: needs the BigInteger column
        gpus=gpus or [],
    )


@pytest.fixture
def metrics(catalog: Catalog) -> MetricsRepository:
    return MetricsRepository(catalog)


def test_latest_is_none_before_the_first_sample(metrics: MetricsRepository) -> None:
    assert metrics.latest() is None
    assert metrics.recent() == []


def test_record_round_trips_every_value(metrics: MetricsRepository) -> None:
    row_id = metrics.record(host(gpus=[H200]), {"high": 3, "medium": 0, "low": 12}, at=T0)
    expected = MetricPoint(
        id=row_id,
        recorded_at=T0,
        cpu_percent=12.5,
        load_avg=1.75,
        memory_percent=43.25,
        memory_used=7 * GIB + 123,
        disk_used_percent=81.125,
        disk_free=6 * 1024**4 + 1,
        queue_depths={"high": 3, "medium": 0, "low": 12},
        gpus=[
            {
                "index": 0,
                "name": "NVIDIA H200",
                "utilization_percent": 37.0,
                "memory_used_bytes": 3 * GIB,
                "memory_total_bytes": 141 * GIB,
                "temperature_c": 61,
            }
        ],
    )
    assert metrics.latest() == expected
    assert metrics.recent() == [expected]
    data = expected.to_dict()
    assert data["recorded_at"] == "2025-03-14T09:26:53.589793+00:00"
    assert json.loads(json.dumps(data)) == data


def test_no_gpus_is_stored_as_null_and_empty_queues_as_an_empty_dict(
    catalog: Catalog, metrics: MetricsRepository
) -> None:
    row_id = metrics.record(host(), {}, at=T0)
    point = metrics.latest()
    assert point is not None
    assert point.id == row_id
    assert point.gpus is None
    assert point.queue_depths == {}
    with catalog.transaction(read_only=True) as db:
        assert db.scalars(select(SystemMetric.gpus)).one() is None


def test_record_stamps_now_by_default(metrics: MetricsRepository) -> None:
    before = datetime.now(UTC)
    metrics.record(host(), {"low": 1})
    after = datetime.now(UTC)
    point = metrics.latest()
    assert point is not None
    assert before <= point.recorded_at <= after


def test_recent_is_oldest_first_filtered_by_since_and_limited_to_the_newest(
    metrics: MetricsRepository,
) -> None:
    # Recorded out of order: the order comes from recorded_at, not the id.
    for minute in (2, 0, 4, 1, 3):
        metrics.record(host(cpu=float(minute)), {"low": minute}, at=T0 + timedelta(minutes=minute))
    assert [p.cpu_percent for p in metrics.recent()] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [p.queue_depths for p in metrics.recent(since=T0 + timedelta(minutes=2))] == [
        {"low": 2},
        {"low": 3},
        {"low": 4},
    ]
    assert [p.cpu_percent for p in metrics.recent(limit=2)] == [3.0, 4.0]
    assert [p.cpu_percent for p in metrics.recent(since=T0, limit=3)] == [2.0, 3.0, 4.0]
    assert metrics.recent(since=T0 + timedelta(hours=1)) == []
    assert metrics.recent(limit=0) == []
    latest = metrics.latest()
    assert latest is not None
    assert latest.recorded_at == T0 + timedelta(minutes=4)


def test_prune_deletes_only_older_rows_and_counts_them(metrics: MetricsRepository) -> None:
    for minute in range(5):
        metrics.record(host(cpu=float(minute)), {}, at=T0 + timedelta(minutes=minute))
    assert metrics.prune(T0 + timedelta(minutes=2)) == 2
    assert [p.cpu_percent for p in metrics.recent()] == [2.0, 3.0, 4.0]
    assert metrics.prune(T0 + timedelta(minutes=2)) == 0
    assert metrics.prune(T0 + timedelta(days=1)) == 3
    assert metrics.recent() == []
