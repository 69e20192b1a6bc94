"""Beat's periodic tasks (``photoq beat`` schedules them; any worker runs them).

They are plain Celery tasks, not catalog jobs: a row per minute per task would bury the jobs
people look for. Each one is safe to run twice or to skip once.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from photoq.catalog.job_admin import JobAdmin
from photoq.catalog.metrics import MetricsRepository
from photoq.catalog.models import utcnow
from photoq.catalog.retention import delete_finished_before, output_folders
from photoq.catalog.workers import WorkerRegistry
from photoq.config import get_settings
from photoq.host import sample_host
from photoq.pipeline.export import stale_temp_files
from photoq.queue import app
from photoq.queue.broker import broker_depths
from photoq.queue.dispatch import publish
from photoq.queue.priority import MAX_PRIORITY, Priority
from photoq.queue.routing import (
    AGE_WAITING_JOBS,
    ALL_QUEUES,
    CLEANUP_OLD_RESULTS,
    EXPORT_PHOTO,
    UPDATE_SYSTEM_METRICS,
    QueueName,
)
from photoq.queue.tracking import catalog

log = logging.getLogger(__name__)

#: Aging lifts a job one tier: by the distance between two priority tiers, and from its queue
#: to the next one up. The queue matters: Redis serves equal priorities in queue order, so a
#: job aged to the top priority in ``low`` would still wait behind every new top job in ``high``.
#: In ``high`` it is ahead of them (first in, first out). ``gpu`` work stays on its queue.
AGING_STEP = Priority.HIGH - Priority.MEDIUM
NEXT_TIER = {
    QueueName.LOW.value: QueueName.MEDIUM.value,
    QueueName.MEDIUM.value: QueueName.HIGH.value,
}
#: A temporary file untouched this long belongs to a writer that died (exports take seconds).
TEMP_FILE_GRACE_S = 3600.0


@app.task(name=AGE_WAITING_JOBS, ignore_result=True)
def age_waiting_jobs() -> list[int]:
    """Priority aging, so low work never starves behind a stream of high work: every job
    queued longer than PHOTOQ_AGING_AFTER moves up one tier under a fresh message (the old
    one is dropped on arrival, DESIGN.md invariant 2); returns the ids re-published."""
    waited_since = utcnow() - timedelta(seconds=get_settings().aging_after)
    aged = JobAdmin(catalog()).age_waiting(
        waited_since, step=AGING_STEP, ceiling=MAX_PRIORITY, next_queue=NEXT_TIER
    )
    publish(app, aged)
    if aged:
        log.info(
            "aging: %d waiting job(s) moved up a tier: %s", len(aged), [d.job_id for d in aged]
        )
    return [d.job_id for d in aged]


@app.task(name=CLEANUP_OLD_RESULTS, ignore_result=True)
def cleanup_old_results() -> dict[str, Any]:
    """Delete finished jobs and their attempts past retention, old metric samples, the rows of
    workers silent that long, and the temporary files of writes killed before they finished."""
    settings = get_settings()
    cat = catalog()
    now = utcnow()
    deleted = delete_finished_before(cat, now - timedelta(days=settings.result_retention_days))
    samples = MetricsRepository(cat).prune(now - timedelta(days=settings.metrics_retention_days))
    workers = WorkerRegistry(cat, settings.worker_dead_after).forget_stopped(
        now - timedelta(days=settings.result_retention_days)
    )
    removed = 0
    for folder in sorted({*output_folders(cat, EXPORT_PHOTO), str(settings.home)}):
        for path in stale_temp_files(Path(folder), TEMP_FILE_GRACE_S):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    summary = {
        "jobs": deleted.jobs,
        "attempts": deleted.attempts,
        "metric_samples": samples,
        "workers": workers,
        "temp_files": removed,
    }
    log.info("cleanup: deleted %s", summary)
    return summary


@app.task(name=UPDATE_SYSTEM_METRICS, ignore_result=True)
def update_system_metrics() -> dict[str, Any]:
    """Record CPU, memory, disk of PHOTOQ_HOME, queue depths and (with NVML) GPU use."""
    settings = get_settings()
    sample = sample_host(settings.home)
    depths = broker_depths(app, ALL_QUEUES)
    MetricsRepository(catalog()).record(sample, depths)
    return {**sample.to_dict(), "queue_depths": depths}
