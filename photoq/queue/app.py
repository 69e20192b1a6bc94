"""The Celery application and every setting DESIGN.md asks of brokers and workers."""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.entity import Exchange, Queue

from photoq.config import Settings, get_settings
from photoq.queue.embedded import embedded_broker_url
from photoq.queue.heartbeat import WorkerDuties
from photoq.queue.log_redaction import redact_celery_logs  # noqa: F401  (connects)
from photoq.queue.pool_process import reuse_memory_in_pool_process  # noqa: F401  (connects)
from photoq.queue.priority import (
    DEFAULT_BROKER_PRIORITY,
    MAX_PRIORITY,
    PRIORITY_STEPS,
    to_broker_priority,
)
from photoq.queue.recovery import RecoverHeldJobs
from photoq.queue.routing import (
    AGE_WAITING_JOBS,
    ALL_QUEUES,
    CLEANUP_OLD_RESULTS,
    MAINTENANCE_QUEUE,
    UPDATE_SYSTEM_METRICS,
    QueueName,
    task_routes,
)
from photoq.queue.worker_control import ApplyPausedQueues

TASK_MODULES = [
    "photoq.queue.tasks",
    "photoq.queue.develop_tasks",
    "photoq.queue.diagnostics",
    "photoq.queue.maintenance",
]


def broker_url(settings: Settings) -> str:
    """The configured broker, or the embedded Valkey server's socket under PHOTOQ_HOME."""
    return settings.resolved_broker_url or embedded_broker_url(settings.home)


def visibility_timeout(settings: Settings) -> int:
    """Seconds before Redis hands an unacknowledged message to another worker.

    It must outlast both the hard time limit and the longest retry countdown (an ETA message is
    held unacknowledged by the worker while it waits), or a message would be delivered twice.
    """
    return max(3600, 2 * int(max(settings.hard_time_limit, settings.retry_max_delay)))


def _queue(name: str) -> Queue:
    return Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]


TOP = to_broker_priority(MAX_PRIORITY)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The periodic tasks of ``photoq beat``. Each message expires after one period, so a beat
    running while no worker does leaves no backlog of stale maintenance behind."""
    periods = {
        AGE_WAITING_JOBS: settings.aging_interval,
        UPDATE_SYSTEM_METRICS: settings.metrics_interval,
        CLEANUP_OLD_RESULTS: settings.cleanup_interval,
    }
    return {
        name.removeprefix("photoq."): {
            "task": name,
            "schedule": period,
            # Top priority: behind a stream of high work, aging must still get its turn.
            "options": {"queue": MAINTENANCE_QUEUE, "expires": period, "priority": TOP},
        }
        for name, period in periods.items()
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    return {
        "broker_url": broker_url(settings),
        "result_backend": settings.result_backend,
        "task_ignore_result": settings.result_backend is None,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "priority_steps": PRIORITY_STEPS,
            "sep": ":",
            "queue_order_strategy": "priority",
            "visibility_timeout": visibility_timeout(settings),
        },
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        "task_queues": [_queue(name) for name in (*ALL_QUEUES, MAINTENANCE_QUEUE)],
        "task_default_queue": QueueName.MEDIUM.value,
        "task_default_priority": DEFAULT_BROKER_PRIORITY,
        "task_queue_max_priority": max(PRIORITY_STEPS),
        "task_routes": task_routes(),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_soft_time_limit": settings.soft_time_limit,
        "task_time_limit": settings.hard_time_limit,
        "worker_concurrency": settings.concurrency,
        "worker_prefetch_multiplier": 1,
        "worker_max_tasks_per_child": 100,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_hijack_root_logger": False,
        "enable_utc": True,
        "beat_schedule": beat_schedule(settings),
    }


def create_app(settings: Settings | None = None) -> Celery:
    """A Celery app configured from ``settings`` (the environment by default)."""
    settings = settings or get_settings()
    app = Celery("photoq", include=TASK_MODULES)
    app.conf.update(celery_config(settings))
    app.steps["worker"].add(WorkerDuties)
    app.steps["consumer"].add(RecoverHeldJobs)
    app.steps["consumer"].add(ApplyPausedQueues)
    return app
