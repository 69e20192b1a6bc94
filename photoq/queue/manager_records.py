"""What :class:`~photoq.queue.manager.JobQueueManager` returns: plain records, each with a
``to_dict()`` that ``json.dumps`` takes as it is (times as ISO 8601 strings in UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from photoq.records import JsonRecord

if TYPE_CHECKING:
    from photoq.catalog.job_records import AttemptInfo, JobInfo


@dataclass(frozen=True)
class JobStatusReport(JsonRecord):
    """A job with every attempt, for ``get_job_status`` and ``photoq jobs show``."""

    job: JobInfo
    attempts: list[AttemptInfo]
    #: The job that retried this one from the failed view, if any.
    retried_as: int | None = None


@dataclass(frozen=True)
class QueueStats(JsonRecord):
    """One queue. Waiting counts come from the catalog (the truth); ``broker_messages`` is what
    Redis holds, stale messages of cancelled or re-queued jobs included."""

    queue: str
    paused: bool
    waiting: int
    #: Waiting jobs per priority (9 highest); keys are strings so the JSON stays a mapping.
    waiting_by_priority: dict[str, int]
    pending: int
    running: int
    retrying: int
    succeeded: int
    dead: int
    cancelled: int
    oldest_waiting_s: float | None
    throughput_last_minute: int
    broker_messages: int


@dataclass(frozen=True)
class WorkerStats(JsonRecord):
    """One worker node, as it answered the broadcast."""

    name: str
    host: str
    pid: int | None
    concurrency: int | None
    pool_processes: int
    active: int
    reserved: int
    processed: int
    load_avg: list[float]
    memory_rss: int
    queues: list[str]
    consuming: list[str]
    uptime_s: float | None


@dataclass(frozen=True)
class CancelResult(JsonRecord):
    job_id: int
    #: The state the job was in when asked; ``cancelled`` only if it changed nothing.
    previous_status: str
    status: str
    #: True when the job was running and its worker was told to stop it.
    stopped: bool


@dataclass(frozen=True)
class PurgeResult(JsonRecord):
    queues: list[str]
    #: Jobs marked cancelled in the catalog.
    cancelled_jobs: list[int]
    #: Messages removed from the broker (stale ones included).
    broker_messages: int


@dataclass(frozen=True)
class FailedJobs(JsonRecord):
    """A page of the dead-letter view: dead jobs not yet retried, newest first."""

    jobs: list[JobInfo]
    total: int
    limit: int
    offset: int
