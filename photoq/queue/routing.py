"""Queue names and which queue each kind of task runs on (DESIGN.md, queue topology)."""

from __future__ import annotations

from enum import StrEnum


class QueueName(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    GPU = "gpu"


#: The queues of photo work: what users pause, resume, purge and see in stats.
ALL_QUEUES: tuple[str, ...] = tuple(q.value for q in QueueName)
#: What a worker consumes when not told otherwise; `gpu` only on workers started for it.
DEFAULT_WORKER_QUEUES: tuple[str, ...] = (QueueName.HIGH, QueueName.MEDIUM, QueueName.LOW)
#: Beat's periodic tasks: every worker consumes it, and pausing photo work never stops it.
MAINTENANCE_QUEUE = "maintenance"
AGE_WAITING_JOBS = "photoq.age_waiting_jobs"
CLEANUP_OLD_RESULTS = "photoq.cleanup_old_results"
UPDATE_SYSTEM_METRICS = "photoq.update_system_metrics"
MAINTENANCE_TASKS = (AGE_WAITING_JOBS, CLEANUP_OLD_RESULTS, UPDATE_SYSTEM_METRICS)

#: The job kinds the services and the manager queue by name.
PROCESS_PHOTO = "process_photo"  # the whole analysis of one photo
GROUP_PHOTOS = "group_similar_photos"  # culling: groups, picks, ratings
APPLY_PRESET = "apply_preset"
EXPORT_PHOTO = "export_photo"

#: Job kind → queue. The Celery task of kind ``k`` is named ``photoq.k``.
KIND_QUEUES: dict[str, QueueName] = {
    "analyze_exif": QueueName.HIGH,
    APPLY_PRESET: QueueName.HIGH,
    PROCESS_PHOTO: QueueName.MEDIUM,
    "evaluate_quality": QueueName.MEDIUM,
    GROUP_PHOTOS: QueueName.LOW,
    EXPORT_PHOTO: QueueName.LOW,
    "noop": QueueName.MEDIUM,
    "probe": QueueName.MEDIUM,
}


def task_name(kind: str) -> str:
    """The registered Celery name of the task that runs jobs of ``kind``."""
    return f"photoq.{kind}"


def queue_for(kind: str) -> QueueName:
    return KIND_QUEUES[kind]


def task_routes() -> dict[str, dict[str, str]]:
    """Celery ``task_routes``: every photoq task to its queue."""
    routes = {task_name(kind): {"queue": queue.value} for kind, queue in KIND_QUEUES.items()}
    routes.update({name: {"queue": MAINTENANCE_QUEUE} for name in MAINTENANCE_TASKS})
    return routes


def parse_queues(text: str) -> list[str]:
    """Parse a comma-separated queue list, refusing unknown names with a clear message."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in ALL_QUEUES]
    if unknown or not names:
        given = ", ".join(unknown) or "(none given)"
        msg = f"unknown queue {given}; choose from {', '.join(ALL_QUEUES)}"
        raise ValueError(msg)
    return names
