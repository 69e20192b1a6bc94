"""Beat's maintenance tasks, run by a real worker; the schedule beat gets."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from sqlalchemy import update

from photoq.catalog.metrics import MetricsRepository
from photoq.catalog.models import Job, utcnow
from photoq.config import Settings
from photoq.pipeline.export.atomic import temp_name_for
from photoq.queue.app import beat_schedule
from photoq.queue.routing import MAINTENANCE_QUEUE
from tests.helpers import QueueHarness, probe

pytestmark = pytest.mark.integration


def test_beat_schedule_follows_the_settings() -> None:
    schedule = beat_schedule(Settings(aging_interval=5, metrics_interval=30, cleanup_interval=600))
    periods = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert periods == {
        "photoq.age_waiting_jobs": 5,
        "photoq.update_system_metrics": 30,
        "photoq.cleanup_old_results": 600,
    }
    for entry in schedule.values():
        assert entry["options"]["queue"] == MAINTENANCE_QUEUE
        assert entry["options"]["expires"] == entry["schedule"]
        assert entry["options"]["priority"] == 0  # the broker's top


def _wait(predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_update_system_metrics_records_host_and_queue_depths(harness: QueueHarness) -> None:
    harness.submit([probe(5, queue="low") for _ in range(4)])  # no worker consumes low
    harness.start_worker(concurrency=1, queues="high")
    harness.app.send_task("photoq.update_system_metrics", queue=MAINTENANCE_QUEUE)
    metrics = MetricsRepository(harness.catalog)
    _wait(lambda: metrics.latest() is not None)
    point = metrics.latest()
    assert point is not None
    assert point.queue_depths == {"high": 0, "medium": 0, "low": 4, "gpu": 0}
    assert abs(point.memory_used - psutil.virtual_memory().used) < 2 * 2**30
    assert point.gpus is None  # no NVIDIA GPU here; absent, not an error


def test_cleanup_deletes_old_results_and_stray_temp_files(
    harness: QueueHarness, short_tmp: Path
) -> None:
    harness.start_worker(concurrency=1)
    old, recent = harness.submit([probe(5), probe(5)])
    harness.wait_final([old, recent])
    with harness.catalog.transaction() as db:
        db.execute(
            update(Job).where(Job.id == old).values(finished_at=utcnow() - timedelta(days=8))
        )
    stray = temp_name_for(harness.settings.home / "export.jpg")
    stray.write_bytes(b"half an export")
    two_hours_ago = time.time() - 7200
    os.utime(stray, (two_hours_ago, two_hours_ago))
    fresh = temp_name_for(harness.settings.home / "other.jpg")
    fresh.write_bytes(b"being written now")

    harness.app.send_task("photoq.cleanup_old_results", queue=MAINTENANCE_QUEUE)
    _wait(lambda: harness.jobs.get(old) is None)
    _wait(lambda: not stray.exists())
    assert harness.jobs.get(recent) is not None
    assert fresh.exists()
    assert harness.jobs.attempts(old) == []
